#!/bin/sh
# REST API authentication (spec 2.6): Token and Bearer, HTTP Basic with
# Django password hashes, the session cookie with its CSRF check;
# inactive users; DRF's 403 wording; the user update that tells who
# was authenticated.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh

apiw_setup

detail() {
	printf '{"detail":"%s"}' "$1" >expect &&
	test_cmp expect body
}

test_expect_success 'anonymous: 403, credentials not provided (never 401)' '
	apij PATCH /api/users/4/ "{\"first_name\":\"x\"}" &&
	test_expect_status 403 &&
	detail "Authentication credentials were not provided." &&
	test "$(http_header Content-Type)" = application/json
'

test_expect_success 'a token authenticates; the user edits their name' '
	AUTH="Token $TOK_USER" apij PATCH /api/1.2/users/4/ \
		"{\"first_name\":\"  Ursula \",\"username\":\"hacked\",\"email\":\"x@y\"}" &&
	test_expect_status 200 &&
	cat >expect <<-EOF &&
	{"id":4,"url":"http://testserver/api/1.2/users/4/","username":"user","first_name":"Ursula","last_name":"","email":"user@example.org","settings":{"send_email":false,"items_per_page":100,"show_ids":false}}
	EOF
	printf "\\n" >>body && test_cmp expect body &&
	test "$(sql -c "SELECT username || email FROM auth_user WHERE id = 4")" = useruser@example.org
'

test_expect_success 'the keyword is case-insensitive; Bearer works too' '
	AUTH="tOkEn $TOK_USER" apij PATCH /api/users/4/ "{\"last_name\":\"T\"}" &&
	test_expect_status 200 &&
	AUTH="Bearer $TOK_USER" apij PATCH /api/users/4/ "{\"last_name\":\"B\"}" &&
	test_expect_status 200 &&
	test "$(json_get last_name)" = B
'

test_expect_success 'bad tokens: 403 with DRF wording, even on a public GET' '
	AUTH="Token 0123456789012345678901234567890123456789" api GET /api/ &&
	test_expect_status 403 && detail "Invalid token." &&
	AUTH="Token not-a-token" api GET /api/1.1/ &&
	test_expect_status 403 && detail "Invalid token." &&
	AUTH="Token" api GET /api/ &&
	test_expect_status 403 &&
	detail "Invalid token header. No credentials provided." &&
	AUTH="Token a b" api GET /api/ &&
	test_expect_status 403 &&
	detail "Invalid token header. Token string should not contain spaces." &&
	AUTH="Token $TOK_INACTIVE" api GET /api/ &&
	test_expect_status 403 && detail "User inactive or deleted."
'

test_expect_success 'an unknown scheme is ignored: anonymous' '
	AUTH="Digest foo=bar" api GET /api/ &&
	test_expect_status 200 &&
	AUTH="Digest foo=bar" apij PATCH /api/users/4/ "{}" &&
	test_expect_status 403 &&
	detail "Authentication credentials were not provided."
'

test_expect_success 'Basic with the right password authenticates' '
	AUTH=$(basic user secret) apij PATCH /api/users/4/ "{\"last_name\":\"Basic\"}" &&
	test_expect_status 200 &&
	test "$(json_get last_name)" = Basic
'

test_expect_success 'Basic: wrong password, unknown or inactive user: 403' '
	AUTH=$(basic user wrong) api GET /api/ &&
	test_expect_status 403 && detail "Invalid username/password." &&
	AUTH=$(basic nobody secret) api GET /api/ &&
	test_expect_status 403 && detail "Invalid username/password." &&
	AUTH=$(basic inactive secret) api GET /api/ &&
	test_expect_status 403 && detail "Invalid username/password." &&
	AUTH=$(basic User secret) api GET /api/ &&
	test_expect_status 403 && detail "Invalid username/password."
'

test_expect_success 'Basic: malformed headers' '
	AUTH="Basic" api GET /api/ &&
	test_expect_status 403 &&
	detail "Invalid basic header. No credentials provided." &&
	AUTH="Basic a b" api GET /api/ &&
	test_expect_status 403 &&
	detail "Invalid basic header. Credentials string should not contain spaces." &&
	AUTH="Basic $(printf nocolon | base64)" api GET /api/ &&
	test_expect_status 403 &&
	detail "Invalid basic header. Credentials not correctly base64 encoded." &&
	AUTH="Basic abcde" api GET /api/ &&
	test_expect_status 403 &&
	detail "Invalid basic header. Credentials not correctly base64 encoded." &&
	AUTH="Basic $(printf "user\\000x:secret" | base64)" api GET /api/ &&
	test_expect_status 403 && detail "Invalid username/password."
'

test_expect_success 'Basic with an old hash: accepted, and re-hashed' '
	old=$(printf secret | pw-test auth encode pbkdf2_sha1 abc 1000) &&
	sql -c "UPDATE auth_user SET password = \$\$$old\$\$ WHERE id = 3" &&
	AUTH=$(basic sub secret) apij PATCH /api/users/3/ "{}" &&
	test_expect_status 200 &&
	new=$(sql -c "SELECT password FROM auth_user WHERE id = 3") &&
	case $new in pbkdf2_sha256\$1000000\$*) ;; *) false ;; esac &&
	printf secret | pw-test auth check "$new" &&
	AUTH=$(basic sub secret) apij PATCH /api/users/3/ "{}" &&
	test_expect_status 200
'

test_expect_success 'users edit only themselves; 404 first; 405 after auth' '
	AUTH="Token $TOK_USER" apij PATCH /api/users/3/ "{}" &&
	test_expect_status 403 &&
	detail "You do not have permission to perform this action." &&
	AUTH="Token $TOK_ADMIN" apij PATCH /api/users/3/ "{}" &&
	test_expect_status 403 &&
	AUTH="Token $TOK_USER" apij PATCH /api/users/999/ "{}" &&
	test_expect_status 404 &&
	detail "No User matches the given query." &&
	AUTH="Token $TOK_USER" api DELETE /api/users/4/ &&
	test_expect_status 405 &&
	detail "Method \\\"DELETE\\\" not allowed." &&
	api DELETE /api/users/4/ &&
	test_expect_status 403 &&
	detail "Authentication credentials were not provided."
'

# A session row as the web login will write it: the key is the SHA-256 of
# the cookie value.
COOKIE=$(printf c1 | sha256sum | cut -c1-64)
CSRF=$(printf csrf1 | sha256sum | cut -c1-64)
KEY=$(printf %s "$COOKIE" | sha256sum | cut -c1-64)

test_expect_success 'a session cookie authenticates; GET needs no CSRF token' '
	sql -c "INSERT INTO session (key, user_id, csrf_token, expires)
		VALUES (\$\$$KEY\$\$, 4, \$\$$CSRF\$\$, now() + interval \$\$1 day\$\$)" &&
	api GET /api/ HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 200 &&
	apij PATCH /api/users/4/ "{\"first_name\":\"S\"}" \
		HTTP_COOKIE="a=b; sessionid=$COOKIE" HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 200 &&
	test "$(json_get first_name)" = S
'

test_expect_success 'session writes need the CSRF token' '
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 403 &&
	detail "CSRF Failed: CSRF token missing." &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="${CSRF%?}0" &&
	test_expect_status 403 &&
	detail "CSRF Failed: CSRF token incorrect." &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" HTTP_ORIGIN=http://evil.example &&
	test_expect_status 403 &&
	detail "CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins." &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" HTTP_ORIGIN=http://testserver &&
	test_expect_status 200
'

test_expect_success 'the session wins over a token; Token users need no CSRF' '
	AUTH="Token $TOK_MAINT" apij PATCH /api/users/4/ "{}" \
		HTTP_COOKIE="sessionid=$COOKIE" HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 200 &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/users/1/ "{}" \
		HTTP_COOKIE="sessionid=$COOKIE" HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 403 &&
	AUTH="Token $TOK_MAINT" apij PATCH /api/users/1/ "{}" &&
	test_expect_status 200
'

test_expect_success 'expired, unknown and inactive-user sessions are anonymous' '
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=${COOKIE%?}0" \
		HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 403 &&
	detail "Authentication credentials were not provided." &&
	sql -c "UPDATE auth_user SET is_active = false WHERE id = 4" &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 403 &&
	detail "Authentication credentials were not provided." &&
	sql -c "UPDATE auth_user SET is_active = true WHERE id = 4" &&
	sql -c "UPDATE session SET expires = now() - interval \$\$1 s\$\$" &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 403
'

test_expect_success 'over https, a session write needs a same-origin Referer' '
	APIW_BASE_URL=https://pw.example.org apiw_conf &&
	test_when_finished "apiw_conf" &&
	sql -c "UPDATE session SET expires = now() + interval \$\$1 day\$\$" &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 403 &&
	detail "CSRF Failed: Referer checking failed - no Referer." &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" HTTP_REFERER=https://evil.example/x &&
	test_expect_status 403 &&
	apij PATCH /api/users/4/ "{}" HTTP_COOKIE="sessionid=$COOKIE" \
		HTTP_X_CSRFTOKEN="$CSRF" HTTP_REFERER=https://pw.example.org/project/net/ &&
	test_expect_status 200
'

test_expect_success 'a form POST may carry the token as csrfmiddlewaretoken' '
	apif PUT /api/users/4/ "first_name=F&csrfmiddlewaretoken=$CSRF" \
		HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 403 &&
	detail "CSRF Failed: CSRF token missing." &&
	apif POST /api/1.2/bundles/ "name=f1&patches=1&csrfmiddlewaretoken=$CSRF" \
		HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 201
'

# mp TOKEN NAME: a multipart body with a bundle name and the token field.
mp() {
	printf -- "--XyZ\r\nContent-Disposition: form-data; name=\"patches\"\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n%s\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n%s\r\n--XyZ--\r\n" "$2" "$1"
}

test_expect_success 'a multipart POST may carry it too (the field before the header)' '
	PW_BODY=$(mp "$CSRF" m1) api POST /api/1.2/bundles/ \
		CONTENT_TYPE="multipart/form-data; boundary=XyZ" \
		HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 201 &&
	test "$(json_get name)" = m1 &&
	PW_BODY=$(mp "${CSRF%?}0" m2) api POST /api/1.2/bundles/ \
		CONTENT_TYPE="multipart/form-data; boundary=XyZ" \
		HTTP_COOKIE="sessionid=$COOKIE" HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 403 &&
	detail "CSRF Failed: CSRF token incorrect." &&
	PW_BODY=$(mp "" m3) api POST /api/1.2/bundles/ \
		CONTENT_TYPE="multipart/form-data; boundary=XyZ" \
		HTTP_COOKIE="sessionid=$COOKIE" HTTP_X_CSRFTOKEN="$CSRF" &&
	test_expect_status 201 &&
	PW_BODY=$(mp "$CSRF" m4) api POST /api/1.2/bundles/ \
		CONTENT_TYPE="text/plain" HTTP_COOKIE="sessionid=$COOKIE" &&
	test_expect_status 403 &&
	detail "CSRF Failed: CSRF token missing." &&
	test "$(sql -c "SELECT string_agg(name, \$\$,\$\$ ORDER BY name) FROM bundle WHERE owner_id = 4")" = "f1,m1,m3"
'

test_start_http 1

# curl through nginx and the pool: status on stdout.
hcurl() {
	curl -s -o body -w "%{http_code}" -X "$1" -H "Content-Type: application/json" \
		-d "$3" -u "$4" "$HTTP_URL$2"
}

test_expect_success 'pool: Basic is cached, but a new password counts at once' '
	test "$(hcurl PATCH /api/users/2/ "{}" deleg:secret)" = 200 &&
	test "$(hcurl PATCH /api/users/2/ "{}" deleg:secret)" = 200 &&
	h=$(printf other | pw-test auth encode pbkdf2_sha256 abcdefghijklmnopqrstuv 1000) &&
	sql -c "UPDATE auth_user SET password = \$\$$h\$\$ WHERE id = 2" &&
	test "$(hcurl PATCH /api/users/2/ "{}" deleg:secret)" = 403 &&
	test "$(hcurl PATCH /api/users/2/ "{}" deleg:other)" = 200
'

test_expect_success 'pool: deactivation counts at once' '
	test "$(hcurl PATCH /api/users/1/ "{}" maint:secret)" = 200 &&
	sql -c "UPDATE auth_user SET is_active = false WHERE id = 1" &&
	test "$(hcurl PATCH /api/users/1/ "{}" maint:secret)" = 403 &&
	sql -c "UPDATE auth_user SET is_active = true WHERE id = 1" &&
	test "$(hcurl PATCH /api/users/1/ "{}" maint:secret)" = 200
'

test_done
