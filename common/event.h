#ifndef PW_EVENT_H
#define PW_EVENT_H
/*
 * Events as the REST API shows them (spec 11): the categories, and the
 * JSON of one event.  GET /api/.../events/ and the webhook worker both
 * render through here, so a webhook body is exactly the event as the
 * events API lists it.
 *
 * event_rows_stmt: $1 a bigint[] of event ids → one row per existing
 * event, in the order given, with every object a payload may name
 * joined in; event_write() writes row's event as one JSON object.
 */
#include "apiobj.h"
#include "db.h"

struct event_category {
	const char	*name;
	unsigned	 keys;		/* payload keys (event.c) */
	int		 since;		/* API version that lists it */
};

#define EVENT_NCATEGORIES	12
extern const struct event_category event_categories[EVENT_NCATEGORIES];

/* Index in event_categories, or -1. */
int	 event_category(const char *);

extern const struct stmt_def event_rows_stmt;
void	 event_write(struct apiout *, const struct dbres *, int row);

#endif
