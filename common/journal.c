/* Maintenance of the raw mail journal; see journal.h. */
#include "db.h"
#include "journal.h"

enum {
	ST_PRUNE,
	ST_PRUNE_COUNT,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_PRUNE] = { "journal_prune",
	    "DELETE FROM mail WHERE status = 'no_project'"
	    " AND received_at < now() - make_interval(days => $1::int)", 1 },
	[ST_PRUNE_COUNT] = { "journal_prune_count",
	    "SELECT count(*) FROM mail WHERE status = 'no_project'"
	    " AND received_at < now() - make_interval(days => $1::int)", 1 },
};

int
journal_prune(struct db *db, int days, int dry_run, int64_t *count)
{
	struct dbres *r;

	*count = 0;
	r = db_run(db, &stmts[dry_run ? ST_PRUNE_COUNT : ST_PRUNE],
	    DB_I64(days));
	if (r == NULL)
		return -1;
	*count = dry_run ? dbres_i64(r, 0, 0) : dbres_affected(r);
	dbres_free(r);
	return 0;
}
