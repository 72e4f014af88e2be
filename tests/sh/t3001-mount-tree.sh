#!/bin/bash
# The mount tree matches the generator's manifest: names, sizes, times,
# xattrs, stable inode numbers, read-only, clean unmount.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 27

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
mkrepo --labels 3 --tables 2 --partitions 2 --rollups 1 --buckets 2 "$R" >/dev/null
ok "mount a generated Doris repository" mount_snapfs "$R" "$M"

ok "README explains the tree" grep -q "snapshots/<label>/<timestamp>/" "$M/README"
ok "repository names flavor and name" \
	bash -c "grep -qx 'flavor: doris' '$M/repository' && grep -qx 'name: demo' '$M/repository'"
ok "repository never shows more than the URL" grep -qx "url: file://$R" "$M/repository"
is "top level entries" "$(ls "$M" | tr "\n" " ")" "README cluster control jobs raw repository snapshots "

want=$(json_get "$R/manifest.json" '" ".join(sorted({s["label"] for s in d["snapshots"]}))')
is "snapshots/ lists every label" "$(ls "$M/snapshots" | tr '\n' ' ' | sed 's/ $//')" "$want"

label=snap1
ts=$(json_get "$R/manifest.json" '[s["timestamp"] for s in d["snapshots"] if s["label"]=="snap1"][0]')
is "latest points at the timestamp" "$(readlink "$M/snapshots/$label/latest")" "$ts"
is "label status is OK" "$(head -1 "$M/snapshots/$label/status")" "OK"
is "snapshot status is OK" "$(head -1 "$M/snapshots/$label/$ts/status")" "OK"
is "snapshot dir has info, meta, meta.json, status and the db" \
	"$(ls "$M/snapshots/$label/$ts" | tr '\n' ' ')" "db1 info meta meta.json status "

# Every data file of every snapshot, with its size, and nothing else.
(cd "$M/snapshots" && find . -path '*/latest' -prune -o -type f -print |
	sed 's|^\./||' | grep -Ev '/(info|meta|meta\.json|status)$' | grep -v '^[^/]*/status$' | sort) >"$TEST_TMP/got"
manifest_files "$R" | cut -f1 | sort >"$TEST_TMP/want"
ok "the tree holds exactly the manifest's files" diff "$TEST_TMP/want" "$TEST_TMP/got"

bad=0
while IFS=$'\t' read -r p size md5 obj; do
	[ "$(stat -c %s "$M/snapshots/$p")" = "$size" ] || { bad=$((bad + 1)); diag "size $p"; }
done < <(manifest_files "$R")
is "every file has the manifest's size" "$bad" 0

bad=0
while IFS=$'\t' read -r p size md5 obj; do
	[ "$(getfattr --only-values -n user.snapfs.md5 "$M/snapshots/$p" 2>/dev/null)" = "$md5" ] ||
		{ bad=$((bad + 1)); diag "xattr $p"; }
done < <(manifest_files "$R" | head -40)
is "user.snapfs.md5 holds the object's MD5" "$bad" 0

p=$(manifest_files "$R" | head -1 | cut -f1)
obj=$(manifest_files "$R" | head -1 | cut -f4)
is "user.snapfs.object names the stored object" \
	"$(getfattr --only-values -n user.snapfs.object "$M/snapshots/$p")" "__palo_repository_demo/$obj"

bt=$(json_get "$R/manifest.json" '[s["backup_time_ms"] for s in d["snapshots"] if s["label"]=="snap1"][0]')
is "snapshot mtime is backup_time" "$(stat -c %Y "$M/snapshots/$label/$ts")" "$((bt / 1000))"
is "data file mtime is backup_time" "$(stat -c %Y "$M/snapshots/$p")" "$((bt / 1000))"

i1=$(stat -c %i "$M/snapshots/$p")
ls -lR "$M/snapshots" >/dev/null
i2=$(stat -c %i "$M/snapshots/$p")
is "inode numbers are stable" "$i1" "$i2"
n_ino=$(find "$M/snapshots/$label/$ts" -printf '%i\n' | sort | uniq -d | wc -l)
is "inode numbers are unique" "$n_ino" 0

fails "writing a file fails" bash -c "echo x >'$M/snapshots/$p'"
err=$(touch "$M/snapshots/$label/new" 2>&1)
case $err in *"Read-only file system"*) pass "creating a file gives EROFS" ;; *) fail "creating a file gives EROFS"; diag "$err" ;; esac
fails "mkdir fails" mkdir "$M/snapshots/x"
fails "rm fails" rm -f "$M/snapshots/$p"
ok "the repository was not changed" bash -c "cd '$R' && find __palo_repository_demo -type f | wc -l | grep -qx \$(wc -l < manifest.tsv | awk '{print \$1 + 1}')"

# StarRocks flavor, mounted through a file:// URL pointing at the repo dir.
S=$TEST_TMP/sr
mkrepo --flavor starrocks --labels 1 "$S" >/dev/null
M2=$TEST_TMP/mnt2
ok "mount a StarRocks repository dir by file:// URL" mount_snapfs "file://$S/__starrocks_repository_demo" "$M2"
ok "its flavor is starrocks" grep -qx 'flavor: starrocks' "$M2/repository"
(cd "$M2/snapshots" && find . -path '*/latest' -prune -o -type f -print | sed 's|^\./||' |
	grep -Ev '/(info|meta|meta\.json|status)$' | grep -v '^[^/]*/status$' | sort) >"$TEST_TMP/got2"
manifest_files "$S" | cut -f1 | sort >"$TEST_TMP/want2"
ok "StarRocks tree matches its manifest (ms timestamps)" diff "$TEST_TMP/want2" "$TEST_TMP/got2"

pid=$(snapfs_pid "$M")
fusermount3 -u "$M"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then fail "unmount ends the daemon"; else pass "unmount ends the daemon"; fi
done_testing
