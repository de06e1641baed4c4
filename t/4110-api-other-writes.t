#!/bin/sh
# The smaller writes: comment "addressed" (1.3+, spec 7), series version
# and metadata (1.4, spec 13.2), project URLs (spec 5), user settings
# (1.2+, spec 12.2); and statement counts that do not grow with the data.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup

test_expect_success 'comment addressed: JSON, the web UI'"'"'s strings, null' '
	AUTH="Token $TOK_REV" apij PATCH /api/1.3/patches/2/comments/1/ "{\"addressed\":true}" &&
	test_expect_status 200 &&
	test "$(json_get addressed)" = true &&
	test "$(json_get url)" = http://testserver/api/1.3/patches/2/comments/1/ &&
	AUTH="Token $TOK_SUB" apij PATCH /api/patches/2/comments/1/ "{\"addressed\":\"false\"}" &&
	test "$(json_get addressed)" = false &&
	AUTH="Token $TOK_MAINT" apif PATCH /api/patches/2/comments/1/ "addressed=" &&
	test "$(json_get addressed)" = null &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/patches/2/comments/1/ "{\"addressed\":\"maybe\"}" &&
	test_expect_status 400 &&
	printf "{\"addressed\":[\"Must be a valid boolean.\"]}" >expect &&
	test_cmp expect body &&
	AUTH="Token $TOK_SUB" apij PATCH /api/1.3/covers/1/comments/1/ "{\"addressed\":false}" &&
	test "$(json_get addressed)" = false &&
	test "$(sql -c "SELECT count(*) FROM event")" = 0
'

test_expect_success 'series: version and metadata at 1.4, maintainers only' '
	AUTH="Token $TOK_MAINT" apij PATCH /api/1.4/series/1/ \
		"{\"version\":3,\"metadata\":{\"ci\":\"pass\",\"base\":\"abc\"}}" &&
	test_expect_status 200 &&
	test "$(json_get version)" = 3 &&
	test "$(json_get metadata)" = "{\"base\":\"abc\",\"ci\":\"pass\"}" &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/series/1/ "{\"metadata\":{\"x\":\"y\"}}" &&
	test "$(json_get metadata)" = "{\"x\":\"y\"}" &&
	test "$(json_get version)" = 3 &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/series/1/ "{\"metadata\":{\"x\":1},\"version\":\"v\"}" &&
	test_expect_status 400 &&
	printf "{\"version\":[\"A valid integer is required.\"],\"metadata\":{\"x\":[\"Not a valid string.\"]}}" >expect &&
	test_cmp expect body &&
	AUTH="Token $TOK_MAINT" api GET "/api/series/?metadata_key=x&metadata_value=y" &&
	test "$(json_get 0.id)" = 1 &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/1.3/series/1/ "{\"version\":4}" &&
	test_expect_status 405
'

test_expect_success 'project: URLs by maintainers, by id or link name' '
	AUTH="Token $TOK_MAINT" apij PATCH /api/projects/net/ \
		"{\"web_url\":\"https://net.example.org\",\"name\":\"ignored\",\"show_dependencies\":true}" &&
	test_expect_status 200 &&
	test "$(json_get web_url)" = https://net.example.org &&
	test "$(json_get name)" = Netdev &&
	test "$(json_get show_dependencies)" = true &&
	AUTH="Token $TOK_MAINT" apij PUT /api/1.1/projects/1/ \
		"{\"list_archive_url\":\"https://x\",\"scm_url\":\"git://x\"}" &&
	test_expect_status 200 &&
	test "$(sql -c "SELECT list_archive_url || scm_url FROM project WHERE id = 1")" = git://x &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/projects/1/ "{\"web_url\":null}" &&
	test_expect_status 400 &&
	test "$(json_get web_url.0)" = "This field may not be null." &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/projects/other/ "{}" &&
	test_expect_status 403
'

test_expect_success 'user settings from 1.2; ignored below; checked always' '
	AUTH="Token $TOK_USER" apij PATCH /api/1.2/users/4/ \
		"{\"settings\":{\"items_per_page\":50,\"show_ids\":true}}" &&
	test "$(json_get settings)" = "{\"send_email\":false,\"items_per_page\":50,\"show_ids\":true}" &&
	AUTH="Token $TOK_USER" apij PATCH /api/1.1/users/4/ \
		"{\"settings\":{\"items_per_page\":10},\"first_name\":\"Old\"}" &&
	test_expect_status 200 &&
	test "$(sql -c "SELECT items_per_page || first_name FROM auth_user WHERE id = 4")" = 50Old &&
	AUTH="Token $TOK_USER" apij PATCH /api/1.1/users/4/ "{\"settings\":{\"items_per_page\":-1}}" &&
	test_expect_status 400 &&
	printf "{\"settings\":{\"items_per_page\":[\"Ensure this value is greater than or equal to 0.\"]}}" >expect &&
	test_cmp expect body &&
	AUTH="Token $TOK_USER" apij PATCH /api/users/4/ "{\"first_name\":\"$(printf %0151d 0)\"}" &&
	test "$(json_get first_name.0)" = "Ensure this field has no more than 150 characters."
'

test_expect_success 'user settings in a form: settings.KEY fields (DRF nested HTML input)' '
	AUTH="Token $TOK_USER" apif PATCH /api/1.2/users/4/ \
		"settings.items_per_page=25&settings.show_ids=false&settings.x=1&settingsshow_ids=true" &&
	test_expect_status 200 &&
	test "$(json_get settings)" = "{\"send_email\":false,\"items_per_page\":25,\"show_ids\":false}" &&
	AUTH="Token $TOK_USER" apif PATCH /api/1.2/users/4/ "settings.send_email=on" &&
	test "$(json_get settings)" = "{\"send_email\":true,\"items_per_page\":25,\"show_ids\":false}" &&
	AUTH="Token $TOK_USER" apif PATCH /api/1.2/users/4/ "first_name=Form" &&
	test_expect_status 200 &&
	test "$(json_get settings.items_per_page)" = 25 &&
	AUTH="Token $TOK_USER" apif PUT /api/1.2/users/4/ "first_name=F" &&
	test_expect_status 400 &&
	test "$(json_get settings.0)" = "This field is required." &&
	AUTH="Token $TOK_USER" apif PUT /api/1.2/users/4/ \
		"first_name=F&settings.items_per_page=30&settings.show_ids=true" &&
	test_expect_status 200 &&
	test "$(json_get settings)" = "{\"send_email\":false,\"items_per_page\":30,\"show_ids\":true}" &&
	AUTH="Token $TOK_USER" apif PATCH /api/1.2/users/4/ "settings.items_per_page=x&settings.show_ids=maybe" &&
	test_expect_status 400 &&
	printf "{\"settings\":{\"items_per_page\":[\"A valid integer is required.\"],\"show_ids\":[\"Must be a valid boolean.\"]}}" >expect &&
	test_cmp expect body
'

# queries PATH: the statements one GET ran.
queries() {
	PW_DEBUG_QUERIES=1 api GET "$1" && http_header X-Pw-Queries
}

test_expect_success 'bundle lists and downloads: statements independent of size' '
	AUTH="Token $TOK_USER" &&
	export AUTH &&
	for n in 1 2 3 4 5 6 7 8; do
		apij POST /api/bundles/ "{\"name\":\"b$n\",\"patches\":[1,2,3],\"public\":true}" || return 1
	done &&
	q1=$(queries "/api/bundles/?per_page=2&owner=user") &&
	q8=$(queries "/api/bundles/?per_page=7&owner=user") &&
	test "$q1" = "$q8" && test "$q1" -le 6 &&
	q1=$(queries /project/net/patch/1-a@example.com/mbox/) &&
	q3=$(queries "/project/net/patch/3-a@example.com/mbox/?series=*") &&
	test "$q3" -le $((q1 + 1)) &&
	q3=$(queries /series/1/mbox/) && test "$q3" -le 4
'

test_done
