DELETE FROM sessions WHERE context_id IS NULL;
CREATE TABLE sessions_old (
    id TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    resource_link_id TEXT REFERENCES resource_links (id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL,
    message_type TEXT NOT NULL,
    tool_role TEXT NOT NULL,
    roles TEXT NOT NULL,
    group_ids TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    binding_state TEXT NOT NULL,
    launch TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
INSERT INTO sessions_old SELECT * FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_old RENAME TO sessions;
CREATE INDEX sessions_expires ON sessions (expires_at);
