/*
 * mbox and Maildir reading; the contract is in mbox.h.
 *
 * The mbox is read line by line through stdio (getline), so memory is one
 * message (capped) plus one line, whatever the size of the archive.  A
 * blank line is held back until the next line shows whether it was the
 * separator before a "From " line; the digest is fed in step with the
 * message bytes, so it covers exactly what the message holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "mbox.h"
#include "xalloc.h"

struct sink {
	struct mbox_msg	*msg;
	size_t		 max;
	EVP_MD_CTX	*md;
};

static void
sink_add(struct sink *s, const char *p, size_t n)
{
	struct mbox_msg *m = s->msg;

	m->size += n;
	EVP_DigestUpdate(s->md, p, n);
	if (m->data.len < s->max)
		buf_add(&m->data, p, n < s->max - m->data.len ? n :
		    s->max - m->data.len);
}

static void
sink_begin(struct sink *s, struct mbox_msg *m, size_t max)
{
	buf_reset(&m->data);
	m->size = 0;
	m->envelope[0] = '\0';
	memset(m->sha256, 0, sizeof(m->sha256));
	s->msg = m;
	s->max = max;
	s->md = EVP_MD_CTX_new();
	if (s->md == NULL)
		abort();
	EVP_DigestInit_ex(s->md, EVP_sha256(), NULL);
}

static void
sink_end(struct sink *s)
{
	unsigned int n = 32;

	EVP_DigestFinal_ex(s->md, s->msg->sha256, &n);
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

void
mbox_msg_init(struct mbox_msg *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->data, 0);
}

void
mbox_msg_release(struct mbox_msg *m)
{
	buf_release(&m->data);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add the files of dir/sub to mb->files; -1 if dir/sub is missing. */
static int
maildir_scan(struct mbox *mb, const char *dir, const char *sub)
{
	char *path = xasprintf("%s/%s", dir, sub);
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		free(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		mb->files = xreallocarray(mb->files, mb->nfiles + 1,
		    sizeof(*mb->files));
		mb->files[mb->nfiles++] = xasprintf("%s/%s", path, de->d_name);
	}
	closedir(d);
	free(path);
	return 0;
}

int
mbox_open(struct mbox *mb, const char *path, size_t max)
{
	struct stat st;
	size_t i;
	int fd;

	memset(mb, 0, sizeof(*mb));
	mb->linelen = -1;
	mb->max = max ? max : (size_t)-1;
	mb->path = path && strcmp(path, "-") != 0 ? path : "(stdin)";
	if (path == NULL || strcmp(path, "-") == 0) {
		mb->fp = stdin;
		if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
			mb->total = (uint64_t)st.st_size;
		return 0;
	}
	if (stat(path, &st) == -1)
		return error("%s", path);
	if (S_ISDIR(st.st_mode)) {
		int a = maildir_scan(mb, path, "cur");
		int b = maildir_scan(mb, path, "new");

		if (a == -1 && b == -1)
			return errorx("%s: a directory, but not a Maildir "
			    "(no cur/ or new/)", path);
		qsort(mb->files, mb->nfiles, sizeof(*mb->files), by_name);
		for (i = 0; i < mb->nfiles; i++)
			if (stat(mb->files[i], &st) == 0)
				mb->total += (uint64_t)st.st_size;
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return error("%s", path);
	if ((mb->fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return error("%s", path);
	}
	mb->total = (uint64_t)st.st_size;
	/* sequential reading: ask for big read-ahead */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

void
mbox_close(struct mbox *mb)
{
	size_t i;

	if (mb->fp != NULL && mb->fp != stdin)
		fclose(mb->fp);
	for (i = 0; i < mb->nfiles; i++)
		free(mb->files[i]);
	free(mb->files);
	free(mb->line);
	memset(mb, 0, sizeof(*mb));
}

static int
maildir_next(struct mbox *mb, struct mbox_msg *m)
{
	struct sink s;
	char tmp[65536];
	const char *f;
	ssize_t n;
	int fd;

	while (mb->next < mb->nfiles) {
		f = mb->files[mb->next++];
		if ((fd = open(f, O_RDONLY | O_CLOEXEC)) == -1) {
			if (errno == ENOENT)
				continue;	/* moved meanwhile */
			return error("%s", f);
		}
		sink_begin(&s, m, mb->max);
		m->offset = (size_t)mb->bytes;
		while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
			sink_add(&s, tmp, (size_t)n);
			mb->bytes += (uint64_t)n;
		}
		sink_end(&s);
		close(fd);
		if (n == -1)
			return error("%s", f);
		return 1;
	}
	return 0;
}

static int
is_from_line(const char *s, ssize_t n)
{
	return n >= 5 && memcmp(s, "From ", 5) == 0;
}

static void
set_envelope(struct mbox_msg *m, const char *line, ssize_t n)
{
	const char *p = line + 5, *e = line + n;
	size_t len = 0;

	while (p < e && *p == ' ')
		p++;
	while (p + len < e && p[len] != ' ' && p[len] != '\t' &&
	    p[len] != '\n' && p[len] != '\r' && len < sizeof(m->envelope) - 1)
		len++;
	memcpy(m->envelope, p, len);
	m->envelope[len] = '\0';
}

int
mbox_next(struct mbox *mb, struct mbox_msg *m)
{
	struct sink s;
	ssize_t n;
	int blank, have_line = 0;

	if (mb->files != NULL || mb->fp == NULL)
		return maildir_next(mb, m);
	for (;;) {
		if (mb->eof && mb->linelen < 0)
			return 0;
		sink_begin(&s, m, mb->max);
		m->offset = (size_t)(mb->bytes - (mb->linelen > 0 ?
		    (uint64_t)mb->linelen : 0));
		if (mb->linelen > 0) {
			/* the "From " line that ended the previous message */
			set_envelope(m, mb->line, mb->linelen);
			mb->linelen = -1;
			have_line = 1;
		}
		blank = 0;
		while ((n = getline(&mb->line, &mb->linecap, mb->fp)) != -1) {
			mb->bytes += (uint64_t)n;
			if (is_from_line(mb->line, n)) {
				if (!have_line && m->size == 0) {
					/* only blank lines before it */
					set_envelope(m, mb->line, n);
					have_line = 1;
					continue;
				}
				mb->linelen = n;
				break;
			}
			if (n == 1 && mb->line[0] == '\n') {
				if (blank)
					sink_add(&s, "\n", 1);
				blank = 1;
				continue;
			}
			if (blank) {
				sink_add(&s, "\n", 1);
				blank = 0;
			}
			/* mboxrd: ^>+From  loses one '>' */
			if (mb->line[0] == '>') {
				ssize_t i = 1;

				while (i < n && mb->line[i] == '>')
					i++;
				if (is_from_line(mb->line + i, n - i)) {
					sink_add(&s, mb->line + 1, (size_t)n - 1);
					continue;
				}
			}
			sink_add(&s, mb->line, (size_t)n);
		}
		if (n == -1) {
			if (ferror(mb->fp)) {
				sink_end(&s);
				return error("%s", mb->path);
			}
			mb->eof = 1;
		}
		sink_end(&s);
		if (m->size > 0 || have_line)
			return 1;
		have_line = 0;
	}
}
