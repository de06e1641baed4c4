#!/bin/sh
# Conformance with the reference on its own test mails: every patch, cover
# letter and comment of the Django 3.1.3 sample dump, rebuilt into a mail,
# parses back to the stored msgid, name, date, submitter, pull URL, hash,
# content and diff (see t/helper/reference.py).
. "$(dirname "$0")"/lib.sh

test_need_shared reference/django-3.1.3-sample.sql
test_need_cmd python3

test_expect_success 'rebuild the stored objects into mails' '
	python3 "$T_DIR/helper/reference.py" extract \
		"$SHARED/reference/django-3.1.3-sample.sql" objs &&
	test $(ls objs/*.mbox | wc -l) -ge 140
'

test_expect_success 'each parses to what the reference stored' '
	for m in objs/*.mbox; do
		pw-test parse-mail $(cat "${m%.mbox}.args") <"$m" >"${m%.mbox}.dump" ||
			return 1
	done &&
	python3 "$T_DIR/helper/reference.py" compare objs >result &&
	cat result &&
	grep -q "differing: 0\$" result
'

test_done
