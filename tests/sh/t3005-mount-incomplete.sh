#!/bin/bash
# Incomplete and invalid snapshots are shown with a reason, never hidden,
# never a crash; hostile info objects don't escape the tree.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 16

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
RR=$R/__palo_repository_demo
mkrepo --labels 2 --incomplete-label halfdone --part-leftover --bad-info-name "$R" >/dev/null

# A hand-made hostile info object: a table named "..", correct MD5 name.
mkdir -p "$RR/__ss_evil"
cp "$RR"/__ss_snap2/__meta.* "$RR/__ss_evil/"
python3 - "$RR" <<'PY'
import hashlib, json, sys, glob, os
rr = sys.argv[1]
src = glob.glob(rr + "/__ss_snap2/__info_*")[0]
d = json.load(open(src))
d["name"] = "evil"
tbl = next(iter(d["backup_objects"]))
d["backup_objects"][".."] = d["backup_objects"].pop(tbl)
b = json.dumps(d).encode()
ts = os.path.basename(src).split(".")[0][len("__info_"):]
open(f"{rr}/__ss_evil/__info_{ts}.{hashlib.md5(b).hexdigest()}", "wb").write(b)
PY
# A tablet file listed in the info but missing from the store.
line=$(manifest_files "$R" | grep '^snap2/' | head -1)
rm "$RR/$(cut -f4 <<<"$line")"
missing=$(cut -f1 <<<"$line")

ok "mount" mount_snapfs "$R" "$M"
ok "the incomplete label is listed" test -d "$M/snapshots/halfdone"
is "its status says INCOMPLETE: no info file" \
	"$(head -1 "$M/snapshots/halfdone/status" | cut -c1-34)" "INCOMPLETE: no info file found in "
fails "it has no latest link" test -e "$M/snapshots/halfdone/latest"

part=$(ls "$M/snapshots/snap1" | grep '\.part$')
ok "the .part leftover is shown" test -n "$part"
case $(head -1 "$M/snapshots/snap1/$part/status") in
"INVALID: "*"leftover of an interrupted upload"*) pass ".part status says why" ;;
*) fail ".part status says why"; diag "$(cat "$M/snapshots/snap1/$part/status")" ;;
esac
ok "the bad info name is shown" test -d "$M/snapshots/snap1/__info_garbage.notanmd5"
case $(head -1 "$M/snapshots/snap1/__info_garbage.notanmd5/status") in
"INVALID: "*"md5"*) pass "bad name status says why" ;;
*) fail "bad name status says why" ;;
esac
ts=$(readlink "$M/snapshots/snap1/latest")
is "latest still points at the good timestamp" "$(head -1 "$M/snapshots/snap1/$ts/status")" "OK"
is "the label with junk beside a good snapshot is OK" "$(head -1 "$M/snapshots/snap1/status")" "OK"

ets=$(ls "$M/snapshots/evil" | grep -v -e latest -e status | head -1)
case $(head -1 "$M/snapshots/evil/$ets/status") in
"INVALID: "*"not a safe table name"*) pass "a table named .. makes the snapshot INVALID" ;;
*) fail "a table named .. makes the snapshot INVALID"; diag "$(cat "$M/snapshots/evil/$ets/status")" ;;
esac
is "the invalid snapshot shows only info, meta and status" "$(ls "$M/snapshots/evil/$ets" | tr '\n' ' ')" "info meta status "
fails "no evil label link" test -e "$M/snapshots/evil/latest"

ok "a file missing from the store is still listed" test -e "$M/snapshots/$missing"
fails "reading it fails" cat "$M/snapshots/$missing"
ok "the mount survived all of it" ls -R "$M/snapshots"
done_testing
