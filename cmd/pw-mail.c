/*
 * pw mail: the raw mail journal (table mail), for admins.
 *
 *   list     entries, newest last, filtered by status and date
 *   show     one entry's bytes, as received
 *   reparse  run entries through ingest again (after a parser fix, or
 *            once the project of a no_project mail exists); idempotent
 *   prune    drop no_project entries older than ingress.unmatched_max_age
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "ingest.h"
#include "journal.h"
#include "log.h"

CMD_DESCRIPTION("the raw mail journal: list, show, reparse, prune");

enum {
	ST_LIST,
	ST_SHOW,
	ST_IDS,
	ST_CHECK_DATE,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	/* $1 status or NULL, $2/$3 date range or NULL, $4 limit */
	[ST_LIST] = { "mail_list",
	    "SELECT m.id, to_char(m.received_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), m.status, m.size,"
	    " coalesce(p.linkname, '-'), coalesce(m.msgid, '-'),"
	    " coalesce(m.reason, m.subject, '')"
	    " FROM mail m LEFT JOIN project p ON p.id = m.project_id"
	    " WHERE ($1::text IS NULL OR m.status = $1)"
	    " AND ($2::timestamptz IS NULL OR m.received_at >= $2)"
	    " AND ($3::timestamptz IS NULL OR m.received_at < $3)"
	    " ORDER BY m.id DESC LIMIT $4", 4 },
	[ST_SHOW] = { "mail_show",
	    "SELECT raw, status FROM mail WHERE id = $1", 1 },
	[ST_IDS] = { "mail_ids",
	    "SELECT id FROM mail"
	    " WHERE ($1::text IS NULL OR status = $1)"
	    " AND ($2::timestamptz IS NULL OR received_at >= $2)"
	    " AND ($3::timestamptz IS NULL OR received_at < $3)"
	    " ORDER BY id", 3 },
	[ST_CHECK_DATE] = { "mail_check_date",
	    "SELECT $1::timestamptz", 1 },
};

static const char *const statuses[] = {
	"pending", "stored", "duplicate", "ignored", "no_project", "dropped",
	"malformed", "failed",
};

static int
usage(void)
{
	fprintf(stderr,
	    "usage: pw mail [-v] [-c file] list [--status status] "
	    "[--since date] [--until date]\n"
	    "                [--limit n]\n"
	    "       pw mail [-v] [-c file] show id\n"
	    "       pw mail [-v] [-c file] reparse id ... | --failed | "
	    "--no-project |\n"
	    "                [--since date] [--until date]\n"
	    "       pw mail [-v] [-c file] prune [-n] [--older-than days]\n");
	return EX_USAGE;
}

/* A positive decimal number, or -1. */
static long long
number(const char *s, long long max)
{
	char *end;
	long long n;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || n <= 0 || n > max)
		return -1;
	return n;
}

/* The database's verdict on a date: 0 valid, -1 not a date, -2 db down. */
static int
check_date(struct cmd *c, const char *d)
{
	struct dbres *r;

	if (d == NULL)
		return 0;
	if ((r = db_run(&c->db, &stmts[ST_CHECK_DATE], DB_STR(d))) != NULL) {
		dbres_free(r);
		return 0;
	}
	return c->db.err == DB_UNAVAILABLE ? -2 : -1;
}

static int
check_dates(struct cmd *c, const char *since, const char *until)
{
	int rc;

	if ((rc = check_date(c, since)) == 0)
		rc = check_date(c, until);
	if (rc == -2)
		return EX_TEMPFAIL;
	if (rc == -1) {
		fprintf(stderr, "pw mail: not a date: %s\n",
		    check_date(c, since) ? since : until);
		return EX_USAGE;
	}
	return 0;
}

static int
valid_status(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

static int
mail_list(struct cmd *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "limit", required_argument, NULL, 'l' },
		{ "since", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *status = NULL, *since = NULL, *until = NULL;
	long long limit = LLONG_MAX;
	struct dbres *r;
	int ch, i, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if ((limit = number(optarg, LLONG_MAX)) == -1)
				return usage();
			break;
		case 's':
			since = optarg;
			break;
		case 'S':
			status = optarg;
			if (!valid_status(status)) {
				fprintf(stderr, "pw mail: unknown status %s\n",
				    status);
				return EX_USAGE;
			}
			break;
		case 'u':
			until = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	cmd_connect(c, 0);
	if ((rc = check_dates(c, since, until)) != 0)
		return rc;
	r = db_run(&c->db, &stmts[ST_LIST], DB_STR(status), DB_STR(since),
	    DB_STR(until), DB_I64(limit));
	if (r == NULL)
		return cmd_db_status(&c->db);
	/* newest last, like a log */
	for (i = dbres_rows(r) - 1; i >= 0; i--)
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dbres_str(r, i, 0),
		    dbres_str(r, i, 1), dbres_str(r, i, 2), dbres_str(r, i, 3),
		    dbres_str(r, i, 4), dbres_str(r, i, 5), dbres_str(r, i, 6));
	dbres_free(r);
	return 0;
}

static int
mail_show(struct cmd *c, int argc, char *argv[])
{
	struct dbres *r;
	unsigned char *raw;
	long long id;
	size_t len;

	if (argc != 2 || (id = number(argv[1], INT64_MAX)) == -1)
		return usage();
	cmd_connect(c, 0);
	if ((r = db_run(&c->db, &stmts[ST_SHOW], DB_I64(id))) == NULL)
		return cmd_db_status(&c->db);
	if (dbres_rows(r) == 0) {
		fprintf(stderr, "pw mail: no journal entry %lld\n", id);
		dbres_free(r);
		return EX_DATAERR;
	}
	if (dbres_isnull(r, 0, 0)) {
		fprintf(stderr, "pw mail: entry %lld (%s) has no bytes: pruned "
		    "or too big\n", id, dbres_str(r, 0, 1));
		dbres_free(r);
		return EX_DATAERR;
	}
	raw = dbres_bytea(r, 0, 0, &len);
	dbres_free(r);
	if (raw == NULL)
		return EX_SOFTWARE;
	if (fwrite(raw, 1, len, stdout) != len) {
		free(raw);
		return EX_IOERR;
	}
	free(raw);
	return 0;
}

static int
mail_reparse(struct cmd *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "failed", no_argument, NULL, 'f' },
		{ "no-project", no_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *status = NULL, *since = NULL, *until = NULL;
	int64_t *ids = NULL;
	size_t nids = 0, i;
	struct ingest ing;
	struct ingest_opts io;
	struct ingest_result res;
	struct dbres *r;
	int ch, rc = 0, n;
	long long id;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (status != NULL)
				return usage();
			status = "failed";
			break;
		case 'n':
			if (status != NULL)
				return usage();
			status = "no_project";
			break;
		case 's':
			since = optarg;
			break;
		case 'u':
			until = optarg;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	/* ids, or a selection, not both, and not nothing */
	if ((argc > 0) == (status != NULL || since != NULL || until != NULL))
		return usage();
	for (n = 0; n < argc; n++)
		if (number(argv[n], INT64_MAX) == -1)
			return usage();
	cmd_connect(c, 0);
	if ((rc = check_dates(c, since, until)) != 0)
		return rc;
	if (argc > 0) {
		ids = calloc((size_t)argc, sizeof(*ids));
		if (ids == NULL)
			return EX_OSERR;
		for (n = 0; n < argc; n++)
			ids[nids++] = number(argv[n], INT64_MAX);
	} else {
		r = db_run(&c->db, &stmts[ST_IDS], DB_STR(status),
		    DB_STR(since), DB_STR(until));
		if (r == NULL)
			return cmd_db_status(&c->db);
		ids = calloc((size_t)dbres_rows(r) + 1, sizeof(*ids));
		if (ids == NULL)
			return EX_OSERR;
		for (n = 0; n < dbres_rows(r); n++)
			ids[nids++] = dbres_i64(r, n, 0);
		dbres_free(r);
	}

	memset(&io, 0, sizeof(io));
	io.durable = 1;
	io.batch_size = 1;
	io.ignore_auto_submitted = c->conf.ingress.ignore_auto_submitted;
	ingest_init(&ing, &c->db, &io);
	for (i = 0; i < nids; i++) {
		id = ids[i];
		if (ingest_reparse(&ing, id, &res) == -1 &&
		    res.status == INGEST_TEMPFAIL) {
			fprintf(stderr, "pw mail: database unavailable; "
			    "stopped at entry %lld\n", id);
			rc = EX_TEMPFAIL;
			break;
		}
		printf("%lld\t%s%s%s\t%s\n", id, ingest_status_names[res.status],
		    res.kind ? " " : "", ingest_kind_names[res.kind],
		    res.reason);
		if (res.status == INGEST_FAILED && rc == 0)
			rc = EX_DATAERR;
	}
	ingest_release(&ing);
	free(ids);
	return rc;
}

static int
mail_prune(struct cmd *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "older-than", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	long long days = -1;
	int64_t n;
	int ch, dry = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			dry = 1;
			break;
		case 'o':
			if ((days = number(optarg, 36500)) == -1)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	cmd_connect(c, 0);
	if (days == -1)
		days = c->conf.ingress.unmatched_max_age;
	if (journal_prune(&c->db, (int)days, dry, &n) == -1)
		return cmd_db_status(&c->db);
	printf("%s %lld no_project entries older than %lld days\n",
	    dry ? "would prune" : "pruned", (long long)n, days);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct cmd c;
	int ch, rc;

	cmd_init(&c, "pw-mail");
	while ((ch = getopt(argc, argv, "+c:hv")) != -1) {
		switch (ch) {
		case 'c':
			c.config = optarg;
			break;
		case 'v':
			c.verbose++;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "list") == 0)
		rc = mail_list(&c, argc, argv);
	else if (strcmp(argv[0], "show") == 0)
		rc = mail_show(&c, argc, argv);
	else if (strcmp(argv[0], "reparse") == 0)
		rc = mail_reparse(&c, argc, argv);
	else if (strcmp(argv[0], "prune") == 0)
		rc = mail_prune(&c, argc, argv);
	else
		return usage();
	cmd_release(&c);
	if ((fflush(stdout) == EOF || ferror(stdout)) && rc == 0)
		return EX_IOERR;
	return rc;
}
