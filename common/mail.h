#ifndef PW_MAIL_H
#define PW_MAIL_H
/*
 * The parsing half of mail ingest (ingest spec §1-§15): from the raw
 * bytes of one message to everything the storing half turns into rows.
 * No database here; what needs one (the project, duplicate checks,
 * parents, series, people, states, users) is left to the caller, with
 * the inputs it needs.
 *
 * How the storing half uses it (the order matters, spec §1):
 *  1. mail_parse(&pm, bytes, len, &opts).  It never fails for bad input:
 *     pm.cls == MAIL_MALFORMED with pm.error set is a mail to keep in the
 *     raw mail journal (unreadable MIME, a missing From, Subject or
 *     Message-Id: §2.1, §3.1).
 *  2. pm.cls == MAIL_IGNORED: the hint header said so (§3.2, §3.3).
 *  3. Find the project (§4): opts.list_id if forced, else each of
 *     pm.listids in order; among the projects of a list id, match their
 *     subject_match patterns against pm.subject with subject_match().
 *     None: DROPPED.
 *  4. mail_set_project(&pm, linkname, listemail): the name, prefixes,
 *     marker and version drop the linkname (§5.1), the author is
 *     unmangled against the list address (§8.4), and the class is
 *     computed again.  (Not needed when opts.linkname was right.)
 *  5. pm.meta_error set: MALFORMED (broken Message-Id or Subject, §2.3,
 *     §5.1; an over-long pull URL, §6.6).
 *  6. By pm.cls: MAIL_EMPTY is DROPPED; MAIL_PATCH and MAIL_PULL are
 *     stored as a Patch; MAIL_COVER as a cover; MAIL_COVER_OR_COMMENT as
 *     a cover unless the project has another cover named exactly pm.name
 *     (D1), and then as a comment; MAIL_COMMENT looks for its parent
 *     through pm.refs (§13).  Before storing any object, check
 *     pm.author.error (§8.2: MALFORMED).  For a patch: the state is the
 *     one named pm.hint_state (case-insensitively), else the default
 *     (§9.1); the delegate is the user whose email is pm.hint_delegate,
 *     else delegate_by_files() over pm.files and the project's rules
 *     (§9.2); the hash is pm.hash.  Tag counts (§14) are per text: add
 *     pm.tag_counts to the patch's counts, for the patch itself or for
 *     a comment on it.
 *  7. mail_release(&pm).
 *
 * Strings are NUL-terminated valid UTF-8 (diff and content included; NULs
 * are removed as the spec says), owned by struct parsed_mail and freed by
 * mail_release().  Lengths that are limited in the database are already
 * truncated where the spec says so (msgid, name, person fields); refs are
 * not (truncate them to 255 where they are looked up or stored, §11).
 *
 * Not thread-safe: compiled patterns are cached in static storage.
 */
#include <stddef.h>
#include <stdint.h>

#include "depends.h"
#include "hash.h"

struct tagset;

enum mail_class {
	MAIL_MALFORMED,		/* pm.error says why; journal the mail */
	MAIL_IGNORED,		/* the hint (or Auto-Submitted); pm.error */
	MAIL_EMPTY,		/* neither diff nor text: DROPPED (§7.1) */
	MAIL_PATCH,		/* a patch (§7.2) */
	MAIL_PULL,		/* a Patch with pull_url, diff optional */
	MAIL_COVER,		/* x = 0, not a reply, no refs (§7.3) */
	MAIL_COVER_OR_COMMENT,	/* x = 0, not a reply, refs (§7.3, D1) */
	MAIL_COMMENT,		/* anything else: parent from refs (§7.4) */
	MAIL_CLASS_MAX
};

/* "malformed", "ignored", "empty", "patch", "pull", "cover", ... */
extern const char *const mail_class_names[MAIL_CLASS_MAX];

struct parse_opts {
	const char	*list_id;	/* forced list id (--list-id), or NULL */
	const char	*linkname;	/* the project, when already known */
	const char	*listemail;	/* its list address (§8.4), or NULL */
	struct tagset	*tags;		/* NULL: no tag counting */
	const char	*base_path;	/* site prefix for Depends-on URLs */
	int		 ignore_auto_submitted;	/* §3.3 */
	int64_t		 now;		/* "now" of §2.5; 0: time(NULL) */
};

struct mail_person {
	char		*name;		/* NULL: no name; may be "" */
	char		*email;		/* NULL only with error set */
	const char	*error;		/* no usable address (§8.1, §8.2) */
};

struct parsed_mail {
	enum mail_class	  cls;
	const char	 *error;	/* MALFORMED, IGNORED: why */
	const char	 *meta_error;	/* step 5 above */

	/* identity, threading, routing */
	char		 *msgid;	/* §2.3, NULL when broken */
	char		**refs;		/* §2.4, nearest ancestor first */
	size_t		  nrefs;
	char		**listids;	/* §4: candidate list ids, in order */
	size_t		  nlistids;
	char		 *subject;	/* clean Subject ("S" of §4) */

	/* §5: the subject, the project's linkname dropped */
	char		 *name;		/* truncated to 255 characters */
	char		**prefixes;
	size_t		  nprefixes;
	int		  reply;
	int		  has_marker;	/* x and n are valid */
	int		  x, n;
	int		  version;

	int64_t		  date;		/* §2.5: UTC, seconds since 1970 */
	int		  date_from_header;	/* 0: "now" was used */
	char		 *headers;	/* §2.6 header block */

	struct mail_person from;	/* the From header (§8.1, §8.2) */
	struct mail_person author;	/* after DMARC unmangling (§8.4) */

	/* X-Patchwork-* clean values, NULL when absent or empty */
	char		 *hint_state;		/* §9.1 */
	char		 *hint_delegate;	/* §9.2 */
	int		  action_required;	/* §13: header present */

	/* §6: the body */
	char		 *diff;		/* NULL: no diff */
	size_t		  diff_len;
	char		 *content;	/* as stored: "", LF line ends */
	size_t		  content_len;
	char		 *pull_url;	/* §6.6, NULL: none */
	char		  hash[PATCH_HASH_LEN + 1];	/* §10; "": no diff */
	char		**files;	/* §9.3: changed files, sorted */
	size_t		  nfiles;
	unsigned	 *tag_counts;	/* §14: per opts.tags pattern */
	size_t		  ntags;
	struct dep	 *deps;		/* §15: Depends-on in content */
	size_t		  ndeps;

	/* kept for mail_set_project() */
	char		 *x_original_from;
	char		**reply_to;	/* clean Reply-To, then Cc values */
	size_t		  nreply_to;
	int		  subject_ok;	/* the Subject decoded */
};

/*
 * Parse one message.  bytes may start with an mbox "From " line.
 * Returns 0 (bad input is a class, not a failure).  opts may be NULL.
 * Always mail_release() afterwards.
 */
int	mail_parse(struct parsed_mail *, const char *bytes, size_t len,
	    const struct parse_opts *);

/* Step 4 above; linkname and listemail may be NULL. */
void	mail_set_project(struct parsed_mail *, const char *linkname,
	    const char *listemail);

void	mail_release(struct parsed_mail *);

#endif
