/*
 * pw cron: periodic maintenance, run once by a timer (etc/systemd/
 * pw-cron.timer) or cron every few minutes; it does what is due and
 * exits.
 *
 * The tasks are a table: each has a name (for --task), a line for -v
 * and `pw cron --list`, and a function that does one run's share of its
 * work and says what it did.  A task must be idempotent, keep its
 * transactions short, and bound its work per run unless --all is given.
 * To add one, write its function and add a row.
 *
 * Two runs never overlap: a run holds the session advisory lock
 * DB_LOCK_CRON; a run that finds it taken does nothing and exits 0 (the
 * previous run is still busy, which is not an error a timer should
 * report).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "journal.h"
#include "log.h"
#include "search.h"

CMD_DESCRIPTION("periodic maintenance: search index, journal pruning");

#define SEARCH_BATCH	500	/* rows per transaction */
#define SEARCH_BATCHES	20	/* per table and run, without --all */

struct opts {
	int		 all;		/* work through every backlog */
	int		 batch;		/* --batch-size */
	const char	*task;		/* only this one, or NULL */
};

struct task {
	const char	*name;
	const char	*what;
	/* 0, or -1 after a database failure (logged) */
	int		(*run)(struct cmd *, const struct opts *, struct buf *);
};

static int
task_search(struct cmd *c, const struct opts *o, struct buf *out)
{
	struct search_stats st;
	int rc;

	memset(&st, 0, sizeof(st));
	rc = search_index(&c->db, o->batch, o->all ? 0 : SEARCH_BATCHES, &st);
	buf_addf(out, "%lu new patches, %lu new covers, %lu changed, "
	    "in %lu batches%s", st.patches, st.covers, st.changed, st.batches,
	    st.more ? "; more to do" : "");
	return rc;
}

static int
task_journal(struct cmd *c, const struct opts *o, struct buf *out)
{
	int64_t n;

	(void)o;
	if (journal_prune(&c->db, c->conf.ingress.unmatched_max_age, 0,
	    &n) == -1)
		return -1;
	buf_addf(out, "pruned %" PRId64 " no_project entries older than "
	    "%d days", n, c->conf.ingress.unmatched_max_age);
	return 0;
}

static const struct task tasks[] = {
	{ "search", "full-text vectors of new and changed patches and covers",
	    task_search },
	{ "journal", "prune journal entries that matched no project, after "
	    "ingress.unmatched_max_age days", task_journal },
};
#define NTASKS	(sizeof(tasks) / sizeof(tasks[0]))

static int
usage(void)
{
	fprintf(stderr, "usage: pw cron [-lv] [-c file] [--all] "
	    "[--batch-size n] [--task name]\n");
	return EX_USAGE;
}

static void
list_tasks(void)
{
	size_t i;

	for (i = 0; i < NTASKS; i++)
		printf("%s\t%s\n", tasks[i].name, tasks[i].what);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "list", no_argument, NULL, 'l' },
		{ "task", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0, SEARCH_BATCH, NULL };
	struct buf out = BUF_INIT;
	struct cmd c;
	const char *errstr = NULL;
	size_t i;
	int ch, got, rc = 0, st;
	long long n;
	char *end;

	cmd_init(&c, "pw-cron");
	while ((ch = getopt_long(argc, argv, "ac:hlt:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			o.all = 1;
			break;
		case 'b':
			n = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 ||
			    n > 100000)
				errstr = "--batch-size: a number from 1 to 100000";
			o.batch = (int)n;
			break;
		case 'c':
			c.config = optarg;
			break;
		case 'l':
			list_tasks();
			return 0;
		case 't':
			o.task = optarg;
			break;
		case 'v':
			c.verbose++;
			break;
		default:
			return usage();
		}
	}
	if (errstr != NULL) {
		fprintf(stderr, "pw cron: %s\n", errstr);
		return usage();
	}
	if (optind != argc)
		return usage();
	if (o.task != NULL) {
		for (i = 0; i < NTASKS; i++)
			if (strcmp(tasks[i].name, o.task) == 0)
				break;
		if (i == NTASKS) {
			fprintf(stderr, "pw cron: no task %s (pw cron --list)\n",
			    o.task);
			return EX_USAGE;
		}
	}
	cmd_config(&c);
	cmd_connect(&c, 0);

	if ((got = db_trylock(&c.db, DB_LOCK_CRON)) == -1)
		return cmd_db_status(&c.db);
	if (got == 0) {
		log_info("another pw cron is running; nothing to do");
		cmd_release(&c);
		return 0;
	}
	for (i = 0; i < NTASKS; i++) {
		if (o.task != NULL && strcmp(tasks[i].name, o.task) != 0)
			continue;
		buf_reset(&out);
		if (tasks[i].run(&c, &o, &out) == -1) {
			log_warnx("task %s failed", tasks[i].name);
			st = cmd_db_status(&c.db);
			/* an unreachable server fails every task alike */
			if (st == EX_TEMPFAIL) {
				rc = st;
				break;
			}
			if (rc == 0)
				rc = st;
			continue;
		}
		if (c.verbose > 0)
			printf("%s: %s\n", tasks[i].name, out.s);
	}
	buf_release(&out);
	/* the lock ends with the session */
	cmd_release(&c);
	if ((fflush(stdout) == EOF || ferror(stdout)) && rc == 0)
		return EX_IOERR;
	return rc;
}
