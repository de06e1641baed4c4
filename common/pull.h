#ifndef PW_PULL_H
#define PW_PULL_H
/*
 * Pull-request detection (ingest spec §6.6): the reference's pattern for
 * a `git request-pull` body,
 *
 *   ^The following changes since commit.*
 *   ^are available in the git repository at:\s*\n
 *   ^\s*([\w+-]+(?:://|@)[\w/.@:~-]+[\s\\]*[\w/._-]*)\s*$
 *
 * searched under DOTALL, MULTILINE and IGNORECASE in the message text
 * (after signature stripping).  The greedy .* makes the last "are
 * available" block win; a branch or tag on the same line or wrapped onto
 * the next one is part of the URL.  Returns the URL with its whitespace
 * collapsed (malloc'ed), or NULL.  Texts without both phrases never reach
 * the regex, so the common case costs one linear scan.
 */
#include <stddef.h>

char	*pull_url(const char *text, size_t len);

#endif
