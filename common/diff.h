#ifndef PW_DIFF_H
#define PW_DIFF_H
/*
 * The diff splitter (ingest spec §6.5) and the changed-file list (§9.3).
 *
 * diff_split() runs the reference's state machine over text[0..len):
 * the text is cut at every "\n" (the piece after the last one is a line
 * too), each line gets its "\n" back, and each line goes to the diff, to
 * the commit message/comment text, or to a hold buffer of possible patch
 * headers.  Lines are appended to the two caller-owned buffers; after the
 * call an empty buffer means "none".  Linear in the input: each line is
 * copied at most twice.
 */
#include <stddef.h>

struct buf;

void	diff_split(const char *text, size_t len, struct buf *diff,
	    struct buf *msg);

/*
 * Changed files of a diff (§9.3): for every "--- TOKEN"/"+++ TOKEN" line
 * (after removing CRs and stripping), TOKEN without its first path
 * component, skipping tokens that start with "/dev/null"; sorted, without
 * duplicates.  *files is a malloc'ed array of malloc'ed strings; free it
 * with diff_files_free().
 */
void	diff_files(const char *diff, size_t len, char ***files, size_t *n);
void	diff_files_free(char **files, size_t n);

#endif
