-- The signed manifest bytes (standard base64) next to the row, so completing an upload verifies
-- from the row instead of reading the manifest object back from the object store (an extra GET on
-- S3). The object store keeps the durable, content-addressed copy; rows from before this
-- migration have NULL here and are read from the store.
ALTER TABLE submissions ADD COLUMN manifest TEXT;

-- Perceptual-duplicate candidates (same election and constituency, with a perceptual hash):
-- without this, every completed upload scanned every submission of its constituency.
CREATE INDEX submissions_phash ON submissions(election_id, constituency)
    WHERE image_phash IS NOT NULL;
