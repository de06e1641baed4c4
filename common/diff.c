/*
 * Diff splitter and changed-file list.  The state machine is the
 * reference's parse_patch() as the spec's table gives it (§6.5), binary
 * state included; keep the quirks, they change the hash input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diff.h"
#include "hash.h"
#include "text.h"
#include "xalloc.h"

enum split_state {
	S_TEXT,		/* commit message, comment */
	S_HDR,		/* suspected patch header (diff, Index:) */
	S_OLD,		/* seen "--- " */
	S_NEW,		/* seen "+++ ", or a hunk just ended */
	S_HUNK,		/* inside a hunk */
	S_EXT,		/* git extended header lines */
	S_BIN,		/* GIT binary patch */
};

static const char *const ext_prefixes[] = {
	"old mode ", "new mode ", "deleted file mode ", "new file mode ",
	"copy from ", "copy to ", "rename from ", "rename to ",
	"similarity index ", "dissimilarity index ", "index ",
};

static int
starts(const char *s, size_t n, const char *p, size_t plen)
{
	return n >= plen && memcmp(s, p, plen) == 0;
}

#define STARTS(s, n, lit)	starts((s), (n), (lit), sizeof(lit) - 1)

static int
is_ext(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(ext_prefixes) / sizeof(ext_prefixes[0]); i++)
		if (starts(s, n, ext_prefixes[i], strlen(ext_prefixes[i])))
			return 1;
	return 0;
}

/* Python int() of a digit string, saturating far above any line count. */
static int64_t
count_of(const char *d, size_t n)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v > INT64_C(1000000000000000))
			return v;
		v = v * 10 + (d[i] - '0');
	}
	return v;
}

/* A line is s[0..n) plus its newline (present in the input unless last). */
static void
put(struct buf *b, const char *s, size_t n, int nl_in_input)
{
	if (nl_in_input)
		buf_add(b, s, n + 1);
	else {
		buf_add(b, s, n);
		buf_addc(b, '\n');
	}
}

static void
flush(struct buf *to, struct buf *hold)
{
	buf_add(to, hold->s, hold->len);
	buf_reset(hold);
}

void
diff_split(const char *text, size_t len, struct buf *diff, struct buf *msg)
{
	struct buf hold = BUF_INIT;
	enum split_state st = S_TEXT;
	int64_t lc_old = 0, lc_new = 0, hunks = 0;
	size_t p = 0, n;
	const char *s, *nl, *o, *nw;
	size_t olen, nwlen;
	int has_nl;

	for (;;) {
		s = text + p;
		nl = memchr(s, '\n', len - p);
		n = nl ? (size_t)(nl - s) : len - p;
		has_nl = nl != NULL;

		switch (st) {
		case S_TEXT:
			if (STARTS(s, n, "diff ") || STARTS(s, n, "Index: ")) {
				put(&hold, s, n, has_nl);
				st = S_HDR;
			} else if (STARTS(s, n, "--- ")) {
				put(&hold, s, n, has_nl);
				st = S_OLD;
			} else
				put(msg, s, n, has_nl);
			break;
		case S_HDR:
			put(&hold, s, n, has_nl);
			if (STARTS(s, n, "--- "))
				st = S_OLD;
			if (is_ext(s, n))
				st = S_EXT;
			break;
		case S_OLD:
			if (STARTS(s, n, "+++ ")) {
				put(&hold, s, n, has_nl);
				st = S_NEW;
			} else if (hunks > 0) {
				put(&hold, s, n, has_nl);
				st = S_HDR;
			} else {
				flush(msg, &hold);
				put(msg, s, n, has_nl);
				st = S_TEXT;
			}
			break;
		case S_NEW:
			if (diff_hunk_header(s, n, &o, &olen, &nw, &nwlen)) {
				lc_old = count_of(o, olen);
				lc_new = count_of(nw, nwlen);
				flush(diff, &hold);
				put(diff, s, n, has_nl);
				st = S_HUNK;
			} else if (STARTS(s, n, "--- ")) {
				flush(diff, &hold);
				put(diff, s, n, has_nl);
				st = S_OLD;
			} else if (hunks > 0 &&
			    STARTS(s, n, "\\ No newline at end of file")) {
				put(diff, s, n, has_nl);
			} else if (hunks > 0) {
				put(&hold, s, n, has_nl);
				st = S_HDR;
			} else {
				flush(msg, &hold);
				put(msg, s, n, has_nl);
				st = S_TEXT;
			}
			break;
		case S_HUNK:
			if (n > 0 && s[0] == '-')
				lc_old--;
			else if (n > 0 && s[0] == '+')
				lc_new--;
			else if (STARTS(s, n, "\\ No newline at end of file"))
				;
			else {
				lc_old--;
				lc_new--;
			}
			put(diff, s, n, has_nl);
			if (lc_old <= 0 && lc_new <= 0) {
				hunks++;
				st = S_NEW;
			}
			break;
		case S_EXT:
			if (is_ext(s, n)) {
				flush(diff, &hold);
				put(diff, s, n, has_nl);
			} else if (STARTS(s, n, "--- ")) {
				flush(diff, &hold);
				put(diff, s, n, has_nl);
				st = S_OLD;
			} else if (STARTS(s, n, "GIT binary patch")) {
				flush(diff, &hold);
				put(diff, s, n, has_nl);
				st = S_BIN;
			} else {
				put(&hold, s, n, has_nl);
				st = S_HDR;
			}
			break;
		case S_BIN:
			if (STARTS(s, n, "diff")) {
				put(&hold, s, n, has_nl);
				st = S_TEXT;
			} else {
				flush(diff, &hold);
				put(diff, s, n, has_nl);
			}
			break;
		}
		if (!has_nl)
			break;
		p += n + 1;
	}
	flush(msg, &hold);
	buf_release(&hold);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
diff_files(const char *diff, size_t len, char ***filesp, size_t *np)
{
	char **files = NULL;
	size_t n = 0, cap = 0, start = 0, end = len, p, e, i, j;
	struct buf line = BUF_INIT;
	const char *nl, *tok, *slash, *l;
	size_t toklen, ll;

	text_strip(diff, &start, &end);
	for (p = start; p < end; p = e + 1) {
		nl = memchr(diff + p, '\n', end - p);
		e = nl ? (size_t)(nl - diff) : end;
		l = diff + p;
		ll = e - p;
		if (ll < 5 || (l[0] != '-' && l[0] != '+'))
			continue;
		if (memchr(l, '\r', ll) != NULL) {
			buf_reset(&line);
			for (i = 0; i < ll; i++)
				if (l[i] != '\r')
					buf_addc(&line, l[i]);
			l = line.s;
			ll = line.len;
		}
		if (!diff_filename_line(l, ll, &tok, &toklen))
			continue;
		if (toklen >= 9 && memcmp(tok, "/dev/null", 9) == 0)
			continue;
		slash = memchr(tok, '/', toklen);
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			files = xreallocarray(files, cap, sizeof(*files));
		}
		files[n++] = slash ? xstrndup(slash + 1,
		    toklen - (size_t)(slash + 1 - tok)) : xstrdup("");
	}
	buf_release(&line);
	if (n > 1)
		qsort(files, n, sizeof(*files), cmp_str);
	for (i = j = 0; i < n; i++) {
		if (j > 0 && strcmp(files[j - 1], files[i]) == 0) {
			free(files[i]);
			continue;
		}
		files[j++] = files[i];
	}
	*filesp = files;
	*np = j;
}

void
diff_files_free(char **files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(files[i]);
	free(files);
}
