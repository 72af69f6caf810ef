-- Who is not a student of a course, whatever the roster says (Moodle's NRPS lists a
-- non-editing teacher as a Learner):
-- * whoever launched the tool in the course with a staff role (teacher, administrator);
ALTER TABLE context_launches ADD COLUMN staff BOOLEAN NOT NULL DEFAULT FALSE;
-- * the roles Moodle's web service gives each enrolled user in the course (shortnames:
--   editingteacher, teacher, manager, student…), when the platform has a web service token;
CREATE TABLE moodle_course_roles (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    user_sub TEXT NOT NULL,
    shortname TEXT NOT NULL,
    PRIMARY KEY (context_id, user_sub, shortname)
);
-- * and the people a designer or a gestionnaire marked « pas un étudiant » (kept across
--   roster synchronisations).
CREATE TABLE not_students (
    context_id TEXT NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    user_sub TEXT NOT NULL,
    marked_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    marked_at BIGINT NOT NULL,
    PRIMARY KEY (context_id, user_sub)
);
