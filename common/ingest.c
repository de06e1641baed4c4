/*
 * The storing half of mail ingest; the contract is in ingest.h, the rules
 * in the ingest spec (§3-§17), whose section numbers the comments cite.
 *
 * One mail, one transaction.  The journal row (table mail) is written
 * first, keyed by the SHA-256 of the bytes (and the forced list id): a
 * re-delivery of bytes already handled finds its row and is answered
 * DUPLICATE without parsing; a row left 'failed' or 'no_project' is
 * processed again.  Then the mail is parsed, its project found, and the
 * objects written; the row is updated with what the mail became.  Nothing
 * of a mail is visible before its COMMIT, so a crash or a lost database
 * at any point leaves either everything or nothing.  (An archive import
 * puts many mails in one transaction; it looks their rows up together and
 * writes each row once, with the batch's events and tag counts, in one
 * statement at the end of the batch: see batch_tail_flush().)
 *
 * Concurrency (spec §17.2).  Postfix runs several deliveries at once, so
 * the mails of one series arrive in parallel and in any order, and the
 * series rules of §11-§12 ("look up the series by references, else by
 * markers, else create one and map the thread's message-ids to it") are a
 * read-then-write race: two patches of an uncovered series would each
 * create a series.  We serialise every patch and cover letter of a
 * project with a transaction-scoped advisory lock on the project
 * (INGEST_LOCK_PROJECT), taken before the first read that decides
 * anything (duplicate check, series search, cover-name check), and
 * released by COMMIT or ROLLBACK.  At READ COMMITTED every statement
 * after the lock sees what the previous holder committed, so the
 * deliveries behave as if run one after another.  Why this is enough:
 *  - In any serial order, the grouping is the same as in posting order:
 *    a patch finds its series through any message-id of the thread that
 *    an earlier mail mapped (the cover's id is in every patch's
 *    References), or by markers (same submitter, version, total, within
 *    20 minutes); whichever mail comes first creates the series and maps
 *    the thread; a cover letter finds the series by its own message-id.
 *  - Completeness events (§16) are defined so that their multiset does
 *    not depend on the order: patch-completed fires for each patch once
 *    its predecessors are all present (for the late ones when the gap
 *    closes), series-completed when the count reaches the total.
 * Why not finer or looser: a lock per thread root is not enough, since
 * markers match across threads (base-no-references); SERIALIZABLE with
 * retries would work but turns every collision into a rollback of the
 * whole mail, which under 8 parallel deliveries of one series means many
 * retries (and the retry budget of §17.2 is one).  The lock costs one
 * round trip and is held for a few milliseconds; different projects never
 * wait for each other.  Measured: 300 mails of one list through 8
 * parallel pipe deliveries ran at the same rate with and without it
 * (26-36 mails/s either way on a loaded 2-core VM: each delivery's own
 * start-up dominates).  Comments need no lock: their only read-then-write
 * is the duplicate check, which ON CONFLICT makes atomic, and tag counts
 * are incremented in place.  Except a reply that finds no parent: it looks
 * again under the lock before it is journaled as dropped, so that the
 * parent's delivery, which looks for such replies after its commit
 * (orphans_adopt()), cannot miss it.
 *
 * People are global, not per project: a new address is inserted with ON
 * CONFLICT (email) DO NOTHING and looked up again if another delivery won
 * the race.  Two deliveries introducing one address in two spellings of
 * case at the same instant may create two rows; that is the only race
 * left, and it is harmless.
 *
 * An archive import batches many mails per transaction and holds the
 * locks of its projects until the batch commits; a deadlock with a pipe
 * delivery (or another import) is possible and is detected by the server
 * (40P01): the victim retries.
 *
 * Tag counts (§14) are maintained incrementally: a new patch stores its
 * own counts, a new comment adds its counts to its patch's.  That equals
 * the reference's recount of patch + comments for as long as the tag
 * table does not change; a re-parse recounts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "delegate.h"
#include "ingest.h"
#include "log.h"
#include "mail.h"
#include "subject.h"
#include "tags.h"
#include "text.h"
#include "xalloc.h"

#define MAX_FIELD	255	/* msgids are looked up truncated (§2.4) */
#define MAX_ATTEMPTS	2	/* a serialization failure is retried once */

const char *const ingest_status_names[INGEST_STATUS_MAX] = {
	[INGEST_STORED] = "stored",
	[INGEST_DUPLICATE] = "duplicate",
	[INGEST_IGNORED] = "ignored",
	[INGEST_DROPPED] = "dropped",
	[INGEST_NO_PROJECT] = "no_project",
	[INGEST_MALFORMED] = "malformed",
	[INGEST_FAILED] = "failed",
	[INGEST_TEMPFAIL] = "tempfail",
};

const char *const ingest_kind_names[INGEST_KIND_MAX] = {
	[INGEST_NONE] = "",
	[INGEST_PATCH] = "patch",
	[INGEST_COVER] = "cover",
	[INGEST_PATCH_COMMENT] = "patch comment",
	[INGEST_COVER_COMMENT] = "cover comment",
};

enum stmt {
	ST_JOURNAL_ADD,
	ST_JOURNAL_FAIL,
	ST_JOURNAL_GET,
	ST_PROJECTS,
	ST_STATE_DEFAULT,
	ST_STATE_BY_NAME,
	ST_USER_BY_EMAIL,
	ST_RULES,
	ST_TAGS,
	ST_COVER_NAME_TAKEN,
	ST_SERIES_NEW,
	ST_SERIES_BY_OWN_REF,
	ST_SERIES_ATTACH_COVER,
	ST_PATCH_ADD,
	ST_COVER_ADD,
	ST_PARENT,
	ST_PCOMMENT_ADD,
	ST_PCOMMENT_FIND,
	ST_CCOMMENT_ADD,
	ST_CCOMMENT_FIND,
	ST_TAGS_ADD,
	ST_DEPS,
	ST_SESSION,
	ST_PATCH_REFRESH,
	ST_COVER_REFRESH,
	ST_PCOMMENT_REFRESH,
	ST_CCOMMENT_REFRESH,
	ST_TAG_TEXTS,
	ST_TAGS_CLEAR,
	ST_PATCH_PRELUDE,
	ST_COVER_PRELUDE,
	ST_PARENT_PERSON,
	ST_SERIES_FIND,
	ST_TAIL,
	ST_RELTUPLES,
	ST_JOURNAL_LOOKUP,
	ST_BATCH_TAIL,
	ST_PATCH_PRELUDE_FIND,
	ST_PATCH_ADD_NEW,
	ST_COMMENT_ADD,
	ST_ORPHAN_NOTE,
	ST_ORPHANS,
	ST_ORPHAN_READY,
	ST__MAX
};

/*
 * §8.3 as common table expressions f, u and i, for statements with the
 * author's address in $1 and name in $2: find case-insensitively, update a
 * non-empty different name, or create with the address as written; only
 * when cond holds.
 */
#define PERSON_CTE(cond)						\
	" f AS (SELECT id FROM person WHERE lower(email) = lower($1::text)" \
	" ORDER BY id LIMIT 1),"					\
	" u AS (UPDATE person p SET name = $2::text FROM f"		\
	" WHERE p.id = f.id AND $2::text <> ''"				\
	" AND p.name IS DISTINCT FROM $2::text AND " cond "),"		\
	" i AS (INSERT INTO person (email, name)"			\
	" SELECT $1::text, $2::text WHERE NOT EXISTS (SELECT 1 FROM f)"	\
	" AND " cond " ON CONFLICT (email) DO NOTHING RETURNING id)"

/*
 * §13: every candidate parent of the refs (array prj, project prj): kind
 * 0 a patch, 1 a patch comment (its patch), 2 a cover, 3 a cover comment
 * (its cover).  "= ANY" and scalar subqueries keep every branch on the
 * msgid indexes whatever the plan.
 */
#define PARENT_SQL(refs, prj)						\
	"SELECT 0 AS k, p.msgid, p.id, NULL::timestamptz AS d,"		\
	" 0::bigint AS c FROM patch p"					\
	" WHERE p.msgid = ANY (" refs "::text[]) AND p.project_id = " prj \
	" UNION ALL"							\
	" SELECT 1, c.msgid, c.patch_id, c.date, c.id FROM patch_comment c" \
	" WHERE c.msgid = ANY (" refs "::text[]) AND (SELECT p.project_id" \
	" FROM patch p WHERE p.id = c.patch_id) = " prj			\
	" UNION ALL"							\
	" SELECT 2, v.msgid, v.id, NULL, 0 FROM cover v"		\
	" WHERE v.msgid = ANY (" refs "::text[]) AND v.project_id = " prj \
	" UNION ALL"							\
	" SELECT 3, c.msgid, c.cover_id, c.date, c.id FROM cover_comment c" \
	" WHERE c.msgid = ANY (" refs "::text[]) AND (SELECT v.project_id" \
	" FROM cover v WHERE v.id = c.cover_id) = " prj

static const struct stmt_def stmts[ST__MAX] = {
	/*
	 * attempts = 1 means the row is new; a re-delivery bumps it.  The
	 * DO UPDATE also locks the row, so two deliveries of the same bytes
	 * at once are serialised here.
	 */
	[ST_JOURNAL_ADD] = { "ingest_journal_add",
	    "INSERT INTO mail (sha256, forced_list_id, envelope_from,"
	    " envelope_to, size, raw) VALUES ($1, $2, $3, $4, $5, $6)"
	    " ON CONFLICT (sha256, forced_list_id) DO UPDATE"
	    " SET attempts = mail.attempts + 1"
	    " RETURNING id, status, attempts", 6 },
	/* After a rollback: keep the mail, marked as our failure. */
	[ST_JOURNAL_FAIL] = { "ingest_journal_fail",
	    "INSERT INTO mail (sha256, forced_list_id, envelope_from,"
	    " envelope_to, size, raw, status, reason, processed_at, msgid,"
	    " subject) VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7, now(),"
	    " $8, $9)"
	    " ON CONFLICT (sha256, forced_list_id) DO UPDATE"
	    " SET status = 'failed', reason = EXCLUDED.reason,"
	    " processed_at = now(), attempts = mail.attempts + 1,"
	    " msgid = coalesce(EXCLUDED.msgid, mail.msgid),"
	    " subject = coalesce(EXCLUDED.subject, mail.subject)"
	    " RETURNING id", 9 },
	[ST_JOURNAL_GET] = { "ingest_journal_get",
	    "SELECT raw, forced_list_id, status, size, envelope_from,"
	    " envelope_to, patch_id, cover_id, patch_comment_id,"
	    " cover_comment_id FROM mail WHERE id = $1 FOR UPDATE", 1 },
	[ST_PROJECTS] = { "ingest_projects",
	    "SELECT id, linkname, listid, listemail, subject_match, use_tags"
	    " FROM project WHERE listid = ANY ($1::text[])"
	    " ORDER BY linkname", 1 },
	[ST_STATE_DEFAULT] = { "ingest_state_default",
	    "SELECT id FROM state WHERE ordering = 0", 0 },
	[ST_STATE_BY_NAME] = { "ingest_state_by_name",
	    "SELECT id FROM state WHERE upper(name) = upper($1)"
	    " ORDER BY id LIMIT 1", 1 },
	[ST_USER_BY_EMAIL] = { "ingest_user_by_email",
	    "SELECT id FROM auth_user WHERE lower(email) = lower($1)"
	    " ORDER BY id LIMIT 1", 1 },
	[ST_RULES] = { "ingest_rules",
	    "SELECT path, priority, user_id FROM delegation_rule"
	    " WHERE project_id = $1", 1 },
	[ST_TAGS] = { "ingest_tags",
	    "SELECT id, pattern FROM tag ORDER BY id", 0 },
	/* §7.3 with D1: this project only, and not this mail itself. */
	[ST_COVER_NAME_TAKEN] = { "ingest_cover_name_taken",
	    "SELECT 1 FROM cover WHERE project_id = $1 AND name = $2"
	    " AND msgid <> $3 LIMIT 1", 3 },
	/* §11.3: a new series; its references only where still unmapped. */
	[ST_SERIES_NEW] = { "ingest_series_new",
	    "WITH s AS (INSERT INTO series (project_id, date, submitter_id,"
	    " version, total) VALUES ($1, to_timestamp($2), $3, $4, $5)"
	    " RETURNING id),"
	    " r AS (INSERT INTO series_reference (project_id, series_id, msgid)"
	    " SELECT $1, s.id, m FROM s, unnest($6::text[]) AS m"
	    " ON CONFLICT (project_id, msgid) DO NOTHING)"
	    " SELECT id FROM s", 6 },
	[ST_SERIES_BY_OWN_REF] = { "ingest_series_by_own_ref",
	    "SELECT series_id FROM series_reference"
	    " WHERE project_id = $1 AND msgid = $2", 2 },
	/* §12.4: only a series without a cover; names are only upgraded. */
	[ST_SERIES_ATTACH_COVER] = { "ingest_series_attach_cover",
	    "UPDATE series s SET cover_letter_id = $2,"
	    " name = CASE WHEN s.name IS NULL OR s.name = ''"
	    " OR s.name = (SELECT p.name FROM patch p WHERE p.series_id = s.id"
	    " AND p.number = 1) THEN $3 ELSE s.name END"
	    " WHERE s.id = $1 AND s.cover_letter_id IS NULL", 3 },
	[ST_PATCH_ADD] = { "ingest_patch_add",
	    "WITH p AS (INSERT INTO patch (project_id, msgid, date, name,"
	    " submitter_id, state_id, delegate_id, series_id, number, pull_url, hash,"
	    " headers, content, diff) VALUES ($1, $2, to_timestamp($3), $4,"
	    " $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
	    " ON CONFLICT (msgid, project_id) DO NOTHING RETURNING id),"
	    /* §11.4: patch 1 names a series that has no name */
	    " n AS (UPDATE series SET name = $4 WHERE id = $8 AND $9 = 1"
	    " AND (name IS NULL OR name = '') AND EXISTS (SELECT 1 FROM p))"
	    " SELECT id FROM p", 14 },
	[ST_COVER_ADD] = { "ingest_cover_add",
	    "INSERT INTO cover (project_id, msgid, date, name, submitter_id,"
	    " headers, content) VALUES ($1, $2, to_timestamp($3), $4, $5, $6,"
	    " $7) ON CONFLICT (msgid, project_id) DO NOTHING RETURNING id", 7 },
	/* The parents alone, for an author that is not valid. */
	[ST_PARENT] = { "ingest_parent",
	    PARENT_SQL("$2", "$1")
	    " ORDER BY 1, 2, 4 DESC NULLS LAST, 5 DESC", 2 },
	[ST_PCOMMENT_ADD] = { "ingest_pcomment_add",
	    "INSERT INTO patch_comment (patch_id, msgid, date, submitter_id,"
	    " addressed, headers, content) VALUES ($1, $2, to_timestamp($3),"
	    " $4, $5, $6, $7) ON CONFLICT (msgid, patch_id) DO NOTHING"
	    " RETURNING id", 7 },
	[ST_PCOMMENT_FIND] = { "ingest_pcomment_find",
	    "SELECT id FROM patch_comment WHERE msgid = $1 AND patch_id = $2",
	    2 },
	[ST_CCOMMENT_ADD] = { "ingest_ccomment_add",
	    "INSERT INTO cover_comment (cover_id, msgid, date, submitter_id,"
	    " addressed, headers, content) VALUES ($1, $2, to_timestamp($3),"
	    " $4, $5, $6, $7) ON CONFLICT (msgid, cover_id) DO NOTHING"
	    " RETURNING id", 7 },
	[ST_CCOMMENT_FIND] = { "ingest_ccomment_find",
	    "SELECT id FROM cover_comment WHERE msgid = $1 AND cover_id = $2",
	    2 },
	/* §14, incrementally (see the top of this file). */
	[ST_TAGS_ADD] = { "ingest_tags_add",
	    "INSERT INTO patch_tag (patch_id, tag_id, count)"
	    " SELECT $1, t, c FROM unnest($2::bigint[], $3::integer[])"
	    " AS x(t, c) WHERE c > 0"
	    " ON CONFLICT (patch_id, tag_id)"
	    " DO UPDATE SET count = patch_tag.count + EXCLUDED.count", 3 },
	/*
	 * §15: series ids and msgids (a patch's series, else a cover's, in
	 * any project), kept when in this project and not the series
	 * itself.
	 */
	[ST_DEPS] = { "ingest_deps",
	    "INSERT INTO series_dependency (from_series_id, to_series_id)"
	    " SELECT DISTINCT $1::bigint, d.id FROM ("
	    " SELECT unnest($2::bigint[]) AS id UNION ALL"
	    " SELECT coalesce((SELECT p.series_id FROM patch p"
	    " WHERE p.msgid = m AND p.series_id IS NOT NULL"
	    " ORDER BY p.id LIMIT 1), (SELECT s2.id FROM cover c"
	    " JOIN series s2 ON s2.cover_letter_id = c.id WHERE c.msgid = m"
	    " ORDER BY c.id LIMIT 1)) FROM unnest($3::text[]) AS m) d"
	    " WHERE d.id <> $1::bigint AND (SELECT s.project_id FROM series s"
	    " WHERE s.id = d.id) = $4"
	    " ON CONFLICT DO NOTHING", 4 },
	/*
	 * Per connection.  Plans: every statement here is written for
	 * index lookups whatever its parameters (ANY over msgid arrays,
	 * scalar subqueries instead of joins), so we want one generic plan
	 * per statement, planned once (re-planning the parent lookup for
	 * each mail costs ~2 ms, running it 0.1 ms), and a plan that cannot
	 * turn into a scan of a whole table because the statistics were
	 * taken while it was small (an import outruns autovacuum): no
	 * sequential scans, hash or merge joins.
	 */
	[ST_SESSION] = { "ingest_session",
	    "SELECT set_config('synchronous_commit', $1, false),"
	    " set_config('plan_cache_mode', 'force_generic_plan', false),"
	    " set_config('enable_seqscan', 'off', false),"
	    " set_config('enable_hashjoin', 'off', false),"
	    " set_config('enable_mergejoin', 'off', false)", 1 },
	/* The same settings in the startup packet: ingest_session_options(). */
	/*
	 * Re-parse of a stored mail: its object takes the fields the parser
	 * derives again; nothing is written when nothing changed.
	 */
	[ST_PATCH_REFRESH] = { "ingest_patch_refresh",
	    "UPDATE patch SET name = $2, content = $3, diff = $4, hash = $5,"
	    " pull_url = $6, headers = $7 WHERE id = $1"
	    " AND (name, content, diff, hash, pull_url, headers)"
	    " IS DISTINCT FROM ($2, $3, $4, $5, $6, $7)", 7 },
	[ST_COVER_REFRESH] = { "ingest_cover_refresh",
	    "UPDATE cover SET name = $2, content = $3, headers = $4"
	    " WHERE id = $1 AND (name, content, headers)"
	    " IS DISTINCT FROM ($2, $3, $4)", 4 },
	[ST_PCOMMENT_REFRESH] = { "ingest_pcomment_refresh",
	    "UPDATE patch_comment SET content = $2, headers = $3"
	    " WHERE id = $1 AND (content, headers) IS DISTINCT FROM ($2, $3)"
	    " RETURNING patch_id", 3 },
	[ST_CCOMMENT_REFRESH] = { "ingest_ccomment_refresh",
	    "UPDATE cover_comment SET content = $2, headers = $3"
	    " WHERE id = $1 AND (content, headers) IS DISTINCT FROM ($2, $3)",
	    3 },
	/* §14 from scratch: the patch's text and its comments'. */
	[ST_TAG_TEXTS] = { "ingest_tag_texts",
	    "SELECT content FROM patch WHERE id = $1 UNION ALL"
	    " SELECT content FROM patch_comment WHERE patch_id = $1", 1 },
	[ST_TAGS_CLEAR] = { "ingest_tags_clear",
	    "DELETE FROM patch_tag WHERE patch_id = $1", 1 },

	/*
	 * The statements of the common paths are folded, so that a mail
	 * costs few round trips: a patch is journal, prelude with series
	 * search (ST_PATCH_PRELUDE_FIND), insert with a new series
	 * (ST_PATCH_ADD_NEW) and tail; a comment journal, parent with
	 * insert (ST_COMMENT_ADD) and tail.  In an import's batch the
	 * journal and tail are one statement per batch: a patch is two
	 * round trips, a comment one.
	 *
	 * Prelude: the duplicate check (§3.4) and the author (§8.3) in one;
	 * a duplicate touches no person.  Columns: the duplicate's id, the
	 * person's id (NULL for both: another delivery inserted the address
	 * meanwhile, run it again).
	 */
	[ST_PATCH_PRELUDE] = { "ingest_patch_prelude",
	    "WITH d AS (SELECT id FROM patch WHERE msgid = $3"
	    " AND project_id = $4)," PERSON_CTE("NOT EXISTS (SELECT 1 FROM d)")
	    " SELECT (SELECT id FROM d), (SELECT id FROM f UNION ALL"
	    " SELECT id FROM i LIMIT 1)", 4 },
	[ST_COVER_PRELUDE] = { "ingest_cover_prelude",
	    "WITH d AS (SELECT id FROM cover WHERE msgid = $3"
	    " AND project_id = $4)," PERSON_CTE("NOT EXISTS (SELECT 1 FROM d)")
	    " SELECT (SELECT id FROM d), (SELECT id FROM f UNION ALL"
	    " SELECT id FROM i LIMIT 1)", 4 },
	/* ST_PARENT, and the author when there is a parent. */
	[ST_PARENT_PERSON] = { "ingest_parent_person",
	    "WITH cand AS (" PARENT_SQL("$4", "$3") "),"
	    PERSON_CTE("EXISTS (SELECT 1 FROM cand)")
	    " SELECT k, msgid, id, d, c, (SELECT id FROM f UNION ALL"
	    " SELECT id FROM i LIMIT 1) FROM cand"
	    " ORDER BY 1, 2, 4 DESC NULLS LAST, 5 DESC", 4 },
	/*
	 * A reply with a valid author, in one round trip: ST_PARENT_PERSON,
	 * the parent chosen as pick_parent() does (patches before covers,
	 * then by the order of the refs, a patch or cover before a comment
	 * with that msgid, the newest such comment), and the comment
	 * inserted under it.  Columns: the parent's kind (NULL: none), its
	 * id, the author, the new comment (NULL: a duplicate, or no author:
	 * another delivery inserted the address meanwhile, run it again).
	 */
	[ST_COMMENT_ADD] = { "ingest_comment_add",
	    "WITH cand AS (" PARENT_SQL("$4", "$3") "),"
	    PERSON_CTE("EXISTS (SELECT 1 FROM cand)") ","
	    " pr AS (SELECT (SELECT id FROM f UNION ALL SELECT id FROM i"
	    " LIMIT 1) AS person),"
	    " b AS (SELECT k, id FROM cand ORDER BY k >= 2,"
	    " array_position($4::text[], msgid), k, d DESC NULLS LAST,"
	    " c DESC LIMIT 1),"
	    " pc AS (INSERT INTO patch_comment (patch_id, msgid, date,"
	    " submitter_id, addressed, headers, content)"
	    " SELECT b.id, $5, to_timestamp($6), pr.person, $7, $8, $9"
	    " FROM b, pr WHERE b.k < 2 AND pr.person IS NOT NULL"
	    " ON CONFLICT (msgid, patch_id) DO NOTHING RETURNING id),"
	    " cc AS (INSERT INTO cover_comment (cover_id, msgid, date,"
	    " submitter_id, addressed, headers, content)"
	    " SELECT b.id, $5, to_timestamp($6), pr.person, $7, $8, $9"
	    " FROM b, pr WHERE b.k >= 2 AND pr.person IS NOT NULL"
	    " ON CONFLICT (msgid, cover_id) DO NOTHING RETURNING id)"
	    " SELECT b.k, b.id, pr.person, (SELECT id FROM pc UNION ALL"
	    " SELECT id FROM cc LIMIT 1) FROM pr LEFT JOIN b ON true", 9 },
	/*
	 * ST_PATCH_PRELUDE and, for a numbered patch ($10) that is not a
	 * duplicate, ST_SERIES_FIND for the author it found ($5 the ids,
	 * $6 x, $7 version, $8 n, $9 date): one round trip.  The duplicate
	 * and the person come in every row; there is one row even without
	 * a series candidate.  A new person has no series yet, so that the
	 * search not seeing the insert of the same statement changes
	 * nothing.
	 */
	[ST_PATCH_PRELUDE_FIND] = { "ingest_patch_prelude_find",
	    "WITH d AS (SELECT id FROM patch WHERE msgid = $3"
	    " AND project_id = $4)," PERSON_CTE("NOT EXISTS (SELECT 1 FROM d)")
	    ", pr AS (SELECT (SELECT id FROM d) AS dup, (SELECT id FROM f"
	    " UNION ALL SELECT id FROM i LIMIT 1) AS person),"
	    " c AS (SELECT 0 AS k, r.msgid, r.series_id,"
	    " (SELECT s.total FROM series s WHERE s.id = r.series_id),"
	    " EXISTS (SELECT 1 FROM patch p WHERE p.series_id = r.series_id"
	    " AND p.number = $6) AS taken,"
	    " (SELECT string_agg(p.number || ':' || p.id, ',' ORDER BY p.number)"
	    " FROM patch p WHERE p.series_id = r.series_id) AS members"
	    " FROM series_reference r"
	    " WHERE $10 AND NOT EXISTS (SELECT 1 FROM d)"
	    " AND r.project_id = $4 AND r.msgid = ANY ($5::text[])"
	    " UNION ALL"
	    " (SELECT 1, NULL, s.id, s.total, false,"
	    " (SELECT string_agg(p.number || ':' || p.id, ',' ORDER BY p.number)"
	    " FROM patch p WHERE p.series_id = s.id)"
	    " FROM series s WHERE $10 AND NOT EXISTS (SELECT 1 FROM d)"
	    " AND s.submitter_id = (SELECT id FROM f)"
	    " AND s.project_id = $4 AND s.version = $7 AND s.total = $8"
	    " AND s.date BETWEEN to_timestamp($9) - interval '20 minutes'"
	    " AND to_timestamp($9) + interval '20 minutes'"
	    " AND NOT EXISTS (SELECT 1 FROM patch p WHERE p.series_id = s.id"
	    " AND p.number = $6)"
	    " ORDER BY s.date DESC, s.id DESC LIMIT 1))"
	    " SELECT pr.dup, pr.person, c.k, c.msgid, c.series_id, c.total,"
	    " c.taken, c.members FROM pr LEFT JOIN c ON true", 10 },
	/*
	 * ST_SERIES_NEW (when $15) and ST_PATCH_ADD in one: the new series
	 * takes patch 1's name at once (§11.4), which ST_PATCH_ADD's update
	 * would give it.  Returns the patch (NULL: a duplicate) and the new
	 * series.
	 */
	[ST_PATCH_ADD_NEW] = { "ingest_patch_add_new",
	    "WITH s AS (INSERT INTO series (project_id, date, submitter_id,"
	    " version, total, name) SELECT $1, to_timestamp($3), $5, $16, $17,"
	    " CASE WHEN $9 = 1 THEN $4 END WHERE $15 RETURNING id),"
	    " r AS (INSERT INTO series_reference (project_id, series_id, msgid)"
	    " SELECT $1, s.id, m FROM s, unnest($18::text[]) AS m"
	    " ON CONFLICT (project_id, msgid) DO NOTHING),"
	    " p AS (INSERT INTO patch (project_id, msgid, date, name,"
	    " submitter_id, state_id, delegate_id, series_id, number, pull_url,"
	    " hash, headers, content, diff) SELECT $1, $2, to_timestamp($3), $4,"
	    " $5, $6, $7, CASE WHEN $9 >= 1 THEN coalesce((SELECT id FROM s),"
	    " $8) END, $9, $10, $11, $12, $13, $14"
	    " ON CONFLICT (msgid, project_id) DO NOTHING RETURNING id),"
	    " n AS (UPDATE series SET name = $4 WHERE id = $8 AND NOT $15"
	    " AND $9 = 1 AND (name IS NULL OR name = '')"
	    " AND EXISTS (SELECT 1 FROM p))"
	    " SELECT (SELECT id FROM p), (SELECT id FROM s)", 18 },
	/*
	 * §11.2: kind 0, every mapped id of [own] + refs; kind 1, the most
	 * recent marker candidate with slot x free.  Each with its total,
	 * whether slot x is taken, and its patches as "number:id,...".
	 */
	[ST_SERIES_FIND] = { "ingest_series_find",
	    "SELECT 0 AS k, r.msgid, r.series_id,"
	    " (SELECT s.total FROM series s WHERE s.id = r.series_id),"
	    " EXISTS (SELECT 1 FROM patch p WHERE p.series_id = r.series_id"
	    " AND p.number = $3),"
	    " (SELECT string_agg(p.number || ':' || p.id, ',' ORDER BY p.number)"
	    " FROM patch p WHERE p.series_id = r.series_id)"
	    " FROM series_reference r"
	    " WHERE r.project_id = $1 AND r.msgid = ANY ($2::text[])"
	    " UNION ALL"
	    " (SELECT 1, NULL, s.id, s.total, false,"
	    " (SELECT string_agg(p.number || ':' || p.id, ',' ORDER BY p.number)"
	    " FROM patch p WHERE p.series_id = s.id)"
	    " FROM series s WHERE s.submitter_id = $4"
	    " AND s.project_id = $1 AND s.version = $5 AND s.total = $6"
	    " AND s.date BETWEEN to_timestamp($7) - interval '20 minutes'"
	    " AND to_timestamp($7) + interval '20 minutes'"
	    " AND NOT EXISTS (SELECT 1 FROM patch p WHERE p.series_id = s.id"
	    " AND p.number = $3)"
	    " ORDER BY s.date DESC, s.id DESC LIMIT 1)", 7 },
	/*
	 * The end of every mail: its events (§16, in order: ids follow the
	 * order), the tag counts it adds (§14, incrementally), and its
	 * journal entry's outcome.
	 */
	[ST_TAIL] = { "ingest_tail",
	    "WITH ev AS (INSERT INTO event (category, project_id, date,"
	    " patch_id, series_id, cover_id, patch_comment_id,"
	    " cover_comment_id)"
	    " SELECT e.c, $5, clock_timestamp(), e.p, e.s, e.v, e.pc, e.cc"
	    " FROM unnest($12::text[], $13::bigint[], $14::bigint[],"
	    " $15::bigint[], $16::bigint[], $17::bigint[]) WITH ORDINALITY"
	    " AS e(c, p, s, v, pc, cc, n) ORDER BY e.n),"
	    " tg AS (INSERT INTO patch_tag (patch_id, tag_id, count)"
	    " SELECT $18, t, c FROM unnest($19::bigint[], $20::integer[])"
	    " AS x(t, c) WHERE $18::bigint IS NOT NULL AND c > 0"
	    " ON CONFLICT (patch_id, tag_id)"
	    " DO UPDATE SET count = patch_tag.count + EXCLUDED.count)"
	    " UPDATE mail SET processed_at = now(), status = $2, reason = $3,"
	    " list_id = $4, project_id = $5, msgid = $6, subject = $7,"
	    " patch_id = $8, cover_id = $9, patch_comment_id = $10,"
	    " cover_comment_id = $11 WHERE id = $1", 20 },
	/*
	 * Batches: which mails of the batch were journaled before, by
	 * digest (hex); their ids and statuses.
	 */
	[ST_JOURNAL_LOOKUP] = { "ingest_journal_lookup",
	    "SELECT encode(sha256, 'hex'), id, status FROM mail"
	    " WHERE sha256 = ANY (ARRAY(SELECT decode(h, 'hex')"
	    " FROM unnest($2::text[]) AS h)) AND forced_list_id = $1", 2 },
	/*
	 * Batches: the tails of all the batch's mails, in one statement at
	 * the end of the batch (batch_tail_flush): the events in order, the
	 * tag counts summed per patch and tag, and each mail's journal entry
	 * whole, written once instead of an insert before and an update
	 * after.  An entry that exists (left failed or no_project, or
	 * written meanwhile by another delivery) is updated unless its
	 * outcome is final (then no row comes back for it).  The raw bytes
	 * come as one binary bytea[] ($17).
	 */
	[ST_BATCH_TAIL] = { "ingest_batch_tail",
	    "WITH ev AS (INSERT INTO event (category, project_id, date,"
	    " patch_id, series_id, cover_id, patch_comment_id,"
	    " cover_comment_id)"
	    " SELECT e.c, e.j, clock_timestamp(), e.p, e.s, e.v, e.pc, e.cc"
	    " FROM unnest($1::text[], $2::bigint[], $3::bigint[],"
	    " $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])"
	    " WITH ORDINALITY AS e(c, j, p, s, v, pc, cc, n) ORDER BY e.n),"
	    " tg AS (INSERT INTO patch_tag (patch_id, tag_id, count)"
	    " SELECT p, t, sum(c) FROM unnest($8::bigint[], $9::bigint[],"
	    " $10::integer[]) AS x(p, t, c) WHERE c > 0 GROUP BY p, t"
	    " ON CONFLICT (patch_id, tag_id)"
	    " DO UPDATE SET count = patch_tag.count + EXCLUDED.count)"
	    " INSERT INTO mail (sha256, forced_list_id, envelope_from,"
	    " envelope_to, size, raw, processed_at, status, reason, list_id,"
	    " project_id, msgid, subject, patch_id, cover_id,"
	    " patch_comment_id, cover_comment_id, attempts, refs)"
	    " SELECT decode(m.h, 'hex'), $11, m.ef, m.et, m.sz, m.raw, now(),"
	    " m.st, m.re, m.li, m.j, m.mi, m.su, m.p, m.v, m.pc, m.cc, m.at,"
	    " m.rf::text[]"
	    " FROM unnest($12::text[], $13::text[], $14::text[],"
	    " $15::integer[], $16::text[], $17::bytea[], $18::text[],"
	    " $19::text[], $20::bigint[], $21::text[], $22::text[],"
	    " $23::bigint[], $24::bigint[], $25::bigint[], $26::bigint[],"
	    " $27::integer[], $28::text[])"
	    " WITH ORDINALITY AS m(h, ef, et, sz, st, raw, re, li, j, mi, su,"
	    " p, v, pc, cc, at, rf, n) ORDER BY m.n"
	    " ON CONFLICT (sha256, forced_list_id) DO UPDATE"
	    " SET processed_at = now(), status = EXCLUDED.status,"
	    " reason = EXCLUDED.reason, list_id = EXCLUDED.list_id,"
	    " project_id = EXCLUDED.project_id, msgid = EXCLUDED.msgid,"
	    " subject = EXCLUDED.subject, patch_id = EXCLUDED.patch_id,"
	    " cover_id = EXCLUDED.cover_id,"
	    " patch_comment_id = EXCLUDED.patch_comment_id,"
	    " cover_comment_id = EXCLUDED.cover_comment_id,"
	    " attempts = mail.attempts + EXCLUDED.attempts,"
	    " refs = EXCLUDED.refs"
	    " WHERE mail.status IN ('pending', 'failed', 'no_project')"
	    " RETURNING encode(sha256, 'hex'), id", 28 },
	/* A reply without a parent keeps its refs (sql/0004). */
	[ST_ORPHAN_NOTE] = { "ingest_orphan_note",
	    "UPDATE mail SET refs = $2::text[] WHERE id = $1", 2 },
	/*
	 * The recent ones among them that name any of $2.  Only the GIN
	 * index on refs keeps this cheap (a busy list drops thousands of
	 * replies a month): the MATERIALIZED CTE asks for the references
	 * alone, so no B-tree on status or project can be chosen to filter
	 * every dropped entry of the window (sql/0006).
	 */
	[ST_ORPHANS] = { "ingest_orphans",
	    "WITH c AS MATERIALIZED (SELECT id, msgid, project_id, status,"
	    " received_at FROM mail WHERE refs IS NOT NULL"
	    " AND refs && $2::text[])"
	    " SELECT id, msgid FROM c WHERE status = 'dropped'"
	    " AND project_id = $1"
	    " AND received_at > now() - make_interval(days => $3)"
	    " ORDER BY id LIMIT 1000", 3 },
	/*
	 * Whether entry $1 may be parsed again now that $2 is here: $2 is
	 * its first ref (In-Reply-To: nothing can come that beats it), or
	 * every one of its refs is here (§13 then picks what in-order
	 * delivery would have picked).  Otherwise wait for the rest.
	 */
	[ST_ORPHAN_READY] = { "ingest_orphan_ready",
	    "SELECT m.refs[1] = ANY ($2::text[]) OR NOT EXISTS ("
	    " SELECT 1 FROM unnest(m.refs) AS r(id)"
	    " WHERE NOT EXISTS (SELECT 1 FROM patch p WHERE p.msgid = r.id"
	    " AND p.project_id = $3)"
	    " AND NOT EXISTS (SELECT 1 FROM cover v WHERE v.msgid = r.id"
	    " AND v.project_id = $3)"
	    " AND NOT EXISTS (SELECT 1 FROM patch_comment c WHERE c.msgid = r.id"
	    " AND (SELECT p.project_id FROM patch p WHERE p.id = c.patch_id) = $3)"
	    " AND NOT EXISTS (SELECT 1 FROM cover_comment c WHERE c.msgid = r.id"
	    " AND (SELECT v.project_id FROM cover v WHERE v.id = c.cover_id) = $3))"
	    " FROM mail m WHERE m.id = $1 AND m.status = 'dropped'", 3 },
	/* What the planner believes the size of the patch table to be. */
	[ST_RELTUPLES] = { "ingest_reltuples",
	    "SELECT greatest(reltuples, 0)::bigint FROM pg_class"
	    " WHERE oid = 'patch'::regclass", 0 },
};

/* ---- caches: a few seconds ---------------------------------- */

struct project {
	int64_t		 id;
	char		*linkname;
	char		*listid;
	char		*listemail;
	char		*subject_match;
	int		 use_tags;
	int		 rules_loaded;
	struct delegate_rule *rules;
	size_t		 nrules;
};

struct ingest_cache {
	struct project	*proj;
	size_t		 nproj;
	char		**seen;		/* list ids already looked up */
	size_t		 nseen;
	int64_t		 default_state;	/* 0: not loaded, -1: none */
	int		 tags_loaded;
	struct tagset	*tags;
	int64_t		*tag_ids;
	char		**tag_patterns;
	size_t		 ntags;
	int64_t		*locked;	/* projects locked in this transaction */
	size_t		 nlocked;
	time_t		 loaded;	/* when the cache was last emptied */
	int		 session;	/* backend pid the settings were made on */
	struct arena	 arena;		/* per mail */
};

static void
project_free_rules(struct project *p)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		free((char *)p->rules[i].path);
	free(p->rules);
	p->rules = NULL;
	p->nrules = 0;
	p->rules_loaded = 0;
}

/*
 * Projects, their delegation rules, the default state and the tag table
 * change rarely and are read by nearly every mail; a long LMTP session or
 * an import reads them again after CACHE_TTL seconds, not per mail.  (A
 * project created meanwhile is seen that much later: its mails until then
 * are journaled as no_project, and `pw mail reparse --no-project` takes
 * them.)
 */
#define CACHE_TTL	10

/* Forget everything read from the database. */
static void
cache_reset(struct ingest_cache *ch)
{
	size_t i;

	for (i = 0; i < ch->nproj; i++) {
		free(ch->proj[i].linkname);
		free(ch->proj[i].listid);
		free(ch->proj[i].listemail);
		free(ch->proj[i].subject_match);
		project_free_rules(&ch->proj[i]);
	}
	free(ch->proj);
	ch->proj = NULL;
	ch->nproj = 0;
	for (i = 0; i < ch->nseen; i++)
		free(ch->seen[i]);
	free(ch->seen);
	ch->seen = NULL;
	ch->nseen = 0;
	ch->default_state = 0;
	ch->tags_loaded = 0;	/* the compiled set is kept if unchanged */
}

static void
cache_free_tags(struct ingest_cache *ch)
{
	size_t i;

	tagset_free(ch->tags);
	for (i = 0; i < ch->ntags; i++)
		free(ch->tag_patterns[i]);
	free(ch->tag_patterns);
	free(ch->tag_ids);
	ch->tags = NULL;
	ch->tag_patterns = NULL;
	ch->tag_ids = NULL;
	ch->ntags = 0;
}

/* ---- the per-mail context ----------------------------------------------- */

struct batch_item;

struct ev {
	const char	*cat;
	int64_t		 patch, series, cover, pcomment, ccomment;
};

struct ctx {
	struct ingest		*ing;
	struct db		*db;
	const struct ingest_mail *m;
	struct ingest_result	*r;
	const char		*forced;	/* forced list id or NULL */
	int64_t			 mail_id;
	int			 reparse;
	int			 deferred;	/* batch: journal written by the tail */
	struct batch_item	*item;		/* batch: this mail's item */
	struct parsed_mail	*pre;		/* batch: parsed ahead, or NULL */
	char			 prev_status[16];	/* reparse: row's status */
	int64_t			 row_obj[INGEST_KIND_MAX];	/* reparse */
	struct parsed_mail	 pm;
	int			 parsed;
	struct project		*proj;
	const char		*list_id;	/* the one that matched */
	int64_t			 person;
	int			 tempfail;	/* a non-database TEMPFAIL */
	struct ev		*ev;
	size_t			 nev;
	size_t			 evcap;
	int64_t			 obj[INGEST_KIND_MAX];
	int64_t			 tag_patch;	/* counts for the tail */
	struct buf		 tag_ids;
	struct buf		 tag_counts;
	int			 orphan;	/* a reply dropped without parent */
};

static void
set_reason(struct ingest_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_reason(struct ingest_result *r, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	/* one line: Postfix may quote it */
	for (i = 0; r->reason[i] != '\0'; i++)
		if ((unsigned char)r->reason[i] < 0x20)
			r->reason[i] = ' ';
}

static void
ev_add(struct ctx *c, const char *cat, int64_t patch, int64_t series,
    int64_t cover, int64_t pcomment, int64_t ccomment)
{
	if (c->nev == c->evcap) {
		c->evcap = c->evcap ? 2 * c->evcap : 8;
		c->ev = xreallocarray(c->ev, c->evcap, sizeof(*c->ev));
	}
	c->ev[c->nev++] = (struct ev){ cat, patch, series, cover, pcomment,
	    ccomment };
}

/* ---- PostgreSQL array literals ------------------------------------------ */

static void
array_add_text(struct buf *b, const char *s, size_t len)
{
	size_t i;

	buf_addc(b, b->len > 0 ? ',' : '{');
	buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(b, '\\');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

static void
array_add_i64(struct buf *b, int64_t v)
{
	buf_addc(b, b->len > 0 ? ',' : '{');
	if (v == 0)
		buf_adds(b, "NULL");
	else
		buf_addf(b, "%lld", (long long)v);
}

static const char *
array_end(struct buf *b)
{
	if (b->len == 0)
		buf_addc(b, '{');
	buf_addc(b, '}');
	return b->s;
}

/* Append a msgid truncated to 255 characters, unless already there. */
static void
ids_add(char ***v, size_t *n, const char *s)
{
	size_t i, len = text_prefix_len(s, strlen(s), MAX_FIELD);

	for (i = 0; i < *n; i++)
		if (strlen((*v)[i]) == len && memcmp((*v)[i], s, len) == 0)
			return;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrndup(s, len);
}

static void
ids_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *
ids_array(struct buf *b, char *const *v, size_t n)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		array_add_text(b, v[i], strlen(v[i]));
	return array_end(b);
}

/* ---- small queries ------------------------------------------------------ */

/* One id from a one-column query: 1 found, 0 none, -1 failure. */
static int
query_id(struct ctx *c, enum stmt st, const struct dbparam *p, int np,
    int64_t *id)
{
	struct dbres *r;

	*id = 0;
	if ((r = db_exec(c->db, &stmts[st], p, np)) == NULL)
		return -1;
	if (dbres_rows(r) == 0 || dbres_isnull(r, 0, 0))
		return 0;
	*id = dbres_i64(r, 0, 0);
	return 1;
}

static int
lock_project(struct ctx *c)
{
	struct ingest_cache *ch = c->ing->cache;
	size_t i;

	for (i = 0; i < ch->nlocked; i++)
		if (ch->locked[i] == c->proj->id)
			return 0;
	if (db_xact_lock(c->db, INGEST_LOCK_PROJECT(c->proj->id)) == -1)
		return -1;
	ch->locked = xreallocarray(ch->locked, ch->nlocked + 1,
	    sizeof(*ch->locked));
	ch->locked[ch->nlocked++] = c->proj->id;
	return 0;
}

/* §4: look the candidate list ids up, those not yet in the cache. */
static int
load_projects(struct ctx *c)
{
	struct ingest_cache *ch = c->ing->cache;
	struct buf a = BUF_INIT;
	struct dbres *r;
	size_t i, j, k, nnew = 0;
	int rc = -1;

	buf_reset(&a);
	for (i = 0; i < c->pm.nlistids; i++) {
		for (j = 0; j < ch->nseen; j++)
			if (strcmp(ch->seen[j], c->pm.listids[i]) == 0)
				break;
		if (j < ch->nseen)
			continue;
		array_add_text(&a, c->pm.listids[i], strlen(c->pm.listids[i]));
		nnew++;
		ch->seen = xreallocarray(ch->seen, ch->nseen + 1,
		    sizeof(*ch->seen));
		ch->seen[ch->nseen++] = xstrdup(c->pm.listids[i]);
	}
	if (nnew == 0) {
		rc = 0;
		goto out;
	}
	array_end(&a);
	if ((r = db_run(c->db, &stmts[ST_PROJECTS], DB_STR(a.s))) == NULL)
		goto out;
	k = (size_t)dbres_rows(r);
	ch->proj = xreallocarray(ch->proj, ch->nproj + k + 1,
	    sizeof(*ch->proj));
	for (i = 0; i < k; i++) {
		struct project *p = &ch->proj[ch->nproj++];

		memset(p, 0, sizeof(*p));
		p->id = dbres_i64(r, (int)i, 0);
		p->linkname = xstrdup(dbres_str(r, (int)i, 1));
		p->listid = xstrdup(dbres_str(r, (int)i, 2));
		p->listemail = xstrdup(dbres_str(r, (int)i, 3));
		p->subject_match = xstrdup(dbres_str(r, (int)i, 4));
		p->use_tags = dbres_bool(r, (int)i, 5);
	}
	rc = 0;
out:
	buf_release(&a);
	return rc;
}

/*
 * §4: for each candidate list id in order, the first project (by
 * linkname) whose subject_match matches the subject, else the one with
 * no subject_match.  0 with c->proj set or NULL; -1 on failure.
 */
static int
find_project(struct ctx *c)
{
	struct ingest_cache *ch = c->ing->cache;
	struct project *def, *p;
	size_t i, j;
	int m;

	c->proj = NULL;
	if (load_projects(c) == -1)
		return -1;
	/* the cache keeps the query's linkname order within a list id */
	for (i = 0; i < c->pm.nlistids; i++) {
		def = NULL;
		for (j = 0; j < ch->nproj; j++) {
			p = &ch->proj[j];
			if (strcmp(p->listid, c->pm.listids[i]) != 0)
				continue;
			if (p->subject_match[0] == '\0') {
				if (def == NULL)
					def = p;
				continue;
			}
			m = subject_match(p->subject_match, c->pm.subject);
			if (m == -1) {
				log_warnx("project %s: subject_match does not "
				    "compile; skipped", p->linkname);
				continue;
			}
			if (m == 1) {
				c->proj = p;
				c->list_id = c->pm.listids[i];
				return 0;
			}
		}
		if (def != NULL) {
			c->proj = def;
			c->list_id = c->pm.listids[i];
			return 0;
		}
	}
	return 0;
}

static int
load_rules(struct ctx *c, struct project *p)
{
	struct dbres *r;
	size_t i, n;

	if (p->rules_loaded)
		return 0;
	if ((r = db_run(c->db, &stmts[ST_RULES], DB_I64(p->id))) == NULL)
		return -1;
	n = (size_t)dbres_rows(r);
	p->rules = xcalloc(n ? n : 1, sizeof(*p->rules));
	for (i = 0; i < n; i++) {
		p->rules[i].path = xstrdup(dbres_str(r, (int)i, 0));
		p->rules[i].priority = (int)dbres_i64(r, (int)i, 1);
		p->rules[i].user = dbres_i64(r, (int)i, 2);
	}
	p->nrules = n;
	p->rules_loaded = 1;
	return 0;
}

/* The tag table; the compiled set survives while the patterns do. */
static int
load_tags(struct ctx *c)
{
	struct ingest_cache *ch = c->ing->cache;
	struct dbres *r;
	size_t i, n;
	int same;

	if (ch->tags_loaded)
		return 0;
	if ((r = db_run0(c->db, &stmts[ST_TAGS])) == NULL)
		return -1;
	n = (size_t)dbres_rows(r);
	same = ch->tags != NULL && n == ch->ntags;
	for (i = 0; same && i < n; i++)
		same = ch->tag_ids[i] == dbres_i64(r, (int)i, 0) &&
		    strcmp(ch->tag_patterns[i], dbres_str(r, (int)i, 1)) == 0;
	if (!same) {
		cache_free_tags(ch);
		ch->tag_ids = xcalloc(n ? n : 1, sizeof(*ch->tag_ids));
		ch->tag_patterns = xcalloc(n ? n : 1,
		    sizeof(*ch->tag_patterns));
		for (i = 0; i < n; i++) {
			ch->tag_ids[i] = dbres_i64(r, (int)i, 0);
			ch->tag_patterns[i] = xstrdup(dbres_str(r, (int)i, 1));
		}
		ch->ntags = n;
		ch->tags = tagset_new((const char *const *)ch->tag_patterns, n);
	}
	ch->tags_loaded = 1;
	return 0;
}

/*
 * §14: the counts of text, to add to patch's tags in the tail, when the
 * project counts tags.
 */
static int
add_tags(struct ctx *c, int64_t patch, const char *text, size_t len)
{
	struct ingest_cache *ch = c->ing->cache;
	unsigned *cnt;
	size_t i;

	if (!c->proj->use_tags)
		return 0;
	if (load_tags(c) == -1)
		return -1;
	if (ch->ntags == 0)
		return 0;
	cnt = xcalloc(ch->ntags, sizeof(*cnt));
	tagset_count(ch->tags, text, len, cnt);
	for (i = 0; i < ch->ntags; i++) {
		if (cnt[i] == 0)
			continue;
		array_add_i64(&c->tag_ids, ch->tag_ids[i]);
		buf_addc(&c->tag_counts, c->tag_counts.len > 0 ? ',' : '{');
		buf_addf(&c->tag_counts, "%u", cnt[i]);
		c->tag_patch = patch;
	}
	free(cnt);
	return 0;
}

/*
 * §3.4 and §8.3: a prelude statement (ST_*_PRELUDE), the duplicate's id
 * into *dup, or the author into c->person.  Run again when another
 * delivery inserted the address meanwhile.
 */
static int
prelude(struct ctx *c, enum stmt st, int64_t *dup)
{
	const struct mail_person *au = &c->pm.author;
	struct dbres *r;
	int i;

	for (i = 0; i < 2; i++) {
		r = db_run(c->db, &stmts[st], DB_STR(au->email),
		    DB_STR(au->name), DB_STR(c->pm.msgid), DB_I64(c->proj->id));
		if (r == NULL)
			return -1;
		*dup = dbres_i64(r, 0, 0);
		c->person = dbres_i64(r, 0, 1);
		if (*dup != 0 || c->person != 0)
			return 0;
	}
	c->tempfail = 1;
	set_reason(c->r, "person %s: lost an insert race twice", au->email);
	return -1;
}

/* §9.1 */
static int
initial_state(struct ctx *c, int64_t *state)
{
	struct ingest_cache *ch = c->ing->cache;
	int found;

	if (c->pm.hint_state != NULL) {
		found = query_id(c, ST_STATE_BY_NAME, (struct dbparam[]){
		    DB_STR(c->pm.hint_state) }, 1, state);
		if (found != 0)
			return found == -1 ? -1 : 0;
	}
	if (ch->default_state == 0) {
		found = query_id(c, ST_STATE_DEFAULT, NULL, 0, state);
		if (found == -1)
			return -1;
		ch->default_state = found ? *state : -1;
	}
	if (ch->default_state == -1) {
		/* a configuration fault: keep the mail queued (§9.1) */
		c->tempfail = 1;
		set_reason(c->r, "no default patch state (ordering 0)");
		return -1;
	}
	*state = ch->default_state;
	return 0;
}

/* §9.2 */
static int
find_delegate(struct ctx *c, int64_t *user)
{
	int64_t u;
	int found;

	*user = 0;
	if (c->pm.hint_delegate != NULL) {
		found = query_id(c, ST_USER_BY_EMAIL, (struct dbparam[]){
		    DB_STR(c->pm.hint_delegate) }, 1, user);
		if (found != 0)
			return found == -1 ? -1 : 0;
	}
	if (c->pm.diff == NULL || c->pm.nfiles == 0)
		return 0;
	if (load_rules(c, c->proj) == -1)
		return -1;
	if (c->proj->nrules == 0)
		return 0;
	u = delegate_by_files(c->proj->rules, c->proj->nrules, c->pm.files,
	    c->pm.nfiles);
	*user = u > 0 ? u : 0;
	return 0;
}

/*
 * §14 recomputed for one patch (a re-parse changed a text): the patch's
 * content and every comment's, counted afresh.
 */
static int
recount_tags(struct ctx *c, int64_t patch)
{
	struct ingest_cache *ch = c->ing->cache;
	struct buf ids = BUF_INIT, counts = BUF_INIT;
	unsigned *sum = NULL, *cnt = NULL;
	struct dbres *r;
	size_t i;
	int row, rc = -1;

	if (!c->proj->use_tags)
		return 0;
	if (load_tags(c) == -1 || db_run_do(c->db, &stmts[ST_TAGS_CLEAR],
	    DB_I64(patch)) == -1)
		return -1;
	if (ch->ntags == 0)
		return 0;
	if ((r = db_run(c->db, &stmts[ST_TAG_TEXTS], DB_I64(patch))) == NULL)
		return -1;
	sum = xcalloc(ch->ntags, sizeof(*sum));
	cnt = xcalloc(ch->ntags, sizeof(*cnt));
	for (row = 0; row < dbres_rows(r); row++) {
		const char *t = dbres_str(r, row, 0);

		if (t == NULL)
			continue;
		tagset_count(ch->tags, t, strlen(t), cnt);
		for (i = 0; i < ch->ntags; i++)
			sum[i] += cnt[i];
	}
	for (i = 0; i < ch->ntags; i++) {
		array_add_i64(&ids, ch->tag_ids[i]);
		buf_addc(&counts, counts.len > 0 ? ',' : '{');
		buf_addf(&counts, "%u", sum[i]);
	}
	array_end(&ids);
	array_end(&counts);
	if (db_run_do(c->db, &stmts[ST_TAGS_ADD], DB_I64(patch), DB_STR(ids.s),
	    DB_STR(counts.s)) == -1)
		goto out;
	rc = 0;
out:
	free(sum);
	free(cnt);
	buf_release(&ids);
	buf_release(&counts);
	return rc;
}

/*
 * A re-parse found the object this journal entry made: give it the
 * fields the parser derives now.  1 if anything changed.
 */
static int
refresh(struct ctx *c, enum ingest_kind kind, int64_t id)
{
	struct parsed_mail *pm = &c->pm;
	struct dbres *r = NULL;
	int64_t changed;

	switch (kind) {
	case INGEST_PATCH:
		r = db_run(c->db, &stmts[ST_PATCH_REFRESH], DB_I64(id),
		    DB_STR(pm->name), DB_STR(pm->content), DB_STR(pm->diff),
		    pm->diff != NULL ? DB_STR(pm->hash) : DB_NULL,
		    DB_STR(pm->pull_url), DB_STR(pm->headers));
		break;
	case INGEST_COVER:
		r = db_run(c->db, &stmts[ST_COVER_REFRESH], DB_I64(id),
		    DB_STR(pm->name), DB_STR(pm->content), DB_STR(pm->headers));
		break;
	case INGEST_PATCH_COMMENT:
		r = db_run(c->db, &stmts[ST_PCOMMENT_REFRESH], DB_I64(id),
		    DB_STR(pm->content), DB_STR(pm->headers));
		break;
	case INGEST_COVER_COMMENT:
		r = db_run(c->db, &stmts[ST_CCOMMENT_REFRESH], DB_I64(id),
		    DB_STR(pm->content), DB_STR(pm->headers));
		break;
	default:
		return 0;
	}
	if (r == NULL)
		return -1;
	changed = dbres_affected(r);
	if (changed && kind == INGEST_PATCH && recount_tags(c, id) == -1)
		return -1;
	if (changed && kind == INGEST_PATCH_COMMENT &&
	    recount_tags(c, dbres_i64(r, 0, 0)) == -1)
		return -1;
	return changed > 0;
}

static int
duplicate(struct ctx *c, enum ingest_kind kind, int64_t id)
{
	int changed;

	c->r->status = INGEST_DUPLICATE;
	c->r->kind = kind;
	c->r->object_id = id;
	c->obj[kind] = id;
	if (c->reparse && id != 0 && c->row_obj[kind] == id &&
	    strcmp(c->prev_status, "stored") == 0) {
		/* the entry's own object: re-derive it */
		if ((changed = refresh(c, kind, id)) == -1)
			return -1;
		set_reason(c->r, "%s %s already stored; %s",
		    ingest_kind_names[kind], c->pm.msgid,
		    changed ? "fields re-derived" : "unchanged");
		return 0;
	}
	set_reason(c->r, "%s %s already stored", ingest_kind_names[kind],
	    c->pm.msgid);
	return 0;
}

static int
author_ok(struct ctx *c)
{
	if (c->pm.author.error == NULL)
		return 1;
	c->r->status = INGEST_MALFORMED;
	set_reason(c->r, "%s", c->pm.author.error);
	return 0;
}

/* §15: the mail's Depends-on lines, for its series. */
static int
add_deps(struct ctx *c, int64_t series)
{
	struct buf ids = BUF_INIT, msgids = BUF_INIT;
	size_t i;
	int rc;

	if (c->pm.ndeps == 0 || series == 0)
		return 0;
	for (i = 0; i < c->pm.ndeps; i++) {
		const struct dep *d = &c->pm.deps[i];

		if (d->kind == DEP_SERIES)
			array_add_i64(&ids, d->series);
		else
			array_add_text(&msgids, d->msgid, strlen(d->msgid));
	}
	array_end(&ids);
	array_end(&msgids);
	rc = db_run_do(c->db, &stmts[ST_DEPS], DB_I64(series), DB_STR(ids.s),
	    DB_STR(msgids.s), DB_I64(c->proj->id));
	buf_release(&ids);
	buf_release(&msgids);
	return rc;
}

/* ---- series (§11) ------------------------------------------------------ */

/* The patches of a series as "number:id,..." (ST_SERIES_FIND). */
struct members {
	int		*num;
	int64_t		*id;
	int		 n;
};

static void
members_parse(struct members *mb, const char *s)
{
	char *end;

	mb->n = 0;
	if (s == NULL || *s == '\0')
		return;
	mb->num = xcalloc(strlen(s) / 4 + 2, sizeof(*mb->num));
	mb->id = xcalloc(strlen(s) / 4 + 2, sizeof(*mb->id));
	while (*s) {
		mb->num[mb->n] = (int)strtol(s, &end, 10);
		if (*end != ':')
			break;
		mb->id[mb->n++] = strtoll(end + 1, &end, 10);
		s = *end == ',' ? end + 1 : end;
	}
}

/*
 * §11.2-§11.3 for a numbered patch, from the rows of the series search
 * (columns off + 0..5 of ST_PATCH_PRELUDE_FIND: kind, msgid, series,
 * total, slot taken, members; kind NULL in a row without a candidate):
 * the series to join, or 0 to create one; its total and its patches.
 */
static void
series_pick(struct ctx *c, const struct dbres *r, int off, int64_t *series,
    int64_t *total, struct members *mb)
{
	struct parsed_mail *pm = &c->pm;
	char **ids = NULL;
	size_t nids = 0, i;
	int row, rows, best = -1;

	*series = 0;
	*total = 0;
	ids_add(&ids, &nids, pm->msgid);
	for (i = 0; i < pm->nrefs; i++)
		ids_add(&ids, &nids, pm->refs[i]);
	/* the first id, in order, that is mapped gives the only candidate */
	rows = dbres_rows(r);
	for (i = 0; i < nids && best == -1; i++)
		for (row = 0; row < rows; row++)
			if (!dbres_isnull(r, row, off) &&
			    dbres_i64(r, row, off) == 0 &&
			    strcmp(dbres_str(r, row, off + 1), ids[i]) == 0) {
				best = row;
				break;
			}
	/* else the markers' candidate */
	for (row = 0; row < rows && best == -1; row++)
		if (!dbres_isnull(r, row, off) && dbres_i64(r, row, off) == 1)
			best = row;
	if (best != -1 && !dbres_bool(r, best, off + 4)) {
		*series = dbres_i64(r, best, off + 2);
		*total = dbres_i64(r, best, off + 3);
		members_parse(mb, dbres_str(r, best, off + 5));
	}
	ids_free(ids, nids);
}

/*
 * §3.4, §8.3 and, for a numbered patch, the series search of §11.2
 * (ST_PATCH_PRELUDE_FIND): the duplicate's id into *dup, the author into
 * c->person, the search's rows returned (NULL on failure).  Run again
 * when another delivery inserted the address meanwhile.
 */
static struct dbres *
prelude_find(struct ctx *c, int numbered, int x, int n, int64_t *dup)
{
	const struct mail_person *au = &c->pm.author;
	struct parsed_mail *pm = &c->pm;
	struct buf a = BUF_INIT;
	struct dbres *r = NULL;
	char **ids = NULL;
	size_t nids = 0, k;
	int i;

	ids_add(&ids, &nids, pm->msgid);
	for (k = 0; k < pm->nrefs; k++)
		ids_add(&ids, &nids, pm->refs[k]);
	ids_array(&a, ids, nids);
	for (i = 0; i < 2; i++) {
		r = db_run(c->db, &stmts[ST_PATCH_PRELUDE_FIND],
		    DB_STR(au->email), DB_STR(au->name), DB_STR(pm->msgid),
		    DB_I64(c->proj->id), DB_STR(a.s), DB_I64(x),
		    DB_I64(pm->version), DB_I64(n), DB_I64(pm->date),
		    DB_BOOL(numbered));
		if (r == NULL)
			break;
		*dup = dbres_i64(r, 0, 0);
		c->person = dbres_i64(r, 0, 1);
		if (*dup != 0 || c->person != 0)
			break;
		dbres_free(r);
		r = NULL;
	}
	ids_free(ids, nids);
	buf_release(&a);
	if (r == NULL && i == 2) {
		c->tempfail = 1;
		set_reason(c->r, "person %s: lost an insert race twice",
		    au->email);
	}
	return r;
}

/* A new series, with the given thread ids mapped to it where free. */
static int
series_create(struct ctx *c, int n, char *const *ids, size_t nids,
    int64_t *series)
{
	struct buf a = BUF_INIT;
	int found;

	found = query_id(c, ST_SERIES_NEW, (struct dbparam[]){
	    DB_I64(c->proj->id), DB_I64(c->pm.date), DB_I64(c->person),
	    DB_I64(c->pm.version), DB_I64(n),
	    DB_STR(ids_array(&a, ids, nids)) }, 6, series);
	buf_release(&a);
	if (found == 0) {
		c->db->err = DB_OTHER;
		return errorx("series insert returned nothing");
	}
	return found == -1 ? -1 : 0;
}

/* ---- patches (§9-§11, §16) ------------------------------------------- */

static int
store_patch(struct ctx *c)
{
	struct parsed_mail *pm = &c->pm;
	int numbered = pm->has_marker && pm->n != 0;
	int x = numbered ? pm->x : 1, n = numbered ? pm->n : 1;
	int64_t series = 0, total = 0, state, delegate, id, dup, newseries;
	int created = 0, i, below, rc = -1;
	struct members mb = { NULL, NULL, 0 };
	struct buf a = BUF_INIT;
	struct dbres *r;
	char **ids = NULL;
	size_t nids = 0, k;

	if (!author_ok(c))
		return 0;
	if (lock_project(c) == -1)
		return -1;
	if ((r = prelude_find(c, numbered, x, n, &dup)) == NULL)
		return -1;
	if (dup != 0) {
		dbres_free(r);
		return duplicate(c, INGEST_PATCH, dup);
	}
	if (initial_state(c, &state) == -1 ||
	    find_delegate(c, &delegate) == -1) {
		dbres_free(r);
		return -1;
	}

	/* §11.1: an unnumbered patch never searches */
	if (numbered)
		series_pick(c, r, 2, &series, &total, &mb);
	dbres_free(r);
	if (series == 0) {
		for (k = 0; k < pm->nrefs; k++)
			ids_add(&ids, &nids, pm->refs[k]);
		ids_add(&ids, &nids, pm->msgid);
		ids_array(&a, ids, nids);
		ids_free(ids, nids);
		created = 1;
		total = n;
	}

	/* §11.4: x = 0 joins no series; a new series is made here too */
	r = db_run(c->db, &stmts[ST_PATCH_ADD_NEW],
	    DB_I64(c->proj->id), DB_STR(pm->msgid), DB_I64(pm->date),
	    DB_STR(pm->name), DB_I64(c->person), DB_I64(state),
	    DB_ID(delegate), DB_ID(series), x >= 1 ? DB_I64(x) : DB_NULL,
	    DB_STR(pm->pull_url),
	    pm->diff != NULL ? DB_STR(pm->hash) : DB_NULL,
	    DB_STR(pm->headers), DB_STR(pm->content), DB_STR(pm->diff),
	    DB_BOOL(created), DB_I64(pm->version), DB_I64(n),
	    DB_STR(created ? a.s : "{}"));
	buf_release(&a);
	if (r == NULL)
		goto out;
	id = dbres_i64(r, 0, 0);
	newseries = dbres_i64(r, 0, 1);
	dbres_free(r);
	if (created) {
		if (newseries == 0) {
			c->db->err = DB_OTHER;
			errorx("series insert returned nothing");
			goto out;
		}
		series = newseries;
	}
	if (id == 0) {
		/* only without the lock's protection: report it the same */
		rc = duplicate(c, INGEST_PATCH, 0);
		goto out;
	}
	c->obj[INGEST_PATCH] = id;
	c->r->status = INGEST_STORED;
	c->r->kind = INGEST_PATCH;
	c->r->object_id = id;

	/* §16, in the reference's order */
	ev_add(c, "patch-created", id, 0, 0, 0, 0);
	if (created)
		ev_add(c, "series-created", 0, series, 0, 0, 0);
	if (x >= 1) {
		for (i = 0, below = 0; i < mb.n; i++)
			if (mb.num[i] < x)
				below++;
		if (below == x - 1) {
			ev_add(c, "patch-completed", id, series, 0, 0, 0);
			for (i = 0; i < mb.n && mb.num[i] <= x; i++)
				;
			for (k = (size_t)x + 1; i < mb.n && mb.num[i] == (int)k;
			    i++, k++)
				ev_add(c, "patch-completed", mb.id[i], series,
				    0, 0, 0);
		}
		if (mb.n + 1 >= total)
			ev_add(c, "series-completed", 0, series, 0, 0, 0);
	}
	if (add_tags(c, id, pm->content, pm->content_len) == -1)
		goto out;
	if (add_deps(c, series) == -1)
		goto out;
	rc = 0;
out:
	free(mb.num);
	free(mb.id);
	return rc;
}

/* ---- cover letters (§12) ----------------------------------------------- */

static int
store_cover(struct ctx *c)
{
	struct parsed_mail *pm = &c->pm;
	int64_t series = 0, id;
	char *own[1], *sname;
	int found, created = 0, rc;

	if (!author_ok(c))
		return 0;
	if (lock_project(c) == -1 || prelude(c, ST_COVER_PRELUDE, &id) == -1)
		return -1;
	if (id != 0)
		return duplicate(c, INGEST_COVER, id);
	/* only through its own msgid, never by refs or markers */
	found = query_id(c, ST_SERIES_BY_OWN_REF, (struct dbparam[]){
	    DB_I64(c->proj->id), DB_STR(pm->msgid) }, 2, &series);
	if (found == -1)
		return -1;
	if (!found) {
		own[0] = pm->msgid;
		if (series_create(c, pm->n, own, 1, &series) == -1)
			return -1;
		created = 1;
	}
	found = query_id(c, ST_COVER_ADD, (struct dbparam[]){
	    DB_I64(c->proj->id), DB_STR(pm->msgid), DB_I64(pm->date),
	    DB_STR(pm->name), DB_I64(c->person), DB_STR(pm->headers),
	    DB_STR(pm->content) }, 7, &id);
	if (found == -1)
		return -1;
	if (found == 0)
		return duplicate(c, INGEST_COVER, 0);
	c->obj[INGEST_COVER] = id;
	c->r->status = INGEST_STORED;
	c->r->kind = INGEST_COVER;
	c->r->object_id = id;
	if (created)
		ev_add(c, "series-created", 0, series, 0, 0, 0);
	ev_add(c, "cover-created", 0, 0, id, 0, 0);
	sname = subject_series_name(pm->name);
	rc = db_run_do(c->db, &stmts[ST_SERIES_ATTACH_COVER], DB_I64(series),
	    DB_I64(id), DB_STR(sname));
	free(sname);
	if (rc == -1)
		return -1;
	return add_deps(c, series);
}

/* ---- comments (§13) ---------------------------------------------------- */

/*
 * §13: for each ref in order, the object of kind k (a patch or cover)
 * with that msgid, else the parent of the most recent comment of kind
 * k + 1 with it.  0 if none.
 */
static int64_t
pick_parent(const struct dbres *r, char *const *ids, size_t nids, int k)
{
	int row, rows = dbres_rows(r), kind;
	size_t i;

	for (i = 0; i < nids; i++)
		for (kind = k; kind <= k + 1; kind++)
			for (row = 0; row < rows; row++)
				if (dbres_i64(r, row, 0) == kind &&
				    strcmp(dbres_str(r, row, 1), ids[i]) == 0)
					return dbres_i64(r, row, 2);
	return 0;
}

/*
 * §13 for a reply whose author is valid: parent, author and comment in
 * one statement (ST_COMMENT_ADD).  0 with *parent (0: none), *is_patch
 * and *id (0: a duplicate) set, or -1.
 */
static int
comment_add(struct ctx *c, char *const *ids, size_t nids, int64_t *parent,
    int *is_patch, int64_t *id)
{
	struct parsed_mail *pm = &c->pm;
	struct buf a = BUF_INIT;
	struct dbres *r = NULL;
	int attempt;

	ids_array(&a, ids, nids);
	for (attempt = 0; attempt < 2; attempt++) {
		r = db_run(c->db, &stmts[ST_COMMENT_ADD],
		    DB_STR(pm->author.email), DB_STR(pm->author.name),
		    DB_I64(c->proj->id), DB_STR(a.s), DB_STR(pm->msgid),
		    DB_I64(pm->date),
		    pm->action_required ? DB_BOOL(0) : DB_NULL,
		    DB_STR(pm->headers), DB_STR(pm->content));
		if (r == NULL)
			break;
		*parent = dbres_isnull(r, 0, 0) ? 0 : dbres_i64(r, 0, 1);
		*is_patch = *parent != 0 && dbres_i64(r, 0, 0) < 2;
		c->person = dbres_i64(r, 0, 2);
		*id = dbres_i64(r, 0, 3);
		if (*parent == 0 || c->person != 0)
			break;
		/* another delivery inserted the address: again */
	}
	buf_release(&a);
	return r == NULL ? -1 : 0;
}

/*
 * §13's candidates for the refs (and the author, once there is a parent):
 * the parent into *parent (0: none), *is_patch.  0 or -1.
 */
static int
find_parent(struct ctx *c, char *const *ids, size_t nids, int64_t *parent,
    int *is_patch)
{
	struct parsed_mail *pm = &c->pm;
	struct buf a = BUF_INIT;
	struct dbres *r = NULL;
	int attempt, valid = pm->author.error == NULL;

	*parent = 0;
	*is_patch = 0;
	for (attempt = 0; attempt < 2; attempt++) {
		if (valid)
			r = db_run(c->db, &stmts[ST_PARENT_PERSON],
			    DB_STR(pm->author.email), DB_STR(pm->author.name),
			    DB_I64(c->proj->id),
			    DB_STR(ids_array(&a, ids, nids)));
		else
			r = db_run(c->db, &stmts[ST_PARENT], DB_I64(c->proj->id),
			    DB_STR(ids_array(&a, ids, nids)));
		if (r == NULL)
			break;
		c->person = valid ? dbres_i64(r, 0, 5) : 0;
		if (dbres_rows(r) == 0 || !valid || c->person != 0)
			break;
		/* another delivery inserted the address: again */
	}
	buf_release(&a);
	if (r == NULL)
		return -1;
	/* patches (kinds 0, 1) by ref order, then covers (2, 3) */
	*parent = pick_parent(r, ids, nids, 0);
	*is_patch = *parent != 0;
	if (*parent == 0)
		*parent = pick_parent(r, ids, nids, 2);
	return 0;
}

static int
store_comment(struct ctx *c)
{
	struct parsed_mail *pm = &c->pm;
	char **ids = NULL;
	size_t nids = 0, i;
	int64_t parent = 0, id = 0;
	int is_patch = 0, found, rc = 0, valid = pm->author.error == NULL;
	enum stmt find;
	enum ingest_kind kind;

	for (i = 0; i < pm->nrefs; i++)
		ids_add(&ids, &nids, pm->refs[i]);
	/* with a valid author the comment is inserted with its parent */
	if (nids > 0)
		rc = valid ? comment_add(c, ids, nids, &parent, &is_patch, &id) :
		    find_parent(c, ids, nids, &parent, &is_patch);
	/*
	 * No parent yet: look again under the project's lock, which every
	 * patch and cover letter holds until its commit.  Either the parent
	 * committed before we got the lock, and this finds it, or its
	 * delivery takes the lock after our commit, and then sees this
	 * reply dropped with its refs (orphans_adopt()).  Nothing is missed
	 * in between.
	 */
	if (rc == 0 && nids > 0 && parent == 0) {
		rc = lock_project(c);
		if (rc == 0)
			rc = valid ? comment_add(c, ids, nids, &parent,
			    &is_patch, &id) :
			    find_parent(c, ids, nids, &parent, &is_patch);
	}
	ids_free(ids, nids);
	if (rc == -1)
		return -1;
	if (parent == 0) {
		c->r->status = INGEST_DROPPED;
		c->orphan = nids > 0;
		set_reason(c->r, "reply to an unknown message");
		return 0;
	}
	if (!author_ok(c))
		return 0;
	if (c->person == 0) {
		c->tempfail = 1;
		set_reason(c->r, "person %s: lost an insert race twice",
		    pm->author.email);
		return -1;
	}

	kind = is_patch ? INGEST_PATCH_COMMENT : INGEST_COVER_COMMENT;
	find = is_patch ? ST_PCOMMENT_FIND : ST_CCOMMENT_FIND;
	/* an invalid author stopped above: the comment was added, or not */
	if (id == 0) {
		found = query_id(c, find, (struct dbparam[]){
		    DB_STR(pm->msgid), DB_I64(parent) }, 2, &id);
		if (found == -1)
			return -1;
		return duplicate(c, kind, id);
	}
	c->obj[kind] = id;
	c->r->status = INGEST_STORED;
	c->r->kind = kind;
	c->r->object_id = id;
	if (is_patch) {
		ev_add(c, "patch-comment-created", parent, 0, 0, id, 0);
		return add_tags(c, parent, pm->content, pm->content_len);
	}
	ev_add(c, "cover-comment-created", 0, 0, parent, 0, id);
	return 0;
}

/* ---- one mail ----------------------------------------------------------- */

static void sha256(const void *, size_t, unsigned char[32]);
static void batch_tail_add(struct ctx *, const char *status);

/* The mail's events, tag counts and journal outcome (ST_TAIL). */
static int
tail(struct ctx *c)
{
	struct ingest_result *r = c->r;
	const char *status = ingest_status_names[r->status];
	struct buf cat = BUF_INIT, a[5] = { BUF_INIT, BUF_INIT, BUF_INIT,
	    BUF_INIT, BUF_INIT };
	size_t i;
	int rc;

	/* re-parsing a stored mail finds its objects: it stays stored */
	if (c->reparse && r->status == INGEST_DUPLICATE &&
	    strcmp(c->prev_status, "stored") == 0)
		status = "stored";
	if (c->deferred) {
		/* written with the rest of the batch: batch_tail_flush() */
		batch_tail_add(c, status);
		return 0;
	}
	for (i = 0; i < c->nev; i++) {
		array_add_text(&cat, c->ev[i].cat, strlen(c->ev[i].cat));
		array_add_i64(&a[0], c->ev[i].patch);
		array_add_i64(&a[1], c->ev[i].series);
		array_add_i64(&a[2], c->ev[i].cover);
		array_add_i64(&a[3], c->ev[i].pcomment);
		array_add_i64(&a[4], c->ev[i].ccomment);
	}
	array_end(&cat);
	for (i = 0; i < 5; i++)
		array_end(&a[i]);
	array_end(&c->tag_ids);
	array_end(&c->tag_counts);
	rc = db_run_do(c->db, &stmts[ST_TAIL], DB_I64(c->mail_id),
	    DB_STR(status), DB_STR(r->reason[0] ? r->reason : NULL),
	    DB_STR(c->list_id), DB_ID(c->proj ? c->proj->id : 0),
	    DB_STR(c->parsed ? c->pm.msgid : NULL),
	    DB_STR(c->parsed ? c->pm.subject : NULL),
	    DB_ID(c->obj[INGEST_PATCH]), DB_ID(c->obj[INGEST_COVER]),
	    DB_ID(c->obj[INGEST_PATCH_COMMENT]),
	    DB_ID(c->obj[INGEST_COVER_COMMENT]),
	    DB_STR(cat.s), DB_STR(a[0].s), DB_STR(a[1].s), DB_STR(a[2].s),
	    DB_STR(a[3].s), DB_STR(a[4].s), DB_ID(c->tag_patch),
	    DB_STR(c->tag_ids.s), DB_STR(c->tag_counts.s));
	buf_release(&cat);
	for (i = 0; i < 5; i++)
		buf_release(&a[i]);
	return rc;
}

static void
sha256(const void *p, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	EVP_Digest(p, len, out, &n, EVP_sha256(), NULL);
}

/* A reply dropped for want of a parent: keep its refs (sql/0004). */
static int
orphan_note(struct ctx *c)
{
	struct buf a = BUF_INIT;
	char **ids = NULL;
	size_t nids = 0, i;
	int rc;

	if (!c->orphan || c->mail_id == 0 || c->r->status != INGEST_DROPPED)
		return 0;
	for (i = 0; i < c->pm.nrefs; i++)
		ids_add(&ids, &nids, c->pm.refs[i]);
	rc = db_run_do(c->db, &stmts[ST_ORPHAN_NOTE], DB_I64(c->mail_id),
	    DB_STR(ids_array(&a, ids, nids)));
	ids_free(ids, nids);
	buf_release(&a);
	return rc;
}

/* Journal the mail; 1 when its bytes were already handled. */
static int
journal_add(struct ctx *c)
{
	const struct ingest_mail *m = c->m;
	unsigned char digest[32];
	const unsigned char *sum = m->sha256;
	size_t size = m->size > m->len ? m->size : m->len;
	struct dbres *r;
	const char *st;

	if (sum == NULL) {
		sha256(m->bytes, m->len, digest);
		sum = digest;
	}
	r = db_run(c->db, &stmts[ST_JOURNAL_ADD], DB_BYTEA(sum, 32),
	    DB_STR(c->forced ? c->forced : ""), DB_STR(m->envelope_from),
	    DB_STR(m->envelope_to), DB_I64((int64_t)size),
	    m->size > m->len ? DB_NULL : DB_BYTEA(m->bytes, m->len));
	if (r == NULL)
		return -1;
	c->mail_id = dbres_i64(r, 0, 0);
	c->r->mail_id = c->mail_id;
	st = dbres_str(r, 0, 1);
	if (dbres_i64(r, 0, 2) == 1 || strcmp(st, "pending") == 0 ||
	    strcmp(st, "failed") == 0 || strcmp(st, "no_project") == 0)
		return 0;
	c->r->status = INGEST_DUPLICATE;
	c->r->redelivered = 1;
	set_reason(c->r, "already received (journal entry %lld, %s)",
	    (long long)c->mail_id, st);
	return 1;
}

/*
 * Everything for one mail inside an open transaction.  0 with c->r
 * filled, or -1 (a statement failed: c->db->err; or c->tempfail).
 */
static int
process(struct ctx *c)
{
	struct ingest *ing = c->ing;
	struct parsed_mail *pm = &c->pm;
	struct parse_opts po;
	const struct ingest_mail *m = c->m;
	size_t size = m->size > m->len ? m->size : m->len;
	int rc;

	if (!c->reparse && !c->deferred) {
		if ((rc = journal_add(c)) != 0)
			return rc == 1 ? 0 : -1;
	}
	if (m->size > m->len) {
		c->r->status = INGEST_MALFORMED;
		set_reason(c->r, "too big: %zu bytes", size);
		return tail(c);
	}

	if (c->pre != NULL) {
		/* parsed while the server ran the previous mail's statements */
		*pm = *c->pre;
		free(c->pre);
		c->pre = NULL;
	} else {
		memset(&po, 0, sizeof(po));
		po.list_id = c->forced;
		po.base_path = ing->opts.base_path;
		po.ignore_auto_submitted = ing->opts.ignore_auto_submitted;
		mail_parse(pm, m->bytes, m->len, &po);
	}
	c->parsed = 1;
	if (pm->cls == MAIL_MALFORMED) {
		c->r->status = INGEST_MALFORMED;
		set_reason(c->r, "%s", pm->error ? pm->error : "unparseable");
		return tail(c);
	}
	if (pm->cls == MAIL_IGNORED) {
		c->r->status = INGEST_IGNORED;
		set_reason(c->r, "%s", pm->error ? pm->error : "ignored");
		return tail(c);
	}
	if (find_project(c) == -1)
		return -1;
	if (c->proj == NULL) {
		c->r->status = INGEST_NO_PROJECT;
		if (pm->nlistids == 0)
			set_reason(c->r, "no list id");
		else
			set_reason(c->r, "no project for list id %s",
			    pm->listids[0]);
		return tail(c);
	}
	c->r->project_id = c->proj->id;
	mail_set_project(pm, c->proj->linkname, c->proj->listemail);
	if (pm->meta_error != NULL) {
		c->r->status = INGEST_MALFORMED;
		set_reason(c->r, "%s", pm->meta_error);
		return tail(c);
	}

	switch (pm->cls) {
	case MAIL_EMPTY:
		c->r->status = INGEST_DROPPED;
		set_reason(c->r, "no content");
		rc = 0;
		break;
	case MAIL_PATCH:
	case MAIL_PULL:
		rc = store_patch(c);
		break;
	case MAIL_COVER:
		rc = store_cover(c);
		break;
	case MAIL_COVER_OR_COMMENT:
		/* §7.3, D1: a known cover name makes it a reply */
		if (lock_project(c) == -1)
			return -1;
		rc = query_id(c, ST_COVER_NAME_TAKEN, (struct dbparam[]){
		    DB_I64(c->proj->id), DB_STR(pm->name), DB_STR(pm->msgid) },
		    3, &(int64_t){ 0 });
		if (rc == -1)
			return -1;
		rc = rc ? store_comment(c) : store_cover(c);
		break;
	case MAIL_COMMENT:
		rc = store_comment(c);
		break;
	default:
		c->r->status = INGEST_MALFORMED;
		set_reason(c->r, "unexpected class %d", (int)pm->cls);
		rc = 0;
		break;
	}
	if (rc == -1 || tail(c) == -1)
		return -1;
	return orphan_note(c);
}

static void
ctx_init(struct ctx *c, struct ingest *ing, const struct ingest_mail *m,
    struct ingest_result *r)
{
	memset(c, 0, sizeof(*c));
	memset(r, 0, sizeof(*r));
	c->ing = ing;
	c->db = ing->db;
	c->m = m;
	c->r = r;
	c->forced = ing->opts.list_id;
	buf_init(&c->tag_ids, 0);
	buf_init(&c->tag_counts, 0);
}

static void
ctx_release(struct ctx *c)
{
	if (c->parsed)
		mail_release(&c->pm);
	if (c->pre != NULL) {
		mail_release(c->pre);
		free(c->pre);
		c->pre = NULL;
	}
	free(c->ev);
	c->ev = NULL;
	c->nev = c->evcap = 0;
	c->parsed = 0;
	buf_release(&c->tag_ids);
	buf_release(&c->tag_counts);
	c->tag_patch = 0;
	c->orphan = 0;
}

/* Run process() with the per-mail arena for results. */
static int
process_mail(struct ctx *c)
{
	struct ingest_cache *ch = c->ing->cache;
	struct arena *saved = c->db->arena;
	int rc;

	c->db->arena = &ch->arena;
	rc = process(c);
	c->db->arena = saved;
	arena_reset(&ch->arena);
	return rc;
}

/* ---- transactions ------------------------------------------------------- */

/* Worth trying again later (exit 75): a failure of the server's, not ours. */
static int
db_temporary(const struct db *db)
{
	return db->err == DB_UNAVAILABLE ||
	    strncmp(db->sqlstate, "53", 2) == 0 ||	/* resources */
	    strncmp(db->sqlstate, "58", 2) == 0;	/* system, I/O */
}

static int
tx_begin(struct ingest *ing)
{
	struct ingest_cache *ch = ing->cache;

	if (db_ensure(ing->db) == -1)
		return -1;
	/* a new connection (the PGconn pointer may be reused) */
	if (!(ing->opts.session_preset && ing->db->options_sent) &&
	    ch->session != PQbackendPID(ing->db->conn)) {
		if (db_run_do(ing->db, &stmts[ST_SESSION],
		    DB_STR(ing->opts.durable ? "on" : "off")) == -1)
			return -1;
		ch->session = PQbackendPID(ing->db->conn);
	}
	ch->nlocked = 0;	/* transaction-scoped */
	if (time(NULL) - ch->loaded >= CACHE_TTL) {
		cache_reset(ch);
		ch->loaded = time(NULL);
	}
	return db_begin(ing->db);
}

const char *
ingest_session_options(int durable)
{
	/* ST_SESSION's settings, for db.options */
	return durable ? "-c synchronous_commit=on"
	    " -c plan_cache_mode=force_generic_plan -c enable_seqscan=off"
	    " -c enable_hashjoin=off -c enable_mergejoin=off" :
	    "-c synchronous_commit=off"
	    " -c plan_cache_mode=force_generic_plan -c enable_seqscan=off"
	    " -c enable_hashjoin=off -c enable_mergejoin=off";
}

static void
account(struct ingest *ing, const struct ingest_result *r)
{
	ing->count[r->status]++;
	if (r->status == INGEST_STORED)
		ing->stored[r->kind]++;
	if (r->status != INGEST_TEMPFAIL)
		ing->committed++;
}

/* After a rollback for our own error: keep the mail as 'failed'. */
static int
journal_failed(struct ingest *ing, struct ctx *c)
{
	const struct ingest_mail *m = c->m;
	unsigned char digest[32];
	const unsigned char *sum = m->sha256;
	size_t size = m->size > m->len ? m->size : m->len;
	struct dbres *r;
	char reason[sizeof(c->r->reason)];

	snprintf(reason, sizeof(reason), "%s", c->r->reason);
	if (sum == NULL) {
		sha256(m->bytes, m->len, digest);
		sum = digest;
	}
	if (db_begin(ing->db) == -1)
		return -1;
	r = db_run(ing->db, &stmts[ST_JOURNAL_FAIL], DB_BYTEA(sum, 32),
	    DB_STR(c->forced ? c->forced : ""), DB_STR(m->envelope_from),
	    DB_STR(m->envelope_to), DB_I64((int64_t)size),
	    m->size > m->len ? DB_NULL : DB_BYTEA(m->bytes, m->len),
	    DB_STR(reason), DB_STR(c->parsed ? c->pm.msgid : NULL),
	    DB_STR(c->parsed ? c->pm.subject : NULL));
	if (r == NULL) {
		db_rollback(ing->db);
		return -1;
	}
	c->r->mail_id = dbres_i64(r, 0, 0);
	dbres_free(r);
	return db_commit(ing->db);
}

/* Describe a database failure in the result. */
static void
db_reason(struct ctx *c)
{
	if (c->tempfail)
		return;		/* already says why */
	set_reason(c->r, "database: %s [%s]",
	    c->db->errmsg ? c->db->errmsg : "error", c->db->sqlstate);
}

static int
reparse(struct ingest *ing, int64_t mail_id, const char *only_status,
    struct ingest_result *res);

/*
 * Replies that came before what they answer (sql/0004): once a patch or
 * cover letter with msgid is committed in project, the recent entries
 * dropped for want of a parent whose refs name it are parsed again, each
 * in its own transaction, and so on for the comments they become (a
 * reply to a reply); each only when ST_ORPHAN_READY says the parent §13
 * picks now is the one it would have picked in order (a reply to a patch
 * of a series also names the cover letter, which must not take it when
 * the patch comes later).  What store_comment() does under the project's lock
 * makes sure no such reply is missed when both race.  Failures are
 * logged; the mail that triggered this is committed whatever happens.
 */
#define ORPHAN_DAYS	30	/* "recent" */
#define ORPHAN_MAX	1000	/* re-parses after one mail, at most */

static void
orphans_adopt(struct ingest *ing, int64_t project, const char *msgid)
{
	struct ingest_result res;
	struct buf a = BUF_INIT;
	struct dbres *r;
	char **todo = NULL, *one[1];
	int64_t *ids = NULL;
	char **found = NULL;
	size_t ntodo = 0, next = 0, done = 0, n, i;
	int stop = 0;

	ids_add(&todo, &ntodo, msgid);
	while (!stop && next < ntodo && done < ORPHAN_MAX) {
		one[0] = todo[next++];
		r = db_run(ing->db, &stmts[ST_ORPHANS], DB_I64(project),
		    DB_STR(ids_array(&a, one, 1)), DB_I64(ORPHAN_DAYS));
		if (r == NULL)
			break;
		n = (size_t)dbres_rows(r);
		ids = xreallocarray(ids, n ? n : 1, sizeof(*ids));
		found = xreallocarray(found, n ? n : 1, sizeof(*found));
		for (i = 0; i < n; i++) {
			ids[i] = dbres_i64(r, (int)i, 0);
			found[i] = xstrdup(dbres_str(r, (int)i, 1) ?
			    dbres_str(r, (int)i, 1) : "");
		}
		dbres_free(r);
		for (i = 0; i < n; i++) {
			if (stop || done++ >= ORPHAN_MAX) {
				free(found[i]);
				continue;
			}
			r = db_run(ing->db, &stmts[ST_ORPHAN_READY],
			    DB_I64(ids[i]), DB_STR(a.s), DB_I64(project));
			if (r == NULL)
				stop = 1;
			else if (dbres_rows(r) == 0 || !dbres_bool(r, 0, 0)) {
				dbres_free(r);
				free(found[i]);
				continue;
			} else
				dbres_free(r);
			if (stop)
				;
			else if (reparse(ing, ids[i], "dropped", &res) == -1 ||
			    res.status == INGEST_TEMPFAIL) {
				log_warnx("journal entry %lld, a reply that "
				    "came before %s: %s", (long long)ids[i],
				    msgid, res.reason);
				stop = 1;
			} else if (res.status == INGEST_STORED) {
				log_info("journal entry %lld: %s %s now that "
				    "%s is here", (long long)ids[i],
				    ingest_kind_names[res.kind], found[i],
				    one[0]);
				if (found[i][0] != '\0')
					ids_add(&todo, &ntodo, found[i]);
			}
			free(found[i]);
		}
	}
	ids_free(todo, ntodo);
	free(ids);
	free(found);
	buf_release(&a);
}

int
ingest_one(struct ingest *ing, const struct ingest_mail *m,
    struct ingest_result *res)
{
	struct ctx c;
	int attempt, rc = -1;

	for (attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		ctx_init(&c, ing, m, res);
		if (tx_begin(ing) == -1) {
			db_reason(&c);
			break;		/* cannot even start: TEMPFAIL */
		}
		if (process_mail(&c) == 0 && db_commit(ing->db) == 0) {
			rc = 0;
			break;
		}
		db_rollback(ing->db);
		db_reason(&c);
		if (c.tempfail || db_temporary(ing->db)) {
			if (ing->db->retryable && attempt < MAX_ATTEMPTS) {
				ctx_release(&c);
				continue;
			}
			break;
		}
		/* our error (a bug, bad data): one more try, then journal */
		if (ing->db->err == DB_DUPLICATE && attempt < MAX_ATTEMPTS) {
			ctx_release(&c);
			continue;
		}
		log_warnx("mail %s: %s; journaled as failed",
		    c.parsed && c.pm.msgid ? c.pm.msgid : "(no msgid)",
		    res->reason);
		if (journal_failed(ing, &c) == 0) {
			res->status = INGEST_FAILED;
			res->kind = INGEST_NONE;
			res->object_id = 0;
			rc = 0;
		} else
			db_reason(&c);
		break;
	}
	if (rc == -1)
		res->status = INGEST_TEMPFAIL;
	account(ing, res);
	if (rc == 0 && res->status == INGEST_STORED && c.proj != NULL &&
	    (res->kind == INGEST_PATCH || res->kind == INGEST_COVER)) {
		char *msgid = xstrdup(c.pm.msgid);
		int64_t project = c.proj->id;

		ctx_release(&c);
		orphans_adopt(ing, project, msgid);
		free(msgid);
		return rc;
	}
	ctx_release(&c);
	return rc;
}

/* ---- batches ------------------------------------------------------------ */

struct batch_item {
	size_t		 off;		/* into batch.data */
	size_t		 len;
	size_t		 size;
	int		 has_sha;
	unsigned char	 sha[32];
	size_t		 efrom, eto;	/* offsets + 1 into data, 0: NULL */
	int		 done;		/* journaled before, with a final outcome */
	int		 tailed;	/* its tail is in batch.t */
	int		 attempts;	/* copies of it in the batch */
	size_t		 dup_of;	/* a later copy: 1 + the first's index */
	struct parsed_mail *pre;	/* parsed ahead (batch_idle), or NULL */
	struct ingest_result r;
};

/*
 * The tails of a batch's mails (batch_tail_add), as PostgreSQL array
 * literals, one per column of ST_BATCH_TAIL; the columns that come from
 * the items themselves (digest, envelope, size, bytes) are added at the
 * flush.
 */
enum bt {
	BT_EV_C, BT_EV_J, BT_EV_P, BT_EV_S, BT_EV_V, BT_EV_PC, BT_EV_CC,
	BT_TG_P, BT_TG_T, BT_TG_C,
	BT_ST, BT_RE, BT_LI, BT_J, BT_MI, BT_SU, BT_P, BT_V, BT_PC, BT_CC,
	BT_RF,
	BT__MAX
};

struct batch {
	struct batch_item *item;
	size_t		 n, cap;
	size_t		 cur;		/* the item being processed */
	struct buf	 data;
	struct buf	 t[BT__MAX];
	int		 open;
	int64_t		 known;		/* patches the statistics know, -1 */
	unsigned long	 patches_at;	/* ing->stored[PATCH] then */
};

/* A text array element, or NULL. */
static void
array_add_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		buf_addc(b, b->len > 0 ? ',' : '{');
		buf_adds(b, "NULL");
	} else
		array_add_text(b, s, strlen(s));
}

/* Append the elements of a literal array_add_*() started ("{1,2"). */
static size_t
array_append_raw(struct buf *b, const struct buf *from)
{
	const char *p;
	size_t n = 0, len;

	if (from->len == 0)
		return 0;
	for (p = from->s + 1; *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",}");
		buf_addc(b, b->len > 0 ? ',' : '{');
		buf_add(b, p, len);
		n++;
		if (p[len] == '}')
			break;
	}
	return n;
}

/*
 * The end of a batch's mail (tail() with c->deferred): what ST_TAIL
 * would write, kept for one statement at the end of the batch.  Nothing
 * later in the batch reads it: the series rules read patches, covers,
 * comments, series and references, never events, tag counts or the
 * journal (whose lookup is done once, before the batch's first mail).
 */
static void
batch_tail_add(struct ctx *c, const char *status)
{
	struct batch *b = c->ing->batch;
	struct buf *t = b->t;
	int64_t proj = c->proj ? c->proj->id : 0;
	size_t i, k;

	for (i = 0; i < c->nev; i++) {
		array_add_text(&t[BT_EV_C], c->ev[i].cat, strlen(c->ev[i].cat));
		array_add_i64(&t[BT_EV_J], proj);
		array_add_i64(&t[BT_EV_P], c->ev[i].patch);
		array_add_i64(&t[BT_EV_S], c->ev[i].series);
		array_add_i64(&t[BT_EV_V], c->ev[i].cover);
		array_add_i64(&t[BT_EV_PC], c->ev[i].pcomment);
		array_add_i64(&t[BT_EV_CC], c->ev[i].ccomment);
	}
	if (c->tag_patch != 0) {
		k = array_append_raw(&t[BT_TG_T], &c->tag_ids);
		array_append_raw(&t[BT_TG_C], &c->tag_counts);
		for (i = 0; i < k; i++)
			array_add_i64(&t[BT_TG_P], c->tag_patch);
	}
	array_add_str(&t[BT_ST], status);
	array_add_str(&t[BT_RE], c->r->reason[0] ? c->r->reason : NULL);
	array_add_str(&t[BT_LI], c->list_id);
	array_add_i64(&t[BT_J], proj);
	array_add_str(&t[BT_MI], c->parsed ? c->pm.msgid : NULL);
	array_add_str(&t[BT_SU], c->parsed ? c->pm.subject : NULL);
	array_add_i64(&t[BT_P], c->obj[INGEST_PATCH]);
	array_add_i64(&t[BT_V], c->obj[INGEST_COVER]);
	array_add_i64(&t[BT_PC], c->obj[INGEST_PATCH_COMMENT]);
	array_add_i64(&t[BT_CC], c->obj[INGEST_COVER_COMMENT]);
	/* a reply dropped for want of a parent keeps its refs (orphan_note) */
	if (c->orphan && c->r->status == INGEST_DROPPED) {
		struct buf rf = BUF_INIT;
		char **ids = NULL;
		size_t nids = 0;

		for (i = 0; i < c->pm.nrefs; i++)
			ids_add(&ids, &nids, c->pm.refs[i]);
		ids_array(&rf, ids, nids);
		array_add_text(&t[BT_RF], rf.s, rf.len);
		ids_free(ids, nids);
		buf_release(&rf);
	} else
		array_add_str(&t[BT_RF], NULL);
	c->item->tailed = 1;
}

static void
be32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v >> 24, (v >> 16) & 255, (v >> 8) & 255,
	    v & 255 };

	buf_add(b, x, 4);
}

/*
 * Write the batch's tails (ST_BATCH_TAIL) and give each mail its journal
 * id; a mail whose entry was written meanwhile with a final outcome by
 * someone else gets no row back and is a duplicate, as in ingest_one().
 * The bytes travel as a binary bytea[] (array_recv's format: dimensions,
 * element type 17, then length and bytes per element, -1 for NULL).
 */
static void hexify(const unsigned char sum[32], char out[65]);

static int
batch_tail_flush(struct ingest *ing, struct batch *b)
{
	struct buf hex = BUF_INIT, ef = BUF_INIT, et = BUF_INIT, sz = BUF_INIT,
	    raw = BUF_INIT, at = BUF_INIT;
	struct buf *t = b->t;
	struct batch_item *it;
	struct dbres *r;
	char h[65];
	const char *rh;
	size_t i, j, n = 0, from = 0;
	int row, rc = -1, hasnull = 0;

	for (i = 0; i < b->n; i++)
		n += b->item[i].tailed;
	if (n == 0)
		return 0;
	be32(&raw, 1);		/* dimensions */
	be32(&raw, 0);		/* has nulls, set below */
	be32(&raw, 17);		/* bytea */
	be32(&raw, (uint32_t)n);
	be32(&raw, 1);		/* lower bound */
	for (i = 0; i < b->n; i++) {
		it = &b->item[i];
		if (!it->tailed)
			continue;
		hexify(it->sha, h);
		array_add_text(&hex, h, 64);
		array_add_str(&ef, it->efrom ? b->data.s + it->efrom - 1 : NULL);
		array_add_str(&et, it->eto ? b->data.s + it->eto - 1 : NULL);
		buf_addc(&sz, sz.len > 0 ? ',' : '{');
		buf_addf(&sz, "%zu", it->size > it->len ? it->size : it->len);
		buf_addc(&at, at.len > 0 ? ',' : '{');
		buf_addf(&at, "%d", it->attempts);
		if (it->size > it->len) {
			be32(&raw, 0xffffffffU);
			hasnull = 1;
		} else {
			be32(&raw, (uint32_t)it->len);
			buf_add(&raw, b->data.s + it->off, it->len);
		}
	}
	if (hasnull)
		raw.s[7] = 1;
	array_end(&hex);
	array_end(&ef);
	array_end(&et);
	array_end(&sz);
	array_end(&at);
	for (i = 0; i < BT__MAX; i++)
		array_end(&t[i]);
	r = db_run(ing->db, &stmts[ST_BATCH_TAIL], DB_STR(t[BT_EV_C].s),
	    DB_STR(t[BT_EV_J].s), DB_STR(t[BT_EV_P].s), DB_STR(t[BT_EV_S].s),
	    DB_STR(t[BT_EV_V].s), DB_STR(t[BT_EV_PC].s),
	    DB_STR(t[BT_EV_CC].s), DB_STR(t[BT_TG_P].s), DB_STR(t[BT_TG_T].s),
	    DB_STR(t[BT_TG_C].s),
	    DB_STR(ing->opts.list_id ? ing->opts.list_id : ""),
	    DB_STR(hex.s), DB_STR(ef.s), DB_STR(et.s), DB_STR(sz.s),
	    DB_STR(t[BT_ST].s), DB_BYTEA(raw.s, raw.len), DB_STR(t[BT_RE].s),
	    DB_STR(t[BT_LI].s), DB_STR(t[BT_J].s), DB_STR(t[BT_MI].s),
	    DB_STR(t[BT_SU].s), DB_STR(t[BT_P].s), DB_STR(t[BT_V].s),
	    DB_STR(t[BT_PC].s), DB_STR(t[BT_CC].s), DB_STR(at.s),
	    DB_STR(t[BT_RF].s));
	if (r == NULL)
		goto out;
	for (i = 0; i < b->n; i++)
		b->item[i].tailed = b->item[i].tailed ? 2 : 0;
	/* rows come back in the insert's order: search on from the last */
	for (row = 0; row < dbres_rows(r); row++) {
		rh = dbres_str(r, row, 0);
		for (j = 0; j < b->n; j++) {
			it = &b->item[(from + j) % b->n];
			if (it->tailed != 2)
				continue;
			hexify(it->sha, h);
			if (strcmp(h, rh) != 0)
				continue;
			it->r.mail_id = dbres_i64(r, row, 1);
			it->tailed = 1;
			from = (from + j + 1) % b->n;
			break;
		}
	}
	for (i = 0; i < b->n; i++) {
		it = &b->item[i];
		if (it->tailed != 2)
			continue;
		/* handled meanwhile by another delivery */
		it->tailed = 1;
		it->r.status = INGEST_DUPLICATE;
		it->r.redelivered = 1;
		it->r.mail_id = 0;
		set_reason(&it->r, "already received");
	}
	/* later copies: the entry is the first's */
	for (i = 0; i < b->n; i++)
		if (b->item[i].dup_of != 0)
			b->item[i].r.mail_id =
			    b->item[b->item[i].dup_of - 1].r.mail_id;
	dbres_free(r);
	rc = 0;
out:
	buf_release(&hex);
	buf_release(&ef);
	buf_release(&et);
	buf_release(&sz);
	buf_release(&raw);
	buf_release(&at);
	return rc;
}

/*
 * While the server runs a statement of the current mail, the client
 * parses the next one (db.idle): parsing is a pure function of the
 * bytes and the options, and this way it costs no wall time.  At most
 * one mail is parsed ahead.
 */
static void
batch_idle(void *arg)
{
	struct ingest *ing = arg;
	struct batch *b = ing->batch;
	struct batch_item *it;
	struct parse_opts po;
	size_t i;

	for (i = b->cur + 1; i < b->n; i++) {
		it = &b->item[i];
		if (it->done || it->size > it->len)
			continue;
		if (it->pre != NULL)
			return;
		memset(&po, 0, sizeof(po));
		po.list_id = ing->opts.list_id;
		po.base_path = ing->opts.base_path;
		po.ignore_auto_submitted = ing->opts.ignore_auto_submitted;
		it->pre = xcalloc(1, sizeof(*it->pre));
		mail_parse(it->pre, b->data.s + it->off, it->len, &po);
		return;
	}
}

/*
 * The same bytes twice in one batch: the second copy fares as it would
 * delivered after the first (ingest_one() finds the first's journal
 * entry): when the first matched no project, it is processed again, to
 * the same end (the batch sees the same projects), which only counts
 * another attempt on the entry; otherwise it is a duplicate.  -1 if
 * item i is the first copy.
 */
static int
batch_copy(struct batch *b, size_t i)
{
	struct batch_item *it = &b->item[i], *first;
	size_t j;

	for (j = 0; j < i; j++)
		if (b->item[j].tailed &&
		    memcmp(b->item[j].sha, it->sha, 32) == 0)
			break;
	if (j == i)
		return -1;
	first = &b->item[j];
	it->dup_of = j + 1;
	if (first->r.status == INGEST_NO_PROJECT) {
		it->r = first->r;
		first->attempts++;
		return 0;
	}
	memset(&it->r, 0, sizeof(it->r));
	it->r.status = INGEST_DUPLICATE;
	it->r.kind = first->r.kind;
	it->r.redelivered = 1;
	set_reason(&it->r, "already received (journal entry, %s)",
	    ingest_status_names[first->r.status]);
	return 0;
}

/*
 * The plans of this session were made with the statistics of the tables
 * when it started; an import into a fresh instance grows them far faster
 * than autovacuum re-analyzes them (it waits for 10% more rows, once a
 * minute at best), and a plan made on an empty patch table looks msgids
 * up through the project index: a scan of the whole project per mail.
 * So the import analyzes the tables it grows itself, each time it has
 * added as many patches as the statistics know of (about 10 times for
 * 100,000 mails into an empty instance, never for a slice of mail into
 * a large one); ANALYZE invalidates the cached plans, which are then made
 * again.
 */
static void
batch_analyze(struct ingest *ing, struct batch *b)
{
	/*
	 * Only the columns ingest looks rows up by: with a column list,
	 * ANALYZE skips expression indexes, whose statistics would mean
	 * computing patch_fts() and the like over the whole sample.
	 */
	static const char sql[] = "ANALYZE person (email),"
	    " patch (msgid, project_id, series_id, number),"
	    " cover (msgid, project_id, name),"
	    " patch_comment (msgid, patch_id), cover_comment (msgid, cover_id),"
	    " series (project_id, submitter_id, version, total, date),"
	    " series_reference (project_id, msgid, series_id)";

	unsigned long added = ing->stored[INGEST_PATCH] - b->patches_at;
	struct dbres *r;

	if (b->known < 0) {
		if ((r = db_run0(ing->db, &stmts[ST_RELTUPLES])) == NULL)
			return;
		b->known = dbres_i64(r, 0, 0);
		dbres_free(r);
	}
	if (added < 250 || (int64_t)added < b->known)
		return;
	if (db_exec_script_as(ing->db, "analyze", sql) == -1) {
		log_warnx("ANALYZE failed; the import goes on");
		return;
	}
	b->patches_at = ing->stored[INGEST_PATCH];
	b->known = -1;
}

void
ingest_batch_begin(struct ingest *ing, ingest_done_fn done, void *arg)
{
	if (ing->batch == NULL) {
		ing->batch = xcalloc(1, sizeof(struct batch));
		((struct batch *)ing->batch)->known = -1;
	}
	ing->done = done;
	ing->done_arg = arg;
}

static void
item_mail(struct batch *b, struct batch_item *it, struct ingest_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->bytes = b->data.s + it->off;
	m->len = it->len;
	m->size = it->size;
	m->sha256 = it->has_sha ? it->sha : NULL;
	m->envelope_from = it->efrom ? b->data.s + it->efrom - 1 : NULL;
	m->envelope_to = it->eto ? b->data.s + it->eto - 1 : NULL;
}

static void
batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->item[i].pre != NULL) {
			mail_release(b->item[i].pre);
			free(b->item[i].pre);
			b->item[i].pre = NULL;
		}
	for (i = 0; i < BT__MAX; i++)
		buf_reset(&b->t[i]);
	b->n = 0;
	buf_reset(&b->data);
	b->open = 0;
}

/* Deliver the batch's results (all final). */
static void
batch_report(struct ingest *ing, struct batch *b, size_t from)
{
	size_t i;

	for (i = from; i < b->n; i++) {
		account(ing, &b->item[i].r);
		if (ing->done != NULL)
			ing->done(ing->done_arg, &b->item[i].r);
	}
}

/*
 * The batch transaction failed: run its mails again, one transaction
 * each, so that one bad mail costs only itself.
 */
static int
batch_replay(struct ingest *ing, struct batch *b)
{
	struct ingest_mail m;
	size_t i;

	for (i = 0; i < b->n; i++) {
		item_mail(b, &b->item[i], &m);
		if (ingest_one(ing, &m, &b->item[i].r) == -1) {
			/* ingest_one accounted the TEMPFAIL itself */
			batch_clear(b);
			return -1;
		}
		/* ingest_one accounted; just report */
		if (ing->done != NULL)
			ing->done(ing->done_arg, &b->item[i].r);
	}
	batch_clear(b);
	return 0;
}

/* After a failed statement or COMMIT: stop (TEMPFAIL) or replay. */
static int
batch_failed(struct ingest *ing, struct batch *b, int tempfail)
{
	int retryable = ing->db->retryable;

	db_rollback(ing->db);
	b->open = 0;
	if ((tempfail || db_temporary(ing->db)) && !retryable) {
		log_warnx("batch of %zu mails rolled back: %s", b->n,
		    ing->db->errmsg ? ing->db->errmsg : "temporary failure");
		batch_clear(b);
		return -1;
	}
	return batch_replay(ing, b);
}

static void
hexify(const unsigned char sum[32], char out[65])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[sum[i] >> 4];
		out[2 * i + 1] = digits[sum[i] & 15];
	}
	out[64] = '\0';
}

/*
 * One transaction for the batch.  Its journal entries are looked up in one
 * statement first: what was handled before (a re-run of an import) costs
 * nothing more; every other mail is processed and its entry written by
 * its tail.
 */
static int
batch_run(struct ingest *ing, struct batch *b)
{
	struct buf hex = BUF_INIT;
	struct ingest_mail m;
	struct dbres *r;
	struct ctx c;
	const char *st;
	char h[65];
	size_t i;
	int row, rc, tempfail;

	if (tx_begin(ing) == -1)
		return batch_failed(ing, b, 1);
	b->open = 1;
	for (i = 0; i < BT__MAX; i++)
		buf_reset(&b->t[i]);
	for (i = 0; i < b->n; i++) {
		hexify(b->item[i].sha, h);
		array_add_text(&hex, h, 64);
		b->item[i].done = 0;
		b->item[i].tailed = 0;
		b->item[i].attempts = 1;
		b->item[i].dup_of = 0;
	}
	array_end(&hex);
	r = db_run(ing->db, &stmts[ST_JOURNAL_LOOKUP],
	    DB_STR(ing->opts.list_id ? ing->opts.list_id : ""), DB_STR(hex.s));
	buf_release(&hex);
	if (r == NULL)
		return batch_failed(ing, b, 0);
	for (row = 0; row < dbres_rows(r); row++) {
		st = dbres_str(r, row, 2);
		if (strcmp(st, "pending") == 0 || strcmp(st, "failed") == 0 ||
		    strcmp(st, "no_project") == 0)
			continue;	/* processed again */
		for (i = 0; i < b->n; i++) {
			struct batch_item *it = &b->item[i];

			hexify(it->sha, h);
			if (strcmp(h, dbres_str(r, row, 0)) != 0)
				continue;
			memset(&it->r, 0, sizeof(it->r));
			it->r.status = INGEST_DUPLICATE;
			it->r.redelivered = 1;
			it->r.mail_id = dbres_i64(r, row, 1);
			set_reason(&it->r, "already received (journal entry "
			    "%lld, %s)", (long long)it->r.mail_id, st);
			it->done = 1;
		}
	}
	dbres_free(r);

	for (i = 0; i < b->n; i++) {
		if (b->item[i].done || batch_copy(b, i) == 0)
			continue;
		item_mail(b, &b->item[i], &m);
		ctx_init(&c, ing, &m, &b->item[i].r);
		c.deferred = 1;
		c.item = &b->item[i];
		c.pre = b->item[i].pre;
		b->item[i].pre = NULL;
		b->cur = i;
		ing->db->idle = batch_idle;
		ing->db->idle_arg = ing;
		rc = process_mail(&c);
		ing->db->idle = NULL;
		tempfail = c.tempfail;
		ctx_release(&c);
		if (rc == -1)
			return batch_failed(ing, b, tempfail);
	}
	if (batch_tail_flush(ing, b) == -1 || db_commit(ing->db) == -1)
		return batch_failed(ing, b, 0);
	batch_report(ing, b, 0);
	batch_clear(b);
	batch_analyze(ing, b);
	return 0;
}

int
ingest_batch_flush(struct ingest *ing)
{
	struct batch *b = ing->batch;

	if (b == NULL || b->n == 0)
		return 0;
	return batch_run(ing, b);
}

int
ingest_batch_add(struct ingest *ing, const struct ingest_mail *m)
{
	struct batch *b = ing->batch;
	struct batch_item *it;
	struct ingest_result res;
	int rc;

	/*
	 * A very large mail goes alone, without the copy a batch keeps for
	 * a replay: memory stays at one mail, whatever its size.
	 */
	if (m->len >= ing->opts.batch_bytes / 2) {
		if (ingest_batch_flush(ing) == -1)
			return -1;
		rc = ingest_one(ing, m, &res);
		if (rc == 0 && ing->done != NULL)
			ing->done(ing->done_arg, &res);
		return rc;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->item = xreallocarray(b->item, b->cap, sizeof(*b->item));
	}
	it = &b->item[b->n++];
	memset(it, 0, sizeof(*it));
	it->off = b->data.len;
	it->len = m->len;
	buf_add(&b->data, m->bytes, m->len);
	buf_addc(&b->data, '\0');
	it->size = m->size;
	if (m->sha256 != NULL)
		memcpy(it->sha, m->sha256, 32);
	else
		sha256(m->bytes, m->len, it->sha);
	it->has_sha = 1;
	if (m->envelope_from != NULL) {
		it->efrom = b->data.len + 1;
		buf_add(&b->data, m->envelope_from,
		    strlen(m->envelope_from) + 1);
	}
	if (m->envelope_to != NULL) {
		it->eto = b->data.len + 1;
		buf_add(&b->data, m->envelope_to, strlen(m->envelope_to) + 1);
	}
	if (b->n >= (size_t)(ing->opts.batch_size > 0 ?
	    ing->opts.batch_size : 1) || b->data.len >= ing->opts.batch_bytes)
		return batch_run(ing, b);
	return 0;
}

/* ---- re-parse ----------------------------------------------------------- */

/*
 * Parse journal entry mail_id again.  With only_status set, do it only if
 * the entry, once locked, still has that status: two deliveries can both
 * find the same early reply waiting (orphans_adopt()), and the second must
 * leave what the first stored, journal note included, as it is.
 */
int
ingest_reparse(struct ingest *ing, int64_t mail_id, struct ingest_result *res)
{
	return reparse(ing, mail_id, NULL, res);
}

static int
reparse(struct ingest *ing, int64_t mail_id, const char *only_status,
    struct ingest_result *res)
{
	struct ingest_mail m;
	struct ctx c;
	struct dbres *r = NULL;
	unsigned char *raw = NULL;
	char *forced = NULL, *efrom = NULL, *eto = NULL;
	size_t len = 0;
	int attempt, rc = -1, retry;

	for (attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		memset(&m, 0, sizeof(m));
		ctx_init(&c, ing, &m, res);
		res->mail_id = mail_id;
		retry = 0;
		if (tx_begin(ing) == -1) {
			db_reason(&c);
			break;
		}
		r = db_run(ing->db, &stmts[ST_JOURNAL_GET], DB_I64(mail_id));
		if (r == NULL)
			goto fail;
		if (dbres_rows(r) == 0 || dbres_isnull(r, 0, 0)) {
			res->status = INGEST_FAILED;
			set_reason(res, dbres_rows(r) == 0 ?
			    "no journal entry %lld" :
			    "journal entry %lld has no bytes (pruned, or "
			    "too big)", (long long)mail_id);
			dbres_free(r);
			db_rollback(ing->db);
			break;
		}
		free(raw);
		free(forced);
		free(efrom);
		free(eto);
		raw = dbres_bytea(r, 0, 0, &len);
		forced = xstrdup(dbres_str(r, 0, 1));
		snprintf(c.prev_status, sizeof(c.prev_status), "%s",
		    dbres_str(r, 0, 2));
		efrom = dbres_str(r, 0, 4) ? xstrdup(dbres_str(r, 0, 4)) : NULL;
		eto = dbres_str(r, 0, 5) ? xstrdup(dbres_str(r, 0, 5)) : NULL;
		c.row_obj[INGEST_PATCH] = dbres_i64(r, 0, 6);
		c.row_obj[INGEST_COVER] = dbres_i64(r, 0, 7);
		c.row_obj[INGEST_PATCH_COMMENT] = dbres_i64(r, 0, 8);
		c.row_obj[INGEST_COVER_COMMENT] = dbres_i64(r, 0, 9);
		dbres_free(r);
		if (only_status != NULL &&
		    strcmp(c.prev_status, only_status) != 0) {
			res->status = INGEST_DUPLICATE;
			set_reason(res, "journal entry %lld is %s now, not %s",
			    (long long)mail_id, c.prev_status, only_status);
			db_rollback(ing->db);
			rc = 0;
			break;
		}
		m.bytes = (const char *)raw;
		m.len = len;
		m.envelope_from = efrom;
		m.envelope_to = eto;
		c.forced = forced[0] != '\0' ? forced : NULL;
		c.reparse = 1;
		c.mail_id = mail_id;
		if (process_mail(&c) == 0 && db_commit(ing->db) == 0) {
			rc = 0;
			break;
		}
fail:
		db_rollback(ing->db);
		db_reason(&c);
		if ((c.tempfail || db_temporary(ing->db)) &&
		    ing->db->retryable && attempt < MAX_ATTEMPTS)
			retry = 1;
		else if (!c.tempfail && !db_temporary(ing->db)) {
			/* our error: report it, leave the entry as it was */
			res->status = INGEST_FAILED;
			rc = 0;
			break;
		}
		ctx_release(&c);
		if (!retry)
			break;
	}
	if (rc == -1 && res->status != INGEST_FAILED)
		res->status = INGEST_TEMPFAIL;
	ctx_release(&c);
	free(raw);
	free(forced);
	free(efrom);
	free(eto);
	return rc;
}

/* ---- lifecycle ---------------------------------------------------------- */

void
ingest_init(struct ingest *ing, struct db *db, const struct ingest_opts *o)
{
	memset(ing, 0, sizeof(*ing));
	ing->db = db;
	if (o != NULL)
		ing->opts = *o;
	if (ing->opts.batch_size <= 0)
		ing->opts.batch_size = 1;
	if (ing->opts.batch_bytes == 0)
		ing->opts.batch_bytes = 8 << 20;
	ing->cache = xcalloc(1, sizeof(*ing->cache));
	arena_init(&ing->cache->arena);
}

void
ingest_release(struct ingest *ing)
{
	struct batch *b = ing->batch;
	size_t i;

	if (ing->cache != NULL) {
		cache_reset(ing->cache);
		free(ing->cache->locked);
		cache_free_tags(ing->cache);
		arena_release(&ing->cache->arena);
		free(ing->cache);
	}
	if (b != NULL) {
		batch_clear(b);
		free(b->item);
		buf_release(&b->data);
		for (i = 0; i < BT__MAX; i++)
			buf_release(&b->t[i]);
		free(b);
	}
	memset(ing, 0, sizeof(*ing));
}
