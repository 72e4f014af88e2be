/* SPDX-License-Identifier: MIT */
/*
 * spec.c - tokenizer and recursive-descent parser for the statements the
 * control files accept (spec.h; the language is in snapfs-statements(5)):
 * those of Doris and StarRocks, and the snapshot statements of snapfs.
 *
 * The parser keeps one cursor into the text and moves it only past a token
 * it has lexed and accepted, so every error points at the token that broke
 * the statement, or at the end of the input. It does no I/O and keeps no
 * state between calls, which makes it easy to fuzz.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

#include "base/banned.h"

#define NAME_MAX_BYTES 255
/* How many bytes of the user's text one error message quotes. */
#define SHOW_MAX 40

#define REPLICATION_DEFAULT 3
#define REPLICATION_MAX	    32767 /* Doris keeps it in a short */
#define TIMEOUT_DEFAULT	    86400
#define RESTORE_TIMEOUT_MIN 600 /* as Doris and StarRocks enforce */
/* Java int seconds; also keeps timeout * 1000 far from int64 overflow. */
#define TIMEOUT_MAX	 INT32_MAX
#define META_VERSION_MAX INT32_MAX
#define KEEP_LAST_MAX	 1000000
/* older_than, in seconds: some 68 years, and now - it can't overflow. */
#define OLDER_THAN_MAX INT32_MAX
#define SAMPLE_DEFAULT 100

struct pos {
	size_t off;
	unsigned line, col; /* 1-based; col counts UTF-8 characters */
};

enum tok_kind {
	TOK_END,
	TOK_WORD,
	TOK_BQUOTE, /* `ident` */
	TOK_DQUOTE, /* "string" or "ident" */
	TOK_SQUOTE, /* 'string' */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_COMMA,
	TOK_DOT,
	TOK_EQ,
	TOK_SEMI,
};

struct tok {
	enum tok_kind kind;
	struct pos at;	 /* first byte */
	struct pos next; /* just past the last byte */
};

struct parser {
	const char *s;
	size_t len;
	struct pos cur; /* moves only past accepted tokens */
	struct spec_err err;
};

/*
 * Words that are never names, so that a forgotten name is reported where it
 * is missing ("RESTORE SNAPSHOT FROM r") and ON items need no lookahead.
 * A name spelled like one of them is written quoted.
 */
static const char *const reserved[] = {
	"ALL",	     "AS",	   "DATABASE", "FROM", "ON",
	"PARTITION", "PROPERTIES", "TABLE",    "TO",
};

enum prop_id {
	P_BACKUP_TIMESTAMP,
	P_REPLICATION_NUM,
	P_REPLICATION_ALLOCATION,
	P_TIMEOUT,
	P_ALLOW_LOAD,
	P_RESERVE_REPLICA,
	P_ATOMIC_RESTORE,
	P_FORCE_REPLACE,
	P_CLEAN_TABLES,
	P_CLEAN_PARTITIONS,
	P_META_VERSION,
	P_TYPE,
	P_CONTENT,
	P_KEEP_LAST,
	P_OLDER_THAN,
	P_DRY_RUN,
	P_LABEL,
	P_SAMPLE_PERCENT,
	P_SEED,
};

static const char *const prop_names[] = {
	[P_BACKUP_TIMESTAMP] = "backup_timestamp",
	[P_REPLICATION_NUM] = "replication_num",
	[P_REPLICATION_ALLOCATION] = "replication_allocation",
	[P_TIMEOUT] = "timeout",
	[P_ALLOW_LOAD] = "allow_load",
	[P_RESERVE_REPLICA] = "reserve_replica",
	[P_ATOMIC_RESTORE] = "atomic_restore",
	[P_FORCE_REPLACE] = "force_replace",
	[P_CLEAN_TABLES] = "clean_tables",
	[P_CLEAN_PARTITIONS] = "clean_partitions",
	[P_META_VERSION] = "meta_version",
	[P_TYPE] = "type",
	[P_CONTENT] = "content",
	[P_KEEP_LAST] = "keep_last",
	[P_OLDER_THAN] = "older_than",
	[P_DRY_RUN] = "dry_run",
	[P_LABEL] = "label",
	[P_SAMPLE_PERCENT] = "sample_percent",
	[P_SEED] = "seed",
};

static const enum prop_id restore_props[] = {
	P_BACKUP_TIMESTAMP, P_REPLICATION_NUM, P_REPLICATION_ALLOCATION,
	P_TIMEOUT,	    P_ALLOW_LOAD,      P_RESERVE_REPLICA,
	P_ATOMIC_RESTORE,   P_FORCE_REPLACE,   P_CLEAN_TABLES,
	P_CLEAN_PARTITIONS, P_META_VERSION,
};

static const enum prop_id backup_props[] = {P_TYPE, P_TIMEOUT, P_CONTENT};

static const enum prop_id drop_props[] = {P_BACKUP_TIMESTAMP};

static const enum prop_id clean_props[] = {P_KEEP_LAST, P_OLDER_THAN, P_DRY_RUN,
					   P_LABEL};

static const enum prop_id verify_props[] = {P_BACKUP_TIMESTAMP,
					    P_SAMPLE_PERCENT, P_SEED};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ASCII only: the parser must not depend on the locale. */
static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool ascii_eq_n(const char *a, size_t alen, const char *b, size_t blen)
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

static bool ascii_eq(const char *a, const char *b)
{
	return ascii_eq_n(a, strlen(a), b, strlen(b));
}

/*
 * Render user text for a message: control bytes escaped, and backslashes
 * and double quotes too if it goes between quotes (esc), cut after SHOW_MAX
 * output bytes on a character boundary. Returns buf.
 */
static const char *show(char *buf, size_t size, const char *s, size_t len,
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
		if ((c & 0xc0) != 0x80 && o + need > SHOW_MAX) {
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

#define SHOW_BUF (SHOW_MAX + 16)

__attribute__((format(printf, 3, 4))) static int
fail(struct parser *p, const struct pos *at, const char *fmt, ...)
{
	va_list ap;

	p->err.line = at->line;
	p->err.col = at->col;
	va_start(ap, fmt);
	vsnprintf(p->err.msg, sizeof(p->err.msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int oom(struct parser *p, const struct pos *at)
{
	fail(p, at, "out of memory");
	return -ENOMEM;
}

/* --- tokenizer ---------------------------------------------------------- */

static void step(const struct parser *p, struct pos *q)
{
	unsigned char c = (unsigned char)p->s[q->off++];

	if (c == '\n') {
		q->line++;
		q->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		q->col++;
	}
}

static int byte_at(const struct parser *p, const struct pos *q, size_t k)
{
	return q->off + k < p->len ? (unsigned char)p->s[q->off + k] : -1;
}

static bool word_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '-' ||
	       c >= 0x80;
}

static int nul_byte(struct parser *p, const struct pos *q)
{
	return fail(p, q, "NUL byte in the statement");
}

/* Skip blanks and comments. */
static int skip_blank(struct parser *p, struct pos *q)
{
	struct pos start;
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
					return fail(p, q,
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
static int lex_quoted(struct parser *p, struct pos *q)
{
	struct pos start = *q;
	int quote = byte_at(p, q, 0), c, e;

	step(p, q);
	for (;;) {
		c = byte_at(p, q, 0);
		if (c < 0)
			return fail(p, q,
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
				return fail(p, q,
					    "unknown escape \"\\%c\" in a "
					    "string (known: \\\" \\' \\\\ \\n "
					    "\\t)",
					    e);
			if (e == '\0')
				return fail(p, q, "NUL byte in the statement");
			if (e >= 0)
				return fail(p, q,
					    "a backslash in a string must be "
					    "followed by one of \" ' \\ n t");
			/* e < 0: fall through to "unterminated" */
		}
		step(p, q);
	}
}

/* Lex the token at or after *from into *t. */
static int lex(struct parser *p, const struct pos *from, struct tok *t)
{
	struct pos q = *from;
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
				return fail(p, &q, "unexpected character '%c'",
					    c);
			return fail(p, &q, "unexpected byte 0x%02x", c);
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

static int peek(struct parser *p, struct tok *t)
{
	return lex(p, &p->cur, t);
}

static void take(struct parser *p, const struct tok *t)
{
	p->cur = t->next;
}

static const char *tok_raw(const struct parser *p, const struct tok *t,
			   size_t *len)
{
	*len = t->next.off - t->at.off;
	return p->s + t->at.off;
}

static bool is_kw(const struct parser *p, const struct tok *t, const char *kw)
{
	const char *raw;
	size_t len;

	if (t->kind != TOK_WORD)
		return false;
	raw = tok_raw(p, t, &len);
	return ascii_eq_n(raw, len, kw, strlen(kw));
}

static bool is_reserved(const struct parser *p, const struct tok *t)
{
	size_t i;

	for (i = 0; i < NELEM(reserved); i++)
		if (is_kw(p, t, reserved[i]))
			return true;
	return false;
}

/* "end of input", or the token's text for "found %s". */
static const char *tok_desc(const struct parser *p, const struct tok *t,
			    char *buf, size_t size)
{
	char tmp[SHOW_BUF];
	const char *raw;
	size_t len;

	if (t->kind == TOK_END)
		return "end of input";
	raw = tok_raw(p, t, &len);
	if (t->kind == TOK_BQUOTE || t->kind == TOK_DQUOTE ||
	    t->kind == TOK_SQUOTE)
		return show(buf, size, raw, len, false);
	snprintf(buf, size, "\"%s\"", show(tmp, sizeof(tmp), raw, len, true));
	return buf;
}

/* The value of a word or quoted token, NUL terminated; NULL if no memory. */
static char *tok_text(const struct parser *p, const struct tok *t)
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

static int expect(struct parser *p, enum tok_kind kind, const char *what,
		  const char *ctx)
{
	char buf[SHOW_BUF + 8];
	struct tok t;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind != kind)
		return fail(p, &t.at, "expected %s %s, found %s", what, ctx,
			    tok_desc(p, &t, buf, sizeof(buf)));
	take(p, &t);
	return 0;
}

static int expect_kw(struct parser *p, const char *kw, const char *ctx)
{
	char buf[SHOW_BUF + 8];
	struct tok t;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (!is_kw(p, &t, kw))
		return fail(p, &t.at, "expected %s %s, found %s", kw, ctx,
			    tok_desc(p, &t, buf, sizeof(buf)));
	take(p, &t);
	return 0;
}

/* Why name can't be a path component, or NULL if it can. */
static const char *name_problem(const char *name)
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
static int take_name(struct parser *p, const char *what, const char *ctx,
		     char **out, struct pos *at)
{
	char buf[SHOW_BUF + 8], nbuf[SHOW_BUF];
	const char *why, *raw;
	struct tok t;
	size_t len;
	char *name;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind == TOK_WORD && is_reserved(p, &t)) {
		raw = tok_raw(p, &t, &len);
		return fail(p, &t.at,
			    "expected a %s %s, found the keyword %s (write "
			    "`%s` to use it as a name)",
			    what, ctx, tok_desc(p, &t, buf, sizeof(buf)),
			    show(nbuf, sizeof(nbuf), raw, len, false));
	}
	if (t.kind != TOK_WORD && t.kind != TOK_BQUOTE && t.kind != TOK_DQUOTE)
		return fail(p, &t.at, "expected a %s %s, found %s", what, ctx,
			    tok_desc(p, &t, buf, sizeof(buf)));
	name = tok_text(p, &t);
	if (!name)
		return oom(p, &t.at);
	why = name_problem(name);
	if (why) {
		rc = fail(p, &t.at, "bad %s \"%s\": %s", what,
			  show(nbuf, sizeof(nbuf), name, strlen(name), true),
			  why);
		free(name);
		return rc;
	}
	take(p, &t);
	*out = name;
	if (at)
		*at = t.at;
	return 0;
}

/*
 * Room for one more element in arr, which holds n and grows by doubling
 * (so its capacity is the next power of two). NULL if out of memory.
 */
static void *grow(void *arr, size_t n, size_t elem)
{
	size_t cap;

	if (n != 0 && (n & (n - 1)) != 0)
		return arr;
	cap = n ? n * 2 : 1;
	if (cap > SIZE_MAX / elem)
		return NULL;
	return realloc(arr, cap * elem);
}

/* --- ON ( ... ) --------------------------------------------------------- */

static int parse_partitions(struct parser *p, struct spec_table *tb)
{
	char buf[SHOW_BUF + 8], nbuf[SHOW_BUF], tbuf[SHOW_BUF];
	const char *ctx = "after \"(\"";
	struct pos at;
	struct tok t;
	char *name, **parts;
	size_t i;
	int rc;

	rc = expect(p, TOK_LPAREN, "\"(\"", "after PARTITION");
	if (rc < 0)
		return rc;
	for (;;) {
		rc = take_name(p, "partition name", ctx, &name, &at);
		if (rc < 0)
			return rc;
		/* Doris compares partition names without case. */
		for (i = 0; i < tb->npartitions; i++) {
			if (!ascii_eq(tb->partitions[i], name))
				continue;
			rc = fail(p, &at,
				  "partition \"%s\" is listed twice for "
				  "table \"%s\"",
				  show(nbuf, sizeof(nbuf), name, strlen(name),
				       true),
				  show(tbuf, sizeof(tbuf), tb->name,
				       strlen(tb->name), true));
			free(name);
			return rc;
		}
		parts = grow(tb->partitions, tb->npartitions,
			     sizeof(*tb->partitions));
		if (!parts) {
			free(name);
			return oom(p, &at);
		}
		tb->partitions = parts;
		tb->partitions[tb->npartitions++] = name;

		rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (t.kind == TOK_RPAREN) {
			take(p, &t);
			return 0;
		}
		if (t.kind != TOK_COMMA)
			return fail(p, &t.at,
				    "expected \",\" or \")\" in the partition "
				    "list, found %s",
				    tok_desc(p, &t, buf, sizeof(buf)));
		take(p, &t);
		ctx = "after \",\"";
	}
}

static const char *target_of(const struct spec_table *tb)
{
	return tb->alias ? tb->alias : tb->name;
}

static int parse_on_item(struct parser *p, struct spec *sp)
{
	bool restore = sp->kind == SPEC_RESTORE;
	char buf[SHOW_BUF + 8], nbuf[SHOW_BUF];
	const char *ctx = "in the ON list";
	struct spec_table *tb;
	struct pos at;
	struct tok t;
	char *name;
	size_t i;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (is_kw(p, &t, "ALL")) {
		if (!restore)
			return fail(p, &t.at,
				    "BACKUP does not take ALL TABLES; leave "
				    "out ON to back up every table");
		at = t.at;
		take(p, &t);
		rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (!is_kw(p, &t, "TABLES"))
			return fail(p, &t.at,
				    "expected TABLES after ALL (ALL TABLES is "
				    "the only ALL item), found %s",
				    tok_desc(p, &t, buf, sizeof(buf)));
		if (sp->all_tables)
			return fail(p, &at, "ALL TABLES is listed twice");
		take(p, &t);
		sp->all_tables = true;
		return 0;
	}
	if (is_kw(p, &t, "TABLE")) {
		take(p, &t);
		ctx = "after TABLE";
	}
	rc = take_name(p, "table name", ctx, &name, &at);
	if (rc < 0)
		return rc;
	for (i = 0; i < sp->ntables; i++) {
		if (strcmp(sp->tables[i].name, name) != 0)
			continue;
		rc = fail(p, &at, "table \"%s\" is listed twice in ON",
			  show(nbuf, sizeof(nbuf), name, strlen(name), true));
		free(name);
		return rc;
	}
	tb = grow(sp->tables, sp->ntables, sizeof(*sp->tables));
	if (!tb) {
		free(name);
		return oom(p, &at);
	}
	sp->tables = tb;
	tb = &sp->tables[sp->ntables++];
	memset(tb, 0, sizeof(*tb));
	tb->name = name;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (is_kw(p, &t, "PARTITION")) {
		take(p, &t);
		rc = parse_partitions(p, tb);
		if (rc < 0)
			return rc;
		rc = peek(p, &t);
		if (rc < 0)
			return rc;
	}
	if (is_kw(p, &t, "AS")) {
		if (!restore)
			return fail(p, &t.at,
				    "BACKUP does not take AS; rename a table "
				    "when restoring it");
		take(p, &t);
		rc = take_name(p, "table alias", "after AS", &tb->alias, &at);
		if (rc < 0)
			return rc;
	}
	/* Two items must not land on the same table. */
	for (i = 0; i + 1 < sp->ntables; i++) {
		if (strcmp(target_of(&sp->tables[i]), target_of(tb)) != 0)
			continue;
		return fail(p, &at, "two tables would be restored as \"%s\"",
			    show(nbuf, sizeof(nbuf), target_of(tb),
				 strlen(target_of(tb)), true));
	}
	return 0;
}

static int parse_on(struct parser *p, struct spec *sp)
{
	char buf[SHOW_BUF + 8];
	struct tok t;
	int rc;

	rc = expect(p, TOK_LPAREN, "\"(\"", "after ON");
	if (rc < 0)
		return rc;
	for (;;) {
		rc = parse_on_item(p, sp);
		if (rc < 0)
			return rc;
		rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (t.kind == TOK_RPAREN) {
			take(p, &t);
			return 0;
		}
		if (t.kind != TOK_COMMA)
			return fail(p, &t.at,
				    "expected \",\" or \")\" in the ON list, "
				    "found %s",
				    tok_desc(p, &t, buf, sizeof(buf)));
		take(p, &t);
	}
}

/* --- PROPERTIES ( ... ) ------------------------------------------------- */

/*
 * A decimal integer in [min, max]: optional sign, digits, nothing else.
 * -EINVAL if it isn't one, -ERANGE if it is out of range.
 */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	int64_t r;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		/* Saturate: anything past 2^62 is out of every range. */
		if (v < ((uint64_t)1 << 62))
			v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v >= ((uint64_t)1 << 62))
		return -ERANGE;
	r = neg ? -(int64_t)v : (int64_t)v;
	if (r < min || r > max)
		return -ERANGE;
	*out = r;
	return 0;
}

/* parse_int for the whole uint64 range ("-0" is 0, as there). */
static int parse_u64(const char *s, uint64_t *out)
{
	bool neg = false, over = false;
	uint64_t v = 0, d;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true; /* keep looking for a bad character */
		else
			v = v * 10 + d;
	}
	if (over || (neg && v != 0))
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * A duration: digits, then at most one unit letter (s, m, h, d, w; none
 * means seconds), in seconds up to OLDER_THAN_MAX. Units are lower case
 * only, so that "M" is not read as minutes by someone who meant months.
 * -EINVAL if it isn't one, -ERANGE if it is too long.
 */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {
		{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
	};
	const char *e = s;
	int64_t mul = 1;
	uint64_t v = 0;
	size_t i;

	for (; *e >= '0' && *e <= '9'; e++)
		if (v < ((uint64_t)1 << 62)) /* saturate, as parse_int */
			v = v * 10 + (uint64_t)(*e - '0');
	if (e == s)
		return -EINVAL;
	if (*e) {
		if (e[1])
			return -EINVAL;
		for (i = 0; i < NELEM(units); i++)
			if (units[i].unit == *e)
				break;
		if (i == NELEM(units))
			return -EINVAL;
		mul = units[i].secs;
	}
	if (v > (uint64_t)(OLDER_THAN_MAX / mul))
		return -ERANGE;
	*out = (int64_t)v * mul;
	return 0;
}

static int bad_value(struct parser *p, const struct pos *at, const char *key,
		     const char *val, const char *must)
{
	char vbuf[SHOW_BUF];

	return fail(p, at, "\"%s\" must be %s, got \"%s\"", key, must,
		    show(vbuf, sizeof(vbuf), val, strlen(val), true));
}

static int prop_bool(struct parser *p, const struct pos *at, const char *key,
		     const char *val, bool *out)
{
	if (ascii_eq(val, "true"))
		*out = true;
	else if (ascii_eq(val, "false"))
		*out = false;
	else
		return bad_value(p, at, key, val, "\"true\" or \"false\"");
	return 0;
}

static int prop_replicas(struct parser *p, const struct pos *at,
			 const char *key, const char *val, struct spec *sp)
{
	int64_t n;

	if (parse_int(val, 1, REPLICATION_MAX, &n) < 0)
		return bad_value(p, at, key, val, "an integer from 1 to 32767");
	sp->replication_num = (unsigned)n;
	return 0;
}

/*
 * Doris writes replica counts as "tag.location.<tag>: N[, ...]". Only the
 * default tag means something here.
 */
static int prop_allocation(struct parser *p, const struct pos *at,
			   const char *val, struct spec *sp)
{
	static const char tag[] = "tag.location.default";
	const char *must = "\"tag.location.default: N\" with N from 1 to "
			   "32767";
	const char *s = val, *e, *colon;
	char num[16];
	int64_t n;
	size_t len;

	colon = strchr(s, ':');
	if (!colon || strchr(s, ','))
		return bad_value(p, at, "replication_allocation", val, must);
	while (*s == ' ' || *s == '\t')
		s++;
	e = colon;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (!ascii_eq_n(s, (size_t)(e - s), tag, sizeof(tag) - 1))
		return bad_value(p, at, "replication_allocation", val, must);
	s = colon + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(num))
		return bad_value(p, at, "replication_allocation", val, must);
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_int(num, 1, REPLICATION_MAX, &n) < 0)
		return bad_value(p, at, "replication_allocation", val, must);
	sp->replication_num = (unsigned)n;
	return 0;
}

static int prop_timeout(struct parser *p, const struct pos *at, const char *val,
			int64_t min, struct spec *sp)
{
	char vbuf[SHOW_BUF];
	int64_t n = 0;
	int rc;

	rc = parse_int(val, INT64_MIN, INT64_MAX, &n);
	if (rc == -EINVAL)
		return bad_value(p, at, "timeout", val,
				 "a whole number of seconds");
	/* Out of int64 range only when |n| is huge: the sign tells which. */
	if (rc == -ERANGE)
		n = val[0] == '-' ? INT64_MIN : INT64_MAX;
	if (n < min)
		return fail(p, at,
			    "\"timeout\" must be at least %lld second%s, got "
			    "\"%s\"",
			    (long long)min, min == 1 ? "" : "s",
			    show(vbuf, sizeof(vbuf), val, strlen(val), true));
	if (n > TIMEOUT_MAX)
		return bad_value(p, at, "timeout", val,
				 "at most 2147483647 seconds");
	sp->timeout_s = n;
	return 0;
}

static int prop_duration(struct parser *p, const struct pos *at,
			 const char *key, const char *val, int64_t *out)
{
	int rc = parse_duration(val, out);

	if (rc == -ERANGE)
		return bad_value(p, at, key, val,
				 "at most 2147483647 seconds (24855d)");
	if (rc < 0)
		return bad_value(p, at, key, val,
				 "a whole number followed by s, m, h, d or w, "
				 "or by nothing for seconds (e.g. \"90d\")");
	return 0;
}

/* The value names a snapshot label, so it follows the rules of names. */
static int prop_label(struct parser *p, const struct pos *at, const char *key,
		      const char *val, struct spec *sp)
{
	char vbuf[SHOW_BUF];
	const char *why = name_problem(val);

	if (why)
		return fail(p, at, "bad snapshot label \"%s\" in \"%s\": %s",
			    show(vbuf, sizeof(vbuf), val, strlen(val), true),
			    key, why);
	sp->only_label = strdup(val);
	if (!sp->only_label)
		return oom(p, at);
	return 0;
}

static int apply_prop(struct parser *p, struct spec *sp, enum prop_id id,
		      const struct pos *at, const char *val)
{
	const char *key = prop_names[id];
	int64_t n;

	switch (id) {
	case P_BACKUP_TIMESTAMP:
		if (!*val)
			return fail(p, at,
				    "\"backup_timestamp\" must not be empty");
		sp->backup_timestamp = strdup(val);
		if (!sp->backup_timestamp)
			return oom(p, at);
		return 0;
	case P_REPLICATION_NUM:
		return prop_replicas(p, at, key, val, sp);
	case P_REPLICATION_ALLOCATION:
		return prop_allocation(p, at, val, sp);
	case P_TIMEOUT:
		return prop_timeout(
			p, at, val,
			sp->kind == SPEC_RESTORE ? RESTORE_TIMEOUT_MIN : 1, sp);
	case P_ALLOW_LOAD:
		return prop_bool(p, at, key, val, &sp->allow_load);
	case P_RESERVE_REPLICA:
		return prop_bool(p, at, key, val, &sp->reserve_replica);
	case P_ATOMIC_RESTORE:
		return prop_bool(p, at, key, val, &sp->atomic_restore);
	case P_FORCE_REPLACE:
		return prop_bool(p, at, key, val, &sp->force_replace);
	case P_CLEAN_TABLES:
		return prop_bool(p, at, key, val, &sp->clean_tables);
	case P_CLEAN_PARTITIONS:
		return prop_bool(p, at, key, val, &sp->clean_partitions);
	case P_META_VERSION:
		if (parse_int(val, 0, META_VERSION_MAX, &n) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 0 to 2147483647");
		sp->meta_version = n;
		return 0;
	case P_TYPE:
		if (ascii_eq(val, "full"))
			return 0;
		if (ascii_eq(val, "incremental"))
			return fail(p, at,
				    "only full backups are supported: "
				    "\"type\" must be \"full\", got "
				    "\"incremental\"");
		return bad_value(p, at, key, val, "\"full\"");
	case P_CONTENT:
		if (ascii_eq(val, "all"))
			sp->content = SPEC_CONTENT_ALL;
		else if (ascii_eq(val, "metadata_only"))
			sp->content = SPEC_CONTENT_METADATA_ONLY;
		else
			return bad_value(p, at, key, val,
					 "\"all\" or \"metadata_only\"");
		return 0;
	case P_KEEP_LAST:
		if (parse_int(val, 0, KEEP_LAST_MAX, &n) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 0 to 1000000");
		sp->keep_last = n;
		return 0;
	case P_OLDER_THAN:
		return prop_duration(p, at, key, val, &sp->older_than_s);
	case P_DRY_RUN:
		return prop_bool(p, at, key, val, &sp->dry_run);
	case P_LABEL:
		return prop_label(p, at, key, val, sp);
	case P_SAMPLE_PERCENT:
		if (parse_int(val, 1, 100, &n) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 1 to 100");
		sp->sample_percent = (unsigned)n;
		return 0;
	case P_SEED:
		if (parse_u64(val, &sp->seed) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 0 to "
					 "18446744073709551615");
		return 0;
	}
	return fail(p, at, "internal error: property %d", (int)id);
}

/* Find key among the kind's properties; on failure say which exist. */
static int find_prop(struct parser *p, const struct spec *sp,
		     const struct pos *at, const char *key, enum prop_id *out)
{
	const enum prop_id *ids = backup_props;
	size_t n = NELEM(backup_props), i, o = 0;
	char list[200], kbuf[SHOW_BUF];

	if (sp->kind == SPEC_RESTORE) {
		ids = restore_props;
		n = NELEM(restore_props);
	} else if (sp->kind == SPEC_DROP_SNAPSHOT) {
		ids = drop_props;
		n = NELEM(drop_props);
	} else if (sp->kind == SPEC_CLEAN_SNAPSHOTS) {
		ids = clean_props;
		n = NELEM(clean_props);
	} else if (sp->kind == SPEC_VERIFY_SNAPSHOT) {
		ids = verify_props;
		n = NELEM(verify_props);
	}
	for (i = 0; i < n; i++) {
		if (ascii_eq(key, prop_names[ids[i]])) {
			*out = ids[i];
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i ? ", " : "", prop_names[ids[i]]);
	return fail(p, at, "unknown %s property \"%s\" (allowed: %s)",
		    spec_kind_name(sp->kind),
		    show(kbuf, sizeof(kbuf), key, strlen(key), true), list);
}

static int parse_properties(struct parser *p, struct spec *sp, unsigned *seen)
{
	char buf[SHOW_BUF + 8], kbuf[SHOW_BUF];
	char *key = NULL, *val = NULL;
	struct tok kt, vt, t;
	enum prop_id id = P_BACKUP_TIMESTAMP;
	int rc;

	rc = expect(p, TOK_LPAREN, "\"(\"", "after PROPERTIES");
	if (rc < 0)
		return rc;
	for (;;) {
		rc = peek(p, &kt);
		if (rc < 0)
			goto out;
		if (kt.kind != TOK_DQUOTE && kt.kind != TOK_SQUOTE) {
			rc = fail(p, &kt.at,
				  "expected a quoted property name, found %s",
				  tok_desc(p, &kt, buf, sizeof(buf)));
			goto out;
		}
		key = tok_text(p, &kt);
		if (!key) {
			rc = oom(p, &kt.at);
			goto out;
		}
		rc = find_prop(p, sp, &kt.at, key, &id);
		if (rc < 0)
			goto out;
		if (*seen & (1u << id)) {
			rc = fail(p, &kt.at, "property \"%s\" is given twice",
				  prop_names[id]);
			goto out;
		}
		if ((id == P_REPLICATION_NUM &&
		     (*seen & (1u << P_REPLICATION_ALLOCATION))) ||
		    (id == P_REPLICATION_ALLOCATION &&
		     (*seen & (1u << P_REPLICATION_NUM)))) {
			rc = fail(p, &kt.at,
				  "give \"replication_num\" or "
				  "\"replication_allocation\", not both");
			goto out;
		}
		take(p, &kt);
		show(kbuf, sizeof(kbuf), key, strlen(key), true);
		rc = peek(p, &t);
		if (rc < 0)
			goto out;
		if (t.kind != TOK_EQ) {
			rc = fail(p, &t.at,
				  "expected \"=\" after property \"%s\", "
				  "found %s",
				  kbuf, tok_desc(p, &t, buf, sizeof(buf)));
			goto out;
		}
		take(p, &t);
		rc = peek(p, &vt);
		if (rc < 0)
			goto out;
		if (vt.kind != TOK_DQUOTE && vt.kind != TOK_SQUOTE) {
			rc = fail(p, &vt.at,
				  "expected a quoted value for property "
				  "\"%s\", found %s",
				  kbuf, tok_desc(p, &vt, buf, sizeof(buf)));
			goto out;
		}
		val = tok_text(p, &vt);
		if (!val) {
			rc = oom(p, &vt.at);
			goto out;
		}
		rc = apply_prop(p, sp, id, &vt.at, val);
		if (rc < 0)
			goto out;
		take(p, &vt);
		*seen |= 1u << id;
		free(key);
		free(val);
		key = val = NULL;

		rc = peek(p, &t);
		if (rc < 0)
			goto out;
		if (t.kind == TOK_RPAREN) {
			take(p, &t);
			break;
		}
		if (t.kind != TOK_COMMA) {
			rc = fail(p, &t.at,
				  "expected \",\" or \")\" in PROPERTIES, "
				  "found %s",
				  tok_desc(p, &t, buf, sizeof(buf)));
			goto out;
		}
		take(p, &t);
	}
out:
	free(key);
	free(val);
	return rc;
}

/* --- statements --------------------------------------------------------- */

/* Optional ';', then nothing. expected lists what else could follow. */
static int parse_end(struct parser *p, const char *expected)
{
	char buf[SHOW_BUF + 8];
	struct tok t;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind == TOK_SEMI) {
		take(p, &t);
		rc = peek(p, &t);
		if (rc < 0)
			return rc;
		expected = NULL;
	}
	if (t.kind == TOK_END) {
		take(p, &t);
		return 0;
	}
	if (expected)
		return fail(p, &t.at,
			    "expected %s or the end of the statement, found %s",
			    expected, tok_desc(p, &t, buf, sizeof(buf)));
	return fail(p, &t.at, "unexpected text after the statement: %s",
		    tok_desc(p, &t, buf, sizeof(buf)));
}

static int parse_database(struct parser *p, struct spec *sp)
{
	char abuf[SHOW_BUF], bbuf[SHOW_BUF];
	char *dst = NULL;
	struct pos at;
	struct tok t;
	int rc;

	rc = take_name(p, "database name", "after DATABASE", &sp->src_db, NULL);
	if (rc < 0)
		return rc;
	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (is_kw(p, &t, "AS")) {
		take(p, &t);
		rc = take_name(p, "database name", "after AS", &dst, &at);
		if (rc < 0)
			return rc;
		if (sp->db && strcmp(sp->db, dst) != 0) {
			rc = fail(p, &at,
				  "the target database is given twice: \"%s\" "
				  "before the label and \"%s\" after AS",
				  show(abuf, sizeof(abuf), sp->db,
				       strlen(sp->db), true),
				  show(bbuf, sizeof(bbuf), dst, strlen(dst),
				       true));
			free(dst);
			return rc;
		}
		free(sp->db);
		sp->db = dst;
	} else if (!sp->db) {
		sp->db = strdup(sp->src_db);
		if (!sp->db)
			return oom(p, &t.at);
	}
	return 0;
}

enum clause { C_NONE, C_DATABASE, C_ON, C_PROPERTIES };

static const char *const clause_names[] = {
	[C_DATABASE] = "DATABASE",
	[C_ON] = "ON",
	[C_PROPERTIES] = "PROPERTIES",
};

/* What may still follow the clause `last`, for messages. */
static const char *clauses_after(bool restore, enum clause last)
{
	switch (last) {
	case C_NONE:
		return restore ? "DATABASE, ON, PROPERTIES" : "ON, PROPERTIES";
	case C_DATABASE:
		return "ON, PROPERTIES";
	case C_ON:
		return "PROPERTIES";
	case C_PROPERTIES:
		break;
	}
	return NULL;
}

/* RESTORE SNAPSHOT ... and BACKUP SNAPSHOT ..., after SNAPSHOT. */
static int parse_snapshot_stmt(struct parser *p, struct spec *sp)
{
	bool restore = sp->kind == SPEC_RESTORE;
	enum clause last = C_NONE, c;
	struct pos missing_at;
	unsigned seen = 0;
	char *first;
	struct tok t;
	int rc;

	rc = take_name(p, "snapshot label", "after SNAPSHOT", &first, NULL);
	if (rc < 0)
		return rc;
	rc = peek(p, &t);
	if (rc < 0) {
		free(first);
		return rc;
	}
	if (t.kind == TOK_DOT) {
		sp->db = first;
		take(p, &t);
		rc = take_name(p, "snapshot label", "after the \".\"",
			       &sp->label, NULL);
		if (rc < 0)
			return rc;
	} else {
		sp->label = first;
	}
	rc = expect_kw(p, restore ? "FROM" : "TO", "after the snapshot label");
	if (rc < 0)
		return rc;
	rc = take_name(p, "repository name",
		       restore ? "after FROM" : "after TO", &sp->repo, NULL);
	if (rc < 0)
		return rc;

	for (;;) {
		rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (restore && is_kw(p, &t, "DATABASE"))
			c = C_DATABASE;
		else if (is_kw(p, &t, "ON"))
			c = C_ON;
		else if (is_kw(p, &t, "PROPERTIES"))
			c = C_PROPERTIES;
		else
			break;
		if (c == last)
			return fail(p, &t.at, "%s is given twice",
				    clause_names[c]);
		if (c < last)
			return fail(p, &t.at, "%s must come before %s",
				    clause_names[c], clause_names[last]);
		take(p, &t);
		if (c == C_DATABASE)
			rc = parse_database(p, sp);
		else if (c == C_ON)
			rc = parse_on(p, sp);
		else
			rc = parse_properties(p, sp, &seen);
		if (rc < 0)
			return rc;
		last = c;
	}
	if (is_kw(p, &t, "EXCLUDE"))
		return fail(p, &t.at,
			    "EXCLUDE is not supported; name the tables to "
			    "include with ON (...)");
	missing_at = t.at;
	rc = parse_end(p, clauses_after(restore, last));
	if (rc < 0)
		return rc;
	if (restore && !(seen & (1u << P_BACKUP_TIMESTAMP)))
		return fail(p, &missing_at,
			    "missing required property \"backup_timestamp\"");
	return 0;
}

static int parse_cancel(struct parser *p, struct spec *sp)
{
	char buf[SHOW_BUF + 8];
	struct tok t;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (is_kw(p, &t, "RESTORE"))
		sp->kind = SPEC_CANCEL_RESTORE;
	else if (is_kw(p, &t, "BACKUP"))
		sp->kind = SPEC_CANCEL_BACKUP;
	else
		return fail(p, &t.at,
			    "expected RESTORE or BACKUP after CANCEL, found %s",
			    tok_desc(p, &t, buf, sizeof(buf)));
	take(p, &t);
	rc = expect_kw(p, "FROM",
		       sp->kind == SPEC_CANCEL_RESTORE ? "after CANCEL RESTORE"
						       : "after CANCEL BACKUP");
	if (rc < 0)
		return rc;
	rc = take_name(p, "database name", "after FROM", &sp->db, NULL);
	if (rc < 0)
		return rc;
	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (is_kw(p, &t, "PROPERTIES"))
		return fail(p, &t.at, "%s takes no properties",
			    spec_kind_name(sp->kind));
	return parse_end(p, NULL);
}

/*
 * The end of DROP, CLEAN and VERIFY: an optional PROPERTIES clause, then
 * the end. *end is where the statement ends, for a missing property.
 */
static int parse_snapshot_props(struct parser *p, struct spec *sp,
				unsigned *seen, struct pos *end)
{
	bool props = false;
	struct tok t;
	int rc;

	for (;;) {
		rc = peek(p, &t);
		if (rc < 0)
			return rc;
		if (!is_kw(p, &t, "PROPERTIES"))
			break;
		if (props)
			return fail(p, &t.at, "PROPERTIES is given twice");
		take(p, &t);
		rc = parse_properties(p, sp, seen);
		if (rc < 0)
			return rc;
		props = true;
	}
	*end = t.at;
	return parse_end(p, props ? NULL : "PROPERTIES");
}

/* DROP SNAPSHOT ... and VERIFY SNAPSHOT ..., after SNAPSHOT. */
static int parse_label_stmt(struct parser *p, struct spec *sp)
{
	unsigned seen = 0;
	struct pos end;
	struct tok t;
	int rc;

	rc = take_name(p, "snapshot label", "after SNAPSHOT", &sp->label, NULL);
	if (rc < 0)
		return rc;
	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	/* Labels are per repository: a database would only mislead. */
	if (t.kind == TOK_DOT)
		return fail(p, &t.at,
			    "%s takes no database: write the label alone, not "
			    "\"db.label\"",
			    spec_kind_name(sp->kind));
	rc = expect_kw(p, "FROM", "after the snapshot label");
	if (rc < 0)
		return rc;
	rc = take_name(p, "repository name", "after FROM", &sp->repo, NULL);
	if (rc < 0)
		return rc;
	return parse_snapshot_props(p, sp, &seen, &end);
}

/* CLEAN SNAPSHOTS ..., after SNAPSHOTS. */
static int parse_clean(struct parser *p, struct spec *sp)
{
	char buf[SHOW_BUF + 8];
	const char *hint = "";
	unsigned seen = 0;
	struct pos end;
	struct tok t;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (!is_kw(p, &t, "FROM")) {
		/* Most likely a label, as DROP and VERIFY take one. */
		if (t.kind == TOK_WORD || t.kind == TOK_BQUOTE ||
		    t.kind == TOK_DQUOTE)
			hint = " (to clean one label, give the property "
			       "\"label\")";
		return fail(p, &t.at,
			    "expected FROM after CLEAN SNAPSHOTS, found %s%s",
			    tok_desc(p, &t, buf, sizeof(buf)), hint);
	}
	take(p, &t);
	rc = take_name(p, "repository name", "after FROM", &sp->repo, NULL);
	if (rc < 0)
		return rc;
	rc = parse_snapshot_props(p, sp, &seen, &end);
	if (rc < 0)
		return rc;
	if (!(seen & ((1u << P_KEEP_LAST) | (1u << P_OLDER_THAN))))
		return fail(p, &end,
			    "missing required property \"keep_last\" or "
			    "\"older_than\"");
	return 0;
}

/* The statements, by their first word and the word that must follow. */
static const struct {
	const char *word, *next, *ctx;
	enum spec_kind kind;
} statements[] = {
	{"RESTORE", "SNAPSHOT", "after RESTORE", SPEC_RESTORE},
	{"BACKUP", "SNAPSHOT", "after BACKUP", SPEC_BACKUP},
	{"DROP", "SNAPSHOT", "after DROP", SPEC_DROP_SNAPSHOT},
	{"CLEAN", "SNAPSHOTS", "after CLEAN", SPEC_CLEAN_SNAPSHOTS},
	{"VERIFY", "SNAPSHOT", "after VERIFY", SPEC_VERIFY_SNAPSHOT},
};

#define STATEMENT_WORDS "RESTORE, BACKUP, CANCEL, DROP, CLEAN or VERIFY"

static int parse_statement(struct parser *p, struct spec *sp)
{
	char buf[SHOW_BUF + 8];
	struct tok t;
	size_t i;
	int rc;

	rc = peek(p, &t);
	if (rc < 0)
		return rc;
	if (is_kw(p, &t, "CANCEL")) {
		take(p, &t);
		return parse_cancel(p, sp);
	}
	for (i = 0; i < NELEM(statements); i++)
		if (is_kw(p, &t, statements[i].word))
			break;
	if (i == NELEM(statements)) {
		if (t.kind == TOK_END)
			return fail(
				p, &t.at,
				"empty statement: expected " STATEMENT_WORDS);
		return fail(p, &t.at, "expected " STATEMENT_WORDS ", found %s",
			    tok_desc(p, &t, buf, sizeof(buf)));
	}
	sp->kind = statements[i].kind;
	take(p, &t);
	rc = expect_kw(p, statements[i].next, statements[i].ctx);
	if (rc < 0)
		return rc;
	switch (sp->kind) {
	case SPEC_DROP_SNAPSHOT:
	case SPEC_VERIFY_SNAPSHOT:
		return parse_label_stmt(p, sp);
	case SPEC_CLEAN_SNAPSHOTS:
		return parse_clean(p, sp);
	default:
		return parse_snapshot_stmt(p, sp);
	}
}

int spec_parse(const char *text, size_t len, struct spec_err *err,
	       struct spec **out)
{
	struct parser p = {
		.s = text,
		.len = text ? len : 0,
		.cur = {.off = 0, .line = 1, .col = 1},
	};
	struct spec *sp;
	int rc;

	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		rc = oom(&p, &p.cur);
		goto out;
	}
	sp->replication_num = REPLICATION_DEFAULT;
	sp->timeout_s = TIMEOUT_DEFAULT;
	sp->meta_version = -1;
	sp->content = SPEC_CONTENT_ALL;
	sp->keep_last = -1;
	sp->older_than_s = -1;
	sp->sample_percent = SAMPLE_DEFAULT;

	rc = parse_statement(&p, sp);
out:
	if (rc < 0) {
		spec_free(sp);
		if (err)
			*err = p.err;
		return rc;
	}
	*out = sp;
	return 0;
}

void spec_free(struct spec *sp)
{
	size_t i, j;

	if (!sp)
		return;
	for (i = 0; i < sp->ntables; i++) {
		free(sp->tables[i].name);
		free(sp->tables[i].alias);
		for (j = 0; j < sp->tables[i].npartitions; j++)
			free(sp->tables[i].partitions[j]);
		free(sp->tables[i].partitions);
	}
	free(sp->tables);
	free(sp->db);
	free(sp->src_db);
	free(sp->label);
	free(sp->repo);
	free(sp->backup_timestamp);
	free(sp->only_label);
	free(sp);
}

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
