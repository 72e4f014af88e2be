#!/bin/bash
# Restore jobs under stress: cancel in every state, one job per database,
# timeout, kill -9 during DOWNLOADING and COMMITTING then remount, history
# across mounts, force_replace, clean_tables and clean_partitions.
# SNAPFS_TEST_STATE_DELAY_MS makes each state last long enough to act in.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 44

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
D=$TEST_TMP/data
mkrepo --labels 1 --tables 2 --partitions 2 --rollups 1 --buckets 2 "$R" >/dev/null
ts=$(ls "$R/__palo_repository_demo/__ss_snap1" | sed -n 's/^__info_\(.*\)\.[0-9a-f]*$/\1/p')

mnt() { mount_snapfs "$R" "$M" -o data_dir="$D",backends=2 "$@"; }
umnt() { fusermount3 -u "$M"; for _ in $(seq 1 50); do pgrep -f "snapfs.*$M\$" >/dev/null || break; sleep 0.1; done; }
stmt() { echo "RESTORE SNAPSHOT $1.snap1 FROM demo ${2:-} PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\"${3:-})"; }
restore() { echo "$1" >"$M/control/restore"; }
last_job() { ls "$M/jobs" | grep -E "^[0-9]+$" | sort -n | tail -1; }
state_of() { sed -n 's/^State: //p' "$M/jobs/$1/status" 2>/dev/null; }
wait_state() { # ID STATE...: until one of them
	local i s
	for i in $(seq 1 400); do
		s=$(state_of "$1")
		for w in "${@:2}"; do [ "$s" = "$w" ] && { echo "$s"; return 0; }; done
		sleep 0.02
	done
	echo "${s:-none}"
}
files_in() { find "$D"/be*/tablets -type f 2>/dev/null | wc -l; }
# settle N: the replica count once the cancelled job's clean-up (which runs
# right after CANCELLED is recorded) is done, waiting up to 3 s for N.
settle() {
	local i n
	for i in $(seq 1 60); do
		n=$(files_in)
		[ "$n" = "$1" ] && break
		sleep 0.05
	done
	echo "$n"
}
sums() { (cd "$1" && find . -type f -exec md5sum {} + | sed -E 's#\./##; s#(^| )([^ ]*/)?[0-9]+/#\1\2#; s#[0-9]+\.hdr$#TABLET.hdr#' | sort); }

# A base table to overwrite, restored without delays.
ok "mount" mnt
ok "restore db1 as the base" restore "$(stmt db1)"
is "base restore finishes" "$(wait_state "$(last_job)" FINISHED CANCELLED)" FINISHED
base=$(sums "$M/cluster/db1")
nbase=$(files_in)
umnt

export SNAPFS_TEST_STATE_DELAY_MS=700
ok "mount with slow states" mnt
for st in PENDING SNAPSHOTING DOWNLOAD DOWNLOADING COMMIT; do
	restore "$(stmt db1)"
	j=$(last_job)
	got=$(wait_state "$j" "$st")
	echo "CANCEL RESTORE FROM db1" >"$M/control/cancel"
	end=$(wait_state "$j" CANCELLED FINISHED)
	if [ "$got" = "$st" ] && [ "$end" = CANCELLED ] && grep -q '^CancelledBy: user' "$M/jobs/$j/status"; then
		pass "cancel in $st: CANCELLED by user"
	else
		fail "cancel in $st: CANCELLED by user"; diag "saw $got, ended $end"
	fi
	is "cancel in $st: db1 is unchanged" "$(sums "$M/cluster/db1")" "$base"
	is "cancel in $st: no replica left behind" "$(settle "$nbase")" "$nbase"
done

restore "$(stmt db9)"
j=$(last_job)
is "a table being created is listed" "$(ls "$M/cluster/db9" 2>/dev/null | head -1)" "t1"
err=$(ls "$M/cluster/db9/t1" 2>&1)
case $err in *"Device or resource busy"*) pass "but not accessible: EBUSY" ;; *) fail "but not accessible: EBUSY"; diag "$err" ;; esac
fails "a second job for the same database is refused" restore "$(stmt db9)"
ok "last_error names the running job" grep -q "running job $j" "$M/control/last_error"
restore "$(stmt db8)"
j8=$(last_job)
wait_state "$j8" SNAPSHOTING DOWNLOAD DOWNLOADING >/dev/null
s9=$(state_of "$j")
s8=$(state_of "$j8")
case "$s9 $s8" in
*FINISHED* | *CANCELLED* | " "* | *" ") fail "jobs for two databases run side by side"; diag "db9: $s9, db8: $s8" ;;
*) pass "jobs for two databases run side by side ($s9, $s8)" ;;
esac
wait_state "$j" COMMITTING >/dev/null
fails "CANCEL during COMMITTING is refused" bash -c "echo 'CANCEL RESTORE FROM db9' >'$M/control/cancel'"
is "the job still finishes" "$(wait_state "$j" FINISHED CANCELLED)" FINISHED
is "the other database's job finishes too" "$(wait_state "$j8" FINISHED CANCELLED)" FINISHED
ok "db9 is accessible after the commit" ls "$M/cluster/db9/t1"

# kill -9 in the middle, remount, the job ends cleanly.
for st in DOWNLOADING COMMITTING; do
	restore "$(stmt k$st)"
	j=$(last_job)
	wait_state "$j" "$st" >/dev/null
	kill -9 "$(pgrep -f "snapfs.*$M\$")"
	fusermount3 -u "$M" 2>/dev/null
	SNAPFS_TEST_STATE_DELAY_MS= mnt
	is "killed in $st, remounted: the job ends FINISHED" "$(wait_state "$j" FINISHED CANCELLED)" FINISHED
	is "killed in $st: the table is whole" "$(sums "$M/cluster/k$st")" "$base"
	umnt
	mnt
done

umnt
SNAPFS_TEST_STATE_DELAY_MS= SNAPFS_TEST_FILE_DELAY_MS=100 mnt
restore "$(stmt dbp)"
j=$(last_job)
wait_state "$j" DOWNLOADING >/dev/null
p1=$(sed -n 's/^Progress: //p' "$M/jobs/$j/status")
sleep 0.3
p2=$(sed -n 's/^Progress: //p' "$M/jobs/$j/status")
if [ "$p1" != "$p2" ] && [ "${p1%%/*}" -lt "${p2%%/*}" ]; then pass "progress moves while downloading"; else fail "progress moves while downloading"; diag "$p1 then $p2"; fi
is "the slow job finishes" "$(wait_state "$j" FINISHED CANCELLED)" FINISHED
umnt
mnt
is "job history survives remounts (11 jobs)" "$(ls "$M/jobs" | grep -cE "^[0-9]+$")" 11
umnt
unset SNAPFS_TEST_STATE_DELAY_MS

SNAPFS_TEST_CLOCK_SCALE=2000 SNAPFS_TEST_STATE_DELAY_MS=500 mnt
restore "$(stmt dbt "" ', "timeout"="600"')"
j=$(last_job)
is "a job past its timeout is CANCELLED" "$(wait_state "$j" CANCELLED FINISHED)" CANCELLED
ok "CancelledBy says timeout" grep -q '^CancelledBy: timeout' "$M/jobs/$j/status"
umnt

# Another repository with another structure, same data directory.
R2=$TEST_TMP/repo2
mkrepo --labels 1 --tables 1 --partitions 1 --rollups 1 --buckets 3 --seed 5 "$R2" >/dev/null
ts2=$(ls "$R2/__palo_repository_demo/__ss_snap1" | sed -n 's/^__info_\(.*\)\.[0-9a-f]*$/\1/p')
mount_snapfs "$R2" "$M" -o data_dir="$D",backends=2
s2() { echo "RESTORE SNAPSHOT db1.snap1 FROM demo ON (t1) PROPERTIES (\"backup_timestamp\"=\"$ts2\", \"replication_num\"=\"1\"${1:-})"; }
fails "a different structure is refused" restore "$(s2)"
ok "last_error suggests force_replace" grep -q force_replace "$M/control/last_error"
ok "force_replace restores it" restore "$(s2 ', "force_replace"="true"')"
is "force_replace job finishes" "$(wait_state "$(last_job)" FINISHED CANCELLED)" FINISHED
ok "t1 has the new structure" bash -c "[ \$(ls '$M/cluster/db1/t1/p1/t1' | wc -l) = 3 ]"
ok "clean_tables drops the tables the snapshot lacks" restore "$(s2 ', "force_replace"="true", "clean_tables"="true"')"
wait_state "$(last_job)" FINISHED CANCELLED >/dev/null
is "db1 holds only t1" "$(ls "$M/cluster/db1" | tr '\n' ' ')" "t1 "
done_testing
