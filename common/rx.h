#ifndef PW_RX_H
#define PW_RX_H
/*
 * A small PCRE2 wrapper for the regular expressions of the mail parser
 * and the admin-supplied project patterns (spec §0: UTF and UCP, so that
 * \w, \s and \d are Unicode-aware as in Python).
 *
 * Lifecycle: rx_compile() once (it JIT-compiles when it can), rx_match()
 * as often as needed, rx_free() at the end.  A struct rx keeps its own
 * match data, so one struct rx must not be used by two threads at once.
 * Subjects must be valid UTF-8 (an invalid one simply does not match).
 * Each match has a backtracking limit, so a pathological pattern fails to
 * match instead of hanging.
 */
#include <stddef.h>

enum rx_flags {
	RX_ICASE	= 1 << 0,	/* re.IGNORECASE */
	RX_MULTILINE	= 1 << 1,	/* re.MULTILINE */
	RX_DOTALL	= 1 << 2,	/* re.DOTALL */
	RX_ANCHORED	= 1 << 3,	/* re.match rather than re.search */
};

struct rx;

/* NULL on a bad pattern; then *errmsg (if errmsg) says why. */
struct rx	*rx_compile(const char *pattern, enum rx_flags,
		    char *errmsg, size_t errlen);
void		 rx_free(struct rx *);

/*
 * Search s[0..len) from offset start.  Returns the number of the highest
 * group set plus one (at least 1) on a match, 0 on no match.  ov, if not
 * NULL, receives nov pairs of offsets (start, end) for group 0, 1, ...;
 * an unset group is (-1, -1) cast to size_t.  RX_ANCHORED given here
 * anchors this call only.
 */
int		 rx_match(struct rx *, const char *s, size_t len, size_t start,
		    enum rx_flags, size_t *ov, int nov);

/*
 * Count the non-overlapping matches in s, as len(re.findall()) does
 * (empty matches count, and the search then moves on one character).
 */
size_t		 rx_count(struct rx *, const char *s, size_t len);

#define RX_UNSET	((size_t)-1)

#endif
