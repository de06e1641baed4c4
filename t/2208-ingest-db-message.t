#!/bin/sh
# pw ingress with the database unreachable: exit 75 and one short line for
# the MTA's log that names the database and its host, without libpq's
# socket file path and hint lines.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-ingest.sh

test_expect_success 'no server on the socket directory: 75, one line' '
	mkmail --msgid d1@example.org >m &&
	mkdir nosock &&
	PW_DATABASE_URL="host=$PWD/nosock dbname=pwmail user=pw" \
		test_expect_code 75 pw ingress <m 2>err &&
	test "$(wc -l <err)" = 1 &&
	cat >expect <<-EOF &&
	pw-ingress: database unavailable, try again later: cannot connect to database "pwmail" on $PWD/nosock: No such file or directory
	EOF
	test_cmp expect err
'

test_expect_success 'no server on a TCP port: the host and the port' '
	PW_DATABASE_URL="postgresql://pw@127.0.0.1:1/pwmail?connect_timeout=2" \
		test_expect_code 75 pw ingress <m 2>err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^pw-ingress: database unavailable, try again later: cannot connect to database \"pwmail\" on 127\.0\.0\.1 port 1: " err &&
	! grep -q "connection to server\|PGSQL" err
'

test_done
