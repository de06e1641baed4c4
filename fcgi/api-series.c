/*
 * GET /api/[v/]series/ and /api/[v/]series/{id}/ (REST spec 10, 13.2).
 * Anyone may read.  List and detail share one representation.
 *
 * Statements for a page: resolution (when filters name things), the
 * page's ids, the rows (project, submitter, cover letter joined), the
 * patches of every series of the page (which also give received_total);
 * at 1.4, the metadata, and the dependencies when a series of the page
 * belongs to a project that shows them.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "json.h"
#include "pwfcgi.h"
#include "api.h"

/*
 * $1..$11: project, submitter (pairs), since, before, first q pattern,
 * all q patterns, metadata key, metadata value (1.4), a project
 * linkname given alone.
 */
#define SERIES_NF	11
#define PROJECT_BY_NAME(n) \
	"(SELECT min(id) FROM project WHERE lower(linkname) = lower(" n "))"
#define SERIES_WHERE \
	" WHERE ($1::bigint IS NULL OR s.project_id = $1)" \
	" AND ($2::bigint[] IS NULL OR s.project_id = ANY($2::bigint[]))" \
	" AND ($3::bigint IS NULL OR s.submitter_id = $3)" \
	" AND ($4::bigint[] IS NULL OR s.submitter_id = ANY($4::bigint[]))" \
	" AND ($5::timestamptz IS NULL OR s.date >= $5)" \
	" AND ($6::timestamptz IS NULL OR s.date < $6)" \
	" AND ($7::text IS NULL OR s.name ILIKE $7)" \
	" AND ($8::text[] IS NULL OR s.name ILIKE ALL ($8::text[]))" \
	" AND (($9::text IS NULL AND $10::text IS NULL) OR EXISTS (SELECT 1" \
	"  FROM series_metadata m WHERE m.series_id = s.id" \
	"  AND ($9::text IS NULL OR m.key = $9)" \
	"  AND ($10::text IS NULL OR m.value = $10)))" \
	" AND ($11::text IS NULL OR s.project_id = " PROJECT_BY_NAME("$11") ")"
#define SERIES_PAGE(key, type, cmp, ord) \
	"SELECT s.id, (SELECT pg_current_snapshot()::text) FROM series s" \
	SERIES_WHERE " AND ($12::text IS NULL OR (" key ", s.id) " cmp \
	" ($12::text::" type ", $13::bigint)) ORDER BY " ord \
	" LIMIT $14 OFFSET $15"
#define SERIES_MARKS(key, ord) \
	"SELECT k::text, id FROM (SELECT " key " AS k, s.id, row_number()" \
	" OVER (ORDER BY " ord ") AS rn FROM series s" SERIES_WHERE ") x" \
	" WHERE rn > 1 AND (rn - 1) % $12 = 0 ORDER BY rn"
/* The fast path: one project, by id or linkname (see api.h). */
#define SERIES_FAST(ord) \
	"SELECT s.id, (SELECT pg_current_snapshot()::text) FROM series s" \
	" WHERE s.project_id = coalesce($1::bigint, " \
	PROJECT_BY_NAME("$2::text") ") ORDER BY " ord \
	" LIMIT " API_FAST_LIMIT_SQL

#define K_RECEIVED_ALL \
	"(s.total <= (SELECT count(*) FROM patch x WHERE x.series_id = s.id))"

/* Orders with marks; name may be NULL, so it has none. */
#define SERIES_ORDERS(X) \
	X(ID, "id", "s.id", "bigint") \
	X(DATE, "date", "s.date", "timestamptz") \
	X(SUBMITTER, "submitter", "s.submitter_id", "bigint") \
	X(RECEIVED_ALL, "received_all", K_RECEIVED_ALL, "boolean")

#define SERIES_COLS "s.id, s.name, s.date, s.version, s.total," \
	" pr.show_dependencies, " API_COLS_PROJECT("pr") ", " \
	API_COLS_PERSON("pe") ", " API_COLS_SUB("cv", "cp")
enum {
	C_ID, C_NAME, C_DATE, C_VERSION, C_TOTAL, C_SHOWDEPS,
	C_PROJECT,
	C_PERSON = C_PROJECT + API_NCOLS_PROJECT,
	C_COVER = C_PERSON + API_NCOLS_PERSON,
};

enum {
	ST_COUNT,
#define X(E, n, k, t) ST_P_##E, ST_PD_##E, ST_M_##E, ST_MD_##E,
	SERIES_ORDERS(X)
#undef X
	ST_P_NAME, ST_PD_NAME,
	ST_F_ID, ST_FD_DATE,
	ST_ROWS,
	ST_PATCHES,
	ST_DEPS,
	ST_META,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_series_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM series s"
	    SERIES_WHERE, SERIES_NF },
#define X(E, n, k, t) \
	[ST_P_##E] = { "api_series_p_" n, \
	    SERIES_PAGE(k, t, ">=", k ", s.id"), SERIES_NF + 4 }, \
	[ST_PD_##E] = { "api_series_pd_" n, \
	    SERIES_PAGE(k, t, "<=", k " DESC, s.id DESC"), SERIES_NF + 4 }, \
	[ST_M_##E] = { "api_series_m_" n, \
	    SERIES_MARKS(k, k ", s.id"), SERIES_NF + 1 }, \
	[ST_MD_##E] = { "api_series_md_" n, \
	    SERIES_MARKS(k, k " DESC, s.id DESC"), SERIES_NF + 1 },
	SERIES_ORDERS(X)
#undef X
	[ST_P_NAME] = { "api_series_p_name",
	    SERIES_PAGE("s.name", "text", ">=", "s.name, s.id"),
	    SERIES_NF + 4 },
	[ST_PD_NAME] = { "api_series_pd_name",
	    SERIES_PAGE("s.name", "text", "<=", "s.name DESC, s.id DESC"),
	    SERIES_NF + 4 },
	[ST_F_ID] = { "api_series_f_id", SERIES_FAST("s.id"), 2 },
	[ST_FD_DATE] = { "api_series_fd_date",
	    SERIES_FAST("s.date DESC, s.id DESC"), 2 },
	[ST_ROWS] = { "api_series_rows",
	    "SELECT " SERIES_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN series s ON s.id = o.id"
	    " JOIN project pr ON pr.id = s.project_id"
	    " JOIN person pe ON pe.id = s.submitter_id"
	    " LEFT JOIN cover cv ON cv.id = s.cover_letter_id"
	    " LEFT JOIN project cp ON cp.id = cv.project_id"
	    " ORDER BY o.n", 1 },
	[ST_PATCHES] = { "api_series_patches",
	    "SELECT p.series_id, " API_COLS_SUB("p", "pr") " FROM patch p"
	    " JOIN project pr ON pr.id = p.project_id"
	    " WHERE p.series_id = ANY($1::bigint[])"
	    " ORDER BY p.series_id, p.date, p.number, p.id", 1 },
	[ST_DEPS] = { "api_series_deps",
	    "SELECT from_series_id, to_series_id FROM series_dependency"
	    " WHERE from_series_id = ANY($1::bigint[])"
	    " OR to_series_id = ANY($1::bigint[])"
	    " ORDER BY from_series_id, to_series_id", 1 },
	[ST_META] = { "api_series_meta",
	    "SELECT series_id, key, value FROM series_metadata"
	    " WHERE series_id = ANY($1::bigint[]) ORDER BY series_id, key", 1 },
};

static const struct api_order orders[] = {
	{ "id", { &stmts[ST_P_ID], &stmts[ST_PD_ID] },
	    { &stmts[ST_M_ID], &stmts[ST_MD_ID] } },
	{ "name", { &stmts[ST_P_NAME], &stmts[ST_PD_NAME] }, { NULL, NULL } },
	{ "date", { &stmts[ST_P_DATE], &stmts[ST_PD_DATE] },
	    { &stmts[ST_M_DATE], &stmts[ST_MD_DATE] } },
	{ "submitter", { &stmts[ST_P_SUBMITTER], &stmts[ST_PD_SUBMITTER] },
	    { &stmts[ST_M_SUBMITTER], &stmts[ST_MD_SUBMITTER] } },
	{ "received_all", { &stmts[ST_P_RECEIVED_ALL],
	    &stmts[ST_PD_RECEIVED_ALL] },
	    { &stmts[ST_M_RECEIVED_ALL], &stmts[ST_MD_RECEIVED_ALL] } },
};

enum { B_PROJECT = 1 << 0, B_OTHER = 1 << 1 };
static const unsigned bits[SERIES_NF] = {
	B_PROJECT, B_OTHER, B_OTHER, B_OTHER, B_OTHER, B_OTHER, B_OTHER,
	B_OTHER, B_OTHER, B_OTHER, B_PROJECT,
};
static const struct api_fast fast[] = {
	{ B_PROJECT, 0, 0, &stmts[ST_F_ID], { 0, 10, -1 } },
	{ B_PROJECT, 2, 1, &stmts[ST_FD_DATE], { 0, 10, -1 } },
};

static const struct api_listdef listdef = {
	"series", orders, sizeof(orders) / sizeof(orders[0]), 0,
	&stmts[ST_COUNT], SERIES_NF, 1, bits, fast, 2,
};

struct extra {
	struct dbres	*patches;
	int64_t		*pseries;	/* the series of each patches row */
	struct dbres	*deps;		/* NULL: none asked for */
	struct dbres	*meta;		/* NULL below 1.4 */
};

static void
write_deps(struct api *a, const char *key, const struct dbres *deps,
    int64_t id, int from)
{
	int i, n = deps != NULL ? dbres_rows(deps) : 0;

	jw_arr(&a->jw, key);
	for (i = 0; i < n; i++)
		if (dbres_i64(deps, i, from ? 0 : 1) == id)
			jw_url(&a->jw, NULL, a->prefix_j, "/series/",
			    dbres_i64(deps, i, from ? 1 : 0), "/");
	jw_arr_end(&a->jw);
}

static void
write_series(struct api *a, const struct dbres *res, int row,
    const struct extra *x)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, C_ID);
	int64_t total = dbres_i64(res, row, C_TOTAL), received = 0;
	int i, np = dbres_rows(x->patches);

	for (i = 0; i < np; i++)
		if (x->pseries[i] == id)
			received++;
	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_url(w, "url", a->prefix_j, "/series/", id, "/");
	if (API_HAS(a, 11))
		api_series_web_url(a, dbres_str(res, row, C_PROJECT + 2), id);
	api_embed_project(a, "project", res, row, C_PROJECT);
	jw_str(w, "name", dbres_str(res, row, C_NAME));
	jw_time(w, "date", dbres_str(res, row, C_DATE));
	api_embed_person(a, "submitter", res, row, C_PERSON);
	jw_i64(w, "version", dbres_i64(res, row, C_VERSION));
	jw_i64(w, "total", total);
	jw_i64(w, "received_total", received);
	jw_bool(w, "received_all", total <= received);
	jw_url(w, "mbox", a->base_j, "/series/", id, "/mbox/");
	api_embed_cover(a, "cover_letter", res, row, C_COVER);
	jw_arr(w, "patches");
	for (i = 0; i < np; i++)
		if (x->pseries[i] == id)
			api_embed_patch(a, NULL, x->patches, i, 1);
	jw_arr_end(w);
	if (API_HAS(a, 14) && dbres_bool(res, row, C_SHOWDEPS)) {
		write_deps(a, "dependencies", x->deps, id, 1);
		write_deps(a, "dependents", x->deps, id, 0);
	}
	if (API_HAS(a, 14)) {
		jw_obj(w, "metadata");
		for (i = 0; x->meta != NULL && i < dbres_rows(x->meta); i++)
			if (dbres_i64(x->meta, i, 0) == id) {
				const char *k = dbres_str(x->meta, i, 1);

				const char *v = dbres_str(x->meta, i, 2);

				jw_keyn(w, k, strlen(k));
				json_quote(w->b, v, strlen(v));
			}
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* Everything beside the rows, for the series whose ids are in ids. */
static int
fetch_extra(struct api *a, const struct dbres *rows, const char *ids,
    struct extra *x)
{
	struct db *db = a->r->db;
	int i, deps = 0;

	memset(x, 0, sizeof(*x));
	if ((x->patches = db_run(db, &stmts[ST_PATCHES], DB_STR(ids))) == NULL)
		return -1;
	x->pseries = ARENA_NEW(a->r->arena, int64_t,
	    (size_t)dbres_rows(x->patches) + 1);
	for (i = 0; i < dbres_rows(x->patches); i++)
		x->pseries[i] = dbres_i64(x->patches, i, 0);
	if (!API_HAS(a, 14))
		return 0;
	for (i = 0; i < dbres_rows(rows); i++)
		deps |= dbres_bool(rows, i, C_SHOWDEPS);
	if (deps && (x->deps = db_run(db, &stmts[ST_DEPS],
	    DB_STR(ids))) == NULL)
		return -1;
	if ((x->meta = db_run(db, &stmts[ST_META], DB_STR(ids))) == NULL)
		return -1;
	return 0;
}

static int
series_filters(struct api *a, struct api_list *l)
{
	struct api_resolve rs;
	struct dbparam *p = l->params;
	const char *v;
	char dt[80];
	int st;

	memset(&rs, 0, sizeof(rs));
	if ((v = api_one_name(a, "project")) != NULL)
		p[10] = DB_STR(v);
	else
		api_resolve_add(a, &rs, API_KIND_PROJECT, "project");
	api_resolve_add(a, &rs, API_KIND_PERSON, "submitter");
	if ((st = api_resolve_run(a, &rs)) != 0)
		return st;
	api_param_ids(a, &p[0], &rs.out[API_KIND_PROJECT]);
	api_param_ids(a, &p[2], &rs.out[API_KIND_PERSON]);
	if ((v = api_arg(a, "since")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[4] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	if ((v = api_arg(a, "before")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[5] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	api_param_search(a, &p[6]);
	if (API_HAS(a, 14)) {
		if ((v = api_arg(a, "metadata_key")) != NULL && *v != '\0')
			p[8] = DB_STR(v);
		if ((v = api_arg(a, "metadata_value")) != NULL && *v != '\0')
			p[9] = DB_STR(v);
	}
	return 0;
}

static int
write_page(struct api *a, const char *ids, int single)
{
	struct dbres *rows;
	struct extra x;
	int i;

	rows = db_run(a->r->db, &stmts[ST_ROWS], DB_STR(ids));
	if (rows == NULL)
		return api_db_error(a);
	if (single && dbres_rows(rows) == 0)
		return api_not_found(a, "Series");
	if (dbres_rows(rows) > 0 && fetch_extra(a, rows, ids, &x) == -1)
		return api_db_error(a);
	if (!single)
		jw_arr(&a->jw, NULL);
	for (i = 0; i < dbres_rows(rows); i++)
		write_series(a, rows, i, &x);
	if (!single)
		jw_arr_end(&a->jw);
	return 0;
}

/*
 * GET series/: 200 with a page of series (filters project, submitter,
 * since, before, 1.4 metadata_key/metadata_value; q on name; order id,
 * name, date, submitter, received_all), Link header.
 */
int
api_series_list(struct req *r)
{
	struct api a;
	struct api_list l;
	int st;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	if ((st = series_filters(&a, &l)) == 1)
		l.empty = 1;
	else if (st != 0)
		return st;
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	if (l.nids == 0)
		jw_raw(&a.jw, NULL, "[]");
	else if ((st = write_page(&a, api_list_ids(&a, &l), 0)) != 0)
		return st;
	api_list_end(&a, &l);
	return 200;
}

/*
 * GET series/{id}/: 200, or 404 {"detail":"No Series matches the given
 * query."}.
 */
int
api_series_detail(struct req *r)
{
	struct api a;
	int64_t id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0)
		return st;
	req_param_i64(r, "id", &id);
	if ((st = write_page(&a, api_pg_ids(&a, &id, 1), 1)) != 0)
		return st;
	return 200;
}
