#!/bin/bash
# RESTORE from a repository on S3 (uploaded by awscli) into the local
# cluster: every file equals the snapshot's (by the generator's manifest,
# not through the mount), replicas, a repeat downloads nothing, and an
# object corrupted on the server cancels the job and leaves the tables as
# they were. On Swift and on s3rver.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
require_fuse
s3_require
PER=13
s3_plan $PER

R=$TEST_TMP/repo
mkrepo --labels 1 --tables 2 --partitions 2 --rollups 1 --buckets 2 --file-size 30000 "$R" >/dev/null
ts=$(json_get "$R/manifest.json" '[s["timestamp"] for s in d["snapshots"] if s["label"]=="snap1"][0]')
n=$(manifest_files "$R" | grep -c "^snap1/")
# The snapshot's files as s3_sums prints a restored database: "md5  path"
# below db1/, tablet ids left out.
manifest_files "$R" | awk -F'\t' -v p="snap1/$ts/db1/" 'index($1, p) == 1 {print $3 "  " substr($1, length(p) + 1)}' |
	sed -E 's#(^| )([^ ]*/)?[0-9]+/#\1\2#; s#[0-9]+\.hdr$#TABLET.hdr#' | LC_ALL=C sort >"$TEST_TMP/want"

restore() {
	local srv=$1 b M=$TEST_TMP/mnt-$1 D=$TEST_TMP/data-$1 j before obj
	s3_use "$srv"
	b=$(s3_bucket)
	ok "$srv: the repository uploaded with awscli" s3_upload_repo "$R" "$b" backups
	ok "$srv: mount it with a 2-backend cluster" s3_mount "s3://$b/backups" "$M" -o data_dir="$D",backends=2
	echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"2\")" >"$M/control/restore"
	j=$(s3_last_job "$M")
	is "$srv: RESTORE from S3 finishes" "$(s3_wait "$M" "$j" FINISHED CANCELLED)" FINISHED
	[ "$(s3_state "$M" "$j")" = FINISHED ] || diag "$(cat "$M/jobs/$j/status" 2>&1)"
	is "$srv: every file was downloaded" "$(sed -n 's/^FilesDownloaded: //p' "$M/jobs/$j/status")" "$n"
	ok "$srv: the restored files are the snapshot's, file by file" diff "$TEST_TMP/want" <(s3_sums "$M/cluster/db1")
	is "$srv: and what the mount shows of the snapshot" "$(s3_sums "$M/cluster/db1")" "$(s3_sums "$M/snapshots/snap1/$ts/db1")"
	is "$srv: two replicas of every file on the backends" "$(find "$D"/be*/tablets -type f | wc -l)" $((2 * n))

	echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"2\")" >"$M/control/restore"
	j=$(s3_last_job "$M")
	is "$srv: a repeat finishes" "$(s3_wait "$M" "$j" FINISHED CANCELLED)" FINISHED
	is "$srv: and downloads nothing" \
		"$(sed -n 's/^FilesDownloaded: //p;s/^FilesReused: //p' "$M/jobs/$j/status" | tr '\n' ' ')" "0 $n "

	# Corrupt one object on the server (same name, one byte changed) and
	# restore into a fresh cluster, where nothing can be reused.
	obj=$(manifest_files "$R" | grep '^snap1/.*/t2/.*\.dat'$'\t' | head -1 | cut -f4)
	cp "$R/__palo_repository_demo/$obj" "$TEST_TMP/bad"
	printf 'X' | dd of="$TEST_TMP/bad" bs=1 seek=100 conv=notrunc 2>/dev/null
	s3_aws s3 cp --only-show-errors "$TEST_TMP/bad" "s3://$b/backups/__palo_repository_demo/$obj"
	s3_umount "$M"
	ok "$srv: mount again with a fresh cluster" s3_mount "s3://$b/backups" "$M" -o data_dir="$D.fresh"
	echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$M/control/restore"
	j=$(s3_last_job "$M")
	is "$srv: with a corrupt object on the server the job is CANCELLED" "$(s3_wait "$M" "$j" FINISHED CANCELLED)" CANCELLED
	ok "$srv: TaskErrMsg names the corrupt file and MD5" grep -q "TaskErrMsg: .*${obj##*/}.*MD5" "$M/jobs/$j/status"
	is "$srv: and no file of it is in the cluster" "$(find "$M/cluster" -type f | wc -l)" 0
	s3_umount "$M"
}

s3_each $PER restore
s3_log_tail
done_testing
