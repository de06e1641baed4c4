#!/bin/sh
# REST API: patches (spec 6): fields per version, detail, every filter,
# every order, the check aggregate, relations.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup

ids() {
	jp "[p[\"id\"] for p in d]"
}

# list QUERY EXPECTED-IDS [VERSION]
list() {
	api_get /api/${3:-1.3}/patches/ "$1" &&
	test_expect_status 200 &&
	if [ "$(ids)" != "$2" ]; then
		echo "patches/?$1: got $(ids), want $2" >&2
		return 1
	fi
}

test_expect_success 'list at 1.3: one patch byte for byte' '
	api_get /api/1.3/patches/ "project=netdev" &&
	test_body_compact &&
	cat >expect <<-EOF &&
	{"id":2,"url":"$BASE/api/1.3/patches/2/","web_url":"$BASE/project/netdev/patch/20240501101112.1-2-a@example.com/","project":{"id":1,"url":"$BASE/api/1.3/projects/1/","name":"Netdev","link_name":"netdev","list_id":"netdev.vger.kernel.org","list_email":"netdev@vger.kernel.org","web_url":"https://netdev.example.org/","scm_url":"","webscm_url":"","list_archive_url":"https://lore.kernel.org/netdev/","list_archive_url_format":"https://lore.kernel.org/r/{}","commit_url_format":"https://git.kernel.org/c/{}"},"msgid":"<20240501101112.1-2-a@example.com>","list_archive_url":"https://lore.kernel.org/r/20240501101112.1-2-a@example.com","date":"2024-05-01T10:11:13.402113","name":"[v2,2/3] net: fix bär","commit_ref":"abc123","pull_url":null,"state":"under-review","archived":false,"hash":"1111111111111111111111111111111111111111","submitter":{"id":1,"url":"$BASE/api/1.3/people/1/","name":"A. Developer","email":"a@example.com"},"delegate":null,"mbox":"$BASE/project/netdev/patch/20240501101112.1-2-a@example.com/mbox/","series":[{"id":1,"url":"$BASE/api/1.3/series/1/","web_url":"$BASE/project/netdev/list/?series=1","date":"2024-05-01T10:11:10","name":"net: foo fixes","version":2,"mbox":"$BASE/series/1/mbox/"}],"comments":"$BASE/api/patches/2/comments/","check":"pending","checks":"$BASE/api/patches/2/checks/","tags":{},"related":[{"id":1,"url":"$BASE/api/1.3/patches/1/","web_url":"$BASE/project/netdev/patch/20240501101112.1-1-a@example.com/","msgid":"<20240501101112.1-1-a@example.com>","list_archive_url":"https://lore.kernel.org/r/20240501101112.1-1-a@example.com","date":"2024-05-01T10:11:12","name":"[v2,1/3] net: fix foo","mbox":"$BASE/project/netdev/patch/20240501101112.1-1-a@example.com/mbox/"}]}
	EOF
	jp "d[1]" >actual &&
	test_cmp expect actual
'

test_expect_success 'fields per version (absent, not null)' '
	api_get /api/1.0/patches/1/ &&
	test "$(json_keys)" = "id,url,project,msgid,date,name,commit_ref,pull_url,state,archived,hash,submitter,delegate,mbox,series,check,checks,tags,headers,content,diff,prefixes" &&
	test "$(json_keys "d[\"project\"]")" = "id,url,name,link_name,list_id,list_email,web_url,scm_url,webscm_url" &&
	test "$(json_keys "d[\"series\"][0]")" = "id,url,date,name,version,mbox" &&
	api_get /api/1.1/patches/ &&
	test "$(json_keys "d[0]")" = "id,url,web_url,project,msgid,date,name,commit_ref,pull_url,state,archived,hash,submitter,delegate,mbox,series,comments,check,checks,tags" &&
	api_get /api/1.2/patches/ &&
	test "$(json_keys "d[0]")" = "id,url,web_url,project,msgid,list_archive_url,date,name,commit_ref,pull_url,state,archived,hash,submitter,delegate,mbox,series,comments,check,checks,tags,related" &&
	api_get /api/patches/1/ &&
	test "$(jp "d[\"url\"]")" = "$BASE/api/patches/1/" &&
	test "$(jp "d[\"series\"][0][\"url\"]")" = "$BASE/api/series/1/"
'

test_expect_success 'detail: headers as Python reads them, content, diff, prefixes' '
	api_get /api/1.3/patches/1/ &&
	test_body_compact &&
	cat >expect <<-\EOF &&
	{"Received":["from mx1.example.org by lists.example.org; Wed, 1 May 2024 10:11:13 +0000","from laptop\n\tby mx1.example.org; Wed, 1 May 2024 10:11:12 +0000"],"From":"A. Developer <a@example.com>","Subject":"[PATCH v2 1/3] net: fix foo","Message-Id":"<20240501101112.1-1-a@example.com>","Date":"Wed,  1 May 2024 10:11:12 +0000","X-Mailer":"=?utf-8?q?J=C3=B6rg?="}
	EOF
	jp "d[\"headers\"]" >actual &&
	test_cmp expect actual &&
	test "$(jp "d[\"prefixes\"]")" = "[\"v2\",\"1/3\"]" &&
	test "$(jp "d[\"content\"]")" = "$(printf "Fix foo.\n\nSigned-off-by: A. Developer <a@example.com>")" &&
	test "$(jp "d[\"check\"]")" = warning &&
	test "$(jp "d[\"delegate\"][\"username\"]")" = alice &&
	test "$(jp "[r[\"id\"] for r in d[\"related\"]]")" = "[2]"
'

test_expect_success 'detail: a pull request, an empty header block, odd msgids' '
	api_get /api/1.3/patches/3/ &&
	test "$(jp "[d[\"hash\"], d[\"diff\"], d[\"pull_url\"], d[\"archived\"]]")" = "[null,null,\"git://example.org/repo.git main\",true]" &&
	api_get /api/1.3/patches/4/ &&
	test "$(jp "d[\"headers\"]")" = "{}" &&
	test "$(jp "d[\"prefixes\"]")" = "[\"1/2\"]" &&
	test "$(jp "d[\"name\"]")" = "[1/2] Ünïcode — names" &&
	api_get /api/1.3/patches/5/ &&
	test "$(jp "d[\"web_url\"]")" = "$BASE/project/linux-next/patch/p5%252Fslash@example.org/" &&
	test "$(jp "d[\"list_archive_url\"]")" = null &&
	test "$(jp "d[\"prefixes\"]")" = "[\"next\"]" &&
	api_get /api/1.3/patches/7/ &&
	test "$(jp "d[\"prefixes\"]")" = "[\"RFC\",\"net-next\"]" &&
	test "$(jp "d[\"series\"]")" = "[]"
'

test_expect_success 'detail: 404 for a missing patch' '
	api_get /api/1.3/patches/99/ &&
	test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Patch matches the given query.\"}"
'

test_expect_success 'filter project: id, linkname any case, repeated = OR, bad = empty' '
	list "project=1" "[1,2,3,4,7]" &&
	list "project=NetDev" "[1,2,3,4,7]" &&
	list "project=netdev&project=3" "[1,2,3,4,7,8]" &&
	list "project=7" "[]" &&
	list "project=netdev&project=nope" "[]" &&
	list "project=99" "[]" &&
	list "project=" "[1,2,3,4,5,6,7,8]"
'

test_expect_success 'filter state: slug, name, id, several, unknown' '
	list "state=new" "[1,4,6,8]" &&
	list "state=under-review" "[2]" &&
	list "state=Under%20Review" "[2]" &&
	list "state=7" "[5]" &&
	list "state=new&state=under-review&project=netdev" "[1,2,4]" &&
	list "state=bogus" "[]" &&
	list "state=new&state=bogus" "[]"
'

test_expect_success 'filter submitter, delegate, series' '
	list "submitter=1" "[1,2,3]" &&
	list "submitter=bob.builder@example.com" "[7]" &&
	list "submitter=3&submitter=2" "[4,5,6,8]" &&
	list "submitter=nobody@example.org" "[]" &&
	list "delegate=$ALICE_ID" "[1]" &&
	list "delegate=BOB" "[6]" &&
	list "delegate=nobody" "[]" &&
	list "series=1" "[1,2,3]" &&
	list "series=1&series=4" "[1,2,3,6]" &&
	list "series=abc" "[]" &&
	list "series=99" "[]"
'

test_expect_success 'filter archived: true/false/1/0 any case; other values ignored' '
	list "archived=true" "[3,7]" &&
	list "archived=False" "[1,2,4,5,6,8]" &&
	list "archived=1" "[3,7]" &&
	list "archived=0&project=3" "[8]" &&
	list "archived=yes" "[1,2,3,4,5,6,7,8]"
'

test_expect_success 'filter hash and msgid: 1.2 and later only' '
	list "hash=1111111111111111111111111111111111111111" "[2]" 1.2 &&
	list "hash=1111111111111111111111111111111111111111" "[1,2,3,4,5,6,7,8]" 1.1 &&
	list "hash=BAD" "[1,2,3,4,5,6,7,8]" 1.1 &&
	list "hash=0B3A6C3BB0D5D0B3F1F7D0A7C0C8F2A4B5E6D7C8" "[1]" &&
	list "hash=nope" "[]" &&
	list "msgid=p5/slash@example.org" "[5]" &&
	list "msgid=%3Cp5/slash@example.org%3E" "[]" &&
	list "msgid=p5/slash@example.org" "[1,2,3,4,5,6,7,8]" 1.0
'

test_expect_success 'filter since/before: formats, bounds, bad values' '
	list "since=2024-05-02" "[4,5,6,8]" &&
	list "before=2024-05-01T10:11:13" "[1,7]" &&
	list "since=2024-05-01T10:11:13&before=2024-05-01+10:11:14" "[2]" &&
	list "since=2024-05-01T10:11:13.402113Z" "[2,3,4,5,6,8]" &&
	list "since=2024-05-01T12:11:14%2B02:00" "[3,4,5,6,8]" &&
	list "before=2024-05-01T10:11" "[7]" &&
	list "since=yesterday" "[]" &&
	list "before=2024-02-30" "[]"
'

test_expect_success 'q: every term in the name, case-insensitively' '
	list "q=NET" "[1,2,3,7]" &&
	list "q=net+fix" "[1,2]" &&
	list "q=fix,b%C3%A4r" "[2]" &&
	list "q=100%25" "[]" &&
	list "q=" "[1,2,3,4,5,6,7,8]"
'

test_expect_success 'order: every allowed field, both ways; check by aggregate' '
	list "order=-id" "[8,7,6,5,4,3,2,1]" &&
	list "order=date" "[7,1,2,3,4,6,5,8]" &&
	list "order=-date" "[8,5,6,4,3,2,1,7]" &&
	list "order=name&project=netdev" "[4,7,1,2,3]" &&
	list "order=project" "[1,2,3,4,7,5,6,8]" &&
	list "order=-project" "[8,6,5,7,4,3,2,1]" &&
	list "order=state" "[1,4,6,8,2,3,7,5]" &&
	list "order=archived" "[1,2,4,5,6,8,3,7]" &&
	list "order=-submitter" "[7,6,5,8,4,3,2,1]" &&
	list "order=check" "[2,3,6,7,8,4,1,5]" &&
	list "order=-check" "[5,1,4,8,7,6,3,2]" &&
	list "order=nope,-date" "[8,5,6,4,3,2,1,7]"
'

test_expect_success 'the check aggregate: newest per (user, context), worst wins' '
	api_get /api/patches/ "project=netdev" &&
	test "$(jp "[p[\"check\"] for p in d]")" = "[\"warning\",\"pending\",\"pending\",\"success\",\"pending\"]"
'

test_expect_success 'related: others of the relation from 1.2, none below' '
	api_get /api/1.2/patches/2/ &&
	test "$(jp "[r[\"id\"] for r in d[\"related\"]]")" = "[1]" &&
	api_get /api/1.1/patches/2/ &&
	test "$(jp "\"related\" in d")" = false &&
	api_get /api/1.2/patches/4/ &&
	test "$(jp "d[\"related\"]")" = "[]"
'

test_done
