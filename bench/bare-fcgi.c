/*
 * bare-fcgi: the reference point of bench/floor.sh, the least a libfcgi
 * pool can do: N forked workers accept on one unix socket and answer
 * every request with the same fixed JSON body (the size of the /api/
 * index).  No parsing, no routing, no configuration.  Built by the
 * benchmark script only:
 *
 *	cc -O2 -o bare-fcgi bench/bare-fcgi.c -lfcgi
 *	bare-fcgi SOCKET WORKERS
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

static const char body[] =
    "{\"projects\":\"http://127.0.0.1:8080/api/projects/\","
    "\"users\":\"http://127.0.0.1:8080/api/users/\","
    "\"people\":\"http://127.0.0.1:8080/api/people/\","
    "\"patches\":\"http://127.0.0.1:8080/api/patches/\","
    "\"covers\":\"http://127.0.0.1:8080/api/covers/\","
    "\"series\":\"http://127.0.0.1:8080/api/series/\","
    "\"events\":\"http://127.0.0.1:8080/api/events/\","
    "\"bundles\":\"http://127.0.0.1:8080/api/bundles/\"}";

static void
worker(int fd)
{
	FCGX_Request r;
	char head[128];
	int n;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	FCGX_Init();
	FCGX_InitRequest(&r, fd, 0);
	n = snprintf(head, sizeof(head), "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    sizeof(body) - 1);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(head, n, r.out);
		FCGX_PutStr(body, (int)sizeof(body) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	_exit(0);
}

int
main(int argc, char *argv[])
{
	int fd, i, n;

	if (argc != 3 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: bare-fcgi socket workers\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(0);	/* the socket is for nginx's workers, whoever they are */
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(argv[1], 1024)) < 0) {
		fprintf(stderr, "bare-fcgi: cannot listen on %s\n", argv[1]);
		return 71;
	}
	for (i = 0; i < n; i++)
		if (fork() == 0)
			worker(fd);
	while (wait(NULL) > 0)
		;
	return 0;
}
