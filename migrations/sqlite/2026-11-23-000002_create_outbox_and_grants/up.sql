-- The grade outbox (written in the same transaction as a signature, delivered by a worker)
-- and the staff grants recorded in the tool (designers, gestionnaires).

CREATE TABLE grade_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    resource_link_id TEXT NOT NULL REFERENCES resource_links (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    contract_id TEXT,
    user_sub TEXT NOT NULL,
    lineitem_url TEXT,
    lineitems_url TEXT,
    scopes TEXT NOT NULL,
    completed BOOLEAN NOT NULL,
    comment TEXT NOT NULL,
    score_timestamp BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX grade_outbox_due ON grade_outbox (state, next_attempt_at);
CREATE INDEX grade_outbox_user ON grade_outbox (user_id, resource_link_id);

CREATE TABLE course_grants (
    id TEXT PRIMARY KEY NOT NULL,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    formation_id TEXT,
    granted_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX course_grants_user ON course_grants (context_id, user_id);
