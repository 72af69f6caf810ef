-- A launch may come from outside any course (the LTI context claim is optional): a session's
-- course becomes optional.
ALTER TABLE sessions ALTER COLUMN context_id DROP NOT NULL;
