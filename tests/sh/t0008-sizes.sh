#!/bin/bash
# No file under src/ or fuse/ over 1,000 lines and no function over 100
# (tests/tools/check-sizes), so the hubs issue 9 broke up stay broken up;
# and the checker does find a planted long function and a long file.
. "$(dirname "$0")/lib.sh"
require_prog python3 || plan_skip "python3 not found"
check=$top_srcdir/tests/tools/check-sizes
plan 4

out=$(python3 "$check" --srcdir "$top_srcdir")
while IFS= read -r line; do
	case $line in
	"ok - "*) pass "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	"#"*) diag "${line#\# }" ;;
	esac
done <<<"$out"

# A planted tree: one function of 101 lines, one file of 1,001 lines.
mkdir -p "$TEST_TMP/tree/src/x" "$TEST_TMP/tree/fuse"
{
	printf 'static int long_one(int a,\n\t\t    int b)\n{\n'
	for i in $(seq 1 101); do printf '\ta += b;\n'; done
	printf '}\n\nint short_one(void)\n{\n\treturn 0;\n}\n'
} >"$TEST_TMP/tree/src/x/a.c"
seq 1 1001 | sed 's/^/\/\/ /' >"$TEST_TMP/tree/src/x/b.h"
out=$(python3 "$check" --srcdir "$TEST_TMP/tree")
rc=$?
case $out in
*"src/x/a.c:1: static int long_one(int a,: 101 lines"*) pass "a 101-line function is found, by its signature line" ;;
*) fail "a 101-line function is found, by its signature line"; diag "$out" ;;
esac
case "$rc:$out" in
1:*"src/x/b.h: 1001 lines"*) pass "a 1,001-line file is found and the checker fails" ;;
*) fail "a 1,001-line file is found and the checker fails"; diag "rc=$rc $out" ;;
esac
done_testing
