#!/bin/bash
# A server that stops answering in the middle of a transfer (SIGSTOP on
# its process; the kernel still accepts connections): with -o retries=2,
# retry_base_ms=100,s3_timeout=2 a stop longer than the retry window ends a
# RESTORE as CANCELLED with an error naming the object and the failure,
# after retry warnings; a short stop (3.5 s: the first attempt times out after 2 s, the retry is
# answered) is retried and a RESTORE and a BACKUP finish. Transfers are
# slowed with SNAPFS_TEST_FILE_DELAY_MS. On Swift and on s3rver (their
# second front ends, which only this test uses).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
require_fuse
s3_require
PER=15
s3_plan $PER

R=$TEST_TMP/repo
mkrepo --labels 1 --tables 1 --partitions 1 --rollups 1 --buckets 2 --file-size 5000 "$R" >/dev/null
ts=$(json_get "$R/manifest.json" 'd["snapshots"][0]["timestamp"]')
manifest_files "$R" | awk -F'\t' -v p="snap1/$ts/db1/" 'index($1, p) == 1 {print $3 "  " substr($1, length(p) + 1)}' |
	sed -E 's#(^| )([^ ]*/)?[0-9]+/#\1\2#; s#[0-9]+\.hdr$#TABLET.hdr#' | LC_ALL=C sort >"$TEST_TMP/want"
RETRY="retries=2,retry_base_ms=100,s3_timeout=2"

done_files() { sed -n 's/^Progress: \([0-9]*\)\/.*/\1/p' "$1/jobs/$2/status" 2>/dev/null; }
# wait_files MNT JOB N: until the job has moved N files (about 20 s at most).
wait_files() {
	local i
	for i in $(seq 1 400); do
		[ "$(done_files "$1" "$2")" -ge "$3" ] 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# replicas D: every replica directory and file on the backends of data
# dir D (BACKEND/tablets/<tablet>/<replica>.<gen>/<file>), one a line.
replicas() { (cd "$1" && find be*/tablets -mindepth 2 2>/dev/null | LC_ALL=C sort); }
# settle CMD...: until CMD succeeds, 3 s at most (the clean-up of a
# cancelled job and the removal of old generations run after the state).
settle() {
	local i
	for i in $(seq 1 60); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
no_replicas() { [ -z "$(replicas "$1")" ]; }
# rep_counts D: "N replica dirs, N files" on the backends of D.
rep_counts() {
	echo "$(cd "$1" && find be*/tablets -mindepth 2 -maxdepth 2 -type d 2>/dev/null | wc -l) replica dirs," \
		"$(cd "$1" && find be*/tablets -type f 2>/dev/null | wc -l) files"
}
rep_counts_are() { [ "$(rep_counts "$1")" = "$2" ]; }
log_count() { grep -c -- "$1" "$TEST_TMP/snapfs.log" 2>/dev/null; }
# pause_server SECONDS MNT JOB: SIGSTOP the server for that long, noting
# where the job was (a stop after the transfers proves nothing).
pause_server() {
	local at
	at="$(s3_state "$2" "$3") $(sed -n 's/^Progress: //p' "$2/jobs/$3/status")"
	s3_sigstop "$pid"
	sleep "$1"
	s3_sigcont "$pid"
	diag "server stopped for $1 s at: $at; after: $(s3_state "$2" "$3") $(sed -n 's/^Progress: //p' "$2/jobs/$3/status")"
}

stopped_server() {
	local srv=$1 b M=$TEST_TMP/mnt-$1 D=$TEST_TMP/data-$1 j pid st n0 msg want_reps written
	# The second front end: stopping it does not stall the other tests.
	s3_use "$srv" stoppable
	b=$(s3_bucket)
	pid=$(s3_pid)
	ok "$srv: the repository uploaded with awscli" s3_upload_repo "$R" "$b" backups
	SNAPFS_TEST_FILE_DELAY_MS=400 ok "$srv: mount with $RETRY" \
		s3_mount "s3://$b/backups" "$M" -o data_dir="$D",download_threads=2,$RETRY

	# A long stop: every attempt times out.
	echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$M/control/restore"
	j=$(s3_last_job "$M")
	wait_files "$M" "$j" 1
	s3_sigstop "$pid"
	written=$(replicas "$D" | wc -l)
	st=$(s3_wait "$M" "$j" FINISHED CANCELLED)
	s3_sigcont "$pid"
	is "$srv: server stopped for good: the RESTORE is CANCELLED" "$st" CANCELLED
	msg=$(sed -n 's/^TaskErrMsg: //p' "$M/jobs/$j/status")
	if [[ $msg == *__ss_snap1/* || $msg == *.dat* || $msg == *.idx* || $msg == *.hdr* ]] &&
		[[ $msg == *[Tt]ime* || $msg == *attempts* || $msg == *slow* ]]; then
		pass "$srv: TaskErrMsg names the object and the failure"
	else
		fail "$srv: TaskErrMsg names the object and the failure"
		diag "TaskErrMsg: $msg"
	fi
	ok "$srv: the log has retry warnings (s3: GET $b/...; retry 1/2 in N ms)" \
		grep -qE "s3: GET $b/[^ ]+: .*; retry 1/2 in [0-9]+ ms" "$TEST_TMP/snapfs.log"
	ok "$srv: and the failure after 3 attempts" \
		grep -qE "s3: GET $b/[^ ]+: .* after 3 attempts" "$TEST_TMP/snapfs.log"
	is "$srv: nothing of it is in the cluster" "$(find "$M/cluster" -type f | wc -l)" 0
	# The catalog's view is not enough: a replica written before the stop
	# and not removed would not show there.
	settle no_replicas "$D"
	diag "$srv: $written replica dirs and files on the backends when the server stopped"
	is "$srv: no replica of it is left on the backends" \
		"$([ "$written" -gt 0 ] || echo "none written before the stop: the check proves nothing")$(replicas "$D" | head -20)" ""

	# A short stop: the first attempt times out, the retry is answered.
	n0=$(log_count "retry 1/2")
	echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$M/control/restore"
	j=$(s3_last_job "$M")
	wait_files "$M" "$j" 1
	pause_server 3.5 "$M" "$j"
	is "$srv: server stopped for 3.5 s: the RESTORE finishes" "$(s3_wait "$M" "$j" FINISHED CANCELLED)" FINISHED
	[ "$(s3_state "$M" "$j")" = FINISHED ] || diag "$(grep TaskErrMsg "$M/jobs/$j/status")"
	ok "$srv: after a retry warning" test "$(log_count "retry 1/2")" -gt "$n0"
	ok "$srv: the restored files are the snapshot's" diff "$TEST_TMP/want" <(s3_sums "$M/cluster/db1")
	# On the backends: one replica (replication_num 1) of each tablet, each
	# file once; nothing left of the cancelled RESTORE or of a retry.
	want_reps="$(grep -c 'TABLET\.hdr$' "$TEST_TMP/want") replica dirs, $(wc -l <"$TEST_TMP/want") files"
	settle rep_counts_are "$D" "$want_reps"
	is "$srv: the backends hold one replica of each tablet, each file once" "$(rep_counts "$D")" "$want_reps"

	n0=$(log_count "s3: [A-Z]* $b/.*; retry")
	echo "BACKUP SNAPSHOT db1.again TO demo" >"$M/control/backup"
	j=$(s3_last_job "$M")
	wait_files "$M" "$j" 1
	pause_server 3.5 "$M" "$j"
	is "$srv: server stopped for 3.5 s during a BACKUP: it finishes" "$(s3_wait "$M" "$j" FINISHED CANCELLED)" FINISHED
	[ "$(s3_state "$M" "$j")" = FINISHED ] || diag "$(grep TaskErrMsg "$M/jobs/$j/status")"
	ok "$srv: after a retry warning" test "$(log_count "s3: [A-Z]* $b/.*; retry")" -gt "$n0"
	sleep 0.2
	is "$srv: the snapshot holds the database's bytes" \
		"$(s3_sums "$M/snapshots/again/latest/db1" 2>&1)" "$(s3_sums "$M/cluster/db1")"
	s3_umount "$M"
}

s3_each $PER stopped_server
s3_log_tail 30
done_testing
