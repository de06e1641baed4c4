#ifndef PW_INGEST_H
#define PW_INGEST_H
/*
 * The storing half of mail ingest (ingest spec §3-§17): one received
 * message becomes a row of the raw mail journal (table mail) together
 * with the objects made from it, in one transaction.  The parsing half is
 * mail.h; this module adds the database: the journal, the project
 * lookup, people, patches, covers, comments, series, tags, dependencies
 * and events.
 *
 * Outcomes (spec §1, §17.2), and what a delivery agent answers:
 *   STORED      a patch, cover or comment was created        0 / 250
 *   DUPLICATE   the same bytes were already journaled, or    0 / 250
 *               the msgid is already stored for its scope
 *   IGNORED     X-Patchwork-Hint: ignore (or Auto-Submitted)  0 / 250
 *   DROPPED     nothing to store: no content, orphan reply    0 / 250
 *   NO_PROJECT  no project for its list id (kept: an admin    0 / 250
 *               who creates the project can re-parse it)
 *   MALFORMED   unusable input, journaled with the reason     0 / 250
 *   FAILED      our error (a bug, bad data in the database):  0 / 250
 *               journaled as 'failed' with the reason, for
 *               `pw mail reparse --failed` after the fix
 *   TEMPFAIL    nothing could be recorded now (database       75 / 451
 *               unreachable, lock or statement timeout, disk
 *               full, serialization failure twice)
 * Only TEMPFAIL leaves no trace; everything else is in the journal.
 *
 * Lifecycle:
 *  1. ingest_init(&ing, &db, &opts): no database access yet; db must stay
 *     valid (connected or connectable) while ing is used;
 *  2. either ingest_one() per mail (its own transaction, committed before
 *     it returns: the pipe and LMTP helpers answer after it),
 *     or ingest_batch_add() per mail and ingest_batch_flush() at the end
 *     (archive import: batch_size mails per transaction; a re-run is
 *     idempotent, so commits may be asynchronous),
 *     or ingest_reparse() for a journal entry;
 *  3. ingest_release(&ing).
 *
 * Concurrency (spec §17.2): mails of one series may be delivered by
 * several processes at once, in any order; see the comment at the top of
 * ingest.c for why the result equals sequential delivery.
 *
 * Not thread-safe (one struct ingest per thread; the parser caches
 * compiled patterns in static storage anyway).
 */
#include <stddef.h>
#include <stdint.h>

struct db;
struct ingest_cache;

enum ingest_status {
	INGEST_STORED,
	INGEST_DUPLICATE,
	INGEST_IGNORED,
	INGEST_DROPPED,
	INGEST_NO_PROJECT,
	INGEST_MALFORMED,
	INGEST_FAILED,
	INGEST_TEMPFAIL,
	INGEST_STATUS_MAX
};

enum ingest_kind {
	INGEST_NONE,
	INGEST_PATCH,
	INGEST_COVER,
	INGEST_PATCH_COMMENT,
	INGEST_COVER_COMMENT,
	INGEST_KIND_MAX
};

/* "stored", "duplicate", ...: the journal's status words (mail.status). */
extern const char *const ingest_status_names[INGEST_STATUS_MAX];
/* "", "patch", "cover", "patch comment", "cover comment" */
extern const char *const ingest_kind_names[INGEST_KIND_MAX];

struct ingest_opts {
	const char	*list_id;	/* forced list id (--list-id), or NULL */
	const char	*base_path;	/* the site's path prefix (Depends-on) */
	int		 ignore_auto_submitted;	/* spec §3.3 */
	int		 durable;	/* synchronous_commit on (pipe, LMTP) */
	int		 batch_size;	/* mails per batch transaction */
	size_t		 batch_bytes;	/* flush a batch beyond this much mail */
	/*
	 * The connection was opened with ingest_session_options(durable)
	 * in db.options: no session statement per connection.
	 */
	int		 session_preset;
};

/* One message as received. */
struct ingest_mail {
	const char	*bytes;		/* the message (may start "From ") */
	size_t		 len;
	/*
	 * The real size when the caller stopped reading at its size cap
	 * (size > len): the mail is journaled as MALFORMED "too big"
	 * without its bytes, and sha256 must then be the digest of all
	 * size bytes.  0 means len.
	 */
	size_t		 size;
	const unsigned char *sha256;	/* 32 bytes, or NULL: computed */
	const char	*envelope_from;	/* or NULL */
	const char	*envelope_to;	/* or NULL */
};

struct ingest_result {
	enum ingest_status status;
	enum ingest_kind kind;		/* what it became (or duplicates) */
	int		 redelivered;	/* the same bytes were journaled */
	int64_t		 mail_id;	/* journal row, 0 if none */
	int64_t		 object_id;	/* patch, cover or comment id, or 0 */
	int64_t		 project_id;
	char		 reason[256];	/* short, for logs and stderr */
};

/* Called for every mail of a batch once its fate is final (committed). */
typedef void (*ingest_done_fn)(void *arg, const struct ingest_result *);

struct ingest {
	struct db		*db;
	struct ingest_opts	 opts;
	struct ingest_cache	*cache;		/* private */
	/* batch state (private) */
	void			*batch;
	ingest_done_fn		 done;
	void			*done_arg;
	/* Totals over every final result, by status and by kind stored. */
	unsigned long		 count[INGEST_STATUS_MAX];
	unsigned long		 stored[INGEST_KIND_MAX];
	unsigned long		 committed;	/* mails whose fate is final */
};

void	ingest_init(struct ingest *, struct db *, const struct ingest_opts *);
/* The per-connection settings ingest needs, as libpq startup options. */
const char *ingest_session_options(int durable);
void	ingest_release(struct ingest *);

/*
 * One mail in its own transaction, retried once on a serialization
 * failure or deadlock.  Fills *res; returns 0, or -1 for TEMPFAIL
 * (nothing was written).
 */
int	ingest_one(struct ingest *, const struct ingest_mail *,
	    struct ingest_result *res);

/*
 * Batches: ingest_batch_add() copies the mail into the batch; once it
 * holds batch_size mails or batch_bytes bytes (and at
 * ingest_batch_flush()), the batch runs as one transaction: the journal
 * entries of all its mails are looked up in one statement (mails handled
 * before are DUPLICATE at no further cost, which makes re-running an
 * import cheap), the others processed in order; their events, tag
 * counts and journal entries are written together at the end of the
 * batch, and while the server runs a mail's statements the next mail is
 * parsed.  The result is the same as ingest_one() for each mail in turn
 * (t/2210): a second copy of the same bytes in a batch fares as it would
 * after the first.  done(arg, result) is called for each mail once its
 * batch committed.  When a mail of the batch fails with our error, the batch is
 * rolled back and re-run one mail per transaction, so only that mail is
 * journaled as FAILED.  A mail larger than half of batch_bytes is stored
 * on its own, without a copy.  Both return 0, or -1 on TEMPFAIL: the open
 * batch was rolled back (ing.committed says how many mails are safe) and
 * the run should stop.
 */
void	ingest_batch_begin(struct ingest *, ingest_done_fn done, void *arg);
int	ingest_batch_add(struct ingest *, const struct ingest_mail *);
int	ingest_batch_flush(struct ingest *);

/*
 * Process journal entry mail_id again from its stored bytes (after a
 * parser fix, or once its project exists).  Idempotent: objects that
 * exist are found as duplicates and not created again; the entry keeps
 * pointing at what it became.  Fills *res; returns 0, or -1 on TEMPFAIL
 * (or when the entry does not exist or has no bytes: res->status is then
 * INGEST_FAILED with the reason, and nothing changed).
 */
int	ingest_reparse(struct ingest *, int64_t mail_id,
	    struct ingest_result *res);

/* The transaction-scoped advisory lock key of a project (ingest.c). */
#define INGEST_LOCK_PROJECT(id)	(0x7077010000000000LL | (int64_t)(id))

#endif
