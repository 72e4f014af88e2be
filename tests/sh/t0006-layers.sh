#!/bin/bash
# t0006-layers: the modules depend on each other one way (STYLE.md 2a):
# tests/tools/check-layers reads every #include in src/*/ and fuse/ and
# every cross-file call or data reference in the built objects, and
# reports each include or symbol that points up the layers, crosses into
# another folder other than through its public header X/X.h, or closes a
# circle between files or folders. Each of its TAP lines is one test here.
. "$(dirname "$0")/lib.sh"

CHECK=$top_srcdir/tests/tools/check-layers
require_prog python3 || plan_skip "python3 not found"
require_prog "${NM:-nm}" || plan_skip "nm not found"
[ -x "$CHECK" ] || plan_skip "$CHECK not executable"
[ -f "$top_builddir/libsnapfs.a" ] || plan_skip "libsnapfs.a not built"

"$CHECK" --srcdir "$top_srcdir" --builddir "$top_builddir" >"$TEST_TMP/out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	echo "Bail out! check-layers exited $rc: $(head -c 500 "$TEST_TMP/out")"
	exit 1
fi
# Re-emit through lib.sh so that the counts and the exit status agree.
plan "$(grep -cE '^(not )?ok ' "$TEST_TMP/out")"
while IFS= read -r line; do
	case $line in
	"not ok "*) fail "${line#not ok * - }" ;;
	"ok "*) pass "${line#ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$TEST_TMP/out"
done_testing
