#!/bin/bash
# cat every file of every snapshot and compare MD5s with the manifest;
# info and meta are the stored objects byte for byte; meta.json decodes.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 10

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
mkrepo --labels 2 --segments 2 --file-size 300000 "$R" >/dev/null
ok "mount" mount_snapfs "$R" "$M"

bad=0 n=0
while IFS=$'\t' read -r p size md5 obj; do
	n=$((n + 1))
	got=$(md5sum <"$M/snapshots/$p" | cut -d' ' -f1)
	[ "$got" = "$md5" ] || { bad=$((bad + 1)); diag "md5 $p: $got"; }
done <"$R/manifest.tsv"
is "cat of all $n files gives the manifest MD5s" "$bad" 0

bad=0
while IFS=$'\t' read -r p size md5 obj; do
	cmp -s "$M/snapshots/$p" "$R/__palo_repository_demo/$obj" || bad=$((bad + 1))
done < <(grep -E '/(info|meta)'$'\t' "$R/manifest.tsv")
is "info and meta are the objects byte for byte" "$bad" 0

ts=$(readlink "$M/snapshots/snap1/latest")
ok "meta.json is valid JSON" python3 -m json.tool "$M/snapshots/snap1/$ts/meta.json"
is "meta.json decodes the JSON meta" \
	"$(json_get "$M/snapshots/snap1/$ts/meta.json" 'd["format"], d["meta"]["db"]')" "('json', 'db1')"

# Random access: a range in the middle of a big file.
p=$(manifest_files "$R" | awk -F'\t' '$2 > 200000 {print $1; exit}')
obj=$(manifest_files "$R" | awk -F'\t' '$2 > 200000 {print $4; exit}')
is "a read at an offset returns the object's bytes" \
	"$(dd if="$M/snapshots/$p" bs=1 skip=123457 count=1000 2>/dev/null | md5sum)" \
	"$(dd if="$R/__palo_repository_demo/$obj" bs=1 skip=123457 count=1000 2>/dev/null | md5sum)"

# Parallel readers of the same file.
pids=()
for i in 1 2 3 4; do
	md5sum <"$M/snapshots/$p" >"$TEST_TMP/par$i" &
	pids+=($!)
done
wait "${pids[@]}"
is "four parallel readers agree" "$(sort -u "$TEST_TMP"/par* | wc -l)" 1

# Legacy binary meta: kept opaque, meta.json says so.
L=$TEST_TMP/legacy
mkrepo --labels 1 --meta legacy "$L" >/dev/null
ok "mount a repository with legacy binary meta" mount_snapfs "$L" "$TEST_TMP/mnt2"
is "meta.json says legacy-binary" \
	"$(json_get "$TEST_TMP/mnt2/snapshots/snap1/latest/meta.json" 'd["format"]')" "legacy-binary"
is "the legacy snapshot is still OK" "$(head -1 "$TEST_TMP/mnt2/snapshots/snap1/latest/status")" "OK"
done_testing
