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
#include "event.h"
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

enum {
	ST_COUNT,
	ST_P, ST_PD, ST_M, ST_MD,
#define X(E, w, m, a, b, c, d) ST_F_##E,
	FAST_SHAPES(X)
#undef X
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

static int
event_filters(struct api *a, struct api_list *l)
{
	struct api_resolve rs;
	struct dbparam *p = l->params;
	const char *v, *hidden[EVENT_NCATEGORIES];
	char dt[80];
	int64_t actor;
	int i, st, n = 0, c;

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
		if ((c = event_category(v)) == -1 ||
		    !API_HAS(a, event_categories[c].since))
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
	for (i = 0; i < EVENT_NCATEGORIES; i++)
		if (!API_HAS(a, event_categories[i].since))
			hidden[n++] = event_categories[i].name;
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
		rows = db_run(r->db, &event_rows_stmt,
		    DB_STR(api_list_ids(&a, &l)));
		if (rows == NULL)
			return api_db_error(&a);
		for (i = 0; i < dbres_rows(rows); i++)
			event_write(&a.out, rows, i);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}
