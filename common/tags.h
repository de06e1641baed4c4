#ifndef PW_TAGS_H
#define PW_TAGS_H
/*
 * Tag counting (ingest spec §14).  Tag patterns are the admin-supplied
 * Python regexes of the tag table (defaults ^Acked-by:, ^Reviewed-by:,
 * ^Tested-by:), applied with MULTILINE and IGNORECASE; the count is the
 * number of non-overlapping matches, as len(re.findall()).
 *
 * Lifecycle: tagset_new() once per process (or whenever the tag table
 * changes), tagset_count() per text, tagset_free().  A pattern that does
 * not compile is logged once and counts 0, so one bad row never stops
 * ingest.  Counting is per text: the storing half adds a patch's own
 * count to those of its comments.
 */
#include <stddef.h>

struct tagset;

struct tagset	*tagset_new(const char *const *patterns, size_t n);
void		 tagset_free(struct tagset *);
size_t		 tagset_size(const struct tagset *);
/* counts[i] receives the count of pattern i. */
void		 tagset_count(struct tagset *, const char *text, size_t len,
		    unsigned *counts);

#endif
