/*
 * GET /api/openapi.json and /api/docs (REST spec 1.6): an OpenAPI 3.0
 * description of the API as served at 1.4 (and unversioned), and the
 * same description as a readable page.
 *
 * Both are generated from the tables below, which are the description:
 * schemas as lists of properties, parameters by name, and one line per
 * operation.  t/4107 walks the generated document and requests every
 * operation it lists, so a table that drifts from the handlers fails the
 * suite.  Versions 1.0-1.3 serve subsets of the same objects (REST spec
 * 1.5); the document says so rather than repeating itself five times.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "pwfcgi.h"

/* Schemas ------------------------------------------------------------ */

enum prop_flags {
	P_NULL	= 1 << 0,	/* may be null */
	P_OPT	= 1 << 1,	/* may be absent */
	P_RO	= 1 << 2,	/* read-only in a request body */
	P_WO	= 1 << 3,	/* write-only: never in a response */
};

/*
 * type: integer, string, boolean, date-time, uri, object, or a schema
 * name; "[x]" is an array of x.
 */
struct prop {
	const char	*name;
	const char	*type;
	unsigned	 flags;
	const char	*desc;
};

struct schema {
	const char		*name;
	const char		*desc;
	const struct prop	*props;
};

#define END { NULL, NULL, 0, NULL }

static const struct prop user_embedded[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "username", "string", 0, NULL },
	{ "first_name", "string", 0, NULL },
	{ "last_name", "string", 0, NULL },
	{ "email", "string", 0, NULL },
	END
};

static const struct prop user_settings[] = {
	{ "send_email", "boolean", 0, NULL },
	{ "items_per_page", "integer", 0, NULL },
	{ "show_ids", "boolean", 0, NULL },
	END
};

static const struct prop user[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "username", "string", P_RO, NULL },
	{ "first_name", "string", 0, "At most 150 characters." },
	{ "last_name", "string", 0, "At most 150 characters." },
	{ "email", "string", P_RO, NULL },
	{ "settings", "UserSettings", P_OPT,
	    "Only in one's own user, from 1.2." },
	END
};

static const struct prop person_embedded[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "name", "string", P_NULL, NULL },
	{ "email", "string", 0, NULL },
	END
};

static const struct prop person[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "name", "string", P_NULL, NULL },
	{ "email", "string", 0, NULL },
	{ "user", "UserEmbedded", P_NULL, NULL },
	END
};

#define PROJECT_EMBEDDED_PROPS \
	{ "id", "integer", 0, NULL }, \
	{ "url", "uri", 0, NULL }, \
	{ "name", "string", P_RO, NULL }, \
	{ "link_name", "string", P_RO, NULL }, \
	{ "list_id", "string", P_RO, NULL }, \
	{ "list_email", "string", P_RO, NULL }, \
	{ "web_url", "string", 0, "The project's own site." }, \
	{ "scm_url", "string", 0, NULL }, \
	{ "webscm_url", "string", 0, NULL }, \
	{ "list_archive_url", "string", 0, "From 1.2." }, \
	{ "list_archive_url_format", "string", 0, \
	    "From 1.2; {} stands for the Message-Id." }, \
	{ "commit_url_format", "string", 0, "From 1.2." }

static const struct prop project_embedded[] = {
	PROJECT_EMBEDDED_PROPS,
	END
};

static const struct prop project[] = {
	PROJECT_EMBEDDED_PROPS,
	{ "maintainers", "[UserEmbedded]", P_RO, NULL },
	{ "subject_match", "string", P_RO, "From 1.1." },
	{ "show_dependencies", "boolean", 0, "From 1.4." },
	END
};

#define SUB_EMBEDDED_PROPS \
	{ "id", "integer", 0, NULL }, \
	{ "url", "uri", 0, NULL }, \
	{ "web_url", "uri", 0, "From 1.1." }, \
	{ "msgid", "string", 0, "With its angle brackets." }, \
	{ "list_archive_url", "string", P_NULL, "From 1.2." }, \
	{ "date", "date-time", 0, NULL }, \
	{ "name", "string", 0, NULL }, \
	{ "mbox", "uri", 0, NULL }

static const struct prop patch_embedded[] = {
	SUB_EMBEDDED_PROPS,
	END
};

static const struct prop cover_embedded[] = {
	SUB_EMBEDDED_PROPS,
	END
};

static const struct prop series_embedded[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "web_url", "uri", 0, "From 1.1." },
	{ "date", "date-time", 0, NULL },
	{ "name", "string", P_NULL, NULL },
	{ "version", "integer", 0, NULL },
	{ "mbox", "uri", 0, NULL },
	END
};

static const struct prop comment_embedded[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "web_url", "uri", 0, NULL },
	{ "msgid", "string", 0, NULL },
	{ "list_archive_url", "string", P_NULL, NULL },
	{ "date", "date-time", 0, NULL },
	END
};

static const struct prop check_embedded[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "date", "date-time", 0, NULL },
	{ "state", "string", 0, NULL },
	{ "target_url", "string", P_NULL, NULL },
	{ "context", "string", 0, NULL },
	END
};

#define PATCH_LIST_PROPS \
	{ "id", "integer", 0, NULL }, \
	{ "url", "uri", 0, NULL }, \
	{ "web_url", "uri", 0, "From 1.1." }, \
	{ "project", "ProjectEmbedded", P_RO, NULL }, \
	{ "msgid", "string", P_RO, NULL }, \
	{ "list_archive_url", "string", P_NULL | P_RO, "From 1.2." }, \
	{ "date", "date-time", P_RO, NULL }, \
	{ "name", "string", P_RO, NULL }, \
	{ "commit_ref", "string", P_NULL, "At most 255 characters." }, \
	{ "pull_url", "string", P_NULL, "At most 255 characters." }, \
	{ "state", "string", 0, "A state slug, e.g. under-review." }, \
	{ "archived", "boolean", 0, NULL }, \
	{ "hash", "string", P_NULL | P_RO, NULL }, \
	{ "submitter", "PersonEmbedded", P_RO, NULL }, \
	{ "delegate", "UserEmbedded", P_NULL, \
	    "Written as a user id; a maintainer of the project." }, \
	{ "mbox", "uri", P_RO, NULL }, \
	{ "series", "[SeriesEmbedded]", P_RO, NULL }, \
	{ "comments", "uri", P_RO, "From 1.1." }, \
	{ "check", "string", P_RO, \
	    "pending, success, warning or fail: the newest check per " \
	    "user and context." }, \
	{ "checks", "uri", P_RO, NULL }, \
	{ "tags", "object", P_RO, NULL }, \
	{ "related", "[PatchEmbedded]", 0, \
	    "From 1.2; written as a list of patch ids." }

static const struct prop patch_list[] = {
	PATCH_LIST_PROPS,
	END
};

static const struct prop patch_detail[] = {
	PATCH_LIST_PROPS,
	{ "headers", "object", P_RO,
	    "Header name to value, or to a list of values." },
	{ "content", "string", P_NULL | P_RO, NULL },
	{ "diff", "string", P_NULL | P_RO, NULL },
	{ "prefixes", "[string]", P_RO, NULL },
	END
};

static const struct prop comment[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, "From 1.3." },
	{ "web_url", "uri", 0, NULL },
	{ "msgid", "string", P_RO, NULL },
	{ "list_archive_url", "string", P_NULL | P_RO, "From 1.2." },
	{ "date", "date-time", P_RO, NULL },
	{ "subject", "string", P_RO, NULL },
	{ "submitter", "PersonEmbedded", P_RO, NULL },
	{ "content", "string", P_NULL | P_RO, NULL },
	{ "headers", "object", P_RO, NULL },
	{ "addressed", "boolean", P_NULL, "From 1.3." },
	END
};

static const struct prop check[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "user", "UserEmbedded", P_NULL | P_RO, NULL },
	{ "date", "date-time", P_RO, NULL },
	{ "state", "string", 0, "pending, success, warning or fail." },
	{ "target_url", "string", P_NULL, "A URL, at most 200 characters." },
	{ "context", "string", 0,
	    "Letters, digits, '-' and '_'; \"default\" when not given." },
	{ "description", "string", P_NULL, NULL },
	END
};

#define COVER_LIST_PROPS \
	{ "id", "integer", 0, NULL }, \
	{ "url", "uri", 0, NULL }, \
	{ "web_url", "uri", 0, "From 1.1." }, \
	{ "project", "ProjectEmbedded", 0, NULL }, \
	{ "msgid", "string", 0, NULL }, \
	{ "list_archive_url", "string", P_NULL, "From 1.2." }, \
	{ "date", "date-time", 0, NULL }, \
	{ "name", "string", 0, NULL }, \
	{ "submitter", "PersonEmbedded", 0, NULL }, \
	{ "mbox", "uri", 0, "From 1.1." }, \
	{ "series", "[SeriesEmbedded]", 0, NULL }, \
	{ "comments", "uri", 0, "From 1.1." }

static const struct prop cover_list[] = {
	COVER_LIST_PROPS,
	END
};

static const struct prop cover_detail[] = {
	COVER_LIST_PROPS,
	{ "headers", "object", 0, NULL },
	{ "content", "string", P_NULL, NULL },
	END
};

static const struct prop series[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "web_url", "uri", 0, "From 1.1." },
	{ "project", "ProjectEmbedded", P_RO, NULL },
	{ "name", "string", P_NULL | P_RO, NULL },
	{ "date", "date-time", P_RO, NULL },
	{ "submitter", "PersonEmbedded", P_RO, NULL },
	{ "version", "integer", 0, NULL },
	{ "total", "integer", P_RO, NULL },
	{ "received_total", "integer", P_RO, NULL },
	{ "received_all", "boolean", P_RO, NULL },
	{ "mbox", "uri", P_RO, NULL },
	{ "cover_letter", "CoverEmbedded", P_NULL | P_RO, NULL },
	{ "patches", "[PatchEmbedded]", P_RO, NULL },
	{ "dependencies", "[uri]", P_OPT | P_RO,
	    "From 1.4, when the project shows dependencies." },
	{ "dependents", "[uri]", P_OPT | P_RO,
	    "From 1.4, when the project shows dependencies." },
	{ "metadata", "object", 0,
	    "From 1.4: string to string; a write replaces it all." },
	END
};

static const struct prop event[] = {
	{ "id", "integer", 0, NULL },
	{ "category", "string", 0, NULL },
	{ "project", "ProjectEmbedded", 0, NULL },
	{ "date", "date-time", 0, NULL },
	{ "actor", "UserEmbedded", P_NULL, NULL },
	{ "payload", "object", 0,
	    "The objects of the category: patch, series, cover, comment, "
	    "check, previous_state, current_state, previous_delegate, "
	    "current_delegate, previous_relation, current_relation." },
	END
};

static const struct prop bundle[] = {
	{ "id", "integer", 0, NULL },
	{ "url", "uri", 0, NULL },
	{ "web_url", "uri", 0, "From 1.1." },
	{ "project", "ProjectEmbedded", P_RO,
	    "The project of the first patch." },
	{ "name", "string", 0, "1 to 50 characters, no '/'; unique per owner." },
	{ "owner", "UserEmbedded", P_RO, NULL },
	{ "patches", "[PatchEmbedded]", 0,
	    "Written as a list of patch ids of one project, in order." },
	{ "public", "boolean", 0, NULL },
	{ "mbox", "uri", P_RO, NULL },
	END
};

static const struct prop webhook[] = {
	{ "id", "integer", P_RO, NULL },
	{ "url", "uri", 0, "Where events are POSTed: http or https; unique "
	    "per project.  Required when creating." },
	{ "secret", "string", P_WO, "Signs deliveries (X-Patchwork-Signature: "
	    "sha256=HMAC of the body); default \"\": unsigned." },
	{ "events", "string", 0, "\"*\" (the default) or event categories, "
	    "comma-separated." },
	{ "active", "boolean", 0, "Default true." },
	{ "created", "date-time", P_RO, NULL },
	END
};

static const struct prop error[] = {
	{ "detail", "string", P_OPT,
	    "What went wrong; a 400 has instead each field that is wrong, "
	    "with a list of messages (or the nested object's errors), and "
	    "\"detail\" as a list for errors of no one field." },
	END
};

static const struct prop index_props[] = {
	{ "projects", "uri", 0, NULL },
	{ "users", "uri", 0, NULL },
	{ "people", "uri", 0, NULL },
	{ "patches", "uri", 0, NULL },
	{ "covers", "uri", 0, NULL },
	{ "series", "uri", 0, NULL },
	{ "events", "uri", 0, NULL },
	{ "bundles", "uri", 0, NULL },
	END
};

static const struct schema schemas[] = {
	{ "Index", "The list URLs.", index_props },
	{ "UserEmbedded", NULL, user_embedded },
	{ "UserSettings", NULL, user_settings },
	{ "User", NULL, user },
	{ "PersonEmbedded", NULL, person_embedded },
	{ "Person", NULL, person },
	{ "ProjectEmbedded", NULL, project_embedded },
	{ "Project", NULL, project },
	{ "PatchEmbedded", NULL, patch_embedded },
	{ "CoverEmbedded", NULL, cover_embedded },
	{ "SeriesEmbedded", NULL, series_embedded },
	{ "CommentEmbedded", NULL, comment_embedded },
	{ "CheckEmbedded", NULL, check_embedded },
	{ "PatchList", "A patch as lists show it.", patch_list },
	{ "Patch", "A patch with its message.", patch_detail },
	{ "Comment", NULL, comment },
	{ "Check", NULL, check },
	{ "CoverList", NULL, cover_list },
	{ "Cover", NULL, cover_detail },
	{ "Series", NULL, series },
	{ "Event", NULL, event },
	{ "Bundle", NULL, bundle },
	{ "Webhook", "Deliveries of a project's events (1.4).", webhook },
	{ "Error", NULL, error },
};
#define NSCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

/* Parameters ---------------------------------------------------------- */

struct dparam {
	const char	*name;
	const char	*in;		/* "path" or "query" */
	const char	*type;		/* integer, string, boolean, date-time */
	int		 multi;		/* may repeat (OR) */
	const char	*desc;
};

static const struct dparam params[] = {
	{ "id", "path", "integer", 0, NULL },
	{ "project_id", "path", "string", 0, "A project id or link name." },
	{ "cid", "path", "integer", 0, NULL },
	{ "linkname", "path", "string", 0, "A project link name." },
	{ "msgid", "path", "string", 0,
	    "The Message-Id without <>, with '/' as %2F." },
	{ "username", "path", "string", 0, NULL },
	{ "bundlename", "path", "string", 0, NULL },
	{ "page", "query", "string", 0, "A page number, or \"last\"." },
	{ "per_page", "query", "integer", 0,
	    "Items per page (default 30, at most 250)." },
	{ "order", "query", "string", 0,
	    "Comma-separated fields, '-' for descending." },
	{ "q", "query", "string", 0,
	    "Words that must all occur (case-insensitive)." },
	{ "project", "query", "string", 1, "Project id or link name." },
	{ "series", "query", "integer", 1, NULL },
	{ "submitter", "query", "string", 1, "Person id or email." },
	{ "delegate", "query", "string", 1, "User id or username." },
	{ "state", "query", "string", 1, "State id, slug or name." },
	{ "archived", "query", "boolean", 0, NULL },
	{ "hash", "query", "string", 0, "From 1.2." },
	{ "msgid_q", "query", "string", 0,
	    "A Message-Id without <> (patches: from 1.2)." },
	{ "since", "query", "date-time", 0, NULL },
	{ "before", "query", "date-time", 0, NULL },
	{ "owner", "query", "string", 1, "User id or username." },
	{ "public", "query", "boolean", 0, NULL },
	{ "category", "query", "string", 0, NULL },
	{ "patch", "query", "integer", 1, NULL },
	{ "cover", "query", "integer", 1, NULL },
	{ "actor", "query", "integer", 0, "From 1.2." },
	{ "user", "query", "string", 1, "User id or username." },
	{ "check_state", "query", "string", 0,
	    "pending, success, warning, fail, or 0-3." },
	{ "context", "query", "string", 0, NULL },
	{ "metadata_key", "query", "string", 0, "From 1.4." },
	{ "metadata_value", "query", "string", 0, "From 1.4." },
	{ "series_q", "query", "string", 0,
	    "\"*\" or the patch's series id: the earlier patches of the "
	    "series come first." },
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

/* Operations ---------------------------------------------------------- */

enum op_flags {
	O_AUTH	= 1 << 0,	/* needs a user */
	O_LIST	= 1 << 1,	/* paginated, Link header */
	O_WEB	= 1 << 2,	/* a download, text/plain */
};

struct op {
	const char	*method;
	const char	*path;
	const char	*tag;
	const char	*summary;
	const char	*params;	/* names, space-separated */
	const char	*body;		/* request schema, or NULL */
	const char	*resp;		/* "200 Schema", "200 [Schema]", "204" */
	const char	*errors;	/* other statuses */
	unsigned	 flags;
};

#define LISTP "page per_page order"

static const struct op ops[] = {
	{ "get", "/api/", "index", "The list URLs.", "", NULL, "200 Index",
	    "403", 0 },

	{ "get", "/api/projects/", "projects", "List projects.",
	    LISTP " q", NULL, "200 [Project]", "403 404", O_LIST },
	{ "get", "/api/projects/{project_id}/", "projects", "Show a project.",
	    "project_id", NULL, "200 Project", "403 404", 0 },
	{ "patch", "/api/projects/{project_id}/", "projects",
	    "Update a project (its maintainers).", "project_id", "Project",
	    "200 Project", "400 403 404 415", O_AUTH },
	{ "put", "/api/projects/{project_id}/", "projects",
	    "Update a project (its maintainers).", "project_id", "Project",
	    "200 Project", "400 403 404 415", O_AUTH },

	{ "get", "/api/users/", "users", "List users.", LISTP " q", NULL,
	    "200 [UserEmbedded]", "403 404", O_LIST | O_AUTH },
	{ "get", "/api/users/{id}/", "users", "Show a user.", "id", NULL,
	    "200 User", "403 404", O_AUTH },
	{ "patch", "/api/users/{id}/", "users", "Update oneself.", "id",
	    "User", "200 User", "400 403 404 415", O_AUTH },
	{ "put", "/api/users/{id}/", "users", "Update oneself.", "id",
	    "User", "200 User", "400 403 404 415", O_AUTH },

	{ "get", "/api/people/", "people", "List people.", LISTP " q", NULL,
	    "200 [Person]", "403 404", O_LIST | O_AUTH },
	{ "get", "/api/people/{id}/", "people", "Show a person.", "id", NULL,
	    "200 Person", "403 404", O_AUTH },

	{ "get", "/api/patches/", "patches", "List patches.",
	    LISTP " q project series submitter delegate state archived hash "
	    "msgid_q since before", NULL, "200 [PatchList]", "403 404",
	    O_LIST },
	{ "get", "/api/patches/{id}/", "patches", "Show a patch.", "id", NULL,
	    "200 Patch", "403 404", 0 },
	{ "patch", "/api/patches/{id}/", "patches",
	    "Update a patch (submitter, delegate or maintainer).", "id",
	    "Patch", "200 Patch", "400 403 404 409 415", O_AUTH },
	{ "put", "/api/patches/{id}/", "patches",
	    "Update a patch; state and delegate are required.", "id",
	    "Patch", "200 Patch", "400 403 404 409 415", O_AUTH },
	{ "get", "/api/patches/{id}/comments/", "comments",
	    "List a patch's comments (1.1+).", "id " LISTP " q", NULL,
	    "200 [Comment]", "403 404", O_LIST },
	{ "get", "/api/patches/{id}/comments/{cid}/", "comments",
	    "Show a patch comment (1.3+).", "id cid", NULL, "200 Comment",
	    "403 404", 0 },
	{ "patch", "/api/patches/{id}/comments/{cid}/", "comments",
	    "Set addressed (1.3+).", "id cid", "Comment", "200 Comment",
	    "400 403 404 415", O_AUTH },
	{ "put", "/api/patches/{id}/comments/{cid}/", "comments",
	    "Set addressed (1.3+).", "id cid", "Comment", "200 Comment",
	    "400 403 404 415", O_AUTH },
	{ "get", "/api/patches/{id}/checks/", "checks",
	    "List a patch's checks.", "id " LISTP " user check_state context "
	    "since before", NULL, "200 [Check]", "403 404", O_LIST },
	{ "post", "/api/patches/{id}/checks/", "checks",
	    "Add a check (submitter, delegate or maintainer).", "id", "Check",
	    "201 Check", "400 403 404 415", O_AUTH },
	{ "get", "/api/patches/{id}/checks/{cid}/", "checks", "Show a check.",
	    "id cid", NULL, "200 Check", "403 404", 0 },
	{ "patch", "/api/patches/{id}/checks/{cid}/", "checks",
	    "Update a check (1.4, maintainers).", "id cid", "Check",
	    "200 Check", "400 403 404 415", O_AUTH },

	{ "get", "/api/covers/", "covers", "List cover letters.",
	    LISTP " q project series submitter msgid_q since before", NULL,
	    "200 [CoverList]", "403 404", O_LIST },
	{ "get", "/api/covers/{id}/", "covers", "Show a cover letter.", "id",
	    NULL, "200 Cover", "403 404", 0 },
	{ "get", "/api/covers/{id}/comments/", "comments",
	    "List a cover letter's comments (1.1+).", "id " LISTP " q", NULL,
	    "200 [Comment]", "403 404", O_LIST },
	{ "get", "/api/covers/{id}/comments/{cid}/", "comments",
	    "Show a cover comment (1.3+).", "id cid", NULL, "200 Comment",
	    "403 404", 0 },
	{ "patch", "/api/covers/{id}/comments/{cid}/", "comments",
	    "Set addressed (1.3+).", "id cid", "Comment", "200 Comment",
	    "400 403 404 415", O_AUTH },
	{ "put", "/api/covers/{id}/comments/{cid}/", "comments",
	    "Set addressed (1.3+).", "id cid", "Comment", "200 Comment",
	    "400 403 404 415", O_AUTH },

	{ "get", "/api/series/", "series", "List series.",
	    LISTP " q project submitter since before metadata_key "
	    "metadata_value", NULL, "200 [Series]", "403 404", O_LIST },
	{ "get", "/api/series/{id}/", "series", "Show a series.", "id", NULL,
	    "200 Series", "403 404", 0 },
	{ "patch", "/api/series/{id}/", "series",
	    "Set version and metadata (1.4, maintainers).", "id", "Series",
	    "200 Series", "400 403 404 415", O_AUTH },
	{ "put", "/api/series/{id}/", "series",
	    "Set version and metadata (1.4, maintainers).", "id", "Series",
	    "200 Series", "400 403 404 415", O_AUTH },

	{ "get", "/api/events/", "events", "List events, newest first.",
	    LISTP " project category series patch cover actor since before",
	    NULL, "200 [Event]", "403 404", O_LIST },

	{ "get", "/api/bundles/", "bundles",
	    "List the public bundles and one's own.",
	    LISTP " q project owner public", NULL, "200 [Bundle]", "403 404",
	    O_LIST },
	{ "post", "/api/bundles/", "bundles", "Create a bundle (1.2+).", "",
	    "Bundle", "201 Bundle", "400 403 405 415", O_AUTH },
	{ "get", "/api/bundles/{id}/", "bundles", "Show a bundle.", "id", NULL,
	    "200 Bundle", "403 404", 0 },
	{ "patch", "/api/bundles/{id}/", "bundles",
	    "Update one's bundle (1.2+); patches replace the list.", "id",
	    "Bundle", "200 Bundle", "400 403 404 405 415", O_AUTH },
	{ "put", "/api/bundles/{id}/", "bundles",
	    "Update one's bundle (1.2+); name and patches are required.",
	    "id", "Bundle", "200 Bundle", "400 403 404 405 415", O_AUTH },
	{ "delete", "/api/bundles/{id}/", "bundles",
	    "Delete one's bundle (1.2+).", "id", NULL, "204",
	    "403 404 405", O_AUTH },

	{ "get", "/api/projects/{project_id}/webhooks/", "webhooks",
	    "List a project's webhooks (1.4, maintainers).",
	    "project_id " LISTP, NULL, "200 [Webhook]", "403 404",
	    O_LIST | O_AUTH },
	{ "post", "/api/projects/{project_id}/webhooks/", "webhooks",
	    "Add a webhook (1.4, maintainers).", "project_id", "Webhook",
	    "201 Webhook", "400 403 404 415", O_AUTH },
	{ "get", "/api/projects/{project_id}/webhooks/{id}/", "webhooks",
	    "Show a webhook (1.4, maintainers).", "project_id id", NULL,
	    "200 Webhook", "403 404", O_AUTH },
	{ "patch", "/api/projects/{project_id}/webhooks/{id}/", "webhooks",
	    "Update a webhook (1.4, maintainers); absent fields stay.",
	    "project_id id", "Webhook", "200 Webhook", "400 403 404 415",
	    O_AUTH },
	{ "delete", "/api/projects/{project_id}/webhooks/{id}/", "webhooks",
	    "Delete a webhook (1.4, maintainers).", "project_id id", NULL,
	    "204", "403 404", O_AUTH },

	{ "get", "/project/{linkname}/patch/{msgid}/mbox/", "downloads",
	    "A patch as mbox, with review trailers from its comments.",
	    "linkname msgid series_q", NULL, "200 mbox", "404", O_WEB },
	{ "get", "/project/{linkname}/patch/{msgid}/raw/", "downloads",
	    "A patch's diff.", "linkname msgid", NULL, "200 diff", "404",
	    O_WEB },
	{ "get", "/project/{linkname}/cover/{msgid}/mbox/", "downloads",
	    "A cover letter as mbox.", "linkname msgid", NULL, "200 mbox",
	    "404", O_WEB },
	{ "get", "/series/{id}/mbox/", "downloads",
	    "A series' patches as mbox, in order.", "id", NULL, "200 mbox",
	    "404", O_WEB },
	{ "get", "/bundle/{username}/{bundlename}/mbox/", "downloads",
	    "A bundle's patches as mbox, in bundle order.",
	    "username bundlename", NULL, "200 mbox", "404", O_WEB },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static const char *const tags[][2] = {
	{ "index", "Where the lists are." },
	{ "projects", "Projects: anyone reads, maintainers edit URLs." },
	{ "users", "Accounts: logged-in users only; one edits oneself." },
	{ "people", "Mail senders: logged-in users only." },
	{ "patches", "Patches: anyone reads; submitter, delegate and "
	    "maintainers edit." },
	{ "comments", "Replies to patches and cover letters." },
	{ "checks", "CI results on patches." },
	{ "covers", "Cover letters." },
	{ "series", "Series of patches." },
	{ "events", "What happened, for bots to poll." },
	{ "bundles", "Users' named lists of patches." },
	{ "webhooks", "A project's events POSTed to URLs its maintainers "
	    "register (1.4)." },
	{ "downloads", "mbox and diff files, outside /api/; git am takes "
	    "them." },
};
#define NTAGS (sizeof(tags) / sizeof(tags[0]))

static const char doc_intro[] =
    "Django Patchwork's REST API, as served here.  Every path under "
    "/api/ is also served under /api/1.0/ to /api/1.4/; this document "
    "describes 1.4, which the unversioned /api/ also gives.  Older "
    "versions leave out the fields marked with the version that added "
    "them.  Lists are JSON arrays; their Link header (next, prev, first, "
    "last) pages through them.  Writes take JSON, form-encoded or "
    "multipart bodies.  Authenticate with \"Authorization: Token <key>\" "
    "(or Bearer), HTTP Basic, or a session cookie with its CSRF token.  "
    "Errors are {\"detail\": message} or, for a 400, the fields with "
    "their messages.";

/* The document --------------------------------------------------------- */

static const struct dparam *
param_find(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NPARAMS; i++)
		if (strlen(params[i].name) == n &&
		    strncmp(params[i].name, name, n) == 0)
			return &params[i];
	return NULL;
}

/* Query parameter names that the table spells differently. */
static const char *
param_wire_name(const struct dparam *p)
{
	if (strcmp(p->name, "msgid_q") == 0)
		return "msgid";
	if (strcmp(p->name, "check_state") == 0)
		return "state";
	if (strcmp(p->name, "series_q") == 0)
		return "series";
	return p->name;
}

static struct json_object *
type_schema(const char *t, const char *desc)
{
	struct json_object *o = json_object_new_object();
	size_t n = strlen(t);

	if (t[0] == '[' && t[n - 1] == ']') {
		char inner[64];

		snprintf(inner, sizeof(inner), "%.*s", (int)(n - 2), t + 1);
		json_object_object_add(o, "type",
		    json_object_new_string("array"));
		json_object_object_add(o, "items", type_schema(inner, NULL));
	} else if (strcmp(t, "integer") == 0 || strcmp(t, "string") == 0 ||
	    strcmp(t, "boolean") == 0 || strcmp(t, "object") == 0) {
		json_object_object_add(o, "type", json_object_new_string(t));
	} else if (strcmp(t, "date-time") == 0) {
		json_object_object_add(o, "type",
		    json_object_new_string("string"));
		json_object_object_add(o, "format",
		    json_object_new_string("date-time"));
	} else if (strcmp(t, "uri") == 0) {
		json_object_object_add(o, "type",
		    json_object_new_string("string"));
		json_object_object_add(o, "format",
		    json_object_new_string("uri"));
	} else {
		char ref[96];

		snprintf(ref, sizeof(ref), "#/components/schemas/%s", t);
		json_object_object_add(o, "$ref", json_object_new_string(ref));
	}
	if (desc != NULL)
		json_object_object_add(o, "description",
		    json_object_new_string(desc));
	return o;
}

static struct json_object *
schema_json(const struct schema *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *props = json_object_new_object();
	struct json_object *req = json_object_new_array();
	const struct prop *p;

	json_object_object_add(o, "type", json_object_new_string("object"));
	if (s->desc != NULL)
		json_object_object_add(o, "description",
		    json_object_new_string(s->desc));
	for (p = s->props; p->name != NULL; p++) {
		struct json_object *t = type_schema(p->type, p->desc);

		/* A $ref may have no siblings in 3.0: wrap it. */
		if ((p->flags & (P_NULL | P_RO)) &&
		    json_object_object_get_ex(t, "$ref", NULL)) {
			struct json_object *w = json_object_new_object();
			struct json_object *all = json_object_new_array();

			json_object_array_add(all, t);
			json_object_object_add(w, "allOf", all);
			t = w;
		}
		if (p->flags & P_NULL)
			json_object_object_add(t, "nullable",
			    json_object_new_boolean(1));
		if (p->flags & P_RO)
			json_object_object_add(t, "readOnly",
			    json_object_new_boolean(1));
		json_object_object_add(props, p->name, t);
		if (p->flags & P_WO)
			json_object_object_add(t, "writeOnly",
			    json_object_new_boolean(1));
		if (!(p->flags & (P_OPT | P_WO)))
			json_object_array_add(req,
			    json_object_new_string(p->name));
	}
	json_object_object_add(o, "properties", props);
	json_object_object_add(o, "required", req);
	if (strcmp(s->name, "Error") == 0)
		json_object_object_add(o, "additionalProperties",
		    json_object_new_object());
	return o;
}

static struct json_object *
content_of(const char *mime, struct json_object *schema)
{
	struct json_object *c = json_object_new_object();
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "schema", schema);
	json_object_object_add(c, mime, m);
	return c;
}

static struct json_object *
op_json(const struct op *op)
{
	struct json_object *o = json_object_new_object(), *ps, *rs, *r, *t;
	const char *p, *e;
	char code[8], id[128];
	size_t i;

	t = json_object_new_array();
	json_object_array_add(t, json_object_new_string(op->tag));
	json_object_object_add(o, "tags", t);
	json_object_object_add(o, "summary", json_object_new_string(op->summary));
	snprintf(id, sizeof(id), "%s", op->method);
	for (p = op->path; *p != '\0' && strlen(id) < sizeof(id) - 2; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			size_t n = strlen(id);

			id[n] = p[-1] == '/' || p[-1] == '{' || p[-1] == '_' ?
			    (char)(*p - 32 * (*p >= 'a')) : *p;
			id[n + 1] = '\0';
		}
	json_object_object_add(o, "operationId", json_object_new_string(id));

	ps = json_object_new_array();
	for (p = op->params; *p != '\0'; p = *e ? e + 1 : e) {
		const struct dparam *pa;
		struct json_object *po;

		e = p + strcspn(p, " ");
		if ((pa = param_find(p, (size_t)(e - p))) == NULL)
			continue;
		po = json_object_new_object();
		json_object_object_add(po, "name",
		    json_object_new_string(param_wire_name(pa)));
		json_object_object_add(po, "in", json_object_new_string(pa->in));
		if (strcmp(pa->in, "path") == 0)
			json_object_object_add(po, "required",
			    json_object_new_boolean(1));
		if (pa->desc != NULL)
			json_object_object_add(po, "description",
			    json_object_new_string(pa->desc));
		if (pa->multi) {
			struct json_object *a = json_object_new_object();

			json_object_object_add(a, "type",
			    json_object_new_string("array"));
			json_object_object_add(a, "items",
			    type_schema(pa->type, NULL));
			json_object_object_add(po, "schema", a);
			json_object_object_add(po, "explode",
			    json_object_new_boolean(1));
		} else
			json_object_object_add(po, "schema",
			    type_schema(pa->type, NULL));
		json_object_array_add(ps, po);
	}
	json_object_object_add(o, "parameters", ps);

	if (op->body != NULL) {
		struct json_object *rb = json_object_new_object(), *c;
		char ref[96];

		snprintf(ref, sizeof(ref), "#/components/schemas/%s", op->body);
		c = json_object_new_object();
		for (i = 0; i < 3; i++) {
			static const char *const mt[] = { "application/json",
			    "application/x-www-form-urlencoded",
			    "multipart/form-data" };
			struct json_object *m = json_object_new_object();
			struct json_object *s = json_object_new_object();

			json_object_object_add(s, "$ref",
			    json_object_new_string(ref));
			json_object_object_add(m, "schema", s);
			json_object_object_add(c, mt[i], m);
		}
		json_object_object_add(rb, "content", c);
		json_object_object_add(rb, "description", json_object_new_string(
		    "The fields to set; read-only and unknown fields are "
		    "ignored."));
		json_object_object_add(o, "requestBody", rb);
	}

	rs = json_object_new_object();
	snprintf(code, sizeof(code), "%.3s", op->resp);
	r = json_object_new_object();
	if (op->resp[3] == ' ') {
		const char *s = op->resp + 4;

		if (strcmp(s, "mbox") == 0 || strcmp(s, "diff") == 0) {
			struct json_object *st = json_object_new_object();

			json_object_object_add(st, "type",
			    json_object_new_string("string"));
			json_object_object_add(r, "description",
			    json_object_new_string("The file; its name is in "
			    "Content-Disposition."));
			json_object_object_add(r, "content", content_of(
			    strcmp(s, "diff") == 0 ? "text/x-patch" :
			    "text/plain", st));
		} else {
			json_object_object_add(r, "description",
			    json_object_new_string(op->flags & O_LIST ?
			    "A page; see the Link header." : "OK"));
			json_object_object_add(r, "content",
			    content_of("application/json", type_schema(s, NULL)));
		}
	} else
		json_object_object_add(r, "description",
		    json_object_new_string("Done, no body."));
	json_object_object_add(rs, code, r);
	for (p = op->errors; *p != '\0'; p = *e ? e + 1 : e) {
		char ref[64];

		e = p + strcspn(p, " ");
		snprintf(code, sizeof(code), "%.*s", (int)(e - p), p);
		r = json_object_new_object();
		snprintf(ref, sizeof(ref), "#/components/responses/%s%s",
		    op->flags & O_WEB ? "Page" : "E", code);
		json_object_object_add(r, "$ref", json_object_new_string(ref));
		json_object_object_add(rs, code, r);
	}
	json_object_object_add(o, "responses", rs);
	if (op->flags & O_AUTH) {
		static const char *const schemes[] = { "token", "bearer",
		    "basic", "session" };
		struct json_object *sec = json_object_new_array();

		for (i = 0; i < 4; i++) {
			struct json_object *s = json_object_new_object();

			json_object_object_add(s, schemes[i],
			    json_object_new_array());
			json_object_array_add(sec, s);
		}
		json_object_object_add(o, "security", sec);
	}
	return o;
}

static const char *const error_text[][2] = {
	{ "400", "The body is not valid: each field with its messages." },
	{ "403", "Bad credentials, none where some are needed, or no "
	    "permission." },
	{ "404", "No such object, or none you may see." },
	{ "405", "Not a method of this path (bundle writes: below 1.2)." },
	{ "409", "A patch is in another relation already." },
	{ "415", "The body's Content-Type is not JSON or a form." },
};

static struct json_object *
document(struct req *r)
{
	struct json_object *d = json_object_new_object(), *o, *paths, *comp;
	struct json_object *sch, *resp, *sec, *srv, *tg;
	size_t i;

	json_object_object_add(d, "openapi", json_object_new_string("3.0.3"));
	o = json_object_new_object();
	json_object_object_add(o, "title",
	    json_object_new_string("Patchwork REST API"));
	json_object_object_add(o, "version", json_object_new_string("1.4"));
	json_object_object_add(o, "description",
	    json_object_new_string(doc_intro));
	json_object_object_add(d, "info", o);
	srv = json_object_new_array();
	o = json_object_new_object();
	json_object_object_add(o, "url",
	    json_object_new_string(req_base_url(r)));
	json_object_array_add(srv, o);
	json_object_object_add(d, "servers", srv);
	tg = json_object_new_array();
	for (i = 0; i < NTAGS; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    json_object_new_string(tags[i][0]));
		json_object_object_add(o, "description",
		    json_object_new_string(tags[i][1]));
		json_object_array_add(tg, o);
	}
	json_object_object_add(d, "tags", tg);

	paths = json_object_new_object();
	for (i = 0; i < NOPS; i++) {
		struct json_object *item;

		if (!json_object_object_get_ex(paths, ops[i].path, &item)) {
			item = json_object_new_object();
			json_object_object_add(paths, ops[i].path, item);
		}
		json_object_object_add(item, ops[i].method, op_json(&ops[i]));
	}
	json_object_object_add(d, "paths", paths);

	comp = json_object_new_object();
	sch = json_object_new_object();
	for (i = 0; i < NSCHEMAS; i++)
		json_object_object_add(sch, schemas[i].name,
		    schema_json(&schemas[i]));
	json_object_object_add(comp, "schemas", sch);
	resp = json_object_new_object();
	for (i = 0; i < sizeof(error_text) / sizeof(error_text[0]); i++) {
		char name[8];

		o = json_object_new_object();
		json_object_object_add(o, "description",
		    json_object_new_string(error_text[i][1]));
		json_object_object_add(o, "content", content_of(
		    "application/json", type_schema("Error", NULL)));
		snprintf(name, sizeof(name), "E%s", error_text[i][0]);
		json_object_object_add(resp, name, o);
	}
	o = json_object_new_object();
	json_object_object_add(o, "description", json_object_new_string(
	    "No such object, or none you may see: an HTML page."));
	json_object_object_add(o, "content", content_of("text/html",
	    type_schema("string", NULL)));
	json_object_object_add(resp, "Page404", o);
	json_object_object_add(comp, "responses", resp);
	sec = json_object_new_object();
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("apiKey"));
	json_object_object_add(o, "in", json_object_new_string("header"));
	json_object_object_add(o, "name",
	    json_object_new_string("Authorization"));
	json_object_object_add(o, "description",
	    json_object_new_string("\"Token <key>\": the key from the "
	    "profile page."));
	json_object_object_add(sec, "token", o);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("http"));
	json_object_object_add(o, "scheme", json_object_new_string("bearer"));
	json_object_object_add(sec, "bearer", o);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("http"));
	json_object_object_add(o, "scheme", json_object_new_string("basic"));
	json_object_object_add(sec, "basic", o);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string("apiKey"));
	json_object_object_add(o, "in", json_object_new_string("cookie"));
	json_object_object_add(o, "name", json_object_new_string("sessionid"));
	json_object_object_add(o, "description",
	    json_object_new_string("A browser session; writes also need "
	    "the X-CSRFToken header."));
	json_object_object_add(sec, "session", o);
	json_object_object_add(comp, "securitySchemes", sec);
	json_object_object_add(d, "components", comp);
	return d;
}

/* GET /api/openapi.json: the document.  Anyone; no database. */
int
api_openapi(struct req *r)
{
	json_put(r, document(r));
	return 200;
}

/* The readable page ---------------------------------------------------- */

static void
html_type(const char *t)
{
	size_t n = strlen(t);
	char inner[64];

	if (t[0] == '[') {
		snprintf(inner, sizeof(inner), "%.*s", (int)(n - 2), t + 1);
		html_raw("list of ");
		html_type(inner);
		return;
	}
	if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", t[0]) != NULL) {
		html_raw("<a href=\"#schema-");
		html_attr(t);
		html_raw("\">");
		html_text(t);
		html_raw("</a>");
	} else
		html_text(t);
}

/* GET /api/docs: the document as a page.  Anyone; no database. */
int
api_docs(struct req *r)
{
	const struct prop *pp;
	const char *p, *e;
	size_t i, k;

	page_header(r, "REST API");
	html_raw("<h1>REST API</h1>\n<p>");
	html_text(doc_intro);
	html_raw("</p>\n<p>The machine-readable form: <a href=\"/api/"
	    "openapi.json\">openapi.json</a> (OpenAPI 3.0).</p>\n");
	for (k = 0; k < NTAGS; k++) {
		html_raw("<h2 id=\"tag-");
		html_attr(tags[k][0]);
		html_raw("\">");
		html_text(tags[k][0]);
		html_raw("</h2>\n<p>");
		html_text(tags[k][1]);
		html_raw("</p>\n<table class=\"api\">\n");
		for (i = 0; i < NOPS; i++) {
			if (strcmp(ops[i].tag, tags[k][0]) != 0)
				continue;
			html_raw("<tr><td><code>");
			for (p = ops[i].method; *p != '\0'; p++)
				html_textf("%c", *p - 32);
			html_raw(" ");
			html_text(ops[i].path);
			html_raw("</code></td><td>");
			html_text(ops[i].summary);
			if (ops[i].flags & O_AUTH)
				html_raw(" <em>Needs a user.</em>");
			if (*ops[i].params != '\0') {
				html_raw("<br>Parameters:");
				for (p = ops[i].params; *p != '\0';
				    p = *e ? e + 1 : e) {
					const struct dparam *pa;

					e = p + strcspn(p, " ");
					pa = param_find(p, (size_t)(e - p));
					if (pa == NULL)
						continue;
					html_raw(" <code>");
					html_text(param_wire_name(pa));
					html_raw("</code>");
				}
			}
			if (ops[i].body != NULL) {
				html_raw("<br>Body: ");
				html_type(ops[i].body);
			}
			html_raw("<br>Answers ");
			html_textf("%.3s", ops[i].resp);
			if (ops[i].resp[3] == ' ') {
				html_raw(" with ");
				html_type(ops[i].resp + 4);
			}
			if (*ops[i].errors != '\0') {
				html_raw(", or ");
				html_text(ops[i].errors);
			}
			html_raw(".</td></tr>\n");
		}
		html_raw("</table>\n");
	}
	html_raw("<h2>Objects</h2>\n");
	for (i = 0; i < NSCHEMAS; i++) {
		html_raw("<h3 id=\"schema-");
		html_attr(schemas[i].name);
		html_raw("\">");
		html_text(schemas[i].name);
		html_raw("</h3>\n");
		if (schemas[i].desc != NULL) {
			html_raw("<p>");
			html_text(schemas[i].desc);
			html_raw("</p>\n");
		}
		html_raw("<table class=\"api\">\n");
		for (pp = schemas[i].props; pp->name != NULL; pp++) {
			html_raw("<tr><td><code>");
			html_text(pp->name);
			html_raw("</code></td><td>");
			html_type(pp->type);
			if (pp->flags & P_NULL)
				html_raw(" or null");
			if (pp->flags & P_RO)
				html_raw(", read-only");
			if (pp->flags & P_WO)
				html_raw(", write-only");
			if (pp->flags & P_OPT)
				html_raw(", sometimes absent");
			html_raw("</td><td>");
			if (pp->desc != NULL)
				html_text(pp->desc);
			html_raw("</td></tr>\n");
		}
		html_raw("</table>\n");
	}
	page_footer(r);
	return 200;
}
