/*
 * floor-connect: the floor of `pw ingress` in pipe mode.  A program that
 * does nothing but what every delivery must: start (dynamic linking of the
 * same libraries as pw-ingress; bench/ingest.sh links it with them and
 * --no-as-needed), read the mail on stdin, connect to PostgreSQL with the
 * same connection string, and exit.  Its wall time per run is what the
 * pipe helper is measured against.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libpq-fe.h>

int
main(void)
{
	const char *url = getenv("PW_DATABASE_URL");
	char buf[65536];
	PGconn *conn;

	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	conn = PQconnectdb(url != NULL ? url : "");
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "floor-connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 75;
	}
	PQfinish(conn);
	return 0;
}
