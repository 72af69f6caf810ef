-- Staff follow-up: comments on a contract (private to staff, or shown to the student), and an
-- index for the formation lists.
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

-- The staff list of a formation reads every contract of (course, formation, year) with these
-- columns: a covering index answers it without touching the table (it replaces the narrower
-- contracts_formation, whose columns are its prefix but for the state).
DROP INDEX contracts_formation;
CREATE INDEX contracts_staff_list ON contracts (
    context_id, formation_id, academic_year, state, user_id, id, number,
    created_at, signed_at, validated_at, updated_at, signature_seq
);
