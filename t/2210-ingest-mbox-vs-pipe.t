#!/bin/sh
# An archive import gives the same result as delivering the same mails one
# at a time, in the same order, through the pipe helper: the import's
# batches (one transaction for many mails, their tails written together,
# the next mail parsed while the server works) must not change what a
# mail becomes, how mails group into series, or the events.
. "$(dirname "$0")"/lib.sh

test_need_shared tools/mkcorpus
test_need_cmd python3
test_setup_db
. "$T_DIR"/lib-ingest.sh

PIPE_URL="host=$PGHOST user=postgres dbname=pipe"

# Every table ingest writes, without ids and times, in a stable order.
dump_db() {
	dump_all &&
	echo "# events in id order" &&
	sql -c "SELECT e.category, coalesce(p.msgid, c.msgid, pc.msgid, cc.msgid, '-')
		FROM event e LEFT JOIN patch p ON p.id = e.patch_id
		LEFT JOIN cover c ON c.id = e.cover_id
		LEFT JOIN patch_comment pc ON pc.id = e.patch_comment_id
		LEFT JOIN cover_comment cc ON cc.id = e.cover_comment_id
		ORDER BY e.id" &&
	echo "# covers" &&
	sql -c "SELECT c.msgid, c.name, j.linkname, s.email, c.content
		FROM cover c JOIN project j ON j.id = c.project_id
		JOIN person s ON s.id = c.submitter_id ORDER BY 1, 3" &&
	echo "# patch contents" &&
	sql -c "SELECT p.msgid, j.linkname, s.email, p.date, md5(p.headers),
		md5(coalesce(p.content, '')), md5(coalesce(p.diff, '')), p.pull_url
		FROM patch p JOIN project j ON j.id = p.project_id
		JOIN person s ON s.id = p.submitter_id ORDER BY 1, 2" &&
	echo "# patch comments" &&
	sql -c "SELECT c.msgid, p.msgid, s.email, c.addressed, md5(c.content)
		FROM patch_comment c JOIN patch p ON p.id = c.patch_id
		JOIN person s ON s.id = c.submitter_id ORDER BY 1, 2" &&
	echo "# cover comments" &&
	sql -c "SELECT c.msgid, v.msgid, s.email, md5(c.content)
		FROM cover_comment c JOIN cover v ON v.id = c.cover_id
		JOIN person s ON s.id = c.submitter_id ORDER BY 1, 2" &&
	echo "# tags" &&
	sql -c "SELECT p.msgid, t.name, pt.count FROM patch_tag pt
		JOIN patch p ON p.id = pt.patch_id JOIN tag t ON t.id = pt.tag_id
		ORDER BY 1, 2" &&
	echo "# series references" &&
	sql -c "SELECT r.msgid, (SELECT $_series_key FROM series s
		WHERE s.id = r.series_id) FROM series_reference r ORDER BY 1, 2" &&
	echo "# people" &&
	sql -c "SELECT email, name FROM person ORDER BY 1" &&
	echo "# journal" &&
	sql -c "SELECT coalesce(m.msgid, '-'), m.status, coalesce(m.reason, '-'),
		coalesce(j.linkname, '-'), m.size, md5(m.raw),
		(m.patch_id IS NOT NULL)::int + (m.cover_id IS NOT NULL)::int * 2 +
		(m.patch_comment_id IS NOT NULL)::int * 4 +
		(m.cover_comment_id IS NOT NULL)::int * 8, coalesce(m.refs::text, '-')
		FROM mail m LEFT JOIN project j ON j.id = m.project_id
		ORDER BY 1, 2, 3"
}

test_expect_success 'setup: a corpus of two lists, a mail twice, two databases' '
	python3 "$SHARED/tools/mkcorpus" -n 240 -s 23 -k 2 -o corpus.mbox &&
	awk "/^From /{n++} n == 7" corpus.mbox >again &&
	cat again >>corpus.mbox &&
	createdb pipe &&
	PW_DATABASE_URL=$PIPE_URL pw db sync >/dev/null &&
	for l in netdev.vger.example.org linux-arm-kernel.lists.example.org; do
		add_project "$l" "$l" &&
		PGDATABASE=pipe add_project "$l" "$l" || return 1
	done &&
	mkdir mails &&
	# as the mbox reader splits: the blank line before "From " is the
	# separator, and mboxrd escaping loses one ">"
	awk -v d=mails "
		/^From / { n++; f = sprintf(\"%s/%04d\", d, n); held = 0; next }
		held { print \"\" > f; held = 0 }
		/^\$/ { held = 1; next }
		{ if (\$0 ~ /^>+From /) \$0 = substr(\$0, 2); print > f }
	" corpus.mbox &&
	test $(ls mails | wc -l) = 241
'

test_expect_success 'import with --mbox, in batches of 16' '
	printf "ingress {\n\tbatch_size = 16\n}\n" >batch.conf &&
	pw ingress -c batch.conf -q --mbox corpus.mbox >summary &&
	cat summary &&
	test_grep "no project: *0\$" summary
'

test_expect_success 'the same mails one at a time through the pipe helper' '
	for f in mails/*; do
		PW_DATABASE_URL=$PIPE_URL pw ingress <$f || return 1
	done
'

test_expect_success 'the same patches, covers, comments, series, events, tags, journal' '
	dump_db >mbox.dump &&
	PGDATABASE=pipe dump_db >pipe.dump &&
	test $(grep -c . mbox.dump) -gt 500 &&
	test_cmp pipe.dump mbox.dump
'

test_done
