#!/bin/bash
# Listings that take many pages: -o list_page=2 (and 1) over a repository
# with many labels, timestamps and tablets; every listing is complete and
# equal to the generator's manifest and to awscli's listing. On Swift and
# on s3rver (whose continuation tokens need the legacy OpenSSL provider).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
require_fuse
s3_require
PER=11
s3_plan $PER

R=$TEST_TMP/repo
mkrepo --labels 4 --timestamps 2 --tables 1 --partitions 1 --rollups 1 --buckets 2 --file-size 1000 "$R" >/dev/null
nobj=$(cd "$R/__palo_repository_demo" && find . -type f | wc -l)
labels=$(json_get "$R/manifest.json" '" ".join(sorted({s["label"] for s in d["snapshots"]}))')
manifest_files "$R" | cut -f1,2 | tr '\t' ' ' | LC_ALL=C sort >"$TEST_TMP/want"

paging() {
	local srv=$1 b M=$TEST_TMP/mnt-$1 M1=$TEST_TMP/mnt1-$1 l bad e
	s3_use "$srv"
	b=$(s3_bucket)
	ok "$srv: $nobj objects uploaded with awscli" s3_upload_repo "$R" "$b" backups
	is "$srv: the server pages them 2 at a time (aws --page-size 2)" \
		"$(s3_aws s3api list-objects-v2 --bucket "$b" --page-size 2 --query 'Contents[].Key' --output text 2>&1 | tr '\t' '\n' | grep -c .)" "$nobj"

	ok "$srv: mount with list_page=2" s3_mount "s3://$b/backups" "$M" -o list_page=2
	is "$srv: snapshots/ lists every label" "$(ls "$M/snapshots" 2>&1 | tr '\n' ' ' | sed 's/ $//')" "$labels"
	bad=0
	for l in $labels; do
		[ "$(ls "$M/snapshots/$l" 2>&1 | grep -v '^latest$\|^status$' | tr '\n' ' ')" = \
			"$(json_get "$R/manifest.json" '" ".join(sorted(s["timestamp"] for s in d["snapshots"] if s["label"]=="'"$l"'"))') " ] ||
			{ bad=$((bad + 1)); diag "timestamps of $l: $(ls "$M/snapshots/$l" 2>&1 | tr '\n' ' ')"; }
	done
	is "$srv: every label lists all its timestamps" "$bad" 0
	(cd "$M/snapshots" && find . -path '*/latest' -prune -o -type f -printf '%P %s\n' |
		grep -Ev '/(info|meta|meta\.json|status) ' | grep -v '^[^/]*/status ' | LC_ALL=C sort) >"$TEST_TMP/got-$srv"
	ok "$srv: the tree holds exactly the manifest's files and sizes" diff "$TEST_TMP/want" "$TEST_TMP/got-$srv"

	(cd "$M/raw" && find . -type f -printf '%P %s\n' | LC_ALL=C sort) >"$TEST_TMP/raw-$srv"
	s3_list_keys "$b" backups | sed 's|^__palo_repository_demo/||' >"$TEST_TMP/keys-$srv"
	if [ "$srv" = s3rver ]; then
		# S3RVER_QUIRKS: no listing shows what is below __ss_content/.
		grep -v '/__ss_content/' "$TEST_TMP/keys-$srv" >"$TEST_TMP/k" && mv "$TEST_TMP/k" "$TEST_TMP/keys-$srv"
		grep -v '/__ss_content/' "$TEST_TMP/raw-$srv" >"$TEST_TMP/k" && mv "$TEST_TMP/k" "$TEST_TMP/raw-$srv"
	fi
	ok "$srv: raw/ lists every object, 2 keys a page" diff "$TEST_TMP/keys-$srv" "$TEST_TMP/raw-$srv"
	s3_umount "$M"

	ok "$srv: mount with list_page=1" s3_mount "s3://$b/backups" "$M1" -o list_page=1
	is "$srv: snapshots/ still lists every label" "$(ls "$M1/snapshots" 2>&1 | tr '\n' ' ' | sed 's/ $//')" "$labels"
	is "$srv: and raw/ every object of a label" \
		"$(cd "$M1/raw/__ss_snap2" 2>/dev/null && find . -maxdepth 1 -type f | wc -l)" 3
	s3_umount "$M1"

	e=$TEST_TMP/err
	s3_creds timeout 20 "$SNAPFS" -f -o "$(s3_opts)",list_page=1001 "s3://$b/backups" "$M1" 2>"$e" </dev/null
	if [ $? -ne 0 ] && grep -q 'list_page' "$e"; then pass "$srv: list_page=1001 is refused"; else
		fail "$srv: list_page=1001 is refused"; diag "$(cat "$e")"; s3_umount "$M1"; fi
}

s3_each $PER paging
s3_log_tail
done_testing
