#ifndef PW_LOG_H
#define PW_LOG_H
/*
 * Logging: one line per event, to stderr or (when configured) syslog.
 * log_warn() appends strerror(errno); errno is preserved by every call.
 * Control characters in the formatted message are replaced by '?', since
 * messages carry text from mails and HTTP clients.
 *
 * fatal()/fatalx() log and exit(log_fatal_status), which is EX_SOFTWARE
 * (70) unless a program sets it (the mail helpers set 75, EX_TEMPFAIL, so
 * that no failure ever bounces a mail).  They belong in main() paths only.
 *
 * error()/errorx() log at warning level and evaluate to -1, so that
 * "return error(...)" both logs and fails.
 */
#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

extern int log_fatal_status;

/* ident: program name; use_syslog: else stderr; verbose: 0 warn, 1 info, 2 debug */
void	log_init(const char *ident, int use_syslog, int verbose);
void	log_set_prefix(const char *);	/* e.g. request id; NULL clears */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
int	error(const char *, ...) __attribute__((format(printf, 1, 2)));
int	errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	log_vwrite(enum log_level, int with_errno, const char *, va_list);

#endif
