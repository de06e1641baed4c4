#ifndef PW_IMPORT_H
#define PW_IMPORT_H
/*
 * pw db import: load a file written by `pw db export` (export.h).
 *
 * 1. The header is read first: its format must be EXPORT_FORMAT and its
 *    schema version ours, or nothing is touched.
 * 2. The target must be at our schema version (`pw db sync` done) and
 *    hold no data besides the seeded states and tags; --replace
 *    empties it first (TRUNCATE ... RESTART IDENTITY CASCADE).
 * 3. One transaction: the file's fixed statements (recognised exactly;
 *    nothing else from the file is run as SQL), then each COPY block
 *    streamed with PQputCopyData, its row count checked against the
 *    header; every identity sequence is reset past the imported ids.
 * 4. COMMIT, then ANALYZE.
 *
 * A failure anywhere rolls everything back: the target is unchanged.
 * Progress goes to stderr when it is a terminal.
 */
#include <libpq-fe.h>

struct import_opts {
	const char	*path;		/* NULL or "-": stdin */
	int		 replace;	/* empty a non-empty target first */
	int		 progress;	/* -1: when stderr is a tty */
	int		 schema_version;	/* ours */
	int		 quiet;
};

/*
 * Load into the database on conn (connected, not in a transaction; its
 * session settings are changed).  Returns 0, or -1 after logging why;
 * *unavailable is then set when the database went away (exit 75).
 */
int	import_run(PGconn *conn, const struct import_opts *, int *unavailable);

#endif
