#!/bin/sh
# PUT/PATCH patches/{id}/ (REST spec 6.3, 6.4): what git-pw, pwclient and
# b4 send, DRF's validation messages, events, notifications, relations.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup
AUTH="Token $TOK_MAINT"
export AUTH

# events: "category patch actor prev cur" per event, oldest first.
events() {
	sql -F " " -c "SELECT e.category, e.patch_id, coalesce(e.actor_id, 0),
		coalesce(ps.slug, pd.username, e.previous_relation_id::text, '-'),
		coalesce(cs.slug, cd.username, e.current_relation_id::text, '-')
		FROM event e
		LEFT JOIN state ps ON ps.id = e.previous_state_id
		LEFT JOIN state cs ON cs.id = e.current_state_id
		LEFT JOIN auth_user pd ON pd.id = e.previous_delegate_id
		LEFT JOIN auth_user cd ON cd.id = e.current_delegate_id
		ORDER BY e.id"
}

test_expect_success 'git-pw: a form PATCH sets state, archived, delegate, commit' '
	apif PATCH /api/1.2/patches/1/ \
		"commit_ref=abc123&state=accepted&archived=True&delegate=1" &&
	test_expect_status 200 &&
	test "$(json_get id)" = 1 &&
	test "$(json_get state)" = accepted &&
	test "$(json_get archived)" = true &&
	test "$(json_get commit_ref)" = abc123 &&
	test "$(json_get delegate.username)" = maint &&
	test "$(json_get url)" = http://testserver/api/1.2/patches/1/ &&
	json_get content >/dev/null && json_get diff >/dev/null &&
	cat >expect <<-\EOF &&
	patch-state-changed 1 1 new accepted
	patch-delegated 1 1 - maint
	EOF
	events >actual &&
	test_cmp expect actual
'

test_expect_success 'pwclient: JSON with "yes"/"no" booleans and a null' '
	apij PATCH /api/patches/1/ \
		"{\"state\":\"under-review\",\"archived\":\"no\",\"commit_ref\":null}" &&
	test_expect_status 200 &&
	test "$(json_get state)" = under-review &&
	test "$(json_get archived)" = false &&
	test "$(json_get commit_ref)" = null
'

test_expect_success 'b4: state by slug, form; state names are slugified' '
	AUTH="Token $TOK_SUB" apif PATCH /api/1.2/patches/3/ "state=changes-requested" &&
	test_expect_status 200 &&
	test "$(json_get state)" = changes-requested &&
	apij PATCH /api/patches/3/ "{\"state\":\"  Not   Applicable \"}" &&
	test "$(json_get state)" = not-applicable &&
	apij PATCH /api/patches/3/ "{\"state\":\"RFC\"}" &&
	test "$(json_get state)" = rfc
'

test_expect_success 'no event when nothing changes' '
	events >before &&
	apij PATCH /api/patches/3/ "{\"state\":\"rfc\",\"archived\":false}" &&
	test_expect_status 200 &&
	events >after &&
	test_cmp before after
'

test_expect_success 'bad values: every field error at once, in DRF order' '
	apij PATCH /api/1.2/patches/1/ "{\"related\":[99],\"delegate\":\"bob\",\"archived\":\"maybe\",\"state\":\"bogus!\",\"pull_url\":[1],\"commit_ref\":\"$(printf %0256d 0)\"}" &&
	test_expect_status 400 &&
	cat >expect <<-\EOF &&
	{"commit_ref":["Ensure this field has no more than 255 characters."],"pull_url":["Not a valid string."],"state":["Invalid state bogus. Expected one of: new, under-review, accepted, rejected, rfc, not-applicable, changes-requested, awaiting-upstream, superseded, deferred."],"archived":["Must be a valid boolean."],"delegate":["Incorrect type. Expected pk value, received str."],"related":["Invalid pk \"99\" - object does not exist."]}
	EOF
	printf "\\n" >>body && test_cmp expect body &&
	test "$(sql -c "SELECT state_id || archived::text FROM patch WHERE id = 1")" = 2false
'

test_expect_success 'delegate values: unknown id, bool, null and ""' '
	apij PATCH /api/patches/1/ "{\"delegate\":99}" &&
	test_expect_status 400 &&
	test "$(json_get delegate.0)" = "Invalid pk \"99\" - object does not exist." &&
	apij PATCH /api/patches/1/ "{\"delegate\":true}" &&
	test "$(json_get delegate.0)" = "Incorrect type. Expected pk value, received bool." &&
	apij PATCH /api/patches/1/ "{\"delegate\":\"1\"}" &&
	test_expect_status 200 &&
	apij PATCH /api/patches/1/ "{\"delegate\":null}" &&
	test "$(json_get delegate)" = null &&
	apif PATCH /api/patches/1/ "delegate=1" && test "$(json_get delegate.id)" = 1 &&
	apif PATCH /api/patches/1/ "delegate=" && test "$(json_get delegate)" = null &&
	apij PATCH /api/patches/1/ "{\"state\":5}" &&
	test "$(json_get state.0)" = "Incorrect type. Expected string value, received int." &&
	apij PATCH /api/patches/1/ "{\"state\":\"\"}" &&
	test "$(json_get state.0)" = "This field may not be null."
'

test_expect_success 'read-only and unknown fields are ignored' '
	apij PATCH /api/patches/1/ "{\"name\":\"x\",\"hash\":\"y\",\"msgid\":\"z\",\"bogus\":1,\"project\":2}" &&
	test_expect_status 200 &&
	test "$(sql -c "SELECT name || msgid || project_id FROM patch WHERE id = 1")" = "[v2,1/3] net: fix foo<1-a@example.com>1"
'

test_expect_success 'PUT needs state and delegate' '
	apij PUT /api/patches/1/ "{\"archived\":true}" &&
	test_expect_status 400 &&
	printf "{\"state\":[\"This field is required.\"],\"delegate\":[\"This field is required.\"]}" >expect &&
	test_cmp expect body &&
	apij PUT /api/patches/1/ "{\"state\":\"new\",\"delegate\":null}" &&
	test_expect_status 200 &&
	test "$(json_get state)" = new
'

test_expect_success 'bodies DRF cannot read: 415, or a 200 that changes nothing' '
	PW_BODY="{\"state\":\"rejected\"}" api PATCH /api/patches/1/ CONTENT_TYPE=text/plain &&
	test_expect_status 415 &&
	printf "{\"detail\":\"Unsupported media type \\\\\"text/plain\\\\\" in request.\"}" >expect &&
	test_cmp expect body &&
	PW_BODY="{\"state\":\"rejected\"}" api PATCH /api/patches/1/ &&
	test_expect_status 415 &&
	apif PATCH /api/patches/1/ "{\"state\":\"rejected\"}" &&
	test_expect_status 200 &&
	test "$(json_get state)" = new
'

test_expect_success 'state changes queue one notification; undoing drops it' '
	sql -c "DELETE FROM patch_change_notification" &&
	apij PATCH /api/patches/2/ "{\"state\":\"accepted\"}" &&
	apij PATCH /api/patches/2/ "{\"state\":\"rejected\"}" &&
	test "$(sql -c "SELECT s.slug FROM patch_change_notification n
		JOIN state s ON s.id = n.orig_state_id WHERE patch_id = 2")" = new &&
	apij PATCH /api/patches/2/ "{\"state\":\"new\"}" &&
	test "$(sql -c "SELECT count(*) FROM patch_change_notification")" = 0 &&
	AUTH="Token $TOK_DELEG" apij PATCH /api/patches/4/ "{\"state\":\"accepted\"}" &&
	test_expect_status 200 &&
	test "$(sql -c "SELECT count(*) FROM patch_change_notification")" = 0
'

# Relations (spec 6.4); related lists ids of the patch's relation.
related() {
	api GET "/api/1.2/patches/$1/" &&
	python3 -c "import json; print(\" \".join(str(p[\"id\"]) for p in json.load(open(\"body\"))[\"related\"]))"
}

test_expect_success 'related: create, extend, shrink, dissolve' '
	apij PATCH /api/1.2/patches/1/ "{\"related\":[2]}" &&
	test_expect_status 200 &&
	test "$(json_get related.0.id)" = 2 &&
	test "$(related 2)" = 1 &&
	apij PATCH /api/1.2/patches/1/ "{\"related\":[3]}" &&
	test "$(related 1)" = "2 3" &&
	test "$(related 3)" = "1 2" &&
	apij PATCH /api/1.2/patches/3/ "{\"related\":[]}" &&
	test "$(related 3)" = "" && test "$(related 1)" = 2 &&
	apij PATCH /api/1.2/patches/2/ "{\"related\":[]}" &&
	test "$(related 1)" = "" &&
	test "$(sql -c "SELECT count(*) FROM patch WHERE related_id IS NOT NULL")" = 0
'

test_expect_success 'related: maintainers of every project only; 409 across relations' '
	apij PATCH /api/1.2/patches/1/ "{\"related\":[4]}" &&
	test_expect_status 403 &&
	test "$(json_get detail)" = "At least one patch is part of a project you are not maintaining." &&
	AUTH="Token $TOK_SUB" apij PATCH /api/1.2/patches/1/ "{\"related\":[2]}" &&
	test_expect_status 403 &&
	sql -c "INSERT INTO project_maintainer VALUES (2, 1)" &&
	apij PATCH /api/1.2/patches/1/ "{\"related\":[2]}" &&
	apij PATCH /api/1.2/patches/3/ "{\"related\":[4]}" &&
	apij PATCH /api/1.2/patches/1/ "{\"related\":[3],\"archived\":true}" &&
	test_expect_status 409 &&
	test "$(json_get detail)" = "At least one patch is already part of another relation. You have to explicitly remove a patch from its existing relation before moving it to this one." &&
	test "$(sql -c "SELECT archived FROM patch WHERE id = 1")" = f &&
	test "$(related 1)" = 2 && test "$(related 3)" = 4
'

test_expect_success 'related is ignored below 1.2, and events record changes' '
	apij PATCH /api/1.1/patches/1/ "{\"related\":[]}" &&
	test_expect_status 200 &&
	test "$(related 1)" = 2 &&
	events | grep relation >actual &&
	test "$(grep -c . actual)" = 9 &&
	grep -q "^patch-relation-changed 3 1 - [0-9]" actual
'

test_done
