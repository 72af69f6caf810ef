-- Staff comments on a contract: private to staff, or shown to the student on their contract.
CREATE TABLE contract_comments (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    author_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    -- The author's name at the time (kept if the user row goes away).
    author_label TEXT NOT NULL,
    -- `staff` (private to staff) or `student` (the student sees it too).
    visibility TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX contract_comments_contract ON contract_comments (contract_id, created_at);
