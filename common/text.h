#ifndef PW_TEXT_H
#define PW_TEXT_H
/*
 * Text helpers with Python's str semantics, over UTF-8 (ingest spec §0).
 *
 * Every string the mail parser hands on is valid UTF-8: bytes come in
 * through text_add_lossy() or charset_decode(), which never produce
 * anything else.  The helpers below assume valid UTF-8 on input but never
 * read past the given length when it is not.
 *
 * "Whitespace" is Python's str.isspace() set: \t \n \v \f \r, space,
 * U+001C-U+001F, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
 * U+202F, U+205F and U+3000.  "Strip" removes it at both ends, "collapse"
 * turns each run into one space and strips.  Lengths that limit stored
 * values count code points, as PostgreSQL's varchar(n) does.
 */
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Bytes of the whitespace character at s (0 if s does not start with one). */
size_t	 text_space_len(const char *s, size_t len);
/* Bytes of the whitespace character that ends at s + len (0 if none). */
size_t	 text_space_len_back(const char *s, size_t len);
int	 text_isspace(uint32_t cp);

/*
 * Decode one code point of (assumed valid) UTF-8; returns its length
 * (at least 1 when len > 0, so loops always advance) and sets *cp.
 */
size_t	 u8_next(const char *s, size_t len, uint32_t *cp);

/* Strict UTF-8 check, as Python's decoder: no overlongs, no surrogates. */
int	 utf8_valid(const char *s, size_t len);

/*
 * Append s as UTF-8: valid sequences are copied, every byte that is not
 * part of one becomes U+FFFD (spec §2.2 D3).  NUL bytes are kept.
 */
void	 text_add_lossy(struct buf *, const char *s, size_t len);

/* Trim [*start, *end) to exclude leading and trailing whitespace. */
void	 text_strip(const char *s, size_t *start, size_t *end);

/* Append the collapsed form of s, without NUL characters. */
void	 text_add_collapsed(struct buf *, const char *s, size_t len);

/* Append s without its NUL bytes. */
void	 text_add_nonul(struct buf *, const char *s, size_t len);

/* Byte length of the first maxcp code points of s. */
size_t	 text_prefix_len(const char *s, size_t len, size_t maxcp);

/* ASCII case-insensitive prefix test; len is the length of s. */
int	 text_istarts(const char *s, size_t len, const char *prefix);

/*
 * Decode bytes in charset cs to UTF-8, appended to out (spec §6.1):
 *  - cs names a charset we know: decode strictly with it alone; 0 on
 *    success, -1 when the bytes do not decode (out is then unchanged);
 *  - cs is NULL or unknown: strict UTF-8, then windows-1252, then
 *    ISO-8859-1, which never fails; returns 0.
 * Names are matched case-insensitively, with Python's and iconv's usual
 * aliases; other charsets go through iconv(3).
 */
int	 charset_decode(struct buf *out, const char *cs, const char *in,
	    size_t len);

/* Decode strictly with cs: 0 done, -1 bytes invalid, 1 charset unknown. */
int	 charset_decode_exact(struct buf *out, const char *cs, const char *in,
	    size_t len);

#endif
