#ifndef PW_MBOX_H
#define PW_MBOX_H
/*
 * Reading mail archives one message at a time, in constant memory: an
 * mbox stream (a file or a pipe), or a Maildir directory.
 *
 * mbox: a message starts at every line beginning "From " (as Python's
 * mailbox module splits, which the reference's parsearchive uses); that
 * line is the envelope, not part of the message, and its address is
 * handed back as the envelope sender.  Lines matching ^>+From  lose one
 * '>' (mboxrd unescaping, which also undoes mboxo's escaping of plain
 * "From " lines).  The empty line before the next "From " line (and at
 * the end of the file) belongs to the format, not to the message.  Text
 * before the first "From " line is taken as a message when it is not
 * empty, so a single mail file imports too.
 *
 * Maildir: the files of cur/ and new/, in name order (which is delivery
 * order for the usual names).
 *
 * Each message is returned with the SHA-256 of its bytes.  A message
 * longer than max is not kept whole: msg holds its first max bytes,
 * *size says how long it was, and the digest still covers all of it.
 *
 * Lifecycle:
 *  1. mbox_open(&mb, path, max) (path NULL or "-": stdin);
 *  2. mbox_next(&mb, &msg) until it returns 0 (end) or -1 (read error,
 *     logged);
 *  3. mbox_close(&mb).
 * mb.bytes counts the input consumed, mb.total is the input's size when
 * known (0 for a pipe), for progress reports.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

struct mbox_msg {
	struct buf	 data;		/* the message (up to max bytes) */
	size_t		 size;		/* its real length */
	unsigned char	 sha256[32];
	char		 envelope[256];	/* "From " line's address, or "" */
	size_t		 offset;	/* where it starts in the input */
};

struct mbox {
	const char	*path;
	FILE		*fp;		/* mbox */
	char		**files;	/* Maildir */
	size_t		 nfiles, next;
	size_t		 max;
	uint64_t	 bytes;		/* consumed so far */
	uint64_t	 total;		/* input size, 0 when unknown */
	char		*line;		/* getline() buffer */
	size_t		 linecap;
	ssize_t		 linelen;	/* pending "From " line, or -1 */
	int		 eof;
};

/* 0, or -1 (logged) when path cannot be opened. */
int	mbox_open(struct mbox *, const char *path, size_t max);
/* 1 a message, 0 the end, -1 a read error (logged). */
int	mbox_next(struct mbox *, struct mbox_msg *);
void	mbox_close(struct mbox *);

void	mbox_msg_init(struct mbox_msg *);
void	mbox_msg_release(struct mbox_msg *);

#endif
