#ifndef PW_MIGRATE_H
#define PW_MIGRATE_H
/*
 * Schema migrations, compiled in from sql/NNNN-name.sql by tools/sql2c.
 */
#include <stddef.h>

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

#endif
