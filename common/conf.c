/*
 * Configuration over libconfuse; the contract is in conf.h.
 *
 * One table, keys[], lists every key with its type, default, range,
 * place in struct conf and the comment `pw config` prints above it.  The
 * libconfuse option arrays are built from it at load time, so the file
 * syntax, the defaults, the validation and the documentation cannot
 * disagree.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "xalloc.h"

enum ktype {
	K_STR,
	K_INT,
	K_SIZE,		/* bytes, K/M/G suffixes accepted */
	K_BOOL,
};

struct ckey {
	const char	*sec;
	const char	*name;
	enum ktype	 type;
	const char	*sdef;
	long		 idef;
	long		 min, max;
	size_t		 off;
	int		 (*check)(const char *);	/* strings */
	const char	*help;
};

#define KIB	1024L
#define MIB	(1024L * 1024)
#define GIB	(1024L * 1024 * 1024)
#define OFF(f)	offsetof(struct conf, f)

static int check_url(const char *);
static int check_facility(const char *);
static int check_nonempty(const char *);

static const char *const sections[] = {
	"database", "http", "ingress", "mail", "log",
};

static const char *const section_help[] = {
	"PostgreSQL.",
	"The web front end (pw.fcgi) and the REST API.",
	"Mail intake (pw ingress, the LMTP helper).",
	"Outgoing mail.",
	"Logging.",
};

static const struct ckey keys[] = {
	{ "database", "url", K_STR, "dbname=patchwork", 0, 0, 0,
	    OFF(database.url), NULL,
	    "Connection to PostgreSQL: a libpq URI\n"
	    "(postgresql://user@host/dbname) or keyword/value string\n"
	    "(\"host=/run/postgresql dbname=patchwork\").  Environment\n"
	    "variables PGHOST, PGUSER, ... fill what it leaves out.\n"
	    "$PW_DATABASE_URL, when set, replaces it." },
	{ "database", "connect_timeout", K_INT, NULL, 10, 0, 3600,
	    OFF(database.connect_timeout), NULL,
	    "Seconds to wait for a connection; 0 waits forever." },
	{ "database", "statement_timeout", K_INT, NULL, 30000, 0, INT_MAX,
	    OFF(database.statement_timeout), NULL,
	    "Milliseconds a statement may run before the server cancels it;\n"
	    "0 means no limit.  `pw db sync` lifts it for migrations." },
	{ "database", "lock_timeout", K_INT, NULL, 10000, 0, INT_MAX,
	    OFF(database.lock_timeout), NULL,
	    "Milliseconds a statement may wait for a lock; 0 means no limit." },

	{ "http", "base_url", K_STR, "http://127.0.0.1:8080", 0, 0, 0,
	    OFF(http.base_url), check_url,
	    "Public URL of the site, without a trailing slash; used for\n"
	    "absolute links in the API and in mails." },
	{ "http", "static_dir", K_STR, PW_DATADIR "/static", 0, 0, 0,
	    OFF(http.static_dir), check_nonempty,
	    "Directory of the static files nginx serves at /static/." },
	{ "http", "workers", K_INT, NULL, 4, 1, 1024,
	    OFF(http.workers), NULL,
	    "Number of pw.fcgi worker processes." },
	{ "http", "page_size", K_INT, NULL, 30, 1, 100000,
	    OFF(http.page_size), NULL,
	    "Items per page when a client does not ask (per_page)." },
	{ "http", "max_page_size", K_INT, NULL, 250, 1, 100000,
	    OFF(http.max_page_size), NULL,
	    "Largest per_page a client may ask for." },
	{ "http", "max_body", K_SIZE, NULL, 10 * MIB, 1 * KIB, 1 * GIB,
	    OFF(http.max_body), NULL,
	    "Largest request body accepted, in bytes (K, M, G suffixes)." },
	{ "http", "max_requests", K_INT, NULL, 0, 0, INT_MAX,
	    OFF(http.max_requests), NULL,
	    "A worker exits and is replaced after this many requests;\n"
	    "0 means never." },
	{ "http", "allow_md5_passwords", K_BOOL, NULL, 0, 0, 1,
	    OFF(http.allow_md5_passwords), NULL,
	    "Accept logins whose stored hash is Django's salted md5\n"
	    "(md5$salt$hex, from Patchwork's development settings); each is\n"
	    "re-hashed at its first login.  Older unsalted forms never match." },

	{ "ingress", "max_message_size", K_SIZE, NULL, 64 * MIB, 1 * KIB,
	    1 * GIB, OFF(ingress.max_message_size), NULL,
	    "Largest mail accepted, in bytes; a larger one is journaled as\n"
	    "too big and not parsed." },
	{ "ingress", "list_id", K_STR, "", 0, 0, 0,
	    OFF(ingress.list_id), NULL,
	    "Treat every mail as coming from this list-id; empty means take\n"
	    "it from the List-Id header." },
	{ "ingress", "unmatched_max_age", K_INT, NULL, 30, 1, 36500,
	    OFF(ingress.unmatched_max_age), NULL,
	    "Days the raw mail journal keeps mail that matched no project." },
	{ "ingress", "batch_size", K_INT, NULL, 500, 1, 1000000,
	    OFF(ingress.batch_size), NULL,
	    "Mails per transaction for `pw ingress --mbox`." },
	{ "ingress", "ignore_auto_submitted", K_BOOL, NULL, 0, 0, 1,
	    OFF(ingress.ignore_auto_submitted), NULL,
	    "Ignore mail whose Auto-Submitted header is auto-generated or\n"
	    "auto-replied (RFC 3834), in every mode; off by default, since\n"
	    "some CI bots send real patches with it.  --ignore-auto-submitted\n"
	    "turns it on for one run." },
	{ "ingress", "socket", K_STR, "", 0, 0, 0,
	    OFF(ingress.socket), NULL,
	    "Unix socket of the resident ingest service (`pw ingress --lmtp\n"
	    "--listen`); when set, the pipe helper hands each mail to it and\n"
	    "delivers directly only when the service cannot be reached.\n"
	    "Empty: always deliver directly." },

	{ "mail", "from", K_STR, "patchwork@localhost", 0, 0, 0,
	    OFF(mail.from), check_nonempty,
	    "Sender address of the mails Patchwork sends." },
	{ "mail", "sendmail", K_STR, "/usr/sbin/sendmail -t -i", 0, 0, 0,
	    OFF(mail.sendmail), check_nonempty,
	    "Command that sends a mail read from its standard input." },
	{ "mail", "notifications", K_BOOL, NULL, 1, 0, 1,
	    OFF(mail.notifications), NULL,
	    "Send patch-change notifications for projects that ask for them." },

	{ "log", "syslog", K_BOOL, NULL, 0, 0, 1,
	    OFF(log.syslog), NULL,
	    "Log to syslog instead of standard error." },
	{ "log", "facility", K_STR, "daemon", 0, 0, 0,
	    OFF(log.facility), check_facility,
	    "Syslog facility: daemon, user, mail, local0 ... local7." },
	{ "log", "verbose", K_INT, NULL, 0, 0, 2,
	    OFF(log.verbose), NULL,
	    "0 logs warnings and errors, 1 adds information, 2 debugging." },
};

#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))
#define NKEYS		(sizeof(keys) / sizeof(keys[0]))

static const struct {
	const char	*name;
	int		 value;
} facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "cron", LOG_CRON }, { "daemon", LOG_DAEMON },
	{ "ftp", LOG_FTP }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int
conf_syslog_facility(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}

static int
check_facility(const char *s)
{
	return conf_syslog_facility(s) == -1 ? -1 : 0;
}

static int
check_url(const char *s)
{
	size_t n = strlen(s);

	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return -1;
	if (n > 0 && s[n - 1] == '/')
		return -1;
	return 0;
}

static int
check_nonempty(const char *s)
{
	return s[0] == '\0' ? -1 : 0;
}

static const struct ckey *
key_find(const char *sec, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].sec, sec) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/*
 * The file being parsed, for messages: the text goes to libconfuse as a
 * buffer (see strip_comments), and sections carry no file name anyway.
 */
static const char *conf_parsing;

/* "file:line: message", the format every config error has. */
static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	const char *file = conf_parsing;

	if (file == NULL && cfg != NULL)
		file = cfg->filename;
	if (file != NULL)
		fprintf(stderr, "%s:%d: ", file, cfg != NULL ? cfg->line : 0);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int
parse_size(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	if (value[0] < '0' || value[0] > '9')
		goto bad;
	v = strtoull(value, &end, 10);
	if (errno != 0)
		goto bad;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = KIB;
		end++;
		break;
	case 'm': case 'M':
		mult = MIB;
		end++;
		break;
	case 'g': case 'G':
		mult = GIB;
		end++;
		break;
	default:
		goto bad;
	}
	if (*end == 'i' && end[1] == 'B')	/* 10MiB */
		end += 2;
	else if (*end == 'B' && mult > 1)	/* 10MB, meaning MiB */
		end++;
	if (*end != '\0' || v > LONG_MAX / mult)
		goto bad;
	*(long *)result = (long)(v * mult);
	return 0;
bad:
	cfg_error(cfg, "invalid size '%s' for option '%s' (bytes, or a "
	    "number with K, M or G)", value, opt->name);
	return -1;
}

/* Called by the parser right after a value is set. */
static int
validate(cfg_t *cfg, cfg_opt_t *opt)
{
	const struct ckey *k = key_find(cfg->name, opt->name);
	const char *str;
	long v;

	if (k == NULL)
		return 0;
	switch (k->type) {
	case K_INT:
	case K_SIZE:
		v = cfg_opt_getnint(opt, 0);
		if (v < k->min || v > k->max) {
			cfg_error(cfg, "%s.%s: %ld is out of range (%ld to %ld)",
			    k->sec, k->name, v, k->min, k->max);
			return -1;
		}
		break;
	case K_STR:
		str = cfg_opt_getnstr(opt, 0);
		if (k->check != NULL && (str == NULL || k->check(str) == -1)) {
			cfg_error(cfg, "%s.%s: invalid value '%s'", k->sec,
			    k->name, str ? str : "");
			return -1;
		}
		break;
	case K_BOOL:
		break;
	}
	return 0;
}

/* libconfuse option arrays built from keys[]; free with opts_free(). */
static cfg_opt_t *
opts_build(void)
{
	cfg_opt_t *top, *sub, *o;
	size_t s, i, n;

	top = xcalloc(NSECTIONS + 1, sizeof(*top));
	for (s = 0; s < NSECTIONS; s++) {
		for (n = 0, i = 0; i < NKEYS; i++)
			if (strcmp(keys[i].sec, sections[s]) == 0)
				n++;
		sub = xcalloc(n + 1, sizeof(*sub));
		for (n = 0, i = 0; i < NKEYS; i++) {
			if (strcmp(keys[i].sec, sections[s]) != 0)
				continue;
			o = &sub[n++];
			o->name = keys[i].name;
			switch (keys[i].type) {
			case K_STR:
				o->type = CFGT_STR;
				o->def.string = keys[i].sdef;
				break;
			case K_SIZE:
				o->parsecb = parse_size;
				/* FALLTHROUGH */
			case K_INT:
				o->type = CFGT_INT;
				o->def.number = keys[i].idef;
				break;
			case K_BOOL:
				o->type = CFGT_BOOL;
				o->def.boolean = keys[i].idef ? cfg_true :
				    cfg_false;
				break;
			}
			o->validcb = validate;
		}
		sub[n].type = CFGT_NONE;
		top[s].name = sections[s];
		top[s].type = CFGT_SEC;
		top[s].subopts = sub;
	}
	top[NSECTIONS].type = CFGT_NONE;
	return top;
}

static void
opts_free(cfg_opt_t *top)
{
	size_t s;

	for (s = 0; s < NSECTIONS; s++)
		free(top[s].subopts);
	free(top);
}

static void
conf_fill(struct conf *c, cfg_t *cfg)
{
	const struct ckey *k;
	cfg_t *sec;
	char *base = (char *)c;
	const char *str;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		k = &keys[i];
		sec = cfg_getsec(cfg, k->sec);
		switch (k->type) {
		case K_STR:
			str = sec != NULL ? cfg_getstr(sec, k->name) : k->sdef;
			*(char **)(base + k->off) = xstrdup(str ? str : "");
			break;
		case K_INT:
			*(int *)(base + k->off) = sec != NULL ?
			    (int)cfg_getint(sec, k->name) : (int)k->idef;
			break;
		case K_SIZE:
			*(size_t *)(base + k->off) = sec != NULL ?
			    (size_t)cfg_getint(sec, k->name) : (size_t)k->idef;
			break;
		case K_BOOL:
			*(int *)(base + k->off) = sec != NULL ?
			    cfg_getbool(sec, k->name) == cfg_true :
			    (int)k->idef;
			break;
		}
	}
}

/* Checks across keys, once the whole file is read. */
static int
conf_check(const struct conf *c, const char *file)
{
	if (c->http.page_size > c->http.max_page_size) {
		fprintf(stderr, "%s:0: http.page_size (%d) is larger than "
		    "http.max_page_size (%d)\n", file ? file : "(defaults)",
		    c->http.page_size, c->http.max_page_size);
		return -1;
	}
	return 0;
}

#define CONF_MAX_FILE	(1024 * 1024)

/* The whole file, NUL-terminated, or NULL after "file:0: why". */
static char *
read_file(const char *path)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	buf = xmalloc(CONF_MAX_FILE + 1);
	while ((n = read(fd, buf + len, CONF_MAX_FILE - len)) > 0)
		len += (size_t)n;
	if (n == -1)
		goto fail;
	if (len == CONF_MAX_FILE) {
		errno = EFBIG;
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		fprintf(stderr, "%s:0: not a text file (NUL byte)\n", path);
		goto fail_quiet;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	fprintf(stderr, "%s:0: cannot read: %s\n", path, strerror(errno));
fail_quiet:
	if (fd != -1)
		close(fd);
	free(buf);
	return NULL;
}

/*
 * Blank out comments (#..., //..., / * ... * /) outside strings, keeping
 * the newlines, before libconfuse sees the text: its lexer miscounts
 * lines after comments, and it quietly accepts a section whose closing
 * brace is missing, which is checked here.
 */
static int
strip_comments(char *s, const char *path)
{
	int line = 1, open_line = 0, depth = 0;
	char q;

	while (*s) {
		switch (*s) {
		case '\n':
			line++;
			s++;
			break;
		case '"':
		case '\'':
			for (q = *s++; *s && *s != q; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				if (*s == '\n')
					line++;
			}
			if (*s)
				s++;
			break;
		case '#':
			while (*s && *s != '\n')
				*s++ = ' ';
			break;
		case '/':
			if (s[1] == '/') {
				while (*s && *s != '\n')
					*s++ = ' ';
			} else if (s[1] == '*') {
				*s++ = ' ';
				*s++ = ' ';
				while (*s && !(s[0] == '*' && s[1] == '/')) {
					if (*s == '\n')
						line++;
					else
						*s = ' ';
					s++;
				}
				if (*s == '\0') {
					fprintf(stderr, "%s:%d: unterminated "
					    "comment\n", path, line);
					return -1;
				}
				*s++ = ' ';
				*s++ = ' ';
			} else
				s++;
			break;
		case '{':
			if (depth++ == 0)
				open_line = line;
			s++;
			break;
		case '}':
			depth--;
			s++;
			break;
		default:
			s++;
		}
	}
	if (depth > 0) {
		fprintf(stderr, "%s:%d: missing '}' for the section opened on "
		    "line %d\n", path, line, open_line);
		return -1;
	}
	return 0;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	conf_fill(c, NULL);
}

int
conf_load(struct conf *c, const char *path)
{
	cfg_opt_t *opts = NULL;
	cfg_t *cfg = NULL;
	char *text = NULL;
	const char *env;
	struct stat st;
	int rc = -1, r;

	memset(c, 0, sizeof(*c));
	if (path == NULL && (env = getenv("PW_CONFIG")) != NULL &&
	    env[0] != '\0')
		path = env;
	if (path == NULL) {
		path = PW_SYSCONFDIR "/patchwork.conf";
		if (stat(path, &st) == -1 && errno == ENOENT)
			path = NULL;	/* the default file may be absent */
	}
	if (path != NULL && (text = read_file(path)) == NULL)
		goto out;

	opts = opts_build();
	cfg = cfg_init(opts, CFGF_NONE);
	cfg_set_error_function(cfg, conf_errfunc);
	if (text != NULL) {
		if (strip_comments(text, path) == -1)
			goto out;
		conf_parsing = path;
		r = cfg_parse_buf(cfg, text);
		conf_parsing = NULL;
		if (r != CFG_SUCCESS)
			goto out;	/* libconfuse printed file:line */
		c->path = xstrdup(path);
	}
	conf_fill(c, cfg);
	if (conf_check(c, path) == -1)
		goto out;
	if ((env = getenv("PW_DATABASE_URL")) != NULL && env[0] != '\0') {
		free(c->database.url);
		c->database.url = xstrdup(env);
	}
	rc = 0;
out:
	free(text);
	if (cfg != NULL)
		cfg_free(cfg);
	if (opts != NULL)
		opts_free(opts);
	if (rc == -1)
		conf_release(c);
	return rc;
}

void
conf_release(struct conf *c)
{
	size_t i;

	free(c->path);
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STR)
			free(*(char **)((char *)c + keys[i].off));
	memset(c, 0, sizeof(*c));
}

/* A string in double quotes that libconfuse reads back unchanged. */
static void
print_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		switch (*s) {
		case '"': case '\\': case '$':
			fputc('\\', fp);
			fputc(*s, fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fprintf(fp, "\\x%02x", (unsigned char)*s);
			else
				fputc(*s, fp);
		}
	}
	fputc('"', fp);
}

static void
print_size(FILE *fp, size_t v)
{
	if (v != 0 && v % GIB == 0)
		fprintf(fp, "%zuG", v / GIB);
	else if (v != 0 && v % MIB == 0)
		fprintf(fp, "%zuM", v / MIB);
	else if (v != 0 && v % KIB == 0)
		fprintf(fp, "%zuK", v / KIB);
	else
		fprintf(fp, "%zu", v);
}

static void
print_comment(FILE *fp, const char *indent, const char *text)
{
	const char *nl;

	while (*text) {
		nl = strchr(text, '\n');
		if (nl == NULL)
			nl = text + strlen(text);
		fprintf(fp, "%s# %.*s\n", indent, (int)(nl - text), text);
		text = *nl ? nl + 1 : nl;
	}
}

static void
conf_print_as(FILE *fp, const struct conf *c, int defaults)
{
	const char *base = (const char *)c;
	const struct ckey *k;
	size_t s, i;
	int first;

	fprintf(fp,
	    "# patchwork.conf: configuration of Patchwork in C.\n"
	    "#\n"
	    "# Every pw program reads it at start-up: the file named by -c,\n"
	    "# else $PW_CONFIG, else %s/patchwork.conf.\n"
	    "# Every key may be left out; %s.\n"
	    "# Syntax (libconfuse): `key = value`, sections in braces,\n"
	    "# comments from # to the end of the line.  Double-quoted strings\n"
	    "# expand ${VARIABLE} from the environment; single-quoted ones\n"
	    "# are taken literally.  Sizes are bytes, or a number with K, M\n"
	    "# or G (powers of 1024).  Booleans are true or false.\n"
	    "# Check a file with `pw config -n`.\n",
	    PW_SYSCONFDIR, defaults ? "the values shown are the defaults" :
	    "the values shown are those in effect");
	for (s = 0; s < NSECTIONS; s++) {
		fprintf(fp, "\n# %s\n%s {\n", section_help[s], sections[s]);
		first = 1;
		for (i = 0; i < NKEYS; i++) {
			k = &keys[i];
			if (strcmp(k->sec, sections[s]) != 0)
				continue;
			if (!first)
				fputc('\n', fp);
			first = 0;
			print_comment(fp, "\t", k->help);
			fprintf(fp, "\t%s = ", k->name);
			switch (k->type) {
			case K_STR:
				print_str(fp, *(char *const *)(base + k->off));
				break;
			case K_INT:
				fprintf(fp, "%d", *(const int *)(base + k->off));
				break;
			case K_SIZE:
				print_size(fp, *(const size_t *)(base + k->off));
				break;
			case K_BOOL:
				fputs(*(const int *)(base + k->off) ? "true" :
				    "false", fp);
				break;
			}
			fputc('\n', fp);
		}
		fputs("}\n", fp);
	}
}

void
conf_print(FILE *fp, const struct conf *c)
{
	conf_print_as(fp, c, 0);
}

void
conf_print_default(FILE *fp)
{
	struct conf c;

	conf_defaults(&c);
	conf_print_as(fp, &c, 1);
	conf_release(&c);
}
