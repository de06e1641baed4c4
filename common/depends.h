#ifndef PW_DEPENDS_H
#define PW_DEPENDS_H
/*
 * "Depends-on:" lines (ingest spec §15), the parsing half: lines of the
 * mail's text that match, with MULTILINE and IGNORECASE and exactly one
 * space after the colon,
 *
 *   ^Depends-on: (http[s]?://[\w\d\-./=&@:%?_\+()]+)\s*$     a URL
 *   ^Depends-on: (<[^>]+>)\s*$                                a msgid
 *
 * A URL is resolved against the site's routes, the host ignored, the
 * path taken as is or with base_path removed:
 *   /project/NAME/list/?series=N     -> DEP_SERIES N
 *   /project/NAME/patch/MSGID/       -> DEP_MSGID "<MSGID>" (%2F -> /)
 * other URLs are dropped here.  The storing half resolves a msgid to a
 * series (a Patch's, else a Cover's, any project) and drops
 * self-references and other projects' series.
 */
#include <stddef.h>
#include <stdint.h>

enum dep_kind {
	DEP_MSGID,
	DEP_SERIES,
};

struct dep {
	enum dep_kind	 kind;
	char		*msgid;		/* DEP_MSGID, malloc'ed */
	int64_t		 series;	/* DEP_SERIES */
};

/* base_path: "" or NULL when the site is mounted at "/". */
void	depends_parse(const char *text, size_t len, const char *base_path,
	    struct dep **deps, size_t *n);
void	depends_free(struct dep *, size_t);

#endif
