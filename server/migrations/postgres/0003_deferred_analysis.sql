-- Near-duplicate analysis runs after the verified receipt (server/src/analysis.rs): completing an
-- upload leaves analysed_at_ms NULL; an analyser claims the capture (analysis_claim, a random
-- token, and when), records the perceptual hash, compares it with the other stations' images and
-- sets analysed_at_ms. Captures completed before this migration were analysed at intake.
ALTER TABLE submissions ADD COLUMN analysed_at_ms BIGINT;
ALTER TABLE submissions ADD COLUMN analysis_claim TEXT;
ALTER TABLE submissions ADD COLUMN analysis_claimed_at_ms BIGINT;
UPDATE submissions SET analysed_at_ms = image_received_at_ms WHERE status = 'verified';
CREATE INDEX submissions_unanalysed ON submissions(image_received_at_ms)
    WHERE status = 'verified' AND analysed_at_ms IS NULL;
