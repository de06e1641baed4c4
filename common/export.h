#ifndef PW_EXPORT_H
#define PW_EXPORT_H
/*
 * Moving a site from Django Patchwork 3.x: the export file.
 *
 * export_run() reads a Django Patchwork database (migration 0042 to 0048)
 * in one read-only REPEATABLE READ snapshot and writes SQL for our schema
 * to a stream.  import_run() (import.h) loads such a file.  The file:
 *
 *	-- header: "-- key: value" comment lines (format, schema, source,
 *	-- time zone, one "rows: TABLE N" line per table), ended by
 *	-- "-- end of header"
 *	fixed statements (one per line): SETs, a guard, seed removal
 *	COPY table (columns) FROM stdin;  rows in COPY text format  \.
 *	... one block per table, parents first ...
 *	fixed statements: sequence resets, ANALYZE
 *
 * It has no BEGIN/COMMIT of its own: load it with `pw db import FILE` or
 * `psql -1 -v ON_ERROR_STOP=1 -f FILE`.  The guard statement refuses to
 * run outside a transaction block, against another schema version, or
 * into a database that already holds data.
 *
 * Memory stays flat: each table is streamed row by row from the server's
 * COPY TO STDOUT, which also does all the escaping.
 *
 * Everything skipped or changed on the way (leftover "ghost" cover rows,
 * orphans, DST-gap dates, users without a profile, ...) is written to
 * the report, on stderr, together with rows read and written per table.
 */
#include <stdio.h>

struct buf;

#define EXPORT_FORMAT		1
#define EXPORT_DEFAULT_TZ	"Australia/Canberra"

/* Our tables, in load order (parents first). */
enum xt {
	XT_STATE,
	XT_TAG,
	XT_AUTH_USER,
	XT_AUTH_TOKEN,
	XT_PROJECT,
	XT_PROJECT_MAINTAINER,
	XT_PERSON,
	XT_DELEGATION_RULE,
	XT_PATCH_RELATION,
	XT_COVER,
	XT_SERIES,
	XT_SERIES_REFERENCE,
	XT_SERIES_DEPENDENCY,
	XT_PATCH,
	XT_PATCH_COMMENT,
	XT_COVER_COMMENT,
	XT_PATCH_TAG,
	XT_CI_CHECK,
	XT_BUNDLE,
	XT_BUNDLE_PATCH,
	XT_EVENT,
	XT_EMAIL_CONFIRMATION,
	XT_EMAIL_OPTOUT,
	XT_PATCH_CHANGE_NOTIFICATION,
	XT__MAX
};

enum xtable_flags {
	XTF_IDENTITY	= 1 << 0,	/* id column backed by a sequence */
	XTF_SEED	= 1 << 1,	/* `pw db sync` seeds rows: not "data" */
};

/* Name of our table. */
const char	*xtable_name(enum xt);
unsigned	 xtable_flags(enum xt);
/* Index of a table by name, or -1. */
int		 xtable_lookup(const char *);

/* The exact line that starts table t's COPY block, without newline. */
void	export_copy_line(struct buf *, enum xt);

/*
 * The fixed statements of an export for schema `version`, one per line
 * without newline: n = 0, 1, ... until NULL.  Preamble statements come
 * before the first COPY block, postamble ones after the last.
 * EXPORT_STMT_ANALYZE is the index of the final ANALYZE in the postamble
 * (`pw db import` runs it after COMMIT instead).
 */
enum export_part { EXPORT_PREAMBLE, EXPORT_POSTAMBLE };
const char *export_statement(struct buf *, enum export_part, int version,
	    int n);

struct export_opts {
	const char	*conninfo;	/* the Django database */
	const char	*time_zone;	/* Django's TIME_ZONE; NULL: default */
	/*
	 * When Patchwork 3.2 began writing event, check and confirmation
	 * dates in local time: NULL or "auto" (detect from patch-created
	 * events), "none", or a timestamp.
	 */
	const char	*local_since;
	int		 schema_version;	/* ours, for the header */
	int		 quiet;			/* report only problems */
};

/*
 * Write the export to out.  Returns 0, or -1 after logging why; then
 * *unavailable is set when the database could not be reached (exit 75).
 * The report goes to stderr.
 */
int	export_run(const struct export_opts *, FILE *out, int *unavailable);

#endif
