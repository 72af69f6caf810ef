-- LTI foundation: platforms, deployments, tool keys, OIDC states, users, contexts,
-- resource links, sessions and the Moodle group ids seen in launches.
-- Times are microseconds since the Unix epoch (BIGINT), ids are UUID strings made in Rust.

CREATE TABLE platforms (
    id TEXT PRIMARY KEY NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    auth_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    jwks_url TEXT NOT NULL,
    token_audience TEXT,
    role_map TEXT,
    source TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (issuer, client_id)
);

CREATE TABLE deployments (
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (platform_id, deployment_id)
);

CREATE TABLE tool_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    private_pem TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

CREATE TABLE oidc_states (
    state TEXT PRIMARY KEY NOT NULL,
    nonce TEXT NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    deployment_id TEXT,
    target_link_uri TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_states_expires ON oidc_states (expires_at);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    sub TEXT NOT NULL,
    name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    email TEXT NOT NULL,
    person_sourcedid TEXT NOT NULL,
    username TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (platform_id, sub)
);

CREATE TABLE contexts (
    id TEXT PRIMARY KEY NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    lti_id TEXT NOT NULL,
    label TEXT NOT NULL,
    title TEXT NOT NULL,
    nrps_url TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (platform_id, lti_id)
);

CREATE TABLE resource_links (
    id TEXT PRIMARY KEY NOT NULL,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    lti_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    title TEXT NOT NULL,
    ags_lineitem TEXT,
    ags_lineitems TEXT,
    ags_scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (context_id, lti_id)
);

CREATE TABLE sessions (
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
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE user_groups (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (context_id, user_id, group_id)
);
CREATE INDEX user_groups_group ON user_groups (context_id, group_id);
