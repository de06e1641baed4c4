#ifndef PW_DELEGATE_H
#define PW_DELEGATE_H
/*
 * Delegation by file path (ingest spec §9.2): the rules of a project,
 * taken by priority (descending) then path (ascending, bytewise); for
 * each changed file the first rule whose path matches it (fnmatch(3)
 * without FNM_PATHNAME, so '*' crosses '/', and with FNM_NOESCAPE)
 * gives that file's user.  A file no rule matches, or two files with
 * different users, give no delegate.  The rules need not be sorted.
 */
#include <stddef.h>
#include <stdint.h>

struct delegate_rule {
	const char	*path;		/* fnmatch pattern */
	int		 priority;
	int64_t		 user;		/* user id */
};

/* The delegate's user id, or -1 for none (also when nfiles is 0). */
int64_t	delegate_by_files(const struct delegate_rule *, size_t nrules,
	    char *const *files, size_t nfiles);

#endif
