#!/bin/bash
# Snapshot management through control/snapshots and rmdir: VERIFY (whole
# and sampled, on an intact and a corrupted repository), CLEAN (dry run,
# keep_last, older_than), DROP, rmdir, refusal while a job reads it.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 26

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
CHECK=$top_srcdir/tests/tools/check-repo-layout
mkrepo --labels 3 --timestamps 2 --tables 1 --partitions 2 --rollups 0 --buckets 2 "$R" >/dev/null
RR=$R/__palo_repository_demo
ok "mount" mount_snapfs "$R" "$M" -o data_dir="$TEST_TMP/data",backends=1,cache_ttl=0
snap() { echo "$1" >"$M/control/snapshots"; }
report() { cat "$M/control/last_report"; }

ok "VERIFY SNAPSHOT snap1" snap "VERIFY SNAPSHOT snap1 FROM demo"
is "the report says OK" "$(report | sed -n 2p)" "OK"
obj=$(manifest_files "$R" | grep '^snap1/' | grep '\.dat'$'\t' | head -1 | cut -f4)
printf 'X' | dd of="$RR/$obj" bs=1 seek=7 conv=notrunc 2>/dev/null
ok "VERIFY after a byte flipped" snap "VERIFY SNAPSHOT snap1 FROM demo"
is "the report says FAILED: 1 problem" "$(report | sed -n 2p)" "FAILED: 1 problem"
ok "and names the object" bash -c "cat '$M/control/last_report' | grep -q '${obj##*/}'"
snap "VERIFY SNAPSHOT snap1 FROM demo PROPERTIES (\"sample_percent\"=\"50\", \"seed\"=\"0\")"
a=$(report | sed -n 2p)
snap "VERIFY SNAPSHOT snap1 FROM demo PROPERTIES (\"sample_percent\"=\"50\", \"seed\"=\"1\")"
b=$(report | sed -n 2p)
is "two 50% slices find the corrupt file exactly once" "$(printf '%s\n%s\n' "$a" "$b" | sort | tr '\n' '|')" "FAILED: 1 problem|OK|"
fails "VERIFY of a missing snapshot is refused" snap "VERIFY SNAPSHOT nosuch FROM demo"

n_before=$(ls "$RR" | wc -l)
ok "CLEAN SNAPSHOTS dry run" snap "CLEAN SNAPSHOTS FROM demo PROPERTIES (\"keep_last\"=\"1\", \"dry_run\"=\"true\")"
is "the dry run lists the older timestamp of each label" "$(report | grep -c '^snap[0-9]/')" 3
ok "and drops nothing" bash -c "[ \$(ls '$RR'/__ss_snap1 | grep -c __info_) = 2 ]"
ok "CLEAN SNAPSHOTS keep_last 1" snap "CLEAN SNAPSHOTS FROM demo PROPERTIES (\"keep_last\"=\"1\")"
is "each label keeps one timestamp" "$(ls "$RR"/__ss_snap*/ | grep -c '^__info_')" 3
ok "the repository passes the layout checker" python3 "$CHECK" --no-content "$RR"
ok "CLEAN SNAPSHOTS older_than, dry run" snap "CLEAN SNAPSHOTS FROM demo PROPERTIES (\"older_than\"=\"30d\", \"dry_run\"=\"true\")"
is "every 2024 snapshot is older than 30 days" "$(report | grep -c '^snap[0-9]/')" 3

ok "DROP SNAPSHOT snap3" snap "DROP SNAPSHOT snap3 FROM demo"
fails "its label is gone from the repository" test -e "$RR/__ss_snap3"
fails "and from the mount" test -e "$M/snapshots/snap3"
ts2=$(readlink "$M/snapshots/snap2/latest")
ok "rmdir snapshots/snap2/<ts> drops it" rmdir "$M/snapshots/snap2/$ts2"
fails "snap2 is gone" test -e "$RR/__ss_snap2"
fails "rmdir anywhere else is refused" rmdir "$M/snapshots/snap1/latest/db1"

# A snapshot a running restore reads can't be dropped.
fusermount3 -u "$M"
sleep 0.5
SNAPFS_TEST_STATE_DELAY_MS=800 mount_snapfs "$R" "$M" -o data_dir="$TEST_TMP/data",backends=1
ts1=$(readlink "$M/snapshots/snap1/latest")
echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts1\", \"replication_num\"=\"1\")" >"$M/control/restore"
fails "DROP of a snapshot a restore is reading is refused" snap "DROP SNAPSHOT snap1 FROM demo"
ok "last_error names the job" grep -q "in use by" "$M/control/last_error"
fails "so is rmdir" rmdir "$M/snapshots/snap1/$ts1"
ok "the snapshot is still there" test -e "$M/snapshots/snap1/$ts1/info"
done_testing
