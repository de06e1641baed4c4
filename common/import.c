/*
 * pw db import: load an export file into our schema, all or nothing.
 *
 * The file is read line by line, so memory is bounded by the longest
 * row, whatever the file's size.  Only two kinds of statement are run
 * from it: COPY blocks whose first line is exactly the one export_copy_line()
 * writes for one of our tables, and the fixed statements of
 * export_statement().  Anything else stops the import: a hand-edited or
 * foreign file cannot run arbitrary SQL through this path.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"
#include "db.h"
#include "export.h"
#include "import.h"
#include "log.h"
#include "xalloc.h"

/*
 * What a bulk load takes away and puts back, in one transaction: foreign
 * keys and secondary indexes on our tables, and their user triggers.
 * Building an index once over loaded rows is much cheaper than updating
 * it row by row, and one validating join per foreign key is much
 * cheaper than a deferred check per row at COMMIT.  The statements come
 * from the catalog (format(), pg_get_indexdef(), pg_get_constraintdef()),
 * so the schema after the import is the schema before it.
 */
struct undo {
	char	**drop;
	char	**restore;
	size_t	  n;
};

struct imp {
	const struct import_opts *o;
	PGconn		*c;
	FILE		*in;
	char		*line;
	size_t		 linecap;
	ssize_t		 linelen;
	int64_t		 lineno;
	int		 unavailable;
	int		 progress;

	int		 format;
	int		 schema;
	int64_t		 want[XT__MAX];		/* rows per the header */
	int		 seen_count[XT__MAX];
	int64_t		 got[XT__MAX];
	int		 loaded[XT__MAX];
	int64_t		 total, done;
	struct timespec	 last;
	struct undo	 undo;
};

static int
pg_fail(struct imp *m, PGresult *r, const char *what)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(m->c);
	char s[1024];
	size_t n;

	if (st == NULL || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P0", 4) == 0 || strcmp(st, "53300") == 0 ||
	    strcmp(st, "53100") == 0 || PQstatus(m->c) != CONNECTION_OK)
		m->unavailable = 1;
	snprintf(s, sizeof(s), "%s", msg ? msg : "");
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	PQclear(r);
	return errorx("import: %s: %s", what, s);
}

/* Fixed SQL text (ours or recognised from the file). */
static int
run(struct imp *m, const char *what, const char *sql)
{
	PGresult *r = PQexec(m->c, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_fail(m, r, what);
	PQclear(r);
	return 0;
}

static PGresult *
query(struct imp *m, const char *what, const char *sql)
{
	PGresult *r = PQexec(m->c, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(m, r, what);
		return NULL;
	}
	return r;
}

/* Next line into m->line, newline kept; 0 at EOF, -1 on error. */
static int
next_line(struct imp *m)
{
	errno = 0;
	m->linelen = getline(&m->line, &m->linecap, m->in);
	if (m->linelen < 0) {
		if (ferror(m->in))
			return error("import: read");
		return 0;
	}
	m->lineno++;
	return 1;
}

static void
chomp(struct imp *m)
{
	while (m->linelen > 0 && (m->line[m->linelen - 1] == '\n' ||
	    m->line[m->linelen - 1] == '\r'))
		m->line[--m->linelen] = '\0';
}

static int
read_int(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || *out < 0)
		return -1;
	return 0;
}

/* "-- key: value" lines up to "-- end of header". */
static int
read_header(struct imp *m)
{
	int rc, t;
	int64_t v;
	char *val, *sp;

	m->format = m->schema = -1;
	for (;;) {
		if ((rc = next_line(m)) <= 0)
			return rc < 0 ? -1 : errorx("import: %s ends inside "
			    "its header: not a complete pw db export file",
			    m->o->path ? m->o->path : "stdin");
		chomp(m);
		if (strncmp(m->line, "-- ", 3) != 0)
			return errorx("import: line %" PRId64 ": not a pw db "
			    "export file (no header)", m->lineno);
		if (strcmp(m->line, "-- end of header") == 0)
			break;
		if ((val = strstr(m->line, ": ")) == NULL)
			continue;
		*val = '\0';
		val += 2;
		if (strcmp(m->line + 3, "format") == 0) {
			if (read_int(val, &v) < 0)
				return errorx("import: bad format line");
			m->format = (int)v;
		} else if (strcmp(m->line + 3, "schema") == 0) {
			if (read_int(val, &v) < 0)
				return errorx("import: bad schema line");
			m->schema = (int)v;
		} else if (strcmp(m->line + 3, "rows") == 0) {
			if ((sp = strchr(val, ' ')) == NULL)
				return errorx("import: line %" PRId64 ": bad "
				    "rows line", m->lineno);
			*sp++ = '\0';
			if ((t = xtable_lookup(val)) < 0)
				return errorx("import: line %" PRId64 ": unknown "
				    "table %s", m->lineno, val);
			if (read_int(sp, &v) < 0)
				return errorx("import: line %" PRId64 ": bad "
				    "row count", m->lineno);
			m->want[t] = v;
			m->seen_count[t] = 1;
			m->total += v;
		}
	}
	if (m->format < 0)
		return errorx("import: not a pw db export file (no format "
		    "line in the header)");
	if (m->format != EXPORT_FORMAT)
		return errorx("import: the file has export format %d; this pw "
		    "reads format %d", m->format, EXPORT_FORMAT);
	if (m->schema != m->o->schema_version)
		return errorx("import: the file was written for schema version "
		    "%d; this pw has schema version %d: import it with the pw "
		    "that exported it, or export again", m->schema,
		    m->o->schema_version);
	for (t = 0; t < XT__MAX; t++)
		if (!m->seen_count[t])
			return errorx("import: the header has no row count for "
			    "%s", xtable_name(t));
	return 0;
}

/* The target: our schema version, and empty unless --replace. */
static int
check_target(struct imp *m)
{
	struct buf b = BUF_INIT, full = BUF_INIT;
	PGresult *r;
	int t, rc = -1;

	r = query(m, "schema_migrations", "SELECT to_regclass("
	    "'schema_migrations') IS NOT NULL");
	if (r == NULL)
		goto out;
	if (PQgetvalue(r, 0, 0)[0] != 't') {
		PQclear(r);
		errorx("import: the database has no schema: run `pw db sync` "
		    "first");
		goto out;
	}
	PQclear(r);
	if ((r = query(m, "schema_migrations", "SELECT coalesce(max(version), "
	    "0) FROM schema_migrations")) == NULL)
		goto out;
	if (atoi(PQgetvalue(r, 0, 0)) != m->o->schema_version) {
		errorx("import: the database is at schema version %s, this pw "
		    "at %d: run `pw db sync` first", PQgetvalue(r, 0, 0),
		    m->o->schema_version);
		PQclear(r);
		goto out;
	}
	PQclear(r);

	buf_adds(&b, "SELECT ");
	for (t = 0; t < XT__MAX; t++)
		buf_addf(&b, "%sEXISTS (SELECT 1 FROM %s)", t ? ", " : "",
		    xtable_name(t));
	if ((r = query(m, "emptiness", b.s)) == NULL)
		goto out;
	for (t = 0; t < XT__MAX; t++)
		if (!(xtable_flags(t) & XTF_SEED) &&
		    PQgetvalue(r, 0, t)[0] == 't')
			buf_addf(&full, "%s%s", full.len ? ", " : "",
			    xtable_name(t));
	PQclear(r);
	if (full.len && !m->o->replace) {
		errorx("import: the database already holds data (%s): "
		    "import into a freshly synced database, or give --replace "
		    "to empty it first", full.s);
		goto out;
	}
	if (m->o->replace) {
		buf_reset(&b);
		buf_adds(&b, "TRUNCATE ");
		for (t = 0; t < XT__MAX; t++)
			buf_addf(&b, "%s%s", t ? ", " : "", xtable_name(t));
		buf_adds(&b, " RESTART IDENTITY CASCADE");
		if (run(m, "--replace", b.s) < 0)
			goto out;
		/*
		 * The search indexer's watermark (sql/0003-search.sql, when
		 * the schema has it) says every id up to done_id has its
		 * vector: left as it was, it would skip the imported rows
		 * whose ids are below it.  Its side tables went with the
		 * CASCADE above.
		 */
		if (run(m, "--replace", "DO $$BEGIN IF to_regclass("
		    "'search_state') IS NOT NULL THEN UPDATE search_state SET "
		    "done_id = 0, seen_id = 0, seen_xmax = NULL, seen_at = "
		    "NULL; DELETE FROM search_queue; END IF; END$$") < 0)
			goto out;
		if (full.len && !m->o->quiet)
			fprintf(stderr, "emptied the database (%s)\n", full.s);
	}
	rc = 0;
out:
	buf_release(&b);
	buf_release(&full);
	return rc;
}

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
show_progress(struct imp *m, enum xt t, int force)
{
	struct timespec now;

	if (!m->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && elapsed(&m->last, &now) < 0.25)
		return;
	m->last = now;
	fprintf(stderr, "\r\033[Kimporting %s: %" PRId64 " of %" PRId64
	    " rows (%d%% of all)", xtable_name(t), m->got[t], m->want[t],
	    m->total ? (int)(m->done * 100 / m->total) : 100);
}

static void
undo_add(struct undo *u, const char *drop, const char *restore)
{
	u->drop = xreallocarray(u->drop, u->n + 1, sizeof(*u->drop));
	u->restore = xreallocarray(u->restore, u->n + 1, sizeof(*u->restore));
	u->drop[u->n] = xstrdup(drop);
	u->restore[u->n] = xstrdup(restore);
	u->n++;
}

static void
undo_release(struct undo *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->drop[i]);
		free(u->restore[i]);
	}
	free(u->drop);
	free(u->restore);
	memset(u, 0, sizeof(*u));
}

/* Drop foreign keys and secondary indexes of our tables, pause triggers. */
static int
bulk_begin(struct imp *m)
{
	struct buf b = BUF_INIT, tables = BUF_INIT;
	PGresult *r = NULL;
	int t, i, rc = -1;
	size_t k;

	buf_adds(&tables, "ARRAY[");
	for (t = 0; t < XT__MAX; t++)
		buf_addf(&tables, "%s'%s'", t ? ", " : "", xtable_name(t));
	buf_adds(&tables, "]::regclass[]");

	/* Triggers first (restored last), then foreign keys, then indexes. */
	buf_addf(&b, "SELECT format('ALTER TABLE %%s DISABLE TRIGGER %%I', "
	    "tgrelid::regclass, tgname), format('ALTER TABLE %%s ENABLE "
	    "TRIGGER %%I', tgrelid::regclass, tgname) FROM pg_trigger "
	    "WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgrelid = "
	    "ANY(%s) "
	    "UNION ALL SELECT * FROM (SELECT format('ALTER TABLE %%s DROP "
	    "CONSTRAINT %%I', conrelid::regclass, conname), format('ALTER "
	    "TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname, "
	    "pg_get_constraintdef(oid)) FROM pg_constraint WHERE contype = 'f' "
	    "AND conrelid = ANY(%s) ORDER BY conrelid, conname) f "
	    "UNION ALL SELECT * FROM (SELECT format('DROP INDEX %%s', "
	    "i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) "
	    "FROM pg_index i WHERE i.indrelid = ANY(%s) AND NOT EXISTS "
	    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
	    "ORDER BY i.indexrelid) x", tables.s, tables.s, tables.s);
	if ((r = query(m, "bulk load", b.s)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++)
		undo_add(&m->undo, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	r = NULL;
	/*
	 * Only the tables' owner may do this (normally: the role that ran
	 * `pw db sync`).  Anyone else loads the slow way, row by row.
	 */
	if (run(m, "bulk load", "SAVEPOINT pw_bulk") < 0)
		goto out;
	for (k = 0; k < m->undo.n; k++) {
		r = PQexec(m->c, m->undo.drop[k]);
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			r = NULL;
			continue;
		}
		if (strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE) ?
		    PQresultErrorField(r, PG_DIAG_SQLSTATE) : "", "42501") != 0) {
			pg_fail(m, r, "bulk load");
			r = NULL;
			goto out;
		}
		PQclear(r);
		r = NULL;
		log_warnx("import: not the owner of the tables: loading with "
		    "their indexes and foreign keys in place (slower)");
		if (run(m, "bulk load", "ROLLBACK TO SAVEPOINT pw_bulk") < 0)
			goto out;
		undo_release(&m->undo);
		break;
	}
	rc = 0;
out:
	PQclear(r);
	buf_release(&b);
	buf_release(&tables);
	return rc;
}

/* Put back what bulk_begin() took away, in reverse order. */
static int
bulk_end(struct imp *m)
{
	size_t k;

	if (m->progress)
		fprintf(stderr, "\r\033[Kbuilding indexes, checking foreign "
		    "keys");
	for (k = m->undo.n; k-- > 0;)
		if (run(m, "rebuilding the schema", m->undo.restore[k]) < 0)
			return -1;
	return 0;
}

/* A COPY block: its first line was recognised as table t. */
static int
copy_block(struct imp *m, enum xt t)
{
	PGresult *r;
	int rc;
	int64_t n;
	char what[96];

	snprintf(what, sizeof(what), "%s (line %" PRId64 ")", xtable_name(t),
	    m->lineno);
	r = PQexec(m->c, m->line);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		return pg_fail(m, r, what);
	PQclear(r);
	for (;;) {
		if ((rc = next_line(m)) <= 0) {
			PQputCopyEnd(m->c, "truncated input");
			while ((r = PQgetResult(m->c)) != NULL)
				PQclear(r);
			return rc < 0 ? -1 : errorx("import: the file ends "
			    "inside the %s data: it is truncated",
			    xtable_name(t));
		}
		if (strcmp(m->line, "\\.\n") == 0 ||
		    strcmp(m->line, "\\.\r\n") == 0)
			break;
		if (PQputCopyData(m->c, m->line, (int)m->linelen) != 1) {
			PQputCopyEnd(m->c, NULL);
			return pg_fail(m, NULL, what);
		}
		m->got[t]++;
		m->done++;
		if ((m->got[t] & 1023) == 0)
			show_progress(m, t, 0);
	}
	if (PQputCopyEnd(m->c, NULL) != 1)
		return pg_fail(m, NULL, what);
	r = PQgetResult(m->c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(m, r, what);
		while ((r = PQgetResult(m->c)) != NULL)
			PQclear(r);
		return -1;
	}
	n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	while ((r = PQgetResult(m->c)) != NULL)
		PQclear(r);
	show_progress(m, t, 1);
	if (n != m->got[t] || n != m->want[t])
		return errorx("import: %s: loaded %" PRId64 " rows, the header "
		    "says %" PRId64, xtable_name(t), n, m->want[t]);
	m->loaded[t] = 1;
	return 0;
}

/* Which fixed statement a line is: its part and index, or -1. */
static int
fixed_index(struct imp *m, enum export_part *part)
{
	struct buf b = BUF_INIT;
	const char *s;
	int n, p;

	for (p = EXPORT_PREAMBLE; p <= EXPORT_POSTAMBLE; p++)
		for (n = 0; (s = export_statement(&b, p, m->schema, n)); n++)
			if (strcmp(s, m->line) == 0) {
				buf_release(&b);
				*part = p;
				return n;
			}
	buf_release(&b);
	return -1;
}

static int
body(struct imp *m)
{
	struct buf b = BUF_INIT;
	enum export_part part;
	int rc, t, n, ended = 0, analyze = 0, reset = 0, ret = -1;

	while ((rc = next_line(m)) > 0) {
		chomp(m);
		if (m->linelen == 0)
			continue;
		if (strncmp(m->line, "--", 2) == 0) {
			if (strcmp(m->line, "-- end of export") == 0)
				ended = 1;
			continue;
		}
		if (ended) {
			errorx("import: line %" PRId64 ": text after the end "
			    "of the export", m->lineno);
			goto out;
		}
		if (strncmp(m->line, "COPY ", 5) == 0) {
			for (t = 0; t < XT__MAX; t++) {
				buf_reset(&b);
				export_copy_line(&b, t);
				if (strcmp(b.s, m->line) == 0)
					break;
			}
			if (t == XT__MAX) {
				errorx("import: line %" PRId64 ": a COPY this pw "
				    "did not write (other columns or table)",
				    m->lineno);
				goto out;
			}
			if (m->loaded[t]) {
				errorx("import: line %" PRId64 ": second COPY "
				    "block for %s", m->lineno, xtable_name(t));
				goto out;
			}
			if (copy_block(m, t) < 0)
				goto out;
			continue;
		}
		if ((n = fixed_index(m, &part)) < 0) {
			errorx("import: line %" PRId64 ": a statement this pw "
			    "did not write; refusing to run it", m->lineno);
			goto out;
		}
		if (part == EXPORT_POSTAMBLE && n == 1) {
			analyze = 1;	/* after COMMIT */
			continue;
		}
		if (part == EXPORT_POSTAMBLE && n == 0)
			reset = 1;
		if (run(m, "fixed statement", m->line) < 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	if (m->progress)
		fputs("\r\033[K", stderr);
	if (!ended) {
		errorx("import: the file has no \"-- end of export\" line: it "
		    "is truncated");
		goto out;
	}
	for (t = 0; t < XT__MAX; t++)
		if (!m->loaded[t]) {
			errorx("import: the file has no data block for %s",
			    xtable_name(t));
			goto out;
		}
	if (!reset) {
		errorx("import: the file does not reset the sequences");
		goto out;
	}
	(void)analyze;
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

int
import_run(PGconn *conn, const struct import_opts *o, int *unavailable)
{
	struct imp m;
	int rc = -1, t, in_tx = 0;
	int64_t all = 0;

	memset(&m, 0, sizeof(m));
	m.o = o;
	*unavailable = 0;
	m.progress = o->progress < 0 ? isatty(2) && !o->quiet : o->progress;
	if (o->path == NULL || strcmp(o->path, "-") == 0)
		m.in = stdin;
	else if ((m.in = fopen(o->path, "r")) == NULL) {
		error("import: %s", o->path);
		return -1;
	}
	if (read_header(&m) < 0)
		goto out;

	m.c = conn;
	if (run(&m, "session", "SET client_encoding = 'UTF8'; "
	    "SET TimeZone = 'UTC'; SET statement_timeout = 0; "
	    "SET lock_timeout = 0; "
	    "SET idle_in_transaction_session_timeout = 0; "
	    "SET maintenance_work_mem = '512MB'") < 0)
		goto out;
	if (run(&m, "begin", "BEGIN") < 0)
		goto out;
	in_tx = 1;
	/* No `pw db sync` while we load. */
	{
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)",
		    (long long)DB_LOCK_MIGRATE);
		if (run(&m, "lock", sql) < 0)
			goto out;
	}
	if (check_target(&m) < 0 || bulk_begin(&m) < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &m.last);
	if (body(&m) < 0 || bulk_end(&m) < 0)
		goto out;
	if (run(&m, "commit", "COMMIT") < 0)
		goto out;
	in_tx = 0;
	if (run(&m, "analyze", "ANALYZE") < 0)
		goto out;
	if (!o->quiet) {
		fprintf(stderr, "%-28s %10s\n", "table", "rows");
		for (t = 0; t < XT__MAX; t++) {
			fprintf(stderr, "%-28s %10" PRId64 "\n",
			    xtable_name(t), m.got[t]);
			all += m.got[t];
		}
		fprintf(stderr, "imported %" PRId64 " rows; row counts match "
		    "the export's header\n", all);
	}
	rc = 0;
out:
	if (rc < 0 && m.progress)
		fputs("\r\033[K", stderr);
	if (in_tx && m.c && PQstatus(m.c) == CONNECTION_OK) {
		PGresult *r = PQexec(m.c, "ROLLBACK");

		PQclear(r);
		if (!o->quiet)
			fprintf(stderr, "import: rolled back; the database is "
			    "unchanged\n");
	}
	*unavailable = m.unavailable;
	undo_release(&m.undo);
	if (m.in && m.in != stdin)
		fclose(m.in);
	free(m.line);
	return rc;
}
