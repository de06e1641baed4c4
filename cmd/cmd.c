/*
 * Start-up shared by the cmd/ programs; see cmd.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cmd.h"
#include "log.h"
#include "migrate.h"

/* How `pw` recognises its programs (see cmd.h). */
__attribute__((used)) static const char cmd_ident[] = CMD_IDENT;

void
cmd_init(struct cmd *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	log_init(name, 0, 0);
}

void
cmd_config(struct cmd *c)
{
	int fac;

	if (conf_load(&c->conf, c->config) == -1)
		exit(EX_CONFIG);
	c->have_conf = 1;
	log_init(c->name, c->conf.log.syslog, c->conf.log.verbose + c->verbose);
	if (c->conf.log.syslog &&
	    (fac = conf_syslog_facility(c->conf.log.facility)) != -1)
		openlog(c->name, LOG_PID | LOG_NDELAY, fac);
}

void
cmd_connect(struct cmd *c, enum cmd_flags flags)
{
	if (!c->have_conf)
		cmd_config(c);
	db_init(&c->db, c->conf.database.url);
	c->have_db = 1;
	c->db.connect_timeout = c->conf.database.connect_timeout;
	c->db.statement_timeout = c->conf.database.statement_timeout;
	c->db.lock_timeout = c->conf.database.lock_timeout;
	if (db_connect(&c->db) == -1) {
		log_warnx("database unreachable; try again later");
		exit(EX_TEMPFAIL);
	}
	if (flags & CMD_NO_SCHEMA_CHECK)
		return;
	if (migrate_check(&c->db) == -1)
		exit(c->db.err == DB_UNAVAILABLE ? EX_TEMPFAIL : EX_CONFIG);
}

int
cmd_db_status(const struct db *db)
{
	switch (db->err) {
	case DB_UNAVAILABLE:
		return EX_TEMPFAIL;
	case DB_DUPLICATE:
		return EX_DATAERR;
	default:
		/* Integrity violations (class 23) are bad input, not bugs. */
		if (strncmp(db->sqlstate, "23", 2) == 0 ||
		    strncmp(db->sqlstate, "22", 2) == 0)
			return EX_DATAERR;
		return EX_SOFTWARE;
	}
}

void
cmd_release(struct cmd *c)
{
	if (c->have_db)
		db_release(&c->db);
	if (c->have_conf)
		conf_release(&c->conf);
	c->have_db = c->have_conf = 0;
}
