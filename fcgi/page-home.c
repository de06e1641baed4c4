/*
 * The home page: the list of projects (web spec 2.2).
 */
#include <stddef.h>

#include "db.h"
#include "pwfcgi.h"

enum {
	STMT_HOME_PROJECTS,
	STMT_HOME__MAX,
};

static const struct stmt_def stmts[STMT_HOME__MAX] = {
	[STMT_HOME_PROJECTS] = { "home_projects",
	    "SELECT name, linkname, web_url, webscm_url FROM project"
	    " ORDER BY name, id", 0 },
};

static void
link_if(const char *url, const char *label)
{
	if (url == NULL || *url == '\0')
		return;
	html_raw("<li><a href=\"");
	html_attr(url);
	html_raw("\">");
	html_text(label);
	html_raw("</a></li>");
}

/*
 * GET /: 200 with one card per project (name, "View patches", web and
 * SCM links), or the "no projects" sentence; 503 if the database is
 * down.  (Django's redirect to the only project's patch list comes with
 * that page.)
 */
int
page_home(struct req *r)
{
	struct dbres *res;
	int i, n;

	res = db_run0(r->db, &stmts[STMT_HOME_PROJECTS]);
	if (res == NULL)
		return r->db->err == DB_UNAVAILABLE ? 503 : 500;
	page_header(r, "Projects");
	html_raw("<h1>Projects</h1>\n");
	n = dbres_rows(res);
	if (n == 0)
		html_raw("<p>Patchwork doesn't have any projects to display!"
		    "</p>\n");
	else
		html_raw("<div class=\"projects\">\n");
	for (i = 0; i < n; i++) {
		const char *linkname = dbres_str(res, i, 1);

		html_raw("<div class=\"project\"><h2><a href=\"/project/");
		html_url(linkname);
		html_raw("/\">");
		html_text(dbres_str(res, i, 0));
		html_raw("</a></h2><ul><li><a href=\"/project/");
		html_url(linkname);
		html_raw("/list/\">View patches</a></li>");
		link_if(dbres_str(res, i, 2), "Website");
		link_if(dbres_str(res, i, 3), "Source code");
		html_raw("</ul></div>\n");
	}
	if (n > 0)
		html_raw("</div>\n");
	dbres_free(res);
	page_footer(r);
	return 200;
}
