#ifndef PW_TEST_H
#define PW_TEST_H
/* Subcommands of t/helper/pw-test; each returns the exit status. */
typedef int (*test_fn)(int argc, char *argv[]);

/* A tiny TAP emitter for C unit checks. */
void	tap_ok(int cond, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	tap_done(void);	/* prints the plan; returns 0 if all passed */

int	test_buf(int, char **);
int	test_arena(int, char **);
int	test_html_escape(int, char **);
int	test_auth(int, char **);
int	test_json(int, char **);	/* test-json.c */
/* test-db.c: against $PW_DATABASE_URL */
int	test_db_params(int, char **);
int	test_db_errors(int, char **);
int	test_db_prepared(int, char **);
int	test_db_reconnect(int, char **);
int	test_db_tx(int, char **);

/* test-mail.c: the mail parser */
int	test_parse_mail(int, char **);
int	test_parse_mbox(int, char **);
int	test_parse_subject(int, char **);
int	test_subject_match(int, char **);
int	test_hash(int, char **);
int	test_diff_split(int, char **);
int	test_header(int, char **);
int	test_delegate(int, char **);
int	test_depends(int, char **);
int	test_tags(int, char **);

#endif
