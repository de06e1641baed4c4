/*
 * Event categories and the JSON of one event; see event.h.
 */
#include <string.h>

#include "apiobj.h"
#include "db.h"
#include "event.h"
#include "jw.h"

/* Every object a payload may name, each with what its embedding needs. */
#define EVENT_COLS "e.id, e.category, e.date, " \
	API_COLS_PROJECT("pr") ", " API_COLS_USER("au") ", " \
	API_COLS_SUB("p", "pp") ", " API_COLS_SERIES("s", "sp.linkname") ", " \
	API_COLS_SUB("cv", "cp") ", ps.slug, cs.slug, " \
	API_COLS_USER("pd") ", " API_COLS_USER("cd") ", " \
	API_COLS_CHECK("ck") ", " \
	API_COLS_COMMENT("pc", "pc.patch_id", "pcr") ", " \
	API_COLS_COMMENT("cc", "cc.cover_id", "ccr")
#define EVENT_JOINS \
	" JOIN project pr ON pr.id = e.project_id" \
	" LEFT JOIN auth_user au ON au.id = e.actor_id" \
	" LEFT JOIN patch p ON p.id = e.patch_id" \
	" LEFT JOIN project pp ON pp.id = p.project_id" \
	" LEFT JOIN series s ON s.id = e.series_id" \
	" LEFT JOIN project sp ON sp.id = s.project_id" \
	" LEFT JOIN cover cv ON cv.id = e.cover_id" \
	" LEFT JOIN project cp ON cp.id = cv.project_id" \
	" LEFT JOIN state ps ON ps.id = e.previous_state_id" \
	" LEFT JOIN state cs ON cs.id = e.current_state_id" \
	" LEFT JOIN auth_user pd ON pd.id = e.previous_delegate_id" \
	" LEFT JOIN auth_user cd ON cd.id = e.current_delegate_id" \
	" LEFT JOIN ci_check ck ON ck.id = e.created_check_id" \
	" LEFT JOIN patch_comment pc ON pc.id = e.patch_comment_id" \
	" LEFT JOIN patch pcp ON pcp.id = pc.patch_id" \
	" LEFT JOIN project pcr ON pcr.id = pcp.project_id" \
	" LEFT JOIN cover_comment cc ON cc.id = e.cover_comment_id" \
	" LEFT JOIN cover ccv ON ccv.id = cc.cover_id" \
	" LEFT JOIN project ccr ON ccr.id = ccv.project_id"
enum {
	C_ID, C_CATEGORY, C_DATE,
	C_PROJECT,
	C_ACTOR = C_PROJECT + API_NCOLS_PROJECT,
	C_PATCH = C_ACTOR + API_NCOLS_USER,
	C_SERIES = C_PATCH + API_NCOLS_SUB,
	C_COVER = C_SERIES + API_NCOLS_SERIES,
	C_PSTATE = C_COVER + API_NCOLS_SUB,
	C_CSTATE,
	C_PDELEGATE,
	C_CDELEGATE = C_PDELEGATE + API_NCOLS_USER,
	C_CHECK = C_CDELEGATE + API_NCOLS_USER,
	C_PCOMMENT = C_CHECK + API_NCOLS_CHECK,
	C_CCOMMENT = C_PCOMMENT + API_NCOLS_COMMENT,
};

const struct stmt_def event_rows_stmt = { "event_rows",
    "SELECT " EVENT_COLS " FROM unnest($1::bigint[])"
    " WITH ORDINALITY AS o(id, n) JOIN event e ON e.id = o.id"
    EVENT_JOINS " ORDER BY o.n", 1 };

/* Payload keys per category, in Django's field order. */
enum {
	P_PATCH = 1 << 0, P_SERIES = 1 << 1, P_COVER = 1 << 2,
	P_STATES = 1 << 3, P_DELEGATES = 1 << 4, P_CHECK = 1 << 5,
	P_RELATIONS = 1 << 6, P_PCOMMENT = 1 << 7, P_CCOMMENT = 1 << 8,
};

const struct event_category event_categories[EVENT_NCATEGORIES] = {
	{ "cover-created", P_COVER, 10 },
	{ "patch-created", P_PATCH, 10 },
	{ "patch-completed", P_PATCH | P_SERIES, 10 },
	{ "patch-state-changed", P_PATCH | P_STATES, 10 },
	{ "patch-delegated", P_PATCH | P_DELEGATES, 10 },
	{ "patch-relation-changed", P_PATCH | P_RELATIONS, 10 },
	{ "check-created", P_PATCH | P_CHECK, 10 },
	{ "series-created", P_SERIES, 10 },
	{ "series-completed", P_SERIES, 10 },
	{ "cover-comment-created", P_COVER | P_CCOMMENT, 13 },
	{ "patch-comment-created", P_PATCH | P_PCOMMENT, 13 },
	{ "check-updated", P_PATCH | P_CHECK, 14 },
};

int
event_category(const char *s)
{
	int i;

	for (i = 0; i < EVENT_NCATEGORIES; i++)
		if (strcmp(event_categories[i].name, s) == 0)
			return i;
	return -1;
}

void
event_write(struct apiout *o, const struct dbres *res, int row)
{
	struct jw *w = o->w;
	int c = event_category(dbres_str(res, row, C_CATEGORY));
	unsigned k = c >= 0 ? event_categories[c].keys : 0;

	jw_obj(w, NULL);
	jw_i64(w, "id", dbres_i64(res, row, C_ID));
	jw_str(w, "category", dbres_str(res, row, C_CATEGORY));
	apiout_project(o, "project", res, row, C_PROJECT);
	jw_time(w, "date", dbres_str(res, row, C_DATE));
	/* Every version: Django's event serializer never strips it. */
	apiout_user(o, "actor", res, row, C_ACTOR);
	jw_obj(w, "payload");
	if (k & P_PATCH)
		apiout_patch(o, "patch", res, row, C_PATCH);
	if (k & P_SERIES)
		apiout_series(o, "series", res, row, C_SERIES);
	if (k & P_COVER)
		apiout_cover(o, "cover", res, row, C_COVER);
	if (k & P_STATES) {
		jw_str(w, "previous_state", dbres_str(res, row, C_PSTATE));
		jw_str(w, "current_state", dbres_str(res, row, C_CSTATE));
	}
	if (k & P_DELEGATES) {
		apiout_user(o, "previous_delegate", res, row, C_PDELEGATE);
		apiout_user(o, "current_delegate", res, row, C_CDELEGATE);
	}
	if (k & P_CHECK)
		apiout_check(o, "check", res, row, C_CHECK);
	if (k & P_RELATIONS) {
		/* Django never fills them. */
		jw_null(w, "previous_relation");
		jw_null(w, "current_relation");
	}
	if (k & P_CCOMMENT)
		apiout_comment(o, "comment", "covers", res, row, C_CCOMMENT);
	if (k & P_PCOMMENT)
		apiout_comment(o, "comment", "patches", res, row,
		    C_PCOMMENT);
	jw_obj_end(w);
	jw_obj_end(w);
}

