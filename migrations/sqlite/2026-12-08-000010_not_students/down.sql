DROP TABLE not_students;
DROP TABLE moodle_course_roles;
ALTER TABLE context_launches DROP COLUMN staff;
