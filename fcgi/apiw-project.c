/*
 * PUT/PATCH /api/[v/]projects/{id or linkname}/ (REST spec 5): a
 * project's maintainers edit its URLs (and, from 1.4, the dependency
 * flag).  Everything else about a project is read-only here: `pw admin
 * project` changes the rest.
 */
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"

enum {
	ST_PJW_FIND,
	ST_PJW_UPDATE,
	ST_PJW__MAX
};

static const struct stmt_def stmts[ST_PJW__MAX] = {
	/* By id first, then by linkname, as the detail view finds it. */
	[ST_PJW_FIND] = { "pjw_find",
	    "SELECT id FROM project WHERE id = $1 OR (linkname = $2 AND"
	    " NOT EXISTS (SELECT 1 FROM project x WHERE x.id = $1))", 2 },
	/* NULL keeps a column. */
	[ST_PJW_UPDATE] = { "pjw_update",
	    "UPDATE project SET web_url = coalesce($2, web_url),"
	    " scm_url = coalesce($3, scm_url),"
	    " webscm_url = coalesce($4, webscm_url),"
	    " list_archive_url = coalesce($5, list_archive_url),"
	    " list_archive_url_format = coalesce($6, list_archive_url_format),"
	    " commit_url_format = coalesce($7, commit_url_format),"
	    " show_dependencies = coalesce($8::boolean, show_dependencies)"
	    " WHERE id = $1", 8 },
};

static const char *const url_fields[] = {
	"web_url", "scm_url", "webscm_url", "list_archive_url",
	"list_archive_url_format", "commit_url_format",
};

/* Python's int() of a path segment, for the id-or-linkname lookup. */
static int64_t
seg_id(const char *s)
{
	int64_t v = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9' && n < 18; s++, n++)
		v = v * 10 + (*s - '0');
	return *s == '\0' && n > 0 ? v : 0;
}

/*
 * PUT/PATCH projects/{id}/: 404 for no such project; 403 unless a
 * maintainer of it; 400 for a value that is not a string of at most 2000
 * characters; 200 with the project.  Read-only fields are ignored; the
 * 1.2 fields are ignored below 1.2, show_dependencies below 1.4.
 */
int
api_project_update(struct req *r)
{
	struct json_object *errs = NULL;
	const char *key = req_param(r, "id"), *v[6];
	struct dbres *res;
	struct body b;
	int64_t id;
	int ok, st, dep = -1;
	size_t i, n;

	res = db_run(r->db, &stmts[ST_PJW_FIND], DB_I64(seg_id(key)),
	    DB_STR(key));
	if (res == NULL)
		return apiw_dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, "No Project matches the given query.");
	id = dbres_i64(res, 0, 0);
	if ((ok = auth_maintains(r, id)) == -1)
		return apiw_dberr(r);
	if (!ok)
		return auth_deny(r);
	if ((st = body_parse(r, &b)) != 0)
		return st;
	n = apiw_has_version(r, 12) ? 6 : 3;
	for (i = 0; i < 6; i++) {
		v[i] = NULL;
		if (i < n)
			body_str(r, &b, &errs, url_fields[i], FIELD_BLANK, 2000,
			    &v[i]);
	}
	if (apiw_has_version(r, 14))
		body_bool(r, &b, &errs, "show_dependencies", FIELD_PARTIAL,
		    &dep);
	if (errs != NULL)
		return verr_send(r, errs);
	if (db_run_do(r->db, &stmts[ST_PJW_UPDATE], DB_I64(id),
	    DB_STR(v[0]), DB_STR(v[1]), DB_STR(v[2]), DB_STR(v[3]),
	    DB_STR(v[4]), DB_STR(v[5]), dep < 0 ? DB_NULL : DB_BOOL(dep)) == -1)
		return apiw_dberr(r);
	return api_project_detail(r);
}
