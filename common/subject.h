#ifndef PW_SUBJECT_H
#define PW_SUBJECT_H
/*
 * Subject parsing (ingest spec §5): the stored name, the prefixes, the
 * reply flag, the series marker (x/n) and the version.
 *
 * Input is the clean Subject value (§2.2: decoded, collapsed).  The drop
 * list is "patch" plus the project's linkname (NULL when unknown), both
 * compared case-insensitively.  Numbers saturate at INT32_MAX (they end
 * up in integer columns).
 *
 * Lifecycle: subject_parse() fills a struct the caller owns; release the
 * strings with subject_release().
 */
#include <stddef.h>

struct subject {
	char	 *name;		/* §5.1, not truncated */
	char	**prefixes;	/* kept prefixes, in order */
	size_t	  nprefixes;
	int	  reply;	/* §5.2 */
	int	  has_marker;	/* §5.3: x and n valid */
	int	  x, n;
	int	  version;	/* §5.4, 1 by default */
};

void	 subject_parse(struct subject *, const char *clean, size_t len,
	    const char *linkname);
void	 subject_release(struct subject *);

/*
 * A series name from a cover letter name (§12): the leading "[...]"
 * group and the whitespace after it removed.  Returns a malloc'ed string.
 */
char	*subject_series_name(const char *name);

/*
 * Project subject_match (§4): search pattern in subject with IGNORECASE
 * and MULTILINE.  1 match, 0 no match, -1 the pattern does not compile
 * (the caller skips that project with a warning).
 */
int	 subject_match(const char *pattern, const char *subject);

#endif
