/*
 * Patch hash, spec §10.  One pass over the diff, no copy of it: lines are
 * normalised into a small buffer that is fed to SHA-1 in chunks.
 */
#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "text.h"
#include "xalloc.h"

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

int
diff_hunk_header(const char *s, size_t len, const char **o, size_t *olen,
    const char **n, size_t *nlen)
{
	size_t i = 4, j;

	/* ^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@ */
	if (len < 4 || memcmp(s, "@@ -", 4) != 0)
		return 0;
	if (i >= len || !isdig(s[i]))
		return 0;
	while (i < len && isdig(s[i]))
		i++;
	*o = "1";
	*olen = 1;
	if (i < len && s[i] == ',') {
		j = ++i;
		while (i < len && isdig(s[i]))
			i++;
		if (i == j)
			return 0;
		*o = s + j;
		*olen = i - j;
	}
	if (len - i < 3 || s[i] != ' ' || s[i + 1] != '+' || !isdig(s[i + 2]))
		return 0;
	i += 2;
	while (i < len && isdig(s[i]))
		i++;
	*n = "1";
	*nlen = 1;
	if (i < len && s[i] == ',') {
		j = ++i;
		while (i < len && isdig(s[i]))
			i++;
		if (i == j)
			return 0;
		*n = s + j;
		*nlen = i - j;
	}
	if (len - i < 3 || memcmp(s + i, " @@", 3) != 0)
		return 0;
	return 1;
}

int
diff_filename_line(const char *s, size_t len, const char **tok,
    size_t *toklen)
{
	size_t i = 4, n;

	if (len < 5 || (memcmp(s, "--- ", 4) != 0 && memcmp(s, "+++ ", 4) != 0))
		return 0;
	if (text_space_len(s + 4, len - 4) > 0)
		return 0;
	while (i < len && text_space_len(s + i, len - i) == 0) {
		n = 1;
		while (i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n++;
		i += n;
	}
	*tok = s + 4;
	*toklen = i - 4;
	return 1;
}

/* Python's int(): decimal digits without leading zeros. */
static void
add_count(struct buf *b, const char *d, size_t n)
{
	while (n > 1 && *d == '0') {
		d++;
		n--;
	}
	buf_add(b, d, n);
}

static void
hash_line(struct buf *out, const char *s, size_t len)
{
	const char *tok, *o, *nn;
	size_t toklen, olen, nlen;
	const char *slash;

	if (len == 0)
		return;
	if (diff_filename_line(s, len, &tok, &toklen)) {
		buf_add(out, s, 3);
		buf_adds(out, s[0] == '-' ? " a/" : " b/");
		slash = memchr(tok, '/', toklen);
		if (slash != NULL)
			buf_add(out, slash + 1, toklen - (size_t)(slash + 1 - tok));
		buf_addc(out, '\n');
	} else if (diff_hunk_header(s, len, &o, &olen, &nn, &nlen)) {
		buf_adds(out, "@@ -");
		add_count(out, o, olen);
		buf_adds(out, " +");
		add_count(out, nn, nlen);
		buf_adds(out, " @@\n");
	} else if (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
		buf_add(out, s, len);
		buf_addc(out, '\n');
	}
}

void
patch_hash(const char *diff, size_t len, char out[PATCH_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	struct buf acc = BUF_INIT, line = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t start = 0, end = len, p, e;
	const char *nl;
	EVP_MD_CTX *ctx;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1)
		xmalloc((size_t)-1);	/* aborts: no SHA-1 is no hash */
	/* CRs are whitespace, so stripping first then dropping CRs is the
	 * same as dropping CRs first and stripping */
	text_strip(diff, &start, &end);
	for (p = start; p < end; p = e + 1) {
		nl = memchr(diff + p, '\n', end - p);
		e = nl ? (size_t)(nl - diff) : end;
		if (memchr(diff + p, '\r', e - p) != NULL) {
			size_t k;

			buf_reset(&line);
			for (k = p; k < e; k++)
				if (diff[k] != '\r')
					buf_addc(&line, diff[k]);
			hash_line(&acc, line.s, line.len);
		} else
			hash_line(&acc, diff + p, e - p);
		if (acc.len >= 32768) {
			EVP_DigestUpdate(ctx, acc.s, acc.len);
			buf_reset(&acc);
		}
	}
	if (acc.len > 0)
		EVP_DigestUpdate(ctx, acc.s, acc.len);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < mdlen && i < PATCH_HASH_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[PATCH_HASH_LEN] = '\0';
	buf_release(&acc);
	buf_release(&line);
}
