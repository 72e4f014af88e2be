#!/bin/bash
# Relative paths on the command line name the same place before and after
# the daemon chdir()s to "/": the repository as a plain relative path,
# data_dir= and backend_dirs= are made absolute at parse time. A RESTORE
# then puts the catalog and the tablets under the directory snapfs was
# started in, in the foreground and daemonised, and nothing at "/".
. "$(dirname "$0")/lib.sh"
require_fuse
plan 10

W=$TEST_TMP/work
mkdir -p "$W"
mkrepo --labels 1 --tables 1 --partitions 1 --buckets 2 "$W/repo" >/dev/null
ts=$(ls "$W/repo/__palo_repository_demo/__ss_snap1" | sed -n 's/^__info_\(.*\)\.[0-9a-f]*$/\1/p')
stmt="RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")"
for d in /rd1 /rd2 /bd; do
	[ ! -e "$d" ] || plan_skip "$d exists on this machine: the test could not tell"
done

# restore_and_wait MNT: run the statement, print the job's final state.
restore_and_wait() {
	local m=$1 job s i
	echo "$stmt" >"$m/control/restore" || return 1
	job=$(ls "$m/jobs" | grep -E '^[0-9]+$' | sort -n | tail -1)
	for i in $(seq 1 300); do
		s=$(sed -n 's/^State: //p' "$m/jobs/$job/status")
		case $s in FINISHED | CANCELLED) break ;; esac
		sleep 0.05
	done
	echo "$s"
}
tablet_files() { find "$@" -path '*/tablets/*' -type f 2>/dev/null | wc -l; }

# In the foreground (as the tests mount): cwd stays, but the paths must
# be absolute anyway.
M1=$TEST_TMP/m1
ok "foreground mount with repo, data_dir=rd1 relative" \
	bash -c "cd '$W' && . '$top_srcdir/tests/sh/lib.sh' >/dev/null && TEST_TMP='$TEST_TMP' mount_snapfs repo '$M1' -o data_dir=rd1,backends=2"
is "foreground: the restore finishes" "$(restore_and_wait "$M1")" FINISHED
ok "foreground: the catalog is under the start directory" test -e "$W/rd1/catalog"
n=$(tablet_files "$W/rd1")
ok "foreground: the tablets too ($n files)" test "$n" -gt 0
fusermount3 -u "$M1"

# Daemonised: fuse_daemonize() chdir()s to "/".
M2=$TEST_TMP/m2
mkdir -p "$M2"
ok "daemonised mount with repo, data_dir=rd2, backend_dirs=bd/x:bd/y relative" \
	bash -c "cd '$W' && '$SNAPFS' -o data_dir=rd2,backend_dirs=bd/x:bd/y repo '$M2' 2>>'$TEST_TMP/snapfs.log'"
at_exit "fusermount3 -u '$M2'"
is "daemonised: the restore finishes" "$(restore_and_wait "$M2")" FINISHED
ok "daemonised: the catalog is under the start directory" test -e "$W/rd2/catalog"
n=$(tablet_files "$W/bd/x" "$W/bd/y")
ok "daemonised: the tablets are in the backend_dirs under it ($n files)" test "$n" -gt 0
is "daemonised: the restored files read back through cluster/" \
	"$(find "$M2/cluster/db1" -type f | wc -l)" "$n"
is "nothing was made at /rd1, /rd2 or /bd" "$(ls -d /rd1 /rd2 /bd 2>/dev/null)" ""
fusermount3 -u "$M2"
done_testing
