-- The designer's screens: questionnaire drafts kept until published (a draft may not load
-- yet: its text is kept as typed), and the academic years of a course (opened, closed).

CREATE TABLE questionnaire_drafts (
    id TEXT PRIMARY KEY NOT NULL,
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    -- The key and title read from the text ('' while the text does not tell).
    questionnaire_key TEXT NOT NULL,
    title TEXT NOT NULL,
    -- The published version it was started from, if any.
    base_version_id TEXT REFERENCES questionnaire_versions (id) ON DELETE SET NULL,
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    -- Incremented at every save; forms carry it to detect a concurrent change.
    revision INTEGER NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    updated_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX questionnaire_drafts_context ON questionnaire_drafts (context_id, updated_at);

-- The academic years of a course: the current one is course_configs.academic_year; a closed
-- year is read-only for students (staff still read it).
CREATE TABLE course_years (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    academic_year TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (context_id, academic_year)
);
