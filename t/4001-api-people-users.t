#!/bin/sh
# REST API: people and users (spec 12.2, 12.3): authenticated only.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-api.sh

api_setup

test_expect_success 'anonymous: 403 on every people and users endpoint' '
	for p in /api/people/ /api/people/1/ /api/1.0/users/ /api/users/1/; do
		api_get $p &&
		test_expect_status 403 &&
		test_body_is "{\"detail\":\"Authentication credentials were not provided.\"}" ||
		return 1
	done
'

test_expect_success 'people/: id, url, name (null), email, user' '
	api_get_as "$BOB" /api/1.3/people/ &&
	test_expect_status 200 &&
	test_body_compact &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1,2,3,4]" &&
	test "$(json_keys "d[0]")" = "id,url,name,email,user" &&
	cat >expect <<-EOF &&
	{"id":1,"url":"$BASE/api/1.3/people/1/","name":"A. Developer","email":"a@example.com","user":{"id":$ALICE_ID,"url":"$BASE/api/1.3/users/$ALICE_ID/","username":"alice","first_name":"Alice","last_name":"Ändersson","email":"alice@example.com"}}
	{"id":3,"url":"$BASE/api/1.3/people/3/","name":null,"email":"anon@example.org","user":null}
	EOF
	{ jp "d[0]" && jp "d[2]"; } >actual &&
	test_cmp expect actual
'

test_expect_success 'people: detail, 404, q over name and email, order' '
	api_get_as "$BOB" /api/people/2/ &&
	test "$(jp "d[\"name\"]")" = "Jörg Doe" &&
	api_get_as "$BOB" /api/people/99/ &&
	test_expect_status 404 &&
	test_body_is "{\"detail\":\"No Person matches the given query.\"}" &&
	api_get_as "$BOB" /api/people/ "q=example.com&project=netdev" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1,4]" &&
	api_get_as "$BOB" /api/people/ "q=J%C3%B6rg" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[2]" &&
	api_get_as "$BOB" /api/people/ "q=bob,builder" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[4]" &&
	api_get_as "$BOB" /api/people/ "q=%22bob+builder%22" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[4]" &&
	api_get_as "$BOB" /api/people/ "q=%22builder+bob%22" &&
	test "$(jp "d")" = "[]" &&
	api_get_as "$BOB" /api/people/ "order=-email" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[2,3,1,4]" &&
	api_get_as "$BOB" /api/people/ "order=name" &&
	test "$(jp "[p[\"id\"] for p in d]")" = "[1,4,2,3]"
'

test_expect_success 'users/: no settings in lists' '
	api_get_as "$BOB" /api/1.3/users/ &&
	test_body_compact &&
	test "$(jp "[u[\"username\"] for u in d]")" = "[\"alice\",\"bob\",\"ci-bot\",\"carol\"]" &&
	test "$(json_keys "d[1]")" = "id,url,username,first_name,last_name,email"
'

test_expect_success 'users/{id}/: settings only for oneself, from 1.2' '
	api_get_as "$BOB" /api/1.2/users/$BOB_ID/ &&
	test "$(json_keys)" = "id,url,username,first_name,last_name,email,settings" &&
	test "$(jp "d[\"settings\"]")" = "{\"send_email\":false,\"items_per_page\":100,\"show_ids\":false}" &&
	api_get_as "$BOB" /api/1.1/users/$BOB_ID/ &&
	test "$(json_keys)" = "id,url,username,first_name,last_name,email" &&
	api_get_as "$BOB" /api/1.2/users/$ALICE_ID/ &&
	test "$(json_keys)" = "id,url,username,first_name,last_name,email" &&
	api_get_as "$BOB" /api/users/99/ &&
	test_expect_status 404 &&
	test_body_is "{\"detail\":\"No User matches the given query.\"}"
'

test_expect_success 'users: q (git-pw resolves delegates this way), order' '
	api_get_as "$BOB" /api/users/ "q=alice&project=netdev" &&
	test "$(jp "[u[\"id\"] for u in d]")" = "[$ALICE_ID]" &&
	api_get_as "$BOB" /api/users/ "q=%C3%A4ndersson" &&
	test "$(jp "len(d)")" = 1 &&
	api_get_as "$BOB" /api/users/ "order=-username" &&
	test "$(jp "[u[\"username\"] for u in d]")" = "[\"ci-bot\",\"carol\",\"bob\",\"alice\"]" &&
	api_get_as "$BOB" /api/users/ "order=email" &&
	test "$(jp "[u[\"username\"] for u in d]")" = "[\"alice\",\"bob\",\"carol\",\"ci-bot\"]"
'

test_done
