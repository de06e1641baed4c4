/*
 * PUT/PATCH /api/[v/]{patches,covers}/{id}/comments/{cid}/ (API 1.3+,
 * REST spec 7): the "addressed" flag of a comment, which the web UI
 * toggles with the session's CSRF token.  No event is emitted (Django
 * emits a second comment-created; the spec says not to).
 */
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"

enum {
	ST_CMW_PATCH,
	ST_CMW_COVER,
	ST_CMW_PATCH_SET,
	ST_CMW_COVER_SET,
	ST_CMW__MAX
};

/*
 * Parent and comment, with what the permission needs: the accounts of
 * the comment's and the parent's submitters, the delegate (patches), the
 * project.  One row per parent; the comment columns are NULL when it is
 * not that parent's.
 */
static const struct stmt_def stmts[ST_CMW__MAX] = {
	[ST_CMW_PATCH] = { "cmw_patch",
	    "SELECT p.project_id, ps.user_id, p.delegate_id, c.id, cs.user_id"
	    " FROM patch p JOIN person ps ON ps.id = p.submitter_id"
	    " LEFT JOIN patch_comment c ON c.patch_id = p.id AND c.id = $2"
	    " LEFT JOIN person cs ON cs.id = c.submitter_id"
	    " WHERE p.id = $1", 2 },
	[ST_CMW_COVER] = { "cmw_cover",
	    "SELECT p.project_id, ps.user_id, NULL::bigint, c.id, cs.user_id"
	    " FROM cover p JOIN person ps ON ps.id = p.submitter_id"
	    " LEFT JOIN cover_comment c ON c.cover_id = p.id AND c.id = $2"
	    " LEFT JOIN person cs ON cs.id = c.submitter_id"
	    " WHERE p.id = $1", 2 },
	[ST_CMW_PATCH_SET] = { "cmw_patch_set",
	    "UPDATE patch_comment SET addressed = $2::boolean WHERE id = $1", 2 },
	[ST_CMW_COVER_SET] = { "cmw_cover_set",
	    "UPDATE cover_comment SET addressed = $2::boolean WHERE id = $1", 2 },
};

static int
update(struct req *r, int cover)
{
	struct json_object *errs = NULL;
	struct dbres *res;
	struct body b;
	int64_t pid, cid, u;
	int ok = 0, st, v = -1;
	enum field_rc rc;

	req_param_i64(r, "id", &pid);
	req_param_i64(r, "cid", &cid);
	res = db_run(r->db, &stmts[cover ? ST_CMW_COVER : ST_CMW_PATCH],
	    DB_I64(pid), DB_I64(cid));
	if (res == NULL)
		return apiw_dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, cover ? "No Cover matches the given "
		    "query." : "No Patch matches the given query.");
	if (dbres_isnull(res, 0, 3))
		return resp_error(r, 404, cover ? "No CoverComment matches the "
		    "given query." : "No PatchComment matches the given query.");
	/*
	 * PatchComment: its author, or whoever may edit the patch;
	 * CoverComment: its author, the cover's author, or a maintainer.
	 */
	if ((u = r->user != NULL ? r->user->id : 0) != 0)
		ok = u == dbres_i64(res, 0, 4) || u == dbres_i64(res, 0, 1) ||
		    (!cover && u == dbres_i64(res, 0, 2));
	if (!ok && u != 0 && (ok = auth_maintains(r,
	    dbres_i64(res, 0, 0))) == -1)
		return apiw_dberr(r);
	if (!ok)
		return auth_deny(r);
	if ((st = body_parse(r, &b)) != 0)
		return st;
	rc = body_bool(r, &b, &errs, "addressed",
	    FIELD_NULLABLE | FIELD_PARTIAL, &v);
	if (errs != NULL)
		return verr_send(r, errs);
	if (rc != FIELD_ABSENT && db_run_do(r->db, &stmts[cover ?
	    ST_CMW_COVER_SET : ST_CMW_PATCH_SET], DB_I64(cid),
	    v < 0 ? DB_NULL : DB_BOOL(v)) == -1)
		return apiw_dberr(r);
	return cover ? api_cover_comment_detail(r) :
	    api_patch_comment_detail(r);
}

/*
 * PUT/PATCH patches/{id}/comments/{cid}/: 404 unless the comment is the
 * patch's; 403 unless its author or someone who may edit the patch; 400
 * for an "addressed" that is not a boolean or null; 200 with the comment.
 */
int
api_patch_comment_update(struct req *r)
{
	return update(r, 0);
}

/* The same for covers/{id}/comments/{cid}/ (cover author, maintainer). */
int
api_cover_comment_update(struct req *r)
{
	return update(r, 1);
}
