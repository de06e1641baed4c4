/*
 * pw webhook: the webhook delivery worker (REST spec 13.4).
 *
 * The database does the fan-out: the trigger webhook_enqueue() adds one
 * webhook_delivery row per (active, matching webhook, event) in the
 * event's own transaction and NOTIFYs pw_webhook at commit.  This
 * program takes due rows and POSTs them.
 *
 * A delivery is claimed in a short transaction: the row is locked with
 * FOR UPDATE SKIP LOCKED (so any number of workers share the queue), its
 * body is rendered and stored if this is the first attempt (every retry
 * sends the same bytes under the same signature), its attempt counted,
 * and its next_attempt_at pushed past the HTTP timeout, a lease: a worker
 * that dies mid-request leaves the row to be taken again when the lease
 * ends.  The POST happens outside any transaction (a slow receiver never
 * holds a lock that the API's DELETE of a webhook would wait for); the
 * outcome is written afterwards.  2xx is delivered; anything else is
 * retried after backoff * 2^(attempts - 1) seconds until max attempts,
 * then the row is 'failed', its last status and error kept.  Finished
 * rows are deleted after -k days (hourly, and at the end of --once).
 *
 * The body is the event exactly as GET /api/1.4/events/ renders it
 * (common/event.c), with http.base_url as the base of its URLs.
 *
 * libcurl is linked into this program alone.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "apiobj.h"
#include "arena.h"
#include "buf.h"
#include "cmd.h"
#include "event.h"
#include "json.h"
#include "jw.h"
#include "log.h"
#include "xalloc.h"

CMD_DESCRIPTION("deliver webhooks: POST each event to its subscribers");

#define CHANNEL		"pw_webhook"
#define BACKOFF_MAX	(6 * 3600)	/* seconds, the longest wait */
#define IDLE_MAX	60		/* seconds between looks at the queue */
#define WAIT_MIN	0.1

enum {
	ST_CLAIM,
	ST_STORE_BODY,
	ST_DELIVERED,
	ST_RETRY,
	ST_FAILED,
	ST_NEXT_DUE,
	ST_PRUNE,
	ST__MAX
};

static const struct stmt_def stmts[ST__MAX] = {
	/*
	 * One due delivery of an active webhook, leased for $1 seconds.
	 * The inner SELECT takes the lock; the UPDATE counts the attempt.
	 */
	[ST_CLAIM] = { "webhook_claim",
	    "UPDATE webhook_delivery d SET attempts = d.attempts + 1,"
	    " last_attempt_at = now(),"
	    " next_attempt_at = now() + make_interval(secs => $1::int)"
	    " FROM (SELECT d2.id FROM webhook_delivery d2"
	    " JOIN webhook w2 ON w2.id = d2.webhook_id"
	    " WHERE d2.status = 'pending' AND d2.next_attempt_at <= now()"
	    " AND w2.active ORDER BY d2.next_attempt_at, d2.id LIMIT 1"
	    " FOR UPDATE OF d2 SKIP LOCKED) c, webhook w, event e"
	    " WHERE d.id = c.id AND w.id = d.webhook_id AND e.id = d.event_id"
	    " RETURNING d.id, d.event_id, d.attempts, d.body, w.url,"
	    " w.secret, e.category", 1 },
	[ST_STORE_BODY] = { "webhook_store_body",
	    "UPDATE webhook_delivery SET body = $2 WHERE id = $1", 2 },
	[ST_DELIVERED] = { "webhook_delivered",
	    "UPDATE webhook_delivery SET status = 'delivered',"
	    " last_http_status = $2, last_error = NULL WHERE id = $1", 2 },
	[ST_RETRY] = { "webhook_retry",
	    "UPDATE webhook_delivery SET"
	    " next_attempt_at = now() + make_interval(secs => $2::int),"
	    " last_http_status = $3, last_error = $4 WHERE id = $1", 4 },
	[ST_FAILED] = { "webhook_failed",
	    "UPDATE webhook_delivery SET status = 'failed',"
	    " last_http_status = $2, last_error = $3 WHERE id = $1", 3 },
	/* Seconds until the next pending delivery is due, or NULL. */
	[ST_NEXT_DUE] = { "webhook_next_due",
	    "SELECT extract(epoch FROM min(d.next_attempt_at) - now())::float8"
	    " FROM webhook_delivery d"
	    " JOIN webhook w ON w.id = d.webhook_id"
	    " WHERE d.status = 'pending' AND w.active", 0 },
	/* Finished deliveries older than $1 days, PRUNE_BATCH at a time. */
	[ST_PRUNE] = { "webhook_prune",
	    "DELETE FROM webhook_delivery WHERE id IN (SELECT id"
	    " FROM webhook_delivery WHERE status <> 'pending'"
	    " AND created < now() - make_interval(days => $1::int)"
	    " LIMIT 5000)", 1 },
};
#define PRUNE_BATCH	5000
#define PRUNE_EVERY	3600	/* seconds between prunes of a daemon */

struct worker {
	struct cmd	 c;
	struct arena	 arena;
	struct buf	 tmp;
	CURL		*curl;
	const char	*base_j;	/* http.base_url, JSON-escaped */
	const char	*prefix_j;	/* base "/api/1.4" */
	int		 once;
	int		 max_attempts;
	int		 backoff;	/* seconds, doubled per attempt */
	int		 timeout;	/* seconds per request */
	int		 keep;		/* days finished rows stay; 0: ever */
	time_t		 pruned;	/* last prune */
	int		 listener;	/* backend pid that LISTENs, or 0 */
};

struct delivery {
	int64_t		 id;
	int64_t		 event;
	int		 attempts;
	const char	*body;
	const char	*url;
	const char	*secret;
	const char	*category;
};

/* What a POST came to: the HTTP status (0 if none) and an error text. */
struct outcome {
	long		 status;
	char		 error[CURL_ERROR_SIZE + 32];
};

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: pw webhook [-ov] [-a attempts] [-b seconds] "
	    "[-c file] [-k days]\n"
	    "                  [-t seconds]\n");
	return EX_USAGE;
}

static int
number(const char *s, int min, int max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		return -1;
	return (int)n;
}

/* The event as GET /api/1.4/events/ shows it, in the arena; NULL: db. */
static const char *
render(struct worker *k, int64_t event)
{
	struct apiout o;
	struct dbres *res;
	struct buf out = BUF_INIT;
	struct jw w;
	const char *body = NULL;

	res = db_run(&k->c.db, &event_rows_stmt,
	    DB_STR(arena_printf(&k->arena, "{%lld}", (long long)event)));
	if (res == NULL)
		return NULL;
	if (dbres_rows(res) == 1) {
		jw_init(&w, &out);
		apiout_init(&o, &w, 14, k->base_j, k->prefix_j, &k->arena,
		    &k->tmp);
		event_write(&o, res, 0);
		body = arena_strndup(&k->arena, out.s, out.len);
	} else
		body = "";	/* the event went away with its delivery */
	buf_release(&out);
	dbres_free(res);
	return body;
}

/*
 * Claim one due delivery: 1 with *d filled (strings in the arena), 0
 * when none is due, -1 on a database failure.
 */
static int
claim(struct worker *k, struct delivery *d)
{
	struct db *db = &k->c.db;
	struct dbres *res = NULL;
	int rc = -1;

	if (db_begin(db) == -1)
		return -1;
	res = db_run(db, &stmts[ST_CLAIM], DB_I64(k->timeout + 60));
	if (res == NULL)
		goto out;
	if (dbres_rows(res) == 0) {
		rc = db_commit(db) == -1 ? -1 : 0;
		goto out;
	}
	d->id = dbres_i64(res, 0, 0);
	d->event = dbres_i64(res, 0, 1);
	d->attempts = (int)dbres_i64(res, 0, 2);
	d->body = dbres_isnull(res, 0, 3) ? NULL :
	    arena_strdup(&k->arena, dbres_str(res, 0, 3));
	d->url = arena_strdup(&k->arena, dbres_str(res, 0, 4));
	d->secret = arena_strdup(&k->arena, dbres_str(res, 0, 5));
	d->category = arena_strdup(&k->arena, dbres_str(res, 0, 6));
	if (d->body == NULL) {
		if ((d->body = render(k, d->event)) == NULL)
			goto out;
		if (db_run_do(db, &stmts[ST_STORE_BODY], DB_I64(d->id),
		    DB_STR(d->body)) == -1)
			goto out;
	}
	if (db_commit(db) == -1)
		goto out;
	rc = 1;
out:
	dbres_free(res);
	if (rc == -1)
		db_rollback(db);
	return rc;
}

/* "sha256=" and the lowercase hex HMAC-SHA256 of body under secret. */
static const char *
signature(struct worker *k, const char *secret, const char *body)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	char *s, *p;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, strlen(body), md, &len) == NULL)
		return NULL;
	s = p = arena_alloc(&k->arena, 8 + 2 * len);
	memcpy(p, "sha256=", 7);
	p += 7;
	for (i = 0; i < len; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
	return s;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POST the delivery; the outcome says how it went. */
static void
post(struct worker *k, const struct delivery *d, struct outcome *oc)
{
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE];
	const char *sig;
	CURLcode cc;

	oc->status = 0;
	oc->error[0] = '\0';
	errbuf[0] = '\0';
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, arena_printf(&k->arena,
	    "X-Patchwork-Event: %s", d->category));
	h = curl_slist_append(h, arena_printf(&k->arena,
	    "X-Patchwork-Delivery: %lld", (long long)d->event));
	if (*d->secret != '\0') {
		if ((sig = signature(k, d->secret, d->body)) == NULL) {
			snprintf(oc->error, sizeof(oc->error),
			    "cannot compute the signature");
			curl_slist_free_all(h);
			return;
		}
		h = curl_slist_append(h, arena_printf(&k->arena,
		    "X-Patchwork-Signature: %s", sig));
	}
	h = curl_slist_append(h, "Expect:");

	curl_easy_reset(k->curl);
	curl_easy_setopt(k->curl, CURLOPT_URL, d->url);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT, (long)k->timeout);
	curl_easy_setopt(k->curl, CURLOPT_USERAGENT,
	    "patchwork-webhook/" PW_VERSION);
	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(d->body));
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(k->curl, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(k->curl);
	if (cc != CURLE_OK)
		snprintf(oc->error, sizeof(oc->error), "%s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
	else {
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &oc->status);
		if (oc->status < 200 || oc->status > 299)
			snprintf(oc->error, sizeof(oc->error), "HTTP %ld",
			    oc->status);
	}
	curl_slist_free_all(h);
}

/* Write down how the attempt went: 0, or -1 on a database failure. */
static int
record(struct worker *k, const struct delivery *d, const struct outcome *oc)
{
	struct db *db = &k->c.db;
	struct dbparam status = oc->status ? DB_I64(oc->status) : DB_NULL;
	long long wait;
	int i;

	if (oc->error[0] == '\0') {
		log_debug("delivery %lld (event %lld) to %s: HTTP %ld",
		    (long long)d->id, (long long)d->event, d->url, oc->status);
		return db_run_do(db, &stmts[ST_DELIVERED], DB_I64(d->id),
		    status);
	}
	if (d->attempts >= k->max_attempts) {
		log_warnx("delivery %lld (event %lld) to %s failed after %d "
		    "attempts: %s", (long long)d->id, (long long)d->event,
		    d->url, d->attempts, oc->error);
		return db_run_do(db, &stmts[ST_FAILED], DB_I64(d->id), status,
		    DB_STR(oc->error));
	}
	wait = k->backoff;
	for (i = 1; i < d->attempts && wait < BACKOFF_MAX; i++)
		wait *= 2;
	if (wait > BACKOFF_MAX)
		wait = BACKOFF_MAX;
	log_info("delivery %lld (event %lld) to %s, attempt %d: %s; again "
	    "in %llds", (long long)d->id, (long long)d->event, d->url,
	    d->attempts, oc->error, wait);
	return db_run_do(db, &stmts[ST_RETRY], DB_I64(d->id), DB_I64(wait),
	    status, DB_STR(oc->error));
}

/*
 * Deliver every due delivery (until a stop is asked for): 0, or -1 on a
 * database failure.
 */
static int
drain(struct worker *k)
{
	struct delivery d;
	struct outcome oc;
	int rc;

	while (!stopping) {
		arena_reset(&k->arena);
		if ((rc = claim(k, &d)) <= 0)
			return rc;
		post(k, &d, &oc);
		if (record(k, &d, &oc) == -1)
			return -1;
	}
	return 0;
}

/*
 * Delete finished deliveries older than k->keep days, in batches (the
 * index webhook_delivery_created_idx serves it): 0, or -1 on a
 * database failure.
 */
static int
prune(struct worker *k)
{
	struct dbres *res;
	int64_t n, total = 0;

	k->pruned = time(NULL);
	if (k->keep == 0)
		return 0;
	do {
		res = db_run(&k->c.db, &stmts[ST_PRUNE], DB_I64(k->keep));
		if (res == NULL)
			return -1;
		n = dbres_affected(res);
		total += n;
		dbres_free(res);
	} while (n == PRUNE_BATCH && !stopping);
	if (total > 0)
		log_info("pruned %lld finished deliveries older than %d days",
		    (long long)total, k->keep);
	return 0;
}

/*
 * LISTEN on the channel unless this connection already does: the
 * database layer reconnects by itself, and a new session listens to
 * nothing.  1 when it had to (notifications may have been missed), 0
 * when nothing changed, -1 on a failure.
 */
static int
listen_channel(struct worker *k)
{
	PGconn *conn = db_pgconn(&k->c.db);

	if (conn != NULL && PQbackendPID(conn) == k->listener)
		return 0;
	k->listener = 0;
	if (db_exec_script(&k->c.db, "LISTEN " CHANNEL) == -1 ||
	    (conn = db_pgconn(&k->c.db)) == NULL)
		return -1;
	k->listener = PQbackendPID(conn);
	return 1;
}

/*
 * Sleep until a notification, the next due delivery, IDLE_MAX seconds,
 * or a signal (which sigmask lets through pselect() only).  A delivery
 * due now but not taken is another worker's, about to be leased: look
 * again in WAIT_MIN seconds rather than spin.
 */
static void
wait_work(struct worker *k, const sigset_t *sigmask)
{
	struct db *db = &k->c.db;
	struct dbres *res;
	struct timespec ts;
	PGconn *conn;
	PGnotify *nt;
	double secs = IDLE_MAX;
	fd_set fds;
	int fd;

	if ((res = db_run0(db, &stmts[ST_NEXT_DUE])) != NULL) {
		if (!dbres_isnull(res, 0, 0) && dbres_f64(res, 0, 0) < secs)
			secs = dbres_f64(res, 0, 0);
		dbres_free(res);
	}
	if ((conn = db_pgconn(db)) == NULL || (fd = PQsocket(conn)) < 0)
		return;
	/* A notification that came with the last result is work already. */
	if ((nt = PQnotifies(conn)) != NULL) {
		PQfreemem(nt);
		while ((nt = PQnotifies(conn)) != NULL)
			PQfreemem(nt);
		return;
	}
	if (secs < WAIT_MIN)
		secs = WAIT_MIN;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	FD_ZERO(&fds);
	FD_SET(fd, &fds);
	if (stopping)
		return;
	if (pselect(fd + 1, &fds, NULL, NULL, &ts, sigmask) > 0) {
		PQconsumeInput(conn);
		while ((nt = PQnotifies(conn)) != NULL)
			PQfreemem(nt);
	}
}

static int
run_daemon(struct worker *k)
{
	struct sigaction sa;
	sigset_t block, old;
	int backoff = 1, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Signals arrive only inside pselect(): never mid-delivery. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigdelset(&old, SIGTERM);
	sigdelset(&old, SIGINT);

	if (listen_channel(k) == -1)
		return EX_TEMPFAIL;
	log_info("waiting for deliveries");
	while (!stopping) {
		if (drain(k) == -1 || (rc = listen_channel(k)) == -1) {
			/* The database went away: wait, reconnect. */
			struct timespec ts = { backoff, 0 };

			log_warnx("database failure; retrying in %ds", backoff);
			pselect(0, NULL, NULL, NULL, &ts, &old);
			if (backoff < 60)
				backoff *= 2;
			db_ensure(&k->c.db);
			continue;
		}
		backoff = 1;
		/* A new session listens now: look again at once. */
		if (rc == 1)
			continue;
		if (time(NULL) - k->pruned >= PRUNE_EVERY && prune(k) == -1)
			continue;
		wait_work(k, &old);
	}
	log_info("stopping");
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "attempts", required_argument, NULL, 'a' },
		{ "backoff", required_argument, NULL, 'b' },
		{ "keep", required_argument, NULL, 'k' },
		{ "once", no_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct worker k;
	struct buf b = BUF_INIT;
	const char *base;
	size_t n;
	int ch, rc;

	memset(&k, 0, sizeof(k));
	cmd_init(&k.c, "pw-webhook");
	k.max_attempts = 10;
	k.backoff = 30;
	k.timeout = 10;
	k.keep = 30;
	while ((ch = getopt_long(argc, argv, "a:b:c:k:ot:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			if ((k.max_attempts = number(optarg, 1, 1000)) == -1)
				return usage();
			break;
		case 'b':
			if ((k.backoff = number(optarg, 0, 86400)) == -1)
				return usage();
			break;
		case 'c':
			k.c.config = optarg;
			break;
		case 'k':
			if ((k.keep = number(optarg, 0, 36500)) == -1)
				return usage();
			break;
		case 'o':
			k.once = 1;
			break;
		case 't':
			if ((k.timeout = number(optarg, 1, 3600)) == -1)
				return usage();
			break;
		case 'v':
			k.c.verbose++;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	cmd_connect(&k.c, 0);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (k.curl = curl_easy_init()) == NULL) {
		log_warnx("cannot initialise libcurl");
		return EX_SOFTWARE;
	}
	arena_init(&k.arena);
	buf_init(&k.tmp, 0);
	base = k.c.conf.http.base_url;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	json_escape(&b, base, n);
	k.base_j = xstrdup(b.s);
	buf_add(&b, "/api/1.4", 8);
	k.prefix_j = xstrdup(b.s);
	buf_release(&b);

	if (k.once)
		rc = drain(&k) == -1 || prune(&k) == -1 ?
		    cmd_db_status(&k.c.db) : 0;
	else
		rc = run_daemon(&k);

	arena_release(&k.arena);
	buf_release(&k.tmp);
	curl_easy_cleanup(k.curl);
	curl_global_cleanup();
	free((char *)k.base_j);
	free((char *)k.prefix_j);
	cmd_release(&k.c);
	return rc;
}
