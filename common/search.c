/*
 * The full-text indexer; the contract is in search.h, the tables in
 * sql/0003-search.sql.
 *
 * New rows.  A row's id is allocated (nextval) when its INSERT runs, but
 * it becomes visible only when its transaction commits, so ids do not
 * appear in order: a batch of an archive import may commit id 1000 after
 * a pipe delivery committed 1001.  The indexer therefore never trusts
 * "everything up to the highest id I saw is done" at once.  Each batch
 * looks for rows above the watermark done_id that have no vector (a
 * range scan of the primary key, probing the side table's; OFFSET 0
 * keeps the probe a per-row sub-plan, where the planner might pick a
 * merge anti-join reading the side table's index from its start in
 * every batch), and the
 * first batch of a run, the only one that scans from done_id itself,
 * also moves the watermark: up to seen_id, the highest id a previous run
 * saw, once every transaction that was running when it saw it has ended
 * (the snapshot's xmin has passed that run's xmax) and a minute has
 * passed (an INSERT may take its id a moment before its transaction
 * gets an xid: a row that slips through even so is caught as soon as
 * it commits, unless the watermark passed it first, which needs one
 * INSERT to take over a minute between the two).  Later batches of the
 * same run continue after the last id they indexed, so a backlog of a
 * million rows is one pass, not a quadratic rescan.
 *
 * Changed rows.  The UPDATE trigger upserts (kind, id) into search_queue
 * (DO UPDATE, so the queue row is locked by the updating transaction
 * until it commits).  A batch deletes up to `batch` entries, skipping
 * locked ones (their update has not committed: the next run takes
 * them), and computes the vectors in a second statement, whose snapshot
 * is newer than every update whose entry it deleted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "log.h"
#include "search.h"

enum {
	ST_NEW_PATCH,
	ST_NEW_COVER,
	ST_DEQUEUE_PATCH,
	ST_DEQUEUE_COVER,
	ST_CHANGED_PATCH,
	ST_CHANGED_COVER,
	ST__MAX
};

/*
 * One batch of new rows of table t (side table s, key k, vector v):
 * $1 the batch size, $2 the id to continue after (0: scan from the
 * watermark, and move it).  Returns how many were indexed and the
 * highest id among them.
 */
#define NEW_SQL(kind, t, s, k, v)					\
	"WITH st AS (SELECT done_id, seen_id, seen_xmax, seen_at"	\
	" FROM search_state WHERE kind = '" kind "' FOR UPDATE),"	\
	" c AS (SELECT x.id FROM " t " x WHERE x.id > greatest("	\
	" (SELECT done_id FROM st), $2::bigint) AND NOT EXISTS"		\
	" (SELECT 1 FROM " s " y WHERE y." k " = x.id OFFSET 0)"	\
	" ORDER BY x.id LIMIT $1),"					\
	" ins AS (INSERT INTO " s " (" k ", vec) SELECT x.id, " v	\
	" FROM " t " x WHERE x.id IN (SELECT id FROM c)"		\
	" ON CONFLICT (" k ") DO UPDATE SET vec = EXCLUDED.vec"		\
	" RETURNING " k "),"						\
	" n AS (SELECT count(*) AS n, max(" k ") AS last FROM ins),"	\
	" z AS (SELECT st.*, n.n, n.last, $2::bigint = 0"		\
	" AND (st.seen_xmax IS NULL OR (pg_snapshot_xmin("		\
	"pg_current_snapshot()) >= st.seen_xmax"			\
	" AND st.seen_at <= now() - interval '1 minute')) AS settled"	\
	" FROM st, n),"							\
	" u AS (UPDATE search_state s SET"				\
	" done_id = greatest(z.done_id, least(z.seen_id, CASE"		\
	" WHEN z.n < $1 THEN z.seen_id ELSE z.last END)),"		\
	" seen_id = (SELECT coalesce(max(id), 0) FROM " t "),"		\
	" seen_xmax = pg_snapshot_xmax(pg_current_snapshot()),"		\
	" seen_at = now()"						\
	" FROM z WHERE s.kind = '" kind "' AND z.settled)"		\
	" SELECT n, coalesce(last, 0) FROM n"

#define DEQUEUE_SQL(kind)						\
	"DELETE FROM search_queue WHERE kind = '" kind "' AND obj_id IN" \
	" (SELECT obj_id FROM search_queue WHERE kind = '" kind "'"	\
	" ORDER BY obj_id LIMIT $1 FOR UPDATE SKIP LOCKED)"		\
	" RETURNING obj_id"

#define CHANGED_SQL(t, s, k, v)						\
	"INSERT INTO " s " (" k ", vec) SELECT x.id, " v " FROM " t " x"	\
	" WHERE x.id = ANY ($1::bigint[])"				\
	" ON CONFLICT (" k ") DO UPDATE SET vec = EXCLUDED.vec"

#define PATCH_VEC	"patch_fts(x.name, x.content, x.diff)"
#define COVER_VEC	"cover_fts(x.name, x.content)"

static const struct stmt_def stmts[ST__MAX] = {
	[ST_NEW_PATCH] = { "search_new_patch",
	    NEW_SQL("patch", "patch", "patch_search", "patch_id", PATCH_VEC),
	    2 },
	[ST_NEW_COVER] = { "search_new_cover",
	    NEW_SQL("cover", "cover", "cover_search", "cover_id", COVER_VEC),
	    2 },
	[ST_DEQUEUE_PATCH] = { "search_dequeue_patch", DEQUEUE_SQL("patch"), 1 },
	[ST_DEQUEUE_COVER] = { "search_dequeue_cover", DEQUEUE_SQL("cover"), 1 },
	[ST_CHANGED_PATCH] = { "search_changed_patch",
	    CHANGED_SQL("patch", "patch_search", "patch_id", PATCH_VEC), 1 },
	[ST_CHANGED_COVER] = { "search_changed_cover",
	    CHANGED_SQL("cover", "cover_search", "cover_id", COVER_VEC), 1 },
};

/* One batch of queued rows: how many entries it took, or -1. */
static int
changed_batch(struct db *db, int cover, int batch)
{
	struct buf ids = BUF_INIT;
	struct dbres *r = NULL;
	int i, n = -1;

	if (db_begin(db) == -1)
		return -1;
	r = db_run(db, &stmts[cover ? ST_DEQUEUE_COVER : ST_DEQUEUE_PATCH],
	    DB_I64(batch));
	if (r == NULL)
		goto out;
	buf_addc(&ids, '{');
	for (i = 0; i < dbres_rows(r); i++)
		buf_addf(&ids, "%s%" PRId64, i ? "," : "", dbres_i64(r, i, 0));
	buf_addc(&ids, '}');
	if (dbres_rows(r) > 0 && db_run_do(db, &stmts[cover ?
	    ST_CHANGED_COVER : ST_CHANGED_PATCH], DB_STR(ids.s)) == -1)
		goto out;
	if (db_commit(db) == -1)
		goto out;
	n = dbres_rows(r);
out:
	if (n == -1)
		db_rollback(db);
	dbres_free(r);
	buf_release(&ids);
	return n;
}

/*
 * One batch of new rows after id *after (0: from the watermark), which
 * it moves to the last id indexed; how many, or -1.
 */
static int
new_batch(struct db *db, int cover, int batch, int64_t *after)
{
	struct dbres *r;
	int n;

	/* one statement: its own transaction */
	r = db_run(db, &stmts[cover ? ST_NEW_COVER : ST_NEW_PATCH],
	    DB_I64(batch), DB_I64(*after));
	if (r == NULL)
		return -1;
	n = (int)dbres_i64(r, 0, 0);
	if (n > 0)
		*after = dbres_i64(r, 0, 1);
	dbres_free(r);
	return n;
}

int
search_index(struct db *db, int batch, int max_batches, struct search_stats *st)
{
	int cover, n, k;
	int64_t after;

	for (cover = 0; cover <= 1; cover++) {
		for (k = 0; max_batches == 0 || k < max_batches; k++) {
			if ((n = changed_batch(db, cover, batch)) == -1)
				return -1;
			st->batches += n > 0;
			st->changed += (unsigned long)n;
			if (n < batch)
				break;
		}
		if (max_batches != 0 && k == max_batches)
			st->more = 1;
		after = 0;
		for (k = 0; max_batches == 0 || k < max_batches; k++) {
			if ((n = new_batch(db, cover, batch, &after)) == -1)
				return -1;
			st->batches++;
			if (cover)
				st->covers += (unsigned long)n;
			else
				st->patches += (unsigned long)n;
			log_debug("search: %d new %s vectors, up to id %" PRId64,
			    n, cover ? "cover" : "patch", after);
			if (n < batch)
				break;
		}
		if (max_batches != 0 && k == max_batches)
			st->more = 1;
	}
	return 0;
}
