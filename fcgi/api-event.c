/*
 * GET /api/[v/]events/ (REST spec 11).  Anyone may read.
 *
 * Newest first by default (order=date for oldest first, the only other
 * choice).  Comment events are hidden below 1.3 and check-updated below
 * 1.4: they are left out of the list, not blanked.  The page's rows come
 * with every object a payload may name joined in, so a page is three
 * statements (resolution, ids, rows) whatever its size.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/*
 * $1..$14: project (pair), category, series, patch, cover (pairs),
 * actor, since, before, categories hidden at this version (text[]), a
 * project linkname given alone.
 */
#define EVENT_NF	14
#define PROJECT_BY_NAME(n) \
	"(SELECT min(id) FROM project WHERE lower(linkname) = lower(" n "))"
#define EVENT_WHERE \
	" WHERE ($1::bigint IS NULL OR e.project_id = $1)" \
	" AND ($2::bigint[] IS NULL OR e.project_id = ANY($2::bigint[]))" \
	" AND ($3::text IS NULL OR e.category = $3)" \
	" AND ($4::bigint IS NULL OR e.series_id = $4)" \
	" AND ($5::bigint[] IS NULL OR e.series_id = ANY($5::bigint[]))" \
	" AND ($6::bigint IS NULL OR e.patch_id = $6)" \
	" AND ($7::bigint[] IS NULL OR e.patch_id = ANY($7::bigint[]))" \
	" AND ($8::bigint IS NULL OR e.cover_id = $8)" \
	" AND ($9::bigint[] IS NULL OR e.cover_id = ANY($9::bigint[]))" \
	" AND ($10::bigint IS NULL OR e.actor_id = $10)" \
	" AND ($11::timestamptz IS NULL OR e.date >= $11)" \
	" AND ($12::timestamptz IS NULL OR e.date < $12)" \
	" AND ($13::text[] IS NULL OR e.category <> ALL ($13::text[]))" \
	" AND ($14::text IS NULL OR e.project_id = " PROJECT_BY_NAME("$14") ")"
#define EVENT_PAGE(cmp, ord) \
	"SELECT e.id, (SELECT pg_current_snapshot()::text) FROM event e" \
	EVENT_WHERE " AND ($15::text IS NULL OR (e.date, e.id) " cmp \
	" ($15::text::timestamptz, $16::bigint)) ORDER BY " ord \
	" LIMIT $17 OFFSET $18"
#define EVENT_MARKS(ord) \
	"SELECT k::text, id FROM (SELECT e.date AS k, e.id, row_number()" \
	" OVER (ORDER BY " ord ") AS rn FROM event e" EVENT_WHERE ") x" \
	" WHERE rn > 1 AND (rn - 1) % $15 = 0 ORDER BY rn"

/*
 * Fast paths, newest first: what feeds and CI pollers ask (project,
 * category, since, in every combination).  $1 is always the hidden
 * categories.
 */
#define F_HIDDEN "($1::text[] IS NULL OR e.category <> ALL ($1::text[]))"
#define F_PROJECT(i, n) " AND e.project_id = coalesce(" i "::bigint, " \
	PROJECT_BY_NAME(n "::text") ")"
#define F_CATEGORY(i) " AND e.category = " i "::text"
#define F_SINCE(i) " AND e.date >= " i "::timestamptz"
#define EVENT_FAST(where) \
	"SELECT e.id, (SELECT pg_current_snapshot()::text) FROM event e" \
	" WHERE " F_HIDDEN where " ORDER BY e.date DESC, e.id DESC LIMIT 251"
#define FAST_SHAPES(X) \
	X(N, "", 0, -1, -1, -1, -1) \
	X(P, F_PROJECT("$2", "$3"), B_PROJECT, 0, 13, -1, -1) \
	X(C, F_CATEGORY("$2"), B_CATEGORY, 2, -1, -1, -1) \
	X(S, F_SINCE("$2"), B_SINCE, 10, -1, -1, -1) \
	X(PC, F_PROJECT("$2", "$3") F_CATEGORY("$4"), \
	    B_PROJECT | B_CATEGORY, 0, 13, 2, -1) \
	X(PS, F_PROJECT("$2", "$3") F_SINCE("$4"), B_PROJECT | B_SINCE, \
	    0, 13, 10, -1) \
	X(CS, F_CATEGORY("$2") F_SINCE("$3"), B_CATEGORY | B_SINCE, \
	    2, 10, -1, -1) \
	X(PCS, F_PROJECT("$2", "$3") F_CATEGORY("$4") F_SINCE("$5"), \
	    B_PROJECT | B_CATEGORY | B_SINCE, 0, 13, 2, 10)
enum {
	B_PROJECT = 1 << 0, B_CATEGORY = 1 << 1, B_SINCE = 1 << 2,
	B_OTHER = 1 << 3,
};
/* The hidden categories ($13) are part of every shape: no bit. */
static const unsigned bits[EVENT_NF] = {
	B_PROJECT, B_OTHER, B_CATEGORY, B_OTHER, B_OTHER, B_OTHER, B_OTHER,
	B_OTHER, B_OTHER, B_OTHER, B_SINCE, B_OTHER, 0, B_PROJECT,
};

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

enum {
	ST_COUNT,
	ST_P, ST_PD, ST_M, ST_MD,
#define X(E, w, m, a, b, c, d) ST_F_##E,
	FAST_SHAPES(X)
#undef X
	ST_ROWS,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_event_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM event e"
	    EVENT_WHERE, EVENT_NF },
	[ST_P] = { "api_event_p_date",
	    EVENT_PAGE(">=", "e.date, e.id"), EVENT_NF + 4 },
	[ST_PD] = { "api_event_pd_date",
	    EVENT_PAGE("<=", "e.date DESC, e.id DESC"), EVENT_NF + 4 },
	[ST_M] = { "api_event_m_date", EVENT_MARKS("e.date, e.id"),
	    EVENT_NF + 1 },
	[ST_MD] = { "api_event_md_date",
	    EVENT_MARKS("e.date DESC, e.id DESC"), EVENT_NF + 1 },
#define X(E, w, m, a, b, c, d) \
	[ST_F_##E] = { "api_event_f_" #E, EVENT_FAST(w), \
	    1 + (a >= 0) + (b >= 0) + (c >= 0) + (d >= 0) },
	FAST_SHAPES(X)
#undef X
	[ST_ROWS] = { "api_event_rows",
	    "SELECT " EVENT_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN event e ON e.id = o.id"
	    EVENT_JOINS " ORDER BY o.n", 1 },
};

static const struct api_order orders[] = {
	{ "date", { &stmts[ST_P], &stmts[ST_PD] },
	    { &stmts[ST_M], &stmts[ST_MD] } },
};

static const struct api_fast fast[] = {
#define X(E, w, m, a, b, c, d) \
	{ m, 0, 1, &stmts[ST_F_##E], { 12, a, b, c, d, -1 } },
	FAST_SHAPES(X)
#undef X
};

static const struct api_listdef listdef = {
	"events", orders, 1, 1, &stmts[ST_COUNT], EVENT_NF, 1, bits, fast,
	sizeof(fast) / sizeof(fast[0]),
};

/* Payload keys per category, in Django's field order. */
enum {
	P_PATCH = 1 << 0, P_SERIES = 1 << 1, P_COVER = 1 << 2,
	P_STATES = 1 << 3, P_DELEGATES = 1 << 4, P_CHECK = 1 << 5,
	P_RELATIONS = 1 << 6, P_PCOMMENT = 1 << 7, P_CCOMMENT = 1 << 8,
};

static const struct {
	const char	*name;
	unsigned	 keys;
	int		 since;		/* version that lists it */
} categories[] = {
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
#define NCATEGORIES	(sizeof(categories) / sizeof(categories[0]))

static int
category(const char *s)
{
	size_t i;

	for (i = 0; i < NCATEGORIES; i++)
		if (strcmp(categories[i].name, s) == 0)
			return (int)i;
	return -1;
}

static void
write_event(struct api *a, const struct dbres *res, int row)
{
	struct jw *w = &a->jw;
	int c = category(dbres_str(res, row, C_CATEGORY));
	unsigned k = c >= 0 ? categories[c].keys : 0;

	jw_obj(w, NULL);
	jw_i64(w, "id", dbres_i64(res, row, C_ID));
	jw_str(w, "category", dbres_str(res, row, C_CATEGORY));
	api_embed_project(a, "project", res, row, C_PROJECT);
	jw_time(w, "date", dbres_str(res, row, C_DATE));
	/* Every version: Django's event serializer never strips it. */
	api_embed_user(a, "actor", res, row, C_ACTOR);
	jw_obj(w, "payload");
	if (k & P_PATCH)
		api_embed_patch(a, "patch", res, row, C_PATCH);
	if (k & P_SERIES)
		api_embed_series(a, "series", res, row, C_SERIES);
	if (k & P_COVER)
		api_embed_cover(a, "cover", res, row, C_COVER);
	if (k & P_STATES) {
		jw_str(w, "previous_state", dbres_str(res, row, C_PSTATE));
		jw_str(w, "current_state", dbres_str(res, row, C_CSTATE));
	}
	if (k & P_DELEGATES) {
		api_embed_user(a, "previous_delegate", res, row, C_PDELEGATE);
		api_embed_user(a, "current_delegate", res, row, C_CDELEGATE);
	}
	if (k & P_CHECK)
		api_embed_check(a, "check", res, row, C_CHECK);
	if (k & P_RELATIONS) {
		/* Django never fills them. */
		jw_null(w, "previous_relation");
		jw_null(w, "current_relation");
	}
	if (k & P_CCOMMENT)
		api_embed_comment(a, "comment", "covers", res, row, C_CCOMMENT);
	if (k & P_PCOMMENT)
		api_embed_comment(a, "comment", "patches", res, row,
		    C_PCOMMENT);
	jw_obj_end(w);
	jw_obj_end(w);
}

static int
event_filters(struct api *a, struct api_list *l)
{
	struct api_resolve rs;
	struct dbparam *p = l->params;
	const char *v, *hidden[NCATEGORIES];
	char dt[80];
	int64_t actor;
	size_t i;
	int st, n = 0, c;

	memset(&rs, 0, sizeof(rs));
	if ((v = api_one_name(a, "project")) != NULL)
		p[13] = DB_STR(v);
	else
		api_resolve_add(a, &rs, API_KIND_PROJECT, "project");
	api_resolve_add(a, &rs, API_KIND_SERIES, "series");
	api_resolve_add(a, &rs, API_KIND_PATCH, "patch");
	api_resolve_add(a, &rs, API_KIND_COVER, "cover");
	/* actor: one user id, 1.2+; an unknown one empties the list. */
	if (API_HAS(a, 12) && (v = api_arg(a, "actor")) != NULL &&
	    *v != '\0') {
		if (api_parse_int(v, &actor) == -1)
			return 1;
		api_resolve_vals(&rs, API_KIND_USER, &v, 1);
		p[9] = DB_I64(actor);
	}
	if ((st = api_resolve_run(a, &rs)) != 0)
		return st;
	api_param_ids(a, &p[0], &rs.out[API_KIND_PROJECT]);
	api_param_ids(a, &p[3], &rs.out[API_KIND_SERIES]);
	api_param_ids(a, &p[5], &rs.out[API_KIND_PATCH]);
	api_param_ids(a, &p[7], &rs.out[API_KIND_COVER]);
	if ((v = api_arg(a, "category")) != NULL && *v != '\0') {
		if ((c = category(v)) == -1 ||
		    !API_HAS(a, categories[c].since))
			return 1;
		p[2] = DB_STR(v);
	}
	if ((v = api_arg(a, "since")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[10] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	if ((v = api_arg(a, "before")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[11] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	for (i = 0; i < NCATEGORIES; i++)
		if (!API_HAS(a, categories[i].since))
			hidden[n++] = categories[i].name;
	if (n > 0)
		p[12] = DB_STR(api_pg_strs(a, hidden, n));
	return 0;
}

/*
 * GET events/: 200 with a page of events, newest first (order=date for
 * oldest first); filters project, category, series, patch, cover,
 * actor (1.2+), since, before; an invalid value gives an empty list.
 */
int
api_event_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *rows;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	if ((st = event_filters(&a, &l)) == 1)
		l.empty = 1;
	else if (st != 0)
		return st;
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	jw_arr(&a.jw, NULL);
	if (l.nids > 0) {
		rows = db_run(r->db, &stmts[ST_ROWS],
		    DB_STR(api_list_ids(&a, &l)));
		if (rows == NULL)
			return api_db_error(&a);
		for (i = 0; i < dbres_rows(rows); i++)
			write_event(&a, rows, i);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}
