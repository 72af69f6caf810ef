DROP TABLE course_years;
DROP TABLE questionnaire_drafts;
