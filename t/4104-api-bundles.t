#!/bin/sh
# Bundles (REST spec 12.1): create, list, show, update, delete; public
# and private visibility; writes only from 1.2; the bundle mbox.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup

ids() {
	python3 -c "
import json, sys
v = json.load(open('body'))
if isinstance(v, dict):
    v = v['${1:-}']
print(' '.join(str(x['id']) for x in v))"
}

test_expect_success 'git-pw: bundle create is a form, patches repeated' '
	AUTH="Token $TOK_USER" apif POST /api/1.2/bundles/ \
		"name=fixes&patches=3&patches=1&public=False" &&
	test_expect_status 201 &&
	test "$(http_header Location)" = "http://testserver/api/1.2/bundles/$(json_get id)/" &&
	test "$(json_get name)" = fixes &&
	test "$(json_get owner.username)" = user &&
	test "$(json_get project.link_name)" = net &&
	test "$(json_get public)" = false &&
	test "$(json_get web_url)" = http://testserver/bundle/user/fixes/ &&
	test "$(json_get mbox)" = http://testserver/bundle/user/fixes/mbox/ &&
	test "$(ids patches)" = "1 3" &&
	AUTH="Token $TOK_MAINT" apij POST /api/bundles/ \
		"{\"name\":\"fixes\",\"patches\":[2],\"public\":true}" &&
	test_expect_status 201 &&
	AUTH="Token $TOK_MAINT" apij POST /api/bundles/ \
		"{\"name\":\"other stuff\",\"patches\":[1,2,2]}" &&
	test_expect_status 201 &&
	test "$(ids patches)" = "1 2"
'

test_expect_success 'below 1.2 every write is a 405, anonymous or not' '
	apij POST /api/1.1/bundles/ "{}" &&
	test_expect_status 405 &&
	test "$(json_get detail)" = "Method \"POST\" not allowed." &&
	AUTH="Token $TOK_USER" apij PATCH /api/1.0/bundles/1/ "{}" &&
	test_expect_status 405 &&
	AUTH="Token $TOK_USER" api DELETE /api/1.1/bundles/1/ &&
	test_expect_status 405 &&
	api GET /api/1.1/bundles/ && test_expect_status 200
'

test_expect_success 'visibility: public ones for anyone, private ones for the owner' '
	api GET /api/bundles/ && test "$(ids)" = 2 &&
	AUTH="Token $TOK_USER" api GET /api/bundles/ && test "$(ids)" = "1 2" &&
	AUTH="Token $TOK_MAINT" api GET /api/bundles/ && test "$(ids)" = "2 3" &&
	api GET /api/bundles/1/ && test_expect_status 404 &&
	test "$(json_get detail)" = "No Bundle matches the given query." &&
	AUTH="Token $TOK_MAINT" api GET /api/bundles/1/ && test_expect_status 404 &&
	AUTH="Token $TOK_USER" api GET /api/bundles/1/ && test_expect_status 200 &&
	api GET /api/1.0/bundles/2/ && test_expect_status 200 &&
	test_expect_code 1 json_get web_url
'

test_expect_success 'filters and ordering' '
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?owner=maint" && test "$(ids)" = "2 3" &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?owner=1&owner=4" && test "$(ids)" = "2 3" &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?owner=nobody" && test "$(ids)" = "" &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?public=true" && test "$(ids)" = 2 &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?public=false" && test "$(ids)" = 3 &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?public=maybe" && test "$(ids)" = "2 3" &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?q=STUFF" && test "$(ids)" = 3 &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?order=-name" && test "$(ids)" = "3 2" &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?project=other" && test "$(ids)" = "" &&
	AUTH="Token $TOK_MAINT" api GET "/api/bundles/?project=net&per_page=1" &&
	test "$(ids)" = 2 &&
	grep -F "Link: <http://testserver/api/bundles/?page=2&per_page=1&project=net>; rel=\"next\"" headers
'

test_expect_success 'PATCH replaces the patch list; the mbox keeps its order' '
	AUTH="Token $TOK_USER" apij PATCH /api/bundles/1/ "{\"patches\":[3,2]}" &&
	test_expect_status 200 &&
	test "$(ids patches)" = "2 3" &&
	AUTH="Token $TOK_USER" api GET /bundle/user/fixes/mbox/ &&
	test_expect_status 200 &&
	grep "^X-Patchwork-Id:" body >actual &&
	printf "X-Patchwork-Id: 3\nX-Patchwork-Id: 2\n" >expect &&
	test_cmp expect actual &&
	test "$(http_header Content-Disposition)" = "attachment; filename=bundle-1-fixes.mbox" &&
	AUTH="Token $TOK_USER" apif PATCH /api/1.2/bundles/1/ "name=renamed&public=True" &&
	test "$(json_get name)" = renamed &&
	test "$(json_get public)" = true &&
	test "$(ids patches)" = "2 3"
'

test_expect_success 'PUT needs name and patches; bad values are 400' '
	AUTH="Token $TOK_USER" apij PUT /api/bundles/1/ "{\"public\":false}" &&
	test_expect_status 400 &&
	printf "{\"name\":[\"This field is required.\"],\"patches\":[\"This field is required.\"]}" >expect &&
	test_cmp expect body &&
	AUTH="Token $TOK_USER" apij PATCH /api/bundles/1/ "{\"patches\":[]}" &&
	test "$(json_get patches.0)" = "Bundles cannot be empty" &&
	AUTH="Token $TOK_USER" apij PATCH /api/bundles/1/ "{\"patches\":[1,4]}" &&
	test "$(json_get patches.0)" = "Bundle patches must belong to the same project" &&
	AUTH="Token $TOK_USER" apij PATCH /api/bundles/1/ "{\"patches\":\"1\"}" &&
	test "$(json_get patches.0)" = "Expected a list of items but got type \"str\"." &&
	AUTH="Token $TOK_USER" apij PATCH /api/bundles/1/ "{\"name\":\"$(printf %051d 0)\"}" &&
	test "$(json_get name.0)" = "Ensure this field has no more than 50 characters." &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/bundles/3/ "{\"name\":\"fixes\"}" &&
	test "$(json_get name.0)" = "A bundle with this name already exists." &&
	AUTH="Token $TOK_USER" apij PUT /api/bundles/1/ "{\"name\":\"again\",\"patches\":[1]}" &&
	test_expect_status 200 &&
	test "$(json_get public)" = true &&
	AUTH="Token $TOK_USER" apif PUT /api/bundles/1/ "name=again&patches=1" &&
	test "$(json_get public)" = false &&
	test "$(ids patches)" = 1
'

test_expect_success 'bundle mbox: private for the owner only, bad credentials are anonymous' '
	api GET /bundle/user/again/mbox/ && test_expect_status 404 &&
	AUTH="Token $TOK_MAINT" api GET /bundle/user/again/mbox/ && test_expect_status 404 &&
	AUTH="Token 0123456789012345678901234567890123456789" api GET /bundle/user/again/mbox/ &&
	test_expect_status 404 &&
	AUTH=$(basic user secret) api GET /bundle/user/again/mbox/ && test_expect_status 200 &&
	AUTH="Token 0123456789012345678901234567890123456789" api GET /bundle/maint/fixes/mbox/ &&
	test_expect_status 200 &&
	api GET "/bundle/maint/other%20stuff/mbox/" && test_expect_status 404
'

test_expect_success 'DELETE: 204; the bundle and its list are gone' '
	AUTH="Token $TOK_USER" api DELETE /api/bundles/1/ &&
	test_expect_status 204 &&
	test "$(sql -c "SELECT count(*) FROM bundle_patch WHERE bundle_id = 1")" = 0 &&
	AUTH="Token $TOK_USER" api GET /api/bundles/1/ && test_expect_status 404
'

test_done
