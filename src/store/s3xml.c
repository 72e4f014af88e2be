/* SPDX-License-Identifier: MIT */
/*
 * s3xml.c - the S3 REST XML documents snapfs reads and writes.
 *
 * One small expat driver serves every parser: it keeps a stack of known
 * element names (local names, any "prefix:" dropped), collects the text of
 * the leaf elements a document asks for, and hands each finished element
 * to that document's handler. Responses come from the network, so the
 * driver refuses a DOCTYPE (no entity can be declared, so none expands),
 * bounds the document size, the nesting depth, the length of every value
 * and the number of entries, and turns any of it into -EBADMSG.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <expat.h>

#include "s3xml_int.h"

#include "base/banned.h"

/* A page of 1000 keys of 1024 bytes, escaped, is under 8 MiB. */
#define XML_MAX_DOC (32u << 20)
/* S3 documents nest four deep; anything deeper is not one of them. */
#define XML_MAX_DEPTH 16
/* Keys are at most 1024 bytes; Message texts are short. */
#define XML_MAX_TEXT (64u << 10)
/* Entries of one list or delete result; S3 sends at most 1000. */
#define XML_MAX_ITEMS 100000u

/* S3 limits on request bodies. */
#define DELETE_MAX_KEYS	   1000
#define COMPLETE_MAX_PARTS 10000

enum tag {
	T_OTHER,
	T_LIST_BUCKET_RESULT,
	T_CONTENTS,
	T_KEY,
	T_SIZE,
	T_LAST_MODIFIED,
	T_COMMON_PREFIXES,
	T_PREFIX,
	T_IS_TRUNCATED,
	T_NEXT_TOKEN,
	T_ERROR,
	T_CODE,
	T_MESSAGE,
	T_INITIATE_RESULT,
	T_UPLOAD_ID,
	T_DELETE_RESULT,
};

static const char *const tag_names[] = {
	[T_LIST_BUCKET_RESULT] = "ListBucketResult",
	[T_CONTENTS] = "Contents",
	[T_KEY] = "Key",
	[T_SIZE] = "Size",
	[T_LAST_MODIFIED] = "LastModified",
	[T_COMMON_PREFIXES] = "CommonPrefixes",
	[T_PREFIX] = "Prefix",
	[T_IS_TRUNCATED] = "IsTruncated",
	[T_NEXT_TOKEN] = "NextContinuationToken",
	[T_ERROR] = "Error",
	[T_CODE] = "Code",
	[T_MESSAGE] = "Message",
	[T_INITIATE_RESULT] = "InitiateMultipartUploadResult",
	[T_UPLOAD_ID] = "UploadId",
	[T_DELETE_RESULT] = "DeleteResult",
};

struct xp;

/* What one document type does with the elements the driver reports. */
struct xdoc {
	enum tag root;
	/* Another root is not an error: the document is parsed to its end
	 * for well-formedness and nothing is reported. */
	bool other_root_ok;
	/* Called after an element is pushed; may fail via xp_fail(). */
	void (*start)(struct xp *x);
	/* Should the text of the element just pushed be collected? */
	bool (*want)(const struct xp *x);
	/* Called before an element is popped; text is its collected text
	 * (NUL-terminated) if want() said so, else NULL. */
	void (*end)(struct xp *x, const char *text, size_t len);
};

struct xp {
	XML_Parser p;
	const struct xdoc *doc;
	void *st;     /* the document's state */
	int rc;	      /* first failure, or 0 */
	bool foreign; /* root is not doc->root */
	unsigned depth;
	unsigned char tag[XML_MAX_DEPTH];
	bool collect; /* text of the innermost element is wanted */
	char *text;
	size_t tlen, tcap;
};

static void xp_fail(struct xp *x, int rc)
{
	if (x->rc == 0)
		x->rc = rc;
	XML_StopParser(x->p, XML_FALSE);
}

static enum tag tag_of(const char *name)
{
	const char *colon = strrchr(name, ':');
	size_t i;

	/* Without namespace processing "s3:Key" arrives as is. */
	if (colon)
		name = colon + 1;
	for (i = 1; i < sizeof(tag_names) / sizeof(tag_names[0]); i++) {
		if (strcmp(name, tag_names[i]) == 0)
			return (enum tag)i;
	}
	return T_OTHER;
}

static bool at2(const struct xp *x, enum tag a, enum tag b)
{
	return x->depth == 2 && x->tag[0] == a && x->tag[1] == b;
}

static bool at3(const struct xp *x, enum tag a, enum tag b, enum tag c)
{
	return x->depth == 3 && x->tag[0] == a && x->tag[1] == b &&
	       x->tag[2] == c;
}

static void XMLCALL on_start(void *ud, const XML_Char *name,
			     const XML_Char **attrs)
{
	struct xp *x = ud;

	if (x->rc)
		return;
	/* A wanted leaf holds text only. */
	if (x->collect || x->depth == XML_MAX_DEPTH) {
		xp_fail(x, -EBADMSG);
		return;
	}
	x->tag[x->depth++] = (unsigned char)tag_of(name);
	if (x->depth == 1 && x->tag[0] != x->doc->root) {
		if (!x->doc->other_root_ok) {
			xp_fail(x, -EBADMSG);
			return;
		}
		x->foreign = true;
	}
	if (x->foreign)
		return;
	if (x->doc->start)
		x->doc->start(x);
	if (x->rc == 0 && x->doc->want(x)) {
		x->collect = true;
		x->tlen = 0;
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct xp *x = ud;

	if (x->rc)
		return;
	if (!x->foreign) {
		if (x->collect) {
			x->collect = false;
			if (x->text)
				x->text[x->tlen] = '\0';
			x->doc->end(x, x->text ? x->text : "", x->tlen);
		} else {
			x->doc->end(x, NULL, 0);
		}
	}
	x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xp *x = ud;
	size_t need, nc;
	char *t;

	if (x->rc || !x->collect || len <= 0)
		return;
	need = x->tlen + (size_t)len + 1;
	if (need > XML_MAX_TEXT + 1) {
		xp_fail(x, -EBADMSG);
		return;
	}
	if (need > x->tcap) {
		nc = x->tcap ? x->tcap : 256;
		while (nc < need)
			nc *= 2;
		t = realloc(x->text, nc);
		if (!t) {
			xp_fail(x, -ENOMEM);
			return;
		}
		x->text = t;
		x->tcap = nc;
	}
	memcpy(x->text + x->tlen, s, (size_t)len);
	x->tlen += (size_t)len;
}

/* No S3 document has a DTD; refusing it rules out entity expansion. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name,
			       const XML_Char *sysid, const XML_Char *pubid,
			       int has_internal_subset)
{
	xp_fail(ud, -EBADMSG);
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
			      const XML_Char *value, int value_len,
			      const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	xp_fail(ud, -EBADMSG);
}

/*
 * Parse @xml as document type @doc with state @st. Returns 0, the
 * handlers' first failure, -ENOMEM or -EBADMSG.
 */
static int xp_run(const struct xdoc *doc, void *st, const char *xml, size_t len)
{
	struct xp x = {.doc = doc, .st = st};
	enum XML_Status status;
	int rc;

	if (!xml || len == 0 || len > XML_MAX_DOC || len > INT_MAX)
		return -EBADMSG;
	/* Plain parser: names arrive unexpanded, xmlns is an attribute. */
	x.p = XML_ParserCreate(NULL);
	if (!x.p)
		return -ENOMEM;
	XML_SetUserData(x.p, &x);
	XML_SetElementHandler(x.p, on_start, on_end);
	XML_SetCharacterDataHandler(x.p, on_text);
	XML_SetStartDoctypeDeclHandler(x.p, on_doctype);
	XML_SetEntityDeclHandler(x.p, on_entity);
	XML_SetParamEntityParsing(x.p, XML_PARAM_ENTITY_PARSING_NEVER);
	status = XML_Parse(x.p, xml, (int)len, XML_TRUE);
	if (x.rc)
		rc = x.rc;
	else if (status != XML_STATUS_OK)
		rc = XML_GetErrorCode(x.p) == XML_ERROR_NO_MEMORY ? -ENOMEM
								  : -EBADMSG;
	else
		rc = 0;
	XML_ParserFree(x.p);
	free(x.text);
	if (rc == 0 && x.foreign)
		rc = -ENOENT;
	return rc;
}

static int dup_text(const char *text, size_t len, char **out)
{
	char *s = malloc(len + 1);

	if (!s)
		return -ENOMEM;
	memcpy(s, text, len + 1);
	*out = s;
	return 0;
}

/* Strict decimal: S3 writes Size without sign, blanks or exponent. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* ---- ListBucketResult ---------------------------------------------- */

struct list_st {
	struct s3_list_item *items;
	size_t n, cap;
	struct s3_list_item cur;
	bool have_size, have_mtime;
	bool have_truncated, truncated, have_token;
	char *token;
};

static void list_start(struct xp *x)
{
	struct list_st *ls = x->st;

	if (at2(x, T_LIST_BUCKET_RESULT, T_CONTENTS) ||
	    at2(x, T_LIST_BUCKET_RESULT, T_COMMON_PREFIXES)) {
		memset(&ls->cur, 0, sizeof(ls->cur));
		ls->cur.is_prefix = x->tag[1] == T_COMMON_PREFIXES;
		ls->have_size = false;
		ls->have_mtime = false;
	}
}

static bool list_want(const struct xp *x)
{
	if (x->depth == 2 && x->tag[0] == T_LIST_BUCKET_RESULT)
		return x->tag[1] == T_IS_TRUNCATED || x->tag[1] == T_NEXT_TOKEN;
	if (x->depth == 3 && x->tag[0] == T_LIST_BUCKET_RESULT) {
		if (x->tag[1] == T_CONTENTS)
			return x->tag[2] == T_KEY || x->tag[2] == T_SIZE ||
			       x->tag[2] == T_LAST_MODIFIED;
		if (x->tag[1] == T_COMMON_PREFIXES)
			return x->tag[2] == T_PREFIX;
	}
	return false;
}

static int list_push(struct list_st *ls)
{
	struct s3_list_item *grown;
	size_t nc;

	if (ls->n == XML_MAX_ITEMS)
		return -EBADMSG;
	if (ls->n == ls->cap) {
		nc = ls->cap ? 2 * ls->cap : 64;
		grown = realloc(ls->items, nc * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ls->items = grown;
		ls->cap = nc;
	}
	ls->items[ls->n++] = ls->cur;
	memset(&ls->cur, 0, sizeof(ls->cur));
	return 0;
}

static int list_end_item(struct list_st *ls, enum tag leaf, const char *text,
			 size_t len)
{
	int64_t t;

	switch (leaf) {
	case T_KEY:
	case T_PREFIX:
		/* An S3 key is at least one byte long. */
		if (ls->cur.key || len == 0)
			return -EBADMSG;
		return dup_text(text, len, &ls->cur.key);
	case T_SIZE:
		if (ls->have_size || parse_u64(text, &ls->cur.size) < 0)
			return -EBADMSG;
		ls->have_size = true;
		return 0;
	case T_LAST_MODIFIED:
		if (ls->have_mtime || s3xml_parse_time(text, &t) < 0)
			return -EBADMSG;
		ls->cur.mtime = t;
		ls->have_mtime = true;
		return 0;
	default:
		return 0;
	}
}

static void list_end(struct xp *x, const char *text, size_t len)
{
	struct list_st *ls = x->st;
	int rc = 0;

	if (text && x->depth == 3) {
		rc = list_end_item(ls, (enum tag)x->tag[2], text, len);
	} else if (at2(x, T_LIST_BUCKET_RESULT, T_CONTENTS)) {
		rc = ls->cur.key && ls->have_size ? list_push(ls) : -EBADMSG;
	} else if (at2(x, T_LIST_BUCKET_RESULT, T_COMMON_PREFIXES)) {
		rc = ls->cur.key ? list_push(ls) : -EBADMSG;
	} else if (at2(x, T_LIST_BUCKET_RESULT, T_IS_TRUNCATED)) {
		if (ls->have_truncated)
			rc = -EBADMSG;
		else if (strcmp(text, "true") == 0)
			ls->truncated = true;
		else if (strcmp(text, "false") != 0)
			rc = -EBADMSG;
		ls->have_truncated = true;
	} else if (at2(x, T_LIST_BUCKET_RESULT, T_NEXT_TOKEN)) {
		if (ls->have_token)
			rc = -EBADMSG;
		else if (len > 0)
			rc = dup_text(text, len, &ls->token);
		ls->have_token = true;
	}
	if (rc < 0)
		xp_fail(x, rc);
}

static void list_items_free(struct s3_list_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(items[i].key);
	free(items);
}

/* Byte order of the keys; an object sorts before a prefix of its name. */
static int cmp_item(const void *a, const void *b)
{
	const struct s3_list_item *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return (int)x->is_prefix - (int)y->is_prefix;
}

static const struct xdoc list_doc = {
	.root = T_LIST_BUCKET_RESULT,
	.start = list_start,
	.want = list_want,
	.end = list_end,
};

int s3xml_parse_list(const char *xml, size_t len, struct s3_list_page *out)
{
	struct list_st ls = {0};
	size_t i;
	int rc;

	rc = xp_run(&list_doc, &ls, xml, len);
	if (rc < 0)
		goto out;
	/* Without a token the caller could only start over, forever. */
	if (ls.truncated && !ls.token) {
		rc = -EBADMSG;
		goto out;
	}
	if (ls.n > 1)
		qsort(ls.items, ls.n, sizeof(*ls.items), cmp_item);
	for (i = 1; i < ls.n; i++) {
		if (cmp_item(&ls.items[i - 1], &ls.items[i]) == 0) {
			rc = -EBADMSG;
			goto out;
		}
	}
out:
	free(ls.cur.key);
	if (rc < 0) {
		list_items_free(ls.items, ls.n);
		free(ls.token);
		return rc;
	}
	out->items = ls.items;
	out->n = ls.n;
	out->truncated = ls.truncated;
	out->next_token = ls.token;
	return 0;
}

void s3xml_list_free(struct s3_list_page *p)
{
	if (!p)
		return;
	list_items_free(p->items, p->n);
	free(p->next_token);
	memset(p, 0, sizeof(*p));
}

/* ---- Error ----------------------------------------------------------- */

struct error_st {
	char *code, *msg;
	size_t codelen, msglen;
	bool have_code, have_msg;
};

static bool error_want(const struct xp *x)
{
	return at2(x, T_ERROR, T_CODE) || at2(x, T_ERROR, T_MESSAGE);
}

/* Copy at most @dstlen - 1 bytes, not splitting a UTF-8 sequence. */
static void copy_trunc(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (!dst || dstlen == 0)
		return;
	if (len >= dstlen) {
		len = dstlen - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void error_end(struct xp *x, const char *text, size_t len)
{
	struct error_st *es = x->st;

	if (!text)
		return;
	/* The first of each wins. */
	if (x->tag[1] == T_CODE && !es->have_code) {
		copy_trunc(es->code, es->codelen, text, len);
		es->have_code = true;
	} else if (x->tag[1] == T_MESSAGE && !es->have_msg) {
		copy_trunc(es->msg, es->msglen, text, len);
		es->have_msg = true;
	}
}

static const struct xdoc error_doc = {
	.root = T_ERROR,
	.other_root_ok = true,
	.want = error_want,
	.end = error_end,
};

int s3xml_parse_error(const char *xml, size_t len, char *code, size_t codelen,
		      char *msg, size_t msglen)
{
	struct error_st es = {
		.code = code,
		.codelen = code ? codelen : 0,
		.msg = msg,
		.msglen = msg ? msglen : 0,
	};

	copy_trunc(es.code, es.codelen, "", 0);
	copy_trunc(es.msg, es.msglen, "", 0);
	return xp_run(&error_doc, &es, xml, len);
}

/* ---- InitiateMultipartUploadResult ------------------------------------ */

static bool upload_want(const struct xp *x)
{
	return at2(x, T_INITIATE_RESULT, T_UPLOAD_ID);
}

static void upload_end(struct xp *x, const char *text, size_t len)
{
	char **id = x->st;
	int rc;

	if (!text)
		return;
	if (*id || len == 0) {
		xp_fail(x, -EBADMSG);
		return;
	}
	rc = dup_text(text, len, id);
	if (rc < 0)
		xp_fail(x, rc);
}

static const struct xdoc upload_doc = {
	.root = T_INITIATE_RESULT,
	.want = upload_want,
	.end = upload_end,
};

int s3xml_parse_upload_id(const char *xml, size_t len, char **upload_id)
{
	char *id = NULL;
	int rc;

	rc = xp_run(&upload_doc, &id, xml, len);
	if (rc == 0 && !id)
		rc = -EBADMSG;
	if (rc < 0) {
		free(id);
		return rc;
	}
	*upload_id = id;
	return 0;
}

/* ---- DeleteResult ----------------------------------------------------- */

struct delete_st {
	struct s3_delete_error *errs;
	size_t n, cap;
	struct s3_delete_error cur;
};

static void delete_error_release(struct s3_delete_error *e)
{
	free(e->key);
	free(e->code);
	free(e->message);
	memset(e, 0, sizeof(*e));
}

static void delete_start(struct xp *x)
{
	struct delete_st *ds = x->st;

	if (at2(x, T_DELETE_RESULT, T_ERROR))
		delete_error_release(&ds->cur);
}

static bool delete_want(const struct xp *x)
{
	return at3(x, T_DELETE_RESULT, T_ERROR, T_KEY) ||
	       at3(x, T_DELETE_RESULT, T_ERROR, T_CODE) ||
	       at3(x, T_DELETE_RESULT, T_ERROR, T_MESSAGE);
}

static int delete_push(struct delete_st *ds)
{
	struct s3_delete_error *grown;
	size_t nc;

	/* A failure without the key it is about can't be acted on. */
	if (!ds->cur.key || ds->n == XML_MAX_ITEMS)
		return -EBADMSG;
	if (!ds->cur.code && dup_text("", 0, &ds->cur.code) < 0)
		return -ENOMEM;
	if (!ds->cur.message && dup_text("", 0, &ds->cur.message) < 0)
		return -ENOMEM;
	if (ds->n == ds->cap) {
		nc = ds->cap ? 2 * ds->cap : 16;
		grown = realloc(ds->errs, nc * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ds->errs = grown;
		ds->cap = nc;
	}
	ds->errs[ds->n++] = ds->cur;
	memset(&ds->cur, 0, sizeof(ds->cur));
	return 0;
}

static void delete_end(struct xp *x, const char *text, size_t len)
{
	struct delete_st *ds = x->st;
	char **field = NULL;
	int rc = 0;

	if (text) {
		switch (x->tag[2]) {
		case T_KEY:
			field = &ds->cur.key;
			break;
		case T_CODE:
			field = &ds->cur.code;
			break;
		default:
			field = &ds->cur.message;
			break;
		}
		rc = *field ? -EBADMSG : dup_text(text, len, field);
	} else if (at2(x, T_DELETE_RESULT, T_ERROR)) {
		rc = delete_push(ds);
	}
	if (rc < 0)
		xp_fail(x, rc);
}

static const struct xdoc delete_doc = {
	.root = T_DELETE_RESULT,
	.start = delete_start,
	.want = delete_want,
	.end = delete_end,
};

int s3xml_parse_delete_result(const char *xml, size_t len,
			      struct s3_delete_error **errs, size_t *n)
{
	struct delete_st ds = {0};
	int rc;

	rc = xp_run(&delete_doc, &ds, xml, len);
	delete_error_release(&ds.cur);
	if (rc < 0) {
		s3xml_delete_errors_free(ds.errs, ds.n);
		return rc;
	}
	if (ds.n == 0) {
		free(ds.errs);
		ds.errs = NULL;
	}
	*errs = ds.errs;
	*n = ds.n;
	return 0;
}

void s3xml_delete_errors_free(struct s3_delete_error *errs, size_t n)
{
	size_t i;

	if (!errs)
		return;
	for (i = 0; i < n; i++)
		delete_error_release(&errs[i]);
	free(errs);
}

/* ---- request bodies ---------------------------------------------------- */

struct sbuf {
	char *buf;
	size_t len, cap;
	int rc;
};

static void sb_add(struct sbuf *sb, const char *s, size_t n)
{
	size_t nc;
	char *b;

	if (sb->rc)
		return;
	if (n >= SIZE_MAX / 2 - sb->len) {
		sb->rc = -ENOMEM;
		return;
	}
	if (sb->len + n + 1 > sb->cap) {
		nc = sb->cap ? sb->cap : 1024;
		while (nc < sb->len + n + 1)
			nc *= 2;
		b = realloc(sb->buf, nc);
		if (!b) {
			sb->rc = -ENOMEM;
			return;
		}
		sb->buf = b;
		sb->cap = nc;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void sb_str(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/*
 * Length of the UTF-8 sequence at @s if it encodes a character of the
 * XML 1.0 Char production (#x9 | #xA | #xD | [#x20-#xD7FF] |
 * [#xE000-#xFFFD] | [#x10000-#x10FFFF]), else 0.
 */
static size_t xml_char_len(const unsigned char *s)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80) {
		if (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r')
			return 0;
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	/* A NUL ends the loop too: it is not a continuation byte. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000)) /* overlong */
		return 0;
	if ((c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff ||
	    c > 0x10ffff)
		return 0;
	return n;
}

/* Append @s escaped as element content; -EINVAL if XML can't carry it. */
static int sb_text(struct sbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *rep;
	size_t n;

	while (*p) {
		n = xml_char_len(p);
		if (n == 0)
			return -EINVAL;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		/* A parser turns a raw CR (or CR LF) into LF. */
		case '\r':
			rep = "&#13;";
			break;
		case '\n':
			rep = "&#10;";
			break;
		case '\t':
			rep = "&#9;";
			break;
		default:
			rep = NULL;
			break;
		}
		if (rep)
			sb_str(sb, rep);
		else
			sb_add(sb, (const char *)p, n);
		p += n;
	}
	return 0;
}

static int sb_finish(struct sbuf *sb, int rc, char **body, size_t *len)
{
	if (rc == 0)
		rc = sb->rc;
	if (rc < 0) {
		free(sb->buf);
		return rc;
	}
	*body = sb->buf;
	*len = sb->len;
	return 0;
}

int s3xml_delete_body(const char *const *keys, size_t n, char **body,
		      size_t *len)
{
	struct sbuf sb = {0};
	size_t i;
	int rc = 0;

	if (!keys || n == 0 || n > DELETE_MAX_KEYS)
		return -EINVAL;
	sb_str(&sb, "<Delete><Quiet>true</Quiet>");
	for (i = 0; i < n && rc == 0; i++) {
		if (!keys[i] || keys[i][0] == '\0') {
			rc = -EINVAL;
			break;
		}
		sb_str(&sb, "<Object><Key>");
		rc = sb_text(&sb, keys[i]);
		sb_str(&sb, "</Key></Object>");
	}
	sb_str(&sb, "</Delete>");
	return sb_finish(&sb, rc, body, len);
}

int s3xml_complete_body(const char *const *etags, size_t n, char **body,
			size_t *len)
{
	struct sbuf sb = {0};
	char num[32];
	size_t i;
	int rc = 0;

	if (!etags || n == 0 || n > COMPLETE_MAX_PARTS)
		return -EINVAL;
	sb_str(&sb, "<CompleteMultipartUpload>");
	for (i = 0; i < n && rc == 0; i++) {
		if (!etags[i] || etags[i][0] == '\0') {
			rc = -EINVAL;
			break;
		}
		snprintf(num, sizeof(num), "%zu", i + 1);
		sb_str(&sb, "<Part><PartNumber>");
		sb_str(&sb, num);
		sb_str(&sb, "</PartNumber><ETag>");
		rc = sb_text(&sb, etags[i]);
		sb_str(&sb, "</ETag></Part>");
	}
	sb_str(&sb, "</CompleteMultipartUpload>");
	return sb_finish(&sb, rc, body, len);
}

/* ---- time ---------------------------------------------------------------- */

/* Exactly @n decimal digits at *s, advancing it. */
static bool take_digits(const char **s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool take_char(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

static int days_in_month(int year, int mon)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 2 && leap ? 29 : days[mon - 1];
}

int s3xml_parse_time(const char *s, int64_t *out)
{
	int year, mon, day, hour, min, sec;
	struct tm tm;
	time_t t;

	if (!s)
		return -EINVAL;
	if (!take_digits(&s, 4, &year) || !take_char(&s, '-') ||
	    !take_digits(&s, 2, &mon) || !take_char(&s, '-') ||
	    !take_digits(&s, 2, &day) || !take_char(&s, 'T') ||
	    !take_digits(&s, 2, &hour) || !take_char(&s, ':') ||
	    !take_digits(&s, 2, &min) || !take_char(&s, ':') ||
	    !take_digits(&s, 2, &sec))
		return -EINVAL;
	/* The fraction is dropped: mtimes are whole seconds. */
	if (take_char(&s, '.')) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (!take_char(&s, 'Z') || *s != '\0')
		return -EINVAL;
	/* 60 is a leap second; timegm() carries it into the next minute. */
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 60)
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	/* With the fields checked, -1 is 1969-12-31T23:59:59Z, not an error. */
	t = timegm(&tm);
	*out = (int64_t)t;
	return 0;
}
