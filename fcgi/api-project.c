/*
 * GET /api/[v/]projects/ and /api/[v/]projects/{id or linkname}/
 * (REST spec 5).  Anyone may read.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"
#include "api.h"

/* $1: q patterns (text[]), each must match one of the fields. */
#define PROJECT_WHERE \
	" WHERE ($1::text[] IS NULL OR NOT EXISTS (SELECT 1" \
	" FROM unnest($1::text[]) t WHERE NOT (p.linkname ILIKE t" \
	" OR p.listid ILIKE t OR p.listemail ILIKE t OR p.web_url ILIKE t" \
	" OR p.scm_url ILIKE t OR p.webscm_url ILIKE t" \
	" OR p.list_archive_url ILIKE t OR p.list_archive_url_format ILIKE t" \
	" OR p.commit_url_format ILIKE t)))"
#define PROJECT_PAGE(ord) \
	"SELECT p.id, (SELECT pg_current_snapshot()::text) FROM project p" \
	PROJECT_WHERE " ORDER BY " ord " LIMIT $2 OFFSET $3"

#define PROJECT_FULL_COLS API_COLS_PROJECT("p") ", p.subject_match," \
	" p.show_dependencies"

enum {
	ST_COUNT,
	ST_ID, ST_ID_D, ST_NAME, ST_NAME_D, ST_LINK, ST_LINK_D,
	ST_LIST, ST_LIST_D,
	ST_ROWS,
	ST_MAINT,
	ST_DETAIL,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	[ST_COUNT] = { "api_project_count",
	    "SELECT count(*), pg_current_snapshot()::text FROM project p"
	    PROJECT_WHERE, 1 },
	[ST_ID] = { "api_project_p_id", PROJECT_PAGE("p.id"), 3 },
	[ST_ID_D] = { "api_project_p_id_d", PROJECT_PAGE("p.id DESC"), 3 },
	[ST_NAME] = { "api_project_p_name",
	    PROJECT_PAGE("p.name, p.id"), 3 },
	[ST_NAME_D] = { "api_project_p_name_d",
	    PROJECT_PAGE("p.name DESC, p.id DESC"), 3 },
	[ST_LINK] = { "api_project_p_link",
	    PROJECT_PAGE("p.linkname, p.id"), 3 },
	[ST_LINK_D] = { "api_project_p_link_d",
	    PROJECT_PAGE("p.linkname DESC, p.id DESC"), 3 },
	[ST_LIST] = { "api_project_p_list",
	    PROJECT_PAGE("p.listid, p.id"), 3 },
	[ST_LIST_D] = { "api_project_p_list_d",
	    PROJECT_PAGE("p.listid DESC, p.id DESC"), 3 },
	[ST_ROWS] = { "api_project_rows",
	    "SELECT " PROJECT_FULL_COLS " FROM unnest($1::bigint[])"
	    " WITH ORDINALITY AS o(id, n) JOIN project p ON p.id = o.id"
	    " ORDER BY o.n", 1 },
	[ST_MAINT] = { "api_project_maintainers",
	    "SELECT m.project_id, " API_COLS_USER("u")
	    " FROM project_maintainer m JOIN auth_user u ON u.id = m.user_id"
	    " WHERE m.project_id = ANY($1::bigint[])"
	    " ORDER BY m.project_id, u.id", 1 },
	/* By id first, then by linkname (Django's ProjectMixin). */
	[ST_DETAIL] = { "api_project_detail",
	    "SELECT " PROJECT_FULL_COLS " FROM project p"
	    " WHERE p.id = $1 OR (p.linkname = $2 AND NOT EXISTS"
	    " (SELECT 1 FROM project x WHERE x.id = $1))", 2 },
};

static const struct api_order orders[] = {
	{ "id", { &stmts[ST_ID], &stmts[ST_ID_D] }, { NULL, NULL } },
	{ "name", { &stmts[ST_NAME], &stmts[ST_NAME_D] }, { NULL, NULL } },
	{ "link_name", { &stmts[ST_LINK], &stmts[ST_LINK_D] }, { NULL, NULL } },
	{ "list_id", { &stmts[ST_LIST], &stmts[ST_LIST_D] }, { NULL, NULL } },
};

static const struct api_listdef listdef = {
	"projects", orders, sizeof(orders) / sizeof(orders[0]), 0,
	&stmts[ST_COUNT], 1, 0, NULL, NULL, 0,
};

/* One project from the columns of PROJECT_FULL_COLS. */
static void
write_project(struct api *a, const struct dbres *res, int row,
    const struct dbres *maint, int *mrow)
{
	struct jw *w = &a->jw;
	int64_t id = dbres_i64(res, row, 0);
	int nm = dbres_rows(maint);

	jw_obj(w, NULL);
	jw_i64(w, "id", id);
	jw_url(w, "url", a->prefix_j, "/projects/", id, "/");
	jw_str(w, "name", dbres_str(res, row, 1));
	jw_str(w, "link_name", dbres_str(res, row, 2));
	jw_str(w, "list_id", dbres_str(res, row, 3));
	jw_str(w, "list_email", dbres_str(res, row, 4));
	jw_str(w, "web_url", dbres_str(res, row, 5));
	jw_str(w, "scm_url", dbres_str(res, row, 6));
	jw_str(w, "webscm_url", dbres_str(res, row, 7));
	jw_arr(w, "maintainers");
	/* maint is ordered by project, then user: rows of this one. */
	for (*mrow = 0; *mrow < nm; (*mrow)++)
		if (dbres_i64(maint, *mrow, 0) == id)
			api_embed_user(a, NULL, maint, *mrow, 1);
	jw_arr_end(w);
	if (API_HAS(a, 11))
		jw_str(w, "subject_match", dbres_str(res, row, 11));
	if (API_HAS(a, 12)) {
		jw_str(w, "list_archive_url", dbres_str(res, row, 8));
		jw_str(w, "list_archive_url_format", dbres_str(res, row, 9));
		jw_str(w, "commit_url_format", dbres_str(res, row, 10));
	}
	if (API_HAS(a, 14))
		jw_bool(w, "show_dependencies", dbres_bool(res, row, 12));
	jw_obj_end(w);
}

/*
 * GET projects/: 200 with a page of projects (q over the URL and list
 * fields; order id, name, link_name, list_id).  Three statements: the
 * page, its rows, their maintainers.
 */
int
api_project_list(struct req *r)
{
	struct api a;
	struct api_list l;
	struct dbres *rows, *maint;
	const char **terms;
	const char *ids;
	int st, n, i, mrow;

	if ((st = api_begin(r, &a)) != 0 ||
	    (st = api_list_begin(&a, &l, &listdef)) != 0)
		return st;
	terms = api_search_terms(&a, &n);
	if (n > 0)
		l.params[0] = DB_STR(api_pg_strs(&a, terms, n));
	if ((st = api_list_run(&a, &l)) != 0)
		return st;
	ids = api_list_ids(&a, &l);
	if ((rows = db_run(r->db, &stmts[ST_ROWS], DB_STR(ids))) == NULL ||
	    (maint = db_run(r->db, &stmts[ST_MAINT], DB_STR(ids))) == NULL)
		return api_db_error(&a);
	jw_arr(&a.jw, NULL);
	for (i = 0; i < dbres_rows(rows); i++)
		write_project(&a, rows, i, maint, &mrow);
	jw_arr_end(&a.jw);
	api_list_end(&a, &l);
	return 200;
}

/*
 * GET projects/{id}/: 200 with the project whose id, else linkname, is
 * {id}; 404 {"detail":"No Project matches the given query."}.
 */
int
api_project_detail(struct req *r)
{
	struct api a;
	struct dbres *res, *maint;
	const char *key = req_param(r, "id");
	int64_t id = 0;
	int st, mrow;

	if ((st = api_begin(r, &a)) != 0)
		return st;
	if (!api_utf8_valid(key))
		return api_not_found(&a, "Project");
	if (api_parse_int(key, &id) == -1)
		id = 0;
	res = db_run(r->db, &stmts[ST_DETAIL], DB_I64(id), DB_STR(key));
	if (res == NULL)
		return api_db_error(&a);
	if (dbres_rows(res) == 0)
		return api_not_found(&a, "Project");
	id = dbres_i64(res, 0, 0);
	maint = db_run(r->db, &stmts[ST_MAINT],
	    DB_STR(api_pg_ids(&a, &id, 1)));
	if (maint == NULL)
		return api_db_error(&a);
	write_project(&a, res, 0, maint, &mrow);
	return 200;
}
