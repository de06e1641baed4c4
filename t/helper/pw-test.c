/*
 * pw-test: one helper binary through which the t/ scripts exercise
 * common/ (git's t/helper/test-tool idea).  Each subcommand reads stdin
 * and writes stdout; the scripts compare whole outputs.
 *
 * To add a family: write t/helper/test-<area>.c with functions of type
 * test_fn, declare them in test.h, and list them in cmds[] below.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"

static const struct {
	const char	*name;
	test_fn		 fn;
	const char	*help;
} cmds[] = {
	{ "buf", test_buf, "exercise struct buf; prints TAP" },
	{ "arena", test_arena, "exercise struct arena; prints TAP" },
	{ "html-escape", test_html_escape, "stdin through html_{text,attr,url,textf,raw} MODE" },
	{ "auth", test_auth, "passwords and tokens (common/auth.c)" },
	{ "json", test_json, "json.c: Django-shaped JSON output; TAP" },
	{ "db-params", test_db_params,
	    "db.c: parameters, results, session settings; TAP" },
	{ "db-errors", test_db_errors, "db.c: SQLSTATE classification; TAP" },
	{ "db-prepared", test_db_prepared,
	    "db.c: prepared once, reconnect after a killed backend; TAP" },
	{ "db-reconnect", test_db_reconnect,
	    "db.c: server stop/start (args: STOP-CMD START-CMD); TAP" },
	{ "db-tx", test_db_tx, "db.c: transactions and advisory locks; TAP" },
	{ "parse-mail", test_parse_mail, "dump the parse of one mail on stdin" },
	{ "parse-mbox", test_parse_mbox, "parse every mail of an mbox; counts" },
	{ "parse-subject", test_parse_subject,
	    "subject lines -> name, prefixes, marker" },
	{ "subject-match", test_subject_match,
	    "project subject_match vs stdin lines" },
	{ "hash", test_hash, "patch hash of the diff on stdin" },
	{ "diff-split", test_diff_split, "split stdin into diff and text" },
	{ "header", test_header, "header primitives, one per stdin line" },
	{ "delegate", test_delegate, "delegation rules vs files (args)" },
	{ "depends", test_depends, "Depends-on lines of stdin" },
	{ "tags", test_tags, "tag counts of stdin" },
};

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: pw-test command [args...]\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %-18s %s\n", cmds[i].name, cmds[i].help);
	return 64;
}

int
main(int argc, char *argv[])
{
	size_t i;

	if (argc < 2)
		return usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	return usage();
}
