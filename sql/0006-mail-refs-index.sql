-- 0006-mail-refs-index: the index of early replies, without the status.
--
-- Ingest looks up the dropped replies that name a newly stored message
-- (0004).  With `status = 'dropped'` in both the index predicate and the
-- query, the query also matches mail_status_idx (status, received_at),
-- and with statistics not yet refreshed after a burst of mail the
-- planner took that one and filtered every dropped entry of the month:
-- milliseconds per stored patch, growing with the backlog.  Indexing
-- every row that has references lets the query ask for the references
-- alone and check the status on the few rows found.  Only replies that
-- were once dropped for want of a parent have refs, so the index stays
-- small.
--
-- This file runs inside the transaction of `pw db sync`: no BEGIN/COMMIT.

DROP INDEX mail_orphan_refs_idx;
CREATE INDEX mail_refs_idx ON mail USING gin (refs) WHERE refs IS NOT NULL;
