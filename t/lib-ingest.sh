# t/lib-ingest.sh: helpers for the ingest tests (t/22xx), sourced after
# lib.sh and test_setup_db.
#
#	mkmail ...                 t/mkmail (see its --help)
#	add_project LINK LISTID [SUBJECT_MATCH]
#	deliver FILE [args]        pw ingress [args] < FILE, prints nothing,
#	                           returns its exit status
#	count TABLE [WHERE]        rows in TABLE
#	dump_series / dump_patches / dump_events / dump_all
#	                           canonical dumps, without ids or times, for
#	                           comparing two databases' results

mkmail() {
	sh "$T_DIR/mkmail" "$@"
}

add_project() {
	sql -v ON_ERROR_STOP=1 -c "INSERT INTO project (linkname, name, listid,
		listemail, subject_match) VALUES ('$1', '$1', '$2', 'list@$2',
		'${3:-}')"
}

deliver() {
	local f=$1
	shift
	pw ingress "$@" <"$f"
}

count() {
	sql -c "SELECT count(*) FROM $1 ${2:+WHERE $2}"
}

# A series is named by its cover's msgid, else its first patch's.
_series_key="coalesce((SELECT c.msgid FROM cover c WHERE c.id = s.cover_letter_id),
	(SELECT min(p.msgid) FROM patch p WHERE p.series_id = s.id), '-')"

dump_series() {
	sql -c "SELECT $_series_key, coalesce(s.name, '-'), s.version, s.total,
		(SELECT count(*) FROM patch p WHERE p.series_id = s.id),
		(SELECT string_agg(p.number::text, ',' ORDER BY p.number)
		   FROM patch p WHERE p.series_id = s.id)
		FROM series s ORDER BY 1, 2, 3"
}

dump_patches() {
	sql -c "SELECT p.msgid, p.name, coalesce(p.number::text, '-'),
		coalesce((SELECT $_series_key FROM series s WHERE s.id = p.series_id), '-'),
		st.slug, coalesce(u.username, '-'), coalesce(p.hash, '-')
		FROM patch p JOIN state st ON st.id = p.state_id
		LEFT JOIN auth_user u ON u.id = p.delegate_id ORDER BY 1"
}

dump_events() {
	sql -c "SELECT e.category, coalesce(p.msgid, '-'),
		coalesce((SELECT $_series_key FROM series s WHERE s.id = e.series_id), '-'),
		coalesce(c.msgid, '-'), coalesce(pc.msgid, '-'), coalesce(cc.msgid, '-')
		FROM event e LEFT JOIN patch p ON p.id = e.patch_id
		LEFT JOIN cover c ON c.id = e.cover_id
		LEFT JOIN patch_comment pc ON pc.id = e.patch_comment_id
		LEFT JOIN cover_comment cc ON cc.id = e.cover_comment_id
		ORDER BY 1, 2, 3, 4, 5, 6"
}

# The events of one mail's delivery, in the order they were written.
events_since() {
	sql -c "SELECT e.category || coalesce(' ' || p.msgid, '')
		FROM event e LEFT JOIN patch p ON p.id = e.patch_id
		WHERE e.id > $1 ORDER BY e.id"
}

last_event() {
	sql -c "SELECT coalesce(max(id), 0) FROM event"
}

dump_all() {
	echo "# series" && dump_series && echo "# patches" && dump_patches &&
	echo "# events" && dump_events
}
