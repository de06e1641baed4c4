/*
 * pw.fcgi: the web UI and REST API as a pre-forking FastCGI server.
 *
 * Three ways to start:
 *  - with -s PATH, it listens on its own unix socket;
 *  - with a listening socket on fd 0 (spawn-fcgi, systemd socket
 *    activation with StandardInput=socket), it uses that;
 *  - otherwise, with REQUEST_METHOD in the environment, it serves one
 *    request as CGI from the environment and stdin (the tests do this).
 *
 * In the first two cases the parent process never serves a request: it
 * forks http.workers workers that all accept() on the socket, and
 * replaces any that dies (a worker that dies soon after starting is
 * replaced after a growing delay, so a crash loop does not spin).  A
 * worker may retire itself after http.max_requests requests.  SIGTERM or
 * SIGINT stops the workers (each finishes its request), waits for them,
 * and exits; SIGHUP replaces every worker, one by one as they finish.
 * Nothing else manages the pool: spawn-fcgi does not restart a worker
 * that dies, and a lost worker would be lost capacity.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "xalloc.h"
#include "pwfcgi.h"

struct conf conf;

static struct arena arena;
static struct db db;
static struct req req;
static volatile sig_atomic_t worker_stop;
static const char *sock_path;	/* ours to unlink at exit */

extern char **environ;

static void
usage(void)
{
	fprintf(stderr, "usage: pw.fcgi [-nv] [-c file] [-m mode] "
	    "[-s socket] [-u user] [-w workers]\n");
	exit(EX_USAGE);
}

/*
 * The database is needed by the route about to run: connect if the
 * worker has no connection yet, else check the one it has; on a new
 * connection, check that the schema is the one this binary knows.
 * Returns -1 (the caller answers 503) when any of it fails; the db layer
 * has logged why.
 */
int
db_ready(struct req *r)
{
	static PGconn *checked;
	static int checked_pid;
	struct db *d = r->db;

	if (db_ensure(d) == -1)		/* connects, or reconnects */
		return -1;
	if (d->conn != checked || PQbackendPID(d->conn) != checked_pid) {
		if (migrate_check(d) == -1)
			return -1;
		checked = d->conn;
		checked_pid = PQbackendPID(d->conn);
	}
	return 0;
}

static void
worker_setup(void)
{
	arena_init(&arena);
	db_init(&db, conf.database.url);
	db.arena = &arena;
	db.connect_timeout = conf.database.connect_timeout;
	db.statement_timeout = conf.database.statement_timeout;
	db.lock_timeout = conf.database.lock_timeout;
	req_setup(&req, &arena, &db, &conf);
	html_output(&req.out);
}

static void
worker_teardown(void)
{
	db_release(&db);
	buf_release(&req.hdr);
	buf_release(&req.out);
	buf_release(&req.wire);
	arena_release(&arena);
}

static void
serve(void *fcgx, char **envp)
{
	req_begin(&req, fcgx, envp);
	route_dispatch(&req);
	req_finish(&req);
}

/* One request as CGI: environment in, stdin for the body, stdout out. */
static int
serve_cgi(void)
{
	worker_setup();
	serve(NULL, environ);
	req_cleanup(&req);
	worker_teardown();
	conf_release(&conf);
	return EX_OK;
}

static void
on_worker_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static void
sig_set(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

/*
 * A worker.  SIGTERM, SIGINT and SIGHUP (stop; the supervisor replaces
 * a worker after SIGHUP) stay blocked except while the worker waits for
 * a connection in epoll_pwait(): an idle worker leaves at once, a busy
 * one after its request, and no signal ever interrupts a request (a
 * select() inside libfcgi's accept would drop the connection on EINTR).
 *
 * The listening socket is non-blocking.  A worker first tries to accept;
 * only when no connection is waiting does it sleep in epoll_pwait(),
 * registered with EPOLLEXCLUSIVE so that one connection wakes one idle
 * worker.  Under load a worker goes from connection to connection with
 * the same system calls as a bare libfcgi loop, and looks for a pending
 * stop signal every STOP_CHECK requests.
 */
#define STOP_CHECK	16

static int
stop_pending(void)
{
	sigset_t p;

	if (sigpending(&p) == -1)
		return 0;
	return sigismember(&p, SIGTERM) || sigismember(&p, SIGINT) ||
	    sigismember(&p, SIGHUP);
}

static void __attribute__((noreturn))
worker_main(int fd, const sigset_t *mask, pid_t parent)
{
	struct epoll_event ev;
	FCGX_Request fr;
	sigset_t blocked, waiting;
	unsigned long served = 0;
	int ep, rc;

	sig_set(SIGTERM, on_worker_signal);
	sig_set(SIGINT, on_worker_signal);
	sig_set(SIGHUP, on_worker_signal);
	sig_set(SIGPIPE, SIG_IGN);
	sig_set(SIGCHLD, SIG_DFL);
	waiting = *mask;
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGHUP);
	blocked = waiting;
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGHUP);
	sigprocmask(SIG_SETMASK, &blocked, NULL);
	/* Do not outlive the supervisor. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(EX_OK);
	prctl(PR_SET_NAME, "pw.fcgi worker");

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warn("worker: epoll_create1");
		_exit(EX_OSERR);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("worker: epoll_ctl");
		_exit(EX_OSERR);
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, fd, 0) != 0) {
		log_warnx("worker: FastCGI library initialisation failed");
		_exit(EX_SOFTWARE);
	}
	worker_setup();
	while (!worker_stop) {
		rc = FCGX_Accept_r(&fr);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR) {
			/* Nothing waiting (or another worker took it). */
			if (epoll_pwait(ep, &ev, 1, -1, &waiting) == -1 &&
			    errno != EINTR) {
				log_warn("worker: epoll_pwait");
				_exit(EX_OSERR);
			}
			continue;
		}
		if (rc < 0) {
			log_warnx("worker: accept: %s", rc > -1000 ?
			    strerror(-rc) : "FastCGI protocol error");
			_exit(EX_OSERR);
		}
		serve(&fr, fr.envp);
		FCGX_Finish_r(&fr);
		req_cleanup(&req);
		served++;
		if (served % STOP_CHECK == 0 && stop_pending())
			break;
		if (conf.http.max_requests > 0 &&
		    served >= (unsigned long)conf.http.max_requests) {
			log_debug("worker: retiring after %lu requests", served);
			break;
		}
	}
	FCGX_Free(&fr, 0);
	close(ep);
	worker_teardown();
	_exit(EX_OK);
}

/* The pool --------------------------------------------------------- */

struct slot {
	pid_t		pid;
	time_t		started;	/* CLOCK_MONOTONIC seconds */
	long		delay_ms;	/* back-off after quick deaths */
	struct timespec	next;		/* not before this */
};

static struct timespec
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

static long
ms_until(struct timespec t)
{
	struct timespec n = now_mono();

	return (t.tv_sec - n.tv_sec) * 1000 + (t.tv_nsec - n.tv_nsec) / 1000000;
}

static void
spawn(struct slot *s, int fd, const sigset_t *mask)
{
	pid_t parent = getpid(), pid;

	pid = fork();
	if (pid == -1) {
		log_warn("pool: fork");
		s->delay_ms = 1000;
		s->next = now_mono();
		s->next.tv_sec += 1;
		return;
	}
	if (pid == 0)
		worker_main(fd, mask, parent);
	s->pid = pid;
	s->started = now_mono().tv_sec;
	log_debug("pool: worker %ld started", (long)pid);
}

/* A worker is gone: log it, and decide when to replace it. */
static void
reaped(struct slot *s, int status)
{
	int quick = now_mono().tv_sec - s->started < 5;
	int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	if (WIFSIGNALED(status))
		log_warnx("pool: worker %ld killed by signal %d",
		    (long)s->pid, WTERMSIG(status));
	else if (!clean)
		log_warnx("pool: worker %ld exited with status %d",
		    (long)s->pid, WEXITSTATUS(status));
	s->pid = 0;
	s->next = now_mono();
	if (clean || !quick) {
		s->delay_ms = 0;
		return;
	}
	s->delay_ms = s->delay_ms == 0 ? 100 : s->delay_ms * 2;
	if (s->delay_ms > 10000)
		s->delay_ms = 10000;
	s->next.tv_sec += s->delay_ms / 1000;
	s->next.tv_nsec += (s->delay_ms % 1000) * 1000000;
	if (s->next.tv_nsec >= 1000000000) {
		s->next.tv_sec++;
		s->next.tv_nsec -= 1000000000;
	}
	log_warnx("pool: replacing it in %ld ms", s->delay_ms);
}

static int
reap(struct slot *slots, int n)
{
	pid_t pid;
	int st, i, count = 0;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (i = 0; i < n; i++)
			if (slots[i].pid == pid) {
				reaped(&slots[i], st);
				count++;
			}
	return count;
}

static int
alive(const struct slot *slots, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		k += slots[i].pid != 0;
	return k;
}

static void
signal_all(const struct slot *slots, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (slots[i].pid != 0)
			kill(slots[i].pid, sig);
}

/* Stop every worker: SIGTERM, up to 10 s to finish, then SIGKILL. */
static void
pool_stop(struct slot *slots, int n, sigset_t *set)
{
	struct timespec deadline = now_mono(), ts;
	siginfo_t si;
	long ms;

	deadline.tv_sec += 10;
	signal_all(slots, n, SIGTERM);
	for (;;) {
		reap(slots, n);
		if (alive(slots, n) == 0)
			return;
		if ((ms = ms_until(deadline)) <= 0)
			break;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		/* SIGCHLD, or a repeated stop request: both mean look again. */
		(void)sigtimedwait(set, &si, &ts);
	}
	log_warnx("pool: killing %d worker(s) that did not stop",
	    alive(slots, n));
	signal_all(slots, n, SIGKILL);
	while (alive(slots, n) > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		int i;

		if (pid == -1)
			break;
		for (i = 0; i < n; i++)
			if (slots[i].pid == pid)
				slots[i].pid = 0;
	}
}

static int
pool_run(int fd, int nworkers)
{
	struct slot *slots;
	sigset_t set, old;
	siginfo_t si;
	struct timespec ts;
	long wait_ms;
	int i, sig;

	slots = xcalloc((size_t)nworkers, sizeof(*slots));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	/*
	 * A signal ignored on entry (a shell's background job ignores
	 * SIGINT) is discarded even while blocked: reset the dispositions,
	 * then take the signals synchronously with sigtimedwait().
	 */
	sig_set(SIGCHLD, SIG_DFL);
	sig_set(SIGTERM, SIG_DFL);
	sig_set(SIGINT, SIG_DFL);
	sig_set(SIGHUP, SIG_DFL);
	sig_set(SIGPIPE, SIG_IGN);
	/* Workers wait in epoll and must never block in accept(). */
	if ((i = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, i | O_NONBLOCK) == -1)
		fatal("listening socket: O_NONBLOCK");
	log_info("pool: starting %d worker(s)", nworkers);

	for (;;) {
		wait_ms = -1;
		for (i = 0; i < nworkers; i++) {
			long ms;

			if (slots[i].pid != 0)
				continue;
			if ((ms = ms_until(slots[i].next)) <= 0)
				spawn(&slots[i], fd, &old);
			if (slots[i].pid == 0 && (wait_ms < 0 ||
			    ms_until(slots[i].next) < wait_ms))
				wait_ms = ms_until(slots[i].next);
		}
		if (wait_ms >= 0) {
			if (wait_ms == 0)
				wait_ms = 1;
			ts.tv_sec = wait_ms / 1000;
			ts.tv_nsec = (wait_ms % 1000) * 1000000;
			sig = sigtimedwait(&set, &si, &ts);
		} else
			sig = sigwaitinfo(&set, &si);
		switch (sig) {
		case SIGCHLD:
			reap(slots, nworkers);
			break;
		case SIGHUP:
			log_info("pool: SIGHUP, replacing the workers");
			signal_all(slots, nworkers, SIGTERM);
			break;
		case SIGTERM:
		case SIGINT:
			log_info("pool: %s, stopping",
			    sig == SIGTERM ? "SIGTERM" : "SIGINT");
			pool_stop(slots, nworkers, &set);
			free(slots);
			return EX_OK;
		default:	/* timeout or EINTR: spawn what is due */
			break;
		}
	}
}

/* Is fd a listening stream socket (spawn-fcgi, systemd)? */
static int
is_listener(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1)
		return 0;
	return v != 0;
}

/*
 * Listen on a unix socket at path.  A stale socket file is replaced; a
 * live one (another pool answers) is an error.
 */
static int
open_socket(const char *path, mode_t mode, const struct passwd *pw)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatalx("socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatalx("%s exists and is not a socket", path);
		probe = socket(AF_UNIX, SOCK_STREAM, 0);
		if (probe != -1 && connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0)
			fatalx("%s: another server is listening there", path);
		if (probe != -1)
			close(probe);
		if (unlink(path) == -1)
			fatal("unlink %s", path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		fatal("socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", path);
	sock_path = path;
	if (pw != NULL && chown(path, pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown %s", path);
	if (chmod(path, mode) == -1)
		fatal("chmod %s", path);
	if (listen(fd, SOMAXCONN) == -1)
		fatal("listen %s", path);
	return fd;
}

static void
drop_privileges(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) == -1)
		fatal("initgroups %s", pw->pw_name);
	if (setgid(pw->pw_gid) == -1)
		fatal("setgid %ld", (long)pw->pw_gid);
	if (setuid(pw->pw_uid) == -1)
		fatal("setuid %ld", (long)pw->pw_uid);
	if (pw->pw_uid != 0 && setuid(0) != -1)
		fatalx("could not drop root privileges");
}

static int
parse_int(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	return *s != '\0' && *end == '\0' && errno == 0 && *v >= lo &&
	    *v <= hi ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	const char *cfile = NULL, *spath = NULL, *user = NULL;
	struct passwd *pw = NULL;
	long workers = 0, mode = 0660, v;
	int ch, check = 0, verbose = 0, fd, rc;

	while ((ch = getopt(argc, argv, "c:m:ns:u:vw:")) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'm':
			if (parse_int(optarg, 0, 0777, &mode) == -1)
				usage();
			break;
		case 'n':
			check = 1;
			break;
		case 's':
			spath = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'w':
			if (parse_int(optarg, 1, 1024, &v) == -1)
				usage();
			workers = v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init("pw.fcgi", 0, verbose);
	if (conf_load(&conf, cfile) == -1)
		return EX_CONFIG;
	if (check) {
		printf("configuration OK\n");
		conf_release(&conf);
		return EX_OK;
	}
	if (conf.log.verbose > verbose)
		verbose = conf.log.verbose;
	log_init("pw.fcgi", conf.log.syslog, verbose);
	if (route_init() == -1 || api_index_init(conf.http.base_url) == -1)
		return EX_SOFTWARE;
	if (workers == 0)
		workers = conf.http.workers > 0 ? conf.http.workers : 1;
	if (user != NULL) {
		if (getuid() != 0) {
			log_warnx("-u needs root");
			return EX_NOPERM;
		}
		if ((pw = getpwnam(user)) == NULL) {
			log_warnx("unknown user %s", user);
			return EX_NOUSER;
		}
	}
	log_fatal_status = EX_OSERR;	/* socket and privileges */

	if (spath != NULL)
		fd = open_socket(spath, (mode_t)mode, pw);
	else if (is_listener(0))
		fd = 0;
	else if (getenv("REQUEST_METHOD") != NULL) {
		if (pw != NULL)
			drop_privileges(pw);
		log_fatal_status = EX_SOFTWARE;
		return serve_cgi();
	} else {
		fprintf(stderr, "pw.fcgi: not started by a FastCGI manager "
		    "(fd 0 is no listening socket); use -s socket\n");
		usage();
	}
	if (pw != NULL)
		drop_privileges(pw);
	log_fatal_status = EX_SOFTWARE;
	rc = pool_run(fd, (int)workers);
	if (sock_path != NULL)
		unlink(sock_path);
	conf_release(&conf);
	return rc;
}
