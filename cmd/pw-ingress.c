/*
 * pw ingress: mail into Patchwork.
 *
 *   pw ingress [options]            one mail on stdin (postfix pipe(8))
 *   pw ingress --lmtp [options]     LMTP on stdin/stdout (RFC 2033)
 *   pw ingress --lmtp --listen PATH the resident service: LMTP on a unix
 *                                   socket, a few workers that keep their
 *                                   database connection across sessions
 *   pw ingress --mbox [file ...]    archive import (mbox or Maildir)
 *
 * The pipe and LMTP modes face an MTA, which bounces a mail back to its
 * author on any exit status but 0 and 75 (EX_TEMPFAIL) or on any 5xx
 * reply (vdukhovni/postfix:postfix/src/global/sys_exits.c).  So in pipe
 * mode every path ends in 0 or 75, fatal() included (log_fatal_status);
 * a bad command line or configuration is 75 too: the fix is the admin's,
 * and the mail waits in the queue meanwhile.  The mail is read whole
 * (up to ingress.max_message_size) before the database is touched, and
 * the answer is given only after the COMMIT, which is durable
 * (synchronous_commit on).
 *
 * stderr carries at most one short line per mail (Postfix quotes it in
 * its notices): the program's own warnings are quiet unless -v is given
 * or syslog is configured.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>

#include "buf.h"
#include "cmd.h"
#include "ingest.h"
#include "log.h"
#include "mbox.h"
#include "migrate.h"
#include "xalloc.h"

CMD_DESCRIPTION("receive mail: postfix pipe, LMTP, or mbox/Maildir import");

enum mode {
	MODE_PIPE,
	MODE_LMTP,
	MODE_MBOX,
};

struct opts {
	enum mode	 mode;
	const char	*list_id;
	const char	*sender;
	const char	*recipient;
	int		 ignore_auto;
	int		 quiet;
	const char	*listen;	/* --listen PATH: the resident service */
	int		 workers;	/* --workers N */
	mode_t		 sock_mode;	/* --socket-mode */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: pw ingress [-v] [-c file] [--list-id id] [-f sender] "
	    "[-r recipient]\n"
	    "       pw ingress [-v] [-c file] [--list-id id] --lmtp\n"
	    "       pw ingress [-v] [-c file] [--list-id id] --lmtp "
	    "--listen path\n"
	    "                  [--workers n] [--socket-mode mode]\n"
	    "       pw ingress [-qv] [-c file] [--list-id id] --mbox "
	    "[file | maildir ...]\n");
}

/* ---- shared set-up ------------------------------------------------------ */

/* Configuration and logging; -1 after printing what is wrong. */
/* Is fd 2 the same open file as fd 0 or fd 1 (an inetd-style socket)? */
static int
stderr_is_session(void)
{
	struct stat e, o;
	int fd;

	if (fstat(2, &e) == -1 || !S_ISSOCK(e.st_mode))
		return 0;
	for (fd = 0; fd <= 1; fd++)
		if (fstat(fd, &o) == 0 && o.st_dev == e.st_dev &&
		    o.st_ino == e.st_ino)
			return 1;
	return 0;
}

static int
setup(struct cmd *c, enum mode mode, int resident)
{
	int verbose;

	if (conf_load(&c->conf, c->config) == -1)
		return -1;
	c->have_conf = 1;
	verbose = c->conf.log.verbose + c->verbose;
	/*
	 * Facing an MTA, stderr is for the one line Postfix may quote:
	 * below -v, only errors reach it (syslog gets what it is set to).
	 */
	if (mode != MODE_MBOX && !resident && !c->conf.log.syslog &&
	    c->verbose == 0)
		verbose = -1;
	/*
	 * Under spawn(8) or inetd the LMTP client's socket is stdin, stdout
	 * and stderr at once: a line on stderr would land in the session
	 * before our reply and make Postfix distrust the whole dialogue.
	 * Then stderr goes to /dev/null and the log to syslog.
	 */
	if (mode == MODE_LMTP && !resident && stderr_is_session()) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd != -1) {
			dup2(fd, 2);
			if (fd != 2)
				close(fd);
		}
		log_init(c->name, 1, c->conf.log.verbose + c->verbose);
		return 0;
	}
	log_init(c->name, c->conf.log.syslog, verbose);
	return 0;
}

static void
db_prepare(struct cmd *c)
{
	db_init(&c->db, c->conf.database.url);
	c->have_db = 1;
	c->db.connect_timeout = c->conf.database.connect_timeout;
	c->db.statement_timeout = c->conf.database.statement_timeout;
	c->db.lock_timeout = c->conf.database.lock_timeout;
}

/* The site's path below the host, for Depends-on URLs: "" or "/pw". */
static char *
base_path(const char *url)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		return xstrdup("");
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	return xstrndup(p, n);
}

static void
ingest_setup(struct ingest *ing, struct cmd *c, const struct opts *o,
    char **bp)
{
	struct ingest_opts io;

	memset(&io, 0, sizeof(io));
	if (o->list_id != NULL)
		io.list_id = o->list_id;
	else if (c->conf.ingress.list_id[0] != '\0')
		io.list_id = c->conf.ingress.list_id;
	*bp = base_path(c->conf.http.base_url);
	io.base_path = *bp;
	io.ignore_auto_submitted = o->ignore_auto ||
	    c->conf.ingress.ignore_auto_submitted;
	io.durable = o->mode != MODE_MBOX;
	io.session_preset = c->db.options != NULL;
	io.batch_size = o->mode == MODE_MBOX ? c->conf.ingress.batch_size : 1;
	ingest_init(ing, &c->db, &io);
}

/* The one line for the MTA: what happened, when it is worth saying. */
static void
report_line(const struct ingest_result *r)
{
	switch (r->status) {
	case INGEST_TEMPFAIL:
		fprintf(stderr, "pw-ingress: temporary failure, try again "
		    "later: %s\n", r->reason);
		break;
	case INGEST_MALFORMED:
	case INGEST_FAILED:
		fprintf(stderr, "pw-ingress: %s, kept in the mail journal "
		    "(entry %lld): %s\n", ingest_status_names[r->status],
		    (long long)r->mail_id, r->reason);
		break;
	default:
		log_info("%s%s%s (journal entry %lld)%s%s",
		    ingest_status_names[r->status], r->kind ? " " : "",
		    ingest_kind_names[r->kind], (long long)r->mail_id,
		    r->reason[0] ? ": " : "", r->reason);
		break;
	}
}

/* ---- pipe mode ---------------------------------------------------------- */

/*
 * Read fd up to max + 1 bytes into b: *more is set when there is more
 * than max (the mail is too big and must be digested whole).  0, or -1
 * on a read error.
 */
static int
read_head(int fd, size_t max, struct buf *b, int *more)
{
	char tmp[65536];
	size_t want;
	ssize_t n;

	*more = 0;
	for (;;) {
		want = max + 1 - b->len;
		if (want > sizeof(tmp))
			want = sizeof(tmp);
		n = read(fd, tmp, want);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		buf_add(b, tmp, (size_t)n);
		if (b->len > max) {
			*more = 1;
			return 0;
		}
	}
}

/*
 * Finish what read_head began: digest b and the rest of fd, count all in
 * *size, keep at most max bytes in b.  GLib's SHA-256, not OpenSSL's: in
 * a process that handles one mail, initialising OpenSSL (its
 * configuration file, its providers, their teardown at exit) costs more
 * than hashing the mail, and nothing else here needs it.
 */
static int
read_rest(int fd, int more, size_t max, struct buf *b, size_t *size,
    unsigned char sum[32])
{
	GChecksum *md;
	char tmp[65536];
	gsize dl = 32;
	ssize_t n = 0;

	md = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(md, (const guchar *)b->s, (gssize)b->len);
	*size = b->len;
	while (more) {
		n = read(fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g_checksum_update(md, (const guchar *)tmp, (gssize)n);
		*size += (size_t)n;
	}
	if (b->len > max)
		buf_setlen(b, max);
	g_checksum_get_digest(md, sum, &dl);
	g_checksum_free(md);
	return n == -1 ? -1 : 0;
}

/*
 * Forwarding to the resident service (ingress.socket): the mail goes over
 * LMTP to a worker whose database connection is already warm.  Until the
 * service has answered DATA with 354 nothing is handed over, and any
 * trouble (no socket, refused, silent, an unexpected reply) lets the
 * caller deliver directly instead.  After it, the mail is the service's:
 * its 250 is ours (exit 0); anything else, including a broken or silent
 * connection, is 75, and Postfix tries again (ingest recognises a mail
 * it already has by its Message-ID).  The service answers a mail with
 * 250 or 451 only (a mail it cannot parse is journaled and gets 250, as
 * the direct path exits 0 for it); a 5xx would be a protocol error, so
 * it defers the mail too, never loses it.
 *
 * Only a socket, reads and writes here: no GMime, no OpenSSL, no libpq.
 */
#define FWD_TIMEOUT	10	/* seconds, up to the 354 */
#define FWD_DATA_TIMEOUT 600	/* for the mail and its 250 */
#define FWD_NONE	(-1)	/* not handed over: deliver directly */

struct fwd {
	int	 fd;
	char	 in[4096];
	size_t	 len;
	char	 last[512];	/* the last reply line, for the log */
};

/* The next reply (continuation lines skipped): its code, or -1. */
static int
fwd_reply(struct fwd *f)
{
	char *nl;
	ssize_t n;
	size_t ll;

	for (;;) {
		while ((nl = memchr(f->in, '\n', f->len)) == NULL) {
			if (f->len == sizeof(f->in))
				return -1;
			n = read(f->fd, f->in + f->len, sizeof(f->in) - f->len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			f->len += (size_t)n;
		}
		ll = (size_t)(nl - f->in);
		if (ll > 0 && f->in[ll - 1] == '\r')
			ll--;
		snprintf(f->last, sizeof(f->last), "%.*s", (int)ll, f->in);
		f->len -= (size_t)(nl + 1 - f->in);
		memmove(f->in, nl + 1, f->len);
		if (ll < 3 || f->last[0] < '2' || f->last[0] > '5')
			return -1;
		if (ll == 3 || f->last[3] == ' ')
			return atoi(f->last);
		if (f->last[3] != '-')
			return -1;
	}
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* An address fit for MAIL FROM:<...> / RCPT TO:<...>. */
static int
addr_ok(const char *a)
{
	return strlen(a) < 900 && strpbrk(a, "<>\r\n") == NULL;
}

static void
fwd_timeout(int fd, int secs)
{
	struct timeval tv = { secs, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* 0 stored, EX_TEMPFAIL deferred, FWD_NONE not handed over. */
static int
forward(const char *path, const struct opts *o, const struct buf *mail)
{
	struct sockaddr_un sa;
	struct fwd f;
	struct buf out = BUF_INIT;
	const char *from = o->sender, *to = o->recipient, *p, *e, *end;
	int rc = FWD_NONE, code;

	if (from == NULL)
		from = getenv("SENDER");
	if (from == NULL)
		from = "";
	if (to == NULL)
		to = "pw-ingress@localhost";
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path) || !addr_ok(from) ||
	    !addr_ok(to))
		return FWD_NONE;
	strcpy(sa.sun_path, path);
	memset(&f, 0, sizeof(f));
	if ((f.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return FWD_NONE;
	signal(SIGPIPE, SIG_IGN);
	fwd_timeout(f.fd, FWD_TIMEOUT);
	if (connect(f.fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		log_debug("%s: %s; delivering directly", path,
		    strerror(errno));
		goto done;
	}
	/* the service pipelines: MAIL, RCPT and DATA go together */
	buf_addf(&out, "LHLO localhost\r\nMAIL FROM:<%s>\r\n"
	    "RCPT TO:<%s>\r\nDATA\r\n", from, to);
	if (fwd_reply(&f) != 220 ||
	    write_all(f.fd, out.s, out.len) == -1 ||
	    fwd_reply(&f) != 250 || fwd_reply(&f) != 250 ||
	    fwd_reply(&f) != 250 || (code = fwd_reply(&f)) != 354) {
		log_warnx("%s: no LMTP service (%s); delivering directly",
		    path, f.last[0] ? f.last : strerror(errno));
		goto done;
	}
	/* from here on the mail may be the service's: 0 or 75 */
	rc = EX_TEMPFAIL;
	fwd_timeout(f.fd, FWD_DATA_TIMEOUT);
	buf_reset(&out);
	for (p = mail->s, end = mail->s + mail->len; p < end; p = e) {
		e = memchr(p, '\n', (size_t)(end - p));
		e = e ? e + 1 : end;
		if (*p == '.')
			buf_addc(&out, '.');
		buf_add(&out, p, (size_t)(e - p - (e[-1] == '\n')));
		buf_adds(&out, "\r\n");
	}
	buf_adds(&out, ".\r\nQUIT\r\n");
	if (write_all(f.fd, out.s, out.len) == -1) {
		fprintf(stderr, "pw-ingress: resident service: %s; mail "
		    "deferred\n", strerror(errno));
		goto done;
	}
	code = fwd_reply(&f);
	if (code == 250) {
		rc = 0;
		log_info("via %s: %s", path, f.last);
	} else
		fprintf(stderr, "pw-ingress: resident service: %s; mail "
		    "deferred\n", code == -1 ? "no reply" : f.last);
done:
	buf_release(&out);
	close(f.fd);
	return rc;
}

static int
pipe_mode(struct cmd *c, const struct opts *o)
{
	struct ingest ing;
	struct ingest_result res;
	struct ingest_mail m;
	struct buf mail = BUF_INIT;
	unsigned char sum[32];
	size_t size, max = c->conf.ingress.max_message_size;
	char *bp = NULL;
	int rc, more;

	if (read_head(STDIN_FILENO, max, &mail, &more) == -1)
		goto readerr;
	/* a mail too big for the service goes the direct way */
	if (c->conf.ingress.socket[0] != '\0' && !more &&
	    (rc = forward(c->conf.ingress.socket, o, &mail)) != FWD_NONE) {
		buf_release(&mail);
		return rc;
	}
	if (read_rest(STDIN_FILENO, more, max, &mail, &size, sum) == -1)
		goto readerr;
	db_prepare(c);
	/* one mail: every statement runs once, the settings ride along */
	c->db.unnamed = 1;
	c->db.options = ingest_session_options(1);
	if (db_connect(&c->db) == -1 || migrate_check(&c->db) == -1) {
		if (c->db.err == DB_UNAVAILABLE)
			fprintf(stderr, "pw-ingress: database unavailable, "
			    "try again later: %s\n", c->db.errmsg ?
			    c->db.errmsg : "unknown error");
		else
			fprintf(stderr, "pw-ingress: database schema does not "
			    "match this pw-ingress (see `pw db check`); mail "
			    "deferred\n");
		buf_release(&mail);
		return EX_TEMPFAIL;
	}
	memset(&m, 0, sizeof(m));
	m.bytes = mail.s;
	m.len = mail.len;
	m.size = size;
	m.sha256 = sum;
	m.envelope_from = o->sender;
	m.envelope_to = o->recipient;
	ingest_setup(&ing, c, o, &bp);
	rc = ingest_one(&ing, &m, &res);
	report_line(&res);
	ingest_release(&ing);
	free(bp);
	buf_release(&mail);
	return rc == 0 ? 0 : EX_TEMPFAIL;
readerr:
	fprintf(stderr, "pw-ingress: reading the mail: %s\n",
	    strerror(errno));
	buf_release(&mail);
	return EX_TEMPFAIL;
}

/* ---- LMTP --------------------------------------------------------------- */

#define LMTP_LINE_MAX	4096	/* command lines; RFC 5321 says 512 */
#define LMTP_RCPT_MAX	1000
#define LMTP_IDLE	300	/* seconds a resident worker waits for a line */

/* Set by SIGTERM in a resident worker: finish the mail, then go. */
static volatile sig_atomic_t stopping;

struct lmtp {
	struct cmd	*c;
	const struct opts *o;
	struct ingest	 ing;
	FILE		*in;		/* the session: commands and data */
	FILE		*out;		/* replies */
	char		 host[256];
	int		 lhlo;
	int		 schema_ok;
	char		*from;
	char		**rcpt;
	size_t		 nrcpt;
	char		*line;
	size_t		 linecap;
};

static void
reply(struct lmtp *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply(struct lmtp *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(l->out, fmt, ap);
	va_end(ap);
	fputs("\r\n", l->out);
}

static void
lmtp_reset(struct lmtp *l)
{
	size_t i;

	free(l->from);
	l->from = NULL;
	for (i = 0; i < l->nrcpt; i++)
		free(l->rcpt[i]);
	free(l->rcpt);
	l->rcpt = NULL;
	l->nrcpt = 0;
}

/* A command line without its CRLF; -1 at end of input. */
static ssize_t
lmtp_getline(struct lmtp *l)
{
	ssize_t n = getline(&l->line, &l->linecap, l->in);

	if (n <= 0)
		return -1;
	while (n > 0 && (l->line[n - 1] == '\n' || l->line[n - 1] == '\r'))
		l->line[--n] = '\0';
	return n;
}

/* The address inside "FROM:<...>" / "TO:<...>" (or bare), malloc'ed. */
static char *
lmtp_addr(const char *arg)
{
	const char *a, *e;

	while (*arg == ' ')
		arg++;
	if (*arg == '<') {
		a = arg + 1;
		if ((e = strchr(a, '>')) == NULL)
			return NULL;
	} else {
		a = arg;
		e = a + strcspn(a, " ");
	}
	return xstrndup(a, (size_t)(e - a));
}

/*
 * DATA: read up to the lone ".", undoing dot-stuffing and turning CRLF
 * into LF; keep at most max bytes, digest all.  -1 when the input ended
 * first.
 */
static int
lmtp_data(struct lmtp *l, struct buf *b, size_t max, size_t *size,
    unsigned char sum[32])
{
	EVP_MD_CTX *md;
	unsigned int dl = 32;
	ssize_t n;
	char *s;
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	*size = 0;
	while ((n = getline(&l->line, &l->linecap, l->in)) > 0) {
		s = l->line;
		if (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n') {
			s[n - 2] = '\n';
			s[--n] = '\0';
		}
		if ((n == 2 && s[0] == '.' && s[1] == '\n') ||
		    (n == 1 && s[0] == '.')) {
			rc = 0;
			break;
		}
		if (s[0] == '.') {
			s++;
			n--;
		}
		EVP_DigestUpdate(md, s, (size_t)n);
		*size += (size_t)n;
		if (b->len < max)
			buf_add(b, s, (size_t)n < max - b->len ? (size_t)n :
			    max - b->len);
	}
	EVP_DigestFinal_ex(md, sum, &dl);
	EVP_MD_CTX_free(md);
	return rc;
}

/* One mail; -1 when the client went away before its end (nothing taken). */
static int
lmtp_deliver(struct lmtp *l)
{
	struct ingest_result res;
	struct ingest_mail m;
	struct buf mail = BUF_INIT, to = BUF_INIT;
	unsigned char sum[32];
	size_t size, i;
	int rc = -1;

	reply(l, "354 2.0.0 End data with <CR><LF>.<CR><LF>");
	fflush(l->out);
	if (lmtp_data(l, &mail, l->c->conf.ingress.max_message_size, &size,
	    sum) == -1) {
		buf_release(&mail);
		lmtp_reset(l);
		return -1;
	}
	for (i = 0; i < l->nrcpt; i++) {
		if (i > 0)
			buf_adds(&to, ", ");
		buf_adds(&to, l->rcpt[i]);
	}
	memset(&m, 0, sizeof(m));
	m.bytes = mail.s;
	m.len = mail.len;
	m.size = size;
	m.sha256 = sum;
	m.envelope_from = l->from[0] ? l->from : NULL;
	m.envelope_to = to.s;
	memset(&res, 0, sizeof(res));
	/* connect lazily; check the schema once per connection */
	if (db_ensure(&l->c->db) == 0 &&
	    (l->schema_ok || migrate_check(&l->c->db) == 0)) {
		l->schema_ok = 1;
		rc = ingest_one(&l->ing, &m, &res);
	} else {
		res.status = INGEST_TEMPFAIL;
		snprintf(res.reason, sizeof(res.reason), "database "
		    "unavailable");
		l->schema_ok = 0;
	}
	if (l->c->db.conn == NULL)
		l->schema_ok = 0;
	report_line(&res);
	/* one reply per recipient, all the same: the mail was handled once */
	for (i = 0; i < l->nrcpt; i++) {
		if (rc == 0)
			reply(l, "250 2.0.0 <%s> %s (journal entry %lld)",
			    l->rcpt[i], ingest_status_names[res.status],
			    (long long)res.mail_id);
		else
			reply(l, "451 4.3.0 <%s> temporary failure, try again "
			    "later", l->rcpt[i]);
	}
	buf_release(&mail);
	buf_release(&to);
	lmtp_reset(l);
	return 0;
}

/*
 * One LMTP session on l->in and l->out, to QUIT or the end of input.
 * What lasts beyond it (the database connection, the ingest caches and
 * their CACHE_TTL, the schema check) is the caller's.
 */
static void
lmtp_session(struct lmtp *l)
{
	struct cmd *c = l->c;
	char *arg;
	ssize_t n;

	l->lhlo = 0;
	reply(l, "220 %s LMTP pw ingress ready", l->host);
	fflush(l->out);
	while (!stopping && (n = lmtp_getline(l)) != -1) {
		arg = l->line;
		if (n > LMTP_LINE_MAX)
			reply(l, "500 5.5.2 Line too long");
		else if (strncasecmp(arg, "LHLO", 4) == 0 &&
		    (arg[4] == ' ' || arg[4] == '\0')) {
			lmtp_reset(l);
			l->lhlo = 1;
			reply(l, "250-%s", l->host);
			reply(l, "250-PIPELINING");
			reply(l, "250-ENHANCEDSTATUSCODES");
			reply(l, "250-SIZE %zu",
			    c->conf.ingress.max_message_size);
			reply(l, "250 8BITMIME");
		} else if (strncasecmp(arg, "MAIL FROM:", 10) == 0) {
			if (!l->lhlo)
				reply(l, "503 5.5.1 Send LHLO first");
			else if (l->from != NULL)
				reply(l, "503 5.5.1 Nested MAIL command");
			else if ((l->from = lmtp_addr(arg + 10)) == NULL)
				reply(l, "501 5.5.4 Syntax: MAIL "
				    "FROM:<address>");
			else
				reply(l, "250 2.1.0 Ok");
		} else if (strncasecmp(arg, "RCPT TO:", 8) == 0) {
			char *a;

			if (l->from == NULL)
				reply(l, "503 5.5.1 Need MAIL command");
			else if (l->nrcpt >= LMTP_RCPT_MAX)
				reply(l, "452 4.5.3 Too many recipients");
			else if ((a = lmtp_addr(arg + 8)) == NULL)
				reply(l, "501 5.5.4 Syntax: RCPT TO:<address>");
			else {
				l->rcpt = xreallocarray(l->rcpt, l->nrcpt + 1,
				    sizeof(*l->rcpt));
				l->rcpt[l->nrcpt++] = a;
				reply(l, "250 2.1.5 Ok");
			}
		} else if (strcasecmp(arg, "DATA") == 0) {
			if (l->nrcpt == 0)
				reply(l, "503 5.5.1 Need RCPT command");
			else if (lmtp_deliver(l) == -1)
				break;	/* the client went away */
		} else if (strcasecmp(arg, "RSET") == 0) {
			lmtp_reset(l);
			reply(l, "250 2.0.0 Ok");
		} else if (strncasecmp(arg, "NOOP", 4) == 0) {
			reply(l, "250 2.0.0 Ok");
		} else if (strcasecmp(arg, "QUIT") == 0) {
			reply(l, "221 2.0.0 Bye");
			break;
		} else if (strncasecmp(arg, "HELO", 4) == 0 ||
		    strncasecmp(arg, "EHLO", 4) == 0) {
			reply(l, "500 5.5.1 This is LMTP: use LHLO");
		} else if (strncasecmp(arg, "VRFY", 4) == 0) {
			reply(l, "252 2.5.2 Cannot verify, will attempt "
			    "delivery");
		} else
			reply(l, "500 5.5.2 Command not recognized");
		if (fflush(l->out) == EOF)
			break;
	}
	if (stopping)
		reply(l, "421 4.3.2 pw ingress shutting down");
	fflush(l->out);
	lmtp_reset(l);
}

/* ---- the resident service ----------------------------------------------- */

/*
 * pw ingress --lmtp --listen PATH: the parent listens (or takes the
 * socket systemd passes with Accept=no) and keeps --workers processes;
 * each accepts one connection at a time and serves its LMTP session.  A
 * worker keeps its database connection, its prepared statements and its
 * ingest caches (re-read after CACHE_TTL, as in one long LMTP session)
 * from one session to the next: the server's backend stays warm, which
 * a process per mail cannot have.  A lost connection gives 451 for the
 * mail at hand and is made again for the next (db_ensure).
 */

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* The socket systemd passed (LISTEN_FDS=1 for our pid): 3, else -1. */
static int
systemd_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct stat st;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (strcmp(fds, "1") != 0 || fstat(3, &st) == -1 ||
	    !S_ISSOCK(st.st_mode)) {
		log_warnx("socket activation: expected one socket, got "
		    "LISTEN_FDS=%s", fds);
		return -1;
	}
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

/* Listen on PATH with the given mode; -1 on failure (logged). */
static int
listen_unix(const char *path, mode_t mode)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t um;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return error("%s: socket path too long", path);
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return error("socket: %s", strerror(errno));
	/* a socket left behind by a dead server goes; a live one stays */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			return error("%s: another server is listening", path);
		}
		unlink(path);
		close(fd);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0))
		    == -1)
			return error("socket: %s", strerror(errno));
	}
	um = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(um);
	if (r == -1 || chmod(path, mode) == -1 || listen(fd, 128) == -1) {
		r = errno;
		close(fd);
		return error("%s: %s", path, strerror(r));
	}
	return fd;
}

static void
worker_run(struct lmtp *l, int lfd)
{
	struct sigaction sa;
	struct timeval tv = { LMTP_IDLE, 0 };
	sigset_t none;
	FILE *in, *out;
	int fd, ofd;

	/* no SA_RESTART: a blocked accept() or read() returns on SIGTERM */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* the first mail should not wait for the connection either */
	if (db_ensure(&l->c->db) == 0 && migrate_check(&l->c->db) == 0)
		l->schema_ok = 1;
	while (!stopping) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno != EINTR && errno != ECONNABORTED) {
				log_warn("accept");
				sleep(1);
			}
			continue;
		}
		/* a client gone silent frees the worker after a while */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if ((ofd = dup(fd)) == -1 || (in = fdopen(fd, "r")) == NULL) {
			log_warn("session");
			close(fd);
			if (ofd != -1)
				close(ofd);
			continue;
		}
		if ((out = fdopen(ofd, "w")) == NULL) {
			log_warn("session");
			fclose(in);
			close(ofd);
			continue;
		}
		l->in = in;
		l->out = out;
		lmtp_session(l);
		fclose(out);
		fclose(in);
		l->in = l->out = NULL;
	}
}

static pid_t
worker_start(struct lmtp *l, int lfd)
{
	pid_t pid = fork();

	if (pid == -1)
		log_warn("fork");
	else if (pid == 0) {
		worker_run(l, lfd);
		ingest_release(&l->ing);
		cmd_release(l->c);
		_exit(0);
	}
	return pid;
}

static int
serve(struct lmtp *l)
{
	const struct opts *o = l->o;
	sigset_t set;
	pid_t *pids;
	time_t *started;
	int lfd, i, n = o->workers > 0 ? o->workers : 2, sig, st, own = 0;
	pid_t pid;

	if ((lfd = systemd_socket()) == -1) {
		if ((lfd = listen_unix(o->listen, o->sock_mode)) == -1)
			return EX_TEMPFAIL;
		own = 1;
	}
	/* signals are taken synchronously here; the workers unblock them */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pids = xcalloc((size_t)n, sizeof(*pids));
	started = xcalloc((size_t)n, sizeof(*started));
	for (i = 0; i < n; i++) {
		pids[i] = worker_start(l, lfd);
		started[i] = time(NULL);
	}
	log_info("listening on %s with %d workers", own ? o->listen :
	    "the socket from systemd", n);
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig != SIGCHLD)
			continue;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < n && pids[i] != pid; i++)
				;
			if (i == n)
				continue;
			log_warnx("worker %ld %s %d; starting another",
			    (long)pid, WIFSIGNALED(st) ? "killed by signal" :
			    "exited with status", WIFSIGNALED(st) ?
			    WTERMSIG(st) : WEXITSTATUS(st));
			/* a worker that dies at once would spin */
			if (time(NULL) - started[i] < 1)
				sleep(1);
			pids[i] = worker_start(l, lfd);
			started[i] = time(NULL);
		}
		/* a failed fork is retried at the next signal or here */
		for (i = 0; i < n; i++)
			if (pids[i] == -1) {
				pids[i] = worker_start(l, lfd);
				started[i] = time(NULL);
			}
	}
	close(lfd);
	if (own)
		unlink(o->listen);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], &st, 0) == -1 && errno == EINTR)
				;
	log_info("stopped");
	free(pids);
	free(started);
	return 0;
}

static int
lmtp_mode(struct cmd *c, const struct opts *o)
{
	struct lmtp l;
	char *bp = NULL;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.c = c;
	l.o = o;
	l.in = stdin;
	l.out = stdout;
	if (getuid() == 0 || geteuid() == 0) {
		if (o->listen == NULL) {
			reply(&l, "421 4.3.0 pw ingress refuses to run as "
			    "root");
			fflush(stdout);
		}
		fprintf(stderr, "pw-ingress: refusing to run as root\n");
		return EX_TEMPFAIL;
	}
	if (gethostname(l.host, sizeof(l.host) - 1) == -1 || !l.host[0])
		snprintf(l.host, sizeof(l.host), "localhost");
	signal(SIGPIPE, SIG_IGN);
	db_prepare(c);
	if (o->listen != NULL)
		/* many mails per connection: the settings ride along */
		c->db.options = ingest_session_options(1);
	ingest_setup(&l.ing, c, o, &bp);
	if (o->listen != NULL)
		rc = serve(&l);
	else
		lmtp_session(&l);
	free(l.line);
	ingest_release(&l.ing);
	free(bp);
	return rc;
}

/* ---- archive import ----------------------------------------------------- */

struct progress {
	int		 tty;
	double		 start;
	double		 last;
	uint64_t	 total;		/* bytes of all inputs, 0 unknown */
	uint64_t	 done_bytes;	/* of finished inputs */
	struct mbox	*mb;		/* the current input */
	unsigned long	 seen;		/* messages read */
	struct ingest	*ing;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
progress_show(struct progress *p, int final)
{
	double t = now(), el = t - p->start, rate;
	uint64_t bytes = p->done_bytes + (p->mb ? p->mb->bytes : 0);
	char eta[32] = "";

	if (!p->tty || (!final && t - p->last < 0.5))
		return;
	p->last = t;
	rate = el > 0 ? (double)p->seen / el : 0;
	if (p->total > 0 && bytes > 0 && bytes < p->total && el > 1) {
		double left = el * (double)(p->total - bytes) / (double)bytes;

		snprintf(eta, sizeof(eta), ", ETA %d:%02d",
		    (int)left / 60, (int)left % 60);
	}
	fprintf(stderr, "\r\033[K%lu messages, %.0f/s, %.1f", p->seen, rate,
	    (double)bytes / 1048576.0);
	if (p->total > 0)
		fprintf(stderr, " of %.1f", (double)p->total / 1048576.0);
	fprintf(stderr, " MB%s", eta);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
import_done(void *arg, const struct ingest_result *r)
{
	if (r->status == INGEST_FAILED)
		log_warnx("journal entry %lld failed: %s", (long long)r->mail_id,
		    r->reason);
}

static void
summary(const struct ingest *ing, double secs, uint64_t bytes)
{
	unsigned long comments = ing->stored[INGEST_PATCH_COMMENT] +
	    ing->stored[INGEST_COVER_COMMENT];

	printf("Processed %lu messages (%.1f MB) in %.1f s (%.0f/s)\n",
	    ing->committed, (double)bytes / 1048576.0, secs,
	    secs > 0 ? (double)ing->committed / secs : 0.0);
	printf("  patches:       %lu\n", ing->stored[INGEST_PATCH]);
	printf("  cover letters: %lu\n", ing->stored[INGEST_COVER]);
	printf("  comments:      %lu\n", comments);
	printf("  duplicates:    %lu\n", ing->count[INGEST_DUPLICATE]);
	printf("  ignored:       %lu\n", ing->count[INGEST_IGNORED]);
	printf("  dropped:       %lu\n", ing->count[INGEST_DROPPED]);
	printf("  no project:    %lu\n", ing->count[INGEST_NO_PROJECT]);
	printf("  malformed:     %lu\n", ing->count[INGEST_MALFORMED]);
	printf("  failed:        %lu\n", ing->count[INGEST_FAILED]);
	printf("Total: %lu new entries\n", ing->count[INGEST_STORED]);
}

static int
mbox_mode(struct cmd *c, const struct opts *o, int nfiles, char **files)
{
	static char *stdin_only[] = { "-" };
	struct progress p;
	struct ingest ing;
	struct ingest_mail m;
	struct mbox mb;
	struct mbox_msg msg;
	char *bp = NULL;
	int i, rc = 0, r;
	struct stat st;

	if (nfiles == 0) {
		nfiles = 1;
		files = stdin_only;
	}
	memset(&p, 0, sizeof(p));
	p.tty = !o->quiet && isatty(STDERR_FILENO);
	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i], "-") != 0 && stat(files[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			p.total += (uint64_t)st.st_size;
	cmd_connect(c, 0);	/* exits 75 or 78 */
	ingest_setup(&ing, c, o, &bp);
	ingest_batch_begin(&ing, import_done, &p);
	p.ing = &ing;
	p.start = p.last = now();
	mbox_msg_init(&msg);
	for (i = 0; i < nfiles && rc == 0; i++) {
		if (mbox_open(&mb, files[i], c->conf.ingress.max_message_size)
		    == -1) {
			rc = EX_NOINPUT;
			break;
		}
		p.mb = &mb;
		while ((r = mbox_next(&mb, &msg)) == 1) {
			memset(&m, 0, sizeof(m));
			m.bytes = msg.data.s;
			m.len = msg.data.len;
			m.size = msg.size;
			m.sha256 = msg.sha256;
			m.envelope_from = msg.envelope[0] ? msg.envelope : NULL;
			p.seen++;
			if (ingest_batch_add(&ing, &m) == -1) {
				rc = EX_TEMPFAIL;
				break;
			}
			progress_show(&p, 0);
		}
		if (r == -1 && rc == 0)
			rc = EX_IOERR;
		if (rc == 0 && ingest_batch_flush(&ing) == -1)
			rc = EX_TEMPFAIL;
		p.done_bytes += mb.bytes;
		p.mb = NULL;
		if (rc == EX_TEMPFAIL)
			fprintf(stderr, "pw-ingress: database unavailable; "
			    "%lu messages are stored, the rest is not: run "
			    "the same command again to finish (what is "
			    "stored is recognised)\n", ing.committed);
		mbox_close(&mb);
	}
	progress_show(&p, 1);
	summary(&ing, now() - p.start, p.done_bytes);
	mbox_msg_release(&msg);
	ingest_release(&ing);
	free(bp);
	return rc;
}

/* ---- main --------------------------------------------------------------- */

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "ignore-auto-submitted", no_argument, NULL, 'A' },
		{ "list-id", required_argument, NULL, 'l' },
		{ "listen", required_argument, NULL, 'S' },
		{ "lmtp", no_argument, NULL, 'L' },
		{ "mbox", no_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "recipient", required_argument, NULL, 'r' },
		{ "sender", required_argument, NULL, 'f' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "workers", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd c;
	struct opts o;
	char *end;
	int ch, bad = 0, rc;

	/* Whatever happens before we know the mode: keep the mail. */
	log_fatal_status = EX_TEMPFAIL;
	cmd_init(&c, "pw-ingress");
	memset(&o, 0, sizeof(o));
	o.workers = 2;
	o.sock_mode = 0660;
	while ((ch = getopt_long(argc, argv, "Ac:f:hl:LMqr:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
			o.ignore_auto = 1;
			break;
		case 'c':
			c.config = optarg;
			break;
		case 'f':
			o.sender = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			o.list_id = optarg;
			break;
		case 'L':
			o.mode = MODE_LMTP;
			break;
		case 'm':
			o.sock_mode = (mode_t)strtoul(optarg, &end, 8);
			if (*optarg == '\0' || *end != '\0' ||
			    o.sock_mode > 0777)
				bad = 1;
			break;
		case 'S':
			o.listen = optarg;
			break;
		case 'w':
			o.workers = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' ||
			    o.workers < 1 || o.workers > 256)
				bad = 1;
			break;
		case 'M':
			o.mode = MODE_MBOX;
			break;
		case 'q':
			o.quiet = 1;
			break;
		case 'r':
			o.recipient = optarg;
			break;
		case 'v':
			c.verbose++;
			break;
		default:
			bad = 1;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (o.listen != NULL && o.mode != MODE_LMTP)
		bad = 1;
	if (o.mode == MODE_MBOX) {
		/* an interactive command: the usual exit statuses */
		log_fatal_status = EX_SOFTWARE;
		if (bad) {
			usage(stderr);
			return EX_USAGE;
		}
		if (setup(&c, o.mode, o.listen != NULL) == -1)
			return EX_CONFIG;
		rc = mbox_mode(&c, &o, argc, argv);
		cmd_release(&c);
		if (fflush(stdout) == EOF && rc == 0)
			rc = EX_IOERR;
		return rc;
	}
	/*
	 * pipe and LMTP: 0 or 75, nothing else.  pipe(8) expands
	 * ${recipient} to one argument per recipient when the transport's
	 * recipient limit is above 1: the operands after -r are more
	 * recipients of the same mail, not a usage error that would defer
	 * it for ever.
	 */
	if (bad || (argc > 0 && (o.mode != MODE_PIPE || !o.recipient))) {
		fprintf(stderr, "pw-ingress: bad arguments (see pw-ingress(8)); "
		    "mail deferred\n");
		return EX_TEMPFAIL;
	}
	if (setup(&c, o.mode, o.listen != NULL) == -1) {
		fprintf(stderr, "pw-ingress: configuration error; mail "
		    "deferred\n");
		return EX_TEMPFAIL;
	}
	rc = o.mode == MODE_LMTP ? lmtp_mode(&c, &o) : pipe_mode(&c, &o);
	cmd_release(&c);
	return rc == 0 ? 0 : EX_TEMPFAIL;
}
