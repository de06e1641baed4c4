#!/bin/sh
# REST API: cover letters (spec 9) and series (spec 10, 13.2).
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup

ids() {
	jp "[x[\"id\"] for x in d]"
}

test_expect_success 'covers/ at 1.3: the list object, byte for byte' '
	api_get /api/1.3/covers/ &&
	test_body_compact &&
	cat >expect <<-EOF &&
	{"id":1,"url":"$BASE/api/1.3/covers/1/","web_url":"$BASE/project/netdev/cover/20240501101110.0-cover@example.com/","project":{"id":1,"url":"$BASE/api/1.3/projects/1/","name":"Netdev","link_name":"netdev","list_id":"netdev.vger.kernel.org","list_email":"netdev@vger.kernel.org","web_url":"https://netdev.example.org/","scm_url":"","webscm_url":"","list_archive_url":"https://lore.kernel.org/netdev/","list_archive_url_format":"https://lore.kernel.org/r/{}","commit_url_format":"https://git.kernel.org/c/{}"},"msgid":"<20240501101110.0-cover@example.com>","list_archive_url":"https://lore.kernel.org/r/20240501101110.0-cover@example.com","date":"2024-05-01T10:11:10","name":"[v2,0/3] net: foo fixes","submitter":{"id":1,"url":"$BASE/api/1.3/people/1/","name":"A. Developer","email":"a@example.com"},"mbox":"$BASE/project/netdev/cover/20240501101110.0-cover@example.com/mbox/","series":[{"id":1,"url":"$BASE/api/1.3/series/1/","web_url":"$BASE/project/netdev/list/?series=1","date":"2024-05-01T10:11:10","name":"net: foo fixes","version":2,"mbox":"$BASE/series/1/mbox/"}],"comments":"$BASE/api/covers/1/comments/"}
	EOF
	jp "d[0]" >actual &&
	test_cmp expect actual
'

test_expect_success 'covers: fields per version, detail, 404' '
	api_get /api/1.0/covers/ &&
	test "$(json_keys "d[0]")" = "id,url,project,msgid,date,name,submitter,series" &&
	api_get /api/1.1/covers/2/ &&
	test "$(json_keys)" = "id,url,web_url,project,msgid,date,name,submitter,mbox,series,comments,headers,content" &&
	test "$(jp "d[\"web_url\"]")" = "$BASE/project/linux-next/cover/odd%252Fmsg%20id@example.org/" &&
	test "$(jp "d[\"date\"]")" = "2024-05-03T12:00:00.500000" &&
	test "$(jp "d[\"content\"]")" = null &&
	test "$(jp "d[\"headers\"]")" = "{\"From\":\"anon@example.org\",\"Subject\":\"[next] bar\"}" &&
	test "$(jp "d[\"submitter\"][\"name\"]")" = null &&
	api_get /api/covers/3/ &&
	test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Cover matches the given query.\"}"
'

test_expect_success 'covers: filters (msgid at every version) and order' '
	api_get /api/1.0/covers/ "msgid=odd/msg%20id@example.org" &&
	test "$(ids)" = "[2]" &&
	api_get /api/covers/ "project=linux-next" && test "$(ids)" = "[2]" &&
	api_get /api/covers/ "series=1" && test "$(ids)" = "[1]" &&
	api_get /api/covers/ "series=2" && test "$(ids)" = "[]" &&
	api_get /api/covers/ "series=77" && test "$(ids)" = "[]" &&
	api_get /api/covers/ "submitter=anon@example.org" && test "$(ids)" = "[2]" &&
	api_get /api/covers/ "since=2024-05-02" && test "$(ids)" = "[2]" &&
	api_get /api/covers/ "q=FOO" && test "$(ids)" = "[1]" &&
	api_get /api/covers/ "order=-date" && test "$(ids)" = "[2,1]" &&
	api_get /api/covers/ "order=name" && test "$(ids)" = "[1,2]" &&
	api_get /api/covers/ "order=-submitter" && test "$(ids)" = "[2,1]"
'

test_expect_success 'series/ at 1.3: one object byte for byte' '
	api_get /api/1.3/series/2/ &&
	test_body_compact &&
	cat >expect <<-EOF &&
	{"id":2,"url":"$BASE/api/1.3/series/2/","web_url":"$BASE/project/netdev/list/?series=2","project":{"id":1,"url":"$BASE/api/1.3/projects/1/","name":"Netdev","link_name":"netdev","list_id":"netdev.vger.kernel.org","list_email":"netdev@vger.kernel.org","web_url":"https://netdev.example.org/","scm_url":"","webscm_url":"","list_archive_url":"https://lore.kernel.org/netdev/","list_archive_url_format":"https://lore.kernel.org/r/{}","commit_url_format":"https://git.kernel.org/c/{}"},"name":null,"date":"2024-05-02T09:00:00","submitter":{"id":2,"url":"$BASE/api/1.3/people/2/","name":"Jörg Doe","email":"joerg@example.de"},"version":1,"total":2,"received_total":1,"received_all":false,"mbox":"$BASE/series/2/mbox/","cover_letter":null,"patches":[{"id":4,"url":"$BASE/api/1.3/patches/4/","web_url":"$BASE/project/netdev/patch/p4@example.de/","msgid":"<p4@example.de>","list_archive_url":"https://lore.kernel.org/r/p4@example.de","date":"2024-05-02T09:00:01","name":"[1/2] Ünïcode — names","mbox":"$BASE/project/netdev/patch/p4@example.de/mbox/"}]}
	EOF
	jp "d" >actual &&
	test_cmp expect actual
'

test_expect_success 'series: patches by date, cover letter, received_all, versions' '
	api_get /api/1.1/series/1/ &&
	test "$(json_keys)" = "id,url,web_url,project,name,date,submitter,version,total,received_total,received_all,mbox,cover_letter,patches" &&
	test "$(jp "[p[\"id\"] for p in d[\"patches\"]]")" = "[1,2,3]" &&
	test "$(jp "[d[\"received_total\"], d[\"received_all\"]]")" = "[3,true]" &&
	test "$(json_keys "d[\"cover_letter\"]")" = "id,url,web_url,msgid,date,name,mbox" &&
	api_get /api/1.0/series/1/ &&
	test "$(json_keys "d[\"cover_letter\"]")" = "id,url,msgid,date,name" &&
	test "$(json_keys "d[\"patches\"][0]")" = "id,url,msgid,date,name,mbox" &&
	api_get /api/1.3/series/99/ &&
	test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Series matches the given query.\"}"
'

test_expect_success 'series at 1.4: dependencies only where the project shows them; metadata' '
	api_get /api/1.4/series/3/ &&
	test "$(jp "d[\"dependencies\"]")" = "[\"$BASE/api/1.4/series/4/\"]" &&
	test "$(jp "d[\"dependents\"]")" = "[]" &&
	test "$(jp "d[\"metadata\"]")" = "{\"base\":\"v6.9\",\"ci\":\"passed\"}" &&
	api_get /api/series/4/ &&
	test "$(jp "d[\"dependents\"]")" = "[\"$BASE/api/series/3/\"]" &&
	api_get /api/1.4/series/1/ &&
	test "$(jp "[\"dependencies\" in d, \"dependents\" in d]")" = "[false,false]" &&
	test "$(jp "d[\"metadata\"]")" = "{}" &&
	api_get /api/1.3/series/3/ &&
	test "$(jp "[\"dependencies\" in d, \"metadata\" in d]")" = "[false,false]"
'

test_expect_success 'series: filters, q, order; metadata filters at 1.4' '
	api_get /api/series/ "project=linux-next" && test "$(ids)" = "[3,4]" &&
	api_get /api/series/ "submitter=3&submitter=2" && test "$(ids)" = "[2,3,4]" &&
	api_get /api/series/ "before=2024-05-02" && test "$(ids)" = "[1]" &&
	api_get /api/series/ "q=next" && test "$(ids)" = "[3,4]" &&
	api_get /api/series/ "order=-date" && test "$(ids)" = "[3,4,2,1]" &&
	api_get /api/series/ "order=name" && test "$(ids)" = "[1,3,4,2]" &&
	api_get /api/series/ "order=received_all" && test "$(ids)" = "[2,1,3,4]" &&
	api_get /api/1.4/series/ "metadata_key=ci" && test "$(ids)" = "[3]" &&
	api_get /api/1.4/series/ "metadata_value=passed" && test "$(ids)" = "[3]" &&
	api_get /api/1.4/series/ "metadata_key=ci&metadata_value=v6.9" && test "$(ids)" = "[]" &&
	api_get /api/1.3/series/ "metadata_key=nope" && test "$(ids)" = "[1,2,3,4]"
'

test_done
