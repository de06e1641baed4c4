#ifndef PW_HTML_H
#define PW_HTML_H
/*
 * HTML writers (STYLE 4.3).  They append to the buffer set with
 * html_output(): pw.fcgi points it at the response body before each
 * request.  html_text() and html_attr() escape & < > " ' alike, so either
 * is safe in text and in a "-quoted attribute; html_raw() is for literal
 * markup from our own source only.  html_url() percent-encodes one URL
 * component.  html_escape() appends the escaped form of n bytes to any
 * buffer.  Nothing here allocates per call beyond buffer growth.
 */
#include <stddef.h>

struct buf;

void	 html_output(struct buf *);
void	 html_raw(const char *);
void	 html_rawn(const char *, size_t);
void	 html_text(const char *);
void	 html_textn(const char *, size_t);
void	 html_attr(const char *);
void	 html_url(const char *);
void	 html_textf(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 html_escape(struct buf *, const char *, size_t);

#endif
