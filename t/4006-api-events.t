#!/bin/sh
# REST API: events (spec 11): every category's payload, version-hidden
# categories, filters, order.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup

ids() {
	jp "[x[\"id\"] for x in d]"
}

# payload_keys ID: the payload keys of event ID in the last response.
payload_keys() {
	jp "\",\".join(next(e for e in d if e[\"id\"] == $1)[\"payload\"].keys())"
}

test_expect_success 'newest first; every category at 1.4' '
	api_get /api/1.4/events/ &&
	test_body_compact &&
	test "$(ids)" = "[13,12,11,10,9,8,7,6,5,4,3,2,1]" &&
	test "$(json_keys "d[0]")" = "id,category,project,date,actor,payload" &&
	test "$(payload_keys 1)" = cover &&
	test "$(payload_keys 2)" = patch &&
	test "$(payload_keys 3)" = series &&
	test "$(payload_keys 4)" = patch,series &&
	test "$(payload_keys 5)" = series &&
	test "$(payload_keys 6)" = patch,previous_state,current_state &&
	test "$(payload_keys 7)" = patch,previous_delegate,current_delegate &&
	test "$(payload_keys 8)" = patch,previous_relation,current_relation &&
	test "$(payload_keys 9)" = patch,check &&
	test "$(payload_keys 10)" = patch,check &&
	test "$(payload_keys 11)" = patch,comment &&
	test "$(payload_keys 12)" = cover,comment
'

test_expect_success 'payload values: states, delegates, relations, check, comments' '
	api_get /api/1.3/events/ &&
	test "$(jp "next(e for e in d if e[\"id\"] == 6)[\"payload\"][\"current_state\"]")" = under-review &&
	test "$(jp "next(e for e in d if e[\"id\"] == 6)[\"payload\"][\"previous_state\"]")" = new &&
	test "$(jp "next(e for e in d if e[\"id\"] == 7)[\"payload\"][\"previous_delegate\"]")" = null &&
	test "$(jp "next(e for e in d if e[\"id\"] == 7)[\"payload\"][\"current_delegate\"][\"username\"]")" = alice &&
	test "$(jp "next(e for e in d if e[\"id\"] == 8)[\"payload\"][\"current_relation\"]")" = null &&
	cat >expect <<-EOF &&
	{"id":9,"category":"check-created","project":{"id":1,"url":"$BASE/api/1.3/projects/1/","name":"Netdev","link_name":"netdev","list_id":"netdev.vger.kernel.org","list_email":"netdev@vger.kernel.org","web_url":"https://netdev.example.org/","scm_url":"","webscm_url":"","list_archive_url":"https://lore.kernel.org/netdev/","list_archive_url_format":"https://lore.kernel.org/r/{}","commit_url_format":"https://git.kernel.org/c/{}"},"date":"2024-05-01T10:20:00","actor":{"id":$CIBOT_ID,"url":"$BASE/api/1.3/users/$CIBOT_ID/","username":"ci-bot","first_name":"","last_name":"","email":"ci@example.org"},"payload":{"patch":{"id":1,"url":"$BASE/api/1.3/patches/1/","web_url":"$BASE/project/netdev/patch/20240501101112.1-1-a@example.com/","msgid":"<20240501101112.1-1-a@example.com>","list_archive_url":"https://lore.kernel.org/r/20240501101112.1-1-a@example.com","date":"2024-05-01T10:11:12","name":"[v2,1/3] net: fix foo","mbox":"$BASE/project/netdev/patch/20240501101112.1-1-a@example.com/mbox/"},"check":{"id":1,"url":"$BASE/api/1.3/patches/1/checks/1/","date":"2024-05-01T10:20:00","state":"fail","target_url":"https://ci.example.org/1","context":"build"}}}
	{"id":1,"url":"$BASE/api/1.3/patches/1/comments/1/","web_url":"$BASE/comment/1/","msgid":"<c1@example.org>","list_archive_url":"https://lore.kernel.org/r/c1@example.org","date":"2024-05-01T11:00:00"}
	{"id":1,"url":"$BASE/api/1.3/covers/1/comments/1/","web_url":"$BASE/comment/1/","msgid":"<cc1@example.org>","list_archive_url":"https://lore.kernel.org/r/cc1@example.org","date":"2024-05-01T11:30:00"}
	EOF
	{
		jp "next(e for e in d if e[\"id\"] == 9)" &&
		jp "next(e for e in d if e[\"id\"] == 11)[\"payload\"][\"comment\"]" &&
		jp "next(e for e in d if e[\"id\"] == 12)[\"payload\"][\"comment\"]"
	} >actual &&
	test_cmp expect actual
'

test_expect_success 'hidden categories by version; actor at every version' '
	api_get /api/1.3/events/ && test "$(ids)" = "[13,12,11,9,8,7,6,5,4,3,2,1]" &&
	api_get /api/1.2/events/ && test "$(ids)" = "[13,9,8,7,6,5,4,3,2,1]" &&
	api_get /api/1.0/events/ &&
	test "$(json_keys "d[0]")" = "id,category,project,date,actor,payload" &&
	test "$(json_keys "d[0][\"payload\"][\"patch\"]")" = "id,url,msgid,date,name,mbox" &&
	api_get /api/1.0/events/ "category=check-updated" && test_body_is "[]" &&
	api_get /api/1.2/events/ "category=patch-comment-created" && test_body_is "[]" &&
	api_get /api/events/ "category=check-updated" && test "$(ids)" = "[10]"
'

test_expect_success 'filters: project, category, series, patch, cover, actor, dates' '
	api_get /api/events/ "project=linux-next" && test "$(ids)" = "[13]" &&
	api_get /api/events/ "category=series-completed" && test "$(ids)" = "[5]" &&
	api_get /api/events/ "category=nope" && test_body_is "[]" &&
	api_get /api/events/ "series=1" && test "$(ids)" = "[5,4,3]" &&
	api_get /api/events/ "patch=2&patch=3" && test "$(ids)" = "[6,4]" &&
	api_get /api/events/ "patch=99" && test_body_is "[]" &&
	api_get /api/events/ "cover=1" && test "$(ids)" = "[12,1]" &&
	api_get /api/1.2/events/ "actor=$ALICE_ID" && test "$(ids)" = "[8,7,6]" &&
	api_get /api/1.1/events/ "actor=$ALICE_ID" && test "$(jp "len(d)")" = 10 &&
	api_get /api/1.2/events/ "actor=alice" && test_body_is "[]" &&
	api_get /api/1.2/events/ "actor=999" && test_body_is "[]" &&
	api_get /api/events/ "since=2024-05-01T11:00:00&before=2024-05-03" && test "$(ids)" = "[12,11]" &&
	api_get /api/events/ "since=garbage" && test_body_is "[]"
'

test_expect_success 'order: date ascending; anything else is the default' '
	api_get /api/events/ "order=date&project=netdev&per_page=3" &&
	test "$(ids)" = "[1,2,3]" &&
	api_get /api/events/ "order=id&per_page=2" &&
	test "$(ids)" = "[13,12]"
'

test_done
