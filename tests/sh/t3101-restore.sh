#!/bin/bash
# RESTORE through control/restore into the local cluster: whole database,
# one table with AS, chosen partitions into another database, overwrite,
# bad statements, a corrupt object, kill -9 in the middle and remount.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 53

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
D=$TEST_TMP/data
mkrepo --labels 2 --tables 2 --partitions 2 --rollups 1 --buckets 2 "$R" >/dev/null
RR=$R/__palo_repository_demo
ok "mount with a 3-backend cluster" mount_snapfs "$R" "$M" -o data_dir="$D",backends=3
ts1=$(readlink "$M/snapshots/snap1/latest")
ts2=$(readlink "$M/snapshots/snap2/latest")

# restore STATEMENT: write it; succeed if the write does.
restore() { echo "$1" >"$M/control/restore"; }
# wait_job ID: until FINISHED or CANCELLED; prints the state.
wait_job() {
	local s i
	for i in $(seq 1 200); do
		s=$(sed -n 's/^State: //p' "$M/jobs/$1/status" 2>/dev/null)
		case $s in FINISHED | CANCELLED) break ;; esac
		sleep 0.05
	done
	echo "$s"
}
# replicas N: the replica file count once the finished job's clean-up
# (right after FINISHED is recorded) is done; waits up to 3 s for N.
replicas() {
	local i n
	for i in $(seq 1 60); do
		n=$(find "$D"/be*/tablets -type f | wc -l)
		[ "$n" = "$1" ] && break
		sleep 0.05
	done
	echo "$n"
}
last_job() { ls "$M/jobs" | grep -E "^[0-9]+$" | sort -n | tail -1; }
# write_errno FILE TEXT: open FILE, write TEXT and a newline (TEXT "-":
# standard input as it is), close; prints OK, or where it
# failed and the errno's name: "write:ENOENT", "close:EINVAL".
write_errno() {
	python3 -c '
import errno, os, sys
data = sys.stdin.buffer.read() if sys.argv[2] == "-" else (sys.argv[2] + "\n").encode()
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
res = "OK"
try:
    while data:  # as a shell would, past short writes
        data = data[os.write(fd, data):]
except OSError as e:
    res = "write:" + errno.errorcode.get(e.errno, str(e.errno))
try:
    os.close(fd)
except OSError as e:
    if res == "OK":
        res = "close:" + errno.errorcode.get(e.errno, str(e.errno))
print(res)' "$1" "$2"
}
# refused WHAT ERRNO REASON STATEMENT: control/restore refuses STATEMENT:
# the write fails with ERRNO and last_error holds REASON.
refused() {
	is "$1 fails the write with $2" "$(write_errno "$M/control/restore" "$4")" "write:$2"
	case "$(cat "$M/control/last_error")" in
	"control/restore: "*"$3"*) pass "last_error says why: $3" ;;
	*) fail "last_error says why: $3"; diag "$(cat "$M/control/last_error")" ;;
	esac
}
# tree_sums DIR: "table/partition/index/file md5" lines, tablet ids left out.
tree_sums() {
	(cd "$1" && find . -type f | while read -r f; do
		printf '%s %s\n' "$(echo "${f#./}" | sed -E 's#(^|/)[0-9]+/#\1#; s#[0-9]+\.hdr$#TABLET.hdr#')" "$(md5sum <"$f" | cut -c1-32)"
	done | sort)
}

ok "RESTORE the whole database" restore "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"2\")"
j1=$(last_job)
is "the job finishes" "$(wait_job "$j1")" FINISHED
is "status has every SHOW RESTORE field" \
	"$(cut -d: -f1 "$M/jobs/$j1/status" | tr '\n' ' ')" \
	"JobId Label Timestamp DbName State AllowLoad ReplicationNum RestoreObjs CreateTime MetaPreparedTime SnapshotFinishedTime DownloadFinishedTime FinishedTime UnfinishedTasks Progress TaskErrMsg Status Timeout CancelledBy FilesDownloaded FilesReused "
ok "status.json is JSON with the same state" \
	bash -c "python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[\"State\"]==\"FINISHED\"' '$M/jobs/$j1/status.json'"
is "progress counts every file" "$(sed -n 's/^Progress: //p' "$M/jobs/$j1/status" | cut -d' ' -f1)" \
	"$(manifest_files "$R" | grep -c "^snap1/")/$(manifest_files "$R" | grep -c "^snap1/")"
is "the restored files are the snapshot's, byte for byte" \
	"$(tree_sums "$M/cluster/db1")" "$(tree_sums "$M/snapshots/snap1/$ts1/db1")"
n=$(manifest_files "$R" | grep -c "^snap1/")
bad=0
for d in "$M"/cluster/db1/*/*/*/*/; do
	[ -f "$d/$(basename "$d").hdr" ] || bad=$((bad + 1))
done
is "each tablet's .hdr is named after the local tablet id, as the BE does" "$bad" 0
is "two replicas of every file on the backends" \
	"$(find "$D"/be*/tablets -type f | wc -l)" "$((2 * n))"
is "jobs/restore lists the job" "$(grep -c "^$j1	snap1	" "$M/jobs/restore")" 1
is "every file was downloaded" "$(sed -n 's/^FilesDownloaded: //p' "$M/jobs/$j1/status")" "$n"

ok "RESTORE the same snapshot again" restore "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"2\")"
j=$(last_job)
is "the repeat finishes" "$(wait_job "$j")" FINISHED
is "nothing is downloaded again (same MD5 already here)" \
	"$(sed -n 's/^FilesDownloaded: //p;s/^FilesReused: //p' "$M/jobs/$j/status" | tr '\n' ' ')" "0 $n "
is "still two replicas of every file" "$(replicas $((2 * n)))" "$((2 * n))"

ok "RESTORE one table AS another name" \
	restore "RESTORE SNAPSHOT db1.snap1 FROM demo ON (t1 AS t1copy) PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"1\")"
is "rename job finishes" "$(wait_job "$(last_job)")" FINISHED
is "t1copy holds t1's data" "$(tree_sums "$M/cluster/db1/t1copy")" "$(tree_sums "$M/snapshots/snap1/$ts1/db1/t1")"

ok "RESTORE chosen partitions into another database" \
	restore "RESTORE SNAPSHOT db2.snap1 FROM demo ON (t2 PARTITION (p1)) PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"1\")"
is "partition job finishes" "$(wait_job "$(last_job)")" FINISHED
is "only p1 was restored" "$(ls "$M/cluster/db2/t2" | tr '\n' ' ')" "p1 "

# bash's echo writes a multi-line statement one line at a time.
printf '%s\n' "echo 'RESTORE SNAPSHOT db3.snap1 FROM demo" "  ON (t1)" \
	"  PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"1\")' >'$M/control/restore'" >"$TEST_TMP/multi.sh"
ok "a statement written over several lines is taken whole" bash "$TEST_TMP/multi.sh"
is "the multi-line job finishes" "$(wait_job "$(last_job)")" FINISHED
is "and restored db3.t1" "$(ls "$M/cluster/db3")" "t1"
bash -c "echo 'RESTORE SNAPSHOT db4.snap1 FROM demo' >'$M/control/restore'" 2>/dev/null
case $(cat "$M/control/last_error") in *"missing required property \"backup_timestamp\""*) pass "an unfinished statement is rejected at close, with the reason" ;;
*) fail "an unfinished statement is rejected at close, with the reason"; diag "$(cat "$M/control/last_error")" ;; esac
fails "and nothing was restored" test -e "$M/cluster/db4"
is "the writer's close(2) fails with EINVAL" "$(write_errno "$M/control/restore" "RESTORE SNAPSHOT db4.snap1 FROM demo")" close:EINVAL

jobs_before=$(last_job)
# Refused statements: the write fails with the errno that says what kind
# of refusal it is (EINVAL bad statement, ENOENT names what is not there,
# EFBIG too long), and last_error says why.
err=$(restore "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"bogus\"=\"1\")" 2>&1)
case "$err" in *"Invalid argument"*) pass "an unknown property fails the write with EINVAL" ;; *) fail "an unknown property fails the write with EINVAL"; diag "$err" ;; esac
case "$(cat "$M/control/last_error")" in *"line 1, column"*"bogus"*) pass "last_error names the property with line and column" ;; *) fail "last_error names the property with line and column"; diag "$(cat "$M/control/last_error")" ;; esac
refused "a missing snapshot" ENOENT 'snapshot "nosuch" not found in repository "demo"' \
	"RESTORE SNAPSHOT db1.nosuch FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts1\")"
refused "a missing timestamp" ENOENT 'snapshot "snap1" has no backup_timestamp "2000-01-01-00-00-00"' \
	"RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"2000-01-01-00-00-00\")"
refused "a missing table" ENOENT 'table "nosuch" is not in snapshot snap1' \
	"RESTORE SNAPSHOT db1.snap1 FROM demo ON (nosuch) PROPERTIES (\"backup_timestamp\"=\"$ts1\")"
refused "a missing partition" ENOENT 'partition "p9" is not in table "t1" of snapshot snap1' \
	"RESTORE SNAPSHOT db1.snap1 FROM demo ON (t1 PARTITION (p9)) PROPERTIES (\"backup_timestamp\"=\"$ts1\")"
refused "another repository name" ENOENT 'repository "other" is not the mounted repository "demo"' \
	"RESTORE SNAPSHOT db1.snap1 FROM other PROPERTIES (\"backup_timestamp\"=\"$ts1\")"
refused "more replicas than backends" EINVAL 'replication_num 4 needs 4 backends; this cluster has 3' \
	"RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"4\")"
refused "a BACKUP statement in control/restore" EINVAL 'control/restore takes RESTORE statements, not BACKUP (use control/backup)' \
	"BACKUP SNAPSHOT db1.x TO demo"
is "a statement over 1 MiB fails the write with EFBIG" \
	"$(python3 -c 'import sys; sys.stdout.write("-- " + "x" * (1100 << 10))' | write_errno "$M/control/restore" -)" write:EFBIG
is "no refused statement made a job" "$(last_job)" "$jobs_before"

# Overwrite db1 with snap2 (same structure), then a corrupt overwrite.
ok "RESTORE over the existing tables" restore "RESTORE SNAPSHOT db1.snap2 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts2\", \"replication_num\"=\"2\")"
is "overwrite job finishes" "$(wait_job "$(last_job)")" FINISHED
is "db1 now holds snap2's data" "$(tree_sums "$M/cluster/db1" | grep -v t1copy)" "$(tree_sums "$M/snapshots/snap2/$ts2/db1")"
want=$(( 2 * $(manifest_files "$R" | grep -c "^snap2/") + 2 * $(manifest_files "$R" | grep "^snap1/" | grep -c "/t1/") + $(manifest_files "$R" | grep "^snap1/" | grep -c "/t2/p1/") ))
is "the old replicas were removed" "$(replicas "$want")" "$want"
before=$(tree_sums "$M/cluster/db1")
obj=$(manifest_files "$R" | grep '^snap1/.*/t2/.*\.dat'$'\t' | head -1 | cut -f4)
printf 'X' | dd of="$RR/$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
ok "RESTORE snap1 over db1 again, with a corrupt object" restore "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"2\")"
j=$(last_job)
is "the job is CANCELLED" "$(wait_job "$j")" CANCELLED
ok "TaskErrMsg names the corrupt file" grep -q "TaskErrMsg: .*${obj##*/}.*MD5" "$M/jobs/$j/status"
is "the tables are exactly as they were" "$(tree_sums "$M/cluster/db1")" "$before"
done_testing
