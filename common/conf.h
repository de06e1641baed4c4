#ifndef PW_CONF_H
#define PW_CONF_H
/*
 * Configuration: one libconfuse file, loaded once at start-up.
 *
 * Which file: the -c argument if given, else $PW_CONFIG, else
 * PW_SYSCONFDIR "/patchwork.conf".  The default file may be absent (then
 * every key has its default); a file named by -c or PW_CONFIG must exist.
 * $PW_DATABASE_URL, when set, overrides database.url (the `pw
 * --database-url` option sets it for the sub-command it runs).
 *
 * conf_load() returns 0, or -1 after printing "file:line: what is wrong"
 * to stderr (unknown key, wrong type, value out of range, unreadable
 * file); programs then exit 78 (EX_CONFIG).  The line is 0 when the
 * problem is the whole file (unreadable, or two keys that disagree).
 * Strings in struct conf are owned by it (never NULL after a successful
 * load) and freed by conf_release().
 */
#include <stddef.h>
#include <stdio.h>

struct conf {
	char	*path;		/* file read, or NULL when only defaults */

	struct {
		char	*url;	/* libpq URI or keyword/value string */
		int	 connect_timeout;	/* seconds */
		int	 statement_timeout;	/* ms, 0 = none */
		int	 lock_timeout;		/* ms, 0 = none */
	} database;

	struct {
		char	*base_url;	/* e.g. https://patchwork.example.org */
		char	*static_dir;	/* served by nginx at /static/ */
		int	 workers;	/* pw.fcgi pool size */
		int	 page_size;	/* default per_page */
		int	 max_page_size;	/* per_page cap */
		size_t	 max_body;	/* request body limit, bytes */
		int	 max_requests;	/* worker recycles after N, 0 = never */
		int	 allow_md5_passwords;	/* accept md5$salt$hex logins */
	} http;

	struct {
		size_t	 max_message_size;	/* bytes; larger mail journaled as too big */
		char	*list_id;		/* forced list-id, "" = from headers */
		int	 unmatched_max_age;	/* days journal keeps no-project mail */
		int	 batch_size;		/* --mbox mails per transaction */
		int	 ignore_auto_submitted;	/* Auto-Submitted mail IGNORED */
		char	*socket;		/* resident service, "" = none */
	} ingress;

	struct {
		char	*from;		/* sender of notifications */
		char	*sendmail;	/* command line, reads the mail on stdin */
		int	 notifications;	/* send patch-change mails */
	} mail;

	struct {
		int	 syslog;	/* else stderr */
		char	*facility;	/* syslog facility name */
		int	 verbose;	/* 0 warnings, 1 info, 2 debug */
	} log;
};

/* path: -c argument or NULL. */
int	conf_load(struct conf *, const char *path);
/* Every key at its default (no file, no environment). */
void	conf_defaults(struct conf *);
void	conf_release(struct conf *);
/* The annotated default file, every key with its default and meaning. */
void	conf_print_default(FILE *);
/* The same layout with the values of c (what `pw config -s` shows). */
void	conf_print(FILE *, const struct conf *c);
/* LOG_DAEMON etc. for a facility name, or -1. */
int	conf_syslog_facility(const char *);

#endif
