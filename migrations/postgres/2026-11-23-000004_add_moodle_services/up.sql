-- Moodle services: grade delivery bookkeeping, line items found or created by the tool,
-- Dynamic Registration invites, launches per course, the NRPS roster, Moodle web service
-- tokens, and group names and members read through them.

-- Delivery: the lease token fences the bookkeeping of the worker that holds the lease;
-- error_kind names the last failure for staff ("no_gradebook_role", "grades_not_enabled"…).
ALTER TABLE grade_outbox ADD COLUMN lease_token TEXT;
ALTER TABLE grade_outbox ADD COLUMN error_kind TEXT;
ALTER TABLE grade_outbox ADD COLUMN last_attempt_at BIGINT;
CREATE INDEX grade_outbox_context ON grade_outbox (context_id, state);
CREATE INDEX grade_outbox_platform ON grade_outbox (platform_id, state);

-- The tool's line item of a placement that has no `lineitem` claim (found by resource link
-- id and tag in the platform's line items, or created there).
CREATE TABLE ags_line_items (
    resource_link_id TEXT PRIMARY KEY NOT NULL REFERENCES resource_links (id) ON DELETE CASCADE,
    lineitem_url TEXT NOT NULL,
    created_by_tool BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

-- One-time Dynamic Registration links (`cpre platform invite`): only the SHA-256 of the secret.
CREATE TABLE registration_invites (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    platform_id TEXT REFERENCES platforms (id) ON DELETE SET NULL
);

-- Who opened the tool in which course (first and latest launch, the latter to the hour).
CREATE TABLE context_launches (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (context_id, user_id)
);
CREATE INDEX context_launches_last ON context_launches (last_at);

-- The course roster as NRPS gives it (roles as given: "Learner", "Instructor", or URIs).
CREATE TABLE roster_members (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    user_sub TEXT NOT NULL,
    name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    email TEXT NOT NULL,
    person_sourcedid TEXT NOT NULL,
    username TEXT NOT NULL,
    roles TEXT NOT NULL,
    status TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (context_id, user_sub)
);

-- Roster and group synchronisation of a course: when, how many, the last error, a lease.
CREATE TABLE roster_syncs (
    context_id TEXT PRIMARY KEY NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    synced_at BIGINT,
    members INTEGER NOT NULL,
    last_attempt_at BIGINT,
    last_error TEXT,
    groups_synced_at BIGINT,
    groups_error TEXT,
    lease_until BIGINT
);

-- A Moodle web service token per platform (optional), to read group names and members.
CREATE TABLE platform_webservices (
    platform_id TEXT PRIMARY KEY NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE moodle_groups (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    idnumber TEXT NOT NULL,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (context_id, group_id)
);

CREATE TABLE moodle_group_members (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL,
    user_sub TEXT NOT NULL,
    PRIMARY KEY (context_id, group_id, user_sub)
);
CREATE INDEX moodle_group_members_user ON moodle_group_members (context_id, user_sub);
