/*
 * pw db: apply the compiled-in schema migrations, show where the database
 * stands, or check that it matches this pw; export a Django Patchwork
 * database, import the export (common/export.c, common/import.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "export.h"
#include "import.h"
#include "migrate.h"

CMD_DESCRIPTION("database schema: sync, status, check; Django migration: "
    "export, import");

static int
usage(void)
{
	fprintf(stderr,
	    "usage: pw db [-v] [-c file] sync [-n] [--force]\n"
	    "       pw db [-v] [-c file] status | check\n"
	    "       pw db [-v] [-c file] export [-q] [--from url] "
	    "[--time-zone zone]\n"
	    "             [--local-since time|auto|none] [-o file]\n"
	    "       pw db [-v] [-c file] import [-q] [--replace] "
	    "[--progress | --no-progress]\n"
	    "             [file]\n");
	return EX_USAGE;
}

static int
db_sync(struct cmd *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, dry_run = 0, force = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'v':
			c->verbose++;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	cmd_connect(c, CMD_NO_SCHEMA_CHECK);
	if (migrate_sync(&c->db, force, dry_run, stdout) == -1) {
		if (c->db.err == DB_UNAVAILABLE)
			return EX_TEMPFAIL;
		/* Refused (no statement failed): pw and database disagree. */
		return c->db.sqlstate[0] == '\0' ? EX_CONFIG : EX_SOFTWARE;
	}
	return 0;
}

/* status: what is applied; check: exit 0 only if pw and schema match. */
static int
db_status(struct cmd *c, int argc, char *argv[])
{
	int ch, check = strcmp(argv[0], "check") == 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			c->config = optarg;
			break;
		case 'v':
			c->verbose++;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (check) {
		cmd_connect(c, 0);	/* exits 75 or 78 when they differ */
		return 0;
	}
	cmd_connect(c, CMD_NO_SCHEMA_CHECK);
	if (migrate_status(&c->db, stdout) == -1)
		return cmd_db_status(&c->db);
	return 0;
}

/* Django Patchwork database (--from, else database.url) to SQL. */
static int
db_export(struct cmd *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'F' },
		{ "local-since", required_argument, NULL, 'L' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "time-zone", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct export_opts o;
	const char *output = NULL;
	FILE *out = stdout;
	int ch, unavailable, rc;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config = optarg;
			break;
		case 'F':
			o.conninfo = optarg;
			break;
		case 'L':
			o.local_since = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'T':
			o.time_zone = optarg;
			break;
		case 'v':
			c->verbose++;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	cmd_config(c);
	if (o.conninfo == NULL)
		o.conninfo = c->conf.database.url;
	o.schema_version = migrate_latest();
	if (output && (out = fopen(output, "w")) == NULL) {
		log_warn("%s", output);
		return EX_CANTCREAT;
	}
	rc = export_run(&o, out, &unavailable) == -1 ?
	    (unavailable ? EX_TEMPFAIL : EX_DATAERR) : 0;
	if (out != stdout && fclose(out) == EOF && rc == 0) {
		log_warn("%s", output);
		rc = EX_IOERR;
	}
	return rc;
}

/* An export file (or stdin) into our database, all or nothing. */
static int
db_import(struct cmd *c, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "no-progress", no_argument, NULL, 'N' },
		{ "progress", no_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "replace", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o;
	int ch, unavailable;

	memset(&o, 0, sizeof(o));
	o.progress = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:qv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			c->config = optarg;
			break;
		case 'N':
			o.progress = 0;
			break;
		case 'P':
			o.progress = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'R':
			o.replace = 1;
			break;
		case 'v':
			c->verbose++;
			break;
		default:
			return usage();
		}
	}
	if (argc - optind > 1)
		return usage();
	o.path = optind < argc ? argv[optind] : NULL;
	o.schema_version = migrate_latest();
	cmd_connect(c, 0);
	if (import_run(db_pgconn(&c->db), &o, &unavailable) == -1)
		return unavailable ? EX_TEMPFAIL : EX_DATAERR;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct cmd c;
	int ch, rc;

	cmd_init(&c, "pw-db");
	/* Options before the subcommand; '+' stops at the first operand. */
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
	if (strcmp(argv[0], "sync") == 0)
		rc = db_sync(&c, argc, argv);
	else if (strcmp(argv[0], "status") == 0 ||
	    strcmp(argv[0], "check") == 0)
		rc = db_status(&c, argc, argv);
	else if (strcmp(argv[0], "export") == 0)
		rc = db_export(&c, argc, argv);
	else if (strcmp(argv[0], "import") == 0)
		rc = db_import(&c, argc, argv);
	else
		return usage();
	cmd_release(&c);
	if (fflush(stdout) == EOF || ferror(stdout))
		return EX_IOERR;
	return rc;
}
