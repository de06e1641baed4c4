/*
 * pw db: apply the compiled-in schema migrations, show where the database
 * stands, or check that it matches this pw.  (export and import arrive
 * with their own issue.)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "migrate.h"

CMD_DESCRIPTION("database schema: sync, status, check");

static int
usage(void)
{
	fprintf(stderr,
	    "usage: pw db [-v] [-c file] sync [-n] [--force]\n"
	    "       pw db [-v] [-c file] status | check\n");
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
	else
		return usage();
	cmd_release(&c);
	if (fflush(stdout) == EOF || ferror(stdout))
		return EX_IOERR;
	return rc;
}
