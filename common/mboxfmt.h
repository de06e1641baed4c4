#ifndef PW_MBOXFMT_H
#define PW_MBOXFMT_H
/*
 * Writing patches and cover letters as mbox messages, the way Django
 * Patchwork's downloads do (REST spec 14.2), so that `git am` applies
 * them with the review trailers collected on the list.
 *
 * One message is:
 *   "From patchwork <asctime of the mail date>"
 *   Content-Type, MIME-Version, Content-Transfer-Encoding (7bit when the
 *   body is ASCII, else 8bit), X-Patchwork-Submitter, X-Patchwork-Id,
 *   X-Patchwork-Delegate (patches with a delegate);
 *   the stored headers in order, without Content-Type and
 *   Content-Transfer-Encoding; a From that is the list's own address
 *   (DMARC munging) becomes X-Patchwork-Original-From, followed by a From
 *   naming the submitter; a Date when none was stored;
 *   an empty line and the body: the message up to its first "---" line,
 *   the Tested-by/Reviewed-by/Acked-by/Signed-off-by/Nacked-by/
 *   Reported-by lines of every comment (in the order given), then the
 *   "---" part, then the diff.
 * Lines starting "From " in the body are not escaped (Django writes them
 * as they are).  Several messages are joined by one "\n"
 * (mboxfmt_separate()).  Header values are written as stored.
 *
 * Everything here appends to a struct buf and cannot fail.
 */
#include <stddef.h>
#include <stdint.h>

struct buf;

struct mboxfmt_msg {
	int64_t		 id;
	int64_t		 date;		/* seconds since the epoch, UTC */
	const char	*headers;	/* stored block: "Name: value\n..." */
	const char	*content;	/* may be NULL */
	const char	*diff;		/* NULL for covers and pull requests */
	const char	*submitter_name;	/* NULL or "" for none */
	const char	*submitter_email;
	const char	*delegate_email;	/* NULL: no delegate */
	const char	*list_email;	/* the project's list address */
	const char *const *comments;	/* contents, date order; NULLs skipped */
	size_t		 ncomments;
};

void	 mboxfmt_write(struct buf *, const struct mboxfmt_msg *);
/* Python's email.utils.formataddr((name, email)) with RFC 2047 names. */
void	 mboxfmt_addr(struct buf *, const char *name, const char *email);
/* The review trailers of one comment, each with its newline. */
void	 mboxfmt_trailers(struct buf *, const char *content);
/* 1 when a comment has a trailer at all (to skip fetching the others). */
int	 mboxfmt_has_trailer(const char *content);
/*
 * Django's FilenameMixin: runs of characters outside [-_A-Za-z0-9.]
 * become "-", and "-" is stripped from both ends; fallback when that
 * leaves nothing.
 */
void	 mboxfmt_filename(struct buf *, const char *name, const char *fallback);

#endif
