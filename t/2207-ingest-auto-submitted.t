#!/bin/sh
# ingress.ignore_auto_submitted (spec §3.3): off by default; when on, in
# the configuration or with --ignore-auto-submitted, a mail marked
# Auto-Submitted: auto-generated or auto-replied is journaled as ignored
# and becomes nothing else; "no" and other values are stored as usual.
. "$(dirname "$0")"/lib.sh
test_setup_db
. "$T_DIR"/lib-ingest.sh

add_project test test.example.org

# The LMTP helper refuses root: run it as nobody then (as t/2202).
lmtp() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- pw ingress --lmtp "$@"
	else
		pw ingress --lmtp "$@"
	fi
}

status_of() {
	sql -c "SELECT status || ' ' || coalesce(reason, '-') FROM mail
		WHERE msgid = '<$1>'"
}

test_expect_success 'pw config knows the key, off by default' '
	pw config default >defaults &&
	grep -q "^[[:space:]]*ignore_auto_submitted = false" defaults &&
	printf "ingress {\n\tignore_auto_submitted = true\n}\n" >on.conf &&
	pw config -c on.conf show >shown &&
	grep -q "^[[:space:]]*ignore_auto_submitted = true" shown
'

test_expect_success 'off by default: an auto-generated patch is stored' '
	mkmail --msgid a1@example.org --subject "[PATCH] bot 1" \
		--header "Auto-Submitted: auto-generated" >a1 &&
	deliver a1 &&
	test "$(status_of a1@example.org)" = "stored -" &&
	test "$(count patch "msgid = '"'"'<a1@example.org>'"'"'")" = 1
'

test_expect_success 'on in the configuration: auto-generated is ignored' '
	mkmail --msgid a2@example.org --subject "[PATCH] bot 2" \
		--header "Auto-Submitted: Auto-Generated" >a2 &&
	deliver a2 -c on.conf &&
	test "$(status_of a2@example.org)" = "ignored Auto-Submitted" &&
	test "$(count patch "msgid = '"'"'<a2@example.org>'"'"'")" = 0 &&
	test "$(count event "patch_id IS NOT NULL AND patch_id NOT IN (SELECT id FROM patch)")" = 0
'

test_expect_success 'on: auto-replied is ignored too, in LMTP mode as well' '
	mkmail --msgid a3@example.org --subject "Re: [PATCH] bot 1" \
		--irt a1@example.org --header "Auto-Submitted: auto-replied" >a3 &&
	{
		printf "LHLO t\r\nMAIL FROM:<b@example.org>\r\n"
		printf "RCPT TO:<list@test.example.org>\r\nDATA\r\n"
		sed -e "s/^\./../" -e "s/\$/\r/" a3
		printf ".\r\nQUIT\r\n"
	} >session &&
	chmod 644 on.conf &&
	lmtp -c "$PWD/on.conf" <session >lmtp.out &&
	grep -q "^250 2\.0\.0 <" lmtp.out &&
	test "$(status_of a3@example.org)" = "ignored Auto-Submitted" &&
	test "$(count patch_comment)" = 0
'

test_expect_success 'on: Auto-Submitted: no, and no header, are stored' '
	mkmail --msgid a4@example.org --subject "[PATCH] human" \
		--header "Auto-Submitted: no" >a4 &&
	mkmail --msgid a5@example.org --subject "[PATCH] human 2" >a5 &&
	deliver a4 -c on.conf &&
	deliver a5 -c on.conf &&
	test "$(status_of a4@example.org)" = "stored -" &&
	test "$(status_of a5@example.org)" = "stored -"
'

test_expect_success 'off in the configuration, on by option' '
	printf "ingress {\n\tignore_auto_submitted = false\n}\n" >off.conf &&
	mkmail --msgid a6@example.org --subject "[PATCH] bot 6" \
		--header "Auto-Submitted: auto-generated" >a6 &&
	deliver a6 -c off.conf --ignore-auto-submitted &&
	test "$(status_of a6@example.org)" = "ignored Auto-Submitted"
'

test_expect_success 'a bad value is a configuration error: deferred (75)' '
	printf "ingress {\n\tignore_auto_submitted = maybe\n}\n" >bad.conf &&
	test_expect_code 75 deliver a6 -c bad.conf 2>err &&
	grep -q "configuration error" err
'

test_done
