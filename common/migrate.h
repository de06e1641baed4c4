#ifndef PW_MIGRATE_H
#define PW_MIGRATE_H
/*
 * Schema migrations, compiled in from sql/NNNN-name.sql by tools/sql2c.
 */
#include <stddef.h>
#include <stdio.h>

struct db;

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* Highest version this binary knows. */
int	migrate_latest(void);

/*
 * Check that the database's recorded migrations equal the compiled-in
 * list.  Returns 0 when they do; otherwise logs what is wrong ("database
 * schema is newer than this pw (version N)" or "database needs `pw db
 * sync`") and returns -1 with db->err set (DB_UNAVAILABLE when the
 * database could not be reached).  Every program calls this at start-up.
 */
int	migrate_check(struct db *);

/*
 * `pw db sync`: under the advisory lock DB_LOCK_MIGRATE (waiting for a
 * sync already running), create schema_migrations if missing, refuse a
 * database with a version this binary does not know, a recorded checksum
 * (sha256 of the SQL text) that differs from the compiled-in file unless
 * force (which then records the new checksum), or a pending version
 * lower than an applied one; then apply each pending migration in its own
 * transaction, printing "applied NNNN-name" to report.  With dry_run,
 * print the pending ones ("NNNN-name") and change nothing.  The session's
 * statement_timeout is lifted while it runs.  0, or -1 after logging:
 * db->err is DB_UNAVAILABLE when the server could not be reached or a
 * lock timed out; otherwise db->sqlstate is empty when the database was
 * refused (nothing was run) and set when a statement failed.
 */
int	migrate_sync(struct db *, int force, int dry_run, FILE *report);

/*
 * One line per version known or recorded, in order:
 * "NNNN-name<TAB>state[<TAB>applied_at<TAB>pw_version]" where state is
 * applied, pending, changed (checksum differs) or unknown (recorded but
 * not compiled in).  0 or -1.
 */
int	migrate_status(struct db *, FILE *);

#endif
