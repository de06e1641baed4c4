/*
 * PUT/PATCH /api/[v/]users/{id}/: a user edits their own name and, from
 * API 1.2, their settings (REST spec 12.2).  Reads of users are in the
 * read side of the API.
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
	ST_USERW_GET,
	ST_USERW_UPDATE,
	ST_USERW__MAX
};

static const struct stmt_def stmts[ST_USERW__MAX] = {
	[ST_USERW_GET] = { "userw_get",
	    "SELECT id, username, first_name, last_name, email, send_email,"
	    " items_per_page, show_ids FROM auth_user WHERE id = $1", 1 },
	/* NULL leaves a column as it is. */
	[ST_USERW_UPDATE] = { "userw_update",
	    "UPDATE auth_user SET first_name = coalesce($2, first_name),"
	    " last_name = coalesce($3, last_name),"
	    " send_email = coalesce($4::boolean, send_email),"
	    " items_per_page = coalesce($5::integer, items_per_page),"
	    " show_ids = coalesce($6::boolean, show_ids)"
	    " WHERE id = $1", 6 },
};

/* The nested settings object: its own errors under "settings". */
static void
settings_read(struct req *r, const struct body *b, unsigned partial,
    struct json_object **errs, int *send, int64_t *ipp, int *show)
{
	struct json_object *j = body_json(b, "settings"), *serrs = NULL;
	struct body sub;

	*send = *show = -1;
	*ipp = -1;
	if (b->form) {
		/* "settings.send_email=..." fields; with none, the key is
		 * absent.  A boolean left out of a PUT's form is false, as
		 * DRF reads HTML input. */
		if (body_form_nested(r, b, "settings", &sub) == 0) {
			if (!partial)
				verr_add(r, errs, "settings",
				    "This field is required.");
			return;
		}
		body_bool(r, &sub, &serrs, "send_email", partial, send);
		body_int(r, &sub, &serrs, "items_per_page", 0, 2147483647, ipp);
		body_bool(r, &sub, &serrs, "show_ids", partial, show);
		goto nested;
	}
	if (j == NULL) {
		if (!partial)
			verr_add(r, errs, "settings", "This field is required.");
		return;
	}
	if (json_object_is_type(j, json_type_null)) {
		verr_add(r, errs, "settings", "This field may not be null.");
		return;
	}
	if (!json_object_is_type(j, json_type_object)) {
		verr_add(r, &serrs, "detail", "Invalid data. Expected a "
		    "dictionary, but got something else.");
		goto nested;
	}
	memset(&sub, 0, sizeof(sub));
	sub.obj = j;
	body_bool(r, &sub, &serrs, "send_email", FIELD_PARTIAL, send);
	body_int(r, &sub, &serrs, "items_per_page", 0, 2147483647, ipp);
	body_bool(r, &sub, &serrs, "show_ids", FIELD_PARTIAL, show);
nested:
	verr_attach(r, errs, "settings", serrs);
}

/*
 * PUT/PATCH users/{id}/: 403 for anyone but the user (ROUTE_LOGIN has
 * turned anonymous away), 404 for no such user, 400 with DRF's field
 * errors; 200 with the user.  username and email are read-only and
 * ignored; settings apply from 1.2 only, and are checked at every version
 * (PUT requires the key, as DRF's nested serializer does).
 */
int
api_user_update(struct req *r)
{
	struct json_object *errs = NULL;
	const char *first = NULL, *last = NULL;
	struct body b;
	unsigned partial = r->method == HTTP_PATCH ? FIELD_PARTIAL : 0;
	int64_t id, ipp = -1;
	int send = -1, show = -1, st;
	struct dbres *res;

	req_param_i64(r, "id", &id);
	if ((res = db_run(r->db, &stmts[ST_USERW_GET], DB_I64(id))) == NULL)
		return apiw_dberr(r);
	if (dbres_rows(res) == 0)
		return resp_error(r, 404, "No User matches the given query.");
	if (r->user->id != id)
		return auth_deny(r);
	if ((st = body_parse(r, &b)) != 0)
		return st;
	body_str(r, &b, &errs, "first_name", FIELD_BLANK, 150, &first);
	body_str(r, &b, &errs, "last_name", FIELD_BLANK, 150, &last);
	settings_read(r, &b, partial, &errs, &send, &ipp, &show);
	if (errs != NULL)
		return verr_send(r, errs);
	if (!apiw_has_version(r, 12))
		send = show = -1, ipp = -1;
	if (db_run_do(r->db, &stmts[ST_USERW_UPDATE], DB_I64(id),
	    DB_STR(first), DB_STR(last),
	    send < 0 ? DB_NULL : DB_BOOL(send),
	    ipp < 0 ? DB_NULL : DB_I64(ipp),
	    show < 0 ? DB_NULL : DB_BOOL(show)) == -1)
		return apiw_dberr(r);
	return api_user_detail(r);
}
