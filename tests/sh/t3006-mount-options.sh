#!/bin/bash
# The mount program: usage, errors and exit codes, daemon mode, lazy
# loading, cache_ttl, repo=, fstab-style mount through mount.fuse3.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 21

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
mkdir -p "$M"
mkrepo --labels 30 --tables 1 --partitions 1 --rollups 0 --buckets 1 "$R" >/dev/null

ok "--help exits 0" "$SNAPFS" --help
ok "--version names snapfs" bash -c "'$SNAPFS' --version | grep -q '^snapfs '"
"$SNAPFS" >/dev/null 2>&1
is "no arguments: exit 1" "$?" 1
out=$("$SNAPFS" "$R" 2>&1)
rc=$?
is "missing mountpoint: exit 1 with a message" "$rc:$(grep -c 'missing MOUNTPOINT' <<<"$out")" "1:1"
"$SNAPFS" -o no_such_option "$R" "$M" >/dev/null 2>&1
is "unknown option: exit 1" "$?" 1
out=$("$SNAPFS" "$TEST_TMP/nowhere" "$M" 2>&1)
is "missing repository path: exit 2" "$?" 2
out=$("$SNAPFS" webhdfs://nn/x "$M" 2>&1)
rc=$?
case "$rc:$out" in 2:*"unsupported URL scheme"*) pass "unknown scheme: exit 2, says so" ;;
*) fail "unknown scheme: exit 2, says so"; diag "$rc $out" ;; esac
mkdir -p "$TEST_TMP/empty"
out=$("$SNAPFS" "$TEST_TMP/empty" "$M" 2>&1)
rc=$?
case "$rc:$out" in 2:*"no Doris/StarRocks repository"*) pass "no repository: exit 2, says what was expected" ;;
*) fail "no repository: exit 2, says what was expected"; diag "$rc $out" ;; esac

# Two repositories side by side: the choice must be explicit.
mkrepo --name other --labels 1 "$R" >/dev/null
out=$("$SNAPFS" "$R" "$M" 2>&1)
rc=$?
case "$rc:$out" in 2:*"repo=NAME"*) pass "two repositories: exit 2, suggests -o repo=NAME" ;;
*) fail "two repositories: exit 2, suggests -o repo=NAME"; diag "$rc $out" ;; esac

# Daemon mode, as fstab would use it; strace shows what is read.
ok "daemon mount with -o repo=demo" "$SNAPFS" -o repo=demo,cache_ttl=1 "$R" "$M"
pid=$(snapfs_pid "$M")
ok "the daemon is running" kill -0 "$pid"
if require_prog strace; then
	strace -f -qq -e trace=openat -o "$TEST_TMP/trace" -p "$pid" &
	spid=$!
	sleep 0.5
	ls "$M/snapshots" >/dev/null
	ls "$M/snapshots/snap7" >/dev/null
	ls -lR "$M/snapshots/snap7/latest/" >/dev/null
	sleep 0.3
	kill "$spid"; wait "$spid" 2>/dev/null
	is "listing a snapshot reads no data file" "$(grep '__ss_content' "$TEST_TMP/trace" | grep -vc O_DIRECTORY)" 0
	is "listing snapshots/ reads no info object" "$(grep '__info_' "$TEST_TMP/trace" | grep -vc 'snap7')" 0
else
	pass "listing a snapshot reads no data file # SKIP strace not found"
	pass "listing snapshots/ reads no info object # SKIP strace not found"
fi
is "30 labels listed" "$(ls "$M/snapshots" | wc -l)" 30

# A new label appears after cache_ttl, without remounting.
mkrepo --labels 1 --label-prefix fresh --seed 9 "$TEST_TMP/new" >/dev/null
cp -a "$TEST_TMP/new/__palo_repository_demo/__ss_fresh1" "$R/__palo_repository_demo/"
sleep 1.5
ok "a new snapshot shows up after cache_ttl" test -d "$M/snapshots/fresh1/latest/db1"

# A newer timestamp in an existing label moves latest (a new link inode,
# so the kernel's cached target can't be stale).
old=$(readlink "$M/snapshots/snap1/latest")
python3 - "$R/__palo_repository_demo/__ss_snap1" <<'PY'
import glob, hashlib, json, os, sys
d = sys.argv[1]
src = sorted(glob.glob(d + "/__info_*"))[-1]
info = json.load(open(src))
info["backup_time"] += 3600 * 1000
b = json.dumps(info, separators=(",", ":")).encode()
ts = "2030-01-01-00-00-00"
open(f"{d}/__info_{ts}.{hashlib.md5(b).hexdigest()}", "wb").write(b)
PY
sleep 1.5
is "latest follows the newest timestamp" "$(readlink "$M/snapshots/snap1/latest")" "2030-01-01-00-00-00"
ok "and the old one is still there" test -d "$M/snapshots/snap1/$old"

ok "fusermount3 -u unmounts the daemon" fusermount3 -u "$M"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fails "the daemon exited" kill -0 "$pid"

# fstab-style: mount -t fuse.snapfs runs "snapfs SOURCE DIR -o OPTS" through
# mount.fuse3, which finds snapfs in the default PATH.
if require_prog mount.fuse3 && [ -w /usr/local/bin ] && [ ! -e /usr/local/bin/snapfs ]; then
	ln -s "$SNAPFS" /usr/local/bin/snapfs
	at_exit "rm -f /usr/local/bin/snapfs"
	ok "mount -t fuse.snapfs -o ro,repo=demo" mount -t fuse.snapfs -o ro,repo=demo,data_dir=$TEST_TMP/fstab-data "$R" "$M"
	ok "the fstab-style mount serves the tree" test -L "$M/snapshots/snap1/latest"
	fusermount3 -u "$M" 2>/dev/null
else
	pass "mount -t fuse.snapfs # SKIP mount.fuse3 or /usr/local/bin not usable"
	pass "the fstab-style mount serves the tree # SKIP"
fi
done_testing
