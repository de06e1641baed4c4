#ifndef PW_JOURNAL_H
#define PW_JOURNAL_H
/*
 * Maintenance of the raw mail journal (table mail), shared by
 * `pw mail prune` and `pw cron`.
 *
 * journal_prune() deletes the entries that matched no project
 * (status no_project) received more than days days ago, or with dry_run
 * only counts them; *count gets the number.  Other entries are kept for
 * ever: they are what the objects were made from.  Returns 0, or -1 when
 * the statement failed (logged; db.err says why).
 */
#include <stdint.h>

struct db;

int	journal_prune(struct db *, int days, int dry_run, int64_t *count);

#endif
