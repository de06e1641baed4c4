#!/bin/sh
# REST API: pagination (spec 2.7) with the exact Link header, deep pages
# (marks and reverse reads must give what OFFSET would), and the query
# counter: a list runs the same statements whatever its page size.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup

# Bulk rows, in a project of their own ("bulk", id 4): 2,600 patches with
# states, dates and names that do not follow the ids, 260 series and
# covers, 2,600 events; plus 150 people, 110 users, 120 projects, 150
# comments and checks on patch 1.
test_expect_success 'bulk data' '
	sql >/dev/null <<-\EOF
	INSERT INTO project (id, linkname, name, listid, listemail)
		VALUES (4, $$bulk$$, $$Bulk$$, $$bulk.example.org$$, $$bulk@example.org$$);
	INSERT INTO project (id, linkname, name, listid, listemail)
		SELECT 100 + i, $$p$$ || i, $$P $$ || i, $$p$$ || i || $$.example.org$$,
			$$p$$ || i || $$@example.org$$ FROM generate_series(10, 129) i;
	INSERT INTO person (name, email)
		SELECT $$Person $$ || i, $$person$$ || i || $$@example.org$$
		FROM generate_series(1, 150) i;
	INSERT INTO auth_user (username, email)
		SELECT $$u$$ || i, $$u$$ || i || $$@example.org$$
		FROM generate_series(1, 110) i;
	INSERT INTO cover (id, project_id, msgid, date, name, submitter_id, headers)
		SELECT 100 + i, 4, $$<bc$$ || i || $$@x>$$,
			timestamptz $$2023-01-01$$ + (i * 7 % 260) * interval $$1 hour$$,
			$$bulk cover $$ || (i * 13 % 260), 1 + i % 4, $$$$
		FROM generate_series(1, 260) i;
	INSERT INTO series (id, project_id, name, date, submitter_id, total, cover_letter_id)
		SELECT 100 + i, 4, $$bulk series $$ || (i * 13 % 260),
			timestamptz $$2023-01-01$$ + (i * 7 % 260) * interval $$1 hour$$,
			1 + i % 4, 10, 100 + i
		FROM generate_series(1, 260) i;
	INSERT INTO patch (id, project_id, msgid, date, name, submitter_id,
		state_id, archived, series_id, number, headers)
		SELECT 1000 + i, 4, $$<b$$ || i || $$@x>$$,
			timestamptz $$2023-01-01$$ + (i * 37 % 2600) * interval $$1 minute$$
				+ (i % 3) * interval $$1 microsecond$$,
			$$bulk $$ || lpad(((i * 101) % 2600)::text, 4, $$0$$),
			1 + i % 4, 1 + i % 3, i % 5 = 0, 101 + i / 10, i % 10, $$$$
		FROM generate_series(0, 2599) i;
	INSERT INTO event (category, project_id, date, patch_id)
		SELECT $$patch-created$$, 4, date, id FROM patch WHERE project_id = 4;
	INSERT INTO patch_comment (patch_id, msgid, date, submitter_id, headers)
		SELECT 1, $$<bulkc$$ || i || $$@x>$$,
			timestamptz $$2024-06-01$$ + i * interval $$1 minute$$, 1,
			$$Subject: bulk $$ || i FROM generate_series(1, 150) i;
	INSERT INTO cover_comment (cover_id, msgid, date, submitter_id, headers)
		SELECT 1, $$<bulkcc$$ || i || $$@x>$$,
			timestamptz $$2024-06-01$$ + i * interval $$1 minute$$, 1,
			$$Subject: bulk $$ || i FROM generate_series(1, 150) i;
	INSERT INTO ci_check (patch_id, date, state, context)
		SELECT 1, timestamptz $$2024-06-01$$ + i * interval $$1 minute$$,
			i % 4, $$c$$ || i FROM generate_series(1, 150) i;
	ANALYZE;
	EOF
'

L="$BASE/api/1.2/patches/"

test_expect_success 'Link: the spec example, byte for byte' '
	api_get /api/1.2/patches/ "state=new&project=bulk&state=under-review&per_page=2&page=2" &&
	test_expect_status 200 &&
	n=$(sql -c "SELECT count(*) FROM patch WHERE project_id = 4 AND state_id IN (1, 2)") &&
	last=$(( (n + 1) / 2 )) &&
	printf "%s\n" "<$L?page=3&per_page=2&project=bulk&state=new&state=under-review>; rel=\"next\", <$L?per_page=2&project=bulk&state=new&state=under-review>; rel=\"prev\", <$L?page=1&per_page=2&project=bulk&state=new&state=under-review>; rel=\"first\", <$L?page=$last&per_page=2&project=bulk&state=new&state=under-review>; rel=\"last\"" >expect &&
	http_header Link >actual &&
	test_cmp expect actual
'

test_expect_success 'Link: first page, middle page, last page, empty list' '
	api_get /api/1.2/patches/ "project=bulk" &&
	test "$(http_header Link)" = "<$L?page=2&project=bulk>; rel=\"next\", <$L?page=1&project=bulk>; rel=\"first\", <$L?page=87&project=bulk>; rel=\"last\"" &&
	test "$(jp "len(d)")" = 30 &&
	api_get /api/1.2/patches/ "project=bulk&page=40" &&
	test "$(http_header Link)" = "<$L?page=41&project=bulk>; rel=\"next\", <$L?page=39&project=bulk>; rel=\"prev\", <$L?page=1&project=bulk>; rel=\"first\", <$L?page=87&project=bulk>; rel=\"last\"" &&
	api_get /api/1.2/patches/ "page=87&project=bulk" &&
	test "$(http_header Link)" = "<$L?page=86&project=bulk>; rel=\"prev\", <$L?page=1&project=bulk>; rel=\"first\", <$L?page=87&project=bulk>; rel=\"last\"" &&
	test "$(jp "len(d)")" = 20 &&
	api_get /api/1.2/patches/ "project=nope" &&
	test_body_is "[]" &&
	test "$(http_header Link)" = "<$L?page=1&project=nope>; rel=\"first\", <$L?page=1&project=nope>; rel=\"last\"" &&
	api_get /api/1.2/patches/ "project=nope&page=1" &&
	test_expect_status 200 &&
	api_get /api/1.2/patches/ "project=nope&page=2" &&
	test_expect_status 404
'

test_expect_success 'Link: every parameter kept, sorted, encoded like quote_plus' '
	api_get /api/1.2/patches/ "q=a+b%2Cc:d@e*&zz=&archived=maybe&project=netdev&per_page=1&page=1&%C3%A9t%C3%A9=%E2%9C%93&x=%FF" &&
	test_link first "$L?archived=maybe&page=1&per_page=1&project=netdev&q=a+b%2Cc%3Ad%40e%2A&x=%EF%BF%BD&zz=&%C3%A9t%C3%A9=%E2%9C%93"
'

test_expect_success 'page: last, 0, negative, junk, beyond the end' '
	api_get /api/1.2/patches/ "project=bulk&page=last&per_page=100" &&
	test "$(jp "len(d)")" = 0 -o "$(jp "len(d)")" = 100 &&
	test_link prev "$L?page=25&per_page=100&project=bulk" &&
	test_link last "$L?page=26&per_page=100&project=bulk" &&
	for p in 0 -1 abc 1.5 88 99999999999; do
		api_get /api/1.2/patches/ "project=bulk&page=$p" &&
		test_expect_status 404 &&
		test_body_is "{\"detail\":\"Invalid page.\"}" || return 1
	done &&
	api_get /api/1.2/patches/ "project=bulk&page=" &&
	test_expect_status 200 &&
	api_get /api/1.2/patches/ "project=bulk&page=+2" &&
	test_expect_status 200
'

test_expect_success 'per_page: clamped to 250; 0, negative and junk mean 30' '
	api_get /api/1.2/patches/ "project=bulk&per_page=1000" &&
	test "$(jp "len(d)")" = 250 &&
	test_link last "$L?page=11&per_page=1000&project=bulk" &&
	for pp in 0 -5 x 99999999999999999999; do
		api_get /api/1.2/patches/ "project=bulk&per_page=$pp" &&
		test "$(jp "len(d)")" = 30 || return 1
	done
'

# offset_pages ORDER-SQL WHERE PAGE...: "PAGE IDS" lines, the pages of
# 10 as OFFSET gives them ("[]" past the end).
offset_pages() {
	local ord=$1 where=$2 pages
	shift 2
	pages=$(echo "$@" | tr " " ",")
	sql -c "SELECT n, coalesce((SELECT json_agg(id) FROM (SELECT id
		FROM patch p WHERE $where ORDER BY $ord LIMIT 10
		OFFSET (n - 1) * 10) x), '[]') FROM unnest('{$pages}'::int[]) n" |
		tr -d " " | tr "|" " "
}

test_expect_success 'deep pages (marks, reverse reads) equal OFFSET pages' '
	for spec in "|p.id, p.id|project_id = 4" \
	    "order=-date|p.date DESC, p.id DESC|project_id = 4" \
	    "order=name|p.name, p.id|project_id = 4" \
	    "order=state|(SELECT ordering FROM state s WHERE s.id = p.state_id), p.id|project_id = 4" \
	    "state=new|p.id, p.id|project_id = 4 AND state_id = 1" \
	    "archived=false&order=-submitter|p.submitter_id DESC, p.id DESC|project_id = 4 AND NOT archived"; do
		q=${spec%%|*} rest=${spec#*|} &&
		ord=${rest%%|*} where=${rest#*|} &&
		offset_pages "$ord" "$where" 1 2 60 101 150 170 200 230 260 >want &&
		while read page want; do
			api_get /api/1.2/patches/ "project=bulk&per_page=10&page=$page&$q" || return 1
			st=$(http_status)
			if [ "$want" = "[]" ]; then
				test "$st" = 404 || { echo "page $page ($q): $st" >&2; return 1; }
				continue
			fi
			got=$(grep -o "\"url\":\"[^\"]*/api/1.2/patches/[0-9]*/\",\"web_url" body |
				sed "s|.*/patches/\([0-9]*\)/.*|\1|" | paste -sd, -)
			test "[$got]" = "$want" ||
				{ echo "page $page ($q): got [$got] want $want" >&2; return 1; }
		done <want || return 1
	done
'

test_expect_success 'deep pages of events, covers and series' '
	api_get /api/1.2/events/ "project=bulk&per_page=10&page=150" &&
	want=$(sql -c "SELECT json_agg(id) FROM (SELECT id FROM event WHERE project_id = 4 ORDER BY date DESC, id DESC LIMIT 10 OFFSET 1490) x" | tr -d " ") &&
	test "$(jp "[e[\"id\"] for e in d]")" = "$want" &&
	api_get /api/1.2/events/ "project=bulk&per_page=10&page=150&order=date" &&
	want=$(sql -c "SELECT json_agg(id) FROM (SELECT id FROM event WHERE project_id = 4 ORDER BY date, id LIMIT 10 OFFSET 1490) x" | tr -d " ") &&
	test "$(jp "[e[\"id\"] for e in d]")" = "$want" &&
	api_get /api/1.2/covers/ "project=bulk&per_page=2&page=70&order=-date" &&
	want=$(sql -c "SELECT json_agg(id) FROM (SELECT id FROM cover WHERE project_id = 4 ORDER BY date DESC, id DESC LIMIT 2 OFFSET 138) x" | tr -d " ") &&
	test "$(jp "[c[\"id\"] for c in d]")" = "$want" &&
	api_get /api/1.2/series/ "project=bulk&per_page=2&page=100&order=name" &&
	want=$(sql -c "SELECT json_agg(id) FROM (SELECT id FROM series WHERE project_id = 4 ORDER BY name, id LIMIT 2 OFFSET 198) x" | tr -d " ") &&
	test "$(jp "[s[\"id\"] for s in d]")" = "$want"
'

# same_queries AS-TOKEN PATH QUERY EXPECTED: the same statements for 1
# and 100 rows a page, and as many as expected.
same_queries() {
	local n1 n100
	if [ -n "$1" ]; then
		api_get_as "$1" "$2" "$3&per_page=1" && n1=$(api_queries) &&
		api_get_as "$1" "$2" "$3&per_page=100" && n100=$(api_queries)
	else
		api_get "$2" "$3&per_page=1" && n1=$(api_queries) &&
		api_get "$2" "$3&per_page=100" && n100=$(api_queries)
	fi || return 1
	test "$(jp "len(d)")" = 100 &&
	if [ "$n1" != "$n100" ] || [ "$n1" != "$4" ]; then
		echo "$2?$3: $n1 statements for 1 row, $n100 for 100, want $4" >&2
		return 1
	fi
}

test_expect_success 'query counter: no statement per row' '
	same_queries "" /api/1.3/projects/ "x=1" 4 &&
	same_queries "$BOB" /api/1.3/people/ "x=1" 4 &&
	same_queries "$BOB" /api/1.3/users/ "x=1" 4 &&
	same_queries "" /api/1.3/patches/ "project=bulk" 3 &&
	same_queries "" /api/1.3/patches/ "project=bulk&state=new&state=rfc&submitter=1&order=-date" 5 &&
	same_queries "" /api/1.1/patches/ "x=1" 3 &&
	same_queries "" /api/1.3/covers/ "project=bulk" 3 &&
	same_queries "" /api/1.3/series/ "project=bulk" 4 &&
	same_queries "" /api/1.4/series/ "project=bulk" 5 &&
	same_queries "" /api/1.3/events/ "x=1" 3 &&
	same_queries "" /api/1.3/patches/1/comments/ "x=1" 4 &&
	same_queries "" /api/1.3/covers/1/comments/ "x=1" 4 &&
	same_queries "" /api/1.3/patches/1/checks/ "x=1" 4
'

test_expect_success 'query counter: detail endpoints' '
	api_get /api/1.3/patches/1/ && test "$(api_queries)" = 2 &&
	api_get /api/1.3/patches/4/ && test "$(api_queries)" = 1 &&
	api_get /api/1.3/series/1/ && test "$(api_queries)" = 2 &&
	api_get /api/1.4/series/3/ && test "$(api_queries)" = 4 &&
	api_get /api/1.3/covers/1/ && test "$(api_queries)" = 1 &&
	api_get /api/1.3/projects/1/ && test "$(api_queries)" = 2
'

test_done
