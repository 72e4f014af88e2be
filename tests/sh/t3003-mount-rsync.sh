#!/bin/bash
# rsync -a a snapshot and the whole raw/ tree out of the mount.
. "$(dirname "$0")/lib.sh"
require_fuse
require_prog rsync || plan_skip "rsync not found"
plan 7

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
mkrepo --labels 2 --file-size 20000 "$R" >/dev/null
ok "mount" mount_snapfs "$R" "$M"

ts=$(readlink "$M/snapshots/snap2/latest")
ok "rsync -a a snapshot out" rsync -a "$M/snapshots/snap2/$ts/" "$TEST_TMP/copy/"
bad=0 n=0
while IFS=$'\t' read -r p size md5 obj; do
	case $p in snap2/*) ;; *) continue ;; esac
	n=$((n + 1))
	f=$TEST_TMP/copy/${p#snap2/$ts/}
	[ "$(md5sum <"$f" | cut -d' ' -f1)" = "$md5" ] || { bad=$((bad + 1)); diag "$p"; }
done <"$R/manifest.tsv"
is "the copy has all $n files with their MD5s" "$bad" 0
is "the copy's mtime is backup_time" "$(stat -c %Y "$TEST_TMP/copy")" "$(stat -c %Y "$M/snapshots/snap2/$ts")"

ok "rsync -a raw/ out" rsync -a "$M/raw/" "$TEST_TMP/raw/"
ok "raw/ is the repository byte for byte" diff -r "$R/__palo_repository_demo" "$TEST_TMP/raw"
out=$(rsync -a --checksum -n -i "$M/raw/" "$TEST_TMP/raw/")
is "rsync --checksum finds nothing to do" "$out" ""
done_testing
