-- 0003-search: full-text vectors out of the insert path.
--
-- 0001 indexed patch_fts(name, content, diff) and cover_fts(name, content)
-- with expression GIN indexes, so every INSERT of a patch or cover ran
-- to_tsvector() over up to 193,000 characters: a fifth of the server's
-- CPU per mail during an archive import.  The vectors now live in side
-- tables that `pw cron` (task "search", common/search.c) fills in
-- bounded batches a few minutes after the mail arrived.  Search queries
-- join them:
--
--	SELECT p.id FROM patch_search s JOIN patch p ON p.id = s.patch_id
--	WHERE s.vec @@ websearch_to_tsquery('english', $1)
--
-- A patch is findable by its words once the indexer has run; until then
-- (and after a migration import, until `pw cron --all` has worked through
-- the backlog) only by name (the trigram index) and its other fields.
-- patch_fts() and cover_fts() stay: the indexer computes the vectors with
-- them, and their comment in 0001 explains the slices that keep a vector
-- under the 1 MB limit.
--
-- How the indexer finds work without touching the insert path:
--  - new rows: search_state.done_id is a watermark; every row with a
--    smaller or equal id has its vector.  Rows above it without a vector
--    are the work (an index range scan of the primary key with a probe
--    of the side table's).  The watermark only advances past ids that no
--    running transaction can still commit (see search.c).
--  - changed rows: an UPDATE of name, content or diff (a re-parse) puts
--    the row's id into search_queue; the indexer recomputes and dequeues.
--  - deleted rows: the side tables cascade.
--
-- This file runs inside the transaction of `pw db sync`: no BEGIN/COMMIT.

DROP INDEX patch_fts_idx;
DROP INDEX cover_fts_idx;

CREATE TABLE patch_search (
	patch_id	bigint PRIMARY KEY REFERENCES patch ON DELETE CASCADE
			DEFERRABLE INITIALLY IMMEDIATE,
	vec		tsvector NOT NULL
);
CREATE INDEX patch_search_vec_idx ON patch_search USING gin (vec);

CREATE TABLE cover_search (
	cover_id	bigint PRIMARY KEY REFERENCES cover ON DELETE CASCADE
			DEFERRABLE INITIALLY IMMEDIATE,
	vec		tsvector NOT NULL
);
CREATE INDEX cover_search_vec_idx ON cover_search USING gin (vec);

-- One row per indexed table.  done_id: every row with id <= done_id has
-- its vector (or was deleted).  seen_id, seen_xmax, seen_at: the highest
-- id a run saw, the xmax of its snapshot and when; once every
-- transaction older than seen_xmax has ended (and a minute has passed),
-- no row with an id <= seen_id can appear any more, and done_id may
-- move up to seen_id.
CREATE TABLE search_state (
	kind		text PRIMARY KEY CHECK (kind IN ('patch', 'cover')),
	done_id		bigint NOT NULL DEFAULT 0,
	seen_id		bigint NOT NULL DEFAULT 0,
	seen_xmax	xid8,
	seen_at		timestamptz
);
INSERT INTO search_state (kind) VALUES ('patch'), ('cover');

-- Rows whose text changed after they were indexed (or before: the
-- indexer does not mind).  No foreign key: a deleted row's entry is
-- simply dropped by the next run.  The trigger upserts with DO UPDATE
-- so that the entry stays locked until the update commits: the indexer
-- skips locked entries and so never reads the text before the change.
CREATE TABLE search_queue (
	kind		text NOT NULL CHECK (kind IN ('patch', 'cover')),
	obj_id		bigint NOT NULL,
	PRIMARY KEY (kind, obj_id)
);

CREATE FUNCTION search_queue_patch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO search_queue (kind, obj_id) VALUES ('patch', NEW.id)
		ON CONFLICT (kind, obj_id) DO UPDATE SET obj_id = EXCLUDED.obj_id;
	RETURN NULL;
END $$;

CREATE FUNCTION search_queue_cover() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO search_queue (kind, obj_id) VALUES ('cover', NEW.id)
		ON CONFLICT (kind, obj_id) DO UPDATE SET obj_id = EXCLUDED.obj_id;
	RETURN NULL;
END $$;

CREATE TRIGGER patch_search_queue_trg
	AFTER UPDATE OF name, content, diff ON patch FOR EACH ROW
	WHEN (OLD.name IS DISTINCT FROM NEW.name
		OR OLD.content IS DISTINCT FROM NEW.content
		OR OLD.diff IS DISTINCT FROM NEW.diff)
	EXECUTE FUNCTION search_queue_patch();

CREATE TRIGGER cover_search_queue_trg
	AFTER UPDATE OF name, content ON cover FOR EACH ROW
	WHEN (OLD.name IS DISTINCT FROM NEW.name
		OR OLD.content IS DISTINCT FROM NEW.content)
	EXECUTE FUNCTION search_queue_cover();
