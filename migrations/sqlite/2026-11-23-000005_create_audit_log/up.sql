-- Every staff read of a contract, export, validation and configuration change.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    context_id TEXT REFERENCES contexts (id) ON DELETE CASCADE,
    actor_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_context ON audit_log (context_id, created_at);
