/*
 * The route table and the dispatcher.
 *
 * Routes are data (STYLE 4.6): a method mask, a path pattern, a handler,
 * flags the dispatcher checks before calling it, the lowest API version
 * that has the route, and a name.  Patterns are compiled once at start-up
 * into segments:
 *
 *	literal		matches itself ("api", "patches")
 *	{version}	an API version "1.0".."1.4", optional: /api/ and
 *			/api/1.2/ both match "/api/{version}/"; the version
 *			lands in r->api_version (API_VERSION_LATEST if absent)
 *	{name:int}	a decimal int64 (Django's <int:pk>): r->params[].i
 *	{name}		any one segment, percent-decoded: r->params[].s
 *
 * Matching follows Django: every pattern ends in "/"; a GET or HEAD for a
 * path without its trailing slash that would match with one is answered
 * 301 to the slashed path (the query string kept); other methods are
 * served as if the slash were there (a redirect would lose the body).
 * A path no route matches is a 404 page, in HTML even under /api/
 * (Django's URLconf 404; the REST spec 1.1); a path that matches with
 * the wrong method is a 405 with Allow:.  Errors decided by a handler or
 * by the dispatcher for a matched API route are JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "pwfcgi.h"

enum seg_type {
	SEG_LIT,
	SEG_VERSION,
	SEG_INT,
	SEG_STR,
};

struct seg {
	enum seg_type	 type;
	const char	*s;	/* literal text, or parameter name */
	size_t		 len;
};

#define MAXSEGS		12

struct croute {
	const struct route	*r;
	struct seg		 segs[MAXSEGS];
	int			 nsegs;
};

/*
 * The table.  Order matters only between patterns that match the same
 * path: the first one whose method fits wins.
 */
static const struct route routes[] = {
	{ HTTP_GET, "/", page_home, ROUTE_DB, 0, "Home" },
	{ HTTP_GET, "/api/{version}/", api_index, ROUTE_API, API_VERSION_MIN,
	    "Index" },

	/* REST API reads (api-*.c): GET routes, api branch. */
#define API_GET(pattern, fn, min, name) \
	{ HTTP_GET, pattern, fn, ROUTE_API | ROUTE_DB, min, name }
	/* IsAuthenticated views: anonymous is a 403 whatever the method. */
#define API_LOGIN(pattern, fn, min, name) \
	{ HTTP_GET, pattern, fn, ROUTE_API | ROUTE_DB | ROUTE_LOGIN, min, name }
	API_GET("/api/{version}/projects/", api_project_list, 10,
	    "Project List"),
	API_GET("/api/{version}/projects/{id}/", api_project_detail, 10,
	    "Project Detail"),
	API_LOGIN("/api/{version}/people/", api_person_list, 10,
	    "Person List"),
	API_LOGIN("/api/{version}/people/{id:int}/", api_person_detail, 10,
	    "Person Detail"),
	API_LOGIN("/api/{version}/users/", api_user_list, 10, "User List"),
	API_LOGIN("/api/{version}/users/{id:int}/", api_user_detail, 10,
	    "User Detail"),
	API_GET("/api/{version}/patches/", api_patch_list, 10, "Patch List"),
	API_GET("/api/{version}/patches/{id:int}/", api_patch_detail, 10,
	    "Patch Detail"),
	API_GET("/api/{version}/patches/{id:int}/comments/",
	    api_patch_comment_list, 11, "Patch Comment List"),
	API_GET("/api/{version}/patches/{id:int}/comments/{cid:int}/",
	    api_patch_comment_detail, 13, "Patch Comment Detail"),
	API_GET("/api/{version}/patches/{id:int}/checks/", api_check_list, 10,
	    "Check List"),
	API_GET("/api/{version}/patches/{id:int}/checks/{cid:int}/",
	    api_check_detail, 10, "Check Detail"),
	API_GET("/api/{version}/covers/", api_cover_list, 10, "Cover List"),
	API_GET("/api/{version}/covers/{id:int}/", api_cover_detail, 10,
	    "Cover Detail"),
	API_GET("/api/{version}/covers/{id:int}/comments/",
	    api_cover_comment_list, 11, "Cover Comment List"),
	API_GET("/api/{version}/covers/{id:int}/comments/{cid:int}/",
	    api_cover_comment_detail, 13, "Cover Comment Detail"),
	API_GET("/api/{version}/series/", api_series_list, 10, "Series List"),
	API_GET("/api/{version}/series/{id:int}/", api_series_detail, 10,
	    "Series Detail"),
	API_GET("/api/{version}/events/", api_event_list, 10, "Event List"),
#undef API_GET
#undef API_LOGIN
	/* End of the REST API reads. */

	/* The API's description (api-docs.c). */
	{ HTTP_GET, "/api/openapi.json/", api_openapi, ROUTE_NOSLASH, 0,
	    "OpenAPI" },
	{ HTTP_GET, "/api/docs/", api_docs, ROUTE_NOSLASH, 0, "API docs" },

	/* The API's writes (apiw-*.c). */
	{ HTTP_PUT | HTTP_PATCH, "/api/{version}/projects/{id}/",
	    api_project_update, ROUTE_API | ROUTE_DB, API_VERSION_MIN,
	    "Project Detail" },
	{ HTTP_PUT | HTTP_PATCH, "/api/{version}/users/{id:int}/",
	    api_user_update, ROUTE_API | ROUTE_DB | ROUTE_LOGIN,
	    API_VERSION_MIN, "User" },
	{ HTTP_PUT | HTTP_PATCH, "/api/{version}/patches/{id:int}/",
	    api_patch_update, ROUTE_API | ROUTE_DB, API_VERSION_MIN, "Patch" },
	{ HTTP_POST, "/api/{version}/patches/{id:int}/checks/",
	    api_check_create, ROUTE_API | ROUTE_DB, API_VERSION_MIN, "Checks" },
	{ HTTP_PATCH, "/api/{version}/patches/{id:int}/checks/{cid:int}/",
	    api_check_update, ROUTE_API | ROUTE_DB, 14, "Check" },
	{ HTTP_PUT | HTTP_PATCH,
	    "/api/{version}/patches/{id:int}/comments/{cid:int}/",
	    api_patch_comment_update, ROUTE_API | ROUTE_DB, 13,
	    "Patch Comment Detail" },
	{ HTTP_PUT | HTTP_PATCH,
	    "/api/{version}/covers/{id:int}/comments/{cid:int}/",
	    api_cover_comment_update, ROUTE_API | ROUTE_DB, 13,
	    "Cover Comment Detail" },
	{ HTTP_PUT | HTTP_PATCH, "/api/{version}/series/{id:int}/",
	    api_series_update, ROUTE_API | ROUTE_DB, 14, "Series Detail" },
	{ HTTP_GET, "/api/{version}/bundles/", api_bundle_list,
	    ROUTE_API | ROUTE_DB, API_VERSION_MIN, "Bundle List" },
	{ HTTP_POST, "/api/{version}/bundles/", api_bundle_create,
	    ROUTE_API | ROUTE_DB, API_VERSION_MIN, "Bundle List" },
	{ HTTP_GET, "/api/{version}/bundles/{id:int}/", api_bundle_detail,
	    ROUTE_API | ROUTE_DB, API_VERSION_MIN, "Bundle Detail" },
	{ HTTP_PUT | HTTP_PATCH, "/api/{version}/bundles/{id:int}/",
	    api_bundle_update, ROUTE_API | ROUTE_DB, API_VERSION_MIN,
	    "Bundle Detail" },
	{ HTTP_DELETE, "/api/{version}/bundles/{id:int}/", api_bundle_delete,
	    ROUTE_API | ROUTE_DB, API_VERSION_MIN, "Bundle Detail" },

	{ HTTP_GET, "/api/{version}/projects/{id}/webhooks/", api_webhook_list,
	    ROUTE_API | ROUTE_DB, 14, "Webhook List" },
	{ HTTP_POST, "/api/{version}/projects/{id}/webhooks/",
	    api_webhook_create, ROUTE_API | ROUTE_DB, 14, "Webhook List" },
	{ HTTP_GET, "/api/{version}/projects/{id}/webhooks/{wid:int}/",
	    api_webhook_detail, ROUTE_API | ROUTE_DB, 14, "Webhook Detail" },
	{ HTTP_PATCH, "/api/{version}/projects/{id}/webhooks/{wid:int}/",
	    api_webhook_update, ROUTE_API | ROUTE_DB, 14, "Webhook Detail" },
	{ HTTP_DELETE, "/api/{version}/projects/{id}/webhooks/{wid:int}/",
	    api_webhook_delete, ROUTE_API | ROUTE_DB, 14, "Webhook Detail" },

	/* Downloads the API links to (download.c). */
	{ HTTP_GET, "/project/{linkname}/patch/{msgid}/mbox/", dl_patch_mbox,
	    ROUTE_DB, 0, "Patch mbox" },
	{ HTTP_GET, "/project/{linkname}/patch/{msgid}/raw/", dl_patch_raw,
	    ROUTE_DB, 0, "Patch diff" },
	{ HTTP_GET, "/project/{linkname}/cover/{msgid}/mbox/", dl_cover_mbox,
	    ROUTE_DB, 0, "Cover mbox" },
	{ HTTP_GET, "/series/{id:int}/mbox/", dl_series_mbox, ROUTE_DB, 0,
	    "Series mbox" },
	{ HTTP_GET, "/bundle/{username}/{name}/mbox/", dl_bundle_mbox,
	    ROUTE_DB, 0, "Bundle mbox" },
	{ HTTP_GET, "/patch/{id:int}/mbox/", dl_patch_mbox_by_id, ROUTE_DB, 0,
	    "Patch mbox" },
	{ HTTP_GET, "/patch/{id:int}/raw/", dl_patch_raw_by_id, ROUTE_DB, 0,
	    "Patch diff" },
	{ HTTP_GET, "/cover/{id:int}/mbox/", dl_cover_mbox_by_id, ROUTE_DB, 0,
	    "Cover mbox" },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

static struct croute compiled[NROUTES];

static int
compile(struct croute *c, const struct route *r)
{
	const char *p = r->pattern, *e;
	struct seg *sg;

	c->r = r;
	c->nsegs = 0;
	if (*p != '/' || p[strlen(p) - 1] != '/')
		return errorx("route %s: pattern must start and end with /",
		    r->pattern);
	for (p++; *p != '\0'; p = e + 1) {
		if ((e = strchr(p, '/')) == NULL || e == p)
			return errorx("route %s: empty segment", r->pattern);
		if (c->nsegs == MAXSEGS)
			return errorx("route %s: too many segments", r->pattern);
		sg = &c->segs[c->nsegs++];
		sg->s = p;
		sg->len = (size_t)(e - p);
		if (*p != '{') {
			sg->type = SEG_LIT;
			continue;
		}
		if (e[-1] != '}')
			return errorx("route %s: bad parameter", r->pattern);
		sg->s = p + 1;
		sg->len = (size_t)(e - p - 2);
		if (sg->len == 7 && memcmp(sg->s, "version", 7) == 0)
			sg->type = SEG_VERSION;
		else if (sg->len > 4 &&
		    memcmp(sg->s + sg->len - 4, ":int", 4) == 0) {
			sg->type = SEG_INT;
			sg->len -= 4;
		} else
			sg->type = SEG_STR;
	}
	return 0;
}

/*
 * PW_DEBUG_QUERIES set in the environment (tests only) adds an
 * X-Pw-Queries header: the number of SQL statements the handler ran.
 */
static int debug_queries;

int
route_init(void)
{
	size_t i;

	debug_queries = getenv("PW_DEBUG_QUERIES") != NULL;
	for (i = 0; i < NROUTES; i++)
		if (compile(&compiled[i], &routes[i]) == -1)
			return -1;
	return 0;
}

struct pseg {
	const char	*s;
	size_t		 len;
};

static int
version_parse(const struct pseg *p)
{
	if (p->len == 3 && p->s[0] == '1' && p->s[1] == '.' &&
	    p->s[2] >= '0' && p->s[2] <= '4')
		return 10 + (p->s[2] - '0');
	return -1;
}

static int
int_parse(const struct pseg *p, int64_t *v)
{
	int64_t n = 0;
	size_t i;

	if (p->len == 0 || p->len > 18)
		return -1;	/* 18 digits always fit */
	for (i = 0; i < p->len; i++) {
		if (p->s[i] < '0' || p->s[i] > '9')
			return -1;
		n = n * 10 + (p->s[i] - '0');
	}
	*v = n;
	return 0;
}

/*
 * Does c match the path segments?  On a match with params != NULL, the
 * parameters and version are stored there.
 */
static int
match(struct req *r, const struct croute *c, const struct pseg *ps, int n,
    struct param *params, int *nparams, int *version)
{
	int i = 0, k, np = 0, ver = API_VERSION_LATEST;
	int64_t iv = 0;
	char *dec;

	for (k = 0; k < c->nsegs; k++) {
		const struct seg *sg = &c->segs[k];

		if (sg->type == SEG_VERSION) {
			if (i < n && (ver = version_parse(&ps[i])) != -1)
				i++;
			else
				ver = API_VERSION_LATEST;
			continue;
		}
		if (i == n)
			return 0;
		switch (sg->type) {
		case SEG_LIT:
			if (ps[i].len != sg->len ||
			    memcmp(ps[i].s, sg->s, sg->len) != 0)
				return 0;
			break;
		case SEG_INT:
			if (int_parse(&ps[i], &iv) == -1)
				return 0;
			/* FALLTHROUGH */
		case SEG_STR:
			if (np == ROUTE_MAXPARAMS)
				return 0;
			if (params != NULL) {
				dec = arena_strndup(r->arena, ps[i].s,
				    ps[i].len);
				url_decode(dec, 0);
				params[np].name = arena_strndup(r->arena,
				    sg->s, sg->len);
				params[np].s = dec;
				params[np].i = sg->type == SEG_INT ? iv : 0;
			}
			np++;
			break;
		case SEG_VERSION:
			break;
		}
		i++;
	}
	if (i != n)
		return 0;
	if (ver != API_VERSION_LATEST && c->r->api_min > ver)
		return 0;
	if (params != NULL) {
		*nparams = np;
		*version = ver;
	}
	return 1;
}

static int
split(const char *path, struct pseg *ps, int max, int *trailing)
{
	const char *p = path, *e;
	int n = 0;

	*trailing = 0;
	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (n == max)
			return -1;
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		ps[n].s = p;
		ps[n].len = (size_t)(e - p);
		n++;
		if (*e == '\0')
			return n;
		p = e + 1;
	}
	*trailing = 1;
	return n;
}

/* "GET, POST, HEAD, OPTIONS": Django REST framework's order. */
void
route_allow(struct buf *b, unsigned m, int api)
{
	static const unsigned order[] = { HTTP_GET, HTTP_POST, HTTP_PUT,
	    HTTP_PATCH, HTTP_DELETE, HTTP_HEAD, HTTP_OPTIONS };
	size_t i;
	int first = 1;

	if (m & HTTP_GET)
		m |= HTTP_HEAD;
	if (api)
		m |= HTTP_OPTIONS;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(m & order[i]))
			continue;
		if (!first)
			buf_add(b, ", ", 2);
		buf_adds(b, http_method_name(order[i]));
		first = 0;
	}
}

static int
is_api(const struct req *r)
{
	if (r->route != NULL)
		return (r->route->flags & ROUTE_API) != 0;
	return strncmp(r->path, "/api/", 5) == 0 || strcmp(r->path, "/api") == 0;
}

static const char *
json_detail(struct req *r, int status)
{
	switch (status) {
	case 400:	return "Malformed request.";
	case 403:	return "You do not have permission to perform this action.";
	case 404:	return "Not found.";
	case 405:	return arena_printf(r->arena,
			    "Method \"%s\" not allowed.", r->method_name);
	case 413:	return "Request body too large.";
	case 415:	return "Unsupported media type in request.";
	case 503:	return "Service temporarily unavailable, try again later.";
	default:	return "A server error occurred.";
	}
}

/*
 * Replace whatever the handler wrote by the standard error body for
 * status: {"detail": ...} for API requests, an HTML page otherwise.
 * detail, when not NULL, replaces the default message.  Returns status,
 * so that a handler can "return resp_error(r, 404, NULL);".
 */
int
resp_error(struct req *r, int status, const char *detail)
{
	buf_reset(&r->out);
	if (status >= 500)	/* whatever the handler set is suspect */
		buf_reset(&r->hdr);
	r->status = status;
	r->error_body = 1;
	if (status == 503)
		resp_header(r, "Retry-After", "5");
	if (is_api(r)) {
		r->ctype = "application/json";
		buf_add(&r->out, "{\"detail\":", 10);
		if (detail == NULL)
			detail = json_detail(r, status);
		json_quote(&r->out, detail, strlen(detail));
		buf_addc(&r->out, '}');
	} else
		page_error(r, status, detail);
	return status;
}

/*
 * OPTIONS on an API route: 200 with the route's description, as Django
 * REST framework's SimpleMetadata gives (clients do not rely on it).
 */
int
api_options(struct req *r)
{
	buf_add(&r->out, "{\"name\":", 8);
	json_quote(&r->out, r->route->name, strlen(r->route->name));
	buf_adds(&r->out, ",\"description\":\"\",\"renders\":"
	    "[\"application/json\"],\"parses\":[\"application/json\","
	    "\"application/x-www-form-urlencoded\",\"multipart/form-data\"]}");
	return 200;
}

/* After the handler: default type, error body, API headers. */
static void
finish(struct req *r, unsigned allow)
{
	int api = is_api(r);

	/* A 5xx never shows what the handler had written so far. */
	if ((r->status >= 400 && r->out.len == 0) ||
	    (r->status >= 500 && !r->error_body))
		resp_error(r, r->status, NULL);
	if (r->ctype == NULL)
		r->ctype = api ? "application/json" :
		    "text/html; charset=utf-8";
	if (r->route != NULL && (api || r->status == 405)) {
		buf_add(&r->hdr, "Allow: ", 7);
		route_allow(&r->hdr, allow, api);
		buf_add(&r->hdr, "\r\n", 2);
	}
	if (r->route != NULL && api)
		buf_add(&r->hdr, "Vary: Accept\r\n", 14);
}

/*
 * A ROUTE_LOGIN view and nobody (or bad credentials): 1 with the 403
 * decided.  Django REST framework checks IsAuthenticated before it
 * looks at the method, so this comes before a 405.
 */
static int
login_needed(struct req *r)
{
	if (db_ready(r) == -1) {
		r->status = 503;
		return 1;
	}
	if (auth_request(r) != 0) {
		r->status = r->auth_status;
		return 1;
	}
	if (r->user == NULL) {
		r->status = auth_deny(r);
		return 1;
	}
	return 0;
}

/* Select among the routes matching the path; 0 if none matches. */
static unsigned
select_route(struct req *r, const struct pseg *ps, int n, unsigned want,
    const struct croute **chosen, const struct croute **any,
    unsigned *flags)
{
	unsigned allow = 0;
	size_t i;

	*chosen = *any = NULL;
	*flags = 0;
	for (i = 0; i < NROUTES; i++) {
		const struct croute *c = &compiled[i];

		if (!match(r, c, ps, n, NULL, NULL, NULL))
			continue;
		allow |= c->r->methods;
		*flags |= c->r->flags;
		if (*any == NULL)
			*any = c;
		if (*chosen == NULL && (c->r->methods & want))
			*chosen = c;
	}
	return allow;
}

void
route_dispatch(struct req *r)
{
	struct pseg ps[MAXSEGS + 1];
	const struct croute *chosen, *any;
	unsigned long q0;
	unsigned allow, want, flags = 0;
	int n, trailing;

	if (r->status != 0) {		/* 400 or 413 from req_begin() */
		resp_error(r, r->status, NULL);
		finish(r, 0);
		return;
	}
	want = r->method == HTTP_HEAD ? HTTP_GET : r->method;
	n = split(r->path, ps, MAXSEGS + 1, &trailing);
	allow = 0;
	chosen = any = NULL;
	if (n >= 0 && trailing)
		allow = select_route(r, ps, n, want, &chosen, &any, &flags);
	else if (n >= 0) {
		/* No trailing slash: Django's APPEND_SLASH. */
		allow = select_route(r, ps, n, want, &chosen, &any, &flags);
		if (allow != 0 && (r->method == HTTP_GET ||
		    r->method == HTTP_HEAD) && !(flags & ROUTE_NOSLASH)) {
			r->route = any->r;
			r->status = resp_redirect(r, 301, *r->query ?
			    arena_printf(r->arena, "%s/?%s", r->path, r->query) :
			    arena_printf(r->arena, "%s/", r->path));
			r->route = NULL;	/* a redirect has no Allow: */
			r->ctype = "text/html; charset=utf-8";
			finish(r, 0);
			return;
		}
	}
	if (allow == 0) {
		page_error(r, 404, NULL);
		r->status = 404;
		finish(r, 0);
		return;
	}
	if (chosen == NULL) {
		r->route = any->r;
		if ((flags & ROUTE_LOGIN) && login_needed(r)) {
			finish(r, allow);
			return;
		}
		if (r->method == HTTP_OPTIONS && (any->r->flags & ROUTE_API)) {
			match(r, any, ps, n, r->params, &r->nparams,
			    &r->api_version);
			r->status = api_options(r);
		} else
			r->status = 405;
		finish(r, allow);
		return;
	}
	r->route = chosen->r;
	match(r, chosen, ps, n, r->params, &r->nparams, &r->api_version);
	if ((chosen->r->flags & ROUTE_DB) && db_ready(r) == -1) {
		r->status = 503;
		finish(r, allow);
		return;
	}
	q0 = r->db->nqueries;
	if ((chosen->r->flags & ROUTE_API) && auth_request(r) != 0)
		r->status = r->auth_status;	/* DRF authenticates first */
	else if ((chosen->r->flags & ROUTE_LOGIN) && login_needed(r))
		;
	else
		r->status = chosen->r->handler(r);
	/* The tests' query counter (no N+1): see route_init(). */
	if (debug_queries)
		resp_header(r, "X-Pw-Queries", "%lu", r->db->nqueries - q0);
	finish(r, allow);
}
