/*
 * PUT/PATCH /api/[v/]patches/{id}/ (REST spec 6.3, 6.4): state,
 * delegate, archived, commit_ref, pull_url and, from 1.2, related.
 *
 * The whole request is one transaction that starts by locking the patch
 * row, so two editors of one patch are serialised and the events they
 * cause record what each of them really changed.  DRF's order is kept:
 * 404, then the edit permission (403), then the body (415, 400 with every
 * field error at once), then the relation rules (403, 409); nothing is
 * written unless all of them pass.
 *
 * Side effects, as Django's signals have them: patch-state-changed,
 * patch-delegated and patch-relation-changed events (actor: the editor),
 * and the pending "your patch changed" notification of projects that
 * send them.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "pwfcgi.h"

enum {
	ST_PW_LOCK,
	ST_PW_STATE,
	ST_PW_STATES,
	ST_PW_USER,
	ST_PW_PATCHES,
	ST_PW_RELATED,
	ST_PW_UPDATE,
	ST_PW_EV_STATE,
	ST_PW_EV_DELEGATE,
	ST_PW_EV_RELATION,
	ST_PW_NOTIFY_DROP,
	ST_PW_NOTIFY,
	ST_PW_REL_NEW,
	ST_PW_REL_SET,
	ST_PW_REL_COUNT,
	ST_PW_REL_DELETE,
	ST_PW__MAX
};

static const struct stmt_def stmts[ST_PW__MAX] = {
	[ST_PW_LOCK] = { "pw_lock",
	    "SELECT p.project_id, p.state_id, p.delegate_id, p.related_id,"
	    " s.user_id, pr.name, pr.send_notifications"
	    " FROM patch p JOIN person s ON s.id = p.submitter_id"
	    " JOIN project pr ON pr.id = p.project_id"
	    " WHERE p.id = $1 FOR UPDATE OF p", 1 },
	[ST_PW_STATE] = { "pw_state",
	    "SELECT id FROM state WHERE slug = $1", 1 },
	[ST_PW_STATES] = { "pw_states",
	    "SELECT coalesce(string_agg(slug, ', ' ORDER BY ordering), '')"
	    " FROM state", 0 },
	[ST_PW_USER] = { "pw_user",
	    "SELECT u.username, EXISTS (SELECT 1 FROM project_maintainer m"
	    " WHERE m.user_id = u.id AND m.project_id = $2)"
	    " FROM auth_user u WHERE u.id = $1", 2 },
	/* The listed patches, in the order given, with their relations. */
	[ST_PW_PATCHES] = { "pw_patches",
	    "SELECT x.id, p.id, p.project_id, p.related_id"
	    " FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, n)"
	    " LEFT JOIN patch p ON p.id = x.id ORDER BY x.n", 1 },
	/* Members of a relation. */
	[ST_PW_RELATED] = { "pw_related",
	    "SELECT id, project_id FROM patch WHERE related_id = $1"
	    " ORDER BY id FOR UPDATE", 1 },
	/* $k NULL keeps a column; $8 says whether delegate is set. */
	[ST_PW_UPDATE] = { "pw_update",
	    "UPDATE patch SET state_id = coalesce($2, state_id),"
	    " delegate_id = CASE WHEN $3::boolean THEN $4 ELSE delegate_id END,"
	    " archived = coalesce($5::boolean, archived),"
	    " commit_ref = CASE WHEN $6::boolean THEN $7 ELSE commit_ref END,"
	    " pull_url = CASE WHEN $8::boolean THEN $9 ELSE pull_url END"
	    " WHERE id = $1", 9 },
	[ST_PW_EV_STATE] = { "pw_ev_state",
	    "INSERT INTO event (category, project_id, actor_id, patch_id,"
	    " previous_state_id, current_state_id)"
	    " VALUES ('patch-state-changed', $1, $2, $3, $4, $5)", 5 },
	[ST_PW_EV_DELEGATE] = { "pw_ev_delegate",
	    "INSERT INTO event (category, project_id, actor_id, patch_id,"
	    " previous_delegate_id, current_delegate_id)"
	    " VALUES ('patch-delegated', $1, $2, $3, $4, $5)", 5 },
	[ST_PW_EV_RELATION] = { "pw_ev_relation",
	    "INSERT INTO event (category, project_id, actor_id, patch_id,"
	    " previous_relation_id, current_relation_id)"
	    " SELECT 'patch-relation-changed', project_id, $2, id, $3, $4"
	    " FROM patch WHERE id = $1", 4 },
	/* Back at the state the pending notification started from. */
	[ST_PW_NOTIFY_DROP] = { "pw_notify_drop",
	    "DELETE FROM patch_change_notification"
	    " WHERE patch_id = $1 AND orig_state_id = $2", 2 },
	[ST_PW_NOTIFY] = { "pw_notify",
	    "INSERT INTO patch_change_notification (patch_id, orig_state_id)"
	    " VALUES ($1, $2) ON CONFLICT (patch_id)"
	    " DO UPDATE SET last_modified = now()", 2 },
	[ST_PW_REL_NEW] = { "pw_rel_new",
	    "INSERT INTO patch_relation DEFAULT VALUES RETURNING id", 0 },
	[ST_PW_REL_SET] = { "pw_rel_set",
	    "UPDATE patch SET related_id = $2 WHERE id = $1", 2 },
	[ST_PW_REL_COUNT] = { "pw_rel_count",
	    "SELECT count(*) FROM patch WHERE related_id = $1", 1 },
	[ST_PW_REL_DELETE] = { "pw_rel_delete",
	    "DELETE FROM patch_relation WHERE id = $1", 1 },
};

struct target {
	int64_t		 id;
	int64_t		 project;
	int64_t		 state;
	int64_t		 delegate;	/* 0: none */
	int64_t		 related;	/* 0: none */
	int64_t		 submitter_user;
	const char	*project_name;
	int		 notify;
};

struct change {
	int		 state_set;
	int64_t		 state;
	int		 delegate_set;
	int64_t		 delegate;	/* 0: unset */
	int		 archived;	/* -1: unchanged */
	int		 commit_set;
	const char	*commit_ref;
	int		 pull_set;
	const char	*pull_url;
	int		 related_set;
	int64_t		*related;
	size_t		 nrelated;
};

/*
 * Django's slugify() after lower(): non-ASCII dropped, characters other
 * than [a-z0-9_], blanks and '-' removed, runs of blanks and '-' made one
 * '-', then '-' and '_' stripped from both ends.
 */
static char *
slugify(struct req *r, const char *s)
{
	char *out = arena_alloc(r->arena, strlen(s) + 1), *w = out;
	int dash = 0;
	const char *e;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x80)
			continue;
		c = (unsigned char)tolower(c);
		if (c == '-' || c == ' ' || (c >= '\t' && c <= '\r') ||
		    (c >= 0x1c && c <= 0x1f)) {
			dash = 1;
			continue;
		}
		if (!isalnum(c) && c != '_')
			continue;
		if (dash && w > out)
			*w++ = '-';
		dash = 0;
		*w++ = (char)c;
	}
	*w = '\0';
	/* A leading run of blanks wrote nothing; strip '_' at the ends. */
	for (s = out; *s == '_' || *s == '-'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == '_' || e[-1] == '-'); e--)
		;
	return arena_strndup(r->arena, s, (size_t)(e - s));
}

/* StateField: a string, slugified, that names a state. */
static int
read_state(struct req *r, const struct body *b, struct json_object **errs,
    unsigned partial, struct change *c)
{
	struct json_object *j;
	struct dbres *res;
	const char *v = NULL, *slug;
	enum field_rc rc;

	if (!body_has(b, "state")) {
		if (!partial)
			verr_add(r, errs, "state", "This field is required.");
		return 0;
	}
	if (!b->form && (j = body_json(b, "state")) != NULL &&
	    !json_object_is_type(j, json_type_string) &&
	    !json_object_is_type(j, json_type_null)) {
		static const char *const t[] = {
			[json_type_null] = "NoneType",
			[json_type_boolean] = "bool",
			[json_type_double] = "float",
			[json_type_int] = "int",
			[json_type_object] = "dict",
			[json_type_array] = "list",
			[json_type_string] = "str",
		};

		verr_add(r, errs, "state", arena_printf(r->arena, "Incorrect "
		    "type. Expected string value, received %s.",
		    t[json_object_get_type(j)]));
		return 0;
	}
	rc = body_str(r, b, errs, "state", FIELD_NULLABLE | FIELD_BLANK, 0,
	    &v);
	if (rc == FIELD_BAD)
		return 0;
	if (v == NULL || *v == '\0') {
		/* Relational fields read "" as null, and null is refused. */
		verr_add(r, errs, "state", "This field may not be null.");
		return 0;
	}
	slug = slugify(r, v);
	if ((res = db_run(r->db, &stmts[ST_PW_STATE], DB_STR(slug))) == NULL)
		return -1;
	if (dbres_rows(res) == 1) {
		c->state_set = 1;
		c->state = dbres_i64(res, 0, 0);
		return 0;
	}
	if ((res = db_run0(r->db, &stmts[ST_PW_STATES])) == NULL)
		return -1;
	verr_add(r, errs, "state", arena_printf(r->arena, "Invalid state %s. "
	    "Expected one of: %s.", slug, dbres_str(res, 0, 0)));
	return 0;
}

/* delegate: a user id, null or ""; a maintainer of the patch's project. */
static int
read_delegate(struct req *r, const struct body *b, struct json_object **errs,
    unsigned partial, const struct target *t, struct change *c)
{
	struct dbres *res;
	const char *repr = NULL;
	int64_t id = 0;

	switch (body_pk(r, b, errs, "delegate", FIELD_NULLABLE, &id, &repr)) {
	case FIELD_ABSENT:
		if (!partial)
			verr_add(r, errs, "delegate", "This field is required.");
		return 0;
	case FIELD_BAD:
		return 0;
	case FIELD_NULL:
		c->delegate_set = 1;
		c->delegate = 0;
		return 0;
	case FIELD_OK:
		break;
	}
	res = db_run(r->db, &stmts[ST_PW_USER], DB_I64(id), DB_I64(t->project));
	if (res == NULL)
		return -1;
	if (dbres_rows(res) == 0) {
		verr_add(r, errs, "delegate", arena_printf(r->arena,
		    "Invalid pk \"%s\" - object does not exist.", repr));
		return 0;
	}
	if (!dbres_bool(res, 0, 1)) {
		verr_add(r, errs, "delegate", arena_printf(r->arena,
		    "User '%s' is not a maintainer for project '%s'",
		    dbres_str(res, 0, 0), t->project_name));
		return 0;
	}
	c->delegate_set = 1;
	c->delegate = id;
	return 0;
}

static const char *
ids_literal(struct req *r, const int64_t *ids, size_t n)
{
	struct buf b = BUF_INIT;
	const char *s;
	size_t i;

	buf_addc(&b, '{');
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_addc(&b, '}');
	s = arena_strdup(r->arena, b.s);
	buf_release(&b);
	return s;
}

/* related (1.2+): a list of existing patch ids. */
static int
read_related(struct req *r, const struct body *b, struct json_object **errs,
    struct change *c)
{
	const char **reprs = NULL;
	struct dbres *res;
	int64_t *ids = NULL;
	size_t n = 0, i;

	if (!apiw_has_version(r, 12))
		return 0;	/* not a field below 1.2: ignored */
	if (body_pk_list(r, b, errs, "related", FIELD_PARTIAL, &ids, &reprs,
	    &n) != FIELD_OK)
		return 0;
	if (n > 0) {
		res = db_run(r->db, &stmts[ST_PW_PATCHES],
		    DB_STR(ids_literal(r, ids, n)));
		if (res == NULL)
			return -1;
		for (i = 0; i < n; i++)
			if (dbres_isnull(res, (int)i, 1)) {
				verr_add(r, errs, "related", arena_printf(
				    r->arena, "Invalid pk \"%s\" - object "
				    "does not exist.", reprs[i]));
				return 0;
			}
	}
	c->related_set = 1;
	c->related = ids;
	c->nrelated = n;
	return 0;
}

static int
event_relation(struct req *r, int64_t patch, int64_t before, int64_t after)
{
	return db_run_do(r->db, &stmts[ST_PW_EV_RELATION], DB_I64(patch),
	    DB_I64(r->user->id), DB_ID(before), DB_ID(after));
}

struct member {
	int64_t	 id;
	int64_t	 project;
	int64_t	 related;
};

/*
 * Spec 6.4: the editor must maintain every project involved; a patch
 * leaves a relation before it joins another (409); adding is additive.
 * Returns 0, an HTTP status (403/409 decided), or -1 (database).
 */
static int
apply_related(struct req *r, const struct target *t, const struct change *c)
{
	struct member *m = NULL;
	struct dbres *res;
	size_t nm = 0, i, k;
	int64_t rel = 0;
	int ok;

	/* The patches concerned: the target's relation, then the list. */
	if (t->related != 0) {
		if ((res = db_run(r->db, &stmts[ST_PW_RELATED],
		    DB_I64(t->related))) == NULL)
			return -1;
		nm = (size_t)dbres_rows(res);
		m = ARENA_NEW(r->arena, struct member, nm + c->nrelated + 2);
		for (i = 0; i < nm; i++) {
			m[i].id = dbres_i64(res, (int)i, 0);
			m[i].project = dbres_i64(res, (int)i, 1);
			m[i].related = t->related;
		}
	} else
		m = ARENA_NEW(r->arena, struct member, c->nrelated + 2);
	if (c->nrelated > 0) {
		if ((res = db_run(r->db, &stmts[ST_PW_PATCHES],
		    DB_STR(ids_literal(r, c->related, c->nrelated)))) == NULL)
			return -1;
		for (i = 0; i < c->nrelated; i++) {
			int64_t id = dbres_i64(res, (int)i, 1);

			for (k = 0; k < nm && m[k].id != id; k++)
				;
			if (k < nm)
				continue;
			m[nm].id = id;
			m[nm].project = dbres_i64(res, (int)i, 2);
			m[nm].related = dbres_i64(res, (int)i, 3);
			nm++;
		}
	}
	if ((ok = auth_maintains(r, t->project)) == -1)
		return -1;
	for (i = 0; ok == 1 && i < nm; i++)
		if ((ok = auth_maintains(r, m[i].project)) == -1)
			return -1;
	if (!ok)
		return resp_error(r, 403, "At least one patch is part of a "
		    "project you are not maintaining.");

	if (c->nrelated == 0) {
		/* Leave the relation; one of two members leaves none. */
		if (t->related == 0)
			return 0;
		if ((res = db_run(r->db, &stmts[ST_PW_REL_COUNT],
		    DB_I64(t->related))) == NULL)
			return -1;
		if (event_relation(r, t->id, t->related, 0) == -1)
			return -1;
		if (dbres_i64(res, 0, 0) == 2)
			return db_run_do(r->db, &stmts[ST_PW_REL_DELETE],
			    DB_I64(t->related));
		return db_run_do(r->db, &stmts[ST_PW_REL_SET], DB_I64(t->id),
		    DB_NULL);
	}

	/* The target joins too. */
	for (k = 0; k < nm && m[k].id != t->id; k++)
		;
	if (k == nm) {
		m[nm].id = t->id;
		m[nm].project = t->project;
		m[nm].related = t->related;
		nm++;
	}
	/* Break before make: one relation at most among them all. */
	for (i = 0; i < nm; i++) {
		if (m[i].related == 0)
			continue;
		if (rel != 0 && m[i].related != rel)
			return resp_error(r, 409, "At least one patch is already "
			    "part of another relation. You have to explicitly "
			    "remove a patch from its existing relation before "
			    "moving it to this one.");
		rel = m[i].related;
	}
	if (rel == 0) {
		if ((res = db_run0(r->db, &stmts[ST_PW_REL_NEW])) == NULL)
			return -1;
		rel = dbres_i64(res, 0, 0);
	}
	for (i = 0; i < nm; i++) {
		if (m[i].related == rel)
			continue;
		if (db_run_do(r->db, &stmts[ST_PW_REL_SET], DB_I64(m[i].id),
		    DB_I64(rel)) == -1 ||
		    event_relation(r, m[i].id, m[i].related, rel) == -1)
			return -1;
	}
	return 0;
}

static int
update(struct req *r, int64_t id)
{
	struct json_object *errs = NULL;
	unsigned partial = r->method == HTTP_PATCH ? FIELD_PARTIAL : 0;
	struct change c;
	struct target t;
	struct dbres *res;
	struct body b;
	int st, ok, changed;

	memset(&c, 0, sizeof(c));
	c.archived = -1;
	if (db_begin(r->db) == -1)
		return apiw_dberr(r);
	if ((res = db_run(r->db, &stmts[ST_PW_LOCK], DB_I64(id))) == NULL)
		return apiw_dberr(r);
	if (dbres_rows(res) == 0) {
		db_rollback(r->db);
		return resp_error(r, 404, "No Patch matches the given query.");
	}
	t.id = id;
	t.project = dbres_i64(res, 0, 0);
	t.state = dbres_i64(res, 0, 1);
	t.delegate = dbres_i64(res, 0, 2);
	t.related = dbres_i64(res, 0, 3);
	t.submitter_user = dbres_i64(res, 0, 4);
	t.project_name = dbres_str(res, 0, 5);
	t.notify = dbres_bool(res, 0, 6);

	/* Patch.is_editable(): submitter, delegate or maintainer. */
	ok = r->user != NULL && (r->user->id == t.submitter_user ||
	    r->user->id == t.delegate);
	if (!ok && r->user != NULL && (ok = auth_maintains(r, t.project)) == -1)
		return apiw_dberr(r);
	if (!ok) {
		db_rollback(r->db);
		return auth_deny(r);
	}

	if ((st = body_parse(r, &b)) != 0) {
		db_rollback(r->db);
		return st;
	}
	/* In DRF's field order, which is the order of its errors. */
	c.commit_set = body_str(r, &b, &errs, "commit_ref",
	    FIELD_NULLABLE | FIELD_BLANK, 255, &c.commit_ref) >= FIELD_NULL;
	c.pull_set = body_str(r, &b, &errs, "pull_url",
	    FIELD_NULLABLE | FIELD_BLANK, 255, &c.pull_url) >= FIELD_NULL;
	if (read_state(r, &b, &errs, partial, &c) == -1)
		return apiw_dberr(r);
	body_bool(r, &b, &errs, "archived", partial, &c.archived);
	if (read_delegate(r, &b, &errs, partial, &t, &c) == -1 ||
	    read_related(r, &b, &errs, &c) == -1)
		return apiw_dberr(r);
	if (errs != NULL) {
		db_rollback(r->db);
		return verr_send(r, errs);
	}

	if (c.related_set) {
		if ((st = apply_related(r, &t, &c)) == -1)
			return apiw_dberr(r);
		if (st != 0) {
			db_rollback(r->db);
			return st;
		}
	}
	if (db_run_do(r->db, &stmts[ST_PW_UPDATE], DB_I64(id),
	    c.state_set ? DB_I64(c.state) : DB_NULL,
	    DB_BOOL(c.delegate_set), DB_ID(c.delegate),
	    c.archived < 0 ? DB_NULL : DB_BOOL(c.archived),
	    DB_BOOL(c.commit_set), DB_STR(c.commit_ref),
	    DB_BOOL(c.pull_set), DB_STR(c.pull_url)) == -1)
		return apiw_dberr(r);
	changed = c.state_set && c.state != t.state;
	if (changed && (db_run_do(r->db, &stmts[ST_PW_EV_STATE],
	    DB_I64(t.project), DB_I64(r->user->id), DB_I64(id),
	    DB_I64(t.state), DB_I64(c.state)) == -1))
		return apiw_dberr(r);
	if (changed && t.notify) {
		res = db_run(r->db, &stmts[ST_PW_NOTIFY_DROP], DB_I64(id),
		    DB_I64(c.state));
		if (res == NULL)
			return apiw_dberr(r);
		if (dbres_affected(res) == 0 && db_run_do(r->db,
		    &stmts[ST_PW_NOTIFY], DB_I64(id), DB_I64(t.state)) == -1)
			return apiw_dberr(r);
	}
	if (c.delegate_set && c.delegate != t.delegate &&
	    db_run_do(r->db, &stmts[ST_PW_EV_DELEGATE], DB_I64(t.project),
	    DB_I64(r->user->id), DB_I64(id), DB_ID(t.delegate),
	    DB_ID(c.delegate)) == -1)
		return apiw_dberr(r);
	if (db_commit(r->db) == -1)
		return apiw_dberr(r);
	return 0;
}

/*
 * PUT/PATCH patches/{id}/: 404 for no such patch; 403 unless the user is
 * its submitter's account, its delegate or a maintainer of its project;
 * 415/400 for the body (PUT needs state and delegate); 403/409 from the
 * relation rules; 200 with the patch.  A serialization failure is retried
 * once.
 */
int
api_patch_update(struct req *r)
{
	int64_t id;
	int st, attempt;

	req_param_i64(r, "id", &id);
	for (attempt = 0; attempt < 2; attempt++) {
		st = update(r, id);
		if (st == 0)
			return api_patch_detail(r);
		if (!(st == 503 && r->db->retryable))
			break;
		buf_reset(&r->out);
	}
	return st;
}
