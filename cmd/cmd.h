#ifndef PW_CMD_H
#define PW_CMD_H
/*
 * Start-up shared by the cmd/ programs (private to cmd/).
 *
 * Lifecycle, in main():
 *  1. cmd_init(&c, "pw-db"): logging to stderr under that name;
 *  2. the program's getopt loop stores -c FILE in c.config (and may count
 *     -v in c.verbose);
 *  3. cmd_config(&c): loads the configuration (-c, else $PW_CONFIG, else
 *     the default file; $PW_DATABASE_URL overrides database.url) and sets
 *     up logging from it; on a bad file it has printed "file:line: what"
 *     and exits 78 (EX_CONFIG);
 *  4. cmd_connect(&c, flags): connects to the database with the
 *     configured timeouts and checks the schema; exits 75 (EX_TEMPFAIL)
 *     when the server cannot be reached, 78 (EX_CONFIG) when the schema
 *     is newer than the program or needs `pw db sync` (unless
 *     CMD_NO_SCHEMA_CHECK);
 *  5. work with c.conf and c.db; map a failed database call to an exit
 *     status with cmd_db_status(&c.db);
 *  6. cmd_release(&c) before returning from main (optional at exit).
 *
 * Exit statuses come from <sysexits.h>: 0 success, 64 usage, 65 bad
 * data (duplicate, constraint), 69 unavailable, 70 internal error,
 * 75 database unreachable (try again later), 78 configuration.
 *
 * Every program linked with cmd.o carries the string CMD_IDENT, and `pw`
 * only runs pw-* files that do (so unrelated pw-* programs on the system,
 * e.g. PipeWire's pw-cat, are never taken for ours).  Each pw-NAME
 * program declares its one-line description, which `pw --help` lists,
 * with CMD_DESCRIPTION("...") at file scope.
 */
#include <sysexits.h>

#include "conf.h"
#include "db.h"

#define CMD_IDENT	"@(#)pw-program"
#define CMD_MARKER	"@(#)pw-command: "
#define CMD_DESCRIPTION(text)						\
	__attribute__((used)) static const char cmd_description_[] =	\
	    CMD_MARKER text

struct cmd {
	const char	*name;		/* log ident, application_name */
	const char	*config;	/* -c FILE, or NULL */
	int		 verbose;	/* added to log.verbose */
	struct conf	 conf;
	struct db	 db;
	int		 have_conf;
	int		 have_db;
};

enum cmd_flags {
	CMD_NO_SCHEMA_CHECK = 1 << 0,	/* pw db: the schema may be behind */
};

void	cmd_init(struct cmd *, const char *name);
void	cmd_config(struct cmd *);
void	cmd_connect(struct cmd *, enum cmd_flags);
/* Exit status for the failure of the last call on db: 75, 65 or 70. */
int	cmd_db_status(const struct db *);
void	cmd_release(struct cmd *);

#endif
