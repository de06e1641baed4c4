#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "html.h"
#include "test.h"

/*
 * html-escape MODE: read stdin, write it through one writer (text, attr,
 * url or textf) and print the result, so scripts compare whole outputs.
 */
int
test_html_escape(int argc, char *argv[])
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (argc != 2)
		return 64;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(&in, chunk, n);
	html_output(&out);
	if (strcmp(argv[1], "text") == 0)
		html_textn(in.s, in.len);
	else if (strcmp(argv[1], "attr") == 0)
		html_attr(in.s);
	else if (strcmp(argv[1], "url") == 0)
		html_url(in.s);
	else if (strcmp(argv[1], "textf") == 0)
		html_textf("[%s|%d]", in.s, 42);
	else if (strcmp(argv[1], "raw") == 0)
		html_raw(in.s);
	else
		return 64;
	fwrite(out.s, 1, out.len, stdout);
	buf_release(&in);
	buf_release(&out);
	return 0;
}
