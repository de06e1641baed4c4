/*
 * PUT/PATCH /api/[v/]series/{id}/ (API 1.4 and unversioned, REST spec
 * 13.2, from the Go rewrite): a maintainer sets the series' version and
 * replaces its metadata, a flat object of strings.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "pwfcgi.h"

enum {
	ST_SW_LOCK,
	ST_SW_VERSION,
	ST_SW_META_CLEAR,
	ST_SW_META_ADD,
	ST_SW__MAX
};

static const struct stmt_def stmts[ST_SW__MAX] = {
	[ST_SW_LOCK] = { "sw_lock",
	    "SELECT project_id FROM series WHERE id = $1 FOR UPDATE", 1 },
	[ST_SW_VERSION] = { "sw_version",
	    "UPDATE series SET version = $2 WHERE id = $1", 2 },
	[ST_SW_META_CLEAR] = { "sw_meta_clear",
	    "DELETE FROM series_metadata WHERE series_id = $1", 1 },
	[ST_SW_META_ADD] = { "sw_meta_add",
	    "INSERT INTO series_metadata (series_id, key, value)"
	    " VALUES ($1, $2, $3)", 3 },
};

#define META_MAX_KEYS	256
#define META_MAX_LEN	4096

/* metadata: an object of strings (keys and values without NULs). */
static int
read_metadata(struct req *r, const struct body *b, struct json_object **errs,
    struct json_object **meta)
{
	struct json_object *j = body_json(b, "metadata"), *sub = NULL;
	int n = 0;

	*meta = NULL;
	if (j == NULL) {
		if (body_has(b, "metadata"))
			verr_add(r, errs, "metadata", b->form ?
			    "Expected a dictionary of items but got type "
			    "\"str\"." : "This field may not be null.");
		return 0;
	}
	if (!json_object_is_type(j, json_type_object)) {
		verr_add(r, errs, "metadata", "Expected a dictionary of items "
		    "but got type \"list\".");
		return 0;
	}
	json_object_object_foreach(j, k, v) {
		const char *msg = NULL;

		if (++n > META_MAX_KEYS) {
			verr_add(r, errs, "metadata", "Too many items.");
			return 0;
		}
		if (!json_object_is_type(v, json_type_string))
			msg = "Not a valid string.";
		else if ((size_t)json_object_get_string_len(v) !=
		    strlen(json_object_get_string(v)))
			msg = "Null characters are not allowed.";
		else if (*k == '\0' || strlen(k) > 255 ||
		    json_object_get_string_len(v) > META_MAX_LEN)
			msg = "Ensure this field has no more than 4096 "
			    "characters.";
		if (msg != NULL)
			verr_add(r, &sub, k, msg);
	}
	if (sub != NULL) {
		verr_attach(r, errs, "metadata", sub);
		return 0;
	}
	*meta = j;
	return 0;
}

/*
 * PUT/PATCH series/{id}/ (1.4): 404 for no such series; 403 unless a
 * maintainer of its project; 400 for a bad version or metadata; 200 with
 * the series.
 */
int
api_series_update(struct req *r)
{
	struct json_object *errs = NULL, *meta = NULL;
	struct dbres *res;
	struct body b;
	int64_t id, version = -1;
	int ok, st;

	req_param_i64(r, "id", &id);
	if (db_begin(r->db) == -1)
		return apiw_dberr(r);
	if ((res = db_run(r->db, &stmts[ST_SW_LOCK], DB_I64(id))) == NULL)
		return apiw_dberr(r);
	if (dbres_rows(res) == 0) {
		db_rollback(r->db);
		return resp_error(r, 404, "No Series matches the given query.");
	}
	if ((ok = auth_maintains(r, dbres_i64(res, 0, 0))) == -1)
		return apiw_dberr(r);
	if (!ok) {
		db_rollback(r->db);
		return auth_deny(r);
	}
	if ((st = body_parse(r, &b)) != 0) {
		db_rollback(r->db);
		return st;
	}
	if (body_int(r, &b, &errs, "version", 0, 2147483647, &version) !=
	    FIELD_OK)
		version = -1;
	read_metadata(r, &b, &errs, &meta);
	if (errs != NULL) {
		db_rollback(r->db);
		return verr_send(r, errs);
	}
	if (version >= 0 && db_run_do(r->db, &stmts[ST_SW_VERSION],
	    DB_I64(id), DB_I64(version)) == -1)
		return apiw_dberr(r);
	if (meta != NULL) {
		if (db_run_do(r->db, &stmts[ST_SW_META_CLEAR], DB_I64(id)) == -1)
			return apiw_dberr(r);
		json_object_object_foreach(meta, k, v) {
			if (db_run_do(r->db, &stmts[ST_SW_META_ADD], DB_I64(id),
			    DB_STR(k), DB_STR(json_object_get_string(v))) == -1)
				return apiw_dberr(r);
		}
	}
	if (db_commit(r->db) == -1)
		return apiw_dberr(r);
	return api_series_detail(r);
}
