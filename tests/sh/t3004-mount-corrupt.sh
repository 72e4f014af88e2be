#!/bin/bash
# A full read of an object whose content doesn't match its MD5 name fails
# with EIO; broken info/meta objects show up in status.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 13

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
mkrepo --labels 2 --file-size 50000 "$R" >/dev/null
line=$(manifest_files "$R" | grep '^snap1/.*\.dat'$'\t' | head -1)
p=$(cut -f1 <<<"$line")
obj=$R/__palo_repository_demo/$(cut -f4 <<<"$line")
good=$(manifest_files "$R" | grep '^snap1/.*\.dat'$'\t' | sed -n 2p | cut -f1)
# Flip one byte in the middle; the size stays the same.
printf 'X' | dd of="$obj" bs=1 seek=25000 conv=notrunc 2>/dev/null

ok "mount" mount_snapfs "$R" "$M"
ok "a partial read of the corrupt file works (nothing to verify yet)" \
	bash -c "head -c 1000 '$M/snapshots/$p' >/dev/null"
err=$(cat "$M/snapshots/$p" 2>&1 >/dev/null)
rc=$?
case "$rc:$err" in
1:*"Input/output error"*) pass "cat of the corrupt file fails with EIO" ;;
*) fail "cat of the corrupt file fails with EIO"; diag "rc=$rc $err" ;;
esac
fails "a second read fails too" cat "$M/snapshots/$p"
ok "other files still read" cat "$M/snapshots/$good"
fails "the same object under raw/ fails too" cat "$M/raw/${obj#$R/__palo_repository_demo/}"
ok "the log names the object" grep -q "${obj##*/}.*MD5" "$TEST_TMP/snapfs.log"
fails "once found corrupt, even a partial read fails" \
	bash -c "head -c 1000 '$M/snapshots/$p' >/dev/null"

ok "mount with -o noverify" mount_snapfs "$R" "$TEST_TMP/nv" -o noverify
ok "noverify reads the corrupt file" cat "$TEST_TMP/nv/snapshots/$p"

# Corrupt info and meta objects of the other label.
info=$(ls "$R"/__palo_repository_demo/__ss_snap2/__info_*)
meta=$(ls "$R"/__palo_repository_demo/__ss_snap2/__meta.*)
sed -i 's/"database"/"databasE"/' "$info"
R2=$TEST_TMP/repo2
mkrepo --labels 1 "$R2" >/dev/null
meta2=$(ls "$R2"/__palo_repository_demo/__ss_snap1/__meta.*)
printf 'Z' | dd of="$meta2" bs=1 seek=10 conv=notrunc 2>/dev/null
ok "mount the second repository" mount_snapfs "$R2" "$TEST_TMP/m2"
ts=$(ls "$M/snapshots/snap2" | grep -v -e latest -e status)
st=$(head -1 "$M/snapshots/snap2/$ts/status")
case $st in "INVALID: "*"${info##*/}"*"MD5"*) pass "a corrupt info object makes the snapshot INVALID, named" ;;
*) fail "a corrupt info object makes the snapshot INVALID, named"; diag "$st" ;; esac
ts2=$(ls "$TEST_TMP/m2/snapshots/snap1" | grep -v -e latest -e status)
st=$(head -1 "$TEST_TMP/m2/snapshots/snap1/$ts2/status")
case $st in "INVALID: "*"${meta2##*/}"*) pass "a corrupt meta object makes the snapshot INVALID, named" ;;
*) fail "a corrupt meta object makes the snapshot INVALID, named"; diag "$st" ;; esac
done_testing
