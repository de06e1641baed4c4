/*
 * GET /api/[v/]patches/ and /api/[v/]patches/{id}/ (REST spec 6).
 * Anyone may read.
 *
 * A list is four statements at most, whatever the page size: the
 * resolution of id-or-name filters (when there are any), the page's ids,
 * the page's rows with every embedded object joined (project, submitter,
 * delegate, state, series and the check aggregate), and, from 1.2 and
 * only when a patch of the page has a relation, the related patches.
 * The count, when the page does not tell it, comes from api.c's cache or
 * one more statement.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/*
 * The filters, $1..$19: project, series, submitter, delegate, state as
 * pairs (one id, or an array), archived, hash, msgid, since, before,
 * first q pattern, all q patterns, then a project linkname and a state
 * name given alone (resolved here rather than by a statement of their
 * own; min() because names are unique only as stored, and the lookup
 * ignores case).
 */
#define PATCH_NF	19
#define PROJECT_BY_NAME(n) \
	"(SELECT min(id) FROM project WHERE lower(linkname) = lower(" n "))"
#define STATE_BY_NAME(n) \
	"(SELECT min(id) FROM state WHERE lower(name) = lower(" n "))"
#define PATCH_WHERE \
	" WHERE ($1::bigint IS NULL OR p.project_id = $1)" \
	" AND ($2::bigint[] IS NULL OR p.project_id = ANY($2::bigint[]))" \
	" AND ($3::bigint IS NULL OR p.series_id = $3)" \
	" AND ($4::bigint[] IS NULL OR p.series_id = ANY($4::bigint[]))" \
	" AND ($5::bigint IS NULL OR p.submitter_id = $5)" \
	" AND ($6::bigint[] IS NULL OR p.submitter_id = ANY($6::bigint[]))" \
	" AND ($7::bigint IS NULL OR p.delegate_id = $7)" \
	" AND ($8::bigint[] IS NULL OR p.delegate_id = ANY($8::bigint[]))" \
	" AND ($9::bigint IS NULL OR p.state_id = $9)" \
	" AND ($10::bigint[] IS NULL OR p.state_id = ANY($10::bigint[]))" \
	" AND ($11::boolean IS NULL OR p.archived = $11)" \
	" AND ($12::text IS NULL OR p.hash = lower($12))" \
	" AND ($13::text IS NULL OR p.msgid = $13)" \
	" AND ($14::timestamptz IS NULL OR p.date >= $14)" \
	" AND ($15::timestamptz IS NULL OR p.date < $15)" \
	" AND ($16::text IS NULL OR p.name ILIKE $16)" \
	" AND ($17::text[] IS NULL OR p.name ILIKE ALL ($17::text[]))" \
	" AND ($18::text IS NULL OR p.project_id = " \
	PROJECT_BY_NAME("$18") ")" \
	" AND ($19::text IS NULL OR p.state_id = " STATE_BY_NAME("$19") ")"

/* Shapes of filters with a fast path for their first page. */
enum {
	B_PROJECT = 1 << 0,	/* one project */
	B_STATE = 1 << 1,	/* one state */
	B_STATES = 1 << 2,	/* several states */
	B_ARCHIVED = 1 << 3,
	B_OTHER = 1 << 4,	/* anything else: general statements */
};
static const unsigned bits[PATCH_NF] = {
	B_PROJECT, B_OTHER, B_OTHER, B_OTHER, B_OTHER, B_OTHER, B_OTHER,
	B_OTHER, B_STATE, B_STATES, B_ARCHIVED, B_OTHER, B_OTHER, B_OTHER,
	B_OTHER, B_OTHER, B_OTHER, B_PROJECT, B_STATE,
};
/* Fast statements' conditions; $1/$2 project id/name, then the rest. */
#define F_PROJECT \
	"p.project_id = coalesce($1::bigint, " PROJECT_BY_NAME("$2::text") ")"
#define F_STATE(i, n) \
	" AND p.state_id = coalesce(" i "::bigint, " \
	STATE_BY_NAME(n "::text") ")"
#define FAST(where, ord) \
	"SELECT p.id, (SELECT pg_current_snapshot()::text) FROM patch p" \
	" WHERE " where " ORDER BY " ord " LIMIT " API_FAST_LIMIT_SQL
#define FAST_SHAPES(X) \
	X(P, F_PROJECT, B_PROJECT, 0, 17, -1, -1, -1) \
	X(PS, F_PROJECT F_STATE("$3", "$4"), B_PROJECT | B_STATE, \
	    0, 17, 8, 18, -1) \
	X(PA, F_PROJECT " AND p.archived = $3", B_PROJECT | B_ARCHIVED, \
	    0, 17, 10, -1, -1) \
	X(PSA, F_PROJECT F_STATE("$3", "$4") " AND p.archived = $5", \
	    B_PROJECT | B_STATE | B_ARCHIVED, 0, 17, 8, 18, 10) \
	X(PN, F_PROJECT " AND p.state_id = ANY($3::bigint[])", \
	    B_PROJECT | B_STATES, 0, 17, 9, -1, -1) \
	X(PNA, F_PROJECT " AND p.state_id = ANY($3::bigint[])" \
	    " AND p.archived = $4", B_PROJECT | B_STATES | B_ARCHIVED, \
	    0, 17, 9, 10, -1)

/*
 * The check aggregate (spec 6.6) of patch `pid` as a state code: the
 * newest check per (user, context); any fail 3, else any warning 2,
 * else any pending 0, else success 1; none: pending 0.  The codes sort
 * pending < success < warning < fail, the order ?order=check uses.
 */
#define PATCH_CHECK(pid) \
	"coalesce((SELECT CASE max(CASE x.state WHEN 3 THEN 4 WHEN 2 THEN 3" \
	" WHEN 0 THEN 2 ELSE 1 END) WHEN 4 THEN 3 WHEN 3 THEN 2 WHEN 1 THEN 1" \
	" ELSE 0 END FROM (SELECT DISTINCT ON (c.context, c.user_id) c.state" \
	" FROM ci_check c WHERE c.patch_id = " pid \
	" ORDER BY c.context, c.user_id, c.date DESC, c.id DESC) x), 0)"

/* $20 sort key as text, $21 id; $22 limit, $23 offset. */
#define PATCH_PAGE(key, type, cmp, ord) \
	"SELECT p.id, (SELECT pg_current_snapshot()::text) FROM patch p" \
	PATCH_WHERE " AND ($20::text IS NULL OR (" key ", p.id) " cmp \
	" ($20::text::" type ", $21::bigint)) ORDER BY " ord \
	" LIMIT $22 OFFSET $23"
/* $20 stride. */
#define PATCH_MARKS(key, ord) \
	"SELECT k::text, id FROM (SELECT " key " AS k, p.id, row_number()" \
	" OVER (ORDER BY " ord ") AS rn FROM patch p" PATCH_WHERE ") x" \
	" WHERE rn > 1 AND (rn - 1) % $20 = 0 ORDER BY rn"

#define K_STATE \
	"(SELECT s.ordering FROM state s WHERE s.id = p.state_id)"
#define K_CHECK	PATCH_CHECK("p.id")

/* Every allowed order: its statements, ascending and descending. */
#define PATCH_ORDERS(X) \
	X(ID, "id", "p.id", "bigint") \
	X(NAME, "name", "p.name", "text") \
	X(PROJECT, "project", "p.project_id", "bigint") \
	X(DATE, "date", "p.date", "timestamptz") \
	X(STATE, "state", K_STATE, "integer") \
	X(ARCHIVED, "archived", "p.archived", "boolean") \
	X(SUBMITTER, "submitter", "p.submitter_id", "bigint") \
	X(CHECK, "check", K_CHECK, "integer")

/*
 * The check aggregates of the patches $1 at once, as rows (patch_id,
 * st): one index scan and one sort for a page instead of one of each per
 * patch (most patches have no check: their st is the coalesce's 0).
 */
#define PATCH_CHECKS_OF_PAGE \
	" LEFT JOIN (SELECT x.patch_id, CASE max(CASE x.state WHEN 3 THEN 4" \
	" WHEN 2 THEN 3 WHEN 0 THEN 2 ELSE 1 END) WHEN 4 THEN 3 WHEN 3 THEN 2" \
	" WHEN 1 THEN 1 ELSE 0 END AS st FROM (SELECT DISTINCT ON" \
	" (c.patch_id, c.context, c.user_id) c.patch_id, c.state" \
	" FROM ci_check c WHERE c.patch_id = ANY($1::bigint[])" \
	" ORDER BY c.patch_id, c.context, c.user_id, c.date DESC, c.id DESC) x" \
	" GROUP BY x.patch_id) ck ON ck.patch_id = p.id"

/* Rows of a page or a detail: the columns write_patch() reads, with
 * the check aggregate as the expression ck. */
#define PATCH_COLS_CK(ck) \
	"p.id, p.msgid, p.date, p.name, p.commit_ref, p.pull_url, st.slug," \
	" p.archived, p.hash, p.related_id, " ck ", " \
	API_COLS_PROJECT("pr") ", " API_COLS_PERSON("pe") ", " \
	API_COLS_USER("u") ", " \
	API_COLS_SERIES("s", API_SERIES_LINKNAME("s", "p.project_id", "pr"))
#define PATCH_COLS	PATCH_COLS_CK(PATCH_CHECK("p.id"))
#define PATCH_JOINS \
	" JOIN project pr ON pr.id = p.project_id" \
	" JOIN state st ON st.id = p.state_id" \
	" JOIN person pe ON pe.id = p.submitter_id" \
	" LEFT JOIN auth_user u ON u.id = p.delegate_id" \
	" LEFT JOIN series s ON s.id = p.series_id"
enum {
	C_ID, C_MSGID, C_DATE, C_NAME, C_COMMIT, C_PULL, C_STATE, C_ARCHIVED,
	C_HASH, C_RELATED, C_CHECK,
	C_PROJECT,
	C_PERSON = C_PROJECT + API_NCOLS_PROJECT,
	C_USER = C_PERSON + API_NCOLS_PERSON,
	C_SERIES = C_USER + API_NCOLS_USER,
	/* then headers, content, diff */
	C_DETAIL = C_SERIES + API_NCOLS_SERIES,
};

enum {
	ST_COUNT,
#define X(E, n, k, t) ST_P_##E, ST_PD_##E, ST_M_##E, ST_MD_##E,
	PATCH_ORDERS(X)
#undef X
#define X(E, w, m, a, b, c, d, e) ST_F_##E, ST_FD_##E,
	FAST_SHAPES(X)
#undef X
	ST_ROWS,
	ST_RELATED,
	ST_DETAIL,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_patch_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM patch p"
	    PATCH_WHERE, PATCH_NF },
#define X(E, n, k, t) \
	[ST_P_##E] = { "api_patch_p_" n, \
	    PATCH_PAGE(k, t, ">=", k ", p.id"), PATCH_NF + 4 }, \
	[ST_PD_##E] = { "api_patch_pd_" n, \
	    PATCH_PAGE(k, t, "<=", k " DESC, p.id DESC"), PATCH_NF + 4 }, \
	[ST_M_##E] = { "api_patch_m_" n, \
	    PATCH_MARKS(k, k ", p.id"), PATCH_NF + 1 }, \
	[ST_MD_##E] = { "api_patch_md_" n, \
	    PATCH_MARKS(k, k " DESC, p.id DESC"), PATCH_NF + 1 },
	PATCH_ORDERS(X)
#undef X
#define X(E, w, m, a, b, c, d, e) \
	[ST_F_##E] = { "api_patch_f_" #E, FAST(w, "p.id"), \
	    (a >= 0) + (b >= 0) + (c >= 0) + (d >= 0) + (e >= 0) }, \
	[ST_FD_##E] = { "api_patch_fd_" #E, \
	    FAST(w, "p.date DESC, p.id DESC"), \
	    (a >= 0) + (b >= 0) + (c >= 0) + (d >= 0) + (e >= 0) },
	FAST_SHAPES(X)
#undef X
	[ST_ROWS] = { "api_patch_rows",
	    "SELECT " PATCH_COLS_CK("coalesce(ck.st, 0)")
	    " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN patch p ON p.id = o.id"
	    PATCH_JOINS PATCH_CHECKS_OF_PAGE " ORDER BY o.n", 1 },
	/* The members of relations, by date as Django's model orders them. */
	[ST_RELATED] = { "api_patch_related",
	    "SELECT p.related_id, " API_COLS_SUB("p", "pr") " FROM patch p"
	    " JOIN project pr ON pr.id = p.project_id"
	    " WHERE p.related_id = ANY($1::bigint[])"
	    " ORDER BY p.related_id, p.date, p.id", 1 },
	[ST_DETAIL] = { "api_patch_detail",
	    "SELECT " PATCH_COLS ", p.headers, p.content, p.diff FROM patch p"
	    PATCH_JOINS " WHERE p.id = $1", 1 },
};

static const struct api_order orders[] = {
#define X(E, n, k, t) { n, { &stmts[ST_P_##E], &stmts[ST_PD_##E] }, \
	{ &stmts[ST_M_##E], &stmts[ST_MD_##E] } },
	PATCH_ORDERS(X)
#undef X
};

/* Default order (id) and git-pw's and b4's -date. */
static const struct api_fast fast[] = {
#define X(E, w, m, a, b, c, d, e) \
	{ m, 0, 0, &stmts[ST_F_##E], { a, b, c, d, e, -1 } }, \
	{ m, 3, 1, &stmts[ST_FD_##E], { a, b, c, d, e, -1 } },
	FAST_SHAPES(X)
#undef X
};

static const struct api_listdef listdef = {
	"patches", orders, sizeof(orders) / sizeof(orders[0]), 0,
	&stmts[ST_COUNT], PATCH_NF, 1, bits, fast,
	sizeof(fast) / sizeof(fast[0]),
};

/* The other members of row's relation, from the ST_RELATED result. */
static void
write_related(struct api *a, const struct dbres *res, int row,
    const struct dbres *rel)
{
	int64_t id = dbres_i64(res, row, C_ID);
	int64_t relid = dbres_i64(res, row, C_RELATED);
	int i, n = rel != NULL ? dbres_rows(rel) : 0;

	jw_arr(&a->jw, "related");
	if (!dbres_isnull(res, row, C_RELATED))
		for (i = 0; i < n; i++)
			if (dbres_i64(rel, i, 0) == relid &&
			    dbres_i64(rel, i, 1) != id)
				api_embed_patch(a, NULL, rel, i, 1);
	jw_arr_end(&a->jw);
}

static void
write_patch(struct api *a, const struct dbres *res, int row,
    const struct dbres *rel, int detail)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, C_ID);
	const char *msgid = dbres_str(res, row, C_MSGID);
	const char *linkname = dbres_str(res, row, C_PROJECT + 2);

	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_url(w, "url", a->prefix_j, "/patches/", id, "/");
	if (API_HAS(a, 11))
		api_web_url(a, "web_url", "patch", linkname, msgid);
	api_embed_project(a, "project", res, row, C_PROJECT);
	jw_str(w, "msgid", msgid);
	if (API_HAS(a, 12))
		jw_str(w, "list_archive_url", api_archive_url(a,
		    dbres_str(res, row, C_PROJECT + 9), msgid));
	jw_time(w, "date", dbres_str(res, row, C_DATE));
	jw_str(w, "name", dbres_str(res, row, C_NAME));
	jw_str(w, "commit_ref", dbres_str(res, row, C_COMMIT));
	jw_str(w, "pull_url", dbres_str(res, row, C_PULL));
	jw_str(w, "state", dbres_str(res, row, C_STATE));
	jw_bool(w, "archived", dbres_bool(res, row, C_ARCHIVED));
	jw_str(w, "hash", dbres_str(res, row, C_HASH));
	api_embed_person(a, "submitter", res, row, C_PERSON);
	api_embed_user(a, "delegate", res, row, C_USER);
	api_mbox_url(a, "mbox", "patch", linkname, msgid);
	jw_arr(w, "series");
	if (!dbres_isnull(res, row, C_SERIES))
		api_embed_series(a, NULL, res, row, C_SERIES);
	jw_arr_end(w);
	if (API_HAS(a, 11))
		jw_url(w, "comments", a->uprefix_j, "/patches/", id,
		    "/comments/");
	jw_str(w, "check",
	    api_check_state((int)dbres_i64(res, row, C_CHECK)));
	jw_url(w, "checks", a->uprefix_j, "/patches/", id, "/checks/");
	jw_raw(w, "tags", "{}");
	if (API_HAS(a, 12))
		write_related(a, res, row, rel);
	if (detail) {
		api_headers(a, "headers", dbres_str(res, row, C_DETAIL));
		jw_str(w, "content", dbres_str(res, row, C_DETAIL + 1));
		jw_str(w, "diff", dbres_str(res, row, C_DETAIL + 2));
		api_prefixes(a, "prefixes", dbres_str(res, row, C_NAME));
	}
	jw_obj_end(w);
}

/* The relations of res's rows, or NULL when none has one (no statement). */
static int
fetch_related(struct api *a, const struct dbres *res, struct dbres **rel)
{
	int64_t *ids;
	int i, n = 0;

	*rel = NULL;
	if (!API_HAS(a, 12))
		return 0;
	ids = ARENA_NEW(a->r->arena, int64_t, dbres_rows(res) + 1);
	for (i = 0; i < dbres_rows(res); i++)
		if (!dbres_isnull(res, i, C_RELATED))
			ids[n++] = dbres_i64(res, i, C_RELATED);
	if (n == 0)
		return 0;
	*rel = db_run(a->r->db, &stmts[ST_RELATED],
	    DB_STR(api_pg_ids(a, ids, n)));
	return *rel == NULL ? -1 : 0;
}

/*
 * The filters of spec 6.2 into l->params.  Returns 0, or 1 when a value
 * makes the list empty, or an HTTP status.
 */
static int
patch_filters(struct api *a, struct api_list *l)
{
	struct api_resolve rs;
	struct dbparam *p = l->params;
	const char *v;
	char dt[80];
	int st, b;

	memset(&rs, 0, sizeof(rs));
	/* A project or state named alone is resolved by the statements. */
	if ((v = api_one_name(a, "project")) != NULL)
		p[17] = DB_STR(v);
	else
		api_resolve_add(a, &rs, API_KIND_PROJECT, "project");
	if ((v = api_one_name(a, "state")) != NULL)
		p[18] = DB_STR(api_state_name(a, v));
	else
		api_resolve_add(a, &rs, API_KIND_STATE, "state");
	api_resolve_add(a, &rs, API_KIND_SERIES, "series");
	api_resolve_add(a, &rs, API_KIND_PERSON, "submitter");
	api_resolve_add(a, &rs, API_KIND_USER, "delegate");
	if ((st = api_resolve_run(a, &rs)) != 0)
		return st;
	api_param_ids(a, &p[0], &rs.out[API_KIND_PROJECT]);
	api_param_ids(a, &p[2], &rs.out[API_KIND_SERIES]);
	api_param_ids(a, &p[4], &rs.out[API_KIND_PERSON]);
	api_param_ids(a, &p[6], &rs.out[API_KIND_USER]);
	api_param_ids(a, &p[8], &rs.out[API_KIND_STATE]);
	if ((v = api_arg(a, "archived")) != NULL &&
	    (b = api_parse_boolfilter(v)) != -1)
		p[10] = DB_BOOL(b);
	if (API_HAS(a, 12)) {
		if ((v = api_arg(a, "hash")) != NULL && *v != '\0')
			p[11] = DB_STR(v);
		if ((v = api_arg(a, "msgid")) != NULL && *v != '\0')
			p[12] = DB_STR(arena_printf(a->r->arena, "<%s>", v));
	}
	if ((v = api_arg(a, "since")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[13] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	if ((v = api_arg(a, "before")) != NULL && *v != '\0') {
		if (api_parse_datetime(v, dt) == -1)
			return 1;
		p[14] = DB_STR(arena_strdup(a->r->arena, dt));
	}
	api_param_search(a, &p[15]);
	return 0;
}

/*
 * GET patches/: 200 with a page of patch summaries, filtered (spec 6.2:
 * an invalid value gives an empty list, never 400), ordered by ?order=
 * (id, name, project, date, state, archived, submitter, check; default
 * id), Link header; 404 {"detail":"Invalid page."} for a bad page.
 */
int
api_patch_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *rows, *rel;
	int st, i;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	if ((st = patch_filters(&a, &l)) == 1)
		l.empty = 1;
	else if (st != 0)
		return st;
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	jw_arr(&a.jw, NULL);
	if (l.nids > 0) {
		rows = db_run(r->db, &stmts[ST_ROWS],
		    DB_STR(api_list_ids(&a, &l)));
		if (rows == NULL || fetch_related(&a, rows, &rel) == -1)
			return api_db_error(&a);
		for (i = 0; i < dbres_rows(rows); i++)
			write_patch(&a, rows, i, rel, 0);
	}
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/*
 * GET patches/{id}/: 200 with the full patch (headers, content, diff,
 * prefixes); 404 {"detail":"No Patch matches the given query."}.
 */
int
api_patch_detail(struct req *r)
{
	struct api a;
	struct dbres *res, *rel;
	int64_t id = 0;
	int st;

	if ((st = api_begin(r, &a)) != 0)
		return st;
	req_param_i64(r, "id", &id);
	if ((res = db_run(r->db, &stmts[ST_DETAIL], DB_I64(id))) == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, "Patch");
	if (fetch_related(&a, res, &rel) == -1)
		return api_db_error(&a);
	write_patch(&a, res, 0, rel, 1);
	return 200;
}
