/*
 * GET /api/[v/]covers/ and /api/[v/]covers/{id}/ (REST spec 9).
 * Anyone may read.  A list: resolution of id-or-name filters (when
 * given), the page's ids, the page's rows with project, submitter and
 * series joined.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/*
 * $1..$12: project, series, submitter (pairs: one id or an array),
 * msgid, since, before, first q pattern, all q patterns, a project
 * linkname given alone.
 */
#define COVER_NF	12
#define PROJECT_BY_NAME(n) \
	"(SELECT min(id) FROM project WHERE lower(linkname) = lower(" n "))"
#define COVER_WHERE \
	" WHERE ($1::bigint IS NULL OR c.project_id = $1)" \
	" AND ($2::bigint[] IS NULL OR c.project_id = ANY($2::bigint[]))" \
	" AND ($3::bigint IS NULL OR c.id IN" \
	"  (SELECT cover_letter_id FROM series WHERE id = $3))" \
	" AND ($4::bigint[] IS NULL OR c.id IN" \
	"  (SELECT cover_letter_id FROM series WHERE id = ANY($4::bigint[])))" \
	" AND ($5::bigint IS NULL OR c.submitter_id = $5)" \
	" AND ($6::bigint[] IS NULL OR c.submitter_id = ANY($6::bigint[]))" \
	" AND ($7::text IS NULL OR c.msgid = $7)" \
	" AND ($8::timestamptz IS NULL OR c.date >= $8)" \
	" AND ($9::timestamptz IS NULL OR c.date < $9)" \
	" AND ($10::text IS NULL OR c.name ILIKE $10)" \
	" AND ($11::text[] IS NULL OR c.name ILIKE ALL ($11::text[]))" \
	" AND ($12::text IS NULL OR c.project_id = " PROJECT_BY_NAME("$12") ")"
#define COVER_PAGE(key, type, cmp, ord) \
	"SELECT c.id, (SELECT pg_current_snapshot()::text) FROM cover c" \
	COVER_WHERE " AND ($13::text IS NULL OR (" key ", c.id) " cmp \
	" ($13::text::" type ", $14::bigint)) ORDER BY " ord \
	" LIMIT $15 OFFSET $16"
#define COVER_MARKS(key, ord) \
	"SELECT k::text, id FROM (SELECT " key " AS k, c.id, row_number()" \
	" OVER (ORDER BY " ord ") AS rn FROM cover c" COVER_WHERE ") x" \
	" WHERE rn > 1 AND (rn - 1) % $13 = 0 ORDER BY rn"
/* The fast path: one project, by id or linkname (see api.h). */
#define COVER_FAST(ord) \
	"SELECT c.id, (SELECT pg_current_snapshot()::text) FROM cover c" \
	" WHERE c.project_id = coalesce($1::bigint, " \
	PROJECT_BY_NAME("$2::text") ") ORDER BY " ord \
	" LIMIT " API_FAST_LIMIT_SQL

#define COVER_ORDERS(X) \
	X(ID, "id", "c.id", "bigint") \
	X(NAME, "name", "c.name", "text") \
	X(DATE, "date", "c.date", "timestamptz") \
	X(SUBMITTER, "submitter", "c.submitter_id", "bigint")

#define COVER_COLS "c.id, c.msgid, c.date, c.name, " \
	API_COLS_PROJECT("pr") ", " API_COLS_PERSON("pe") ", " \
	API_COLS_SERIES("s", API_SERIES_LINKNAME("s", "c.project_id", "pr"))
#define COVER_JOINS \
	" JOIN project pr ON pr.id = c.project_id" \
	" JOIN person pe ON pe.id = c.submitter_id" \
	" LEFT JOIN series s ON s.cover_letter_id = c.id"
enum {
	C_ID, C_MSGID, C_DATE, C_NAME,
	C_PROJECT,
	C_PERSON = C_PROJECT + API_NCOLS_PROJECT,
	C_SERIES = C_PERSON + API_NCOLS_PERSON,
	C_DETAIL = C_SERIES + API_NCOLS_SERIES,	/* headers, content */
};

enum {
	ST_COUNT,
#define X(E, n, k, t) ST_P_##E, ST_PD_##E, ST_M_##E, ST_MD_##E,
	COVER_ORDERS(X)
#undef X
	ST_F_ID, ST_FD_DATE,
	ST_ROWS,
	ST_DETAIL,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_cover_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM cover c"
	    COVER_WHERE, COVER_NF },
#define X(E, n, k, t) \
	[ST_P_##E] = { "api_cover_p_" n, \
	    COVER_PAGE(k, t, ">=", k ", c.id"), COVER_NF + 4 }, \
	[ST_PD_##E] = { "api_cover_pd_" n, \
	    COVER_PAGE(k, t, "<=", k " DESC, c.id DESC"), COVER_NF + 4 }, \
	[ST_M_##E] = { "api_cover_m_" n, \
	    COVER_MARKS(k, k ", c.id"), COVER_NF + 1 }, \
	[ST_MD_##E] = { "api_cover_md_" n, \
	    COVER_MARKS(k, k " DESC, c.id DESC"), COVER_NF + 1 },
	COVER_ORDERS(X)
#undef X
	[ST_F_ID] = { "api_cover_f_id", COVER_FAST("c.id"), 2 },
	[ST_FD_DATE] = { "api_cover_fd_date",
	    COVER_FAST("c.date DESC, c.id DESC"), 2 },
	[ST_ROWS] = { "api_cover_rows",
	    "SELECT " COVER_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN cover c ON c.id = o.id"
	    COVER_JOINS " ORDER BY o.n", 1 },
	[ST_DETAIL] = { "api_cover_detail",
	    "SELECT " COVER_COLS ", c.headers, c.content FROM cover c"
	    COVER_JOINS " WHERE c.id = $1", 1 },
};

static const struct api_order orders[] = {
#define X(E, n, k, t) { n, { &stmts[ST_P_##E], &stmts[ST_PD_##E] }, \
	{ &stmts[ST_M_##E], &stmts[ST_MD_##E] } },
	COVER_ORDERS(X)
#undef X
};

enum { B_PROJECT = 1 << 0, B_OTHER = 1 << 1 };
static const unsigned bits[COVER_NF] = {
	B_PROJECT, B_OTHER, B_OTHER, B_OTHER, B_OTHER, B_OTHER, B_OTHER,
	B_OTHER, B_OTHER, B_OTHER, B_OTHER, B_PROJECT,
};
static const struct api_fast fast[] = {
	{ B_PROJECT, 0, 0, &stmts[ST_F_ID], { 0, 11, -1 } },
	{ B_PROJECT, 2, 1, &stmts[ST_FD_DATE], { 0, 11, -1 } },
};

static const struct api_listdef listdef = {
	"covers", orders, sizeof(orders) / sizeof(orders[0]), 0,
	&stmts[ST_COUNT], COVER_NF, 1, bits, fast, 2,
};

static void
write_cover(struct api *a, const struct dbres *res, int row, int detail)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, C_ID);
	const char *msgid = dbres_str(res, row, C_MSGID);
	const char *linkname = dbres_str(res, row, C_PROJECT + 2);

	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_url(w, "url", a->prefix_j, "/covers/", id, "/");
	if (API_HAS(a, 11))
		api_web_url(a, "web_url", "cover", linkname, msgid);
	api_embed_project(a, "project", res, row, C_PROJECT);
	jw_str(w, "msgid", msgid);
	if (API_HAS(a, 12))
		jw_str(w, "list_archive_url", api_archive_url(a,
		    dbres_str(res, row, C_PROJECT + 9), msgid));
	jw_time(w, "date", dbres_str(res, row, C_DATE));
	jw_str(w, "name", dbres_str(res, row, C_NAME));
	api_embed_person(a, "submitter", res, row, C_PERSON);
	if (API_HAS(a, 11))
		api_mbox_url(a, "mbox", "cover", linkname, msgid);
	jw_arr(w, "series");
	if (!dbres_isnull(res, row, C_SERIES))
		api_embed_series(a, NULL, res, row, C_SERIES);
	jw_arr_end(w);
	if (API_HAS(a, 11))
		jw_url(w, "comments", a->uprefix_j, "/covers/", id,
		    "/comments/");
	if (detail) {
		api_headers(a, "headers", dbres_str(res, row, C_DETAIL));
		jw_str(w, "content", dbres_str(res, row, C_DETAIL + 1));
	}
	jw_obj_end(w);
}

/* Spec 9's filters; 0, 1 (empty list) or an HTTP status. */
static int
cover_filters(struct api *a, struct api_list *l)
{
	struct api_resolve rs;
	struct dbparam *p = l->params;
	const char *v;
	char dt[80];
	int st;

	memset(&rs, 0, sizeof(rs));
	if ((v = api_one_name(a, "project")) != NULL)
		p[11] = DB_STR(v);
	else
		api_resolve_add(a, &rs, API_KIND_PROJECT, "project");
	api_resolve_add(a, &rs, API_KIND_SERIES, "series");
	api_resolve_add(a, &rs, API_KIND_PERSON, "submitter");
	if ((st = api_resolve_run(a, &rs)) != 0)
		return st;
	api_param_ids(a, &p[0], &rs.out[API_KIND_PROJECT]);
	api_param_ids(a, &p[2], &rs.out[API_KIND_SERIES]);
	api_param_ids(a, &p[4], &rs.out[API_KIND_PERSON]);
	/* msgid: every version for covers (spec 9). */
	if ((v = api_arg(a, "msgid")) != NULL && *v != '\0')
		p[6] = DB_STR(arena_printf(a->r->arena, "<%s>", v));
	if ((v = api_arg(a, "since")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[7] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	if ((v = api_arg(a, "before")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[8] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	api_param_search(a, &p[9]);
	return 0;
}

/*
 * GET covers/: 200 with a page of cover summaries (filters project,
 * series, submitter, msgid, since, before; q on name; order id, name,
 * date, submitter), Link header; 404 "Invalid page.".
 */
int
api_cover_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *rows;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	if ((st = cover_filters(&a, &l)) == 1)
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
			write_cover(&a, rows, i, 0);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/*
 * GET covers/{id}/: 200 with the cover, headers and content included;
 * 404 {"detail":"No Cover matches the given query."}.
 */
int
api_cover_detail(struct req *r)
{
	struct api a;
	struct dbres *res;
	int64_t id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0)
		return st;
	req_param_i64(r, "id", &id);
	if ((res = db_run(r->db, &stmts[ST_DETAIL], DB_I64(id))) == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, "Cover");
	write_cover(&a, res, 0, 1);
	return 200;
}
