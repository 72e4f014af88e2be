#!/bin/bash
# Every C file includes banned.h last among its includes, and no header
# declares a global variable (STYLE.md rules 3 and 21).
. "$(dirname "$0")/lib.sh"
cd "$top_srcdir" || exit 1
files=$(ls src/*/*.c fuse/*.c)
plan "$(($(wc -w <<<"$files") + 1))"
for f in $files; do
	last=$(grep '^#include' "$f" | tail -1)
	case $f in src/base/*) want='#include "banned.h"' ;; *) want='#include "base/banned.h"' ;; esac
	is "$f includes banned.h last" "$last" "$want"
done
globals=$(grep -nE '^extern [a-z_ ]+[a-z_]+;' src/*/*.h | grep -v 'const struct store_ops' || true)
is "no header declares a global variable (ops tables aside)" "$globals" ""
done_testing
