#ifndef PW_HASH_H
#define PW_HASH_H
/*
 * The patch hash (ingest spec §10), bit-exact with Django Patchwork's
 * hasher, so that pwclient and patchwork-update-commits find patches by
 * the same value:
 *  1. remove every CR, strip the text, append one newline;
 *  2. split on newlines and skip empty lines;
 *  3. "--- x/path" and "+++ y/path" lines become "--- a/path" and
 *     "+++ b/path" (first path component replaced); hunk headers become
 *     "@@ -OLDCOUNT +NEWCOUNT @@"; lines starting with '-', '+' or ' '
 *     are kept; every other line is dropped;
 *  4. SHA-1 over every kept line followed by "\n", in lower-case hex.
 * The input is the diff as stored (valid UTF-8).
 */
#include <stddef.h>

#define PATCH_HASH_LEN	40

/* out receives PATCH_HASH_LEN hex digits and a NUL. */
void	patch_hash(const char *diff, size_t len, char out[PATCH_HASH_LEN + 1]);

/*
 * If line[0..len) (no newline) is a hunk header "@@ -a[,b] +c[,d] @@...",
 * set the two counts as decimal digit strings (default "1") and return 1.
 * The counts point into line; lengths go to *olen and *nlen.
 */
int	diff_hunk_header(const char *line, size_t len, const char **o,
	    size_t *olen, const char **n, size_t *nlen);

/*
 * If line[0..len) is "--- TOKEN..." or "+++ TOKEN..." (TOKEN a run of
 * non-whitespace right after one space), set *tok and *toklen and
 * return 1.
 */
int	diff_filename_line(const char *line, size_t len, const char **tok,
	    size_t *toklen);

#endif
