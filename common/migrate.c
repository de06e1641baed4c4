/*
 * Schema migrations: `pw db sync` and the start-up check of every program.
 *
 * The SQL files are compiled in (tools/sql2c), so a binary knows exactly
 * the schema it was built for.  schema_migrations records every applied
 * version individually with the sha256 of its text: a gap, an unknown
 * version or a changed file is detected, not papered over by a MAX().
 * Syncs serialise on a session advisory lock, so two of them started at
 * once apply each file once: the second waits, then finds nothing to do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "xalloc.h"

enum {
	M_EXISTS,
	M_LIST,
	M_RECORD,
	M_RECHECKSUM,
	M_VERSIONS,
	M__MAX
};

static const struct stmt_def mstmts[M__MAX] = {
	[M_EXISTS] = { "migrate_exists",
	    "SELECT to_regclass('schema_migrations') IS NOT NULL", 0 },
	[M_LIST] = { "migrate_list",
	    "SELECT version, name, checksum,"
	    " to_char(applied_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), pw_version"
	    " FROM schema_migrations ORDER BY version", 0 },
	[M_RECORD] = { "migrate_record",
	    "INSERT INTO schema_migrations (version, name, checksum,"
	    " pw_version) VALUES ($1, $2, $3, $4)", 4 },
	[M_RECHECKSUM] = { "migrate_rechecksum",
	    "UPDATE schema_migrations SET checksum = $2, name = $3"
	    " WHERE version = $1", 3 },
	/* migrate_check()'s one statement when all is well */
	[M_VERSIONS] = { "migrate_versions",
	    "SELECT string_agg(version::text, ',' ORDER BY version)"
	    " FROM schema_migrations", 0 },
};

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
    "\tversion integer PRIMARY KEY,\n"
    "\tname text NOT NULL,\n"
    "\tchecksum text NOT NULL,\n"
    "\tapplied_at timestamptz NOT NULL DEFAULT now(),\n"
    "\tpw_version text NOT NULL\n"
    ")";

struct applied {
	int	 version;
	char	*name;
	char	*checksum;
	char	*when;
	char	*pw_version;
};

struct state {
	struct applied	*rows;
	size_t		 n;
};

int
migrate_latest(void)
{
	return migrations_count > 0 ?
	    migrations[migrations_count - 1].version : 0;
}

static const struct migration *
known(int version)
{
	size_t i;

	for (i = 0; i < migrations_count; i++)
		if (migrations[i].version == version)
			return &migrations[i];
	return NULL;
}

static const struct applied *
recorded(const struct state *s, int version)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->rows[i].version == version)
			return &s->rows[i];
	return NULL;
}

/* sha256 of the migration's text, as 64 lower-case hex digits. */
static void
checksum(const struct migration *m, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (!EVP_Digest(m->sql, strlen(m->sql), md, &len, EVP_sha256(),
	    NULL) || len != 32)
		abort();	/* sha256 is always there */
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
state_release(struct state *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->rows[i].name);
		free(s->rows[i].checksum);
		free(s->rows[i].when);
		free(s->rows[i].pw_version);
	}
	free(s->rows);
	s->rows = NULL;
	s->n = 0;
}

/* 1 if schema_migrations exists, 0 if not, -1 on failure. */
static int
table_exists(struct db *db)
{
	struct dbres *r;
	int rc;

	if ((r = db_run0(db, &mstmts[M_EXISTS])) == NULL)
		return -1;
	rc = dbres_bool(r, 0, 0);
	dbres_free(r);
	return rc;
}

/* Read schema_migrations (empty when the table is absent). */
static int
state_load(struct db *db, struct state *s)
{
	struct dbres *r;
	int i, e;

	s->rows = NULL;
	s->n = 0;
	if ((e = table_exists(db)) <= 0)
		return e;
	if ((r = db_run0(db, &mstmts[M_LIST])) == NULL)
		return -1;
	s->n = (size_t)dbres_rows(r);
	s->rows = xcalloc(s->n ? s->n : 1, sizeof(*s->rows));
	for (i = 0; i < dbres_rows(r); i++) {
		s->rows[i].version = (int)dbres_i64(r, i, 0);
		s->rows[i].name = xstrdup(dbres_str(r, i, 1));
		s->rows[i].checksum = xstrdup(dbres_str(r, i, 2));
		s->rows[i].when = xstrdup(dbres_str(r, i, 3));
		s->rows[i].pw_version = xstrdup(dbres_str(r, i, 4));
	}
	dbres_free(r);
	return 0;
}

static int
newer_error(struct db *db, const struct applied *a)
{
	db->err = DB_OTHER;
	return errorx("database schema is newer than this pw (version %d, "
	    "%04d-%s, applied by pw %s; this pw knows up to %d): upgrade pw",
	    a->version, a->version, a->name, a->pw_version,
	    migrate_latest());
}

/*
 * Everything recorded must be known, unchanged (unless force) and in
 * order with what is pending.  Returns the number of pending migrations,
 * or -1 after logging why the database is refused.
 */
static int
plan(struct db *db, const struct state *s, int force, int *changed)
{
	const struct migration *m;
	const struct applied *a;
	char sum[65];
	int maxv = 0, pending = 0;
	size_t i;

	*changed = 0;
	for (i = 0; i < s->n; i++) {
		a = &s->rows[i];
		if (a->version > maxv)
			maxv = a->version;
		if ((m = known(a->version)) == NULL) {
			if (a->version > migrate_latest())
				return newer_error(db, a);
			db->err = DB_OTHER;
			return errorx("database has migration %04d-%s, which "
			    "this pw does not know", a->version, a->name);
		}
		checksum(m, sum);
		if (strcmp(sum, a->checksum) != 0) {
			if (!force) {
				db->err = DB_OTHER;
				return errorx("migration %04d-%s differs from "
				    "the one applied on %s (checksum "
				    "mismatch); a released migration must not "
				    "change (--force accepts it)", m->version,
				    m->name, a->when);
			}
			log_warnx("migration %04d-%s differs from the one "
			    "applied on %s; accepted (--force)", m->version,
			    m->name, a->when);
			(*changed)++;
		}
	}
	for (i = 0; i < migrations_count; i++) {
		m = &migrations[i];
		if (recorded(s, m->version) != NULL)
			continue;
		if (m->version < maxv) {
			db->err = DB_OTHER;
			return errorx("migration %04d-%s is pending but %04d is "
			    "already applied: out-of-order migrations are "
			    "refused", m->version, m->name, maxv);
		}
		pending++;
	}
	return pending;
}

static int
apply(struct db *db, const struct migration *m)
{
	char label[128], sum[65], ver[16];

	snprintf(label, sizeof(label), "sql/%04d-%s.sql", m->version, m->name);
	snprintf(ver, sizeof(ver), "%d", m->version);
	checksum(m, sum);
	if (db_begin(db) == -1)
		return -1;
	if (db_exec_script_as(db, label, m->sql) == -1 ||
	    db_run_do(db, &mstmts[M_RECORD], DB_I64(m->version),
	    DB_STR(m->name), DB_STR(sum), DB_STR(PW_VERSION)) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		return errorx("%s: not applied; the database is left at the "
		    "migration before it", label);
	}
	return 0;
}

static int
rechecksum(struct db *db, const struct state *s)
{
	const struct migration *m;
	char sum[65];
	size_t i;

	for (i = 0; i < s->n; i++) {
		m = known(s->rows[i].version);
		checksum(m, sum);
		if (strcmp(sum, s->rows[i].checksum) == 0)
			continue;
		if (db_run_do(db, &mstmts[M_RECHECKSUM], DB_I64(m->version),
		    DB_STR(sum), DB_STR(m->name)) == -1)
			return -1;
	}
	return 0;
}

int
migrate_sync(struct db *db, int force, int dry_run, FILE *report)
{
	struct state s = { NULL, 0 };
	enum db_err err;
	char ms[16], st[6];
	int locked = 0, rc = -1, pending, changed;
	size_t i;

	if (db->conn == NULL && db_connect(db) == -1)
		return -1;
	/* Migrations may take long; only waiting for locks is bounded. */
	if (db_set(db, "statement_timeout", "0") == -1 ||
	    db_set(db, "lock_timeout", "0") == -1 ||
	    db_lock(db, DB_LOCK_MIGRATE) == -1)
		goto out;
	locked = 1;
	snprintf(ms, sizeof(ms), "%d", db->lock_timeout);
	if (db_set(db, "lock_timeout", ms) == -1)
		goto out;
	if (!dry_run && db_exec_script_as(db, "schema_migrations",
	    create_sql) == -1)
		goto out;
	if (state_load(db, &s) == -1)
		goto out;
	if ((pending = plan(db, &s, force, &changed)) == -1)
		goto out;
	if (dry_run) {
		for (i = 0; i < migrations_count; i++)
			if (recorded(&s, migrations[i].version) == NULL)
				fprintf(report, "%04d-%s\n",
				    migrations[i].version, migrations[i].name);
		rc = 0;
		goto out;
	}
	if (changed > 0 && rechecksum(db, &s) == -1)
		goto out;
	for (i = 0; i < migrations_count; i++) {
		if (recorded(&s, migrations[i].version) != NULL)
			continue;
		if (apply(db, &migrations[i]) == -1)
			goto out;
		fprintf(report, "applied %04d-%s\n", migrations[i].version,
		    migrations[i].name);
		fflush(report);
	}
	rc = 0;
out:
	state_release(&s);
	err = db->err;
	memcpy(st, db->sqlstate, sizeof(st));
	if (locked && db_pgconn(db) != NULL) {
		db_unlock(db, DB_LOCK_MIGRATE);
		snprintf(ms, sizeof(ms), "%d", db->statement_timeout);
		db_set(db, "statement_timeout", ms);
	}
	if (rc == -1) {
		db->err = err != DB_OK ? err : DB_OTHER;
		memcpy(db->sqlstate, st, sizeof(st));
	}
	return rc;
}

int
migrate_status(struct db *db, FILE *out)
{
	const struct migration *m;
	const struct applied *a;
	struct state s = { NULL, 0 };
	char sum[65];
	size_t i, j;
	int v, next;

	if (db->conn == NULL && db_connect(db) == -1)
		return -1;
	if (state_load(db, &s) == -1)
		return -1;
	/* Merge the recorded and the known versions in order. */
	for (i = 0, j = 0; i < s.n || j < migrations_count; ) {
		next = 0;
		if (i < s.n)
			next = s.rows[i].version;
		if (j < migrations_count &&
		    (i >= s.n || migrations[j].version < next))
			next = migrations[j].version;
		v = next;
		a = i < s.n && s.rows[i].version == v ? &s.rows[i++] : NULL;
		m = j < migrations_count && migrations[j].version == v ?
		    &migrations[j++] : NULL;
		if (a == NULL) {
			fprintf(out, "%04d-%s\tpending\n", v, m->name);
			continue;
		}
		if (m == NULL) {
			fprintf(out, "%04d-%s\tunknown\t%s\t%s\n", v, a->name,
			    a->when, a->pw_version);
			continue;
		}
		checksum(m, sum);
		fprintf(out, "%04d-%s\t%s\t%s\t%s\n", v, m->name,
		    strcmp(sum, a->checksum) == 0 ? "applied" : "changed",
		    a->when, a->pw_version);
	}
	state_release(&s);
	return 0;
}

/*
 * The common case in one statement: the versions recorded are exactly
 * the ones this pw knows.  1 if so, 0 if not (or the table is missing:
 * the full check says what is wrong), -1 when the database is
 * unavailable.
 */
static int
versions_match(struct db *db)
{
	struct buf want = BUF_INIT;
	struct dbres *r;
	const char *have;
	size_t i;
	int rc;

	if ((r = db_run0(db, &mstmts[M_VERSIONS])) == NULL)
		return db->err == DB_UNAVAILABLE ? -1 : 0;
	for (i = 0; i < migrations_count; i++)
		buf_addf(&want, "%s%d", i ? "," : "", migrations[i].version);
	have = dbres_str(r, 0, 0);
	rc = have != NULL && strcmp(have, want.s) == 0;
	dbres_free(r);
	buf_release(&want);
	return rc;
}

int
migrate_check(struct db *db)
{
	struct state s = { NULL, 0 };
	int rc = -1, pending = 0;
	size_t i;

	if (db->conn == NULL && db_connect(db) == -1)
		return -1;
	if ((rc = versions_match(db)) != 0)
		return rc == 1 ? 0 : -1;
	rc = -1;
	if (state_load(db, &s) == -1)
		return -1;
	for (i = 0; i < s.n; i++)
		if (known(s.rows[i].version) == NULL) {
			if (s.rows[i].version > migrate_latest())
				newer_error(db, &s.rows[i]);
			else {
				db->err = DB_OTHER;
				errorx("database has migration %04d-%s, which "
				    "this pw does not know",
				    s.rows[i].version, s.rows[i].name);
			}
			goto out;
		}
	for (i = 0; i < migrations_count; i++)
		if (recorded(&s, migrations[i].version) == NULL)
			pending++;
	if (pending > 0) {
		db->err = DB_OTHER;
		errorx("database needs `pw db sync` (%d migration%s pending, "
		    "up to version %d)", pending, pending == 1 ? "" : "s",
		    migrate_latest());
		goto out;
	}
	rc = 0;
out:
	state_release(&s);
	return rc;
}
