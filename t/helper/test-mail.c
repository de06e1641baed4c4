/*
 * pw-test subcommands for the mail parser (common/mail.h and friends).
 * Each prints a canonical text dump that the t/20xx scripts compare with
 * golden files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "delegate.h"
#include "depends.h"
#include "diff.h"
#include "hash.h"
#include "mail.h"
#include "mailhdr.h"
#include "subject.h"
#include "tags.h"
#include "test.h"
#include "text.h"
#include "xalloc.h"

/* The default tags of the reference's fixtures. */
static const char *const default_tags[] = {
	"^Acked-by:", "^Reviewed-by:", "^Tested-by:",
};
static const char *const default_tag_names[] = { "A", "R", "T" };

/* A fixed "now" for dumps: 2000-01-01 00:00:00 UTC. */
#define TEST_NOW	946684800

static void
read_all(FILE *f, struct buf *b)
{
	char tmp[65536];
	size_t n;

	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(b, tmp, n);
}

/* Visible form of a line: backslash, CR and other controls escaped. */
static void
put_escaped(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c == '\r')
			fputs("\\r", stdout);
		else if (c < 0x20 && c != '\t')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void
put_field(const char *key, const char *v)
{
	printf("%s: ", key);
	if (v == NULL)
		fputs("-", stdout);
	else
		put_escaped(v, strlen(v));
	putchar('\n');
}

/* A block of text, each line prefixed with "| ". */
static void
put_block(const char *key, const char *s, size_t n, int brief)
{
	const char *nl;
	size_t p = 0, e;

	if (s == NULL) {
		printf("%s: none\n", key);
		return;
	}
	printf("%s: %zu bytes%s\n", key, n,
	    n > 0 && s[n - 1] == '\n' ? "" : ", no final newline");
	if (brief) {
		char h[PATCH_HASH_LEN + 1];

		/* any stable digest will do; this one is at hand */
		patch_hash(s, n, h);
		printf("  digest %s\n", h);
		return;
	}
	while (p < n) {
		nl = memchr(s + p, '\n', n - p);
		e = nl ? (size_t)(nl - s) : n;
		fputs("| ", stdout);
		put_escaped(s + p, e - p);
		putchar('\n');
		p = e + 1;
	}
}

static void
put_date(const char *key, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	printf("%s: %04d-%02d-%02d %02d:%02d:%02d\n", key, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
dump(const struct parsed_mail *pm, int brief)
{
	size_t i;

	put_field("class", mail_class_names[pm->cls]);
	put_field("error", pm->error);
	put_field("meta-error", pm->meta_error);
	put_field("msgid", pm->msgid);
	for (i = 0; i < pm->nrefs; i++)
		put_field("ref", pm->refs[i]);
	for (i = 0; i < pm->nlistids; i++)
		put_field("list-id", pm->listids[i]);
	put_field("subject", pm->subject);
	printf("name: \"");
	put_escaped(pm->name, strlen(pm->name));
	printf("\"\n");
	printf("prefixes:");
	for (i = 0; i < pm->nprefixes; i++) {
		printf(i ? " | " : " ");
		put_escaped(pm->prefixes[i], strlen(pm->prefixes[i]));
	}
	printf("\n");
	printf("reply: %s\n", pm->reply ? "yes" : "no");
	if (pm->has_marker)
		printf("marker: %d/%d\n", pm->x, pm->n);
	else
		printf("marker: none\n");
	printf("version: %d\n", pm->version);
	if (pm->date_from_header)
		put_date("date", pm->date);
	else
		printf("date: now\n");
	put_field("from-name", pm->from.name);
	put_field("from-email", pm->from.email);
	put_field("from-error", pm->from.error);
	put_field("author-name", pm->author.name);
	put_field("author-email", pm->author.email);
	put_field("author-error", pm->author.error);
	put_field("hint-state", pm->hint_state);
	put_field("hint-delegate", pm->hint_delegate);
	printf("action-required: %s\n", pm->action_required ? "yes" : "no");
	put_field("pull-url", pm->pull_url);
	put_field("hash", pm->hash[0] ? pm->hash : NULL);
	for (i = 0; i < pm->nfiles; i++)
		put_field("file", pm->files[i]);
	if (pm->ntags > 0) {
		printf("tags:");
		for (i = 0; i < pm->ntags; i++)
			printf(" %s=%u", i < 3 ? default_tag_names[i] : "?",
			    pm->tag_counts[i]);
		printf("\n");
	}
	for (i = 0; i < pm->ndeps; i++) {
		if (pm->deps[i].kind == DEP_SERIES)
			printf("depends: series %lld\n",
			    (long long)pm->deps[i].series);
		else
			put_field("depends: msgid", pm->deps[i].msgid);
	}
	put_block("headers", pm->headers, pm->headers ? strlen(pm->headers) : 0,
	    0);
	put_block("content", pm->content, pm->content_len, brief);
	put_block("diff", pm->diff, pm->diff_len, brief);
}

static int
usage_mail(void)
{
	fprintf(stderr, "usage: pw-test parse-mail [--brief] [--linkname L] "
	    "[--listemail E] [--list-id ID] [--base-path P] "
	    "[--ignore-auto-submitted]\n");
	return 64;
}

/* parse-mail: one message on stdin, the dump on stdout. */
int
test_parse_mail(int argc, char *argv[])
{
	struct parse_opts opts = { 0 };
	struct parsed_mail pm;
	struct buf in = BUF_INIT;
	int i, brief = 0;

	opts.now = TEST_NOW;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--brief") == 0)
			brief = 1;
		else if (strcmp(argv[i], "--ignore-auto-submitted") == 0)
			opts.ignore_auto_submitted = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--linkname") == 0)
			opts.linkname = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--listemail") == 0)
			opts.listemail = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--list-id") == 0)
			opts.list_id = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--base-path") == 0)
			opts.base_path = argv[++i];
		else
			return usage_mail();
	}
	opts.tags = tagset_new(default_tags, 3);
	read_all(stdin, &in);
	mail_parse(&pm, in.s, in.len, &opts);
	dump(&pm, brief);
	mail_release(&pm);
	tagset_free(opts.tags);
	buf_release(&in);
	return 0;
}

/* Undo "\n", "\t" and "\\" escapes of a table cell. */
static void
unescape(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			buf_addc(out, s[i] == 'n' ? '\n' : s[i] == 't' ? '\t' :
			    s[i] == 'r' ? '\r' : s[i]);
		} else
			buf_addc(out, s[i]);
	}
}

/*
 * parse-subject [LINKNAME]: each stdin line is a raw Subject value
 * (escapes \n \t \r \\); prints name, prefixes, marker, version, reply,
 * tab-separated.
 */
int
test_parse_subject(int argc, char *argv[])
{
	const char *linkname = argc > 1 ? argv[1] : NULL;
	struct buf in = BUF_INIT, raw = BUF_INIT, cl = BUF_INIT;
	struct subject sj;
	size_t p = 0, e, i;
	const char *nl;

	read_all(stdin, &in);
	while (p < in.len) {
		nl = memchr(in.s + p, '\n', in.len - p);
		e = nl ? (size_t)(nl - in.s) : in.len;
		buf_reset(&raw);
		buf_reset(&cl);
		unescape(&raw, in.s + p, e - p);
		p = e + 1;
		if (hdr_clean(&cl, raw.s, raw.len) < 0) {
			printf("undecodable\n");
			continue;
		}
		subject_parse(&sj, cl.s, cl.len, linkname);
		printf("\"%s\"\t", sj.name);
		for (i = 0; i < sj.nprefixes; i++)
			printf("%s%s", i ? "|" : "", sj.prefixes[i]);
		if (sj.nprefixes == 0)
			printf("-");
		if (sj.has_marker)
			printf("\t%d/%d", sj.x, sj.n);
		else
			printf("\tnone");
		printf("\tv%d\t%s\n", sj.version, sj.reply ? "reply" : "-");
		subject_release(&sj);
	}
	buf_release(&in);
	buf_release(&raw);
	buf_release(&cl);
	return 0;
}

/*
 * subject-match PATTERN: for each stdin line (a clean Subject), 1 if a
 * project with that subject_match takes it, 0 if not, -1 for a pattern
 * that does not compile.
 */
int
test_subject_match(int argc, char *argv[])
{
	struct buf in = BUF_INIT;
	size_t p = 0, e;
	const char *nl;
	char *line;

	if (argc != 2)
		return 64;
	read_all(stdin, &in);
	for (; p < in.len; p = e + 1) {
		nl = memchr(in.s + p, '\n', in.len - p);
		e = nl ? (size_t)(nl - in.s) : in.len;
		line = xstrndup(in.s + p, e - p);
		printf("%d\n", subject_match(argv[1], line));
		free(line);
	}
	buf_release(&in);
	return 0;
}

/* hash: a diff on stdin, its patch hash on stdout. */
int
test_hash(int argc, char *argv[])
{
	struct buf in = BUF_INIT;
	char h[PATCH_HASH_LEN + 1];

	read_all(stdin, &in);
	patch_hash(in.s, in.len, h);
	printf("%s\n", h);
	buf_release(&in);
	return 0;
}

/* diff-split: text on stdin; the diff, the text and the changed files. */
int
test_diff_split(int argc, char *argv[])
{
	struct buf in = BUF_INIT, d = BUF_INIT, t = BUF_INIT;
	char **files;
	size_t n, i;

	read_all(stdin, &in);
	diff_split(in.s, in.len, &d, &t);
	put_block("diff", d.len ? d.s : NULL, d.len, 0);
	put_block("text", t.len ? t.s : NULL, t.len, 0);
	if (d.len > 0) {
		char h[PATCH_HASH_LEN + 1];

		patch_hash(d.s, d.len, h);
		printf("hash: %s\n", h);
		diff_files(d.s, d.len, &files, &n);
		for (i = 0; i < n; i++)
			put_field("file", files[i]);
		diff_files_free(files, n);
	}
	buf_release(&in);
	buf_release(&d);
	buf_release(&t);
	return 0;
}

/*
 * header: each stdin line is "FUNCTION<TAB>VALUE" (VALUE with escapes);
 * FUNCTION is clean, from, date, list-id, series (the series name of a
 * cover letter name, §12) or block (§2.6).  Prints one line each.
 */
int
test_header(int argc, char *argv[])
{
	struct buf in = BUF_INIT, raw = BUF_INIT, cl = BUF_INIT;
	size_t p = 0, e, k;
	const char *nl, *tab;

	read_all(stdin, &in);
	for (; p < in.len; p = e + 1) {
		char fn[16];

		nl = memchr(in.s + p, '\n', in.len - p);
		e = nl ? (size_t)(nl - in.s) : in.len;
		tab = memchr(in.s + p, '\t', e - p);
		if (tab == NULL || (size_t)(tab - in.s) - p >= sizeof(fn)) {
			printf("bad line\n");
			continue;
		}
		k = (size_t)(tab - in.s) - p;
		memcpy(fn, in.s + p, k);
		fn[k] = '\0';
		buf_reset(&raw);
		buf_reset(&cl);
		unescape(&raw, tab + 1, (size_t)(in.s + e - tab - 1));
		if (hdr_clean(&cl, raw.s, raw.len) < 0) {
			printf("%s\tNone\n", fn);
			continue;
		}
		printf("%s\t", fn);
		if (strcmp(fn, "clean") == 0) {
			printf("[%s]\n", cl.s);
		} else if (strcmp(fn, "from") == 0) {
			char *name, *email;

			hdr_split_from(cl.s, &name, &email);
			printf("%s%s%s\t%s\t%s\n", name ? "[" : "",
			    name ? name : "None", name ? "]" : "", email,
			    email && hdr_email_valid(email) ? "valid" : "invalid");
			free(name);
			free(email);
		} else if (strcmp(fn, "date") == 0) {
			int64_t t;

			if (cl.len == 0 || hdr_date(cl.s, &t) < 0)
				printf("now\n");
			else
				put_date("utc", t);
		} else if (strcmp(fn, "list-id") == 0) {
			char *id = cl.len ? hdr_list_id(cl.s) : NULL;

			printf("%s\n", id ? id : "None");
			free(id);
		} else if (strcmp(fn, "series") == 0) {
			char *sn = subject_series_name(cl.s);

			printf("[%s]\n", sn);
			free(sn);
		} else if (strcmp(fn, "block") == 0) {
			struct buf b = BUF_INIT;

			hdr_block_add(&b, "X", raw.s, raw.len);
			for (k = 0; k < b.len; k++)
				if (b.s[k] == '\n')
					fputs("\\n", stdout);
				else
					put_escaped(b.s + k, 1);
			putchar('\n');
			buf_release(&b);
		} else
			printf("unknown function\n");
	}
	buf_release(&in);
	buf_release(&raw);
	buf_release(&cl);
	return 0;
}

/*
 * delegate PATH:PRIORITY:USER... -- FILE...: the delegate's user id, or
 * "none".
 */
int
test_delegate(int argc, char *argv[])
{
	struct delegate_rule *rules;
	size_t nr = 0;
	int i, f;
	int64_t who;

	rules = xcalloc((size_t)argc, sizeof(*rules));
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		char *c1 = strrchr(argv[i], ':'), *c2;

		if (c1 == NULL)
			return 64;
		*c1 = '\0';
		c2 = strrchr(argv[i], ':');
		if (c2 == NULL)
			return 64;
		*c2 = '\0';
		rules[nr].path = argv[i];
		rules[nr].priority = atoi(c2 + 1);
		rules[nr].user = atoll(c1 + 1);
		nr++;
	}
	f = i < argc ? i + 1 : argc;
	who = delegate_by_files(rules, nr, argv + f, (size_t)(argc - f));
	if (who < 0)
		printf("none\n");
	else
		printf("%lld\n", (long long)who);
	free(rules);
	return 0;
}

/* depends [BASE]: text on stdin, one line per Depends-on found. */
int
test_depends(int argc, char *argv[])
{
	struct buf in = BUF_INIT;
	struct dep *d;
	size_t n, i;

	read_all(stdin, &in);
	depends_parse(in.s, in.len, argc > 1 ? argv[1] : NULL, &d, &n);
	for (i = 0; i < n; i++)
		if (d[i].kind == DEP_SERIES)
			printf("series %lld\n", (long long)d[i].series);
		else
			printf("msgid %s\n", d[i].msgid);
	if (n == 0)
		printf("none\n");
	depends_free(d, n);
	buf_release(&in);
	return 0;
}

/* tags [PATTERN...]: text on stdin, one count per pattern. */
int
test_tags(int argc, char *argv[])
{
	struct buf in = BUF_INIT;
	struct tagset *ts;
	unsigned *counts;
	size_t i, n;

	read_all(stdin, &in);
	if (argc > 1)
		ts = tagset_new((const char *const *)argv + 1, (size_t)argc - 1);
	else
		ts = tagset_new(default_tags, 3);
	n = tagset_size(ts);
	counts = xcalloc(n ? n : 1, sizeof(*counts));
	tagset_count(ts, in.s, in.len, counts);
	for (i = 0; i < n; i++)
		printf("%s%u", i ? " " : "", counts[i]);
	printf("\n");
	free(counts);
	tagset_free(ts);
	buf_release(&in);
	return 0;
}

/*
 * parse-mbox [--list]: every message of an mbox (mboxrd or mboxo) on
 * stdin; prints counts per class (and with --list one line per mail).
 * The parse rate goes to stderr.
 */
int
test_parse_mbox(int argc, char *argv[])
{
	struct buf in = BUF_INIT, one = BUF_INIT;
	struct parse_opts opts = { 0 };
	struct parsed_mail pm;
	size_t counts[MAIL_CLASS_MAX] = { 0 }, total = 0, meta = 0, noauthor = 0;
	size_t p = 0, start, e, k;
	const char *nl;
	struct timespec t0, t1;
	double secs;
	int list = argc > 1 && strcmp(argv[1], "--list") == 0, i;

	opts.now = TEST_NOW;
	opts.tags = tagset_new(default_tags, 3);
	read_all(stdin, &in);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (p < in.len) {
		/* one message: from this "From " line to the next one */
		start = p;
		for (e = p;;) {
			nl = memchr(in.s + e, '\n', in.len - e);
			if (nl == NULL) {
				e = in.len;
				break;
			}
			e = (size_t)(nl - in.s) + 1;
			if (in.len - e >= 5 && memcmp(in.s + e, "From ", 5) == 0)
				break;
		}
		/* mboxrd: ">From " and ">>From " lose one '>' */
		buf_reset(&one);
		for (k = start; k < e; ) {
			const char *l = in.s + k, *q;
			size_t ll;

			nl = memchr(l, '\n', e - k);
			ll = nl ? (size_t)(nl - l) + 1 : e - k;
			q = l;
			while (q < l + ll && *q == '>')
				q++;
			if (q > l && (size_t)(l + ll - q) >= 5 &&
			    memcmp(q, "From ", 5) == 0)
				buf_add(&one, l + 1, ll - 1);
			else
				buf_add(&one, l, ll);
			k += ll;
		}
		p = e;
		mail_parse(&pm, one.s, one.len, &opts);
		counts[pm.cls]++;
		total++;
		if (pm.meta_error)
			meta++;
		if (pm.author.error)
			noauthor++;
		if (list)
			printf("%s\t%s\t%s\n", mail_class_names[pm.cls],
			    pm.msgid ? pm.msgid : "-", pm.name);
		mail_release(&pm);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("mails: %zu\n", total);
	for (i = 0; i < MAIL_CLASS_MAX; i++)
		printf("%s: %zu\n", mail_class_names[i], counts[i]);
	printf("meta-error: %zu\n", meta);
	printf("author-error: %zu\n", noauthor);
	fprintf(stderr, "parsed %zu mails, %zu bytes in %.3f s: %.0f mails/s\n",
	    total, in.len, secs, secs > 0 ? (double)total / secs : 0.0);
	tagset_free(opts.tags);
	buf_release(&in);
	buf_release(&one);
	return 0;
}
