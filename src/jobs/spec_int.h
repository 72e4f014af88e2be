/* SPDX-License-Identifier: MIT */
/*
 * spec_int.h - what the three files of the statement parser share; not for
 * other modules (they use spec.h):
 *
 *   spec_lex.c    the cursor: tokens, errors and their positions, names;
 *   spec_props.c  PROPERTIES ( "key" = "value", ... ) and its values;
 *   spec.c        the statements and their ON lists, and the public API.
 *
 * A parser is one struct spec_parser on the caller's stack: no globals, no
 * locks, nothing kept between calls.
 */
#ifndef SNAPFS_SPEC_INT_H
#define SNAPFS_SPEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

#define SPEC_NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* How many bytes of the user's text one error message quotes ... */
#define SPEC_SHOW_MAX 40
/* ... and a buffer that holds them, escaped, with "..." after. */
#define SPEC_SHOW_BUF (SPEC_SHOW_MAX + 16)

struct spec_pos {
	size_t off;
	unsigned line, col; /* 1-based; col counts UTF-8 characters */
};

enum spec_tok_kind {
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

struct spec_tok {
	enum spec_tok_kind kind;
	struct spec_pos at;   /* first byte */
	struct spec_pos next; /* just past the last byte */
};

struct spec_parser {
	const char *s;
	size_t len;
	struct spec_pos cur; /* moves only past accepted tokens */
	struct spec_err err;
};

/* Every property any statement takes; bit (1u << id) in a "seen" mask. */
enum spec_prop {
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

/* --- spec_lex.c ---------------------------------------------------------- */

/* Case-insensitive comparison, ASCII only (the parser ignores the locale). */
bool spec_ascii_eq_n(const char *a, size_t alen, const char *b, size_t blen);
bool spec_ascii_eq(const char *a, const char *b);

/*
 * Render user text for a message into buf (size bytes): control bytes
 * escaped, and backslashes and double quotes too if esc, cut after
 * SPEC_SHOW_MAX bytes on a character boundary. Returns buf.
 */
const char *spec_show(char *buf, size_t size, const char *s, size_t len,
		      bool esc);

/*
 * When a statement fails at the end of its text, more text may mend it:
 * the statement is then incomplete (-EAGAIN), not invalid (-EINVAL). At
 * the very end of the text, and inside a string, quoted name or comment
 * still open there (the lexer reports those at the end), it always is. A
 * '/' that is the last byte may open a comment, and so may a '-'. What a
 * word the end of the text may have cut short can still become depends on
 * what the parser was looking for there:
 */
enum spec_cut {
	SPEC_CUT_KEYWORD, /* a keyword: only a word that begins one of the
			     language's keywords may become what is needed
			     ("PROP" may become "PROPERTIES", "garbage" no) */
	SPEC_CUT_NAME,	  /* a name: any word may become another name
			     ("FROM" may become "FROMAGE", "t1" "t12") */
	SPEC_CUT_COMMENT, /* nothing but a comment may follow */
	SPEC_CUT_NEVER,	  /* no text that follows can mend it (a NUL byte,
			     a name too long) */
};

/*
 * Record an error at @at in p->err and return its code: -EAGAIN if the
 * text ran out at @at (as @cut decides, above), so more text may make the
 * statement whole; else -EINVAL.
 */
int spec_fail_cut(struct spec_parser *p, const struct spec_pos *at,
		  enum spec_cut cut, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* spec_fail_cut(p, at, SPEC_CUT_KEYWORD, ...): the common case. */
int spec_fail(struct spec_parser *p, const struct spec_pos *at, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));

/* Record "out of memory" at @at; returns -ENOMEM. */
int spec_oom(struct spec_parser *p, const struct spec_pos *at);

/* Lex the token at the cursor into *t without moving: 0, or an error. */
int spec_peek(struct spec_parser *p, struct spec_tok *t);
/* Move the cursor past *t, which spec_peek() returned. */
void spec_take(struct spec_parser *p, const struct spec_tok *t);
/* Is *t the bare word kw (any case)? */
bool spec_is_kw(const struct spec_parser *p, const struct spec_tok *t,
		const char *kw);
/* "end of input", or *t's text for a "found %s" in buf (size bytes). */
const char *spec_tok_desc(const struct spec_parser *p, const struct spec_tok *t,
			  char *buf, size_t size);
/* The value of a word or quoted token, NUL terminated, malloc()ed; NULL if
 * out of memory. */
char *spec_tok_text(const struct spec_parser *p, const struct spec_tok *t);

/* Take a token of @kind, or fail with "expected @what @ctx, found ...". */
int spec_expect(struct spec_parser *p, enum spec_tok_kind kind,
		const char *what, const char *ctx);
/* Take the keyword @kw, or fail with "expected @kw @ctx, found ...". */
int spec_expect_kw(struct spec_parser *p, const char *kw, const char *ctx);
/* After an item of a parenthesised list (@what: "the ON list", ...): take
 * ")" and return 1 (the list ends) or "," and return 0 (an item follows);
 * else fail with "expected "," or ")" in @what, found ...". */
int spec_list_next(struct spec_parser *p, const char *what);

/* Why @name can't be a path component, or NULL if it can. */
const char *spec_name_problem(const char *name);

/*
 * Take a name: a bare word that is not reserved, a `quoted` or a "quoted"
 * identifier, usable as a path component. @what has no article ("table
 * name"); @ctx says where ("after FROM"). *out is malloc()ed; *at (if not
 * NULL) is where the name starts.
 */
int spec_take_name(struct spec_parser *p, const char *what, const char *ctx,
		   char **out, struct spec_pos *at);

/* Room for one more element of size @elem in @arr, which holds @n and
 * grows by doubling. NULL if out of memory (arr is then untouched). */
void *spec_grow(void *arr, size_t n, size_t elem);

/* --- spec_props.c -------------------------------------------------------- */

/*
 * After the word PROPERTIES: "(", then "key" = "value" pairs, then ")".
 * Checks each key against sp->kind's properties and each value, and sets
 * it in *sp; *seen gains bit (1u << id) for each property given.
 */
int spec_parse_properties(struct spec_parser *p, struct spec *sp,
			  unsigned *seen);

#endif
