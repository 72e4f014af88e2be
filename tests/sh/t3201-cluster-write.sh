#!/bin/bash
# Tables made by hand in MNT/cluster/: mkdir at every level (the catalog
# assigns ids), files written once and immutable after close, replicas on
# distinct backends, EBUSY while a job holds the table, kept across mounts.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 24

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
D=$TEST_TMP/data
mkrepo --labels 1 "$R" >/dev/null
ts=$(ls "$R/__palo_repository_demo/__ss_snap1" | sed -n 's/^__info_\(.*\)\.[0-9a-f]*$/\1/p')
ok "mount" mount_snapfs "$R" "$M" -o data_dir="$D",backends=3
T=$M/cluster/hand/t1/p1/t1/60001
ok "mkdir database, table, partition, index, tablet" mkdir -p "$T"
ok "write a .hdr and a segment" bash -c "printf 'header' >'$T/60001.hdr' && head -c 300000 /dev/urandom >'$TEST_TMP/seg' && cp '$TEST_TMP/seg' '$T/r_0.dat'"
is "the segment reads back" "$(md5sum <"$T/r_0.dat")" "$(md5sum <"$TEST_TMP/seg")"
is "its MD5 is in user.snapfs.md5" "$(getfattr --only-values -n user.snapfs.md5 "$T/r_0.dat" 2>/dev/null)" "$(md5sum <"$TEST_TMP/seg" | cut -c1-32)"
is "three replicas on three backends" "$(find "$D"/be*/tablets/60001 -name r_0.dat | cut -d/ -f1-$(($(echo "$D" | tr -cd / | wc -c) + 2)) | sort -u | wc -l)" 3
fails "appending to a written file fails" bash -c "echo x >>'$T/r_0.dat'"
err=$(bash -c "echo x >'$T/r_0.dat'" 2>&1)
case $err in *"Operation not permitted"*) pass "overwriting a written file fails with EPERM" ;; *) fail "overwriting a written file fails with EPERM"; diag "$err" ;; esac
is "and it is unchanged" "$(md5sum <"$T/r_0.dat")" "$(md5sum <"$TEST_TMP/seg")"
fails "a tablet directory must be named by a number" mkdir "$M/cluster/hand/t1/p1/t1/abc"
fails "an existing name can't be made again" mkdir "$M/cluster/hand"
fails "mkdir outside cluster/ fails" mkdir "$M/snapshots/x"
fails "a file directly in an index dir fails" bash -c "echo x >'$M/cluster/hand/t1/p1/t1/f'"
ok "a second partition and index reuse the index id" mkdir -p "$M/cluster/hand/t1/p2/t1/60002"

# A restore over a hand-made table holds it: writes into it are EBUSY.
umnt() { fusermount3 -u "$M"; for _ in $(seq 1 50); do pgrep -f "snapfs.*$M\$" >/dev/null || break; sleep 0.1; done; }
umnt
SNAPFS_TEST_STATE_DELAY_MS=600 mount_snapfs "$R" "$M" -o data_dir="$D",backends=3
is "the hand-made table survives a remount" "$(md5sum <"$T/r_0.dat")" "$(md5sum <"$TEST_TMP/seg")"
mkdir -p "$M/cluster/db1/t1/p1"
echo "RESTORE SNAPSHOT db1.snap1 FROM demo ON (t2) PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$M/control/restore"
j=$(ls "$M/jobs" | grep -E "^[0-9]+$" | sort -n | tail -1)
echo "RESTORE SNAPSHOT db1.snap1 FROM demo ON (t1) PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$M/control/restore" 2>/dev/null
ok "one job per database still holds with hand-made tables" grep -q "running job $j" "$M/control/last_error"
err=$(mkdir "$M/cluster/db1/t2/p9" 2>&1)
case $err in *"busy"*) pass "mkdir in a table being restored: EBUSY" ;; *) fail "mkdir in a table being restored: EBUSY"; diag "$err" ;; esac
ok "a table the job doesn't restore stays writable" mkdir "$M/cluster/db1/t1/p1/t1"
for _ in $(seq 1 200); do grep -q '^State: FINISHED' "$M/jobs/$j/status" && break; sleep 0.05; done
ok "the job finishes" grep -q '^State: FINISHED' "$M/jobs/$j/status"
ok "after the commit the restored table is writable" mkdir "$M/cluster/db1/t2/p9"
err=$(echo "RESTORE SNAPSHOT db1.snap1 FROM demo ON (t1) PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" 2>&1 >"$M/control/restore")
ok "restoring over a hand-made table of another structure is refused" grep -q "different structure" "$M/control/last_error"
ok "the catalog has ids for everything made by hand" test -d "$D/catalog"

# Backends on two filesystems (one per disk): replicas are copied.
umnt
SHM=$(mktemp -d /dev/shm/snapfs-t3201.XXXXXX 2>/dev/null)
if [ -n "$SHM" ] && [ "$(stat -c %d "$SHM")" != "$(stat -c %d "$TEST_TMP")" ]; then
	at_exit "rm -rf '$SHM'"
	mount_snapfs "$R" "$M" -o data_dir="$TEST_TMP/d2",backend_dirs="$TEST_TMP/be0:$SHM/be1"
	mkdir -p "$M/cluster/x/t/p/i/70001"
	ok "a file in a tablet with replicas on two filesystems" cp "$TEST_TMP/seg" "$M/cluster/x/t/p/i/70001/r.dat"
	# The file is named and replicated when its writer lets go, just
	# after cp's close(); an open through the mount waits for that.
	cat "$M/cluster/x/t/p/i/70001/r.dat" >/dev/null
	is "both replicas hold it" "$(cat "$TEST_TMP"/be0/tablets/70001/*/r.dat "$SHM"/be1/tablets/70001/*/r.dat | md5sum | cut -c1-32)" \
		"$(cat "$TEST_TMP/seg" "$TEST_TMP/seg" | md5sum | cut -c1-32)"
else
	[ -n "$SHM" ] && rm -rf "$SHM"
	pass "a file in a tablet with replicas on two filesystems # SKIP no second filesystem"
	pass "both replicas hold it # SKIP no second filesystem"
fi
done_testing
