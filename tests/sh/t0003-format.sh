#!/bin/bash
# The C sources are formatted as .clang-format says (make format fixes).
. "$(dirname "$0")/lib.sh"
require_prog clang-format || plan_skip "clang-format not found"
cd "$top_srcdir" || exit 1
files=$(ls src/*/*.[ch] fuse/*.[ch] tests/unit/*.[ch] 2>/dev/null)
plan "$(wc -w <<<"$files")"
for f in $files; do
	ok "$f is clang-formatted" clang-format --dry-run -Werror "$f"
done
done_testing
