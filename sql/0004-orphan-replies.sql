-- 0004-orphan-replies: replies that arrived before what they answer.
--
-- After an outage the MTA delivers its backlog in parallel, so a reply
-- can be processed before the patch or cover letter it answers; it then
-- finds no parent and is journaled as 'dropped'.  Ingest keeps the
-- reply's references (spec §2.4, each cut to 255 characters) in refs,
-- and when it later stores a patch, a cover letter or a comment, it looks
-- up the recent dropped entries of the project whose refs name that
-- message and parses them again, so the end state is the one of in-order
-- delivery.  Only dropped entries are indexed (few rows).
--
-- This file runs inside the transaction of `pw db sync`: no BEGIN/COMMIT.

ALTER TABLE mail ADD COLUMN refs text[];
CREATE INDEX mail_orphan_refs_idx ON mail USING gin (refs)
	WHERE status = 'dropped' AND refs IS NOT NULL;
