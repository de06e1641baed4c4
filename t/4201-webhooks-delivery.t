#!/bin/sh
# Webhook delivery end to end (REST spec 13.4): webhooks registered
# through nginx and pw.fcgi, events made by a state change through the
# API and by a mail through pw ingress, delivered by pw webhook to local
# receivers (t/webhook-receiver.py).  A body is byte for byte the event
# as GET /api/1.4/events/ shows it; the signature verifies; a category
# filter and an inactive webhook hold; a receiver answering 500, or
# nobody listening, gets its retries and then 'failed'.
. "$(dirname "$0")"/lib.sh
. "$T_DIR"/lib-http.sh
. "$T_DIR"/lib-apiw.sh
test_need_cmd python3

test_pick_port
APIW_BASE_URL=$HTTP_URL
apiw_setup
. "$T_DIR"/lib-ingest.sh
test_start_http 2

# start_receiver NAME STATUS: a receiver keeping requests in ./NAME;
# sets RECV_PORT.
start_receiver() {
	mkdir "$1" &&
	python3 "$T_DIR/webhook-receiver.py" "$TRASH/$1.port" "$TRASH/$1" \
		"$2" 2>"$TRASH/$1.log" &
	test_atexit "kill $! 2>/dev/null"
	i=0
	until [ -s "$TRASH/$1.port" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "Bail out! receiver $1"; exit 1; }
		sleep 0.05
	done
	RECV_PORT=$(cat "$TRASH/$1.port")
}

start_receiver ok 200
OK_PORT=$RECV_PORT
start_receiver err 500
ERR_PORT=$RECV_PORT
DEAD_PORT=$(test_free_port)

# hook URL [EVENTS [SECRET [ACTIVE]]]: register through nginx; prints the id.
hook() {
	curl -s -o hook.json -w "%{http_code}" \
		-H "Authorization: Token $TOK_MAINT" \
		-H "Content-Type: application/json" \
		-d "{\"url\":\"$1\",\"events\":\"${2:-*}\",\"secret\":\"${3:-}\",\"active\":${4:-true}}" \
		"$HTTP_URL/api/1.4/projects/net/webhooks/" >hook.status &&
	test "$(cat hook.status)" = 201 &&
	python3 -c "import json; print(json.load(open(\"hook.json\"))[\"id\"])"
}

# check DIR SECRET: every request in DIR is a POST of an event exactly
# as the events API (./events.json, raw) shows it, with the headers
# right; prints "event-id category" per request, in arrival order.
cat >check.py <<'EOF'
import glob, hashlib, hmac, json, os, sys
d, secret = sys.argv[1], sys.argv[2]
listing = open('events.json', 'rb').read()
n = len(glob.glob(os.path.join(d, '*.path')))
for i in range(1, n + 1):
    base = os.path.join(d, str(i))
    body = open(base + '.body', 'rb').read()
    hdr = dict(l.rstrip('\n').split(': ', 1)
               for l in open(base + '.headers'))
    ev = json.loads(body)
    assert open(base + '.path').read() == '/hook\n', base
    assert hdr['content-type'] == 'application/json', hdr
    assert hdr['x-patchwork-event'] == ev['category'], hdr
    assert hdr['x-patchwork-delivery'] == str(ev['id']), hdr
    # Byte for byte an element of the events API's list.
    assert (b'[' + body + b',') in listing or (b',' + body + b',') in \
        listing or (b',' + body + b']') in listing or \
        (b'[' + body + b']') in listing, body
    if secret:
        mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hdr['x-patchwork-signature'] == 'sha256=' + mac, hdr
    else:
        assert 'x-patchwork-signature' not in hdr, hdr
    print(ev['id'], ev['category'])
EOF

events_api() {
	curl -s -o events.json "$HTTP_URL/api/1.4/events/?project=net&per_page=250&order=date"
}

test_expect_success 'register: all events, one category, an inactive one' '
	ALL=$(hook "http://127.0.0.1:$OK_PORT/hook" "*" "s3cret") &&
	STATE=$(hook "http://localhost:$OK_PORT/hook" patch-state-changed) &&
	OFF=$(hook "http://127.0.0.1:$OK_PORT/off" "*" "" false) &&
	ERR=$(hook "http://127.0.0.1:$ERR_PORT/hook" patch-state-changed x) &&
	DEAD=$(hook "http://127.0.0.1:$DEAD_PORT/hook" patch-state-changed) &&
	test "$(count webhook)" = 5
'

test_expect_success 'a state change through the API and a mail queue deliveries' '
	test "$(curl -s -o out -w "%{http_code}" -X PATCH \
		-H "Authorization: Token $TOK_MAINT" \
		-H "Content-Type: application/json" -d "{\"state\":\"accepted\"}" \
		"$HTTP_URL/api/1.4/patches/1/")" = 200 &&
	mkmail --list net.lists.example.org --msgid new-1@example.org \
		--subject "[PATCH] net: a new one" >m1 &&
	deliver m1 &&
	test "$(count event "category = '"'"'patch-created'"'"'")" = 1 &&
	test "$(count webhook_delivery "webhook_id = $OFF")" = 0 &&
	test "$(count webhook_delivery "webhook_id = $STATE")" = 1 &&
	test "$(count webhook_delivery "webhook_id = $ALL")" = "$(count event)" &&
	test "$(count webhook_delivery "status = '"'"'pending'"'"' AND body IS NULL")" = \
		"$(count webhook_delivery)"
'

test_expect_success 'pw webhook --once delivers, retries, gives up' '
	pw webhook --once --backoff 0 --attempts 3 2>worker.log &&
	test "$(count webhook_delivery "status = '"'"'pending'"'"'")" = 0
'

test_expect_success 'what arrived is the events API'"'"'s rendering, signed' '
	events_api &&
	grep -q "^\[{\"id\":" events.json &&
	mkdir all state &&
	for f in ok/*.path; do
		n=${f#ok/}; n=${n%.path}
		if grep -q x-patchwork-signature ok/$n.headers; then
			dir=all
		else
			dir=state
		fi
		m=$(($(ls $dir | wc -l) / 3 + 1)) &&
		cp ok/$n.path $dir/$m.path && cp ok/$n.headers $dir/$m.headers &&
		cp ok/$n.body $dir/$m.body || return 1
	done &&
	python3 check.py all s3cret | sort -n >got &&
	sql -c "SELECT id || '"'"' '"'"' || category FROM event ORDER BY id" >expect &&
	test_cmp expect got &&
	grep -q " patch-created$" got &&
	grep -q " patch-state-changed$" got &&
	python3 check.py state "" >got &&
	sql -c "SELECT id || '"'"' '"'"' || category FROM event
		WHERE category = '"'"'patch-state-changed'"'"'" >expect &&
	test_cmp expect got &&
	test "$(sql -c "SELECT DISTINCT status || last_http_status || attempts
		FROM webhook_delivery WHERE webhook_id IN ($ALL, $STATE)")" = delivered2001 &&
	test "$(sql -c "SELECT count(*) FROM webhook_delivery d JOIN event e
		ON e.id = d.event_id WHERE d.webhook_id = $ALL
		AND d.body = (SELECT body FROM webhook_delivery x
		WHERE x.webhook_id = $STATE)")" = 1
'

test_expect_success 'a receiver answering 500: three attempts, then failed' '
	test "$(ls err/*.path | wc -l)" = 3 &&
	cmp err/1.body err/3.body &&
	grep -qx "x-patchwork-event: patch-state-changed" err/3.headers &&
	test "$(sql -c "SELECT status, attempts, last_http_status, last_error
		FROM webhook_delivery WHERE webhook_id = $ERR" | tr "|" " ")" = \
		"failed 3 500 HTTP 500" &&
	grep -q "failed after 3 attempts: HTTP 500" worker.log
'

test_expect_success 'nobody listening: failed, with the error and no status' '
	test "$(sql -c "SELECT status || attempts || coalesce(last_http_status, 0)
		FROM webhook_delivery WHERE webhook_id = $DEAD")" = failed30 &&
	sql -c "SELECT last_error FROM webhook_delivery WHERE webhook_id = $DEAD" |
		grep -i "connect"
'

test_expect_success 'backoff: a failure waits before its next attempt' '
	n=$(ls err/*.path | wc -l) &&
	test "$(curl -s -o out -w "%{http_code}" -X PATCH \
		-H "Authorization: Token $TOK_MAINT" \
		-H "Content-Type: application/json" -d "{\"state\":\"rejected\"}" \
		"$HTTP_URL/api/1.4/patches/1/")" = 200 &&
	pw webhook --once --backoff 600 --attempts 3 2>worker.log &&
	test "$(ls err/*.path | wc -l)" = $((n + 1)) &&
	test "$(sql -c "SELECT status || attempts FROM webhook_delivery
		WHERE webhook_id = $ERR AND next_attempt_at > now() + interval
		'"'"'590 seconds'"'"'")" = pending1
'

test_expect_success 'two workers at once: each delivery goes out once' '
	n=$(ls ok/*.path | wc -l) &&
	sql -c "INSERT INTO event (category, project_id, patch_id)
		SELECT '"'"'patch-created'"'"', 1, 2 FROM generate_series(1, 40)" &&
	test "$(count webhook_delivery "status = '"'"'pending'"'"' AND webhook_id = $ALL")" = 40 || return 1
	pw webhook --once 2>w1.log &
	p1=$!
	pw webhook --once 2>w2.log &
	p2=$!
	wait $p1 && wait $p2 &&
	test "$(ls ok/*.path | wc -l)" = $((n + 40)) &&
	test "$(sql -c "SELECT DISTINCT status || attempts FROM webhook_delivery
		WHERE webhook_id = $ALL")" = delivered1 &&
	# Signed: the requests of the "*" webhook, one per event.
	cat $(grep -l x-patchwork-signature ok/*.headers) |
		sed -n "s/^x-patchwork-delivery: //p" | sort | uniq -d >dups &&
	test_must_be_empty dups
'

test_expect_success 'finished deliveries older than --keep days go' '
	sql -c "UPDATE webhook_delivery SET created = now() - interval '"'"'3 days'"'"'
		WHERE webhook_id IN ($ALL, $ERR)" &&
	pending=$(count webhook_delivery "status = '"'"'pending'"'"'") &&
	young=$(count webhook_delivery "webhook_id NOT IN ($ALL, $ERR)") &&
	test "$pending" -ge 1 &&
	pw webhook --once --keep 2 &&
	test "$(count webhook_delivery "webhook_id = $ALL")" = 0 &&
	test "$(count webhook_delivery "status = '"'"'pending'"'"'")" = "$pending" &&
	test "$(count webhook_delivery "webhook_id NOT IN ($ALL, $ERR)")" = "$young" &&
	test "$(count webhook_delivery "webhook_id = $ERR AND status <> '"'"'pending'"'"'")" = 0
'

test_expect_success 'the daemon: woken by NOTIFY, survives losing its session, stops on SIGTERM' '
	sql -c "UPDATE webhook SET active = false WHERE id IN ($ERR, $DEAD)" &&
	n=$(ls ok/*.path | wc -l) || return 1
	# Bounded: a worker deaf to SIGTERM fails the test, not the suite.
	timeout -s KILL 30 pw webhook -v 2>daemon.log &
	pid=$!
	test_when_finished "kill $pid 2>/dev/null; true" &&
	i=0 &&
	until grep -q "waiting for deliveries" daemon.log; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.05 || return 1
	done &&
	test "$(curl -s -o out -w "%{http_code}" -X PATCH \
		-H "Authorization: Token $TOK_MAINT" \
		-H "Content-Type: application/json" -d "{\"state\":\"new\"}" \
		"$HTTP_URL/api/1.4/patches/1/")" = 200 &&
	i=0 &&
	until [ "$(ls ok/*.path | wc -l)" = $((n + 2)) ]; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.05 || return 1
	done &&
	# Its session killed: it reconnects, listens again, delivers.
	sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = '"'"'pw-webhook'"'"'" >/dev/null &&
	i=0 &&
	until grep -q "database failure" daemon.log; do
		i=$((i + 1)) && test $i -lt 200 && sleep 0.05 || return 1
	done &&
	for st in accepted new; do
		test "$(curl -s -o out -w "%{http_code}" -X PATCH \
			-H "Authorization: Token $TOK_MAINT" \
			-H "Content-Type: application/json" -d "{\"state\":\"$st\"}" \
			"$HTTP_URL/api/1.4/patches/1/")" = 200 &&
		n=$((n + 2)) &&
		i=0 &&
		until [ "$(ls ok/*.path | wc -l)" = $((n + 2)) ]; do
			i=$((i + 1)) && test $i -lt 200 && sleep 0.05 || return 1
		done || return 1
	done &&
	kill -TERM $pid &&
	wait $pid &&
	grep -q stopping daemon.log
'

test_done
