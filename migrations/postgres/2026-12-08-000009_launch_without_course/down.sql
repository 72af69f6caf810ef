DELETE FROM sessions WHERE context_id IS NULL;
ALTER TABLE sessions ALTER COLUMN context_id SET NOT NULL;
