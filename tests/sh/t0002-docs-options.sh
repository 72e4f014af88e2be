#!/bin/bash
# The man page documents what the program offers: every option that
# `snapfs --help` prints is a .TP item of docs/snapfs.1, every exit status it
# names is listed, the xattr names match src/fs/fs.h, the required sections are
# there, and groff formats the page without warnings.
. "$(dirname "$0")/lib.sh"

MAN=$top_srcdir/docs/snapfs.1
[ -x "$SNAPFS" ] || plan_skip "snapfs not built"
[ -f "$MAN" ] || plan_skip "docs/snapfs.1 missing"

# skip TITLE REASON: a test point that could not run.
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }

# Plain text of roff source lines: the arguments of font macros joined as
# man(7) joins them (.B/.I with spaces, .BR/.IB/... without), quotes
# removed, escapes for hyphens, fonts and zero-width marks dropped.
roff_text() {
	awk '
	function args(s, joiner,    out, tok, q, i, c, n) {
		out = ""; tok = ""; q = 0; n = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c == "\"") { q = !q; continue }
			if (c == " " && !q) {
				if (tok != "") { out = out (n++ ? joiner : "") tok; tok = "" }
				continue
			}
			tok = tok c
		}
		if (tok != "") out = out (n++ ? joiner : "") tok
		return out
	}
	{
		line = $0
		if (line ~ /^\.(B|I|SM|SB)( |$)/) {
			sub(/^\.[A-Z]+ */, "", line); line = args(line, " ")
		} else if (line ~ /^\.(BR|BI|IB|IR|RB|RI)( |$)/) {
			sub(/^\.[A-Z]+ */, "", line); line = args(line, "")
		}
		print line
	}' | sed -e 's/\\f\[[^]]*\]//g' -e 's/\\f([A-Z][A-Z]//g' \
		-e 's/\\f[A-Z]//g' -e 's/\\-/-/g' -e 's/\\[&:]//g' \
		-e 's/\\ / /g' -e 's/\\e/\\/g'
}

help=$("$SNAPFS" --help 2>&1)
# Option spellings: the first column of lines starting with spaces and '-',
# split at ", " ("-h, --help" gives "-h" and "--help").
opts=$(printf '%s\n' "$help" | sed -n 's/^[[:space:]]\{1,\}\(-.*\)$/\1/p' |
	sed 's/  .*//; s/, /\n/g')
# The .TP items of the page, each split at ", " as well.
tags=$(awk '/^\.TP/ { if ((getline l) > 0) print l }' "$MAN" | roff_text |
	sed 's/, /\n/g')
sections=$(sed -n 's/^\.SH[[:space:]]\{1,\}//p' "$MAN" | tr -d '"')
required="NAME
SYNOPSIS
DESCRIPTION
REPOSITORY URLS
OPTIONS
THE MOUNT TREE
SNAPSHOT STATUS
INTEGRITY
FILES
EXIT STATUS
EXAMPLES
SEE ALSO"

nopts=$(printf '%s\n' "$opts" | grep -c .)
nreq=$(printf '%s\n' "$required" | grep -c .)
plan $((1 + nopts + nreq + 4))

if [ "$nopts" -ge 10 ]; then
	pass "--help lists options ($nopts spellings)"
else
	fail "--help lists options ($nopts spellings)"
	diag "$help"
fi

while IFS= read -r o; do
	[ -n "$o" ] || continue
	if printf '%s\n' "$tags" | grep -qxF -- "$o"; then
		pass "option documented: $o"
	else
		fail "option documented: $o"
		diag "no .TP item reads \"$o\" in docs/snapfs.1"
	fi
done <<<"$opts"

while IFS= read -r s; do
	if printf '%s\n' "$sections" | grep -qxF -- "$s"; then
		pass "section present: $s"
	else
		fail "section present: $s"
		diag "sections found: $(printf '%s' "$sections" | tr '\n' ',')"
	fi
done <<<"$required"

# "exit status: 0 ok, 1 usage, ..." in --help: each code is an item of
# EXIT STATUS.
codes=$(printf '%s\n' "$help" | sed -n 's/^exit status://p' | grep -o '[0-9]\{1,\}')
listed=$(awk '/^\.SH/ { on = ($0 ~ /EXIT STATUS/) }
	on && /^\.TP/ { if ((getline l) > 0) print l }' "$MAN" | roff_text)
missing=
for c in $codes; do
	printf '%s\n' "$listed" | grep -qxF -- "$c" || missing="$missing $c"
done
if [ -n "$codes" ] && [ -z "$missing" ]; then
	pass "EXIT STATUS lists every code --help names ($(echo $codes))"
else
	fail "EXIT STATUS lists every code --help names"
	diag "codes in --help: $(echo $codes); missing:${missing:- (none parsed)}"
fi

text=$(roff_text <"$MAN")
missing=
for x in $(sed -n 's/^#define SNAPFS_XATTR_[A-Z_]*[[:space:]]*"\(.*\)"/\1/p' \
	"$top_srcdir/src/fs/fs.h"); do
	printf '%s\n' "$text" | grep -qF -- "$x" || missing="$missing $x"
done
is "every xattr of src/fs/fs.h is documented" "${missing:-none}" "none"

is "SYNOPSIS matches the usage line" \
	"$(printf '%s\n' "$help" | sed -n 's/^usage: [^ ]* //p')" \
	"$(awk '/^\.SH SYNOPSIS/ { on = 1; next } /^\.(SH|PP)/ { on = 0 }
		on' "$MAN" | roff_text | tr '\n' ' ' | sed 's/ *$//;
		s/^snapfs //')"

if require_prog groff; then
	warn=$(groff -man -ww -z "$MAN" 2>&1; groff -man -Tutf8 -ww -z "$MAN" 2>&1)
	is "groff formats the page without warnings" "$warn" ""
else
	skip "groff formats the page without warnings" "groff not installed"
fi

done_testing
