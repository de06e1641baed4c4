#include <string.h>
#include <strings.h>

#include "buf.h"
#include "pull.h"
#include "rx.h"
#include "text.h"

static struct rx *pull_rx;

#define PULL_HEAD	"The following changes since commit"
#define PULL_AVAIL	"are available in the git repository at:"

/* Offset of the first line that starts with phrase (ASCII caseless). */
static int
line_starting(const char *s, size_t len, size_t from, const char *phrase,
    size_t *at)
{
	size_t n = strlen(phrase), p = from;
	const char *nl;

	while (p < len) {
		if (len - p >= n && strncasecmp(s + p, phrase, n) == 0) {
			*at = p;
			return 1;
		}
		nl = memchr(s + p, '\n', len - p);
		if (nl == NULL)
			break;
		p = (size_t)(nl - s) + 1;
	}
	return 0;
}

char *
pull_url(const char *text, size_t len)
{
	struct buf url = BUF_INIT;
	size_t head, avail, ov[4];

	if (!line_starting(text, len, 0, PULL_HEAD, &head) ||
	    !line_starting(text, len, head, PULL_AVAIL, &avail))
		return NULL;
	if (pull_rx == NULL)
		pull_rx = rx_compile(
		    "^The following changes since commit.*"
		    "^are available in the git repository at:\\s*\\n"
		    "^\\s*([\\w+-]+(?:://|@)[\\w/.@:~-]+[\\s\\\\]*[\\w/._-]*)\\s*$",
		    RX_DOTALL | RX_MULTILINE | RX_ICASE, NULL, 0);
	if (pull_rx == NULL)
		return NULL;
	/* a match from any later start implies one from the first */
	if (rx_match(pull_rx, text, len, head, RX_ANCHORED, ov, 2) < 2 ||
	    ov[2] == RX_UNSET)
		return NULL;
	text_add_collapsed(&url, text + ov[2], ov[3] - ov[2]);
	if (url.len == 0) {
		buf_release(&url);
		return NULL;
	}
	return buf_detach(&url, NULL);
}
