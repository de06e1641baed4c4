/*
 * Page chrome shared by every HTML page, and the HTML error pages.
 * (cgit's ui-shared.c idea.)  The writers go to r->out through html.c.
 */
#include <string.h>

#include "arena.h"
#include "pwfcgi.h"

void
page_header(struct req *r, const char *title)
{
	r->ctype = "text/html; charset=utf-8";
	html_output(&r->out);
	html_raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>");
	html_text(title);
	html_raw(" - Patchwork</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/css/style.css\">\n"
	    "</head>\n<body>\n<nav class=\"navbar\">"
	    "<a class=\"brand\" href=\"/\">Patchwork</a></nav>\n"
	    "<main class=\"content\">\n");
}

void
page_footer(struct req *r)
{
	html_raw("</main>\n<footer>patchwork patch tracking system | version ");
	html_text(PW_VERSION);
	html_raw(" | <a href=\"/api/\">API</a></footer>\n</body>\n</html>\n");
}

/*
 * The HTML body of an error response.  detail, when not NULL, replaces
 * the standard sentence.  The requested path is shown decoded and
 * escaped, as Django's 404 page does.
 */
void
page_error(struct req *r, int status, const char *detail)
{
	char *path;

	buf_reset(&r->out);
	page_header(r, http_reason(status));
	html_raw("<h1>");
	html_text(http_reason(status));
	html_raw("</h1>\n<p>");
	if (detail != NULL)
		html_text(detail);
	else switch (status) {
	case 404:
		path = arena_strdup(r->arena, r->path != NULL ? r->path : "/");
		url_decode(path, 0);
		html_raw("The page URL requested (<code>");
		html_text(path);
		html_raw("</code>) does not exist.");
		break;
	case 405:
		html_raw("The method <code>");
		html_text(r->method_name);
		html_raw("</code> is not allowed for this page.");
		break;
	case 413:
		html_raw("The request body is larger than this server accepts.");
		break;
	case 503:
		html_raw("The service is unavailable right now; "
		    "please try again in a moment.");
		break;
	default:
		if (status >= 500)
			html_raw("Something went wrong on our side; "
			    "it has been logged.");
		else
			html_raw("The request could not be understood.");
	}
	html_raw("</p>\n");
	page_footer(r);
}
