/*
 * bare-list: the baseline of bench/api.sh, what a minimal libfcgi pool
 * does for a list: N forked workers accept on one unix socket, each with
 * its own PostgreSQL connection, and answer every request with one
 * prepared 30-row indexed query (a project's New patches, newest first)
 * serialised with json-c.  No parsing, no routing, no configuration, no
 * pagination header.  Built by the benchmark script only:
 *
 *	cc -O2 -o bare-list bench/bare-list.c -lfcgi -lpq -ljson-c
 *	bare-list SOCKET WORKERS CONNINFO PROJECT_ID STATE_ID
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>
#include <libpq-fe.h>

static const char query[] =
    "SELECT id, msgid, name, date, state_id, archived, hash, submitter_id "
    "FROM patch WHERE project_id = $1 AND state_id = $2 "
    "ORDER BY date DESC, id DESC LIMIT 30";

static void
worker(int fd, const char *conninfo, const char *project, const char *state)
{
	const char *params[2] = { project, state };
	FCGX_Request r;
	PGconn *c;
	PGresult *res;
	char head[160];
	const char *s;
	size_t len;
	int i, n;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bare-list: %s", PQerrorMessage(c));
		_exit(1);
	}
	res = PQprepare(c, "list", query, 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bare-list: %s", PQerrorMessage(c));
		_exit(1);
	}
	PQclear(res);
	FCGX_Init();
	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		struct json_object *a = json_object_new_array();

		res = PQexecPrepared(c, "list", 2, params, NULL, NULL, 0);
		for (i = 0; i < PQntuples(res); i++) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "id", json_object_new_int64(
			    strtoll(PQgetvalue(res, i, 0), NULL, 10)));
			json_object_object_add(o, "msgid",
			    json_object_new_string(PQgetvalue(res, i, 1)));
			json_object_object_add(o, "name",
			    json_object_new_string(PQgetvalue(res, i, 2)));
			json_object_object_add(o, "date",
			    json_object_new_string(PQgetvalue(res, i, 3)));
			json_object_object_add(o, "state", json_object_new_int64(
			    strtoll(PQgetvalue(res, i, 4), NULL, 10)));
			json_object_object_add(o, "archived",
			    json_object_new_boolean(*PQgetvalue(res, i, 5) == 't'));
			json_object_object_add(o, "hash",
			    json_object_new_string(PQgetvalue(res, i, 6)));
			json_object_object_add(o, "submitter",
			    json_object_new_int64(
			    strtoll(PQgetvalue(res, i, 7), NULL, 10)));
			json_object_array_add(a, o);
		}
		PQclear(res);
		s = json_object_to_json_string_length(a,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
		n = snprintf(head, sizeof(head), "Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", len);
		FCGX_PutStr(head, n, r.out);
		FCGX_PutStr(s, (int)len, r.out);
		json_object_put(a);
		FCGX_Finish_r(&r);
	}
	_exit(0);
}

int
main(int argc, char *argv[])
{
	int fd, i, n;

	if (argc != 6 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: bare-list socket workers conninfo "
		    "project-id state-id\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(0);	/* the socket is for nginx's workers, whoever they are */
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(argv[1], 1024)) < 0) {
		fprintf(stderr, "bare-list: cannot listen on %s\n", argv[1]);
		return 71;
	}
	for (i = 0; i < n; i++)
		if (fork() == 0)
			worker(fd, argv[3], argv[4], argv[5]);
	while (wait(NULL) > 0)
		;
	return 0;
}
