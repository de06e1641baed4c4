#ifndef PW_MAILHDR_H
#define PW_MAILHDR_H
/*
 * Header primitives of the mail parser (ingest spec §2, §4, §8).  Pure
 * functions over byte strings; the results are valid UTF-8 without NULs.
 */
#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * The "clean header" value (§2.2): RFC 2047 decoded with Python's rules
 * for whitespace between encoded-words, raw 8-bit bytes read as UTF-8
 * where valid (D3), undecodable bytes as U+FFFD, whitespace collapsed,
 * NULs removed.  raw is the value as it appears after the colon, folding
 * included.  Appends to out; returns 0, or -1 when the reference's
 * decoder gives up (a base64 encoded-word with an impossible length),
 * which the spec calls "None".
 */
int	 hdr_clean(struct buf *out, const char *raw, size_t len);

/*
 * First "<...>" (the pattern <[^>]+>) in s: 1 and its bounds, brackets
 * included, or 0.
 */
int	 hdr_angle_first(const char *s, size_t len, size_t *start, size_t *end);

/*
 * List id from a clean List-Id/X-Mailing-List/X-list value (§4): the text
 * inside the last <...>, else the whole value when it has no whitespace.
 * Returns a malloc'ed string, or NULL when the header gives no id.
 */
char	*hdr_list_id(const char *clean);

/*
 * split_from_header() (§8.1) on a clean From-like value.  *name is NULL
 * for "no name"; both results are stripped, truncated to 255 characters
 * and malloc'ed (*email is NULL only when clean is NULL).
 */
void	 hdr_split_from(const char *clean, char **name, char **email);

/* The v3.2 address check of §8.2: 1 valid, 0 not. */
int	 hdr_email_valid(const char *email);

/*
 * Date (§2.5): Python's parsedate_tz() and mktime_tz() on a clean value,
 * zone-less dates read as UTC (D2).  0 and *t (seconds since the epoch,
 * UTC) on success, -1 when the value gives no usable date (the caller
 * then uses "now").
 */
int	 hdr_date(const char *clean, int64_t *t);

/*
 * Append one header of the stored block (§2.6), "Name: value" without a
 * newline: an ASCII raw value as it is (leading whitespace, trailing
 * newline and CRs removed, folding kept); a value with 8-bit bytes as the
 * RFC 2047 (UTF-8, base64) encoding of its clean value, folded.
 */
void	 hdr_block_add(struct buf *out, const char *name, const char *raw,
	    size_t len);

#endif
