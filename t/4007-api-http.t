#!/bin/sh
# REST API through nginx and the pw.fcgi pool: absolute links, the
# worker's count cache following commits, cached marks for deep pages,
# and bad input of every kind in every filter (4xx or a list, never 5xx).
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup
printf 'http {\n\tbase_url = "%s"\n}\n' "$HTTP_URL" >"$TRASH/patchwork.conf"
test_start_http 1

get() {
	test "$(http_get "$1")" = "${2:-200}"
}

test_expect_success 'a list through nginx: absolute Link, same body as CGI' '
	get "/api/1.2/patches/?project=netdev&per_page=2" &&
	test "$(http_header Link)" = "<$HTTP_URL/api/1.2/patches/?page=2&per_page=2&project=netdev>; rel=\"next\", <$HTTP_URL/api/1.2/patches/?page=1&per_page=2&project=netdev>; rel=\"first\", <$HTTP_URL/api/1.2/patches/?page=3&per_page=2&project=netdev>; rel=\"last\"" &&
	mv body pool.json &&
	pw_get /api/1.2/patches/ "project=netdev&per_page=2" &&
	test_cmp pool.json body
'

test_expect_success 'trailing slash: 301 with the query; HEAD' '
	get "/api/1.2/patches?project=netdev" 301 &&
	test "$(http_header Location)" = "/api/1.2/patches/?project=netdev" &&
	test "$(curl -s -I -o /dev/null -w "%{http_code}" "$HTTP_URL/api/1.2/patches/")" = 200
'

test_expect_success 'the count cache follows commits (one worker, same list twice)' '
	get "/api/patches/?project=netdev&per_page=1" &&
	test_link last "$HTTP_URL/api/patches/?page=5&per_page=1&project=netdev" &&
	get "/api/patches/?project=netdev&per_page=1" &&
	test_link last "$HTTP_URL/api/patches/?page=5&per_page=1&project=netdev" &&
	sql -c "INSERT INTO patch (project_id, msgid, date, name, submitter_id,
		state_id, headers) VALUES (1, \$\$<new@x>\$\$, now(), \$\$new\$\$, 1, 1, \$\$\$\$)" &&
	get "/api/patches/?project=netdev&per_page=1" &&
	test_link last "$HTTP_URL/api/patches/?page=6&per_page=1&project=netdev" &&
	get "/api/patches/?project=netdev&per_page=1&page=6" &&
	test "$(jp "[p[\"name\"] for p in d]")" = "[\"new\"]"
'

test_expect_success 'deep pages through the pool: cached marks give the OFFSET page' '
	sql >/dev/null <<-\EOF &&
	INSERT INTO project (id, linkname, name, listid, listemail)
		VALUES (4, $$bulk$$, $$Bulk$$, $$bulk.example.org$$, $$bulk@example.org$$);
	INSERT INTO patch (project_id, msgid, date, name, submitter_id,
		state_id, headers)
		SELECT 4, $$<b$$ || i || $$@x>$$,
			timestamptz $$2023-01-01$$ + (i * 37 % 2600) * interval $$1 minute$$,
			$$bulk$$, 1, 1, $$$$ FROM generate_series(0, 2599) i;
	EOF
	for page in 150 151 120 150; do
		get "/api/patches/?project=bulk&per_page=10&order=-date&page=$page" &&
		want=$(sql -c "SELECT json_agg(id) FROM (SELECT id FROM patch
			WHERE project_id = 4 ORDER BY date DESC, id DESC
			LIMIT 10 OFFSET ($page - 1) * 10) x" | tr -d " ") &&
		test "$(jp "[p[\"id\"] for p in d]")" = "$want" || return 1
	done
'

test_expect_success 'bad input in every filter: a list or a 4xx, never 5xx' '
	python3 - "$HTTP_URL" <<-\EOF &&
	import json, sys, urllib.request, urllib.error
	base = sys.argv[1]
	paths = ["projects/", "patches/", "covers/", "series/", "events/",
	    "patches/1/comments/", "covers/1/comments/", "patches/1/checks/"]
	keys = ["project", "series", "submitter", "delegate", "state",
	    "archived", "hash", "msgid", "since", "before", "q", "order", "page",
	    "per_page", "category", "patch", "cover", "actor", "user", "context",
	    "metadata_key", "metadata_value"]
	vals = ["%FF", "%C3%28", "%27%20OR%201=1--",
	    "%3Cscript%3Ealert(1)%3C/script%3E", "99999999999999999999999", "-1",
	    "%00", "%E2%80%A8", "%22%5C", "1e3", "%20"]
	bad = 0
	for p in paths:
	    for k in keys:
	        for v in vals:
	            url = "%s/api/1.4/%s?%s=%s" % (base, p, k, v)
	            try:
	                r = urllib.request.urlopen(url)
	                st, body = r.status, r.read()
	            except urllib.error.HTTPError as e:
	                st, body = e.code, e.read()
	            try:
	                d = json.loads(body)
	                ok = (st == 200 and isinstance(d, list)) or \
	                    (st == 404 and "detail" in d)
	            except ValueError:
	                ok = False
	            if not ok:
	                print(url, st, body[:200], file=sys.stderr)
	                bad += 1
	sys.exit(bad != 0)
	EOF
	! grep -E "answered 5|db: " "$TRASH/pool.log"
'

test_expect_success 'bad ids and tokens in paths and headers' '
	get /api/projects/%FF/ 404 &&
	get /api/projects/%27%3B--/ 404 &&
	get /api/patches/99999999999999999999/ 404 &&
	test "$(curl -s -o body -w "%{http_code}" -H "Authorization: Token %FF%FE" "$HTTP_URL/api/patches/")" = 403 &&
	test "$(curl -s -o body -w "%{http_code}" -H "Authorization: Token $(printf "\377")" "$HTTP_URL/api/patches/")" = 403
'

test_done
