# t/lib-auth.sh: logging in through the REST API, for the migration
# tests (an imported user's password and token must work as they did
# under Django).  Source after lib.sh and lib-http.sh, and call
# test_start_http first: requests go through nginx and the pw.fcgi pool
# at $HTTP_URL, so the per-worker cache of Basic checks is in play.
#
# Each request is PATCH /api/1.2/users/ID/ with an empty change, which
# only user ID may make: 200 and the user's own record when the
# credentials are that user's, 403 "Authentication credentials were not
# provided." when anonymous, 403 with DRF's words when they are refused.
#
#	basic USER PASSWORD ID   HTTP Basic; the status on stdout, body ./body
#	token KEY ID             Authorization: Token KEY; the same
#	logs_in ID               ./body is user ID's own record
#	detail TEXT              ./body is {"detail":"TEXT"}
#	refused USER PASSWORD ID Basic answers 403 "Invalid username/password."
#	                         and the stored hash of ID is unchanged
#	rehashed ID PASSWORD     the stored hash of ID is ours (pbkdf2_sha256,
#	                         1,000,000 iterations, 22-character salt) and
#	                         verifies PASSWORD
#
# The stored hashes are read with sql (lib.sh): point PGDATABASE at the
# database the pool serves.

_as_user() {
	curl -s -o body -w "%{http_code}" -X PATCH \
		-H "Content-Type: application/json" -d "{}" "$@"
}

basic() {
	_as_user -u "$1:$2" "$HTTP_URL/api/1.2/users/$3/"
}

token() {
	_as_user -H "Authorization: Token $1" "$HTTP_URL/api/1.2/users/$2/"
}

anonymous() {
	_as_user "$HTTP_URL/api/1.2/users/$1/"
}

logs_in() {
	grep -q "^{\"id\":$1,\"url\":\"[^\"]*/api/1.2/users/$1/\"" body
}

detail() {
	printf '{"detail":"%s"}' "$1" >expect && test_cmp expect body
}

refused() {
	local before
	before=$(sql -c "SELECT password FROM auth_user WHERE id = $3") &&
	test "$(basic "$1" "$2" "$3")" = 403 &&
	detail "Invalid username/password." &&
	test "$(sql -c "SELECT password FROM auth_user WHERE id = $3")" = "$before"
}

rehashed() {
	local h
	h=$(sql -c "SELECT password FROM auth_user WHERE id = $1") &&
	case $h in
	pbkdf2_sha256\$1000000\$??????????????????????\$*) ;;
	*) echo "user $1: not re-hashed: $h"; return 1 ;;
	esac &&
	printf %s "$2" | pw-test auth check -n "$h" >/dev/null
}
