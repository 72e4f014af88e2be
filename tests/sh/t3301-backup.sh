#!/bin/bash
# BACKUP through control/backup: whole database, one table with chosen
# partitions, metadata only; the repository written passes the independent
# layout checker; restoring the backup into a fresh cluster gives the same
# bytes; label reuse refused; tables held (EBUSY) during the backup; cancel
# in every state leaves nothing that looks complete; kill -9 in UPLOADING.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 40

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
D=$TEST_TMP/data
CHECK=$top_srcdir/tests/tools/check-repo-layout
mkrepo --labels 1 --tables 2 --partitions 2 --rollups 1 --buckets 2 "$R" >/dev/null
RR=$R/__palo_repository_demo
ts=$(ls "$RR/__ss_snap1" | sed -n 's/^__info_\(.*\)\.[0-9a-f]*$/\1/p')
mnt() { mount_snapfs "$R" "$M" -o data_dir="$D",backends=2 "$@"; }
umnt() { fusermount3 -u "$M"; for _ in $(seq 1 50); do pgrep -f "snapfs.*$M\$" >/dev/null || break; sleep 0.1; done; }
last_job() { ls "$M/jobs" | grep -E "^[0-9]+$" | sort -n | tail -1; }
state_of() { sed -n 's/^State: //p' "$M/jobs/$1/status" 2>/dev/null; }
wait_state() {
	local i s w
	for i in $(seq 1 400); do
		s=$(state_of "$1")
		for w in "${@:2}"; do [ "$s" = "$w" ] && { echo "$s"; return 0; }; done
		sleep 0.02
	done
	echo "${s:-none}"
}
# reaches TITLE JOB STATE...: the job gets to one of the states.
reaches() {
	local got
	got=$(wait_state "${@:2}")
	case " ${*:3} " in
	*" $got "*) pass "$1" ;;
	*) fail "$1"; diag "state $got, want one of: ${*:3}" ;;
	esac
}
backup() { echo "$1" >"$M/control/backup"; }
sums() { (cd "$1" && find . -type f -exec md5sum {} + | sed -E 's#\./##; s#(^| )([^ ]*/)?[0-9]+/#\1\2#; s#[0-9]+\.hdr$#TABLET.hdr#' | sort); }

ok "mount" mnt
echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"2\")" >"$M/control/restore"
is "a database to back up is restored first" "$(wait_state "$(last_job)" FINISHED CANCELLED)" FINISHED

ok "BACKUP the whole database" backup "BACKUP SNAPSHOT db1.full TO demo"
j=$(last_job)
is "the backup finishes" "$(wait_state "$j" FINISHED CANCELLED)" FINISHED
is "status has every SHOW BACKUP field" "$(cut -d: -f1 "$M/jobs/$j/status" | head -14 | tr '\n' ' ')" \
	"JobId SnapshotName DbName State BackupObjs CreateTime SnapshotFinishedTime UploadFinishedTime FinishedTime UnfinishedTasks Progress TaskErrMsg Status Timeout "
is "jobs/backup lists it" "$(grep -c "^$j	full	db1	FINISHED" "$M/jobs/backup")" 1
sleep 0.2
ok "the new snapshot is OK in the mount" bash -c "head -1 '$M/snapshots/full/latest/status' | grep -qx OK"
ok "the repository passes the independent layout checker" python3 "$CHECK" "$RR"
is "the snapshot holds the database's data" "$(sums "$M/snapshots/full/latest/db1")" "$(sums "$M/cluster/db1")"
ok "BACKUP one table, one partition" backup "BACKUP SNAPSHOT db1.part TO demo ON (t1 PARTITION (p1))"
is "partial backup finishes" "$(wait_state "$(last_job)" FINISHED CANCELLED)" FINISHED
sleep 0.2
is "it holds t1/p1 only" "$(cd "$M/snapshots/part/latest/db1" && find . -mindepth 2 -maxdepth 2 -type d | sort | tr '\n' ' ')" "./t1/p1 "
ok "BACKUP metadata only" backup "BACKUP SNAPSHOT db1.meta TO demo PROPERTIES (\"content\"=\"metadata_only\")"
is "metadata backup finishes" "$(wait_state "$(last_job)" FINISHED CANCELLED)" FINISHED
fails "it has no data objects" test -e "$RR/__ss_meta/__ss_content"
ok "the repository still passes the checker" python3 "$CHECK" "$RR"
fails "an existing label is refused" backup "BACKUP SNAPSHOT db1.full TO demo"
ok "with Doris's message" grep -q "Snapshot with name 'full' already exist in repository 'demo'" "$M/control/last_error"
fails "an unknown database is refused" backup "BACKUP SNAPSHOT nodb.x TO demo"

# Restore the backup into a fresh cluster: the same bytes come back.
umnt
mount_snapfs "$R" "$M" -o data_dir="$TEST_TMP/fresh",backends=2
bts=$(readlink "$M/snapshots/full/latest")
echo "RESTORE SNAPSHOT db1.full FROM demo PROPERTIES (\"backup_timestamp\"=\"$bts\", \"replication_num\"=\"1\")" >"$M/control/restore"
is "the backup restores into a fresh cluster" "$(wait_state "$(last_job)" FINISHED CANCELLED)" FINISHED
pts=$(readlink "$M/snapshots/part/latest")
echo "RESTORE SNAPSHOT partdb.part FROM demo PROPERTIES (\"backup_timestamp\"=\"$pts\", \"replication_num\"=\"1\")" >"$M/control/restore"
is "the partial backup restores too" "$(wait_state "$(last_job)" FINISHED CANCELLED)" FINISHED
umnt
fresh=$(mount_snapfs "$R" "$M" -o data_dir="$TEST_TMP/fresh",backends=2; sums "$M/cluster/db1")
freshp=$(sums "$M/cluster/partdb/t1")
umnt
mnt
is "byte for byte the tables backed up" "$fresh" "$(sums "$M/cluster/db1")"
is "and the partition backed up alone" "$freshp" "$(sums "$M/cluster/db1/t1" | grep '^[0-9a-f]* *p1/')"
umnt

# Slow states: hold, cancel, kill.
SNAPFS_TEST_STATE_DELAY_MS=600 mnt
backup "BACKUP SNAPSHOT db1.held TO demo"
j=$(last_job)
reaches "the held backup takes its snapshot" "$j" SNAPSHOTING UPLOAD_SNAPSHOT
err=$(mkdir "$M/cluster/db1/t1/p9" 2>&1)
case $err in *busy*) pass "a table being backed up can't be written (EBUSY)" ;; *) fail "a table being backed up can't be written (EBUSY)"; diag "$err" ;; esac
is "the held backup finishes" "$(wait_state "$j" FINISHED CANCELLED)" FINISHED
sleep 0.3
is "the snapshot is the tables as they were" "$(sums "$M/snapshots/held/latest/db1")" "$(sums "$M/cluster/db1")"
n=0
for st in PENDING SNAPSHOTING UPLOAD_SNAPSHOT UPLOADING SAVE_META; do
	n=$((n + 1))
	backup "BACKUP SNAPSHOT db1.c$n TO demo"
	j=$(last_job)
	got=$(wait_state "$j" "$st")
	echo "CANCEL BACKUP FROM db1" >"$M/control/cancel"
	end=$(wait_state "$j" CANCELLED FINISHED)
	# The clean-up runs right after CANCELLED is recorded.
	for _ in $(seq 1 60); do [ -e "$RR/__ss_c$n" ] || break; sleep 0.05; done
	if [ "$got:$end" = "$st:CANCELLED" ] && [ ! -e "$RR/__ss_c$n" ]; then
		pass "cancel in $st: CANCELLED, nothing left in the repository"
	else
		fail "cancel in $st: CANCELLED, nothing left in the repository"; diag "$got -> $end; $(cat "$M/control/last_error")"
	fi
done
backup "BACKUP SNAPSHOT db1.late TO demo"
j=$(last_job)
reaches "a backup reaches UPLOAD_INFO" "$j" UPLOAD_INFO
fails "CANCEL during UPLOAD_INFO is refused" bash -c "echo 'CANCEL BACKUP FROM db1' >'$M/control/cancel'"
is "that backup completes" "$(wait_state "$j" FINISHED CANCELLED)" FINISHED
umnt
SNAPFS_TEST_FILE_DELAY_MS=100 mnt
backup "BACKUP SNAPSHOT db1.killed TO demo"
j=$(last_job)
reaches "the backup to kill reaches UPLOADING" "$j" UPLOADING
sleep 0.5
kill -9 "$(pgrep -f "snapfs.*$M\$")"
fusermount3 -u "$M" 2>/dev/null
# The label's directory must be there (files were sent), without __info_.
ok "killed in UPLOADING: __ss_killed/ made, no info object yet" \
	bash -c "test -d '$RR/__ss_killed' && ! ls '$RR/__ss_killed/' | grep -q __info_"
mnt
is "remounted, the backup resumes and finishes" "$(wait_state "$j" FINISHED CANCELLED)" FINISHED
ok "files sent before the kill were not sent again" bash -c "[ \$(sed -n 's/^FilesReused: //p' '$M/jobs/$j/status') -gt 0 ]"
ok "the repository passes the checker after it all" python3 "$CHECK" "$RR"
done_testing
