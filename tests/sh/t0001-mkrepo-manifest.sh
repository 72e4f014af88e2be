#!/bin/bash
# t0001-mkrepo-manifest: contrib/snapfs-mkrepo writes repositories in the
# Doris / StarRocks on-storage format and manifests that describe them.
# Everything is checked with independent tools (md5sum, stat, find, od and
# small python3 json/struct checks written here, not the generator's code).
. "$(dirname "$0")/lib.sh"

for p in python3 md5sum stat find od xargs; do
	require_prog "$p" || plan_skip "$p not found"
done
[ -r "$MKREPO" ] || plan_skip "$MKREPO not found"

plan 67

TAB=$(printf '\t')
export LC_ALL=C

# ---------------------------------------------------------------- helpers

# Python checks, run as: python3 -c "$PYCHECK" MODE ARGS...
PYCHECK=$(
	cat <<'EOF'
import json, os, re, struct, sys, time, zlib

def fail(msg):
    print(msg)
    sys.exit(1)

def infos(root):
    """(label, timestamp, path) of every well-formed __info_ file."""
    out = []
    for ss in sorted(os.listdir(root)):
        if not ss.startswith("__ss_"):
            continue
        for f in sorted(os.listdir(os.path.join(root, ss))):
            m = re.fullmatch(r"__info_(.+)\.([0-9a-f]{32})", f)
            if m:
                out.append((ss[5:], m.group(1), os.path.join(root, ss, f)))
    return out

def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))

def tablet_objects(label, info):
    """Object keys (relative to the repository root) an info file lists."""
    keys = set()
    for tname, t in info["backup_objects"].items():
        for pname, p in t["partitions"].items():
            for iname, i in p["indexes"].items():
                for x, files in i["tablets"].items():
                    d = "__ss_%s/__ss_content/__db_%d/__tbl_%d/__part_%d/__idx_%d/__%s" % (
                        label, info["id"], t["id"], p["id"], i["id"], x)
                    for f in files:
                        keys.add(d + "/" + f)
    return keys

mode, args = sys.argv[1], sys.argv[2:]

if mode == "info":  # ROOT FLAVOR
    root, flavor = args
    found = infos(root)
    if not found:
        fail("no info files under " + root)
    ts_re = (r"\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{3}" if flavor == "starrocks"
             else r"\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d")
    for label, ts, path in found:
        raw = open(path, "rb").read()
        if b"\n" in raw or b": " in raw or b", " in raw:
            fail("%s: not compact JSON" % path)
        info = load(path)
        for k in ("name", "database", "id", "backup_time", "backup_objects",
                  "backup_result"):
            if k not in info:
                fail("%s: missing key %s" % (path, k))
        if info["name"] != label:
            fail("%s: name %r != label %r" % (path, info["name"], label))
        if type(info["id"]) is not int or type(info["backup_time"]) is not int:
            fail("%s: id/backup_time not integers" % path)
        if info["backup_result"] != "succeed":
            fail("%s: backup_result %r" % (path, info["backup_result"]))
        if not re.fullmatch(ts_re, ts):
            fail("%s: timestamp %r has the wrong format" % (path, ts))
        ms = info["backup_time"]
        want = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(ms // 1000))
        if flavor == "starrocks":
            want += "-%03d" % (ms % 1000)
        if ts != want:
            fail("%s: timestamp %s but backup_time says %s" % (path, ts, want))
        doris_only = ("content", "new_backup_objects", "major_version",
                      "minor_version", "patch_version", "tablet_be_map",
                      "tablet_snapshot_path_map", "table_commit_seq_map")
        if flavor == "doris":
            for k in doris_only + ("meta_version",):
                if k not in info:
                    fail("%s: doris key %s missing" % (path, k))
            if "starrocks_meta_version" in info:
                fail("%s: starrocks key in a doris info" % path)
        else:
            for k in doris_only:
                if k in info:
                    fail("%s: doris-only key %s in a starrocks info" % (path, k))
            if "starrocks_meta_version" not in info:
                fail("%s: starrocks_meta_version missing" % path)
        if not info["backup_objects"]:
            fail("%s: no tables" % path)
        for tname, t in info["backup_objects"].items():
            for pname, p in t["partitions"].items():
                for k in ("id", "version", "indexes"):
                    if k not in p:
                        fail("%s: partition %s lacks %s" % (path, pname, k))
                if flavor == "starrocks" and p.get("version_hash") != 0:
                    fail("%s: version_hash is not 0" % path)
                if tname not in p["indexes"]:
                    fail("%s: no base index named %s" % (path, tname))
                for iname, i in p["indexes"].items():
                    for k in ("id", "schema_hash", "tablets", "tablets_order"):
                        if k not in i:
                            fail("%s: index %s lacks %s" % (path, iname, k))
                    order = i["tablets_order"]
                    want_t = str if flavor == "starrocks" else int
                    for x in order:
                        if type(x) is not want_t:
                            fail("%s: tablets_order entry %r is not %s"
                                 % (path, x, want_t.__name__))
                    if sorted(str(x) for x in order) != sorted(i["tablets"]):
                        fail("%s: tablets_order and tablets disagree" % path)
                    if [int(x) for x in order] != sorted(int(x) for x in order):
                        fail("%s: tablets_order not in creation order" % path)
    print(len(found))

elif mode == "content":  # ROOT: files under __ss_content == files in infos
    root = args[0]
    want = {}
    for label, ts, path in infos(root):
        want.setdefault(label, set()).update(tablet_objects(label, load(path)))
    for label, keys in sorted(want.items()):
        have = set()
        top = os.path.join(root, "__ss_" + label)
        for d, _dirs, files in os.walk(os.path.join(top, "__ss_content")):
            for f in files:
                have.add(os.path.relpath(os.path.join(d, f), root))
        if have != keys:
            fail("label %s: on disk but not in info: %s; in info but not "
                 "on disk: %s" % (label, sorted(have - keys)[:5],
                                  sorted(keys - have)[:5]))

elif mode == "manifest":  # OUTDIR: manifest.json == manifest.tsv == disk
    outdir = args[0]
    m = load(os.path.join(outdir, "manifest.json"))
    repo = m["repository"]
    for k in ("name", "flavor", "root", "create_time"):
        if k not in repo:
            fail("repository lacks " + k)
    root = os.path.join(outdir, repo["root"])
    prefix = {"doris": "__palo_repository_",
              "starrocks": "__starrocks_repository_"}[repo["flavor"]]
    if repo["root"] != prefix + repo["name"]:
        fail("root %r does not match flavor/name" % repo["root"])
    ri = load(os.path.join(root, "__repo_info"))
    if ri != {"name": repo["name"], "create_time": repo["create_time"]}:
        fail("__repo_info %r does not match the manifest" % ri)
    if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", ri["create_time"]):
        fail("bad create_time %r" % ri["create_time"])
    rows = {}
    for line in open(os.path.join(outdir, "manifest.tsv"), encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) != 4:
            fail("manifest.tsv: not 4 fields: %r" % line)
        rows[f[0]] = (int(f[1]), f[2], f[3])
    seen = set()
    snaps = set()
    for s in m["snapshots"]:
        for k in ("label", "timestamp", "backup_time_ms", "database",
                  "info_object", "meta_object", "status", "files"):
            if k not in s:
                fail("snapshot lacks " + k)
        if s["status"] != "OK":
            fail("status %r" % s["status"])
        base = "%s/%s/" % (s["label"], s["timestamp"])
        snaps.add((s["label"], s["timestamp"]))
        if not s["info_object"].startswith("__ss_%s/__info_%s." % (s["label"], s["timestamp"])):
            fail("bad info_object " + s["info_object"])
        if not re.fullmatch(r"__ss_%s/__meta\.[0-9a-f]{32}" % re.escape(s["label"]), s["meta_object"]):
            fail("bad meta_object " + s["meta_object"])
        info = load(os.path.join(root, s["info_object"]))
        if info["backup_time"] != s["backup_time_ms"] or info["database"] != s["database"]:
            fail("manifest and info disagree for " + base)
        for what in ("info", "meta"):
            r = rows.get(base + what)
            if r is None or r[2] != s[what + "_object"]:
                fail("manifest.tsv lacks %s%s" % (base, what))
            seen.add(base + what)
        objs = set()
        for f in s["files"]:
            r = rows.get(base + f["path"])
            if r != (f["size"], f["md5"], f["object"]):
                fail("json/tsv mismatch for %s%s" % (base, f["path"]))
            seen.add(base + f["path"])
            objs.add(f["object"])
            # path = db/table/partition/index/tablet/name, object = ...<name>.<md5>
            parts = f["path"].split("/")
            if len(parts) != 6 or parts[0] != s["database"]:
                fail("bad path " + f["path"])
            if not f["object"].endswith("/__%s/%s.%s" % (parts[4], parts[5], f["md5"])):
                fail("path/object mismatch %s %s" % (f["path"], f["object"]))
        if objs != tablet_objects(s["label"], info):
            fail("files of %s differ from its info file" % base)
    if set(rows) != seen:
        fail("manifest.tsv has extra lines: %s" % sorted(set(rows) - seen)[:5])
    disk = {(l, t) for l, t, _p in infos(root)}
    if disk != snaps:
        fail("snapshots on disk %s != manifest %s" % (sorted(disk), sorted(snaps)))
    for i in m["incomplete"]:
        if set(i) != {"label", "reason"}:
            fail("bad incomplete entry %r" % i)

elif mode == "hdr":  # ROOT: every .hdr has the Doris file header
    n = 0
    for d, _dirs, files in os.walk(args[0]):
        for f in files:
            if ".hdr." not in f:
                continue
            data = open(os.path.join(d, f), "rb").read()
            magic, ver, flen, csum, plen, padler = struct.unpack("<QIQIQI", data[:36])
            extra, = struct.unpack("<I", data[36:40])
            pb = data[40:]
            if (magic, ver, csum, extra) != (0, 1, 0, 0) or flen != len(data) \
                    or plen != len(pb) or padler != zlib.adler32(pb) \
                    or not 100 <= plen <= 300 \
                    or f.split(".")[0] != os.path.basename(d)[2:]:
                fail("bad header in " + os.path.join(d, f))
            n += 1
    if not n:
        fail("no .hdr files")

elif mode == "meta":  # ROOT: JSON __meta matches the info files
    root = args[0]
    for label, ts, path in infos(root):
        info = load(path)
        d = os.path.join(root, "__ss_" + label)
        metas = [f for f in os.listdir(d) if f.startswith("__meta")]
        if len(metas) != 1:
            fail("label %s: %d __meta files" % (label, len(metas)))
        raw = open(os.path.join(d, metas[0]), "rb").read()
        meta = json.loads(raw[4:].decode("utf-8"))
        if meta.get("db") != info["database"] or meta.get("resourceNameMap") != {}:
            fail("meta db/resourceNameMap wrong")
        tbls = meta["tblNameMap"]
        for tname, t in info["backup_objects"].items():
            mt = tbls.get(tname)
            if not mt or mt.get("clazz") != "OlapTable" or mt.get("id") != t["id"] \
                    or mt.get("name") != tname:
                fail("meta table %s missing or wrong" % tname)
            for pname, p in t["partitions"].items():
                mp = mt["idToPartition"].get(str(p["id"]))
                if not mp or mp.get("name") != pname:
                    fail("meta partition %s wrong" % pname)
                for iname, i in p["indexes"].items():
                    mi = mt["indexIdToMeta"].get(str(i["id"]))
                    if not mi or mi.get("indexName") != iname \
                            or mi.get("schemaHash") != i["schema_hash"]:
                        fail("meta index %s wrong" % iname)
            if mt["baseIndexId"] != t["partitions"][next(iter(t["partitions"]))]["indexes"][tname]["id"]:
                fail("baseIndexId wrong for " + tname)

elif mode == "get":  # FILE EXPR: print a python expression over j = json
    j = load(args[0])
    print(eval(args[1]))

else:
    fail("unknown mode " + mode)
EOF
)
pycheck() { python3 -c "$PYCHECK" "$@"; }

# check_tsv OUTDIR ROOT: every object in manifest.tsv exists with the listed
# size; md5sum equals the listed md5 and the object name's suffix; the file
# is sorted by its first column and has no header.
check_tsv() {
	local out=$1 root=$2 tsv=$1/manifest.tsv
	[ -s "$tsv" ] || { echo "empty $tsv"; return 1; }
	cut -f4 "$tsv" >"$out/.objs" || return 1
	(cd "$root" && xargs -d '\n' md5sum -- <"$out/.objs") >"$out/.sums" || return 1
	(cd "$root" && xargs -d '\n' stat -c %s -- <"$out/.objs") >"$out/.sizes" || return 1
	paste "$tsv" "$out/.sums" "$out/.sizes" | awk -F'\t' '
		NF != 6 { print "bad line " NR ": " $0; bad = 1; next }
		{
			split($5, a, " "); sum = a[1]; n = split($4, p, "."); suf = p[n]
			if ($3 != sum) { print "md5 mismatch: " $1 " " $3 " " sum; bad = 1 }
			if (suf != sum) { print "name suffix mismatch: " $4; bad = 1 }
			if ($2 != $6) { print "size mismatch: " $1 " " $2 " " $6; bad = 1 }
			if (length(sum) != 32 || sum ~ /[^0-9a-f]/) { print "bad md5 " sum; bad = 1 }
		}
		END { exit bad }' || return 1
	sort -c -t "$TAB" -k1,1 "$tsv" || { echo "manifest.tsv not sorted"; return 1; }
	rm -f "$out/.objs" "$out/.sums" "$out/.sizes"
}

# check_md5_names ROOT: __info_*/__meta* (well-formed names) have md5sum ==
# name suffix.
check_md5_names() {
	local n=0 f sum
	while IFS= read -r f; do
		sum=$(md5sum <"$f" | cut -d' ' -f1)
		[ "${f##*.}" = "$sum" ] || { echo "$f: md5sum $sum"; return 1; }
		n=$((n + 1))
	done < <(find "$1" -type f \( -name '__info_*' -o -name '__meta*' \) |
		grep -E '\.[0-9a-f]{32}$')
	[ "$n" -gt 0 ] || { echo "no info/meta files"; return 1; }
}

# check_meta_len ROOT: every __meta starts with a BE length == size - 4.
check_meta_len() {
	local f n=0 len size
	for f in "$1"/__ss_*/__meta.*; do
		[ -f "$f" ] || continue
		set -- $(od -An -tu1 -N4 "$f")
		len=$((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
		size=$(stat -c %s "$f")
		[ "$len" -eq $((size - 4)) ] || { echo "$f: len $len size $size"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

# check_info_last ROOT: in every label, no file is newer than its info files.
check_info_last() {
	local d i newer
	for d in "$1"/__ss_*; do
		for i in "$d"/__info_*; do
			case $i in *.part | *garbage*) continue ;; esac
			[ -f "$i" ] || continue
			newer=$(find "$d" -type f ! -name '__info_*' -newer "$i" | head -3)
			[ -z "$newer" ] || { echo "newer than $i: $newer"; return 1; }
		done
	done
}

tablet_dirs() { find "$1" -type d -path '*/__ss_content/*/__idx_*/__*' | wc -l; }
nfiles() { find "$1" -type f | wc -l; }
nbytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

# ---------------------------------------------------------------- default

O=$TEST_TMP/default
R=$O/__palo_repository_demo
out=$(mkrepo "$O" 2>&1)
is "default run exits 0" "$?" 0
nf=$(nfiles "$R")
nb=$(nbytes "$R")
is "summary line" "$out" \
	"snapfs-mkrepo: wrote 2 snapshots, 32 tablets, $nf files, $nb bytes to $R"
ok "manifest.tsv objects exist, sizes and md5s match" check_tsv "$O" "$R"
ok "__info_/__meta names carry md5sum of their content" check_md5_names "$R"
ok "__meta starts with a big-endian length = size - 4" check_meta_len "$R"
is "doris info files are valid (2 labels x 1 timestamp)" \
	"$(pycheck info "$R" doris 2>&1)" 2
ok "files under __ss_content == files listed in the info files" \
	pycheck content "$R"
ok "manifest.json agrees with manifest.tsv, info files and disk" \
	pycheck manifest "$O"
ok "tablet headers: magic 0, version 1, lengths, adler32" pycheck hdr "$R"
ok "JSON __meta describes the tables, partitions and indexes" pycheck meta "$R"
ok "the info file is written after everything else of its label" \
	check_info_last "$R"
is "32 tablet dirs" "$(tablet_dirs "$R")" 32
is "manifest.tsv: 2 x (info + meta + 16 tablets x 3 files) lines" \
	"$(grep -c '' "$O/manifest.tsv")" $((2 * (2 + 16 * 3)))
is "__repo_info is compact JSON with name and create_time" \
	"$(sed 's/"create_time":"[0-9: -]*"/CT/' "$R/__repo_info")" '{"name":"demo",CT}'
is "labels are snap1 snap2" "$(cd "$R" && echo __ss_*)" "__ss_snap1 __ss_snap2"
is "one info and one meta per label" \
	"$(find "$R" -maxdepth 2 -name '__info_*' | wc -l) $(find "$R" -maxdepth 2 -name '__meta*' | wc -l)" "2 2"
bad=$(find "$R/__ss_snap1/__ss_content" -type f | sed 's,.*/,,' |
	grep -Ev '^([0-9]+\.hdr|02[0-9a-f]{46}_[0-9]+\.(dat|idx))\.[0-9a-f]{32}$' | head -3)
is "tablet file names: <id>.hdr, <rowset 02+46 hex>_<n>.dat/.idx" "$bad" ""
dat=$(find "$R" -name '*.dat.*' -printf '%s\n' | sort -u)
idx=$(find "$R" -name '*.idx.*' -printf '%s\n' | sort -u)
is ".dat files are 4096 bytes, .idx 1024" "$dat/$idx" "4096/1024"
first=$(sed -n 1p "$O/manifest.tsv" | cut -f1)
case $first in snap1/20*) r=ok ;; *) r="$first" ;; esac
is "manifest.tsv has no header line" "$r" ok
is "ids start at 10000 (db id)" "$(ls "$R/__ss_snap1/__ss_content")" "__db_10000"
is "doris tablets_order are JSON numbers" \
	"$(pycheck get "$(ls "$R"/__ss_snap1/__info_*)" \
		'type(j["backup_objects"]["t1"]["partitions"]["p1"]["indexes"]["t1"]["tablets_order"][0]).__name__')" int
is "doris info meta_version 140, content ALL" \
	"$(pycheck get "$(ls "$R"/__ss_snap1/__info_*)" 'j["meta_version"], j["content"]')" "(140, 'ALL')"
ts=$(pycheck get "$O/manifest.json" '" ".join(s["timestamp"] for s in j["snapshots"])')
case $ts in 20[0-9][0-9]-[01][0-9]-[0-3][0-9]-[0-2][0-9]-[0-5][0-9]-[0-5][0-9]\ 20*) r=ok ;; *) r=$ts ;; esac
is "doris timestamps are yyyy-MM-dd-HH-mm-ss" "$r" ok

# ---------------------------------------------------------------- determinism

mkrepo --seed 7 "$TEST_TMP/s7a" >/dev/null 2>&1
mkrepo --seed 7 "$TEST_TMP/s7b" >/dev/null 2>&1
mkrepo --seed 8 "$TEST_TMP/s8" >/dev/null 2>&1
ok "same seed: identical manifests" cmp "$TEST_TMP/s7a/manifest.tsv" "$TEST_TMP/s7b/manifest.tsv"
ok "same seed: identical trees" diff -r "$TEST_TMP/s7a" "$TEST_TMP/s7b"
fails "different seed: different content" cmp -s "$TEST_TMP/s7a/manifest.tsv" "$TEST_TMP/s8/manifest.tsv"

# ---------------------------------------------------------------- starrocks

O=$TEST_TMP/sr
R=$O/__starrocks_repository_srrepo
mkrepo --flavor starrocks --name srrepo --labels 1 --timestamps 2 "$O" >/dev/null 2>&1
is "starrocks: __starrocks_repository_ root" "$(ls "$O" | grep repository)" __starrocks_repository_srrepo
ok "starrocks: manifest.tsv objects verify" check_tsv "$O" "$R"
ok "starrocks: info/meta names carry their md5" check_md5_names "$R"
is "starrocks: info files valid, strings in tablets_order, ms timestamps" \
	"$(pycheck info "$R" starrocks 2>&1)" 2
ok "starrocks: __ss_content matches the info files" pycheck content "$R"
ok "starrocks: manifest.json consistent" pycheck manifest "$O"
is "starrocks: repository flavor in manifest" \
	"$(pycheck get "$O/manifest.json" 'j["repository"]["flavor"], j["repository"]["root"]')" \
	"('starrocks', '__starrocks_repository_srrepo')"

# ---------------------------------------------------------------- timestamps

O=$TEST_TMP/ts
R=$O/__palo_repository_demo
mkrepo --timestamps 3 --tables 1 --partitions 1 --rollups 0 "$O" >/dev/null 2>&1
is "--timestamps 3: three info files per label" \
	"$(ls "$R/__ss_snap1" | grep -c '^__info_') $(ls "$R/__ss_snap2" | grep -c '^__info_')" "3 3"
is "--timestamps 3: six snapshots, distinct timestamps" \
	"$(pycheck get "$O/manifest.json" 'len(j["snapshots"]), len({s["timestamp"] for s in j["snapshots"]})')" "(6, 6)"
ok "--timestamps 3: manifests verify" check_tsv "$O" "$R"
ok "--timestamps 3: manifest.json consistent" pycheck manifest "$O"

# ---------------------------------------------------------------- total

O=$TEST_TMP/total
R=$O/__palo_repository_demo
mkrepo --total-tablets 1000 --file-size 16 "$O" >/dev/null 2>&1
is "--total-tablets 1000: exactly 1000 tablet dirs" "$(tablet_dirs "$R")" 1000
is "--total-tablets 1000: 1000 tablets in the info files" \
	"$(cat "$R"/__ss_*/__info_* | grep -o '"tablets_order":\[[^]]*\]' |
		sed 's/.*\[//; s/\]//' | tr ',' '\n' | grep -c .)" 1000
ok "--total-tablets 1000: __ss_content matches the info files" pycheck content "$R"
ok "--total-tablets 1000: manifests verify" check_tsv "$O" "$R"

# ---------------------------------------------------------------- faults

O=$TEST_TMP/faults
R=$O/__palo_repository_demo
mkrepo --incomplete-label half --incomplete-label gone --part-leftover \
	--bad-info-name --segments 2 "$O" >/dev/null 2>&1
is "fault run: incomplete labels in manifest.json" \
	"$(pycheck get "$O/manifest.json" '" ".join(sorted(i["label"] for i in j["incomplete"]))')" \
	"gone half"
is "incomplete label: no __info_ file" "$(ls "$R/__ss_half" | grep -c '^__info_')" 0
is "incomplete label: one __meta.<md5>" \
	"$(ls "$R/__ss_half" | grep -cE '^__meta\.[0-9a-f]{32}$')" 1
n=$(find "$R/__ss_half/__ss_content" -type f -name '*.hdr.*' | wc -l)
is "incomplete label: some tablet data" "$([ "$n" -gt 0 ] && echo yes)" yes
is "incomplete labels are not in manifest.tsv" \
	"$(grep -cE '^(half|gone)/' "$O/manifest.tsv")" 0
real=$(ls "$R/__ss_snap1" | grep -E '^__info_.*\.[0-9a-f]{32}$')
is "--part-leftover: __info_<ts>.part next to the real info file" \
	"$(ls "$R/__ss_snap1" | grep '\.part$')" "${real%.*}.part"
ok "--bad-info-name: __info_garbage.notanmd5" test -f "$R/__ss_snap1/__info_garbage.notanmd5"
ok "fault run: complete snapshots still verify" check_tsv "$O" "$R"
ok "fault run: manifest.json consistent" pycheck manifest "$O"
ok "fault run: well-formed info/meta names carry their md5" check_md5_names "$R"
is "--segments 2: two .dat per tablet" \
	"$(ls "$R"/__ss_snap1/__ss_content/*/*/*/*/* | grep -c '_1\.dat\.')" 16

# ---------------------------------------------------------------- variants

O=$TEST_TMP/mo
R=$O/__palo_repository_demo
mkrepo --metadata-only "$O" >/dev/null 2>&1
is "--metadata-only: no __ss_content" "$(find "$R" -name __ss_content | wc -l)" 0
is "--metadata-only: content METADATA_ONLY, empty file lists" \
	"$(pycheck get "$(ls "$R"/__ss_snap1/__info_*)" \
		'j["content"], sum(len(f) for t in j["backup_objects"].values() for p in t["partitions"].values() for i in p["indexes"].values() for f in i["tablets"].values())')" \
	"('METADATA_ONLY', 0)"
is "--metadata-only: manifest.tsv has only info and meta lines" \
	"$(cut -f1 "$O/manifest.tsv" | sed 's,.*/,,' | sort | uniq -c | tr -s ' \n' ' ')" \
	" 2 info 2 meta "

O=$TEST_TMP/legacy
R=$O/__palo_repository_demo
mkrepo --meta legacy --tables 3 "$O" >/dev/null 2>&1
is "--meta legacy: meta_version 120" \
	"$(pycheck get "$(ls "$R"/__ss_snap1/__info_*)" 'j["meta_version"]')" 120
is "--meta legacy: int32 table count, then Text \"OLAP\"" \
	"$(od -An -c -N12 "$R"/__ss_snap1/__meta.* | tr -s ' ')" \
	" \\0 \\0 \\0 003 \\0 \\0 \\0 004 O L A P"
ok "--meta legacy: manifests verify" check_tsv "$O" "$R"

O=$TEST_TMP/views
R=$O/__palo_repository_demo
mkrepo --views 2 --labels 1 "$O" >/dev/null 2>&1
is "--views 2: views in new_backup_objects" \
	"$(pycheck get "$(ls "$R"/__ss_snap1/__info_*)" '[v["name"] for v in j["new_backup_objects"]["views"]]')" \
	"['v1', 'v2']"
is "--views 2: views in __meta, no data" \
	"$(tail -c +5 "$R"/__ss_snap1/__meta.* | grep -o '"clazz":"View"' | wc -l) $(ls "$R"/__ss_snap1/__ss_content/*/ | wc -l)" \
	"2 2"

# ---------------------------------------------------------------- usage

usage_err() { # expected-substring args...: exits 2, message names it
	local want=$1 err rc
	shift
	err=$(mkrepo "$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -eq 2 ] || { echo "exit $rc: $err"; return 1; }
	case $err in *"$want"*) return 0 ;; esac
	echo "message lacks '$want': $err"
	return 1
}
ok "--tables -1 is rejected" usage_err --tables --tables -1 "$TEST_TMP/u1"
ok "unknown flavor is rejected" usage_err flavor --flavor oracle "$TEST_TMP/u2"
ok "missing OUTDIR is rejected" usage_err OUTDIR
ok "--buckets with --total-tablets is rejected" usage_err total-tablets \
	--buckets 2 --total-tablets 9 "$TEST_TMP/u3"
ok "existing repository is refused" usage_err "already exists" "$TEST_TMP/default"
ok "existing repository of the other flavor is refused" usage_err "already exists" \
	--flavor starrocks "$TEST_TMP/default"
is "usage errors wrote nothing" "$(ls "$TEST_TMP" | grep -c '^u[0-9]')" 0

done_testing
