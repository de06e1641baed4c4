#ifndef PW_SEARCH_H
#define PW_SEARCH_H
/*
 * The full-text indexer (sql/0003-search.sql): fills patch_search and
 * cover_search with the vectors of patch_fts() and cover_fts(), outside
 * the insert path, for `pw cron`.
 *
 * Work comes from two places: rows above the table's watermark
 * (search_state.done_id) that have no vector yet, and search_queue,
 * where an UPDATE of a row's text puts its id.  Each batch of at most
 * batch rows is its own transaction, so a long backlog (a migration
 * import of a million patches) never holds locks for long and an
 * interrupted run keeps what it did.  Running it again, or twice at once,
 * is harmless (the vectors are upserted); the caller still serialises
 * runs with DB_LOCK_CRON.
 *
 * search_index() does at most max_batches batches per table and per
 * source (0: until there is no work left), and adds what it did to *st.
 * Returns 0, or -1 when a statement failed (logged; db.err says why).
 */
#include <stdint.h>

struct db;

struct search_stats {
	unsigned long	 patches;	/* vectors written for new patches */
	unsigned long	 covers;	/* ... for new covers */
	unsigned long	 changed;	/* ... again, for changed rows */
	unsigned long	 batches;	/* transactions */
	int		 more;		/* the batch budget ran out first */
};

int	search_index(struct db *, int batch, int max_batches,
	    struct search_stats *st);

#endif
