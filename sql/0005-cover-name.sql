-- 0005-cover-name: an equality index on cover letter names.
--
-- Ingest asks whether another cover letter of the project already has a
-- new cover's name (spec §7.3, with our deviation D1).  No index served
-- `name = $1`: the trigram index is for substrings, so the question was a
-- sequential scan of every cover, a cost that grew with the archive.  A
-- hash index answers equality at any name length (a B-tree entry is
-- limited to about 2.7 kB, and a subject has no such bound).
--
-- This file runs inside the transaction of `pw db sync`: no BEGIN/COMMIT.

CREATE INDEX cover_name_hash_idx ON cover USING hash (name);
