-- A launch may come from outside any course (the LTI context claim is optional): a session's
-- course becomes optional. SQLite cannot drop NOT NULL in place: the table is rebuilt (nothing
-- references sessions).
CREATE TABLE sessions_new (
    id TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    context_id TEXT REFERENCES contexts (id) ON DELETE CASCADE,
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
INSERT INTO sessions_new SELECT id, platform_id, user_id, context_id, resource_link_id,
    deployment_id, message_type, tool_role, roles, group_ids, csrf_token, binding_hash,
    binding_state, launch, created_at, expires_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_expires ON sessions (expires_at);
