-- The student's contract: each course's configuration (academic year, scolarité contact),
-- its formations and the Moodle groups mapped to them, the published (immutable) questionnaire
-- versions, the contracts with every signed version and their history, the counters behind
-- contract numbers, and the students no formation could be found for.
-- Formations are archived, never deleted (contracts point to them); every reference cascades
-- only so that removing a platform or a course removes what was recorded under it.

CREATE TABLE course_configs (
    context_id TEXT PRIMARY KEY NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    academic_year TEXT NOT NULL,
    contact TEXT NOT NULL,
    source_file TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    configured_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE questionnaire_versions (
    id TEXT PRIMARY KEY NOT NULL,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    questionnaire_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    UNIQUE (context_id, questionnaire_key, version)
);

CREATE TABLE formations (
    id TEXT PRIMARY KEY NOT NULL,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    questionnaire_key TEXT NOT NULL,
    data TEXT NOT NULL,
    referent TEXT NOT NULL,
    info TEXT,
    position INTEGER NOT NULL,
    archived_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (context_id, code)
);

-- A Moodle group belongs to at most one formation of a course (the primary key says so).
CREATE TABLE formation_groups (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL,
    formation_id TEXT NOT NULL REFERENCES formations (id) ON DELETE CASCADE,
    PRIMARY KEY (context_id, group_id)
);
CREATE INDEX formation_groups_formation ON formation_groups (formation_id);

-- One contract per student, formation and academic year.
CREATE TABLE contracts (
    id TEXT PRIMARY KEY NOT NULL,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    formation_id TEXT NOT NULL REFERENCES formations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    academic_year TEXT NOT NULL,
    questionnaire_version_id TEXT NOT NULL REFERENCES questionnaire_versions (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    answers TEXT NOT NULL,
    pages_done TEXT NOT NULL,
    revision INTEGER NOT NULL,
    previous_contract_id TEXT REFERENCES contracts (id) ON DELETE SET NULL,
    number TEXT UNIQUE,
    signature_seq INTEGER NOT NULL,
    signed_at BIGINT,
    fingerprint TEXT,
    validated_at BIGINT,
    validated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, formation_id, academic_year)
);
CREATE INDEX contracts_formation ON contracts (context_id, formation_id, academic_year, state);
CREATE INDEX contracts_user ON contracts (user_id, academic_year);

-- Every signed version of a contract, kept for good (an amendment adds one).
CREATE TABLE contract_signatures (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    questionnaire_version_id TEXT NOT NULL REFERENCES questionnaire_versions (id) ON DELETE CASCADE,
    content TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    signed_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (contract_id, seq)
);

-- What happened to a contract, in order: started, signed, reopened, validated…
CREATE TABLE contract_events (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    detail TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX contract_events_contract ON contract_events (contract_id, at);

-- Last contract number given, per scope (the first year of the academic year: CPRE-2025-000042).
CREATE TABLE contract_counters (
    scope TEXT PRIMARY KEY NOT NULL,
    last_value BIGINT NOT NULL
);

-- Students who opened the contract but are in no group mapped to a formation of the course.
CREATE TABLE unrouted_students (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_ids TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    launches INTEGER NOT NULL,
    PRIMARY KEY (context_id, user_id)
);
CREATE INDEX unrouted_students_seen ON unrouted_students (context_id, last_seen);
