#!/bin/bash
# t0005-layout-checker: tests/tools/check-repo-layout, a checker of the
# repository layout written from the format document alone, accepts what
# contrib/snapfs-mkrepo writes and reports each kind of damage done to a copy
# of it, naming the damaged path.
. "$(dirname "$0")/lib.sh"

for p in python3 md5sum find; do
	require_prog "$p" || plan_skip "$p not found"
done
[ -r "$MKREPO" ] || plan_skip "$MKREPO not found"
CHECK=$top_srcdir/tests/tools/check-repo-layout
[ -x "$CHECK" ] || plan_skip "$CHECK not executable"

plan 49

export LC_ALL=C

# check ARGS...: run the checker; output in $TEST_TMP/out, exit status in $rc.
check() {
	"$CHECK" "$@" >"$TEST_TMP/out" 2>&1
	rc=$?
}
summary() { tail -1 "$TEST_TMP/out"; }

# accepted TITLE SUMMARY: the last check exited 0 with that summary line.
accepted() {
	if [ "$rc" -eq 0 ] && [ "$(summary)" = "$2" ]; then
		pass "$1"
	else
		fail "$1"
		diag "exit $rc, want 0 and '$2'"
		diag "$(head -c 2000 "$TEST_TMP/out")"
	fi
}

# reports TITLE REL WHAT: the last check exited 1 and printed an error for
# the path $B/REL whose message contains WHAT.
reports() {
	local line
	line=$(grep -F -- "$B/$2: error: " "$TEST_TMP/out" | grep -F -- "$3" | head -1)
	if [ "$rc" -eq 1 ] && [ -n "$line" ]; then
		pass "$1"
	else
		fail "$1"
		diag "exit $rc, want 1 and an error for $B/$2 with '$3'"
		diag "$(head -c 2000 "$TEST_TMP/out")"
	fi
}

# warns TITLE REL WHAT: the last check exited 0 and printed a warning for
# $B/REL containing WHAT.
warns() {
	local line
	line=$(grep -F -- "$B/$2: warning: " "$TEST_TMP/out" | grep -F -- "$3" | head -1)
	if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
		pass "$1"
	else
		fail "$1"
		diag "exit $rc, want 0 and a warning for $B/$2 with '$3'"
		diag "$(head -c 2000 "$TEST_TMP/out")"
	fi
}

# broken NAME [SRC]: a fresh copy of repository SRC (default: the base
# repository $R) in $B.
broken() {
	local src=${2:-$R}
	B=$TEST_TMP/broken/$1/${src##*/}
	mkdir -p "${B%/*}" && cp -a "$src" "$B"
}

md5() { md5sum <"$1" | cut -d' ' -f1; }
info_of() { ls "$B/__ss_$1"/__info_*; }

# edit_info LABEL STATEMENT: run the python STATEMENT over j, the parsed
# info file of __ss_LABEL in $B (each of them), write it back as compact
# JSON under its new md5 and print its path relative to $B.
edit_info() {
	python3 -c '
import glob, hashlib, json, os, sys
root, label, stmt = sys.argv[1:]
d = os.path.join(root, "__ss_" + label)
for p in sorted(glob.glob(os.path.join(d, "__info_*"))):
    with open(p, "rb") as f:
        j = json.load(f)
    exec(stmt, {"j": j})
    data = json.dumps(j, separators=(",", ":")).encode()
    ts = os.path.basename(p)[len("__info_"):].rpartition(".")[0]
    os.remove(p)
    name = "__info_%s.%s" % (ts, hashlib.md5(data).hexdigest())
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    print("__ss_%s/%s" % (label, name))
' "$B" "$1" "$2"
}

# The first index of the first partition of table t1 in the info file.
IX='j["backup_objects"]["t1"]["partitions"]["p1"]["indexes"]["t1"]'

# ---------------------------------------------------------------- accepted

O=$TEST_TMP/doris
R=$O/__palo_repository_demo
mkrepo "$O" >/dev/null
check "$R"
accepted "doris repository: no errors" "0 errors, 0 warnings, 2 snapshots checked"
check --flavor doris --strict "$R"
accepted "doris repository, --flavor doris --strict: no errors" \
	"0 errors, 0 warnings, 2 snapshots checked"
check --no-content "$R"
accepted "--no-content: no errors" "0 errors, 0 warnings, 2 snapshots checked"

S=$TEST_TMP/sr/__starrocks_repository_srrepo
mkrepo --flavor starrocks --name srrepo --labels 2 --timestamps 2 --segments 2 \
	"$TEST_TMP/sr" >/dev/null
check --flavor starrocks "$S"
accepted "starrocks repository (2 labels x 2 timestamps): no errors" \
	"0 errors, 0 warnings, 4 snapshots checked"
check --flavor doris "$S"
is "a __starrocks_repository_ root is not a Doris repository" "$rc" 1

# StarRocks writes into an existing __palo_repository_ directory: auto
# flavor goes by starrocks_meta_version in the info file.
B=$TEST_TMP/sr-in-palo/__palo_repository_srrepo
mkdir -p "${B%/*}" && cp -a "$S" "$B"
check "$B"
accepted "starrocks info files in a __palo_repository_ root: no errors" \
	"0 errors, 0 warnings, 4 snapshots checked"

# StarRocks subPartitions: partition p2 becomes a physical sub-partition of
# p1; its tablets stay in __part_<its own id>.
broken subpartitions "$S"
edit_info snap1 '
p = j["backup_objects"]["t1"]["partitions"]
p2 = p.pop("p2")
p["p1"]["subPartitions"] = {str(p2["id"]): p2}' >/dev/null
check "$B"
accepted "starrocks subPartitions: data under the sub-partition id" \
	"0 errors, 0 warnings, 4 snapshots checked"
p2=$(python3 -c 'import glob, json, sys
j = json.load(open(sorted(glob.glob(sys.argv[1] + "/__ss_snap1/__info_*"))[0]))
print(list(j["backup_objects"]["t1"]["partitions"]["p1"]["subPartitions"])[0])' "$B")
first=$(cd "$B" && find __ss_snap1/__ss_content -mindepth 5 -maxdepth 5 -type d \
	-path "*/__part_$p2/*" | sort | head -1)
edit_info snap1 '
s = j["backup_objects"]["t1"]["partitions"]["p1"]["subPartitions"]
sp = s.popitem()[1]
sp["id"] = 77777
s["77777"] = sp' >/dev/null
check "$B"
reports "sub-partition id without data" "${first/__part_$p2/__part_77777}" \
	"tablet directory missing"
reports "... and its old data is unreferenced" "${first%/__idx_*}" "unreferenced directory"

M=$TEST_TMP/mo/__palo_repository_demo
mkrepo --metadata-only --views 1 "$TEST_TMP/mo" >/dev/null
check "$M"
accepted "metadata-only repository: no errors" "0 errors, 0 warnings, 2 snapshots checked"

L=$TEST_TMP/legacy/__palo_repository_demo
mkrepo --meta legacy --labels 1 "$TEST_TMP/legacy" >/dev/null
check "$L"
accepted "legacy __meta: accepted with a warning" "0 errors, 1 warnings, 1 snapshots checked"

F=$TEST_TMP/faults/__palo_repository_demo
mkrepo --incomplete-label half --part-leftover "$TEST_TMP/faults" >/dev/null
check "$F"
accepted "incomplete label and .part leftover: warnings" \
	"0 errors, 2 warnings, 2 snapshots checked"
B=$F
warns "the incomplete label is named" "__ss_half" "incomplete snapshot"
check --strict "$F"
is "--strict: incomplete label and .part leftover are errors" "$(summary) $rc" \
	"2 errors, 0 warnings, 2 snapshots checked 1"

# ---------------------------------------------------------------- usage

check
is "no REPO_ROOT: exit 2" "$rc" 2
check --flavor oracle "$R"
is "unknown flavor: exit 2" "$rc" 2
check "$TEST_TMP/nonexistent"
is "REPO_ROOT not a directory: exit 2" "$rc" 2

# ---------------------------------------------------------------- broken

TAB1=$(cd "$R" && find __ss_snap1/__ss_content -mindepth 5 -maxdepth 5 -type d | sort | head -1)
TID=${TAB1##*/__}
DAT=$(cd "$R/$TAB1" && ls | grep '\.dat\.' | head -1)
IDX=$(cd "$R/$TAB1" && ls | grep '\.idx\.' | head -1)
HDR=$(cd "$R/$TAB1" && ls | grep '\.hdr\.')
[ -n "$TID" ] && [ -n "$DAT" ] && [ -n "$IDX" ] && [ -n "$HDR" ] ||
	diag "could not find a tablet in $R"

broken md5-suffix
bad=0123456789abcdef0123456789abcdef
mv "$B/$TAB1/$DAT" "$B/$TAB1/${DAT%.*}.$bad"
check "$B"
reports "wrong md5 suffix on a data file" "$TAB1/${DAT%.*}.$bad" "md5 of the content is"
reports "... and the listed name is missing" "$TAB1/$DAT" "missing: listed in"

broken data-corrupt
printf x >>"$B/$TAB1/$DAT"
check "$B"
reports "data file whose content changed" "$TAB1/$DAT" "md5 of the content is $(md5 "$B/$TAB1/$DAT")"
check --no-content "$B"
is "--no-content does not read data files" "$rc" 0

broken info-md5
info=$(info_of snap1)
mv "$info" "${info%.*}.$bad"
check "$B"
reports "wrong md5 suffix on the info file" "__ss_snap1/$(basename "${info%.*}").$bad" \
	"the name says $bad"

broken extra-object
new=${DAT%%_*}_9.dat
cp "$B/$TAB1/$DAT" "$B/$TAB1/$new.${DAT##*.}"
check "$B"
reports "extra object in a tablet directory" "$TAB1/$new.${DAT##*.}" "extra object"

broken missing-object
rm "$B/$TAB1/$IDX"
check "$B"
reports "missing object" "$TAB1/$IDX" "missing: listed in"

broken missing-tablet
rm -r "${B:?}/$TAB1"
check "$B"
reports "missing tablet directory" "$TAB1" "tablet directory missing"

broken no-hdr
rm "$B/$TAB1/$HDR"
info=$(edit_info snap1 "$IX[\"tablets\"][\"$TID\"].remove(\"$HDR\")")
check "$B"
reports "tablet without its .hdr" "$TAB1" "lists 0 $TID.hdr files"

broken txt-file
echo hello >"$B/$TAB1/x.txt"
sum=$(md5 "$B/$TAB1/x.txt")
mv "$B/$TAB1/x.txt" "$B/$TAB1/x.txt.$sum"
edit_info snap1 "$IX[\"tablets\"][\"$TID\"].append(\"x.txt.$sum\")" >/dev/null
check "$B"
reports "a listed file named x.txt.<md5>" "$TAB1/x.txt.$sum" ".hdr, .dat or .idx"
is "... is the only error" "$(grep -c ': error: ' "$TEST_TMP/out")" 1

broken info-name
info=$(edit_info snap1 'j["name"] = "snap9"')
check "$B"
reports "info name differs from the label" "$info" "differs from the snapshot label"

broken backup-result
info=$(edit_info snap2 'j["backup_result"] = "failed"')
check "$B"
reports "backup_result failed" "$info" "failed backup"

broken order
info=$(edit_info snap1 "o = $IX[\"tablets_order\"]; o[-1] = o[0]")
check "$B"
reports "tablets_order is not a permutation" "$info" "not a permutation"

broken order-type
info=$(edit_info snap1 "o = $IX[\"tablets_order\"]; o[:] = [str(x) for x in o]")
check --flavor doris "$B"
warns "string tablets_order in a Doris info: a warning" "$info" "JSON strings"

broken backup-time
info=$(edit_info snap1 'j["backup_time"] += 7 * 60 * 1000')
check "$B"
reports "backup_time 7 minutes off the timestamp" "$info" "expected __info_"

broken backup-time-tz
info=$(edit_info snap1 'j["backup_time"] -= 8 * 3600 * 1000')
check "$B"
warns "timestamp in a UTC+8 time zone: a warning" "$info" "UTC+08:00"

broken not-compact
python3 -c '
import glob, hashlib, json, os, sys
[p] = glob.glob(sys.argv[1] + "/__ss_snap1/__info_*")
data = json.dumps(json.load(open(p, "rb")), indent=1).encode()
os.remove(p)
open(p.rpartition(".")[0] + "." + hashlib.md5(data).hexdigest(), "wb").write(data)
' "$B"
check "$B"
warns "pretty-printed info file: a warning" "$(cd "$B" && ls __ss_snap1/__info_*)" "not compact"

broken timestamp
info=$(info_of snap1)
sum=${info##*.}
ts=${info##*/__info_}
ts=${ts%.*}
mv "$info" "$B/__ss_snap1/__info_$ts-000.$sum"
check "$B"
reports "millisecond timestamp in a Doris repository" "__ss_snap1/__info_$ts-000.$sum" \
	"is not of the form yyyy-MM-dd-HH-mm-ss (Doris)"

broken meta-length
meta=$(ls "$B"/__ss_snap1/__meta.*)
python3 -c '
import hashlib, os, struct, sys
p = sys.argv[1]
data = open(p, "rb").read()
data = struct.pack(">I", len(data) - 4 + 1) + data[4:]
os.remove(p)
new = p.rpartition(".")[0] + "." + hashlib.md5(data).hexdigest()
open(new, "wb").write(data)
print(os.path.basename(new))
' "$meta" >"$TEST_TMP/meta.name"
check "$B"
reports "__meta with a wrong length prefix" "__ss_snap1/$(cat "$TEST_TMP/meta.name")" \
	"length prefix says"

broken two-metas
meta=$(ls "$B"/__ss_snap1/__meta.*)
printf x >"$B/__ss_snap1/__meta.$(printf x | md5sum | cut -d' ' -f1)"
check "$B"
reports "two __meta files in a label" "__ss_snap1" "RESTORE expects exactly one"

broken no-repo-info
rm "$B/__repo_info"
check "$B"
reports "missing __repo_info" "__repo_info" "missing"

broken repo-info-md5
mv "$B/__repo_info" "$B/__repo_info.$(md5 "$B/__repo_info")"
check "$B"
reports "__repo_info with an md5 suffix" "$(cd "$B" && ls | grep __repo_info)" "no suffix"

broken repo-info-name
printf '{"name":"other","create_time":"2024-05-01 10:00:00"}' >"$B/__repo_info"
check "$B"
reports "__repo_info names another repository" "__repo_info" "differs from the repository name"

broken unreferenced
db=$(cd "$B/__ss_snap1/__ss_content" && ls)
mkdir -p "$B/__ss_snap1/__ss_content/$db/__tbl_99999/__part_1/__idx_2/__3"
check "$B"
reports "unreferenced directory under __ss_content" \
	"__ss_snap1/__ss_content/$db/__tbl_99999" "unreferenced directory"

broken unreferenced-tablet
cp -a "$B/$TAB1" "${B:?}/${TAB1%/*}/__99999"
check "$B"
reports "unreferenced tablet directory" "${TAB1%/*}/__99999" "unreferenced directory"

broken duplicate-tablet
info=$(edit_info snap1 "p = j[\"backup_objects\"][\"t1\"][\"partitions\"]; p[\"p2\"][\"indexes\"][\"t1\"][\"tablets\"][\"$TID\"] = []")
check "$B"
reports "a tablet id in two indexes" "$info" "tablet $TID is also in"

broken metadata-only-data
B=$TEST_TMP/broken/mo/__palo_repository_demo
mkdir -p "${B%/*}" && cp -a "$M" "$B"
mkdir -p "$B/__ss_snap1/__ss_content/__db_1"
check "$B"
reports "data under a METADATA_ONLY snapshot" "__ss_snap1/__ss_content/__db_1" \
	"METADATA_ONLY"

broken bad-info-name
touch "$B/__ss_snap1/__info_garbage.notanmd5"
check "$B"
reports "__info_ file without an md5 suffix" "__ss_snap1/__info_garbage.notanmd5" "bad name"

broken hdr-header
# Flip a byte of the protobuf: its adler32 in the header no longer matches
# (the md5 in the name does not either).
python3 -c '
import os, sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
data[-1] ^= 0xff
open(p, "wb").write(data)
' "$B/$TAB1/$HDR"
check --no-content "$B"
is "--no-content does not read .hdr files" "$rc" 0
check "$B"
reports "corrupt tablet header: adler32" "$TAB1/$HDR" "protobuf_checksum"

# ---------------------------------------------------------------- a clean copy

broken untouched
check "$B"
accepted "an untouched copy still passes" "0 errors, 0 warnings, 2 snapshots checked"

done_testing
