#!/bin/bash
# Keys with spaces, non-ASCII and reserved characters: objects named so
# (uploaded by awscli) through raw/ (names, sizes, content, xattr); a label
# with ':' and a database named "db ü €" browsed and restored; a BACKUP to
# the label "bk ü 1", whose keys snapfs signs and sends itself, listed and
# checked with awscli and rclone. On Swift and on s3rver.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
require_fuse
s3_require
PER=16
s3_plan $PER

R=$TEST_TMP/repo
RR=$R/__palo_repository_demo
DB='db ü €'
mkrepo --labels 1 --label-prefix 'snap:' --database "$DB" --tables 1 --partitions 1 --rollups 0 \
	--buckets 2 --file-size 2000 "$R" >/dev/null
ts=$(json_get "$R/manifest.json" 'd["snapshots"][0]["timestamp"]')
n=$(manifest_files "$R" | wc -l)
SPECIAL=(
	"notes and ünïcödé/file with spaces €.txt"
	"notes and ünïcödé/a+b=c&d%20e~f*(g)!'x;y,z@[1].bin"
	"notes and ünïcödé/日本語 ファイル.dat"
	"top level ü  two spaces.txt"
)
for f in "${SPECIAL[@]}"; do
	mkdir -p "$RR/$(dirname "$f")"
	head -c $((1000 + ${#f} * 37)) /dev/urandom >"$RR/$f"
done
(cd "$RR" && for f in "${SPECIAL[@]}"; do printf '%s %s\n' "$f" "$(stat -c %s "$f")"; done | LC_ALL=C sort) >"$TEST_TMP/want-special"
# Snapshot files as s3_sums prints a restored database.
manifest_files "$R" | awk -F'\t' -v p="snap:1/$ts/$DB/" 'index($1, p) == 1 {print $3 "  " substr($1, length(p) + 1)}' |
	sed -E 's#(^| )([^ ]*/)?[0-9]+/#\1\2#; s#[0-9]+\.hdr$#TABLET.hdr#' | LC_ALL=C sort >"$TEST_TMP/want-db"

keys() {
	local srv=$1 b M=$TEST_TMP/mnt-$1 D=$TEST_TMP/data-$1 A=$TEST_TMP/dl-$1 f bad j
	s3_use "$srv"
	b=$(s3_bucket)
	ok "$srv: aws s3 cp uploads the repository and the oddly named objects" s3_upload_repo "$R" "$b" backups
	s3_aws_list_keys "$b" backups/__palo_repository_demo | grep -v '^__ss_\|^__repo_info ' >"$TEST_TMP/aws-special-$srv"
	ok "$srv: awscli lists them by their names" diff "$TEST_TMP/want-special" "$TEST_TMP/aws-special-$srv"

	ok "$srv: mount" s3_mount "s3://$b/backups" "$M" -o data_dir="$D"
	is "$srv: the label with ':' is listed" "$(ls "$M/snapshots" 2>&1)" "snap:1"
	(cd "$M/snapshots/snap:1/$ts" 2>/dev/null && find . -type f -printf '%P %s\n' | grep -Ev '^(info|meta|meta\.json|status) ' | LC_ALL=C sort) >"$TEST_TMP/got-$srv"
	manifest_files "$R" | awk -F'\t' -v p="snap:1/$ts/" 'index($1, p) == 1 {print substr($1, length(p) + 1) " " $2}' | LC_ALL=C sort >"$TEST_TMP/want-tree"
	ok "$srv: its tree, under database \"$DB\", is the manifest's" diff "$TEST_TMP/want-tree" "$TEST_TMP/got-$srv"
	bad=0
	while IFS=$'\t' read -r p size md5 obj; do
		[ "$(md5sum <"$M/snapshots/$p" 2>/dev/null | cut -c1-32)" = "$md5" ] || { bad=$((bad + 1)); diag "md5 $p"; }
	done < <(manifest_files "$R")
	is "$srv: all $n files read back with the manifest's MD5 (keys with ':')" "$bad" 0

	(cd "$M/raw" && find . -type f -printf '%P %s\n' | grep -v '^__ss_\|^__repo_info ' | LC_ALL=C sort) >"$TEST_TMP/raw-$srv"
	ok "$srv: raw/ shows the odd names with their sizes" diff "$TEST_TMP/want-special" "$TEST_TMP/raw-$srv"
	bad=0
	for f in "${SPECIAL[@]}"; do cmp -s "$RR/$f" "$M/raw/$f" || { bad=$((bad + 1)); diag "content of $f"; }; done
	is "$srv: and their content" "$bad" 0
	f=${SPECIAL[1]}
	is "$srv: user.snapfs.object is the key" \
		"$(getfattr --absolute-names --only-values -n user.snapfs.object "$M/raw/$f" 2>&1)" "__palo_repository_demo/$f"

	echo "RESTORE SNAPSHOT \`$DB\`.\`snap:1\` FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$M/control/restore"
	is "$srv: RESTORE \`$DB\`.\`snap:1\` finishes" "$(s3_wait "$M" "$(s3_last_job "$M")" FINISHED CANCELLED)" FINISHED
	ok "$srv: the restored files are the snapshot's" diff "$TEST_TMP/want-db" <(s3_sums "$M/cluster/$DB")

	echo "BACKUP SNAPSHOT \`$DB\`.\`bk ü 1\` TO demo" >"$M/control/backup"
	j=$(s3_last_job "$M")
	is "$srv: BACKUP to the label \"bk ü 1\" finishes" "$(s3_wait "$M" "$j" FINISHED CANCELLED)" FINISHED
	s3_aws_list_keys "$b" "backups/__palo_repository_demo/__ss_bk ü 1" >"$TEST_TMP/bk-aws-$srv"
	is "$srv: awscli lists its objects under \"__ss_bk ü 1/\"" "$(wc -l <"$TEST_TMP/bk-aws-$srv")" $((n + 2))
	s3_rclone lsf -R --fast-list --files-only --format ps --separator ' ' \
		"s3t:$b/backups/__palo_repository_demo/__ss_bk ü 1" 2>&1 | LC_ALL=C sort >"$TEST_TMP/bk-rclone-$srv"
	ok "$srv: rclone lists the same" diff "$TEST_TMP/bk-aws-$srv" "$TEST_TMP/bk-rclone-$srv"
	mkdir -p "$A"
	s3_rclone copy --fast-list "s3t:$b/backups/__palo_repository_demo/__ss_bk ü 1" "$A" >/dev/null 2>&1
	ok "$srv: downloaded (rclone), every object has the MD5 in its name" s3_check_md5_names "$A"
	sleep 0.2
	is "$srv: the mount shows the new snapshot with the database's bytes" \
		"$(s3_sums "$M/snapshots/bk ü 1/latest/$DB" 2>&1)" "$(s3_sums "$M/cluster/$DB")"
	s3_umount "$M"
}

s3_each $PER keys
s3_log_tail
done_testing
