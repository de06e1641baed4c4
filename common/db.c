/*
 * PostgreSQL access over libpq; the contract is in db.h.
 *
 * Prepared statements are remembered per connection in a small open
 * addressing set keyed by statement name; it is emptied whenever the
 * connection is replaced, since the server forgets them then.  The set
 * keeps the stmt_def's name and SQL pointers (static strings), which also
 * catches two different statements using one name.
 *
 * Parameters go as text, except bytea which goes in binary format so that
 * arbitrary bytes (NUL included) need no escaping.  Integers are formatted
 * into stack buffers; only statements with many parameters allocate.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "log.h"
#include "xalloc.h"

struct pentry {
	const char	*name;
	const char	*sql;
};

/* What db->prepared points to: the connection's private state. */
struct pset {
	struct pentry	*slot;
	size_t		 cap;	/* 0 or a power of two */
	size_t		 n;
	int		 broken;	/* link failed: db_ensure reconnects */
};

/*
 * The session settings, as a statement: for a connection through a
 * service file, whose own options the startup options would replace.
 */
static const char db_session_sql[] =
    "SELECT set_config('TimeZone', 'UTC', false),"
    " set_config('statement_timeout', $1, false),"
    " set_config('lock_timeout', $2, false)";

static const struct stmt_def db_stmts[] = {
#define STMT_LOCK	0
	{ "db_lock", "SELECT pg_advisory_lock($1::bigint)", 1 },
#define STMT_TRYLOCK	1
	{ "db_trylock", "SELECT pg_try_advisory_lock($1::bigint)", 1 },
#define STMT_UNLOCK	2
	{ "db_unlock", "SELECT pg_advisory_unlock($1::bigint)", 1 },
#define STMT_XACT_LOCK	3
	{ "db_xact_lock", "SELECT pg_advisory_xact_lock($1::bigint)", 1 },
#define STMT_SET	4
	{ "db_set", "SELECT set_config($1, $2, false)", 2 },
};


static uint64_t
hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Slot for name: its entry, or the empty slot where it would go. */
static struct pentry *
pset_find(struct pset *ps, const char *name)
{
	size_t i, mask = ps->cap - 1;

	for (i = hash_str(name) & mask; ps->slot[i].name != NULL;
	    i = (i + 1) & mask)
		if (strcmp(ps->slot[i].name, name) == 0)
			break;
	return &ps->slot[i];
}

static void
pset_add(struct pset *ps, const struct stmt_def *st)
{
	struct pentry *old, *e;
	size_t i, oldcap;

	if (2 * (ps->n + 1) > ps->cap) {
		old = ps->slot;
		oldcap = ps->cap;
		ps->cap = oldcap ? 2 * oldcap : 64;
		ps->slot = xcalloc(ps->cap, sizeof(*ps->slot));
		for (i = 0; i < oldcap; i++)
			if (old[i].name != NULL)
				*pset_find(ps, old[i].name) = old[i];
		free(old);
	}
	e = pset_find(ps, st->name);
	if (e->name == NULL)
		ps->n++;
	e->name = st->name;
	e->sql = st->sql;
}

static void
pset_clear(struct pset *ps)
{
	if (ps == NULL)
		return;
	if (ps->n > 0) {
		memset(ps->slot, 0, ps->cap * sizeof(*ps->slot));
		ps->n = 0;
	}
	ps->broken = 0;
}

static void
pset_free(struct pset *ps)
{
	if (ps != NULL)
		free(ps->slot);
	free(ps);
}

static void
db_clear_err(struct db *db)
{
	db->err = DB_OK;
	db->retryable = 0;
	db->sqlstate[0] = '\0';
}

/* Copy the first line of a libpq message, without the trailing newline. */
static char *
first_line(const char *msg)
{
	size_t n;

	if (msg == NULL)
		return xstrdup("unknown error");
	while (*msg == ' ' || *msg == '\n')
		msg++;
	n = strcspn(msg, "\n");
	return n ? xstrndup(msg, n) : xstrdup("unknown error");
}

/*
 * Why a connection failed, in one line for an MTA's log: which database
 * on which host, and libpq's reason without its framing ("connection to
 * server on socket \"...\" failed: ") or the hints on further lines.
 */
static char *
connect_error(PGconn *conn)
{
	static const char lead[] = "connection to server ";
	const char *db, *host, *port, *why;
	struct buf b = BUF_INIT;
	char *line, *p;

	if (conn == NULL)
		return xstrdup("out of memory");
	line = first_line(PQerrorMessage(conn));
	why = line;
	if (strncmp(line, lead, sizeof(lead) - 1) == 0 &&
	    (p = strstr(line, " failed: ")) != NULL)
		why = p + strlen(" failed: ");
	if (strncmp(why, "FATAL:", 6) == 0)
		why += 6;
	while (*why == ' ')
		why++;
	db = PQdb(conn);
	host = PQhost(conn);
	port = PQport(conn);
	buf_addf(&b, "cannot connect to database \"%s\"",
	    db != NULL ? db : "");
	if (host != NULL && host[0] != '\0')
		buf_addf(&b, " on %s", host);
	if (port != NULL && port[0] != '\0' && strcmp(port, "5432") != 0)
		buf_addf(&b, " port %s", port);
	buf_addf(&b, ": %s", why[0] != '\0' ? why : "unknown error");
	free(line);
	return buf_detach(&b, NULL);
}

static enum db_err
classify(const char *st, int *retryable)
{
	static const char *const unavailable[] = {
		"57P01", "57P02", "57P03",	/* admin/crash shutdown, cannot connect now */
		"53300",			/* too many connections */
		"55P03",			/* lock not available (lock_timeout) */
		"57014",			/* query cancelled (statement_timeout) */
		"53100",			/* disk full */
		"40001", "40P01",		/* serialization failure, deadlock */
	};
	size_t i;

	*retryable = strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0;
	if (strncmp(st, "08", 2) == 0)
		return DB_UNAVAILABLE;
	for (i = 0; i < sizeof(unavailable) / sizeof(unavailable[0]); i++)
		if (strcmp(st, unavailable[i]) == 0)
			return DB_UNAVAILABLE;
	if (strcmp(st, "23505") == 0)
		return DB_DUPLICATE;
	return DB_OTHER;
}

/*
 * Record and log a failure of statement `what`.  res may be NULL (libpq
 * could not even send).  pos_text, when not NULL, is the SQL text whose
 * error position is turned into a line number (scripts).
 */
static void
db_fail(struct db *db, const char *what, const PGresult *res,
    const char *pos_text)
{
	const char *st = NULL, *msg = NULL, *detail = NULL, *pos = NULL;
	struct buf b = BUF_INIT;
	long line = 0;
	char *m;

	if (res != NULL) {
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	}
	/*
	 * No SQLSTATE: libpq itself failed, nearly always because the link
	 * is gone (a failed send may leave PQstatus() OK until the next
	 * read), else out of memory.  Either way: try again later.
	 */
	if (st == NULL || st[0] == '\0')
		st = "08006";
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", st);
	db->err = classify(db->sqlstate, &db->retryable);
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0)
		((struct pset *)db->prepared)->broken = 1;

	if (msg != NULL)
		buf_adds(&b, msg);
	else {
		m = first_line(res != NULL ? PQresultErrorMessage(res) : NULL);
		if (strcmp(m, "unknown error") == 0 && db->conn != NULL) {
			free(m);
			m = first_line(PQerrorMessage(db->conn));
		}
		buf_adds(&b, m);
		free(m);
	}
	if (detail != NULL)
		buf_addf(&b, " (%s)", detail);
	free(db->errmsg);
	db->errmsg = buf_detach(&b, NULL);

	if (pos != NULL && pos_text != NULL) {
		long p = strtol(pos, NULL, 10), i;

		line = 1;
		for (i = 0; i < p - 1 && pos_text[i] != '\0'; i++)
			if (pos_text[i] == '\n')
				line++;
	}
	if (db->err == DB_DUPLICATE)
		log_debug("db: %s: %s [%s]", what, db->errmsg, db->sqlstate);
	else if (line > 0)
		log_warnx("db: %s:%ld: %s [%s]", what, line, db->errmsg,
		    db->sqlstate);
	else
		log_warnx("db: %s: %s [%s]", what, db->errmsg, db->sqlstate);
}

static void
db_bug(struct db *db, const char *fmt, const char *name)
{
	db->err = DB_OTHER;
	snprintf(db->sqlstate, sizeof(db->sqlstate), "XX000");
	free(db->errmsg);
	db->errmsg = xstrdup("internal error");
	log_warnx(fmt, name);
}

/*
 * Notices go to the debug log.  A FATAL message arriving while idle
 * (terminated backend, shutdown) comes this way too: the link is about
 * to close, so mark it for db_ensure().
 */
static void
notice_receiver(void *arg, const PGresult *res)
{
	struct pset *ps = arg;
	const char *sev, *st;
	char *m;

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if ((sev != NULL && (strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0)) ||
	    (st != NULL && (strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P0", 4) == 0)))
		ps->broken = 1;
	m = first_line(PQresultErrorMessage(res));
	log_debug("db: %s", m);
	free(m);
}

static int
res_ok(const PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		return 1;
	default:
		return 0;
	}
}

void
db_init(struct db *db, const char *conninfo)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo != NULL ? xstrdup(conninfo) : NULL;
	db->prepared = xcalloc(1, sizeof(struct pset));
}

static void
db_disconnect(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
	pset_clear(db->prepared);
}

/*
 * The startup options: the connection string's (else PGOPTIONS), then
 * the settings every connection starts with, then db.options.  A later
 * -c of the same name wins, so ours override the string's, as the
 * SET statements they replace did.  NULL when the connection string does
 * not parse (then libpq reports why), or names a service: the service
 * file may give options we cannot see from here, and ours would replace
 * them.
 */
static char *
startup_options(const struct db *db)
{
	PQconninfoOption *ci = NULL, *o;
	const char *base = getenv("PGOPTIONS");
	struct buf b = BUF_INIT;
	char *err = NULL;

	if (db->conninfo != NULL && db->conninfo[0] != '\0') {
		if ((ci = PQconninfoParse(db->conninfo, &err)) == NULL) {
			PQfreemem(err);
			return NULL;
		}
		for (o = ci; o->keyword != NULL; o++) {
			if (strcmp(o->keyword, "options") == 0 &&
			    o->val != NULL)
				base = o->val;
			if (strcmp(o->keyword, "service") == 0 &&
			    o->val != NULL && o->val[0] != '\0') {
				PQconninfoFree(ci);
				return NULL;
			}
		}
	}
	if (getenv("PGSERVICE") != NULL && getenv("PGSERVICE")[0] != '\0') {
		PQconninfoFree(ci);
		return NULL;
	}
	if (base != NULL && base[0] != '\0')
		buf_addf(&b, "%s ", base);
	buf_addf(&b, "-c TimeZone=UTC -c statement_timeout=%d "
	    "-c lock_timeout=%d",
	    db->statement_timeout > 0 ? db->statement_timeout : 0,
	    db->lock_timeout > 0 ? db->lock_timeout : 0);
	if (db->options != NULL && db->options[0] != '\0')
		buf_addf(&b, " %s", db->options);
	PQconninfoFree(ci);
	return buf_detach(&b, NULL);
}

int
db_connect(struct db *db)
{
	const char *kw[8], *val[8];
	char ctimeout[16], stimeout[16], ltimeout[16];
	const char *params[2];
	PGresult *res;
	char *m, *opts;
	int n = 0, sent;

	db_clear_err(db);
	db_disconnect(db);
	opts = startup_options(db);
	/* Before dbname: the connection string may override these. */
	if (db->connect_timeout > 0) {
		snprintf(ctimeout, sizeof(ctimeout), "%d", db->connect_timeout);
		kw[n] = "connect_timeout";
		val[n++] = ctimeout;
	}
	kw[n] = "fallback_application_name";
	val[n++] = program_invocation_short_name;
	if (db->conninfo != NULL && db->conninfo[0] != '\0') {
		kw[n] = "dbname";
		val[n++] = db->conninfo;
	}
	/* After dbname: our code speaks UTF-8 whatever the string says. */
	kw[n] = "client_encoding";
	val[n++] = "UTF8";
	if (opts != NULL) {
		kw[n] = "options";
		val[n++] = opts;
	}
	kw[n] = NULL;
	val[n] = NULL;

	db->conn = PQconnectdbParams(kw, val, 1);
	sent = opts != NULL;
	free(opts);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		m = connect_error(db->conn);
		db->err = DB_UNAVAILABLE;
		snprintf(db->sqlstate, sizeof(db->sqlstate), "08001");
		free(db->errmsg);
		db->errmsg = m;
		log_warnx("db: %s", m);
		db_disconnect(db);
		return -1;
	}
	PQsetNoticeReceiver(db->conn, notice_receiver, db->prepared);
	db->options_sent = sent;
	if (sent)
		return 0;
	snprintf(stimeout, sizeof(stimeout), "%d",
	    db->statement_timeout > 0 ? db->statement_timeout : 0);
	snprintf(ltimeout, sizeof(ltimeout), "%d",
	    db->lock_timeout > 0 ? db->lock_timeout : 0);
	params[0] = stimeout;
	params[1] = ltimeout;
	res = PQexecParams(db->conn, db_session_sql, 2, NULL, params, NULL,
	    NULL, 0);
	if (res == NULL || !res_ok(res)) {
		db_fail(db, "session settings", res, NULL);
		PQclear(res);
		db_disconnect(db);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
db_ensure(struct db *db)
{
	struct pollfd pfd;
	PGnotify *nt;
	PGresult *res;
	int i;

	db_clear_err(db);
	if (db->conn == NULL)
		return db_connect(db);
	/*
	 * An idle connection has nothing to read unless the server said
	 * goodbye (shutdown, terminated backend, idle timeout: a FATAL
	 * message, then end of file) or sent a notification.
	 */
	for (i = 0; i < 4 && PQstatus(db->conn) == CONNECTION_OK; i++) {
		pfd.fd = PQsocket(db->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
			break;
		if (!PQconsumeInput(db->conn))
			break;
		while ((nt = PQnotifies(db->conn)) != NULL)
			PQfreemem(nt);
	}
	if (PQstatus(db->conn) == CONNECTION_OK && PQsocket(db->conn) >= 0 &&
	    !((struct pset *)db->prepared)->broken) {
		switch (PQtransactionStatus(db->conn)) {
		case PQTRANS_IDLE:
			db->in_tx = 0;
			return 0;
		case PQTRANS_INTRANS:
		case PQTRANS_INERROR:
			log_warnx("db: rolling back a transaction left open");
			res = PQexec(db->conn, "ROLLBACK");
			db->in_tx = 0;
			if (res != NULL && res_ok(res)) {
				PQclear(res);
				return 0;
			}
			PQclear(res);
			break;
		default:	/* a command still running, or unknown */
			break;
		}
	}
	log_info("db: connection lost, reconnecting");
	return db_connect(db);
}

void
db_release(struct db *db)
{
	db_disconnect(db);
	pset_free(db->prepared);
	free(db->conninfo);
	free(db->errmsg);
	memset(db, 0, sizeof(*db));
}

PGconn *
db_pgconn(struct db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return NULL;
	return db->conn;
}

static void
res_clear(void *p)
{
	PQclear(p);
}

static struct dbres *
res_wrap(struct db *db, PGresult *res)
{
	struct dbres *r;

	if (db->arena != NULL) {
		r = arena_alloc(db->arena, sizeof(*r));
		arena_defer(db->arena, res_clear, res);
		r->in_arena = 1;
	} else {
		r = xmalloc(sizeof(*r));
		r->in_arena = 0;
	}
	r->res = res;
	r->rows = PQntuples(res);
	return r;
}

/* Make sure st is prepared on the current connection. */
static int
db_prepare(struct db *db, const struct stmt_def *st)
{
	struct pset *ps = db->prepared;
	struct pentry *e;
	PGresult *res;

	if (ps->cap > 0) {
		e = pset_find(ps, st->name);
		if (e->name != NULL) {
			if (e->sql == st->sql || strcmp(e->sql, st->sql) == 0)
				return 0;
			db_bug(db, "db: two statements are named %s", st->name);
			return -1;
		}
	}
	res = PQprepare(db->conn, st->name, st->sql, 0, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_fail(db, st->name, res, NULL);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	pset_add(ps, st);
	return 0;
}

#define DB_STACK_PARAMS	16

struct dbargs {
	const char	**val;
	int		 *len;
	int		 *fmt;
	char		(*num)[32];
	char		**tofree;
	const char	 *s_val[DB_STACK_PARAMS];
	int		  s_len[DB_STACK_PARAMS];
	int		  s_fmt[DB_STACK_PARAMS];
	char		  s_num[DB_STACK_PARAMS][32];
	char		 *s_tofree[DB_STACK_PARAMS];
};

static void
args_build(struct dbargs *a, const struct dbparam *p, int n)
{
	int i;

	if (n <= DB_STACK_PARAMS) {
		a->val = a->s_val;
		a->len = a->s_len;
		a->fmt = a->s_fmt;
		a->num = a->s_num;
		a->tofree = a->s_tofree;
	} else {
		a->val = xcalloc(n, sizeof(*a->val));
		a->len = xcalloc(n, sizeof(*a->len));
		a->fmt = xcalloc(n, sizeof(*a->fmt));
		a->num = xcalloc(n, sizeof(*a->num));
		a->tofree = xcalloc(n, sizeof(*a->tofree));
	}
	for (i = 0; i < n; i++) {
		a->len[i] = 0;
		a->fmt[i] = 0;
		a->tofree[i] = NULL;
		switch (p[i].kind) {
		case DBP_NULL:
			a->val[i] = NULL;
			break;
		case DBP_STR:
			a->val[i] = p[i].s;
			break;
		case DBP_TEXT:
			/* Text parameters travel NUL-terminated. */
			if (p[i].s == NULL)
				a->val[i] = NULL;
			else
				a->val[i] = a->tofree[i] =
				    xstrndup(p[i].s, p[i].len);
			break;
		case DBP_I64:
			snprintf(a->num[i], sizeof(a->num[i]), "%" PRId64,
			    p[i].i);
			a->val[i] = a->num[i];
			break;
		case DBP_BOOL:
			a->val[i] = p[i].i ? "t" : "f";
			break;
		case DBP_F64:
			if (isnan(p[i].f))
				a->val[i] = "NaN";
			else if (isinf(p[i].f))
				a->val[i] = p[i].f > 0 ? "Infinity" :
				    "-Infinity";
			else {
				snprintf(a->num[i], sizeof(a->num[i]), "%.17g",
				    p[i].f);
				a->val[i] = a->num[i];
			}
			break;
		case DBP_BYTEA:
			if (p[i].s == NULL)
				a->val[i] = NULL;
			else {
				a->val[i] = p[i].s;
				a->len[i] = (int)p[i].len;
				a->fmt[i] = 1;
			}
			break;
		}
	}
}

static void
args_release(struct dbargs *a, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(a->tofree[i]);
	if (a->val != a->s_val) {
		free(a->val);
		free(a->len);
		free(a->fmt);
		free(a->num);
		free(a->tofree);
	}
}

/*
 * PQexecPrepared() with db.idle run between sending and receiving: the
 * server works on the statement while the client does the idle work.
 */
static PGresult *
exec_overlapped(struct db *db, const struct stmt_def *st,
    const struct dbargs *a, int nparams)
{
	void (*idle)(void *) = db->idle;
	PGresult *res = NULL, *r;

	if (!PQsendQueryPrepared(db->conn, st->name, nparams, a->val, a->len,
	    a->fmt, 0))
		return NULL;
	db->idle = NULL;
	idle(db->idle_arg);
	db->idle = idle;
	while ((r = PQgetResult(db->conn)) != NULL) {
		if (res == NULL)
			res = r;
		else
			PQclear(r);
	}
	return res;
}

static struct dbres *
db_exec_how(struct db *db, const struct stmt_def *st, const struct dbparam *p,
    int nparams, int oneshot)
{
	struct dbargs a;
	PGresult *res;
	int i;

	db_clear_err(db);
	if (nparams != st->nparams) {
		db_bug(db, "db: %s: wrong number of parameters", st->name);
		return NULL;
	}
	for (i = 0; i < nparams; i++)
		if (p[i].kind == DBP_BYTEA && p[i].len > INT32_MAX) {
			db_bug(db, "db: %s: bytea parameter too large",
			    st->name);
			return NULL;
		}
	if (db->conn == NULL && db_connect(db) == -1)
		return NULL;
	if (db->unnamed)
		oneshot = 1;
	if (!oneshot && db_prepare(db, st) == -1)
		return NULL;
	args_build(&a, p, nparams);
	if (oneshot)
		res = PQexecParams(db->conn, st->sql, nparams, NULL, a.val,
		    a.len, a.fmt, 0);
	else if (db->idle != NULL)
		res = exec_overlapped(db, st, &a, nparams);
	else
		res = PQexecPrepared(db->conn, st->name, nparams, a.val,
		    a.len, a.fmt, 0);
	args_release(&a, nparams);
	db->nqueries++;
	if (res == NULL || !res_ok(res)) {
		db_fail(db, st->name, res, NULL);
		PQclear(res);
		return NULL;
	}
	return res_wrap(db, res);
}

struct dbres *
db_exec(struct db *db, const struct stmt_def *st, const struct dbparam *p,
    int nparams)
{
	return db_exec_how(db, st, p, nparams, 0);
}

struct dbres *
db_exec_oneshot(struct db *db, const struct stmt_def *st,
    const struct dbparam *p, int nparams)
{
	return db_exec_how(db, st, p, nparams, 1);
}

int
db_do(struct db *db, const struct stmt_def *st, const struct dbparam *p,
    int nparams)
{
	struct dbres *r;

	if ((r = db_exec(db, st, p, nparams)) == NULL)
		return -1;
	dbres_free(r);
	return 0;
}

/* Simple-protocol execution of trusted text; label names it in logs. */
static int
db_simple(struct db *db, const char *label, const char *sql, int lines)
{
	PGresult *res;

	db_clear_err(db);
	if (db->conn == NULL && db_connect(db) == -1)
		return -1;
	res = PQexec(db->conn, sql);
	db->nqueries++;
	if (res == NULL || !res_ok(res)) {
		db_fail(db, label, res, lines ? sql : NULL);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
db_exec_script(struct db *db, const char *sql)
{
	return db_simple(db, "script", sql, 1);
}

int
db_exec_script_as(struct db *db, const char *label, const char *sql)
{
	return db_simple(db, label, sql, 1);
}

int
db_set(struct db *db, const char *name, const char *value)
{
	return db_run_do(db, &db_stmts[STMT_SET], DB_STR(name), DB_STR(value));
}

int
db_begin(struct db *db)
{
	return db_begin_mode(db, NULL);
}

int
db_begin_mode(struct db *db, const char *mode)
{
	char sql[128];

	if (db->in_tx) {
		db_bug(db, "db: %s: already in a transaction", "begin");
		return -1;
	}
	if (mode != NULL && mode[0] != '\0') {
		if ((size_t)snprintf(sql, sizeof(sql), "BEGIN %s", mode) >=
		    sizeof(sql)) {
			db_bug(db, "db: %s: mode too long", "begin");
			return -1;
		}
	} else
		snprintf(sql, sizeof(sql), "BEGIN");
	if (db_simple(db, "begin", sql, 0) == -1)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
db_commit(struct db *db)
{
	PGresult *res;

	db_clear_err(db);
	if (db->conn == NULL) {
		db->in_tx = 0;
		db_fail(db, "commit", NULL, NULL);
		return -1;
	}
	res = PQexec(db->conn, "COMMIT");
	db->nqueries++;
	db->in_tx = 0;
	if (res == NULL || !res_ok(res)) {
		db_fail(db, "commit", res, NULL);
		PQclear(res);
		return -1;
	}
	/* COMMIT of a failed transaction "succeeds" as a ROLLBACK. */
	if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		PQclear(res);
		db->err = DB_OTHER;
		snprintf(db->sqlstate, sizeof(db->sqlstate), "25P02");
		free(db->errmsg);
		db->errmsg = xstrdup("transaction was aborted and rolled back");
		log_warnx("db: commit: %s", db->errmsg);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
db_rollback(struct db *db)
{
	enum db_err err = db->err;
	int retryable = db->retryable;
	char st[sizeof(db->sqlstate)];

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
		db->in_tx = 0;
		return 0;
	}
	db->in_tx = 0;
	memcpy(st, db->sqlstate, sizeof(st));
	if (db_simple(db, "rollback", "ROLLBACK", 0) == -1)
		return -1;
	/* Keep the failure that made the caller roll back. */
	db->err = err;
	db->retryable = retryable;
	memcpy(db->sqlstate, st, sizeof(st));
	return 0;
}

static int
lock_call(struct db *db, int which, int64_t key)
{
	struct dbres *r;
	int rc;

	r = db_run(db, &db_stmts[which], DB_I64(key));
	if (r == NULL)
		return -1;
	rc = dbres_isnull(r, 0, 0) ? 1 : dbres_bool(r, 0, 0);
	dbres_free(r);
	return rc;
}

int
db_lock(struct db *db, int64_t key)
{
	return lock_call(db, STMT_LOCK, key) == -1 ? -1 : 0;
}

int
db_trylock(struct db *db, int64_t key)
{
	return lock_call(db, STMT_TRYLOCK, key);
}

int
db_unlock(struct db *db, int64_t key)
{
	int rc = lock_call(db, STMT_UNLOCK, key);

	if (rc == 0) {
		db->err = DB_OTHER;
		log_warnx("db: advisory lock %" PRId64 " was not held", key);
		return -1;
	}
	return rc == -1 ? -1 : 0;
}

int
db_xact_lock(struct db *db, int64_t key)
{
	return lock_call(db, STMT_XACT_LOCK, key) == -1 ? -1 : 0;
}

void
dbres_free(struct dbres *r)
{
	if (r == NULL || r->in_arena)
		return;
	PQclear(r->res);
	free(r);
}

int
dbres_rows(const struct dbres *r)
{
	return r != NULL ? r->rows : 0;
}

int
dbres_cols(const struct dbres *r)
{
	return r != NULL ? PQnfields(r->res) : 0;
}

int64_t
dbres_affected(const struct dbres *r)
{
	const char *s;

	if (r == NULL)
		return 0;
	s = PQcmdTuples(r->res);
	return s[0] != '\0' ? strtoll(s, NULL, 10) : 0;
}

static int
in_range(const struct dbres *r, int row, int col)
{
	return r != NULL && row >= 0 && row < r->rows && col >= 0 &&
	    col < PQnfields(r->res);
}

int
dbres_isnull(const struct dbres *r, int row, int col)
{
	return !in_range(r, row, col) || PQgetisnull(r->res, row, col);
}

const char *
dbres_str(const struct dbres *r, int row, int col)
{
	if (dbres_isnull(r, row, col))
		return NULL;
	return PQgetvalue(r->res, row, col);
}

size_t
dbres_len(const struct dbres *r, int row, int col)
{
	if (dbres_isnull(r, row, col))
		return 0;
	return (size_t)PQgetlength(r->res, row, col);
}

int64_t
dbres_i64(const struct dbres *r, int row, int col)
{
	const char *s = dbres_str(r, row, col);

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

int
dbres_bool(const struct dbres *r, int row, int col)
{
	const char *s = dbres_str(r, row, col);

	return s != NULL && s[0] == 't';
}

double
dbres_f64(const struct dbres *r, int row, int col)
{
	const char *s = dbres_str(r, row, col);

	return s != NULL ? strtod(s, NULL) : 0.0;
}

unsigned char *
dbres_bytea(const struct dbres *r, int row, int col, size_t *lenp)
{
	const char *s = dbres_str(r, row, col);
	unsigned char *u, *copy;
	size_t n;

	*lenp = 0;
	if (s == NULL)
		return NULL;
	if ((u = PQunescapeBytea((const unsigned char *)s, &n)) == NULL)
		return NULL;
	copy = xmalloc(n + 1);
	memcpy(copy, u, n);
	copy[n] = '\0';
	PQfreemem(u);
	*lenp = n;
	return copy;
}
