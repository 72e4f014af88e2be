/* SPDX-License-Identifier: MIT */
/*
 * spec.c - the statements the control files accept (spec.h; the language
 * is in snapfs-statements(5)): those of Doris and StarRocks, and the
 * snapshot statements of snapfs. A recursive-descent parser over the
 * cursor of spec_lex.c; PROPERTIES are in spec_props.c.
 *
 * It does no I/O and keeps no state between calls, which makes it easy to
 * fuzz. A statement the text stops short of is -EAGAIN, not -EINVAL, so
 * the control plane can wait for the rest of it without reading messages.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_int.h"

#include "base/banned.h"

#define REPLICATION_DEFAULT 3
#define TIMEOUT_DEFAULT	    86400
#define SAMPLE_DEFAULT	    100

/* --- ON ( ... ) --------------------------------------------------------- */

static int parse_partitions(struct spec_parser *p, struct spec_table *tb)
{
	char nbuf[SPEC_SHOW_BUF], tbuf[SPEC_SHOW_BUF];
	const char *ctx = "after \"(\"";
	struct spec_pos at;
	char *name, **parts;
	size_t i;
	int rc;

	rc = spec_expect(p, TOK_LPAREN, "\"(\"", "after PARTITION");
	if (rc < 0)
		return rc;
	for (;;) {
		rc = spec_take_name(p, "partition name", ctx, &name, &at);
		if (rc < 0)
			return rc;
		/* Doris compares partition names without case. */
		for (i = 0; i < tb->npartitions; i++) {
			if (!spec_ascii_eq(tb->partitions[i], name))
				continue;
			rc = spec_fail_cut(
				p, &at, SPEC_CUT_NAME,
				"partition \"%s\" is listed twice for "
				"table \"%s\"",
				spec_show(nbuf, sizeof(nbuf), name,
					  strlen(name), true),
				spec_show(tbuf, sizeof(tbuf), tb->name,
					  strlen(tb->name), true));
			free(name);
			return rc;
		}
		parts = spec_grow(tb->partitions, tb->npartitions,
				  sizeof(*tb->partitions));
		if (!parts) {
			free(name);
			return spec_oom(p, &at);
		}
		tb->partitions = parts;
		tb->partitions[tb->npartitions++] = name;

		rc = spec_list_next(p, "the partition list");
		if (rc != 0)
			return rc < 0 ? rc : 0;
		ctx = "after \",\"";
	}
}

static const char *target_of(const struct spec_table *tb)
{
	return tb->alias ? tb->alias : tb->name;
}

/* ALL TABLES in an ON list; *t is the ALL. */
static int parse_all_tables(struct spec_parser *p, struct spec *sp,
			    struct spec_tok *t)
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_pos at = t->at;
	int rc;

	/* A table may be called ALLx: SPEC_CUT_NAME. */
	if (sp->kind != SPEC_RESTORE)
		return spec_fail_cut(p, &t->at, SPEC_CUT_NAME,
				     "BACKUP does not take ALL TABLES; leave "
				     "out ON to back up every table");
	spec_take(p, t);
	rc = spec_peek(p, t);
	if (rc < 0)
		return rc;
	if (!spec_is_kw(p, t, "TABLES"))
		return spec_fail(p, &t->at,
				 "expected TABLES after ALL (ALL TABLES is "
				 "the only ALL item), found %s",
				 spec_tok_desc(p, t, buf, sizeof(buf)));
	if (sp->all_tables)
		return spec_fail(p, &at, "ALL TABLES is listed twice");
	spec_take(p, t);
	sp->all_tables = true;
	return 0;
}

static int parse_on_item(struct spec_parser *p, struct spec *sp)
{
	bool restore = sp->kind == SPEC_RESTORE;
	char nbuf[SPEC_SHOW_BUF];
	const char *ctx = "in the ON list";
	struct spec_table *tb;
	struct spec_pos at;
	struct spec_tok t;
	char *name;
	size_t i;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (spec_is_kw(p, &t, "ALL"))
		return parse_all_tables(p, sp, &t);
	if (spec_is_kw(p, &t, "TABLE")) {
		spec_take(p, &t);
		ctx = "after TABLE";
	}
	rc = spec_take_name(p, "table name", ctx, &name, &at);
	if (rc < 0)
		return rc;
	for (i = 0; i < sp->ntables; i++) {
		if (strcmp(sp->tables[i].name, name) != 0)
			continue;
		rc = spec_fail_cut(p, &at, SPEC_CUT_NAME,
				   "table \"%s\" is listed twice in ON",
				   spec_show(nbuf, sizeof(nbuf), name,
					     strlen(name), true));
		free(name);
		return rc;
	}
	tb = spec_grow(sp->tables, sp->ntables, sizeof(*sp->tables));
	if (!tb) {
		free(name);
		return spec_oom(p, &at);
	}
	sp->tables = tb;
	tb = &sp->tables[sp->ntables++];
	memset(tb, 0, sizeof(*tb));
	tb->name = name;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (spec_is_kw(p, &t, "PARTITION")) {
		spec_take(p, &t);
		rc = parse_partitions(p, tb);
		if (rc < 0)
			return rc;
		rc = spec_peek(p, &t);
		if (rc < 0)
			return rc;
	}
	if (spec_is_kw(p, &t, "AS")) {
		if (!restore)
			return spec_fail(
				p, &t.at,
				"BACKUP does not take AS; rename a table "
				"when restoring it");
		spec_take(p, &t);
		rc = spec_take_name(p, "table alias", "after AS", &tb->alias,
				    &at);
		if (rc < 0)
			return rc;
	}
	/* Two items must not land on the same table. */
	for (i = 0; i + 1 < sp->ntables; i++) {
		if (strcmp(target_of(&sp->tables[i]), target_of(tb)) != 0)
			continue;
		return spec_fail_cut(p, &at, SPEC_CUT_NAME,
				     "two tables would be restored as \"%s\"",
				     spec_show(nbuf, sizeof(nbuf),
					       target_of(tb),
					       strlen(target_of(tb)), true));
	}
	return 0;
}

static int parse_on(struct spec_parser *p, struct spec *sp)
{
	int rc;

	rc = spec_expect(p, TOK_LPAREN, "\"(\"", "after ON");
	if (rc < 0)
		return rc;
	for (;;) {
		rc = parse_on_item(p, sp);
		if (rc < 0)
			return rc;
		rc = spec_list_next(p, "the ON list");
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
}

/* --- statements --------------------------------------------------------- */

/* Optional ';', then nothing. expected lists what else could follow. */
static int parse_end(struct spec_parser *p, const char *expected)
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_tok t;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind == TOK_SEMI) {
		spec_take(p, &t);
		rc = spec_peek(p, &t);
		if (rc < 0)
			return rc;
		expected = NULL;
	}
	if (t.kind == TOK_END) {
		spec_take(p, &t);
		return 0;
	}
	if (expected)
		return spec_fail(
			p, &t.at,
			"expected %s or the end of the statement, found %s",
			expected, spec_tok_desc(p, &t, buf, sizeof(buf)));
	return spec_fail_cut(p, &t.at, SPEC_CUT_COMMENT,
			     "unexpected text after the statement: %s",
			     spec_tok_desc(p, &t, buf, sizeof(buf)));
}

static int parse_database(struct spec_parser *p, struct spec *sp)
{
	char abuf[SPEC_SHOW_BUF], bbuf[SPEC_SHOW_BUF];
	char *dst = NULL;
	struct spec_pos at;
	struct spec_tok t;
	int rc;

	rc = spec_take_name(p, "database name", "after DATABASE", &sp->src_db,
			    NULL);
	if (rc < 0)
		return rc;
	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (spec_is_kw(p, &t, "AS")) {
		spec_take(p, &t);
		rc = spec_take_name(p, "database name", "after AS", &dst, &at);
		if (rc < 0)
			return rc;
		if (sp->db && strcmp(sp->db, dst) != 0) {
			rc = spec_fail_cut(
				p, &at, SPEC_CUT_NAME,
				"the target database is given twice: \"%s\" "
				"before the label and \"%s\" after AS",
				spec_show(abuf, sizeof(abuf), sp->db,
					  strlen(sp->db), true),
				spec_show(bbuf, sizeof(bbuf), dst, strlen(dst),
					  true));
			free(dst);
			return rc;
		}
		free(sp->db);
		sp->db = dst;
	} else if (!sp->db) {
		sp->db = strdup(sp->src_db);
		if (!sp->db)
			return spec_oom(p, &t.at);
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
static int parse_snapshot_stmt(struct spec_parser *p, struct spec *sp)
{
	bool restore = sp->kind == SPEC_RESTORE;
	enum clause last = C_NONE, c;
	struct spec_pos missing_at;
	unsigned seen = 0;
	char *first;
	struct spec_tok t;
	int rc;

	rc = spec_take_name(p, "snapshot label", "after SNAPSHOT", &first,
			    NULL);
	if (rc < 0)
		return rc;
	rc = spec_peek(p, &t);
	if (rc < 0) {
		free(first);
		return rc;
	}
	if (t.kind == TOK_DOT) {
		sp->db = first;
		spec_take(p, &t);
		rc = spec_take_name(p, "snapshot label", "after the \".\"",
				    &sp->label, NULL);
		if (rc < 0)
			return rc;
	} else {
		sp->label = first;
	}
	rc = spec_expect_kw(p, restore ? "FROM" : "TO",
			    "after the snapshot label");
	if (rc < 0)
		return rc;
	rc = spec_take_name(p, "repository name",
			    restore ? "after FROM" : "after TO", &sp->repo,
			    NULL);
	if (rc < 0)
		return rc;

	for (;;) {
		rc = spec_peek(p, &t);
		if (rc < 0)
			return rc;
		if (restore && spec_is_kw(p, &t, "DATABASE"))
			c = C_DATABASE;
		else if (spec_is_kw(p, &t, "ON"))
			c = C_ON;
		else if (spec_is_kw(p, &t, "PROPERTIES"))
			c = C_PROPERTIES;
		else
			break;
		if (c == last)
			return spec_fail(p, &t.at, "%s is given twice",
					 clause_names[c]);
		if (c < last)
			return spec_fail(p, &t.at, "%s must come before %s",
					 clause_names[c], clause_names[last]);
		spec_take(p, &t);
		if (c == C_DATABASE)
			rc = parse_database(p, sp);
		else if (c == C_ON)
			rc = parse_on(p, sp);
		else
			rc = spec_parse_properties(p, sp, &seen);
		if (rc < 0)
			return rc;
		last = c;
	}
	if (spec_is_kw(p, &t, "EXCLUDE"))
		return spec_fail(p, &t.at,
				 "EXCLUDE is not supported; name the tables to "
				 "include with ON (...)");
	missing_at = t.at;
	rc = parse_end(p, clauses_after(restore, last));
	if (rc < 0)
		return rc;
	if (restore && !(seen & (1u << P_BACKUP_TIMESTAMP)))
		return spec_fail(
			p, &missing_at,
			"missing required property \"backup_timestamp\"");
	return 0;
}

static int parse_cancel(struct spec_parser *p, struct spec *sp)
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_tok t;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (spec_is_kw(p, &t, "RESTORE"))
		sp->kind = SPEC_CANCEL_RESTORE;
	else if (spec_is_kw(p, &t, "BACKUP"))
		sp->kind = SPEC_CANCEL_BACKUP;
	else
		return spec_fail(
			p, &t.at,
			"expected RESTORE or BACKUP after CANCEL, found %s",
			spec_tok_desc(p, &t, buf, sizeof(buf)));
	spec_take(p, &t);
	rc = spec_expect_kw(p, "FROM",
			    sp->kind == SPEC_CANCEL_RESTORE
				    ? "after CANCEL RESTORE"
				    : "after CANCEL BACKUP");
	if (rc < 0)
		return rc;
	rc = spec_take_name(p, "database name", "after FROM", &sp->db, NULL);
	if (rc < 0)
		return rc;
	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (spec_is_kw(p, &t, "PROPERTIES"))
		return spec_fail(p, &t.at, "%s takes no properties",
				 spec_kind_name(sp->kind));
	return parse_end(p, NULL);
}

/*
 * The end of DROP, CLEAN and VERIFY: an optional PROPERTIES clause, then
 * the end. *end is where the statement ends, for a missing property.
 */
static int parse_snapshot_props(struct spec_parser *p, struct spec *sp,
				unsigned *seen, struct spec_pos *end)
{
	bool props = false;
	struct spec_tok t;
	int rc;

	for (;;) {
		rc = spec_peek(p, &t);
		if (rc < 0)
			return rc;
		if (!spec_is_kw(p, &t, "PROPERTIES"))
			break;
		if (props)
			return spec_fail(p, &t.at, "PROPERTIES is given twice");
		spec_take(p, &t);
		rc = spec_parse_properties(p, sp, seen);
		if (rc < 0)
			return rc;
		props = true;
	}
	*end = t.at;
	return parse_end(p, props ? NULL : "PROPERTIES");
}

/* DROP SNAPSHOT ... and VERIFY SNAPSHOT ..., after SNAPSHOT. */
static int parse_label_stmt(struct spec_parser *p, struct spec *sp)
{
	unsigned seen = 0;
	struct spec_pos end;
	struct spec_tok t;
	int rc;

	rc = spec_take_name(p, "snapshot label", "after SNAPSHOT", &sp->label,
			    NULL);
	if (rc < 0)
		return rc;
	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	/* Labels are per repository: a database would only mislead. */
	if (t.kind == TOK_DOT)
		return spec_fail(
			p, &t.at,
			"%s takes no database: write the label alone, not "
			"\"db.label\"",
			spec_kind_name(sp->kind));
	rc = spec_expect_kw(p, "FROM", "after the snapshot label");
	if (rc < 0)
		return rc;
	rc = spec_take_name(p, "repository name", "after FROM", &sp->repo,
			    NULL);
	if (rc < 0)
		return rc;
	return parse_snapshot_props(p, sp, &seen, &end);
}

/* CLEAN SNAPSHOTS ..., after SNAPSHOTS. */
static int parse_clean(struct spec_parser *p, struct spec *sp)
{
	char buf[SPEC_SHOW_BUF + 8];
	const char *hint = "";
	unsigned seen = 0;
	struct spec_pos end;
	struct spec_tok t;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (!spec_is_kw(p, &t, "FROM")) {
		/* Most likely a label, as DROP and VERIFY take one. */
		if (t.kind == TOK_WORD || t.kind == TOK_BQUOTE ||
		    t.kind == TOK_DQUOTE)
			hint = " (to clean one label, give the property "
			       "\"label\")";
		return spec_fail(
			p, &t.at,
			"expected FROM after CLEAN SNAPSHOTS, found %s%s",
			spec_tok_desc(p, &t, buf, sizeof(buf)), hint);
	}
	spec_take(p, &t);
	rc = spec_take_name(p, "repository name", "after FROM", &sp->repo,
			    NULL);
	if (rc < 0)
		return rc;
	rc = parse_snapshot_props(p, sp, &seen, &end);
	if (rc < 0)
		return rc;
	if (!(seen & ((1u << P_KEEP_LAST) | (1u << P_OLDER_THAN))))
		return spec_fail(p, &end,
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

static int parse_statement(struct spec_parser *p, struct spec *sp)
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_tok t;
	size_t i;
	int rc;

	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (spec_is_kw(p, &t, "CANCEL")) {
		spec_take(p, &t);
		return parse_cancel(p, sp);
	}
	for (i = 0; i < SPEC_NELEM(statements); i++)
		if (spec_is_kw(p, &t, statements[i].word))
			break;
	if (i == SPEC_NELEM(statements)) {
		if (t.kind == TOK_END)
			return spec_fail(
				p, &t.at,
				"empty statement: expected " STATEMENT_WORDS);
		return spec_fail(p, &t.at,
				 "expected " STATEMENT_WORDS ", found %s",
				 spec_tok_desc(p, &t, buf, sizeof(buf)));
	}
	sp->kind = statements[i].kind;
	spec_take(p, &t);
	rc = spec_expect_kw(p, statements[i].next, statements[i].ctx);
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
	struct spec_parser p = {
		.s = text,
		.len = text ? len : 0,
		.cur = {.off = 0, .line = 1, .col = 1},
	};
	struct spec *sp;
	int rc;

	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		rc = spec_oom(&p, &p.cur);
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
