#!/bin/sh
# /api/openapi.json and /api/docs (REST spec 1.6): served without
# authentication or redirect, and true: t/apiw-openapi.py requests every
# operation the document lists and checks the statuses and bodies
# against it, and that every route of the spec is documented.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

test_pick_port
APIW_BASE_URL=$HTTP_URL
apiw_setup
sql -c "INSERT INTO ci_check (id, patch_id, user_id, state, context)
	VALUES (1, 2, 1, 0, 'ci');
	INSERT INTO bundle (id, owner_id, project_id, name, public)
	VALUES (1, 1, 1, 'b', true);
	INSERT INTO bundle_patch VALUES (1, 1, 1);
	SELECT setval(pg_get_serial_sequence('ci_check', 'id'), 100);
	SELECT setval(pg_get_serial_sequence('bundle', 'id'), 100);
	UPDATE project SET show_dependencies = true WHERE id = 1;
	INSERT INTO series_metadata VALUES (1, 'ci', 'passed');
	INSERT INTO webhook (id, project_id, url)
	VALUES (1, 1, 'http://127.0.0.1:9/hook')" >/dev/null
test_start_http 2

test_expect_success 'both are served with and without the slash, to anyone' '
	for p in /api/openapi.json /api/openapi.json/ /api/docs /api/docs/; do
		test "$(http_get "$p")" = 200 || return 1
	done &&
	grep -q "<h1>REST API</h1>" body &&
	grep -q "href=\"/api/openapi.json\"" body &&
	test "$(curl -s -o /dev/null -w "%{http_code}" \
		-H "Authorization: Token 0000000000000000000000000000000000000000" \
		"$HTTP_URL/api/openapi.json")" = 200
'

test_expect_success 'the document is JSON, OpenAPI 3.0, for this server' '
	http_get /api/openapi.json >/dev/null &&
	python3 -c "
import json
d = json.load(open(\"body\"))
assert d[\"openapi\"] == \"3.0.3\"
assert d[\"servers\"][0][\"url\"] == \"$HTTP_URL\"
assert len(d[\"paths\"]) >= 25
"
'

test_expect_success 'every operation answers as documented' '
	cat >routes <<-\EOF &&
	get /api/
	get /api/projects/
	get /api/projects/{project_id}/
	patch /api/projects/{project_id}/
	get /api/users/
	get /api/users/{id}/
	patch /api/users/{id}/
	get /api/people/
	get /api/people/{id}/
	get /api/patches/
	get /api/patches/{id}/
	patch /api/patches/{id}/
	put /api/patches/{id}/
	get /api/patches/{id}/comments/
	get /api/patches/{id}/comments/{cid}/
	patch /api/patches/{id}/comments/{cid}/
	get /api/patches/{id}/checks/
	post /api/patches/{id}/checks/
	get /api/patches/{id}/checks/{cid}/
	patch /api/patches/{id}/checks/{cid}/
	get /api/covers/
	get /api/covers/{id}/
	get /api/covers/{id}/comments/
	get /api/covers/{id}/comments/{cid}/
	patch /api/covers/{id}/comments/{cid}/
	get /api/series/
	get /api/series/{id}/
	patch /api/series/{id}/
	get /api/events/
	get /api/bundles/
	post /api/bundles/
	get /api/bundles/{id}/
	patch /api/bundles/{id}/
	delete /api/bundles/{id}/
	get /api/projects/{project_id}/webhooks/
	post /api/projects/{project_id}/webhooks/
	get /api/projects/{project_id}/webhooks/{id}/
	patch /api/projects/{project_id}/webhooks/{id}/
	delete /api/projects/{project_id}/webhooks/{id}/
	get /project/{linkname}/patch/{msgid}/mbox/
	get /project/{linkname}/patch/{msgid}/raw/
	get /project/{linkname}/cover/{msgid}/mbox/
	get /series/{id}/mbox/
	get /bundle/{username}/{bundlename}/mbox/
	EOF
	python3 "$T_DIR/apiw-openapi.py" "$HTTP_URL" "$TOK_MAINT" <routes >walk &&
	tail -n 1 walk | grep -qx ok &&
	grep -q "^204 DELETE /api/bundles/1/" walk &&
	grep -q "^200 GET /api/projects/1/webhooks/1/" walk &&
	grep -q "^204 DELETE /api/projects/1/webhooks/1/" walk &&
	test "$(grep -c "^[0-9]" walk)" -ge 45
'

test_expect_success 'the walk fails when the document lies' '
	sql -c "INSERT INTO bundle (id, owner_id, project_id, name, public)
		VALUES (1, 1, 1, \$\$b\$\$, true)" &&
	printf "get /api/webhooks/\n" >routes &&
	test_expect_code 1 python3 "$T_DIR/apiw-openapi.py" "$HTTP_URL" \
		"$TOK_MAINT" <routes >walk &&
	tail -n 1 walk | grep "not documented: get /api/webhooks/"
'

test_done
