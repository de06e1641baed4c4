#ifndef PW_DB_H
#define PW_DB_H
/*
 * PostgreSQL access over libpq.
 *
 * Every statement is a struct stmt_def in a static table of the module
 * that uses it (see STYLE.md 4.5).  Values only ever travel as $n
 * parameters; SQL text is never built from input.  A statement is
 * prepared on its connection the first time it runs (by name, so names
 * must be unique program-wide: prefix them with the module) and again
 * after a reconnect.  The connection remembers the name and SQL pointers
 * of what it prepared, so stmt_def strings must be static; a second
 * statement with a known name but different SQL is refused as a bug.
 *
 * Parameters: text, except DB_BYTEA, sent in binary format (any bytes,
 * NUL included; a NULL pointer sends SQL NULL).  Results come back as
 * text; dbres_bytea() decodes a bytea column.
 *
 * Lifecycle:
 *  1. db_init(&db, conninfo): no connection yet;
 *  2. db_connect(&db) (or let db_exec() connect lazily); it sets
 *     TimeZone=UTC, the configured timeouts and db.options in the
 *     startup packet (libpq's "options", after any the connection
 *     string or PGOPTIONS gives), so they cost no round trip; through
 *     a service file it sets the first three with a statement instead
 *     and leaves db.options unsent (db.options_sent tells);
 *  3. db_exec()/db_run() as often as needed; results are freed with
 *     dbres_free(), or automatically at arena_reset() when db.arena is
 *     set (then dbres_free() is a no-op on them);
 *  4. db_ensure(&db) between requests: reconnects if the link is broken,
 *     forgetting the prepared statements;
 *  5. db_release(&db) closes.
 *
 * Failures: a function returning a pointer returns NULL, one returning
 * int returns -1.  The failure is logged once (statement name, SQLSTATE,
 * message) and classified in db.err:
 *  DB_UNAVAILABLE  connection failure or loss (class 08), admin/crash
 *                  shutdown (57P01-57P03), too many connections (53300),
 *                  lock timeout (55P03), query cancelled (57014),
 *                  serialization failure/deadlock (40001, 40P01), out of
 *                  disk (53100): worth retrying later (HTTP 503, exit 75);
 *  DB_DUPLICATE    unique violation (23505): logged at debug level only;
 *  DB_OTHER        anything else: a bug or bad data.
 * db.retryable is set for 40001/40P01: the unit of work may be retried
 * once at once.  A failure inside libpq itself (link lost while
 * sending, out of memory) has no SQLSTATE and is reported as 08006.
 * db.err, db.retryable and db.sqlstate are reset by every call that talks
 * to the server, except db_rollback(), which keeps the failure that led to
 * it; db.errmsg keeps the last message (with the server's DETAIL in
 * parentheses, e.g. which key is duplicate).
 *
 * Connecting: conninfo is passed to libpq as an expandable dbname, so
 * both URIs and keyword strings work and empty means libpq's defaults
 * (PGHOST, ...).  application_name defaults to the program name.
 *
 * db_ensure() also rolls back a transaction a unit of work left open
 * (logging a warning), and notices a connection the server closed while
 * it was idle, so the next statement does not fail for nothing.
 */
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct arena;

enum db_err {
	DB_OK = 0,
	DB_UNAVAILABLE,
	DB_DUPLICATE,
	DB_OTHER,
};

struct stmt_def {
	const char	*name;		/* unique program-wide, e.g. "patch_by_id" */
	const char	*sql;
	int		 nparams;
};

enum dbparam_kind {
	DBP_NULL,
	DBP_STR,	/* NUL-terminated text */
	DBP_TEXT,	/* text with explicit length (need not be terminated) */
	DBP_I64,
	DBP_BOOL,
	DBP_BYTEA,	/* binary, sent in binary format */
	DBP_F64,
};

struct dbparam {
	enum dbparam_kind	 kind;
	int64_t			 i;
	double			 f;
	const char		*s;
	size_t			 len;
};

/* Parameter constructors.  DB_STR(NULL) sends SQL NULL. */
#define DB_NULL		((struct dbparam){ .kind = DBP_NULL })
#define DB_STR(x)	((struct dbparam){ .kind = DBP_STR, .s = (x) })
#define DB_TEXT(x, n)	((struct dbparam){ .kind = DBP_TEXT, .s = (x), .len = (n) })
#define DB_I64(x)	((struct dbparam){ .kind = DBP_I64, .i = (x) })
#define DB_BOOL(x)	((struct dbparam){ .kind = DBP_BOOL, .i = !!(x) })
#define DB_BYTEA(x, n)	((struct dbparam){ .kind = DBP_BYTEA, .s = (const char *)(x), .len = (n) })
#define DB_F64(x)	((struct dbparam){ .kind = DBP_F64, .f = (x) })
/* An int64 id where 0 means "none" (NULL). */
#define DB_ID(x)	((x) ? DB_I64(x) : DB_NULL)

struct db {
	char		*conninfo;
	PGconn		*conn;
	struct arena	*arena;		/* when set, results die with it */
	enum db_err	 err;		/* class of the last failure */
	int		 retryable;	/* last failure was 40001/40P01 */
	char		 sqlstate[6];
	char		*errmsg;	/* last server message, owned */
	int		 in_tx;
	int		 statement_timeout;	/* ms, applied at connect */
	int		 lock_timeout;		/* ms, applied at connect */
	int		 connect_timeout;	/* s */
	unsigned long	 nqueries;	/* statements run, for tests */
	/*
	 * When set, db_exec() sends a prepared statement, calls idle(arg)
	 * while the server runs it, then waits for the result: client work
	 * that does not depend on the result (parsing the next mail of an
	 * import) overlaps the server's.  idle must not use this db.
	 */
	void		(*idle)(void *);
	void		*idle_arg;
	void		*prepared;	/* set of prepared statement names */
	/*
	 * Set before connecting: more session settings for the startup
	 * packet ("-c name=value ...", trusted text that must outlive the
	 * db), applied after TimeZone and the timeouts at no round trip.
	 */
	const char	*options;
	int		 options_sent;	/* the last connect sent them (no
					   service file in the way) */
	/*
	 * Run every statement as libpq's unnamed statement (one round trip
	 * instead of a prepare, then an execute), for a process that runs
	 * each statement once (pw ingress in pipe mode).
	 */
	int		 unnamed;
};

struct dbres {
	PGresult	*res;
	int		 rows;
	int		 in_arena;
};

void	 db_init(struct db *, const char *conninfo);
int	 db_connect(struct db *);
int	 db_ensure(struct db *);
void	 db_release(struct db *);
PGconn	*db_pgconn(struct db *);	/* for COPY; NULL if not connected */

/* Run a statement of a module's table with nparams parameters. */
struct dbres *db_exec(struct db *, const struct stmt_def *,
	    const struct dbparam *, int nparams);
#define db_run(db, st, ...) db_exec((db), (st),				\
	    (const struct dbparam[]){ __VA_ARGS__ },			\
	    (int)(sizeof((const struct dbparam[]){ __VA_ARGS__ }) /	\
	    sizeof(struct dbparam)))
#define db_run0(db, st)	db_exec((db), (st), NULL, 0)
/*
 * The same, run as libpq's unnamed statement: parsed and planned with the
 * actual parameter values every time, never with a generic plan.  For
 * statements whose optional conditions ($1 IS NULL OR ...) decide which
 * index is right (the API's list filters); everything else is better
 * prepared once by db_exec().
 */
struct dbres *db_exec_oneshot(struct db *, const struct stmt_def *,
	    const struct dbparam *, int nparams);
/* Like db_run but for statements returning no rows: 0 or -1. */
int	 db_do(struct db *, const struct stmt_def *,
	    const struct dbparam *, int nparams);
#define db_run_do(db, st, ...) db_do((db), (st),			\
	    (const struct dbparam[]){ __VA_ARGS__ },			\
	    (int)(sizeof((const struct dbparam[]){ __VA_ARGS__ }) /	\
	    sizeof(struct dbparam)))

/*
 * Simple-protocol execution of trusted SQL text compiled into the binary
 * (migrations, SET commands).  Never pass text derived from input.
 */
int	 db_exec_script(struct db *, const char *sql);
/* The same, naming the text in the log with the line of the error. */
int	 db_exec_script_as(struct db *, const char *label, const char *sql);
/* set_config(name, value) for the session, e.g. "statement_timeout". */
int	 db_set(struct db *, const char *name, const char *value);

/*
 * Transactions.  db_begin_mode takes e.g. "ISOLATION LEVEL SERIALIZABLE"
 * (trusted text).  Transactions do not nest: db_begin() inside one fails.
 * db_commit() of a transaction in which a statement failed returns -1
 * (the server rolled it back).
 */
int	 db_begin(struct db *);
int	 db_begin_mode(struct db *, const char *mode);
int	 db_commit(struct db *);
/* Safe when not in one; keeps db.err of the failure that led to it. */
int	 db_rollback(struct db *);

/*
 * Advisory locks on a 64-bit key (see DB_LOCK_* for keys in use).  A
 * session lock waits subject to lock_timeout (then DB_UNAVAILABLE);
 * db_unlock() of a lock not held is -1.
 */
int	 db_lock(struct db *, int64_t key);		/* session, waits */
int	 db_trylock(struct db *, int64_t key);		/* 1 got, 0 busy, -1 */
int	 db_unlock(struct db *, int64_t key);
int	 db_xact_lock(struct db *, int64_t key);	/* until tx end */

#define DB_LOCK_MIGRATE		0x7077000000000001LL	/* 'pw' 1 */
#define DB_LOCK_CRON		0x7077000000000002LL

/* Results.  Rows and columns are 0-based; out-of-range gives NULL/0. */
void	 dbres_free(struct dbres *);
int	 dbres_rows(const struct dbres *);
int	 dbres_isnull(const struct dbres *, int row, int col);
const char *dbres_str(const struct dbres *, int row, int col); /* NULL if null */
size_t	 dbres_len(const struct dbres *, int row, int col);
int64_t	 dbres_i64(const struct dbres *, int row, int col);  /* 0 if null */
int	 dbres_bool(const struct dbres *, int row, int col); /* 't' -> 1 */
double	 dbres_f64(const struct dbres *, int row, int col);
int	 dbres_cols(const struct dbres *);
/* Rows touched by an INSERT/UPDATE/DELETE (PQcmdTuples), else 0. */
int64_t	 dbres_affected(const struct dbres *);
/*
 * Decode a bytea column into a malloc'd copy (NUL-terminated for
 * convenience; *lenp is the real length).  NULL if the value is null.
 */
unsigned char *dbres_bytea(const struct dbres *, int row, int col,
	    size_t *lenp);

#endif
