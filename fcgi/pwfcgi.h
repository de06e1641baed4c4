#ifndef PW_FCGI_H
#define PW_FCGI_H
/*
 * pw.fcgi: the private header of the FastCGI program.
 *
 * One request, start to finish (main.c drives it):
 *  1. req_begin(): the worker-lifetime struct req is reset (arena, output
 *     buffers) and filled from the FastCGI parameters (or, in CGI mode,
 *     the environment): method, canonical path, query, cookies, body.  A
 *     malformed request leaves r->status at 400 or 413 and is not routed.
 *  2. route_dispatch(): the route table picks a handler (404, 405 with
 *     Allow:, or a 301 to the slashed path when nothing matches), checks
 *     the route's preconditions (ROUTE_DB: the worker's database is
 *     reachable, else 503), and calls it.
 *  3. The handler writes its body into r->out and returns a status.  It
 *     may add headers with resp_header() and set r->ctype.  A handler that
 *     returns 4xx/5xx with an empty body gets the standard error body:
 *     JSON {"detail": ...} on API routes, an HTML page elsewhere.  Nothing
 *     has been sent yet, so a failure late in a handler (the database went
 *     away after half a page) still becomes a clean error response: the
 *     half-written body is discarded by resp_error().
 *  4. req_finish(): headers then body go out in one write (HEAD drops the
 *     body but keeps Content-Length), then the arena is reset.  A large
 *     download instead sends its headers early with resp_stream() and
 *     its body in pieces; its status is fixed from then on.
 *
 * Handlers never exit and never write to the client themselves.  Strings
 * in struct req point into the arena or into the FastCGI parameter block
 * and die with the request.
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "html.h"
#include "json.h"

struct arena;
struct conf;
struct db;
struct json_object;
struct route;
struct user;

/* Bits, so that a route may accept several methods. */
enum http_method {
	HTTP_GET	= 1 << 0,
	HTTP_POST	= 1 << 1,
	HTTP_PUT	= 1 << 2,
	HTTP_PATCH	= 1 << 3,
	HTTP_DELETE	= 1 << 4,
	HTTP_HEAD	= 1 << 5,
	HTTP_OPTIONS	= 1 << 6,
	HTTP_OTHER	= 1 << 7,	/* anything else: never routed */
};

/* API versions as integers: 10 is 1.0 ... 14 is 1.4. */
#define API_VERSION_MIN		10
#define API_VERSION_MAX		14
#define API_VERSION_LATEST	0	/* unversioned /api/: latest behaviour */

struct kv {
	const char	*key;
	const char	*val;
};

#define ROUTE_MAXPARAMS	4

struct param {
	const char	*name;		/* from the pattern, e.g. "id" */
	int64_t		 i;		/* {name:int} segments */
	const char	*s;		/* every segment, percent-decoded */
};

struct req {
	/* Worker lifetime: set once by main.c. */
	struct arena		*arena;
	struct db		*db;
	const struct conf	*conf;
	void			*fcgx;		/* FCGX_Request, NULL in CGI mode */
	char			**envp;		/* parameters, NAME=value */
	unsigned long		 seq;		/* requests served by this worker */

	/* Input, valid after req_begin(). */
	char			 id[24];	/* "pid.seq", for the log */
	enum http_method	 method;
	const char		*method_name;
	char			*path;		/* canonical, see req.c */
	const char		*query;		/* raw, "" when none */
	struct kv		*args;		/* decoded query, in order */
	size_t			 nargs;
	struct kv		*cookies;
	size_t			 ncookies;
	const char		*scheme;	/* "http" or "https" */
	const char		*host;		/* validated Host, or NULL */
	const char		*content_type;	/* NULL when absent */
	char			*body;		/* NUL-terminated, or NULL */
	size_t			 body_len;

	/* Routing, valid inside a handler. */
	const struct route	*route;
	int			 api_version;	/* API_VERSION_* or 10..14 */
	struct param		 params[ROUTE_MAXPARAMS];
	int			 nparams;

	/* Authentication (auth-req.c), valid after auth_request(). */
	struct user		*user;		/* NULL: anonymous */
	int			 auth_done;
	int			 auth_status;	/* 0, or the error decided */

	/* Output. */
	int			 status;	/* 0 until decided */
	int			 error_body;	/* set by resp_error() */
	const char		*ctype;		/* Content-Type */
	struct buf		 hdr;		/* extra "Name: value\r\n" lines */
	struct buf		 out;		/* the body */
	struct buf		 wire;		/* assembled response */
	int			 streaming;	/* headers sent: resp_stream() */
	size_t			 streamed;	/* body bytes sent so far */
};

/* A handler writes r->out and returns an HTTP status. */
typedef int (*handler_fn)(struct req *);

enum route_flags {
	ROUTE_API	= 1 << 0,	/* JSON errors, Allow/Vary, OPTIONS */
	ROUTE_DB	= 1 << 1,	/* needs the database (503 if down) */
	ROUTE_LOGIN	= 1 << 2,	/* DRF IsAuthenticated: anonymous is a
					   403, before the method is checked */
	ROUTE_NOSLASH	= 1 << 3,	/* served without the trailing slash
					   too, not redirected */
};

struct route {
	unsigned	 methods;	/* enum http_method bits; GET implies HEAD */
	const char	*pattern;	/* "/api/{version}/patches/{id:int}/" */
	handler_fn	 handler;
	unsigned	 flags;		/* enum route_flags */
	int		 api_min;	/* lowest API version served, or 0 */
	const char	*name;		/* for OPTIONS and the log */
};

/* main.c */
extern struct conf conf;
int	 db_ready(struct req *);	/* 0, or -1 with a 503 decided */

/* req.c */
void	 req_setup(struct req *, struct arena *, struct db *,
	    const struct conf *);
void	 req_begin(struct req *, void *fcgx, char **envp);
void	 req_finish(struct req *);
void	 req_cleanup(struct req *);
const char *req_env(const struct req *, const char *name);
const char *req_arg(const struct req *, const char *key);
const char *req_cookie(const struct req *, const char *name);
int	 req_param_i64(const struct req *, const char *name, int64_t *);
const char *req_param(const struct req *, const char *name);
const char *req_base_url(struct req *);	/* "https://host", no slash */
int	 path_canon(char *);		/* in place; 0 or -1 */
size_t	 url_decode(char *, int plus);	/* in place; new length */
void	 resp_header(struct req *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	 resp_redirect(struct req *, int status, const char *location);
int	 resp_error(struct req *, int status, const char *detail);
void	 resp_stream(struct req *);	/* send what r->out holds now */
const char *http_reason(int status);
const char *http_method_name(unsigned);

/* route.c */
int	 route_init(void);
void	 route_dispatch(struct req *);
void	 route_allow(struct buf *, unsigned methods, int api);

/*
 * auth-req.c: who is asking.  auth_request() runs once per request (the
 * dispatcher calls it for every API route; later calls return the first
 * answer): the session cookie, then HTTP Basic, then Token/Bearer, as
 * Django REST framework tries them.  It returns 0 with r->user set (or
 * NULL for anonymous), or an error status whose body it has written:
 * 403 for bad credentials or a failed CSRF check, 503 when the database
 * is needed and away.  auth_optional() is for downloads, which must not
 * fail on bad credentials: they are anonymous instead.
 */
enum auth_via {
	AUTH_VIA_NONE,
	AUTH_VIA_SESSION,
	AUTH_VIA_BASIC,
	AUTH_VIA_TOKEN,
};

struct user {
	int64_t		 id;
	const char	*username;
	const char	*email;
	const char	*first_name;
	const char	*last_name;
	int		 is_admin;
	enum auth_via	 via;
	int64_t		*maint;		/* projects maintained, ascending */
	int		 nmaint;	/* -1 until auth_maintains() loads them */
};

int	 auth_request(struct req *);
int	 auth_optional(struct req *);	/* 0, or 503 decided */
/* 1 if r->user maintains the project, 0 if not (or anonymous), -1 db. */
int	 auth_maintains(struct req *, int64_t project_id);
/* 403 "credentials not provided" (anonymous) or "no permission". */
int	 auth_deny(struct req *);

/*
 * body.c: request bodies of writes (REST spec 2.4).  body_parse() reads
 * JSON, urlencoded or multipart bodies into a struct body (0), or writes
 * the 400/415 error and returns its status.  The getters apply the rules
 * of one DRF field each; a bad value adds DRF's message to *errs (an
 * object of field -> [messages], created on first use) and returns
 * FIELD_BAD; verr_send() answers the collected errors as a 400.
 */
struct body_field {
	const char	*key;
	const char	*val;		/* valid UTF-8; may hold NULs */
	size_t		 len;
};

struct body {
	struct json_object	*obj;		/* JSON object, or NULL */
	int			 form;		/* values come from fields[] */
	struct body_field	*fields;
	size_t			 nfields, capfields;
};

enum field_rc {
	FIELD_ABSENT,
	FIELD_NULL,
	FIELD_OK,
	FIELD_BAD,
};

enum field_flags {
	FIELD_NULLABLE	= 1 << 0,
	FIELD_BLANK	= 1 << 1,	/* "" allowed (CharField) */
	FIELD_PARTIAL	= 1 << 2,	/* PATCH: absent stays absent */
};

int	 body_parse(struct req *, struct body *);
int	 body_has(const struct body *, const char *key);
/* The raw JSON value of key (NULL for forms or when absent). */
struct json_object *body_json(const struct body *, const char *key);
enum field_rc body_bool(struct req *, const struct body *,
	    struct json_object **errs, const char *key, unsigned flags,
	    int *v);
enum field_rc body_str(struct req *, const struct body *,
	    struct json_object **errs, const char *key, unsigned flags,
	    size_t max_len, const char **v);
enum field_rc body_pk(struct req *, const struct body *,
	    struct json_object **errs, const char *key, unsigned flags,
	    int64_t *id, const char **repr);
enum field_rc body_pk_list(struct req *, const struct body *,
	    struct json_object **errs, const char *key, unsigned flags,
	    int64_t **ids, const char ***reprs, size_t *n);
enum field_rc body_int(struct req *, const struct body *,
	    struct json_object **errs, const char *key, int64_t min,
	    int64_t max, int64_t *v);
void	 verr_add(struct req *, struct json_object **errs,
	    const char *field, const char *msg);
int	 verr_send(struct req *, struct json_object *errs);
void	 verr_attach(struct req *, struct json_object **errs,
	    const char *field, struct json_object *nested);

/* apiw.c: helpers of the write handlers. */
int	 apiw_has_version(const struct req *, int version);
const char *apiw_url(struct req *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 apiw_dberr(struct req *);
/* Django's URLValidator: 1 valid, 0 not. */
int	 apiw_url_valid(const char *);

/* JSON output: common/json.h; this sets the response body. */
void	 json_put(struct req *, struct json_object *);


/* page-shared.c: page chrome and error pages. */
void	 page_header(struct req *, const char *title);
void	 page_footer(struct req *);
void	 page_error(struct req *, int status, const char *detail);

/* Handlers, one contract comment each where they are defined. */
int	 api_index(struct req *);
int	 api_options(struct req *);
int	 api_index_init(const char *base_url);
int	 page_home(struct req *);
int	 api_user_update(struct req *);
int	 api_patch_update(struct req *);
int	 api_check_create(struct req *);
int	 api_check_update(struct req *);
int	 api_project_update(struct req *);
int	 api_openapi(struct req *);
int	 api_docs(struct req *);
int	 api_patch_comment_update(struct req *);
int	 api_cover_comment_update(struct req *);
int	 api_series_update(struct req *);
int	 api_bundle_list(struct req *);
int	 api_bundle_detail(struct req *);
int	 api_bundle_create(struct req *);
int	 api_bundle_update(struct req *);
int	 api_bundle_delete(struct req *);
int	 api_webhook_list(struct req *);
int	 api_webhook_detail(struct req *);
int	 api_webhook_create(struct req *);
int	 api_webhook_update(struct req *);
int	 api_webhook_delete(struct req *);
int	 dl_patch_mbox(struct req *);
int	 dl_patch_raw(struct req *);
int	 dl_cover_mbox(struct req *);
int	 dl_series_mbox(struct req *);
int	 dl_bundle_mbox(struct req *);
int	 dl_patch_mbox_by_id(struct req *);
int	 dl_patch_raw_by_id(struct req *);
int	 dl_cover_mbox_by_id(struct req *);

/* REST API reads (api-*.c; the shared machinery is in api.h). */
int	 api_project_list(struct req *);
int	 api_project_detail(struct req *);
int	 api_person_list(struct req *);
int	 api_person_detail(struct req *);
int	 api_user_list(struct req *);
int	 api_user_detail(struct req *);
int	 api_patch_list(struct req *);
int	 api_patch_detail(struct req *);
int	 api_patch_comment_list(struct req *);
int	 api_patch_comment_detail(struct req *);
int	 api_cover_list(struct req *);
int	 api_cover_detail(struct req *);
int	 api_cover_comment_list(struct req *);
int	 api_cover_comment_detail(struct req *);
int	 api_check_list(struct req *);
int	 api_check_detail(struct req *);
int	 api_series_list(struct req *);
int	 api_series_detail(struct req *);
int	 api_event_list(struct req *);

#endif
