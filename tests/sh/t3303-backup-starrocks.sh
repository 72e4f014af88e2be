#!/bin/bash
# BACKUP into a StarRocks repository: millisecond timestamps, string
# tablets_order, StarRocks info keys; metadata_only refused; the result
# passes the independent layout checker and restores.
. "$(dirname "$0")/lib.sh"
require_fuse
plan 8

R=$TEST_TMP/repo
M=$TEST_TMP/mnt
mkrepo --flavor starrocks --labels 1 "$R" >/dev/null
RR=$R/__starrocks_repository_demo
ok "mount a StarRocks repository" mount_snapfs "$R" "$M" -o data_dir="$TEST_TMP/d",backends=1
ts=$(readlink "$M/snapshots/snap1/latest")
last_job() { ls "$M/jobs" | grep -E "^[0-9]+$" | sort -n | tail -1; }
wait_done() { for _ in $(seq 1 300); do grep -qE '^State: (FINISHED|CANCELLED)' "$M/jobs/$1/status" && break; sleep 0.05; done; sed -n 's/^State: //p' "$M/jobs/$1/status"; }
echo "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES (\"backup_timestamp\"=\"$ts\", \"replication_num\"=\"1\")" >"$M/control/restore"
is "restore from StarRocks" "$(wait_done "$(last_job)")" FINISHED
fails "metadata_only is refused for StarRocks" bash -c "echo 'BACKUP SNAPSHOT db1.m TO demo PROPERTIES (\"content\"=\"metadata_only\")' >'$M/control/backup'"
echo "BACKUP SNAPSHOT db1.sr TO demo" >"$M/control/backup"
is "backup to StarRocks" "$(wait_done "$(last_job)")" FINISHED
info=$(ls "$RR"/__ss_sr/__info_*)
ok "the timestamp has milliseconds" bash -c "basename '$info' | grep -qE '^__info_[0-9]{4}(-[0-9]{2}){5}-[0-9]{3}\\.[0-9a-f]{32}$'"
ok "tablets_order holds strings, no Doris-only keys" python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
assert 'content' not in d and 'new_backup_objects' not in d and 'starrocks_meta_version' in d
for t in d['backup_objects'].values():
  for p in t['partitions'].values():
    for i in p['indexes'].values():
      assert all(isinstance(x,str) for x in i['tablets_order'])
" "$info"
ok "the independent checker accepts it as StarRocks" python3 "$top_srcdir/tests/tools/check-repo-layout" --flavor starrocks "$RR"
sleep 0.3
ok "the mount shows it OK" grep -qx OK <(head -1 "$M/snapshots/sr/latest/status")
done_testing
