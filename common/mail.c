/*
 * Mail parsing: GMime for the MIME structure and transfer decoding; the
 * reference's rules (Python's email package semantics) for everything
 * else, implemented in mailhdr.c, subject.c, diff.c, hash.c, pull.c,
 * tags.c and depends.c.  One pass over the top-level headers picks out
 * what the spec uses; one walk over the parts builds the diff and text.
 */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "diff.h"
#include "mail.h"
#include "mailhdr.h"
#include "pull.h"
#include "subject.h"
#include "tags.h"
#include "text.h"
#include "xalloc.h"

#define MAX_DEPTH	64	/* MIME nesting we follow */
#define MAX_FIELD	255	/* varchar(255) */

const char *const mail_class_names[MAIL_CLASS_MAX] = {
	[MAIL_MALFORMED] = "malformed",
	[MAIL_IGNORED] = "ignored",
	[MAIL_EMPTY] = "empty",
	[MAIL_PATCH] = "patch",
	[MAIL_PULL] = "pull",
	[MAIL_COVER] = "cover",
	[MAIL_COVER_OR_COMMENT] = "cover-or-comment",
	[MAIL_COMMENT] = "comment",
};

/* Room for element n of an array of n elements: doubles at powers of two. */
static void *
grow1(void *p, size_t n, size_t sz)
{
	if ((n & (n - 1)) == 0)
		p = xreallocarray(p, n ? 2 * n : 1, sz);
	return p;
}

/* Raw values of the top-level headers the spec reads. */
struct rawvec {
	const char	**v;
	size_t		  n;
};

struct hdrs {
	const char	*from, *subject, *msgid, *date, *hint, *state;
	const char	*delegate, *autosub, *xof;
	const char	*listid[3];	/* List-ID, X-Mailing-List, X-list */
	int		 action_required;
	struct rawvec	 irt, refs, replyto, cc;
};

static void
rawvec_add(struct rawvec *r, const char *v)
{
	r->v = grow1(r->v, r->n, sizeof(*r->v));
	r->v[r->n++] = v;
}

static void
rawvec_free(struct rawvec *r)
{
	free(r->v);
}

static void
strv_add(char ***v, size_t *n, char *s)
{
	*v = grow1(*v, *n, sizeof(**v));
	(*v)[(*n)++] = s;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Clean value as a malloc'ed string; NULL when the decoder gives up. */
static char *
clean(const char *raw)
{
	struct buf b = BUF_INIT;

	if (raw == NULL)
		return NULL;
	if (hdr_clean(&b, raw, strlen(raw)) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Clean value, NULL when absent, undecodable or empty. */
static char *
clean_nonempty(const char *raw)
{
	char *c = clean(raw);

	if (c != NULL && c[0] == '\0') {
		free(c);
		c = NULL;
	}
	return c;
}

static char *
truncated(const char *s)
{
	return xstrndup(s, text_prefix_len(s, strlen(s), MAX_FIELD));
}

/* ---- references (§2.4) --------------------------------------------- */

/* A set of strings for the "not already in the list" test. */
struct strset {
	const char	**slot;
	size_t		  cap, n;
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int
strset_add(struct strset *st, const char *s)
{
	size_t i;

	if (st->n * 2 >= st->cap) {
		struct strset big = { NULL, st->cap ? st->cap * 2 : 64, 0 };

		big.slot = xcalloc(big.cap, sizeof(*big.slot));
		for (i = 0; i < st->cap; i++)
			if (st->slot[i] != NULL)
				strset_add(&big, st->slot[i]);
		free(st->slot);
		*st = big;
	}
	for (i = str_hash(s) & (st->cap - 1); st->slot[i] != NULL;
	    i = (i + 1) & (st->cap - 1))
		if (strcmp(st->slot[i], s) == 0)
			return 0;
	st->slot[i] = s;
	st->n++;
	return 1;
}

static void
find_refs(struct parsed_mail *pm, const struct hdrs *h)
{
	struct strset seen = { NULL, 0, 0 };
	size_t i, j, a, e, pos, ntok;
	size_t *toks = NULL;
	char *c;

	for (i = 0; i < h->irt.n; i++) {
		if ((c = clean_nonempty(h->irt.v[i])) == NULL)
			continue;
		if (hdr_angle_first(c, strlen(c), &a, &e)) {
			strv_add(&pm->refs, &pm->nrefs, xstrndup(c + a, e - a));
			free(c);
		} else
			strv_add(&pm->refs, &pm->nrefs, c);
		strset_add(&seen, pm->refs[pm->nrefs - 1]);
	}
	for (i = 0; i < h->refs.n; i++) {
		size_t len;

		if ((c = clean_nonempty(h->refs.v[i])) == NULL)
			continue;
		len = strlen(c);
		ntok = 0;
		for (pos = 0; hdr_angle_first(c + pos, len - pos, &a, &e);
		    pos += e) {
			toks = grow1(toks, ntok, 2 * sizeof(*toks));
			toks[2 * ntok] = pos + a;
			toks[2 * ntok + 1] = pos + e;
			ntok++;
		}
		for (j = ntok; j > 0; j--) {
			char *r = xstrndup(c + toks[2 * (j - 1)],
			    toks[2 * (j - 1) + 1] - toks[2 * (j - 1)]);

			if (strset_add(&seen, r))
				strv_add(&pm->refs, &pm->nrefs, r);
			else
				free(r);
		}
		free(c);
	}
	free(toks);
	free(seen.slot);
}

/* ---- the body (§6) ------------------------------------------------- */

struct body {
	int		 reply;
	struct buf	 diff;
	struct buf	 text;
	struct buf	 payload;	/* scratch: charset-decoded text */
	GMimeStream	*raw;		/* scratch: transfer-decoded bytes */
	struct buf	 d, t;		/* scratch for the splitter */
};

/* Python's get_content_type() from the raw Content-Type header. */
static void
content_type(GMimeObject *obj, char *type, size_t tlen, const char **sub)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	const char *raw = NULL, *semi, *slash;
	size_t a = 0, b, i, slashes = 0;
	int k, n;

	snprintf(type, tlen, "text/plain");
	n = hl ? g_mime_header_list_get_count(hl) : 0;
	for (k = 0; k < n; k++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, k);

		if (strcasecmp(g_mime_header_get_name(h), "Content-Type") == 0) {
			raw = g_mime_header_get_raw_value(h);
			break;
		}
	}
	if (raw != NULL) {
		semi = strchr(raw, ';');
		b = semi ? (size_t)(semi - raw) : strlen(raw);
		text_strip(raw, &a, &b);
		for (i = a; i < b; i++)
			slashes += raw[i] == '/';
		if (slashes == 1 && b - a < tlen) {
			for (i = a; i < b; i++)
				type[i - a] = (char)(raw[i] >= 'A' && raw[i] <= 'Z' ?
				    raw[i] + 32 : raw[i]);
			type[b - a] = '\0';
		}
	}
	slash = strchr(type, '/');
	*sub = slash ? slash + 1 : "";
}

/*
 * Decoded text of a part: *p and *n point into bd->raw (when the bytes
 * are valid in their charset as they are) or bd->payload.  -1 when the
 * part must be skipped.
 */
static int
part_text(GMimePart *part, struct body *bd, const char **p, size_t *n)
{
	GMimeDataWrapper *w;
	GByteArray *ba;
	const char *cs, *c;
	int rc;

	buf_reset(&bd->payload);
	*p = "";
	*n = 0;
	if (bd->raw != NULL) {
		g_object_unref(bd->raw);
		bd->raw = NULL;
	}
	w = g_mime_part_get_content(part);
	if (w == NULL)
		return 0;
	bd->raw = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, bd->raw);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(bd->raw));
	if (ba == NULL || ba->len == 0 || ba->data == NULL)
		return 0;
	cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
	    "charset");
	for (c = cs; c != NULL && *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80) {
			cs = NULL;	/* not ASCII: treated as no charset */
			break;
		}
	/* UTF-8 (declared, or the first fallback) needs no copy */
	if ((cs == NULL || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0) &&
	    utf8_valid((const char *)ba->data, ba->len)) {
		*p = (const char *)ba->data;
		*n = ba->len;
		return 0;
	}
	rc = charset_decode(&bd->payload, cs, (const char *)ba->data, ba->len);
	*p = bd->payload.s;
	*n = bd->payload.len;
	return rc;
}

static void
add_stripped(struct buf *b, const char *s, size_t len)
{
	size_t a = 0, e = len;

	text_strip(s, &a, &e);
	buf_add(b, s + a, e - a);
	buf_addc(b, '\n');
}

static void
buf_swap(struct buf *a, struct buf *b)
{
	struct buf t = *a;

	*a = *b;
	*b = t;
}

static void
body_part(GMimePart *part, struct body *bd)
{
	char type[128];
	const char *sub, *p;
	size_t n;

	content_type(GMIME_OBJECT(part), type, sizeof(type), &sub);
	if (strncmp(type, "text/", 5) != 0)
		return;
	if (part_text(part, bd, &p, &n) < 0)
		return;		/* a charset that does not decode: skipped */
	if (bd->reply) {
		/* find_comment_content(): plain parts only, as they are */
		if (n > 0 && strcmp(sub, "plain") == 0)
			add_stripped(&bd->text, p, n);
		return;
	}
	/* find_patch_content() */
	if (strcmp(sub, "x-patch") == 0 || strcmp(sub, "x-diff") == 0) {
		buf_reset(&bd->diff);
		buf_add(&bd->diff, p, n);
	} else if (strcmp(sub, "plain") == 0) {
		if (bd->diff.len == 0) {
			buf_reset(&bd->d);
			buf_reset(&bd->t);
			diff_split(p, n, &bd->d, &bd->t);
			buf_swap(&bd->diff, &bd->d);
			if (bd->t.len > 0)
				add_stripped(&bd->text, bd->t.s, bd->t.len);
		} else
			add_stripped(&bd->text, p, n);
	}
}

/* Python's Message.walk(): pre-order, into message/rfc822 parts too. */
static void
walk(GMimeObject *obj, struct body *bd, int depth)
{
	int i, n;

	if (obj == NULL || depth > MAX_DEPTH)
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
		for (i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
			    bd, depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (m != NULL)
			walk(g_mime_message_get_mime_part(m), bd, depth + 1);
	} else if (GMIME_IS_PART(obj))
		body_part(GMIME_PART(obj), bd);
}

/* clean_content() (§6.4), then CRLF -> LF as Patch/Comment.save does. */
static void
finish_content(struct parsed_mail *pm, struct buf *text)
{
	struct buf out = BUF_INIT;
	size_t p = 0, end = text->len, a, e, i;
	const char *s = text->s, *nl;

	/* ^(-- |_+)\n.* under MULTILINE and DOTALL */
	while (p < text->len) {
		nl = memchr(s + p, '\n', text->len - p);
		if (nl == NULL)
			break;
		e = (size_t)(nl - s);
		if (e - p == 3 && memcmp(s + p, "-- ", 3) == 0) {
			end = p;
			break;
		}
		for (i = p; i < e && s[i] == '_'; i++)
			;
		if (i == e && e > p) {
			end = p;
			break;
		}
		p = e + 1;
	}
	a = 0;
	text_strip(s, &a, &end);
	buf_grow(&out, end - a);
	p = a;
	for (i = a; i < end; i++)
		if (s[i] == '\0' ||
		    (s[i] == '\r' && i + 1 < end && s[i + 1] == '\n')) {
			buf_add(&out, s + p, i - p);
			p = i + 1;
		}
	buf_add(&out, s + p, end - p);
	/* the pull request is searched in the text before save (§6.6) */
	pm->pull_url = pull_url(s + a, end - a);
	pm->content_len = out.len;
	pm->content = buf_detach(&out, NULL);
}

/* ---- classification (§7) ------------------------------------------- */

static void
classify(struct parsed_mail *pm)
{
	if (pm->error != NULL)
		return;		/* MALFORMED or IGNORED stay */
	if (pm->diff == NULL && pm->content_len == 0)
		pm->cls = MAIL_EMPTY;
	else if (!pm->reply && (pm->diff != NULL || pm->pull_url != NULL))
		pm->cls = pm->pull_url != NULL ? MAIL_PULL : MAIL_PATCH;
	else if (!pm->reply && pm->has_marker && pm->x == 0)
		pm->cls = pm->nrefs == 0 ? MAIL_COVER : MAIL_COVER_OR_COMMENT;
	else
		pm->cls = MAIL_COMMENT;
}

static void
set_meta_error(struct parsed_mail *pm)
{
	pm->meta_error = NULL;
	if (pm->error != NULL)
		return;
	if (pm->msgid == NULL)
		pm->meta_error = "Broken 'Message-Id' header";
	else if (!pm->subject_ok)
		pm->meta_error = "Invalid 'Subject' header";
	else if (pm->cls == MAIL_PULL && pm->pull_url != NULL &&
	    text_prefix_len(pm->pull_url, strlen(pm->pull_url), MAX_FIELD) <
	    strlen(pm->pull_url))
		pm->meta_error = "pull URL longer than 255 characters";
}

/* ---- the author (§8) ----------------------------------------------- */

static void
person_release(struct mail_person *p)
{
	free(p->name);
	free(p->email);
	memset(p, 0, sizeof(*p));
}

/* The "via" name of §8.4, or NULL. */
static char *
via_stripped(const char *name)
{
	const char *v = NULL, *p;
	size_t len, a = 0, e;

	if (name == NULL)
		return NULL;	/* D4 */
	len = strlen(name);
	for (p = name; (p = strstr(p, " via ")) != NULL; p++)
		v = p;
	if (v == NULL && len >= 4 && strcmp(name + len - 4, " via") == 0)
		v = name + len - 4;
	if (v == NULL)
		return NULL;
	e = (size_t)(v - name);
	text_strip(name, &a, &e);
	while (a < e && name[a] == '\'')
		a++;
	while (e > a && name[e - 1] == '\'')
		e--;
	return xstrndup(name + a, e - a);
}

static int
same_name(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
set_author(struct parsed_mail *pm, const char *listemail)
{
	struct mail_person *au = &pm->author;
	char *via, *n, *e, *piece;
	size_t i;

	person_release(au);
	au->error = pm->from.error;
	if (pm->from.error != NULL)
		return;
	au->name = pm->from.name ? xstrdup(pm->from.name) : NULL;
	au->email = xstrdup(pm->from.email);
	if (listemail == NULL || strcasecmp(au->email, listemail) != 0)
		return;

	/* DMARC "via list" unmangling */
	via = via_stripped(pm->from.name);
	if (pm->x_original_from != NULL) {
		hdr_split_from(pm->x_original_from, &n, &e);
		free(n);
		free(au->name);
		free(au->email);
		au->name = via;
		au->email = e;
		if (e == NULL || !hdr_email_valid(e))
			au->error = "Invalid 'X-Original-From' header";
		return;
	}
	/* the reference returns the first name match even with a broken
	 * address; a usable one is required here */
	for (i = 0; i < pm->nreply_to; i++) {
		char *save = NULL, *copy = xstrdup(pm->reply_to[i]);

		for (piece = strtok_r(copy, ",", &save); piece != NULL;
		    piece = strtok_r(NULL, ",", &save)) {
			hdr_split_from(piece, &n, &e);
			if (same_name(n, via) && e != NULL &&
			    hdr_email_valid(e)) {
				free(n);
				free(copy);
				free(au->name);
				free(au->email);
				au->name = via;
				au->email = e;
				return;
			}
			free(n);
			free(e);
		}
		free(copy);
	}
	free(via);
}

/* ---- the entry points ---------------------------------------------- */

static void
set_subject(struct parsed_mail *pm, const char *linkname)
{
	struct subject sj;

	free(pm->name);
	strv_free(pm->prefixes, pm->nprefixes);
	pm->prefixes = NULL;
	pm->nprefixes = 0;
	subject_parse(&sj, pm->subject, strlen(pm->subject), linkname);
	pm->name = truncated(sj.name);
	pm->prefixes = sj.prefixes;
	pm->nprefixes = sj.nprefixes;
	sj.prefixes = NULL;
	sj.nprefixes = 0;
	pm->reply = sj.reply;
	pm->has_marker = sj.has_marker;
	pm->x = sj.x;
	pm->n = sj.n;
	pm->version = sj.version;
	subject_release(&sj);
}

void
mail_set_project(struct parsed_mail *pm, const char *linkname,
    const char *listemail)
{
	if ((pm->cls == MAIL_MALFORMED && pm->error != NULL) ||
	    pm->subject == NULL)
		return;
	set_subject(pm, linkname);
	set_author(pm, listemail);
	classify(pm);
	set_meta_error(pm);
}

struct hdr_at {
	gint64		 off;
	size_t		 seq;
	GMimeHeader	*h;
};

static int
hdr_at_cmp(const void *a, const void *b)
{
	const struct hdr_at *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * GMime keeps the Content-* headers of the top-level message in its MIME
 * part's list; the two lists, merged by stream offset, are the message's
 * header section in order.
 */
static void
read_headers(GMimeMessage *msg, struct hdrs *h, struct buf *block)
{
	static const char *const listhdr[3] = {
		"List-ID", "X-Mailing-List", "X-list",
	};
	GMimeHeaderList *lists[2];
	GMimeObject *part = g_mime_message_get_mime_part(msg);
	struct hdr_at *all = NULL;
	size_t nall = 0, i;
	int l, k, n;

	lists[0] = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	lists[1] = part ? g_mime_object_get_header_list(part) : NULL;
	for (l = 0; l < 2; l++) {
		n = lists[l] ? g_mime_header_list_get_count(lists[l]) : 0;
		for (k = 0; k < n; k++) {
			all = grow1(all, nall, sizeof(*all));
			all[nall].h = g_mime_header_list_get_header_at(lists[l], k);
			all[nall].off = g_mime_header_get_offset(all[nall].h);
			all[nall].seq = nall;
			nall++;
		}
	}
	if (nall > 1)
		qsort(all, nall, sizeof(*all), hdr_at_cmp);
	for (i = 0; i < nall; i++) {
		GMimeHeader *hd = all[i].h;
		const char *name = g_mime_header_get_name(hd);
		const char *raw = g_mime_header_get_raw_value(hd);

		if (name == NULL)
			continue;
		if (raw == NULL)
			raw = "";
		if (block->len > 0)
			buf_addc(block, '\n');
		hdr_block_add(block, name, raw, strlen(raw));
		/* the headers below start with one of these letters */
		if (name[0] == '\0' ||
		    strchr("acdfilmrsxACDFILMRSX", name[0]) == NULL)
			continue;

#define FIRST(field, hname) \
	if (h->field == NULL && strcasecmp(name, hname) == 0) { \
		h->field = raw; \
		continue; \
	}
		FIRST(from, "From");
		FIRST(subject, "Subject");
		FIRST(msgid, "Message-Id");
		FIRST(date, "Date");
		FIRST(hint, "X-Patchwork-Hint");
		FIRST(state, "X-Patchwork-State");
		FIRST(delegate, "X-Patchwork-Delegate");
		FIRST(autosub, "Auto-Submitted");
		FIRST(xof, "X-Original-From");
#undef FIRST
		if (strcasecmp(name, "In-Reply-To") == 0)
			rawvec_add(&h->irt, raw);
		else if (strcasecmp(name, "References") == 0)
			rawvec_add(&h->refs, raw);
		else if (strcasecmp(name, "Reply-To") == 0)
			rawvec_add(&h->replyto, raw);
		else if (strcasecmp(name, "Cc") == 0)
			rawvec_add(&h->cc, raw);
		else if (strcasecmp(name, "X-Patchwork-Action-Required") == 0)
			h->action_required = 1;
		else
			for (k = 0; k < 3; k++)
				if (h->listid[k] == NULL &&
				    strcasecmp(name, listhdr[k]) == 0)
					h->listid[k] = raw;
	}
	free(all);
}

/*
 * The bytes GMime gets: without an mbox "From " line, and without NULs
 * in the header section (GMime would cut a header value at one; the
 * spec removes them).  *copy is set when a copy was needed.
 */
static void
prepare_input(const char **bytes, size_t *len, char **copy)
{
	const char *s = *bytes, *nl, *end;
	size_t n = *len, hlen, i, j;

	*copy = NULL;
	if (n >= 5 && memcmp(s, "From ", 5) == 0) {
		nl = memchr(s, '\n', n);
		if (nl == NULL)
			n = 0;
		else {
			n -= (size_t)(nl + 1 - s);
			s = nl + 1;
		}
	}
	/* the header section ends at the first empty line */
	end = s;
	for (;;) {
		nl = memchr(end, '\n', n - (size_t)(end - s));
		if (nl == NULL) {
			end = s + n;
			break;
		}
		end = nl + 1;
		if (end < s + n && (*end == '\n' ||
		    (*end == '\r' && end + 1 < s + n && end[1] == '\n')))
			break;
	}
	hlen = (size_t)(end - s);
	if (memchr(s, '\0', hlen) != NULL) {
		*copy = xmalloc(n ? n : 1);
		for (i = j = 0; i < hlen; i++)
			if (s[i] != '\0')
				(*copy)[j++] = s[i];
		memcpy(*copy + j, s + hlen, n - hlen);
		n -= hlen - j;
		s = *copy;
	}
	*bytes = s;
	*len = n;
}

static void
gmime_init_once(void)
{
	static int done;

	if (!done) {
		g_mime_init();
		done = 1;
	}
}

int
mail_parse(struct parsed_mail *pm, const char *bytes, size_t len,
    const struct parse_opts *optsp)
{
	static const struct parse_opts noopts;
	const struct parse_opts *opts = optsp ? optsp : &noopts;
	struct hdrs h;
	struct buf block = BUF_INIT;
	struct body bd = { 0, BUF_INIT, BUF_INIT, BUF_INIT, NULL, BUF_INIT,
	    BUF_INIT };
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	GByteArray *borrowed = NULL;
	char *copy = NULL, *c, *id;
	size_t i, a, e;
	int64_t t;

	memset(pm, 0, sizeof(*pm));
	memset(&h, 0, sizeof(h));
	pm->version = 1;
	gmime_init_once();

	prepare_input(&bytes, &len, &copy);
	if (len > G_MAXUINT / 2) {
		pm->cls = MAIL_MALFORMED;
		pm->error = "message too large";
		goto out;
	}
	/*
	 * GMime reads our bytes in place: a byte array that borrows them,
	 * in a stream that does not own it (GMime only reads its input).
	 */
	borrowed = g_byte_array_new();
	borrowed->data = (guint8 *)bytes;
	borrowed->len = (guint)len;
	stream = g_mime_stream_mem_new_with_byte_array(borrowed);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		pm->cls = MAIL_MALFORMED;
		pm->error = "unparseable message (no headers)";
		goto out;
	}

	/* §2.6 and the headers of §2-§9, in one pass */
	read_headers(msg, &h, &block);
	pm->headers = buf_detach(&block, NULL);

	/* §3.1: presence only */
	if (h.from == NULL) {
		pm->cls = MAIL_MALFORMED;
		pm->error = "Missing 'From' header";
		goto out;
	}
	if (h.subject == NULL) {
		pm->cls = MAIL_MALFORMED;
		pm->error = "Missing 'Subject' header";
		goto out;
	}
	if (h.msgid == NULL) {
		pm->cls = MAIL_MALFORMED;
		pm->error = "Missing 'Message-Id' header";
		goto out;
	}

	/* §3.2, §3.3 */
	if ((c = clean_nonempty(h.hint)) != NULL) {
		if (strcasecmp(c, "ignore") == 0) {
			pm->cls = MAIL_IGNORED;
			pm->error = "X-Patchwork-Hint: ignore";
		}
		free(c);
	}
	if (pm->cls != MAIL_IGNORED && opts->ignore_auto_submitted &&
	    (c = clean_nonempty(h.autosub)) != NULL) {
		if (strcasecmp(c, "auto-generated") == 0 ||
		    strcasecmp(c, "auto-replied") == 0) {
			pm->cls = MAIL_IGNORED;
			pm->error = "Auto-Submitted";
		}
		free(c);
	}

	/* §4: the list ids to look up */
	if (opts->list_id != NULL)
		strv_add(&pm->listids, &pm->nlistids, xstrdup(opts->list_id));
	else
		for (i = 0; i < 3; i++) {
			if ((c = clean_nonempty(h.listid[i])) == NULL)
				continue;
			if ((id = hdr_list_id(c)) != NULL)
				strv_add(&pm->listids, &pm->nlistids, id);
			free(c);
		}

	/* §2.3 */
	if ((c = clean_nonempty(h.msgid)) != NULL) {
		if (hdr_angle_first(c, strlen(c), &a, &e)) {
			c[e] = '\0';
			pm->msgid = truncated(c + a);
		} else
			pm->msgid = truncated(c);
		free(c);
	}
	/* §5: the subject; "S" of §4 is "" when it does not decode */
	pm->subject = clean(h.subject);
	pm->subject_ok = pm->subject != NULL;
	if (pm->subject == NULL)
		pm->subject = xstrdup("");
	set_subject(pm, opts->linkname);
	find_refs(pm, &h);

	/* §2.5 */
	c = clean_nonempty(h.date);
	if (c != NULL && hdr_date(c, &t) == 0) {
		pm->date = t;
		pm->date_from_header = 1;
	} else
		pm->date = opts->now ? opts->now : (int64_t)time(NULL);
	free(c);

	/* §8 */
	c = clean_nonempty(h.from);
	if (c == NULL)
		pm->from.error = "Invalid 'From' header";
	else {
		hdr_split_from(c, &pm->from.name, &pm->from.email);
		if (pm->from.email == NULL || pm->from.email[0] == '\0' ||
		    !hdr_email_valid(pm->from.email))
			pm->from.error = "Invalid 'From' header";
		free(c);
	}
	pm->x_original_from = clean_nonempty(h.xof);
	for (i = 0; i < h.replyto.n; i++)
		if ((c = clean(h.replyto.v[i])) != NULL)
			strv_add(&pm->reply_to, &pm->nreply_to, c);
	for (i = 0; i < h.cc.n; i++)
		if ((c = clean(h.cc.v[i])) != NULL)
			strv_add(&pm->reply_to, &pm->nreply_to, c);
	set_author(pm, opts->listemail);

	/* §9, §13 hints */
	pm->hint_state = clean_nonempty(h.state);
	pm->hint_delegate = clean_nonempty(h.delegate);
	pm->action_required = h.action_required;

	/* §6 */
	bd.reply = pm->reply;
	walk(g_mime_message_get_mime_part(msg), &bd, 0);
	if (bd.raw != NULL) {
		g_object_unref(bd.raw);
		bd.raw = NULL;
	}
	if (bd.diff.len > 0 && memchr(bd.diff.s, '\0', bd.diff.len) != NULL) {
		struct buf d = BUF_INIT;

		text_add_nonul(&d, bd.diff.s, bd.diff.len);
		buf_swap(&d, &bd.diff);
		buf_release(&d);
	}
	if (bd.diff.len > 0) {
		pm->diff = buf_detach(&bd.diff, &pm->diff_len);
	}
	finish_content(pm, &bd.text);
	if (pm->diff != NULL) {
		patch_hash(pm->diff, pm->diff_len, pm->hash);
		diff_files(pm->diff, pm->diff_len, &pm->files, &pm->nfiles);
	}
	if (opts->tags != NULL && (pm->ntags = tagset_size(opts->tags)) > 0) {
		pm->tag_counts = xcalloc(pm->ntags, sizeof(*pm->tag_counts));
		tagset_count(opts->tags, pm->content, pm->content_len,
		    pm->tag_counts);
	}
	depends_parse(pm->content, pm->content_len, opts->base_path,
	    &pm->deps, &pm->ndeps);

	classify(pm);
	set_meta_error(pm);
out:
	buf_release(&block);
	buf_release(&bd.diff);
	buf_release(&bd.text);
	buf_release(&bd.payload);
	if (bd.raw != NULL)
		g_object_unref(bd.raw);
	buf_release(&bd.d);
	buf_release(&bd.t);
	rawvec_free(&h.irt);
	rawvec_free(&h.refs);
	rawvec_free(&h.replyto);
	rawvec_free(&h.cc);
	if (msg != NULL)
		g_object_unref(msg);
	if (parser != NULL)
		g_object_unref(parser);
	if (stream != NULL)
		g_object_unref(stream);
	if (borrowed != NULL) {
		borrowed->data = NULL;
		borrowed->len = 0;
		g_byte_array_free(borrowed, TRUE);
	}
	free(copy);
	if (pm->content == NULL)
		pm->content = xstrdup("");
	if (pm->subject == NULL)
		pm->subject = xstrdup("");
	if (pm->name == NULL)
		pm->name = xstrdup("");
	return 0;
}

void
mail_release(struct parsed_mail *pm)
{
	free(pm->msgid);
	strv_free(pm->refs, pm->nrefs);
	strv_free(pm->listids, pm->nlistids);
	free(pm->subject);
	free(pm->name);
	strv_free(pm->prefixes, pm->nprefixes);
	free(pm->headers);
	person_release(&pm->from);
	person_release(&pm->author);
	free(pm->hint_state);
	free(pm->hint_delegate);
	free(pm->diff);
	free(pm->content);
	free(pm->pull_url);
	diff_files_free(pm->files, pm->nfiles);
	free(pm->tag_counts);
	depends_free(pm->deps, pm->ndeps);
	free(pm->x_original_from);
	strv_free(pm->reply_to, pm->nreply_to);
	memset(pm, 0, sizeof(*pm));
}
