DROP TABLE course_grants;
DROP TABLE grade_outbox;
