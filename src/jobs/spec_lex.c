/* SPDX-License-Identifier: MIT */
/*
 * spec_lex.c - the cursor of the statement parser (spec_int.h): bytes to
 * tokens, errors with their line and column, names, the kinds' names.
 *
 * The parser keeps one cursor into the text and moves it only past a token
 * it has lexed and accepted, so every error points at the token that broke
 * the statement, or at the end of the input. Where that is the end of the
 * text (or a word or comment the end may have cut), the error is
 * "incomplete" (-EAGAIN), not "invalid" (-EINVAL): the control plane keeps
 * such a statement and waits for the rest of it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_int.h"

#include "base/banned.h"

#define NAME_MAX_BYTES 255

/*
 * Words that are never names, so that a forgotten name is reported where it
 * is missing ("RESTORE SNAPSHOT FROM r") and ON items need no lookahead.
 * A name spelled like one of them is written quoted.
 */
static const char *const reserved[] = {
	"ALL",	     "AS",	   "DATABASE", "FROM", "ON",
	"PARTITION", "PROPERTIES", "TABLE",    "TO",
};

/* ASCII only: the parser must not depend on the locale. */
static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

bool spec_ascii_eq_n(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

bool spec_ascii_eq(const char *a, const char *b)
{
	return spec_ascii_eq_n(a, strlen(a), b, strlen(b));
}

/*
 * Render user text for a message: control bytes escaped, and backslashes
 * and double quotes too if it goes between quotes (esc), cut after
 * SPEC_SHOW_MAX output bytes on a character boundary. Returns buf.
 */
const char *spec_show(char *buf, size_t size, const char *s, size_t len,
		      bool esc)
{
	size_t i, o = 0, need;
	unsigned char c;
	char tmp[8];

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			need = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else if (esc && (c == '\\' || c == '"'))
			need = (size_t)snprintf(tmp, sizeof(tmp), "\\%c", c);
		else
			need = (size_t)snprintf(tmp, sizeof(tmp), "%c", c);
		/* Stop at a character start once the budget is spent. */
		if ((c & 0xc0) != 0x80 && o + need > SPEC_SHOW_MAX) {
			if (o + 4 <= size) {
				memcpy(buf + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (o + need + 1 > size)
			break;
		memcpy(buf + o, tmp, need);
		o += need;
	}
	buf[o] = '\0';
	return buf;
}

/* --- tokenizer ---------------------------------------------------------- */

static void step(const struct spec_parser *p, struct spec_pos *q)
{
	unsigned char c = (unsigned char)p->s[q->off++];

	if (c == '\n') {
		q->line++;
		q->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		q->col++;
	}
}

static int byte_at(const struct spec_parser *p, const struct spec_pos *q,
		   size_t k)
{
	return q->off + k < p->len ? (unsigned char)p->s[q->off + k] : -1;
}

static bool word_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '-' ||
	       c >= 0x80;
}

/* --- errors ------------------------------------------------------------- */

/*
 * Every keyword the grammar (spec.c) looks for, so that a word the end of
 * the text cut short can be told from a wrong one (SPEC_CUT_KEYWORD).
 */
static const char *const keywords[] = {
	"ALL",	      "AS",	 "BACKUP",   "CANCEL",	  "CLEAN",
	"DATABASE",   "DROP",	 "FROM",     "ON",	  "PARTITION",
	"PROPERTIES", "RESTORE", "SNAPSHOT", "SNAPSHOTS", "TABLE",
	"TABLES",     "TO",	 "VERIFY",
};

/* May the word w (n bytes) become a keyword, if more text follows? With
 * @equal, a whole keyword counts too. */
static bool begins_keyword(const char *w, size_t n, bool equal)
{
	size_t i, k;

	for (i = 0; i < SPEC_NELEM(keywords); i++) {
		k = strlen(keywords[i]);
		if ((k > n || (equal && k == n)) &&
		    spec_ascii_eq_n(w, n, keywords[i], n))
			return true;
	}
	return false;
}

/* Did the text run out at @at, so that more of it may mend the statement?
 * (enum spec_cut in spec_int.h says when.) */
static bool ran_out(const struct spec_parser *p, const struct spec_pos *at,
		    enum spec_cut cut)
{
	size_t i, n;
	const char *w;

	if (cut == SPEC_CUT_NEVER)
		return false;
	if (at->off >= p->len)
		return true;
	w = p->s + at->off;
	n = p->len - at->off;
	if (n == 1 && (w[0] == '/' || w[0] == '-'))
		return true; /* may open a comment */
	for (i = 0; i < n; i++)
		if (!word_byte((unsigned char)w[i]) ||
		    (w[i] == '-' && i + 1 < n && w[i + 1] == '-'))
			return false; /* not one word up to the end */
	if (cut == SPEC_CUT_NAME)
		return true;
	if (cut == SPEC_CUT_COMMENT)
		return false;
	/* "PROPERTIES-" may be "PROPERTIES" and a "--" comment. */
	if (w[n - 1] == '-')
		return begins_keyword(w, n - 1, true);
	return begins_keyword(w, n, false);
}

static int vfail(struct spec_parser *p, const struct spec_pos *at,
		 enum spec_cut cut, const char *fmt, va_list ap)
{
	p->err.line = at->line;
	p->err.col = at->col;
	vsnprintf(p->err.msg, sizeof(p->err.msg), fmt, ap);
	return ran_out(p, at, cut) ? -EAGAIN : -EINVAL;
}

int spec_fail_cut(struct spec_parser *p, const struct spec_pos *at,
		  enum spec_cut cut, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p, at, cut, fmt, ap);
	va_end(ap);
	return rc;
}

int spec_fail(struct spec_parser *p, const struct spec_pos *at, const char *fmt,
	      ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p, at, SPEC_CUT_KEYWORD, fmt, ap);
	va_end(ap);
	return rc;
}

int spec_oom(struct spec_parser *p, const struct spec_pos *at)
{
	spec_fail_cut(p, at, SPEC_CUT_NEVER, "out of memory");
	return -ENOMEM;
}

static int nul_byte(struct spec_parser *p, const struct spec_pos *q)
{
	return spec_fail_cut(p, q, SPEC_CUT_NEVER, "NUL byte in the statement");
}

/* Skip blanks and comments. */
static int skip_blank(struct spec_parser *p, struct spec_pos *q)
{
	struct spec_pos start;
	int c;

	for (;;) {
		c = byte_at(p, q, 0);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			step(p, q);
		} else if (c == '#' || (c == '-' && byte_at(p, q, 1) == '-')) {
			while ((c = byte_at(p, q, 0)) >= 0 && c != '\n') {
				if (c == '\0')
					return nul_byte(p, q);
				step(p, q);
			}
		} else if (c == '/' && byte_at(p, q, 1) == '*') {
			start = *q;
			step(p, q);
			step(p, q);
			for (;;) {
				c = byte_at(p, q, 0);
				if (c < 0)
					return spec_fail(p, q,
							 "unterminated comment "
							 "starting at line %u, "
							 "column %u",
							 start.line, start.col);
				if (c == '\0')
					return nul_byte(p, q);
				if (c == '*' && byte_at(p, q, 1) == '/')
					break;
				step(p, q);
			}
			step(p, q);
			step(p, q);
		} else {
			return 0;
		}
	}
}

/* q is on the opening quote; leaves q past the closing one. */
static int lex_quoted(struct spec_parser *p, struct spec_pos *q)
{
	struct spec_pos start = *q;
	int quote = byte_at(p, q, 0), c, e;

	step(p, q);
	for (;;) {
		c = byte_at(p, q, 0);
		if (c < 0)
			return spec_fail(p, q,
					 "unterminated %s starting at line %u, "
					 "column %u",
					 quote == '`' ? "quoted identifier"
						      : "string",
					 start.line, start.col);
		if (c == '\0')
			return nul_byte(p, q);
		if (c == quote) {
			step(p, q);
			/* `` inside back quotes is one back quote. */
			if (quote != '`' || byte_at(p, q, 0) != '`')
				return 0;
			step(p, q);
			continue;
		}
		if (c == '\\' && quote != '`') {
			e = byte_at(p, q, 1);
			if (e == '"' || e == '\'' || e == '\\' || e == 'n' ||
			    e == 't') {
				step(p, q);
				step(p, q);
				continue;
			}
			if (e >= 0x20 && e < 0x7f)
				return spec_fail(
					p, q,
					"unknown escape \"\\%c\" in a "
					"string (known: \\\" \\' \\\\ \\n "
					"\\t)",
					e);
			if (e == '\0')
				return nul_byte(p, q);
			if (e >= 0)
				return spec_fail(
					p, q,
					"a backslash in a string must be "
					"followed by one of \" ' \\ n t");
			/* e < 0: fall through to "unterminated" */
		}
		step(p, q);
	}
}

/* Lex the token at or after *from into *t. */
static int lex(struct spec_parser *p, const struct spec_pos *from,
	       struct spec_tok *t)
{
	struct spec_pos q = *from;
	int c, rc;

	rc = skip_blank(p, &q);
	if (rc < 0)
		return rc;
	t->at = q;
	c = byte_at(p, &q, 0);
	switch (c) {
	case -1:
		t->kind = TOK_END;
		break;
	case '(':
		t->kind = TOK_LPAREN;
		step(p, &q);
		break;
	case ')':
		t->kind = TOK_RPAREN;
		step(p, &q);
		break;
	case ',':
		t->kind = TOK_COMMA;
		step(p, &q);
		break;
	case '.':
		t->kind = TOK_DOT;
		step(p, &q);
		break;
	case '=':
		t->kind = TOK_EQ;
		step(p, &q);
		break;
	case ';':
		t->kind = TOK_SEMI;
		step(p, &q);
		break;
	case '`':
	case '"':
	case '\'':
		t->kind = c == '`'   ? TOK_BQUOTE
			  : c == '"' ? TOK_DQUOTE
				     : TOK_SQUOTE;
		rc = lex_quoted(p, &q);
		if (rc < 0)
			return rc;
		break;
	case '\0':
		return nul_byte(p, &q);
	default:
		if (!word_byte(c)) {
			if (c > 0x20 && c < 0x7f)
				return spec_fail(
					p, &q, "unexpected character '%c'", c);
			return spec_fail(p, &q, "unexpected byte 0x%02x", c);
		}
		t->kind = TOK_WORD;
		/* "--" starts a comment even inside a word. */
		while (word_byte(byte_at(p, &q, 0)) &&
		       !(byte_at(p, &q, 0) == '-' && byte_at(p, &q, 1) == '-'))
			step(p, &q);
		break;
	}
	t->next = q;
	return 0;
}

int spec_peek(struct spec_parser *p, struct spec_tok *t)
{
	return lex(p, &p->cur, t);
}

void spec_take(struct spec_parser *p, const struct spec_tok *t)
{
	p->cur = t->next;
}

static const char *tok_raw(const struct spec_parser *p,
			   const struct spec_tok *t, size_t *len)
{
	*len = t->next.off - t->at.off;
	return p->s + t->at.off;
}

bool spec_is_kw(const struct spec_parser *p, const struct spec_tok *t,
		const char *kw)
{
	const char *raw;
	size_t len;

	if (t->kind != TOK_WORD)
		return false;
	raw = tok_raw(p, t, &len);
	return spec_ascii_eq_n(raw, len, kw, strlen(kw));
}

static bool is_reserved(const struct spec_parser *p, const struct spec_tok *t)
{
	size_t i;

	for (i = 0; i < SPEC_NELEM(reserved); i++)
		if (spec_is_kw(p, t, reserved[i]))
			return true;
	return false;
}

/* "end of input", or the token's text for "found %s". */
const char *spec_tok_desc(const struct spec_parser *p, const struct spec_tok *t,
			  char *buf, size_t size)
{
	char tmp[SPEC_SHOW_BUF];
	const char *raw;
	size_t len;

	if (t->kind == TOK_END)
		return "end of input";
	raw = tok_raw(p, t, &len);
	if (t->kind == TOK_BQUOTE || t->kind == TOK_DQUOTE ||
	    t->kind == TOK_SQUOTE)
		return spec_show(buf, size, raw, len, false);
	snprintf(buf, size, "\"%s\"",
		 spec_show(tmp, sizeof(tmp), raw, len, true));
	return buf;
}

/* The value of a word or quoted token, NUL terminated; NULL if no memory. */
char *spec_tok_text(const struct spec_parser *p, const struct spec_tok *t)
{
	const char *raw;
	size_t len, i, o = 0;
	char *s, c;

	raw = tok_raw(p, t, &len);
	if (t->kind == TOK_WORD)
		return strndup(raw, len);
	/* Drop the quotes; escapes only shrink the text. */
	raw++;
	len -= 2;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (i = 0; i < len; i++) {
		c = raw[i];
		if (t->kind == TOK_BQUOTE && c == '`') {
			i++; /* the lexer saw a doubled back quote */
		} else if (t->kind != TOK_BQUOTE && c == '\\') {
			c = raw[++i];
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
		}
		s[o++] = c;
	}
	s[o] = '\0';
	return s;
}

/* --- grammar helpers ---------------------------------------------------- */

int spec_expect(struct spec_parser *p, enum spec_tok_kind kind,
		const char *what, const char *ctx)
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_tok t;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind != kind)
		return spec_fail(p, &t.at, "expected %s %s, found %s", what,
				 ctx, spec_tok_desc(p, &t, buf, sizeof(buf)));
	spec_take(p, &t);
	return 0;
}

/*
 * Where only @kw may come, a word the end of the text cut short is
 * incomplete only if @kw begins with it ("FR" for FROM, not "d").
 */
static enum spec_cut cut_for(const struct spec_parser *p,
			     const struct spec_tok *t, const char *kw)
{
	size_t len, n;
	const char *raw = tok_raw(p, t, &len);

	if (t->kind != TOK_WORD)
		return SPEC_CUT_COMMENT;
	/* "FROM-" may be FROM and a "--" comment. */
	n = len > 0 && raw[len - 1] == '-' ? len - 1 : len;
	if ((n < strlen(kw) || (n == strlen(kw) && n < len)) &&
	    spec_ascii_eq_n(raw, n, kw, n))
		return SPEC_CUT_NAME; /* i.e. any such word */
	return SPEC_CUT_COMMENT;
}

int spec_expect_kw(struct spec_parser *p, const char *kw, const char *ctx)
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_tok t;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (!spec_is_kw(p, &t, kw))
		return spec_fail_cut(p, &t.at, cut_for(p, &t, kw),
				     "expected %s %s, found %s", kw, ctx,
				     spec_tok_desc(p, &t, buf, sizeof(buf)));
	spec_take(p, &t);
	return 0;
}

int spec_list_next(struct spec_parser *p, const char *what)
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_tok t;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind != TOK_RPAREN && t.kind != TOK_COMMA)
		return spec_fail(p, &t.at,
				 "expected \",\" or \")\" in %s, found %s",
				 what, spec_tok_desc(p, &t, buf, sizeof(buf)));
	spec_take(p, &t);
	return t.kind == TOK_RPAREN;
}

/* Why name can't be a path component, or NULL if it can. */
const char *spec_name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "a name cannot be empty";
	if (len > NAME_MAX_BYTES)
		return "a name can be at most 255 bytes";
	if (memchr(name, '/', len))
		return "a name cannot contain '/'";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "\".\" and \"..\" are not names";
	return NULL;
}

/*
 * Take a name: a bare word that is not reserved, a `quoted` or a "quoted"
 * identifier, which must be usable as a path component. what has no
 * article ("table name"); ctx says where ("after FROM").
 */
int spec_take_name(struct spec_parser *p, const char *what, const char *ctx,
		   char **out, struct spec_pos *at)
{
	char buf[SPEC_SHOW_BUF + 8], nbuf[SPEC_SHOW_BUF];
	const char *why, *raw;
	struct spec_tok t;
	size_t len;
	char *name;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind == TOK_WORD && is_reserved(p, &t)) {
		raw = tok_raw(p, &t, &len);
		return spec_fail_cut(
			p, &t.at, SPEC_CUT_NAME,
			"expected a %s %s, found the keyword %s (write "
			"`%s` to use it as a name)",
			what, ctx, spec_tok_desc(p, &t, buf, sizeof(buf)),
			spec_show(nbuf, sizeof(nbuf), raw, len, false));
	}
	if (t.kind != TOK_WORD && t.kind != TOK_BQUOTE && t.kind != TOK_DQUOTE)
		return spec_fail(p, &t.at, "expected a %s %s, found %s", what,
				 ctx, spec_tok_desc(p, &t, buf, sizeof(buf)));
	name = spec_tok_text(p, &t);
	if (!name)
		return spec_oom(p, &t.at);
	why = spec_name_problem(name);
	if (why) {
		rc = spec_fail_cut(
			p, &t.at, SPEC_CUT_NEVER, "bad %s \"%s\": %s", what,
			spec_show(nbuf, sizeof(nbuf), name, strlen(name), true),
			why);
		free(name);
		return rc;
	}
	spec_take(p, &t);
	*out = name;
	if (at)
		*at = t.at;
	return 0;
}

/*
 * Room for one more element in arr, which holds n and grows by doubling
 * (so its capacity is the next power of two). NULL if out of memory.
 */
void *spec_grow(void *arr, size_t n, size_t elem)
{
	size_t cap;

	if (n != 0 && (n & (n - 1)) != 0)
		return arr;
	cap = n ? n * 2 : 1;
	if (cap > SIZE_MAX / elem)
		return NULL;
	return realloc(arr, cap * elem);
}

/* The statement kinds by name: here, with the other words of the
 * language, because both spec.c and spec_props.c use them. */
const char *spec_kind_name(enum spec_kind k)
{
	switch (k) {
	case SPEC_RESTORE:
		return "RESTORE";
	case SPEC_BACKUP:
		return "BACKUP";
	case SPEC_CANCEL_RESTORE:
		return "CANCEL RESTORE";
	case SPEC_CANCEL_BACKUP:
		return "CANCEL BACKUP";
	case SPEC_DROP_SNAPSHOT:
		return "DROP SNAPSHOT";
	case SPEC_CLEAN_SNAPSHOTS:
		return "CLEAN SNAPSHOTS";
	case SPEC_VERIFY_SNAPSHOT:
		return "VERIFY SNAPSHOT";
	}
	return "UNKNOWN";
}
