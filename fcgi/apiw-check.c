/*
 * POST /api/[v/]patches/{id}/checks/ (REST spec 8) and, at 1.4, PATCH
 * /api/[v/]patches/{id}/checks/{cid}/ (spec 13.3): what CI bots post.
 *
 * Checks are history: every POST adds a row (the patch's aggregate takes
 * the newest per user and context), and emits check-created.  The 1.4
 * update rewrites state, target_url and description of one check, dates
 * it now, and emits check-updated.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "pwfcgi.h"

enum {
	ST_CW_PATCH,
	ST_CW_INSERT,
	ST_CW_EVENT,
	ST_CW_GET,
	ST_CW_UPDATE,
	ST_CW__MAX
};

static const struct stmt_def stmts[ST_CW__MAX] = {
	[ST_CW_PATCH] = { "cw_patch",
	    "SELECT p.project_id, p.delegate_id, s.user_id FROM patch p"
	    " JOIN person s ON s.id = p.submitter_id WHERE p.id = $1", 1 },
	[ST_CW_INSERT] = { "cw_insert",
	    "INSERT INTO ci_check (patch_id, user_id, state, context,"
	    " target_url, description) VALUES ($1, $2, $3, $4, $5, $6)"
	    " RETURNING id", 6 },
	[ST_CW_EVENT] = { "cw_event",
	    "INSERT INTO event (category, project_id, actor_id, patch_id,"
	    " created_check_id) VALUES ($1, $2, $3, $4, $5)", 5 },
	[ST_CW_GET] = { "cw_get",
	    "SELECT c.id, p.project_id FROM ci_check c"
	    " JOIN patch p ON p.id = c.patch_id"
	    " WHERE c.id = $2 AND c.patch_id = $1 FOR UPDATE OF c", 2 },
	/* $4/$6 say whether target_url/description were given. */
	[ST_CW_UPDATE] = { "cw_update",
	    "UPDATE ci_check SET state = $2, date = now(),"
	    " target_url = CASE WHEN $3::boolean THEN $4 ELSE target_url END,"
	    " description = CASE WHEN $5::boolean THEN $6 ELSE description END"
	    " WHERE id = $1", 6 },
};

static const char *const state_labels[] = {
	"pending", "success", "warning", "fail",
};

/* The check, as the read side writes it; 201 adds its Location. */
static int
show(struct req *r, int64_t cid, int status)
{
	int64_t pid = 0;
	int st;

	req_param_i64(r, "id", &pid);
	if (req_param(r, "cid") == NULL && r->nparams < ROUTE_MAXPARAMS) {
		r->params[r->nparams].name = "cid";
		r->params[r->nparams].i = cid;
		r->params[r->nparams].s = arena_printf(r->arena, "%lld",
		    (long long)cid);
		r->nparams++;
	}
	if ((st = api_check_detail(r)) != 200)
		return st;
	if (status == 201)
		resp_header(r, "Location", "%s", apiw_url(r,
		    "patches/%lld/checks/%lld/", (long long)pid, (long long)cid));
	return status;
}

/*
 * Check.state: a label, or the stored integer 0..3 (number or string).
 * 0..3 into *v, or -1 with the error recorded.  Missing or "" is the
 * serializer's own "A check must have a state." (*missing set).
 */
static int
read_state(struct req *r, const struct body *b, struct json_object **errs,
    int *v, int *missing)
{
	struct json_object *j = NULL;
	const char *s = NULL;
	size_t i;

	*missing = 0;
	if (b->form) {
		const struct body_field *f = NULL;

		for (i = b->nfields; i-- > 0;)
			if (strcmp(b->fields[i].key, "state") == 0) {
				f = &b->fields[i];
				break;
			}
		if (f == NULL || f->len == 0) {
			*missing = 1;
			return -1;
		}
		s = strlen(f->val) == f->len ? f->val : "\x01";
	} else {
		if ((j = body_json(b, "state")) == NULL &&
		    !body_has(b, "state")) {
			*missing = 1;
			return -1;
		}
		if (j == NULL) {
			verr_add(r, errs, "state", "This field may not be null.");
			return -1;
		}
		if (json_object_is_type(j, json_type_string)) {
			s = json_object_get_string(j);
			if (*s == '\0') {
				*missing = 1;
				return -1;
			}
		} else if (json_object_is_type(j, json_type_int)) {
			int64_t n = json_object_get_int64(j);

			if (n >= 0 && n <= 3) {
				*v = (int)n;
				return 0;
			}
		}
	}
	if (s != NULL) {
		for (i = 0; i < 4; i++)
			if (strcmp(s, state_labels[i]) == 0 ||
			    (s[0] == '0' + (int)i && s[1] == '\0')) {
				*v = (int)i;
				return 0;
			}
	}
	verr_add(r, errs, "state", arena_printf(r->arena,
	    "\"%s\" is not a valid choice.", s != NULL ? s :
	    json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)));
	return -1;
}

/* target_url: URLField(max_length=200), null and blank allowed. */
static enum field_rc
read_target(struct req *r, const struct body *b, struct json_object **errs,
    const char **v)
{
	enum field_rc rc;

	rc = body_str(r, b, errs, "target_url", FIELD_NULLABLE | FIELD_BLANK,
	    200, v);
	if (rc == FIELD_OK && **v != '\0' && !apiw_url_valid(*v)) {
		verr_add(r, errs, "target_url", "Enter a valid URL.");
		return FIELD_BAD;
	}
	return rc;
}

static int
slug_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/*
 * POST patches/{id}/checks/: 404 for no such patch; 403 unless the user
 * may edit the patch (maintainer, submitter's account, delegate; an
 * anonymous caller gets the same "no permission" as DRF's explicit
 * PermissionDenied); 400 for a bad body; 201 with the check and its
 * Location.  A "user" in the body is ignored: the check is the caller's.
 */
int
api_check_create(struct req *r)
{
	struct json_object *errs = NULL;
	const char *target = NULL, *context = "default", *desc = NULL;
	struct dbres *res;
	struct body b;
	int64_t pid, project, cid;
	int state = 0, missing, ok, st;

	req_param_i64(r, "id", &pid);
	if ((res = db_run(r->db, &stmts[ST_CW_PATCH], DB_I64(pid))) == NULL)
		return apiw_dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, "No Patch matches the given query.");
	project = dbres_i64(res, 0, 0);
	ok = r->user != NULL && (r->user->id == dbres_i64(res, 0, 2) ||
	    r->user->id == dbres_i64(res, 0, 1));
	if (!ok && r->user != NULL && (ok = auth_maintains(r, project)) == -1)
		return apiw_dberr(r);
	if (!ok)
		return resp_error(r, 403, "You do not have permission to "
		    "perform this action.");
	if ((st = body_parse(r, &b)) != 0)
		return st;

	if (read_state(r, &b, &errs, &state, &missing) == -1 && missing) {
		errs = NULL;
		verr_add(r, &errs, "state", "A check must have a state.");
		return verr_send(r, errs);
	}
	read_target(r, &b, &errs, &target);
	switch (body_str(r, &b, &errs, "context", 0, 255, &context)) {
	case FIELD_ABSENT:
		context = "default";
		break;
	case FIELD_OK:
		if (!slug_ok(context))
			verr_add(r, &errs, "context", "Enter a valid \"slug\" "
			    "consisting of letters, numbers, underscores or "
			    "hyphens.");
		break;
	default:
		break;
	}
	body_str(r, &b, &errs, "description", FIELD_NULLABLE | FIELD_BLANK, 0,
	    &desc);
	if (errs != NULL)
		return verr_send(r, errs);

	if (db_begin(r->db) == -1)
		return apiw_dberr(r);
	res = db_run(r->db, &stmts[ST_CW_INSERT], DB_I64(pid),
	    DB_I64(r->user->id), DB_I64(state), DB_STR(context),
	    DB_STR(target), DB_STR(desc));
	if (res == NULL)
		return apiw_dberr(r);
	cid = dbres_i64(res, 0, 0);
	if (db_run_do(r->db, &stmts[ST_CW_EVENT], DB_STR("check-created"),
	    DB_I64(project), DB_I64(r->user->id), DB_I64(pid),
	    DB_I64(cid)) == -1 || db_commit(r->db) == -1)
		return apiw_dberr(r);
	return show(r, cid, 201);
}

/*
 * PATCH patches/{id}/checks/{cid}/ (1.4, and unversioned): 404 unless
 * the check belongs to the patch; 403 unless a maintainer of the patch's
 * project; state required; 200 with the check.  Context and user stay.
 */
int
api_check_update(struct req *r)
{
	struct json_object *errs = NULL;
	const char *target = NULL, *desc = NULL;
	enum field_rc trc, drc;
	struct dbres *res;
	struct body b;
	int64_t pid, cid, project;
	int state = 0, missing, ok, st;

	if (!apiw_has_version(r, 14))
		return resp_error(r, 405, NULL);
	req_param_i64(r, "id", &pid);
	req_param_i64(r, "cid", &cid);
	if (db_begin(r->db) == -1)
		return apiw_dberr(r);
	res = db_run(r->db, &stmts[ST_CW_GET], DB_I64(pid), DB_I64(cid));
	if (res == NULL)
		return apiw_dberr(r);
	if (dbres_rows(res) == 0) {
		db_rollback(r->db);
		return resp_error(r, 404, "No Check matches the given query.");
	}
	project = dbres_i64(res, 0, 1);
	if ((ok = auth_maintains(r, project)) == -1)
		return apiw_dberr(r);
	if (!ok) {
		db_rollback(r->db);
		return auth_deny(r);
	}
	if ((st = body_parse(r, &b)) != 0) {
		db_rollback(r->db);
		return st;
	}
	if (read_state(r, &b, &errs, &state, &missing) == -1 && missing)
		verr_add(r, &errs, "state", "This field is required.");
	trc = read_target(r, &b, &errs, &target);
	drc = body_str(r, &b, &errs, "description",
	    FIELD_NULLABLE | FIELD_BLANK, 0, &desc);
	if (errs != NULL) {
		db_rollback(r->db);
		return verr_send(r, errs);
	}
	if (db_run_do(r->db, &stmts[ST_CW_UPDATE], DB_I64(cid), DB_I64(state),
	    DB_BOOL(trc != FIELD_ABSENT), DB_STR(target),
	    DB_BOOL(drc != FIELD_ABSENT), DB_STR(desc)) == -1 ||
	    db_run_do(r->db, &stmts[ST_CW_EVENT], DB_STR("check-updated"),
	    DB_I64(project), DB_I64(r->user->id), DB_I64(pid),
	    DB_I64(cid)) == -1 || db_commit(r->db) == -1)
		return apiw_dberr(r);
	return show(r, cid, 200);
}
