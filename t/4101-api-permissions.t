#!/bin/sh
# The permission matrix of REST spec 2.6.1: anonymous, a user, the
# submitter, the delegate, a maintainer and an admin (who is granted
# nothing extra) against every write.  Each write is a no-op or an
# invalid body where it is allowed, so the rows do not depend on each
# other: an allowed PUT with an empty body is a 400, a refused one 403.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup
sql -c "INSERT INTO ci_check (id, patch_id, user_id, state, context)
	VALUES (1, 2, 1, 0, 'ci')" >/dev/null
sql -c "INSERT INTO bundle (id, owner_id, project_id, name, public)
	VALUES (1, 4, 1, 'pub', true), (2, 4, 1, 'priv', false)" >/dev/null
sql -c "INSERT INTO bundle_patch VALUES (1, 1, 1), (2, 1, 1);
	SELECT setval(pg_get_serial_sequence('ci_check', 'id'), 100);
	SELECT setval(pg_get_serial_sequence('bundle', 'id'), 100)" >/dev/null

ROLES="anon user sub deleg maint admin rev"

auth_of() {
	case $1 in
	anon) echo ;;
	*) echo "Token $(apiw_tok "$1")" ;;
	esac
}

# row NAME METHOD PATH BODY: one line "NAME: status status ..." per role.
row() {
	local name=$1 method=$2 path=$3 body=$4 role line
	line="$name:"
	for role in $ROLES; do
		AUTH=$(auth_of $role) apij "$method" "$path" "$body" ||
			return 1
		line="$line $(http_status)"
	done
	echo "$line"
}

test_expect_success 'every write against every role' '
	{
	echo "roles: $ROLES" &&
	row "patch PATCH" PATCH /api/patches/2/ "{\"archived\":false}" &&
	row "patch PUT" PUT /api/patches/2/ "{}" &&
	row "patch DELETE" DELETE /api/patches/2/ "" &&
	row "patch POST" POST /api/patches/ "{}" &&
	row "check POST" POST /api/patches/2/checks/ "{}" &&
	row "check PATCH 1.4" PATCH /api/1.4/patches/2/checks/1/ "{}" &&
	row "check PATCH 1.3" PATCH /api/1.3/patches/2/checks/1/ "{}" &&
	row "comment PATCH" PATCH /api/1.3/patches/2/comments/1/ "{}" &&
	row "comment PATCH 1.2" PATCH /api/1.2/patches/2/comments/1/ "{}" &&
	row "cover comment PATCH" PATCH /api/1.3/covers/1/comments/1/ "{}" &&
	row "series PATCH" PATCH /api/1.4/series/1/ "{}" &&
	row "series PATCH 1.3" PATCH /api/1.3/series/1/ "{}" &&
	row "project PATCH" PATCH /api/projects/1/ "{}" &&
	row "project PATCH linkname" PATCH /api/projects/net/ "{}" &&
	row "project DELETE" DELETE /api/projects/1/ "" &&
	row "user PATCH self=sub" PATCH /api/users/3/ "{}" &&
	row "user DELETE" DELETE /api/users/3/ "" &&
	row "people PATCH" PATCH /api/people/1/ "{}" &&
	row "bundle POST" POST /api/1.2/bundles/ "{}" &&
	row "bundle POST 1.1" POST /api/1.1/bundles/ "{}" &&
	row "public bundle PATCH" PATCH /api/1.2/bundles/1/ "{}" &&
	row "private bundle PATCH" PATCH /api/1.2/bundles/2/ "{}" &&
	row "public bundle DELETE 1.1" DELETE /api/1.1/bundles/1/ "" &&
	row "cover PATCH" PATCH /api/covers/1/ "{}" &&
	row "event POST" POST /api/events/ "{}"
	} >actual &&
	cat >expect <<-\EOF &&
	roles: anon user sub deleg maint admin rev
	patch PATCH: 403 403 200 200 200 403 403
	patch PUT: 403 403 400 400 400 403 403
	patch DELETE: 405 405 405 405 405 405 405
	patch POST: 405 405 405 405 405 405 405
	check POST: 403 403 400 400 400 403 403
	check PATCH 1.4: 403 403 403 403 400 403 403
	check PATCH 1.3: 405 405 405 405 405 405 405
	comment PATCH: 403 403 200 200 200 403 200
	comment PATCH 1.2: 404 404 404 404 404 404 404
	cover comment PATCH: 403 403 200 403 200 403 200
	series PATCH: 403 403 403 403 200 403 403
	series PATCH 1.3: 405 405 405 405 405 405 405
	project PATCH: 403 403 403 403 200 403 403
	project PATCH linkname: 403 403 403 403 200 403 403
	project DELETE: 405 405 405 405 405 405 405
	user PATCH self=sub: 403 403 200 403 403 403 403
	user DELETE: 403 405 405 405 405 405 405
	people PATCH: 403 405 405 405 405 405 405
	bundle POST: 403 400 400 400 400 400 400
	bundle POST 1.1: 405 405 405 405 405 405 405
	public bundle PATCH: 403 200 403 403 403 403 403
	private bundle PATCH: 404 200 404 404 404 404 404
	public bundle DELETE 1.1: 405 405 405 405 405 405 405
	cover PATCH: 405 405 405 405 405 405 405
	event POST: 405 405 405 405 405 405 405
	EOF
	test_cmp expect actual
'

test_expect_success 'anonymous refusals say so; others say no permission' '
	apij PATCH /api/patches/2/ "{}" &&
	test "$(json_get detail)" = "Authentication credentials were not provided." &&
	AUTH="Token $TOK_USER" apij PATCH /api/patches/2/ "{}" &&
	test "$(json_get detail)" = "You do not have permission to perform this action." &&
	apij POST /api/patches/2/checks/ "{}" &&
	test "$(json_get detail)" = "You do not have permission to perform this action."
'

test_expect_success '404 comes before 403, even for anonymous' '
	apij PATCH /api/patches/999/ "{}" &&
	test_expect_status 404 &&
	test "$(json_get detail)" = "No Patch matches the given query." &&
	apij POST /api/patches/999/checks/ "{}" &&
	test_expect_status 404 &&
	apij PATCH /api/1.3/patches/1/comments/1/ "{}" &&
	test_expect_status 404 &&
	test "$(json_get detail)" = "No PatchComment matches the given query." &&
	AUTH="Token $TOK_MAINT" apij DELETE /api/1.2/bundles/2/ "" &&
	test_expect_status 404
'

test_expect_success 'a delegate may edit, but only set a maintainer as delegate' '
	AUTH="Token $TOK_DELEG" apij PATCH /api/patches/2/ "{\"delegate\":2}" &&
	test_expect_status 400 &&
	printf "{\"delegate\":[\"User %sdeleg%s is not a maintainer for project %sNetdev%s\"]}" \
		"'"'"'" "'"'"'" "'"'"'" "'"'"'" >expect &&
	test_cmp expect body &&
	AUTH="Token $TOK_DELEG" apij PATCH /api/patches/2/ "{\"delegate\":1}" &&
	test_expect_status 200 &&
	test "$(json_get delegate.username)" = maint &&
	AUTH="Token $TOK_DELEG" apij PATCH /api/patches/2/ "{\"archived\":true}" &&
	test_expect_status 403
'

test_expect_success 'the owner deletes a bundle: 204, no body' '
	AUTH="Token $TOK_USER" api DELETE /api/1.2/bundles/2/ &&
	test_expect_status 204 &&
	test_must_be_empty body &&
	test "$(sql -c "SELECT count(*) FROM bundle WHERE id = 2")" = 0
'

test_done
