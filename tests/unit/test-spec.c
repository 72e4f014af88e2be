/* SPDX-License-Identifier: MIT */
/*
 * test-spec.c - the statement parser on every form the Doris and StarRocks
 * documentation shows, on the snapfs snapshot statements (DROP, CLEAN,
 * VERIFY), on comments, case and quoting, and on hostile input:
 * malformed statements with exact error positions, every prefix of a valid
 * statement, single-byte and random mutations.
 *
 * Inputs are copied into heap buffers of exactly their length, without a
 * NUL, so ASan and valgrind catch any read past the end.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/spec.h"
#include "unit.h"

#include "base/banned.h"

#define TS   "\"backup_timestamp\"=\"2024-01-01-00-00-00\""
#define R    "RESTORE SNAPSHOT db.s FROM r "
#define RP   R "PROPERTIES (" TS
#define B    "BACKUP SNAPSHOT db.s TO r "
#define DS   "DROP SNAPSHOT s FROM r "
#define CS   "CLEAN SNAPSHOTS FROM r "
#define CSP  CS "PROPERTIES (\"keep_last\" = \"1\""
#define VS   "VERIFY SNAPSHOT s FROM r "
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Parse exactly len bytes from a heap copy that has no terminator. */
static int parse_n(const char *text, size_t len, struct spec_err *err,
		   struct spec **out)
{
	char *buf = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, text, len);
	rc = spec_parse(buf, len, err, out);
	free(buf);
	return rc;
}

static int parse(const char *text, struct spec_err *err, struct spec **out)
{
	return parse_n(text, strlen(text), err, out);
}

static struct spec *ok(const char *text)
{
	struct spec *sp = NULL;
	struct spec_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = parse(text, &err, &sp);
	ck_assert_msg(rc == 0, "%s\n  -> %d at %u:%u: %s", text, rc, err.line,
		      err.col, err.msg);
	ck_assert_ptr_nonnull(sp);
	return sp;
}

/*
 * Parse text, which must fail with want (-EINVAL: invalid; -EAGAIN: the
 * text stops short of a whole statement); return the error.
 */
static struct spec_err bad_rc(const char *text, size_t len, int want)
{
	struct spec *sentinel = (struct spec *)&sentinel, *sp = sentinel;
	struct spec_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = parse_n(text, len, &err, &sp);
	ck_assert_msg(rc == want, "%.*s\n  -> %d (%s), expected %d", (int)len,
		      text, rc, err.msg, want);
	ck_assert_ptr_eq(sp, sentinel);
	ck_assert_msg(err.line >= 1 && err.col >= 1, "%s: position %u:%u", text,
		      err.line, err.col);
	ck_assert(err.msg[0] != '\0');
	ck_assert(memchr(err.msg, '\0', sizeof(err.msg)));
	return err;
}

static struct spec_err bad(const char *text, size_t len)
{
	return bad_rc(text, len, -EINVAL);
}

/* Is line:col (1-based, columns in UTF-8 characters) the end of text? */
static bool at_end(const char *text, unsigned line, unsigned col)
{
	unsigned l = 1, c = 1;

	for (; *text; text++) {
		if (*text == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)*text & 0xc0) != 0x80) {
			c++;
		}
	}
	return l == line && c == col;
}

/* An error at the end of the text is "incomplete", anywhere else not. */
static void is_err(const char *text, unsigned line, unsigned col,
		   const char *msg)
{
	struct spec_err err =
		bad_rc(text, strlen(text),
		       at_end(text, line, col) ? -EAGAIN : -EINVAL);

	ck_assert_msg(err.line == line && err.col == col &&
			      strcmp(err.msg, msg) == 0,
		      "%s\n  got      %u:%u: %s\n  expected %u:%u: %s", text,
		      err.line, err.col, err.msg, line, col, msg);
}

static bool name_ok(const char *s)
{
	return s && s[0] && strlen(s) <= 255 && !strchr(s, '/') &&
	       strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* What every successful parse promises, whatever the input was. */
static void check_sane(const struct spec *sp)
{
	size_t i, j;

	ck_assert(sp->db == NULL || name_ok(sp->db));
	ck_assert(sp->src_db == NULL || name_ok(sp->src_db));
	ck_assert(sp->ntables == 0 || sp->tables != NULL);
	for (i = 0; i < sp->ntables; i++) {
		const struct spec_table *tb = &sp->tables[i];

		ck_assert(name_ok(tb->name));
		ck_assert(tb->alias == NULL || name_ok(tb->alias));
		ck_assert((tb->npartitions == 0) == (tb->partitions == NULL));
		for (j = 0; j < tb->npartitions; j++)
			ck_assert(name_ok(tb->partitions[j]));
	}
	ck_assert(sp->meta_version >= -1 && sp->meta_version <= INT32_MAX);
	ck_assert(sp->replication_num >= 1 && sp->replication_num <= 32767);
	ck_assert(sp->keep_last >= -1 && sp->keep_last <= 1000000);
	ck_assert(sp->older_than_s >= -1 && sp->older_than_s <= INT32_MAX);
	ck_assert(sp->sample_percent >= 1 && sp->sample_percent <= 100);
	/* Each statement sets only its own properties. */
	if (sp->kind != SPEC_CLEAN_SNAPSHOTS)
		ck_assert(sp->keep_last == -1 && sp->older_than_s == -1 &&
			  !sp->dry_run && sp->only_label == NULL);
	if (sp->kind != SPEC_VERIFY_SNAPSHOT)
		ck_assert(sp->sample_percent == 100 && sp->seed == 0);
	switch (sp->kind) {
	case SPEC_RESTORE:
		ck_assert(name_ok(sp->label) && name_ok(sp->repo));
		ck_assert(sp->backup_timestamp && sp->backup_timestamp[0]);
		ck_assert(sp->timeout_s >= 600 && sp->timeout_s <= INT32_MAX);
		break;
	case SPEC_BACKUP:
		ck_assert(name_ok(sp->label) && name_ok(sp->repo));
		ck_assert(sp->src_db == NULL && !sp->all_tables);
		ck_assert(sp->timeout_s >= 1 && sp->timeout_s <= INT32_MAX);
		for (i = 0; i < sp->ntables; i++)
			ck_assert(sp->tables[i].alias == NULL);
		break;
	case SPEC_CANCEL_RESTORE:
	case SPEC_CANCEL_BACKUP:
		ck_assert(name_ok(sp->db));
		ck_assert(!sp->label && !sp->repo && sp->ntables == 0);
		break;
	case SPEC_DROP_SNAPSHOT:
	case SPEC_VERIFY_SNAPSHOT:
		ck_assert(name_ok(sp->label) && name_ok(sp->repo));
		ck_assert(!sp->db && !sp->src_db && sp->ntables == 0 &&
			  !sp->all_tables);
		ck_assert(!sp->backup_timestamp || sp->backup_timestamp[0]);
		break;
	case SPEC_CLEAN_SNAPSHOTS:
		ck_assert(name_ok(sp->repo));
		ck_assert(!sp->label && !sp->db && !sp->src_db &&
			  sp->ntables == 0 && !sp->backup_timestamp);
		ck_assert(sp->keep_last >= 0 || sp->older_than_s >= 0);
		ck_assert(!sp->only_label || name_ok(sp->only_label));
		break;
	default:
		ck_abort_msg("bad kind %d", (int)sp->kind);
	}
}

static void is_table(const struct spec *sp, size_t i, const char *name,
		     const char *alias, size_t nparts, ...)
{
	const struct spec_table *tb;
	va_list ap;
	size_t k;

	ck_assert_uint_lt(i, sp->ntables);
	tb = &sp->tables[i];
	ck_assert_str_eq(tb->name, name);
	if (alias)
		ck_assert_str_eq(tb->alias, alias);
	else
		ck_assert_ptr_null(tb->alias);
	ck_assert_uint_eq(tb->npartitions, nparts);
	va_start(ap, nparts);
	for (k = 0; k < nparts; k++)
		ck_assert_str_eq(tb->partitions[k], va_arg(ap, const char *));
	va_end(ap);
}

static void is_restore_defaults(const struct spec *sp)
{
	ck_assert_uint_eq(sp->replication_num, 3);
	ck_assert_int_eq(sp->timeout_s, 86400);
	ck_assert(!sp->allow_load && !sp->reserve_replica &&
		  !sp->atomic_restore && !sp->force_replace &&
		  !sp->clean_tables && !sp->clean_partitions);
	ck_assert_int_eq(sp->meta_version, -1);
}

/* --- the documented forms ----------------------------------------------- */

START_TEST(test_doris_restore_examples)
{
	struct spec *sp;

	sp = ok("RESTORE SNAPSHOT example_db1.`snapshot_1` FROM "
		"`example_repo` ON ( `backup_tbl` ) PROPERTIES "
		"(\"backup_timestamp\"=\"2018-05-04-16-45-08\", "
		"\"replication_num\" = \"1\");");
	ck_assert_int_eq(sp->kind, SPEC_RESTORE);
	ck_assert_str_eq(sp->db, "example_db1");
	ck_assert_ptr_null(sp->src_db);
	ck_assert_str_eq(sp->label, "snapshot_1");
	ck_assert_str_eq(sp->repo, "example_repo");
	ck_assert_uint_eq(sp->ntables, 1);
	is_table(sp, 0, "backup_tbl", NULL, 0);
	ck_assert(!sp->all_tables);
	ck_assert_str_eq(sp->backup_timestamp, "2018-05-04-16-45-08");
	ck_assert_uint_eq(sp->replication_num, 1);
	ck_assert_int_eq(sp->timeout_s, 86400);
	ck_assert_int_eq(sp->meta_version, -1);
	check_sane(sp);
	spec_free(sp);

	sp = ok("RESTORE SNAPSHOT example_db1.`snapshot_2` FROM "
		"`example_repo` ON ( `backup_tbl` PARTITION (`p1`, `p2`), "
		"`backup_tbl2` AS `new_tbl` ) PROPERTIES "
		"(\"backup_timestamp\"=\"2018-05-04-17-11-01\");");
	ck_assert_str_eq(sp->label, "snapshot_2");
	ck_assert_uint_eq(sp->ntables, 2);
	is_table(sp, 0, "backup_tbl", NULL, 2, "p1", "p2");
	is_table(sp, 1, "backup_tbl2", "new_tbl", 0);
	is_restore_defaults(sp);
	check_sane(sp);
	spec_free(sp);

	/* The whole database, and the later Doris properties. */
	sp = ok("RESTORE SNAPSHOT example_db1.`snapshot_3`\n"
		"FROM `example_repo`\n"
		"PROPERTIES\n"
		"(\n"
		"    \"backup_timestamp\"=\"2018-05-04-17-11-01\",\n"
		"    \"atomic_restore\" = \"true\",\n"
		"    \"force_replace\" = \"true\",\n"
		"    \"reserve_replica\" = \"true\",\n"
		"    \"clean_tables\" = \"true\",\n"
		"    \"clean_partitions\" = \"TRUE\",\n"
		"    \"allow_load\" = \"False\",\n"
		"    \"meta_version\" = \"136\",\n"
		"    \"timeout\" = \"7200\"\n"
		");\n");
	ck_assert_uint_eq(sp->ntables, 0);
	ck_assert_ptr_null(sp->tables);
	ck_assert(sp->atomic_restore && sp->force_replace &&
		  sp->reserve_replica && sp->clean_tables &&
		  sp->clean_partitions && !sp->allow_load);
	ck_assert_int_eq(sp->meta_version, 136);
	ck_assert_int_eq(sp->timeout_s, 7200);
	check_sane(sp);
	spec_free(sp);

	/* StarRocks: lowercase keywords, no db prefix. */
	sp = ok("restore snapshot snapshot_label1 from example_repo on "
		"(backup_tbl) properties (\"backup_timestamp\" = "
		"\"2018-05-04-16-45-08-123\", \"replication_num\" = \"1\", "
		"\"meta_version\" = \"0\")");
	ck_assert_ptr_null(sp->db);
	ck_assert_str_eq(sp->label, "snapshot_label1");
	ck_assert_str_eq(sp->backup_timestamp, "2018-05-04-16-45-08-123");
	ck_assert_int_eq(sp->meta_version, 0);
	check_sane(sp);
	spec_free(sp);
}
END_TEST

START_TEST(test_new_restore_syntax)
{
	struct spec *sp;

	sp = ok("RESTORE SNAPSHOT snap FROM repo DATABASE src AS dst ON "
		"(TABLE t1 AS a1, ALL TABLES) PROPERTIES "
		"(\"backup_timestamp\"=\"2024-01-01-00-00-00-123\");");
	ck_assert_str_eq(sp->db, "dst");
	ck_assert_str_eq(sp->src_db, "src");
	ck_assert_str_eq(sp->label, "snap");
	ck_assert_str_eq(sp->repo, "repo");
	ck_assert(sp->all_tables);
	ck_assert_uint_eq(sp->ntables, 1);
	is_table(sp, 0, "t1", "a1", 0);
	check_sane(sp);
	spec_free(sp);

	/* DATABASE alone names source and target. */
	sp = ok("RESTORE SNAPSHOT sr_member_backup FROM test_repo DATABASE "
		"sr_hub ON (TABLE sr_member PARTITION (p1, p2)) PROPERTIES "
		"(\"backup_timestamp\" = \"2024-12-09-10-25-58-842\")");
	ck_assert_str_eq(sp->db, "sr_hub");
	ck_assert_str_eq(sp->src_db, "sr_hub");
	is_table(sp, 0, "sr_member", NULL, 2, "p1", "p2");
	check_sane(sp);
	spec_free(sp);

	/* A db prefix is the target; DATABASE names the source. */
	sp = ok("RESTORE SNAPSHOT newdb.snap FROM repo DATABASE olddb "
		"PROPERTIES (" TS ")");
	ck_assert_str_eq(sp->db, "newdb");
	ck_assert_str_eq(sp->src_db, "olddb");
	spec_free(sp);

	/* Prefix and AS may agree. */
	sp = ok("RESTORE SNAPSHOT d.snap FROM repo DATABASE s AS d "
		"PROPERTIES (" TS ")");
	ck_assert_str_eq(sp->db, "d");
	ck_assert_str_eq(sp->src_db, "s");
	spec_free(sp);

	/* ALL TABLES first, named tables with partitions and aliases, and
	 * TABLE optional, mixed with the older form. */
	sp = ok("RESTORE SNAPSHOT snap FROM repo DATABASE sr_hub AS "
		"sr_hub_new ON (ALL TABLES, TABLE sr_member AS "
		"sr_member_new, t2 PARTITION (p9) AS t2b, TABLE t3) "
		"PROPERTIES (\"backup_timestamp\" = \"x\")");
	ck_assert(sp->all_tables);
	ck_assert_uint_eq(sp->ntables, 3);
	is_table(sp, 0, "sr_member", "sr_member_new", 0);
	is_table(sp, 1, "t2", "t2b", 1, "p9");
	is_table(sp, 2, "t3", NULL, 0);
	check_sane(sp);
	spec_free(sp);

	/* ALL TABLES alone. */
	sp = ok("RESTORE SNAPSHOT snap FROM repo ON (ALL TABLES) PROPERTIES "
		"(" TS ")");
	ck_assert(sp->all_tables);
	ck_assert_uint_eq(sp->ntables, 0);
	spec_free(sp);
}
END_TEST

START_TEST(test_backup_examples)
{
	struct spec *sp;

	sp = ok("BACKUP SNAPSHOT example_db.snapshot_label1 TO example_repo "
		"ON (example_tbl PARTITION (p1,p2), example_tbl2) PROPERTIES "
		"(\"type\" = \"full\", \"content\"=\"metadata_only\");");
	ck_assert_int_eq(sp->kind, SPEC_BACKUP);
	ck_assert_str_eq(sp->db, "example_db");
	ck_assert_str_eq(sp->label, "snapshot_label1");
	ck_assert_str_eq(sp->repo, "example_repo");
	ck_assert_uint_eq(sp->ntables, 2);
	is_table(sp, 0, "example_tbl", NULL, 2, "p1", "p2");
	is_table(sp, 1, "example_tbl2", NULL, 0);
	ck_assert_int_eq(sp->content, SPEC_CONTENT_METADATA_ONLY);
	ck_assert_int_eq(sp->timeout_s, 86400);
	ck_assert_ptr_null(sp->backup_timestamp);
	check_sane(sp);
	spec_free(sp);

	sp = ok("BACKUP SNAPSHOT example_db.snapshot_label1 TO example_repo "
		"ON (example_tbl) PROPERTIES (\"type\" = \"full\");");
	ck_assert_int_eq(sp->content, SPEC_CONTENT_ALL);
	spec_free(sp);

	sp = ok("BACKUP SNAPSHOT example_db.snapshot_label3 TO example_repo;");
	ck_assert_uint_eq(sp->ntables, 0);
	ck_assert_int_eq(sp->content, SPEC_CONTENT_ALL);
	spec_free(sp);

	/* StarRocks writes TABLE before each name. */
	sp = ok("BACKUP SNAPSHOT sr_hub.sr_member_backup TO test_repo ON "
		"(TABLE sr_member PARTITION (p1,p2), TABLE t2) PROPERTIES "
		"('timeout' = '1', 'content' = 'ALL', 'type' = 'FULL')");
	is_table(sp, 0, "sr_member", NULL, 2, "p1", "p2");
	is_table(sp, 1, "t2", NULL, 0);
	ck_assert_int_eq(sp->timeout_s, 1);
	check_sane(sp);
	spec_free(sp);

	sp = ok("backup snapshot lbl to repo");
	ck_assert_ptr_null(sp->db);
	spec_free(sp);
}
END_TEST

START_TEST(test_cancel)
{
	struct spec *sp;

	sp = ok("CANCEL RESTORE FROM example_db;");
	ck_assert_int_eq(sp->kind, SPEC_CANCEL_RESTORE);
	ck_assert_str_eq(sp->db, "example_db");
	ck_assert_ptr_null(sp->label);
	ck_assert_ptr_null(sp->repo);
	check_sane(sp);
	spec_free(sp);

	sp = ok("  cancel Backup from `my db` -- done\n");
	ck_assert_int_eq(sp->kind, SPEC_CANCEL_BACKUP);
	ck_assert_str_eq(sp->db, "my db");
	check_sane(sp);
	spec_free(sp);

	ck_assert_str_eq(spec_kind_name(SPEC_RESTORE), "RESTORE");
	ck_assert_str_eq(spec_kind_name(SPEC_BACKUP), "BACKUP");
	ck_assert_str_eq(spec_kind_name(SPEC_CANCEL_RESTORE), "CANCEL RESTORE");
	ck_assert_str_eq(spec_kind_name(SPEC_CANCEL_BACKUP), "CANCEL BACKUP");
	spec_free(NULL);
}
END_TEST

/* --- snapshot management (snapfs extensions) ----------------------------- */

/* What a statement that sets no CLEAN or VERIFY property leaves. */
static void is_snapshot_defaults(const struct spec *sp)
{
	ck_assert_int_eq(sp->keep_last, -1);
	ck_assert_int_eq(sp->older_than_s, -1);
	ck_assert(!sp->dry_run);
	ck_assert_ptr_null(sp->only_label);
	ck_assert_uint_eq(sp->sample_percent, 100);
	ck_assert(sp->seed == 0);
}

START_TEST(test_drop)
{
	struct spec *sp;

	/* Every timestamp of the label. */
	sp = ok("DROP SNAPSHOT snapshot_1 FROM example_repo");
	ck_assert_int_eq(sp->kind, SPEC_DROP_SNAPSHOT);
	ck_assert_str_eq(sp->label, "snapshot_1");
	ck_assert_str_eq(sp->repo, "example_repo");
	ck_assert_ptr_null(sp->backup_timestamp);
	ck_assert_ptr_null(sp->db);
	ck_assert_ptr_null(sp->src_db);
	ck_assert_uint_eq(sp->ntables, 0);
	is_snapshot_defaults(sp);
	check_sane(sp);
	spec_free(sp);

	/* One timestamp; case, quoting, comments. */
	sp = ok("drop Snapshot `snap``1` -- one of them\n"
		"from \"my repo\" properties ('BACKUP_TIMESTAMP' = "
		"'2018-05-04-16-45-08');");
	ck_assert_int_eq(sp->kind, SPEC_DROP_SNAPSHOT);
	ck_assert_str_eq(sp->label, "snap`1");
	ck_assert_str_eq(sp->repo, "my repo");
	ck_assert_str_eq(sp->backup_timestamp, "2018-05-04-16-45-08");
	is_snapshot_defaults(sp);
	check_sane(sp);
	spec_free(sp);

	/* The new words are not reserved. */
	sp = ok("DROP SNAPSHOT snapshots FROM verify");
	ck_assert_str_eq(sp->label, "snapshots");
	ck_assert_str_eq(sp->repo, "verify");
	spec_free(sp);
	sp = ok("RESTORE SNAPSHOT drop.clean FROM verify PROPERTIES (" TS ")");
	ck_assert_int_eq(sp->kind, SPEC_RESTORE);
	ck_assert_str_eq(sp->db, "drop");
	ck_assert_str_eq(sp->label, "clean");
	is_snapshot_defaults(sp);
	check_sane(sp);
	spec_free(sp);

	/* A quoted label may hold a dot: it is one name. */
	sp = ok("DROP SNAPSHOT `db.s` FROM r");
	ck_assert_str_eq(sp->label, "db.s");
	spec_free(sp);

	ck_assert_str_eq(spec_kind_name(SPEC_DROP_SNAPSHOT), "DROP SNAPSHOT");
	ck_assert_str_eq(spec_kind_name(SPEC_CLEAN_SNAPSHOTS),
			 "CLEAN SNAPSHOTS");
	ck_assert_str_eq(spec_kind_name(SPEC_VERIFY_SNAPSHOT),
			 "VERIFY SNAPSHOT");
	/* Appended: the older values keep their numbers. */
	ck_assert_int_eq(SPEC_CANCEL_BACKUP, 3);
	ck_assert_int_eq(SPEC_DROP_SNAPSHOT, 4);
	ck_assert_int_eq(SPEC_CLEAN_SNAPSHOTS, 5);
	ck_assert_int_eq(SPEC_VERIFY_SNAPSHOT, 6);
}
END_TEST

/* CLEAN SNAPSHOTS FROM r PROPERTIES (props); older_than must be secs. */
static void is_older_than(const char *value, int64_t secs)
{
	char stmt[200];
	struct spec *sp;

	snprintf(stmt, sizeof(stmt), CS "PROPERTIES ('older_than' = '%s')",
		 value);
	sp = ok(stmt);
	ck_assert_msg(sp->older_than_s == secs, "%s: %lld, expected %lld",
		      value, (long long)sp->older_than_s, (long long)secs);
	ck_assert_int_eq(sp->keep_last, -1);
	check_sane(sp);
	spec_free(sp);
}

START_TEST(test_clean)
{
	struct spec *sp;

	sp = ok("CLEAN SNAPSHOTS FROM example_repo PROPERTIES (\"keep_last\" "
		"= \"7\");");
	ck_assert_int_eq(sp->kind, SPEC_CLEAN_SNAPSHOTS);
	ck_assert_str_eq(sp->repo, "example_repo");
	ck_assert_ptr_null(sp->label);
	ck_assert_ptr_null(sp->db);
	ck_assert_int_eq(sp->keep_last, 7);
	ck_assert_int_eq(sp->older_than_s, -1);
	ck_assert(!sp->dry_run);
	ck_assert_ptr_null(sp->only_label);
	ck_assert_uint_eq(sp->sample_percent, 100);
	check_sane(sp);
	spec_free(sp);

	/* Everything, in any order and case. */
	sp = ok("clean snapshots from `r`\n"
		"PROPERTIES (\n"
		"    'Label' = 'nightly', # only this one\n"
		"    'DRY_RUN' = 'TRUE',\n"
		"    'older_than' = '90d',\n"
		"    'keep_last' = '1000000'\n"
		")");
	ck_assert_str_eq(sp->repo, "r");
	ck_assert_int_eq(sp->keep_last, 1000000);
	ck_assert_int_eq(sp->older_than_s, 90 * 86400);
	ck_assert(sp->dry_run);
	ck_assert_str_eq(sp->only_label, "nightly");
	check_sane(sp);
	spec_free(sp);

	sp = ok(CS "PROPERTIES ('keep_last' = '0', 'dry_run' = 'false', "
		   "'label' = '快照 1')");
	ck_assert_int_eq(sp->keep_last, 0);
	ck_assert(!sp->dry_run);
	ck_assert_str_eq(sp->only_label, "快照 1");
	check_sane(sp);
	spec_free(sp);

	sp = ok(CS "PROPERTIES ('keep_last' = '+3')");
	ck_assert_int_eq(sp->keep_last, 3);
	spec_free(sp);

	/* Durations: every unit, none, zero, and the largest. */
	is_older_than("12h", 12 * 3600);
	is_older_than("1s", 1);
	is_older_than("30m", 1800);
	is_older_than("2w", 2 * 604800);
	is_older_than("3600", 3600);
	is_older_than("0", 0);
	is_older_than("0d", 0);
	is_older_than("007d", 7 * 86400);
	is_older_than("2147483647", 2147483647);
	is_older_than("2147483647s", 2147483647);
	is_older_than("35791394m", 35791394LL * 60);
	is_older_than("596523h", 596523LL * 3600);
	is_older_than("24855d", 24855LL * 86400);
	is_older_than("3550w", 3550LL * 604800);
}
END_TEST

START_TEST(test_verify)
{
	struct spec *sp;

	/* The newest complete timestamp; every file. */
	sp = ok("VERIFY SNAPSHOT snapshot_1 FROM example_repo;");
	ck_assert_int_eq(sp->kind, SPEC_VERIFY_SNAPSHOT);
	ck_assert_str_eq(sp->label, "snapshot_1");
	ck_assert_str_eq(sp->repo, "example_repo");
	ck_assert_ptr_null(sp->backup_timestamp);
	ck_assert_ptr_null(sp->db);
	ck_assert_uint_eq(sp->sample_percent, 100);
	ck_assert(sp->seed == 0);
	ck_assert_int_eq(sp->keep_last, -1);
	check_sane(sp);
	spec_free(sp);

	sp = ok("Verify snapshot s FROM r PROPERTIES (\"sample_percent\" = "
		"\"10\", \"Seed\" = \"42\", \"backup_timestamp\" = "
		"\"2024-12-09-10-25-58-842\")");
	ck_assert_str_eq(sp->backup_timestamp, "2024-12-09-10-25-58-842");
	ck_assert_uint_eq(sp->sample_percent, 10);
	ck_assert(sp->seed == 42);
	check_sane(sp);
	spec_free(sp);

	sp = ok(VS "PROPERTIES ('sample_percent' = '1', 'seed' = "
		   "'18446744073709551615')");
	ck_assert_uint_eq(sp->sample_percent, 1);
	ck_assert(sp->seed == UINT64_MAX);
	ck_assert_ptr_null(sp->backup_timestamp);
	check_sane(sp);
	spec_free(sp);

	sp = ok(VS "PROPERTIES ('sample_percent' = '100', 'seed' = '+0')");
	ck_assert_uint_eq(sp->sample_percent, 100);
	ck_assert(sp->seed == 0);
	spec_free(sp);

	sp = ok(VS "PROPERTIES ('seed' = '9223372036854775808')");
	ck_assert(sp->seed == (uint64_t)1 << 63);
	spec_free(sp);
}
END_TEST

/* --- lexical details ---------------------------------------------------- */

START_TEST(test_quoting)
{
	struct spec *sp;

	sp = ok("/* leading\n comment */ ReStOrE -- c1\n"
		"# c2\n"
		"SNAPSHOT/**/\"my db\".`we``ird`#c3\n"
		"FROM\t`repo-1` On(`tbl.x` PARTITION(\"p 1\",p$2),"
		"\"t\\\"q\" aS `a*b`)pRoPeRtIeS('backup_timestamp'="
		"'it\\'s \\\\ \\n \\t \"ok\"');  -- bye\n/* end */ ");
	ck_assert_str_eq(sp->db, "my db");
	ck_assert_str_eq(sp->label, "we`ird");
	ck_assert_str_eq(sp->repo, "repo-1");
	is_table(sp, 0, "tbl.x", NULL, 2, "p 1", "p$2");
	is_table(sp, 1, "t\"q", "a*b", 0);
	ck_assert_str_eq(sp->backup_timestamp, "it's \\ \n \t \"ok\"");
	spec_free(sp);

	/* Bare identifiers: digits first, '-', '$', non-ASCII; "--" in a
	 * word starts a comment. */
	sp = ok("RESTORE SNAPSHOT 2024db.123-label$x FROM 数据仓库 ON "
		"(表一 PARTITION (p-1--comment\n)) PROPERTIES (" TS ")");
	ck_assert_str_eq(sp->db, "2024db");
	ck_assert_str_eq(sp->label, "123-label$x");
	ck_assert_str_eq(sp->repo, "数据仓库");
	is_table(sp, 0, "表一", NULL, 1, "p-1");
	spec_free(sp);

	/* Reserved words may be names when quoted; the other keywords are
	 * names even bare. */
	sp = ok("RESTORE SNAPSHOT `from`.snapshot FROM restore ON "
		"(`table` PARTITION (`partition`) AS \"as\", tables, "
		"backup) PROPERTIES (" TS ")");
	ck_assert_str_eq(sp->db, "from");
	ck_assert_str_eq(sp->label, "snapshot");
	ck_assert_str_eq(sp->repo, "restore");
	is_table(sp, 0, "table", "as", 1, "partition");
	is_table(sp, 1, "tables", NULL, 0);
	is_table(sp, 2, "backup", NULL, 0);
	spec_free(sp);
}
END_TEST

START_TEST(test_tight_and_spaced)
{
	struct spec *sp;

	sp = ok("RESTORE SNAPSHOT db . s FROM r PROPERTIES(" TS ")");
	ck_assert_str_eq(sp->db, "db");
	ck_assert_str_eq(sp->label, "s");
	spec_free(sp);

	sp = ok("RESTORE SNAPSHOT`d`.`s`FROM`r`ON(`t`PARTITION(`p`)AS`a`)"
		"PROPERTIES(\"backup_timestamp\"=\"1\");");
	is_table(sp, 0, "t", "a", 1, "p");
	ck_assert_str_eq(sp->backup_timestamp, "1");
	spec_free(sp);

	sp = ok("\r\n\t\f\vCANCEL\r\nRESTORE\r\nFROM\r\nd\r\n;\r\n\t ");
	ck_assert_str_eq(sp->db, "d");
	spec_free(sp);

	/* 255-byte names are fine. */
	{
		char stmt[400], name[256];

		memset(name, 'n', 255);
		name[255] = '\0';
		snprintf(stmt, sizeof(stmt), "CANCEL RESTORE FROM %s", name);
		sp = ok(stmt);
		ck_assert_uint_eq(strlen(sp->db), 255);
		spec_free(sp);
	}
}
END_TEST

/* --- properties --------------------------------------------------------- */

START_TEST(test_properties)
{
	struct spec *sp;

	sp = ok(RP ", \"replication_allocation\" = "
		   "\"tag.location.default: 7\")");
	ck_assert_uint_eq(sp->replication_num, 7);
	spec_free(sp);

	sp = ok(RP ", 'REPLICATION_ALLOCATION' = ' Tag.Location.Default:1 ')");
	ck_assert_uint_eq(sp->replication_num, 1);
	spec_free(sp);

	sp = ok(RP ", \"Replication_Num\" = \"32767\", \"TIMEOUT\" = "
		   "\"600\", \"Allow_Load\" = \"TRUE\", \"meta_version\" = "
		   "\"2147483647\")");
	ck_assert_uint_eq(sp->replication_num, 32767);
	ck_assert_int_eq(sp->timeout_s, 600);
	ck_assert(sp->allow_load);
	ck_assert_int_eq(sp->meta_version, 2147483647);
	spec_free(sp);

	sp = ok(RP ", \"timeout\" = \"2147483647\", \"replication_num\" = "
		   "\"+2\")");
	ck_assert_int_eq(sp->timeout_s, 2147483647);
	ck_assert_uint_eq(sp->replication_num, 2);
	spec_free(sp);

	/* backup_timestamp is any non-empty string: the caller checks it. */
	sp = ok(R "PROPERTIES ('backup_timestamp' = 'not a timestamp')");
	ck_assert_str_eq(sp->backup_timestamp, "not a timestamp");
	is_restore_defaults(sp);
	spec_free(sp);

	sp = ok(B "PROPERTIES (\"content\" = \"Metadata_Only\", \"timeout\" = "
		  "\"5\")");
	ck_assert_int_eq(sp->content, SPEC_CONTENT_METADATA_ONLY);
	ck_assert_int_eq(sp->timeout_s, 5);
	spec_free(sp);
}
END_TEST

/* --- malformed statements ----------------------------------------------- */

/*
 * at: the error's position is the first occurrence of this text in the
 * statement; AT_END: the end of the input.
 */
#define AT_END NULL

struct bad_case {
	const char *text;
	const char *at;
	const char *msg; /* must appear in the message */
};

/*
 * A case fails with -EAGAIN (the text stops short) if its error is at the
 * end, else with -EINVAL; except these, whose marker is a word the end of
 * the text may have cut short (a name may follow FROM: "TOP" would do).
 */
static const char *const cut_words[] = {
	"CLEAN SNAPSHOTS FROM TO",
};

static int bad_case_rc(const struct bad_case *c)
{
	size_t i;

	for (i = 0; i < N(cut_words); i++)
		if (strcmp(c->text, cut_words[i]) == 0)
			return -EAGAIN;
	return c->at == AT_END ? -EAGAIN : -EINVAL;
}

static const struct bad_case bad_cases[] = {
	{"", AT_END,
	 "empty statement: expected RESTORE, BACKUP, CANCEL, DROP, CLEAN or "
	 "VERIFY"},
	{"-- only a comment\n", AT_END, "empty statement"},
	{"/* c */ # c\n  ", AT_END, "empty statement"},
	{";", ";",
	 "expected RESTORE, BACKUP, CANCEL, DROP, CLEAN or VERIFY, found "
	 "\";\""},
	{"DELETE SNAPSHOT s FROM r", "DELETE",
	 "expected RESTORE, BACKUP, CANCEL, DROP, CLEAN or VERIFY, found "
	 "\"DELETE\""},
	{"DROP TABLE t", "TABLE",
	 "expected SNAPSHOT after DROP, found \"TABLE\""},
	{"RESTORE s FROM r", "s FROM",
	 "expected SNAPSHOT after RESTORE, found \"s\""},
	{"BACKUP DATABASE d SNAPSHOT s TO r", "DATABASE",
	 "expected SNAPSHOT after BACKUP, found \"DATABASE\""},
	{"RESTORE SNAPSHOT", AT_END,
	 "expected a snapshot label after SNAPSHOT, found end of input"},
	{"RESTORE SNAPSHOT FROM r PROPERTIES (" TS ")", "FROM",
	 "expected a snapshot label after SNAPSHOT, found the keyword "
	 "\"FROM\" (write `FROM` to use it as a name)"},
	{"RESTORE SNAPSHOT s", AT_END,
	 "expected FROM after the snapshot label, found end of input"},
	{"RESTORE SNAPSHOT db.s TO r", "TO r",
	 "expected FROM after the snapshot label, found \"TO\""},
	{"RESTORE SNAPSHOT db. FROM r", "FROM",
	 "expected a snapshot label after the \".\", found the keyword"},
	{"RESTORE SNAPSHOT db.'s' FROM r", "'s'",
	 "expected a snapshot label after the \".\", found 's'"},
	{"RESTORE SNAPSHOT s FROM", AT_END,
	 "expected a repository name after FROM, found end of input"},
	{"RESTORE SNAPSHOT s FROM ON (t)", "ON",
	 "expected a repository name after FROM, found the keyword \"ON\""},
	{R "garbage", "garbage",
	 "expected DATABASE, ON, PROPERTIES or the end of the statement, "
	 "found \"garbage\""},
	{R "ON () PROPERTIES (" TS ")", ") PROP",
	 "expected a table name in the ON list, found \")\""},
	{R "ON (t1,) PROPERTIES (" TS ")", ") PROP",
	 "expected a table name in the ON list, found \")\""},
	{R "ON t1 PROPERTIES (" TS ")", "t1",
	 "expected \"(\" after ON, found \"t1\""},
	{R "ON (t1 PROPERTIES (" TS ")", "PROPERTIES",
	 "expected \",\" or \")\" in the ON list, found \"PROPERTIES\""},
	{R "ON ((t1)) PROPERTIES (" TS ")", "(t1",
	 "expected a table name in the ON list, found \"(\""},
	{R "ON (t1)) PROPERTIES (" TS ")", ") PROP",
	 "expected PROPERTIES or the end of the statement, found \")\""},
	{RP, AT_END,
	 "expected \",\" or \")\" in PROPERTIES, found end of input"},
	{RP ", \"foo\" = \"1\")", "\"foo\"",
	 "unknown RESTORE property \"foo\" (allowed: backup_timestamp, "
	 "replication_num, replication_allocation, timeout, allow_load, "
	 "reserve_replica, atomic_restore, force_replace, clean_tables, "
	 "clean_partitions, meta_version)"},
	{RP ", \"reserve_colocate\" = \"true\")", "\"reserve_colocate\"",
	 "unknown RESTORE property \"reserve_colocate\""},
	{RP ", \"replication_num\" = \"abc\")", "\"abc\"",
	 "\"replication_num\" must be an integer from 1 to 32767, got "
	 "\"abc\""},
	{RP ", \"replication_num\" = \"1.5\")", "\"1.5\"",
	 "\"replication_num\" must be an integer from 1 to 32767"},
	{RP ", \"replication_num\" = \" 2\")", "\" 2\"",
	 "\"replication_num\" must be an integer"},
	{RP ", \"replication_num\" = \"\")", "\"\")", "got \"\""},
	{RP ", \"replication_num\" = \"0\")", "\"0\"",
	 "\"replication_num\" must be an integer from 1 to 32767, got \"0\""},
	{RP ", \"replication_num\" = \"40000\")", "\"40000\"", "got \"40000\""},
	{RP ", \"replication_num\" = \"99999999999999999999999999\")", "\"9999",
	 "\"replication_num\" must be an integer from 1 to 32767"},
	{RP ", \"timeout\" = \"60\")", "\"60\"",
	 "\"timeout\" must be at least 600 seconds, got \"60\""},
	{RP ", \"timeout\" = \"599\")", "\"599\"",
	 "\"timeout\" must be at least 600 seconds, got \"599\""},
	{RP ", \"timeout\" = \"-1\")", "\"-1\"",
	 "\"timeout\" must be at least 600 seconds"},
	{RP ", \"timeout\" = \"2147483648\")", "\"2147483648\"",
	 "\"timeout\" must be at most 2147483647 seconds"},
	{RP ", \"timeout\" = \"1h\")", "\"1h\"",
	 "\"timeout\" must be a whole number of seconds, got \"1h\""},
	{RP ", \"allow_load\" = \"yes\")", "\"yes\"",
	 "\"allow_load\" must be \"true\" or \"false\", got \"yes\""},
	{RP ", \"atomic_restore\" = \"1\")", "\"1\"",
	 "\"atomic_restore\" must be \"true\" or \"false\""},
	{RP ", \"meta_version\" = \"-1\")", "\"-1\"",
	 "\"meta_version\" must be an integer from 0 to 2147483647"},
	{RP ", \"TIMEOUT\" = \"600\", \"timeout\" = \"700\")", "\"timeout\"",
	 "property \"timeout\" is given twice"},
	{RP ", \"backup_timestamp\" = \"y\")", "\"backup_timestamp\" = \"y",
	 "property \"backup_timestamp\" is given twice"},
	{RP ", \"replication_num\" = \"1\", \"replication_allocation\" = "
	    "\"tag.location.default: 1\")",
	 "\"replication_allocation\"",
	 "give \"replication_num\" or \"replication_allocation\", not both"},
	{RP ", \"replication_allocation\" = \"tag.location.zone1: 1\")",
	 "\"tag.", "must be \"tag.location.default: N\""},
	{RP ", \"replication_allocation\" = \"tag.location.default: 1, "
	    "tag.location.b: 1\")",
	 "\"tag.", "must be \"tag.location.default: N\""},
	{RP ", \"replication_allocation\" = \"tag.location.default: 0\")",
	 "\"tag.", "with N from 1 to 32767"},
	{R "PROPERTIES (\"replication_num\" = \"1\")", AT_END,
	 "missing required property \"backup_timestamp\""},
	{R "PROPERTIES (\"backup_timestamp\" = \"\")", "\"\"",
	 "\"backup_timestamp\" must not be empty"},
	{R "PROPERTIES (backup_timestamp = \"x\")", "backup_timestamp",
	 "expected a quoted property name, found \"backup_timestamp\""},
	{R "PROPERTIES (`backup_timestamp` = \"x\")", "`",
	 "expected a quoted property name, found `backup_timestamp`"},
	{R "PROPERTIES (\"timeout\" = 600)", "600",
	 "expected a quoted value for property \"timeout\", found \"600\""},
	{R "PROPERTIES (\"timeout\" \"600\")", "\"600\"",
	 "expected \"=\" after property \"timeout\", found \"600\""},
	{R "PROPERTIES ()", ")",
	 "expected a quoted property name, found \")\""},
	{RP ",)", ")", "expected a quoted property name, found \")\""},
	{R "PROPERTIES " TS, "\"backup",
	 "expected \"(\" after PROPERTIES, found \"backup_timestamp\""},
	{RP ") PROPERTIES ('timeout' = '700')", "PROPERTIES ('",
	 "PROPERTIES is given twice"},
	{RP ") ON (t)", "ON", "ON must come before PROPERTIES"},
	{R "ON (t) DATABASE d PROPERTIES (" TS ")", "DATABASE",
	 "DATABASE must come before ON"},
	{R "ON (t1, t2, t1) PROPERTIES (" TS ")", "t1) ",
	 "table \"t1\" is listed twice in ON"},
	{R "ON (t1 PARTITION (p1, P1)) PROPERTIES (" TS ")", "P1",
	 "partition \"P1\" is listed twice for table \"t1\""},
	{R "ON (a AS b, b) PROPERTIES (" TS ")", "b) ",
	 "two tables would be restored as \"b\""},
	{R "ON (a AS c, b AS c) PROPERTIES (" TS ")", "c) ",
	 "two tables would be restored as \"c\""},
	{R "ON (ALL TABLES, ALL TABLES) PROPERTIES (" TS ")", "ALL TABLES)",
	 "ALL TABLES is listed twice"},
	{R "ON (ALL VIEWS) PROPERTIES (" TS ")", "VIEWS",
	 "expected TABLES after ALL (ALL TABLES is the only ALL item), "
	 "found \"VIEWS\""},
	{R "ON (TABLE) PROPERTIES (" TS ")", ") PROP",
	 "expected a table name after TABLE, found \")\""},
	{R "ON (t PARTITION p1) PROPERTIES (" TS ")", "p1",
	 "expected \"(\" after PARTITION, found \"p1\""},
	{R "ON (t PARTITION ()) PROPERTIES (" TS ")", ")) ",
	 "expected a partition name after \"(\", found \")\""},
	{R "ON (t PARTITION (p1,)) PROPERTIES (" TS ")", ")) ",
	 "expected a partition name after \",\", found \")\""},
	{R "ON (t PARTITION (p1 p2)) PROPERTIES (" TS ")", "p2",
	 "expected \",\" or \")\" in the partition list, found \"p2\""},
	{R "ON (t AS) PROPERTIES (" TS ")", ") PROP",
	 "expected a table alias after AS, found \")\""},
	{"RESTORE SNAPSHOT \"a/b\" FROM r PROPERTIES (" TS ")", "\"a/b\"",
	 "bad snapshot label \"a/b\": a name cannot contain '/'"},
	{"RESTORE SNAPSHOT `..`.s FROM r PROPERTIES (" TS ")", "`..`",
	 "bad snapshot label \"..\": \".\" and \"..\" are not names"},
	{R "ON (`.`) PROPERTIES (" TS ")", "`.`",
	 "bad table name \".\": \".\" and \"..\" are not names"},
	{R "ON (t AS `x/y`) PROPERTIES (" TS ")", "`x/y`",
	 "bad table alias \"x/y\": a name cannot contain '/'"},
	{R "ON (t PARTITION (\"\")) PROPERTIES (" TS ")", "\"\"",
	 "bad partition name \"\": a name cannot be empty"},
	{"RESTORE SNAPSHOT `` FROM r", "``",
	 "bad snapshot label \"\": a name cannot be empty"},
	{"RESTORE SNAPSHOT s FROM r DATABASE \"../x\"", "\"../x\"",
	 "bad database name \"../x\": a name cannot contain '/'"},
	{"RESTORE SNAPSHOT s FROM `r/x`", "`r/x`",
	 "bad repository name \"r/x\""},
	{"RESTORE SNAPSHOT a.s FROM r DATABASE x AS b PROPERTIES (" TS ")",
	 "b PROP",
	 "the target database is given twice: \"a\" before the label and "
	 "\"b\" after AS"},
	{RP ", \"timeout\" = \"600", AT_END,
	 "unterminated string starting at line 1, column 96"},
	{R "/* never closed", AT_END,
	 "unterminated comment starting at line 1, column 30"},
	{"RESTORE SNAPSHOT `label FROM r", AT_END,
	 "unterminated quoted identifier starting at line 1, column 18"},
	{"RESTORE SNAPSHOT `label`` FROM r", AT_END,
	 "unterminated quoted identifier starting at line 1, column 18"},
	{RP ", \"timeout\" = \"6\\00\")", "\\0",
	 "unknown escape \"\\0\" in a string"},
	{RP ", \"timeout\" = \"600\\", AT_END,
	 "unterminated string starting at line 1"},
	{R "@", "@", "unexpected character '@'"},
	{R "ON (t) PROPERTIES (" TS ") / x", "/", "unexpected character '/'"},
	{RP ");\x01", "\x01", "unexpected byte 0x01"},
	{RP "); garbage", "garbage",
	 "unexpected text after the statement: \"garbage\""},
	{RP ") ; -- ok\n/* ok */ garbage -- still garbage", "garbage",
	 "unexpected text after the statement: \"garbage\""},
	{"CANCEL RESTORE FROM a; CANCEL RESTORE FROM b",
	 "CANCEL RESTORE FROM b",
	 "unexpected text after the statement: \"CANCEL\""},
	{B "ON (t AS x)", "AS",
	 "BACKUP does not take AS; rename a table when restoring it"},
	{B "ON (ALL TABLES)", "ALL", "BACKUP does not take ALL TABLES"},
	{B "DATABASE d", "DATABASE",
	 "expected ON, PROPERTIES or the end of the statement, found "
	 "\"DATABASE\""},
	{B "EXCLUDE (t)", "EXCLUDE", "EXCLUDE is not supported"},
	{"BACKUP SNAPSHOT db.s FROM r", "FROM",
	 "expected TO after the snapshot label, found \"FROM\""},
	{B "PROPERTIES (\"type\" = \"incremental\")", "\"incremental\"",
	 "only full backups are supported: \"type\" must be \"full\", got "
	 "\"incremental\""},
	{B "PROPERTIES (\"type\" = \"diff\")", "\"diff\"",
	 "\"type\" must be \"full\", got \"diff\""},
	{B "PROPERTIES (\"content\" = \"data\")", "\"data\"",
	 "\"content\" must be \"all\" or \"metadata_only\", got \"data\""},
	{B "PROPERTIES (\"timeout\" = \"0\")", "\"0\"",
	 "\"timeout\" must be at least 1 second, got \"0\""},
	{B "PROPERTIES (" TS ")", "\"backup_timestamp\"",
	 "unknown BACKUP property \"backup_timestamp\" (allowed: type, "
	 "timeout, content)"},
	{"CANCEL", AT_END,
	 "expected RESTORE or BACKUP after CANCEL, found end of input"},
	{"CANCEL LOAD FROM d", "LOAD",
	 "expected RESTORE or BACKUP after CANCEL, found \"LOAD\""},
	{"CANCEL RESTORE d", "d",
	 "expected FROM after CANCEL RESTORE, found \"d\""},
	{"CANCEL BACKUP FROM", AT_END,
	 "expected a database name after FROM, found end of input"},
	{"CANCEL RESTORE FROM d PROPERTIES (\"a\" = \"b\")", "PROPERTIES",
	 "CANCEL RESTORE takes no properties"},
	{"CANCEL BACKUP FROM d.x", ".", "unexpected text after the statement"},
	{"CANCEL RESTORE FROM 'd'", "'d'",
	 "expected a database name after FROM, found 'd'"},
	{"CANCEL DROP FROM d", "DROP",
	 "expected RESTORE or BACKUP after CANCEL, found \"DROP\""},
	{RP ", \"keep_last\" = \"1\")", "\"keep_last\"",
	 "unknown RESTORE property \"keep_last\""},
	{B "PROPERTIES ('seed' = '1')", "'seed'",
	 "unknown BACKUP property \"seed\" (allowed: type, timeout, content)"},
	/* DROP SNAPSHOT */
	{"DROP", AT_END, "expected SNAPSHOT after DROP, found end of input"},
	{"DROP SNAPSHOTS s FROM r", "SNAPSHOTS",
	 "expected SNAPSHOT after DROP, found \"SNAPSHOTS\""},
	{"DROP SNAPSHOT", AT_END,
	 "expected a snapshot label after SNAPSHOT, found end of input"},
	{"DROP SNAPSHOT FROM r", "FROM",
	 "expected a snapshot label after SNAPSHOT, found the keyword "
	 "\"FROM\" (write `FROM` to use it as a name)"},
	{"DROP SNAPSHOT 's' FROM r", "'s'",
	 "expected a snapshot label after SNAPSHOT, found 's'"},
	{"DROP SNAPSHOT db.s FROM r", ".",
	 "DROP SNAPSHOT takes no database: write the label alone, not "
	 "\"db.label\""},
	{"DROP SNAPSHOT `d b` . s FROM r", ".",
	 "DROP SNAPSHOT takes no database"},
	{"DROP SNAPSHOT s", AT_END,
	 "expected FROM after the snapshot label, found end of input"},
	{"DROP SNAPSHOT s TO r", "TO",
	 "expected FROM after the snapshot label, found \"TO\""},
	{"DROP SNAPSHOT s FROM", AT_END,
	 "expected a repository name after FROM, found end of input"},
	{"DROP SNAPSHOT s FROM `r/x`", "`r/x`",
	 "bad repository name \"r/x\": a name cannot contain '/'"},
	{"DROP SNAPSHOT `..` FROM r", "`..`",
	 "bad snapshot label \"..\": \".\" and \"..\" are not names"},
	{DS "ON (t)", "ON",
	 "expected PROPERTIES or the end of the statement, found \"ON\""},
	{DS "garbage", "garbage",
	 "expected PROPERTIES or the end of the statement, found "
	 "\"garbage\""},
	{DS "PROPERTIES (\"timeout\" = \"600\")", "\"timeout\"",
	 "unknown DROP SNAPSHOT property \"timeout\" (allowed: "
	 "backup_timestamp)"},
	{DS "PROPERTIES (\"keep_last\" = \"1\")", "\"keep_last\"",
	 "unknown DROP SNAPSHOT property \"keep_last\" (allowed: "
	 "backup_timestamp)"},
	{DS "PROPERTIES (\"backup_timestamp\" = \"\")", "\"\"",
	 "\"backup_timestamp\" must not be empty"},
	{DS "PROPERTIES (" TS ", 'Backup_Timestamp' = 'y')",
	 "'Backup_Timestamp'", "property \"backup_timestamp\" is given twice"},
	{DS "PROPERTIES (" TS ") properties (" TS ")", "properties",
	 "PROPERTIES is given twice"},
	{DS "PROPERTIES ()", ")",
	 "expected a quoted property name, found \")\""},
	{DS "PROPERTIES " TS, "\"backup",
	 "expected \"(\" after PROPERTIES, found \"backup_timestamp\""},
	{DS "PROPERTIES (" TS, AT_END,
	 "expected \",\" or \")\" in PROPERTIES, found end of input"},
	{DS "PROPERTIES (" TS ") ON (t)", "ON",
	 "unexpected text after the statement: \"ON\""},
	{DS "; x", "x", "unexpected text after the statement: \"x\""},
	/* CLEAN SNAPSHOTS */
	{"CLEAN", AT_END, "expected SNAPSHOTS after CLEAN, found end of input"},
	{"CLEAN SNAPSHOT FROM r", "SNAPSHOT",
	 "expected SNAPSHOTS after CLEAN, found \"SNAPSHOT\""},
	{"CLEAN SNAPSHOTS", AT_END,
	 "expected FROM after CLEAN SNAPSHOTS, found end of input"},
	{"CLEAN SNAPSHOTS nightly FROM r", "nightly",
	 "expected FROM after CLEAN SNAPSHOTS, found \"nightly\" (to clean "
	 "one label, give the property \"label\")"},
	{"CLEAN SNAPSHOTS `a`.b FROM r", "`a`",
	 "expected FROM after CLEAN SNAPSHOTS, found `a` (to clean one label"},
	{"CLEAN SNAPSHOTS FROM", AT_END,
	 "expected a repository name after FROM, found end of input"},
	{"CLEAN SNAPSHOTS FROM TO", "TO",
	 "expected a repository name after FROM, found the keyword \"TO\""},
	{"CLEAN SNAPSHOTS FROM db.r PROPERTIES ('keep_last' = '1')", ".",
	 "expected PROPERTIES or the end of the statement, found \".\""},
	{"CLEAN SNAPSHOTS FROM r", AT_END,
	 "missing required property \"keep_last\" or \"older_than\""},
	{"CLEAN SNAPSHOTS FROM r ;", ";",
	 "missing required property \"keep_last\" or \"older_than\""},
	{CS "PROPERTIES ('dry_run' = 'true', 'label' = 'x')", AT_END,
	 "missing required property \"keep_last\" or \"older_than\""},
	{CS "PROPERTIES ('dry_run' = 'true') -- c\n;", ";",
	 "missing required property \"keep_last\" or \"older_than\""},
	{CS "ON (t)", "ON",
	 "expected PROPERTIES or the end of the statement, found \"ON\""},
	{CSP, AT_END,
	 "expected \",\" or \")\" in PROPERTIES, found end of input"},
	{CSP ") PROPERTIES ('dry_run' = 'true')", "PROPERTIES ('dry",
	 "PROPERTIES is given twice"},
	{CSP ", 'timeout' = '1')", "'timeout'",
	 "unknown CLEAN SNAPSHOTS property \"timeout\" (allowed: keep_last, "
	 "older_than, dry_run, label)"},
	{CS "PROPERTIES (" TS ")", "\"backup_timestamp\"",
	 "unknown CLEAN SNAPSHOTS property \"backup_timestamp\""},
	{CSP ", 'sample_percent' = '5')", "'sample_percent'",
	 "unknown CLEAN SNAPSHOTS property \"sample_percent\""},
	{CSP ", 'KEEP_LAST' = '2')", "'KEEP_LAST'",
	 "property \"keep_last\" is given twice"},
	{CSP ", 'older_than' = '1d', 'older_than' = '2d')",
	 "'older_than' = '2d", "property \"older_than\" is given twice"},
	{CSP ", 'dry_run' = 'true', 'Dry_Run' = 'true')", "'Dry_Run'",
	 "property \"dry_run\" is given twice"},
	{CSP ", 'label' = 'a', 'LABEL' = 'a')", "'LABEL'",
	 "property \"label\" is given twice"},
	{CS "PROPERTIES ('keep_last' = '-1')", "'-1'",
	 "\"keep_last\" must be an integer from 0 to 1000000, got \"-1\""},
	{CS "PROPERTIES ('keep_last' = '1000001')", "'1000001'",
	 "\"keep_last\" must be an integer from 0 to 1000000, got "
	 "\"1000001\""},
	{CS "PROPERTIES ('keep_last' = '99999999999999999999999')", "'9999",
	 "\"keep_last\" must be an integer from 0 to 1000000"},
	{CS "PROPERTIES ('keep_last' = 'all')", "'all'",
	 "\"keep_last\" must be an integer from 0 to 1000000, got \"all\""},
	{CS "PROPERTIES ('keep_last' = '')", "'')", "got \"\""},
	{CS "PROPERTIES ('keep_last' = '1.5')", "'1.5'",
	 "\"keep_last\" must be an integer"},
	{CS "PROPERTIES ('keep_last' = ' 1')", "' 1'",
	 "\"keep_last\" must be an integer"},
	{CS "PROPERTIES ('keep_last' = 7)", "7",
	 "expected a quoted value for property \"keep_last\", found \"7\""},
	{CS "PROPERTIES ('older_than' = '90y')", "'90y'",
	 "\"older_than\" must be a whole number followed by s, m, h, d or w, "
	 "or by nothing for seconds (e.g. \"90d\"), got \"90y\""},
	{CS "PROPERTIES ('older_than' = '90D')", "'90D'",
	 "\"older_than\" must be a whole number followed by s, m, h, d or w"},
	{CS "PROPERTIES ('older_than' = '1M')", "'1M'", "got \"1M\""},
	{CS "PROPERTIES ('older_than' = '')", "'')", "got \"\""},
	{CS "PROPERTIES ('older_than' = 'd')", "'d'", "got \"d\""},
	{CS "PROPERTIES ('older_than' = 'd90')", "'d90'", "got \"d90\""},
	{CS "PROPERTIES ('older_than' = '-1d')", "'-1d'", "got \"-1d\""},
	{CS "PROPERTIES ('older_than' = '+1d')", "'+1d'", "got \"+1d\""},
	{CS "PROPERTIES ('older_than' = '1.5h')", "'1.5h'", "got \"1.5h\""},
	{CS "PROPERTIES ('older_than' = '90 d')", "'90 d'", "got \"90 d\""},
	{CS "PROPERTIES ('older_than' = ' 90d')", "' 90d'", "got \" 90d\""},
	{CS "PROPERTIES ('older_than' = '90dd')", "'90dd'", "got \"90dd\""},
	{CS "PROPERTIES ('older_than' = '1h30m')", "'1h30m'", "got \"1h30m\""},
	{CS "PROPERTIES ('older_than' = '2147483648')", "'2147483648'",
	 "\"older_than\" must be at most 2147483647 seconds (24855d), got "
	 "\"2147483648\""},
	{CS "PROPERTIES ('older_than' = '35791395m')", "'35791395m'",
	 "\"older_than\" must be at most 2147483647 seconds"},
	{CS "PROPERTIES ('older_than' = '596524h')", "'596524h'",
	 "\"older_than\" must be at most 2147483647 seconds"},
	{CS "PROPERTIES ('older_than' = '24856d')", "'24856d'",
	 "\"older_than\" must be at most 2147483647 seconds (24855d), got "
	 "\"24856d\""},
	{CS "PROPERTIES ('older_than' = '3551w')", "'3551w'",
	 "\"older_than\" must be at most 2147483647 seconds"},
	{CS "PROPERTIES ('older_than' = '99999999999999999999999999w')",
	 "'9999", "\"older_than\" must be at most 2147483647 seconds"},
	{CSP ", 'dry_run' = 'yes')", "'yes'",
	 "\"dry_run\" must be \"true\" or \"false\", got \"yes\""},
	{CSP ", 'dry_run' = '1')", "'1')",
	 "\"dry_run\" must be \"true\" or \"false\", got \"1\""},
	{CSP ", 'label' = '')", "'')",
	 "bad snapshot label \"\" in \"label\": a name cannot be empty"},
	{CSP ", 'label' = 'a/b')", "'a/b'",
	 "bad snapshot label \"a/b\" in \"label\": a name cannot contain '/'"},
	{CSP ", 'label' = '..')", "'..'",
	 "bad snapshot label \"..\" in \"label\": \".\" and \"..\" are not "
	 "names"},
	/* VERIFY SNAPSHOT */
	{"VERIFY", AT_END,
	 "expected SNAPSHOT after VERIFY, found end of input"},
	{"VERIFY TABLE t", "TABLE",
	 "expected SNAPSHOT after VERIFY, found \"TABLE\""},
	{"VERIFY SNAPSHOT", AT_END,
	 "expected a snapshot label after SNAPSHOT, found end of input"},
	{"VERIFY SNAPSHOT db.s FROM r", ".",
	 "VERIFY SNAPSHOT takes no database: write the label alone, not "
	 "\"db.label\""},
	{"VERIFY SNAPSHOT s", AT_END,
	 "expected FROM after the snapshot label, found end of input"},
	{"VERIFY SNAPSHOT s FROM", AT_END,
	 "expected a repository name after FROM, found end of input"},
	{"VERIFY SNAPSHOT s FROM \"a/b\"", "\"a/b\"",
	 "bad repository name \"a/b\""},
	{VS "ON (t)", "ON",
	 "expected PROPERTIES or the end of the statement, found \"ON\""},
	{VS "PROPERTIES ('keep_last' = '1')", "'keep_last'",
	 "unknown VERIFY SNAPSHOT property \"keep_last\" (allowed: "
	 "backup_timestamp, sample_percent, seed)"},
	{VS "PROPERTIES ('timeout' = '600')", "'timeout'",
	 "unknown VERIFY SNAPSHOT property \"timeout\""},
	{VS "PROPERTIES ('backup_timestamp' = '')", "'')",
	 "\"backup_timestamp\" must not be empty"},
	{VS "PROPERTIES ('seed' = '1', 'SEED' = '2')", "'SEED'",
	 "property \"seed\" is given twice"},
	{VS "PROPERTIES ('sample_percent' = '1', 'sample_percent' = '2')",
	 "'sample_percent' = '2", "property \"sample_percent\" is given twice"},
	{VS "PROPERTIES ('sample_percent' = '0')", "'0'",
	 "\"sample_percent\" must be an integer from 1 to 100, got \"0\""},
	{VS "PROPERTIES ('sample_percent' = '101')", "'101'",
	 "\"sample_percent\" must be an integer from 1 to 100, got \"101\""},
	{VS "PROPERTIES ('sample_percent' = '-5')", "'-5'", "got \"-5\""},
	{VS "PROPERTIES ('sample_percent' = '50%')", "'50%'", "got \"50%\""},
	{VS "PROPERTIES ('sample_percent' = '')", "'')", "got \"\""},
	{VS "PROPERTIES ('sample_percent' = '0.5')", "'0.5'",
	 "\"sample_percent\" must be an integer from 1 to 100"},
	{VS "PROPERTIES ('seed' = '-1')", "'-1'",
	 "\"seed\" must be an integer from 0 to 18446744073709551615, got "
	 "\"-1\""},
	{VS "PROPERTIES ('seed' = '18446744073709551616')", "'1844",
	 "\"seed\" must be an integer from 0 to 18446744073709551615, got "
	 "\"18446744073709551616\""},
	{VS "PROPERTIES ('seed' = '99999999999999999999999999')", "'9999",
	 "\"seed\" must be an integer from 0 to 18446744073709551615"},
	{VS "PROPERTIES ('seed' = '0x10')", "'0x10'", "got \"0x10\""},
	{VS "PROPERTIES ('seed' = '1e3')", "'1e3'", "got \"1e3\""},
	{VS "PROPERTIES ('seed' = '')", "'')", "got \"\""},
	{VS "PROPERTIES ('seed' = '-')", "'-'", "got \"-\""},
	{VS "PROPERTIES ('seed' = ' 1')", "' 1'", "got \" 1\""},
	{VS "PROPERTIES ('seed' = '99999999999999999999x')", "'9999",
	 "got \"99999999999999999999x\""},
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	size_t len = strlen(c->text), off, k;
	unsigned line = 1, col = 1;
	struct spec_err err;
	const char *at;

	err = bad_rc(c->text, len, bad_case_rc(c));
	ck_assert_msg(strstr(err.msg, c->msg),
		      "%s\n  got      %s\n  wanted   %s", c->text, err.msg,
		      c->msg);
	if (c->at) {
		at = strstr(c->text, c->at);
		ck_assert_msg(at, "case %d: marker not in text", _i);
		off = (size_t)(at - c->text);
	} else {
		off = len;
	}
	for (k = 0; k < off; k++) {
		if (c->text[k] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)c->text[k] & 0xc0) != 0x80) {
			col++;
		}
	}
	ck_assert_msg(err.line == line && err.col == col,
		      "%s\n  error at %u:%u (%s), expected %u:%u", c->text,
		      err.line, err.col, err.msg, line, col);
}
END_TEST

START_TEST(test_positions)
{
	/* Multi-line: the trailing comma is on line 5, the ')' on line 6. */
	is_err("RESTORE SNAPSHOT db.snap\n"
	       "FROM repo\n"
	       "ON (\n"
	       "    t1 PARTITION (p1, p2),\n"
	       "    t2 AS t3,\n"
	       ")\n"
	       "PROPERTIES (\"backup_timestamp\" = \"2024-01-01-00-00-00\");\n",
	       6, 1, "expected a table name in the ON list, found \")\"");

	/* A tab is one column. */
	is_err("RESTORE SNAPSHOT s FROM r\n"
	       "PROPERTIES (\n"
	       "\t\"backup_timestamp\" = \"x\",\n"
	       "\t\"replication_num\" = \"0\"\n"
	       ")",
	       4, 22,
	       "\"replication_num\" must be an integer from 1 to 32767, got "
	       "\"0\"");

	/* Columns count characters, not bytes. */
	is_err("RESTORE SNAPSHOT 数据库.快照 FROM r TO", 1, 32,
	       "expected DATABASE, ON, PROPERTIES or the end of the "
	       "statement, found \"TO\"");

	/* Comments spanning lines move the position on. */
	is_err("/* multi\nline */ RESTORE SNAPSHOT s FROM r PROPERTIES "
	       "('backup_timestamp'='x') ; -- done\n# more\n garbage",
	       4, 2, "unexpected text after the statement: \"garbage\"");

	/* Unterminated things: the error is at the end, the message says
	 * where they started. */
	is_err("RESTORE /* abc\n\n", 3, 1,
	       "unterminated comment starting at line 1, column 9");
	is_err("RESTORE SNAPSHOT s FROM r PROPERTIES (\n  \"backup_timestamp\""
	       " = \"2018-05-04\n",
	       3, 1, "unterminated string starting at line 2, column 24");
	is_err("CANCEL RESTORE FROM `x\n`` ", 2, 4,
	       "unterminated quoted identifier starting at line 1, column 21");

	/* Where a marker can't say which of two equal tokens. */
	is_err("CANCEL RESTORE FROM d;;", 1, 23,
	       "unexpected text after the statement: \";\"");
	is_err(RP "))", 1, 83, "unexpected text after the statement: \")\"");

	/* Missing property: at the end of the statement. */
	is_err("RESTORE SNAPSHOT s FROM r ON (t)\n;", 2, 1,
	       "missing required property \"backup_timestamp\"");
	is_err("RESTORE SNAPSHOT s FROM r", 1, 26,
	       "missing required property \"backup_timestamp\"");

	/* The snapshot statements. */
	is_err("CLEAN SNAPSHOTS FROM r\n"
	       "PROPERTIES (\n"
	       "\t'dry_run' = 'true',\n"
	       "\t'label' = 'nightly'\n"
	       ")\n",
	       6, 1,
	       "missing required property \"keep_last\" or \"older_than\"");
	is_err("CLEAN SNAPSHOTS FROM r -- nothing to go by\n", 2, 1,
	       "missing required property \"keep_last\" or \"older_than\"");
	is_err("CLEAN SNAPSHOTS FROM r\n"
	       "PROPERTIES (\n"
	       "\t'keep_last' = '3',\n"
	       "\t'older_than' = '90y'\n"
	       ")",
	       4, 17,
	       "\"older_than\" must be a whole number followed by s, m, h, d "
	       "or w, or by nothing for seconds (e.g. \"90d\"), got \"90y\"");
	is_err("CLEAN SNAPSHOTS\n  (x)", 2, 3,
	       "expected FROM after CLEAN SNAPSHOTS, found \"(\"");
	is_err("CLEAN SNAPSHOTS 'x' FROM r", 1, 17,
	       "expected FROM after CLEAN SNAPSHOTS, found 'x'");
	is_err("VERIFY SNAPSHOT 数据.快照 FROM r", 1, 19,
	       "VERIFY SNAPSHOT takes no database: write the label alone, not "
	       "\"db.label\"");
	is_err("DROP SNAPSHOT s FROM r\nPROPERTIES ('seed' = '1')", 2, 13,
	       "unknown DROP SNAPSHOT property \"seed\" (allowed: "
	       "backup_timestamp)");
	is_err("VERIFY SNAPSHOT s FROM r PROPERTIES (\n"
	       "  \"sample_percent\" = \"200\",\n"
	       "  \"seed\" = \"1\")",
	       2, 22,
	       "\"sample_percent\" must be an integer from 1 to 100, got "
	       "\"200\"");
	is_err("DROP SNAPSHOT s FROM r PROPERTIES ('backup_timestamp' = 'x')\n"
	       "PROPERTIES ('backup_timestamp' = 'y')",
	       2, 1, "PROPERTIES is given twice");
	is_err("DROP SNAPSHOT s FROM r PROPERTIES ('backup_timestamp' = 'x') "
	       "garbage",
	       1, 62, "unexpected text after the statement: \"garbage\"");
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char with_nul[] = "CANCEL RESTORE FROM d\0x";
	static const char in_string[] = R "PROPERTIES (\"backup_\0timestamp\" "
					  "= \"x\")";
	static const char in_comment[] = "CANCEL RESTORE FROM d -- \0\n";
	static const char in_bquote[] = "CANCEL RESTORE FROM `a\0b`";
	struct spec_err err;

	err = bad(with_nul, sizeof(with_nul) - 1);
	ck_assert_str_eq(err.msg, "NUL byte in the statement");
	ck_assert_uint_eq(err.col, 22);
	err = bad(in_string, sizeof(in_string) - 1);
	ck_assert_str_eq(err.msg, "NUL byte in the statement");
	ck_assert_uint_eq(err.col, 50);
	err = bad(in_comment, sizeof(in_comment) - 1);
	ck_assert_str_eq(err.msg, "NUL byte in the statement");
	ck_assert_uint_eq(err.col, 26);
	err = bad(in_bquote, sizeof(in_bquote) - 1);
	ck_assert_str_eq(err.msg, "NUL byte in the statement");
	ck_assert_uint_eq(err.col, 23);
	/* A NUL just past len is not part of the statement. */
	{
		struct spec *sp = NULL;

		ck_assert_int_eq(spec_parse(with_nul, 21, &err, &sp), 0);
		ck_assert_str_eq(sp->db, "d");
		spec_free(sp);
	}
}
END_TEST

START_TEST(test_long_names)
{
	char stmt[1200], name[600];
	struct spec_err err;

	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(stmt, sizeof(stmt), "CANCEL RESTORE FROM `%s`", name);
	err = bad(stmt, strlen(stmt));
	ck_assert_uint_eq(err.col, 21);
	ck_assert_msg(strstr(err.msg, "bad database name \"nnnn") &&
			      strstr(err.msg, "...\": a name can be at most "
					      "255 bytes"),
		      "%s", err.msg);

	/* A long unknown key is cut short; the allowed list still fits. */
	memset(name, 'k', 500);
	name[500] = '\0';
	snprintf(stmt, sizeof(stmt), RP ", \"%s\" = \"1\")", name);
	err = bad(stmt, strlen(stmt));
	ck_assert_msg(strstr(err.msg, "unknown RESTORE property \"kkkk") &&
			      strstr(err.msg, "...\" (allowed: ") &&
			      strstr(err.msg, ", meta_version)"),
		      "%s", err.msg);
	ck_assert_uint_lt(strlen(err.msg), sizeof(err.msg) - 1);

	/* The same for a label given as a property. */
	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(stmt, sizeof(stmt), CSP ", 'label' = '%s')", name);
	err = bad(stmt, strlen(stmt));
	ck_assert_uint_eq(err.col, 65);
	ck_assert_msg(strstr(err.msg, "bad snapshot label \"nnnn") &&
			      strstr(err.msg, "...\" in \"label\": a name can "
					      "be at most 255 bytes"),
		      "%s", err.msg);
	name[255] = '\0';
	snprintf(stmt, sizeof(stmt), CSP ", 'label' = '%s')", name);
	{
		struct spec *sp = ok(stmt);

		ck_assert_uint_eq(strlen(sp->only_label), 255);
		spec_free(sp);
	}

	/* A long unknown key for a snapshot statement. */
	memset(name, 'k', 500);
	name[500] = '\0';
	snprintf(stmt, sizeof(stmt), CSP ", \"%s\" = \"1\")", name);
	err = bad(stmt, strlen(stmt));
	ck_assert_msg(
		strstr(err.msg, "unknown CLEAN SNAPSHOTS property \"kkkk") &&
			strstr(err.msg, "...\" (allowed: keep_last, "
					"older_than, dry_run, label)"),
		"%s", err.msg);

	/* Control bytes and quotes in a quoted name are escaped. */
	err = bad("RESTORE SNAPSHOT \"a\\n\\\"/\" FROM r",
		  strlen("RESTORE SNAPSHOT \"a\\n\\\"/\" FROM r"));
	ck_assert_str_eq(err.msg,
			 "bad snapshot label \"a\\x0a\\\"/\": a name cannot "
			 "contain '/'");
}
END_TEST

/* The contract: err untouched on success, *out untouched on failure. */
START_TEST(test_api)
{
	static const char good[] = "CANCEL BACKUP FROM d";
	struct spec *sentinel = (struct spec *)&sentinel, *sp;
	struct spec_err err, before;

	memset(&err, 0x5a, sizeof(err));
	before = err;
	sp = NULL;
	ck_assert_int_eq(spec_parse(good, strlen(good), &err, &sp), 0);
	ck_assert(memcmp(&err, &before, sizeof(err)) == 0);
	spec_free(sp);

	/* "CAN" may become CANCEL: incomplete, and err says what is
	 * expected. */
	sp = sentinel;
	ck_assert_int_eq(spec_parse(good, 3, &err, &sp), -EAGAIN);
	ck_assert_ptr_eq(sp, sentinel);
	ck_assert_str_eq(err.msg, "expected RESTORE, BACKUP, CANCEL, DROP, "
				  "CLEAN or VERIFY, found \"CAN\"");
	ck_assert_uint_eq(err.col, 1);
	ck_assert_int_eq(spec_parse("CANX", 4, &err, &sp), -EINVAL);
	ck_assert_ptr_eq(sp, sentinel);

	/* No err buffer is fine too. */
	ck_assert_int_eq(spec_parse(good, 3, NULL, &sp), -EAGAIN);
	ck_assert_int_eq(spec_parse("CANX", 4, NULL, &sp), -EINVAL);
	ck_assert_ptr_eq(sp, sentinel);

	/* An empty statement, with or without a pointer: nothing yet. */
	ck_assert_int_eq(spec_parse(NULL, 0, &err, &sp), -EAGAIN);
	ck_assert_str_eq(err.msg, "empty statement: expected RESTORE, BACKUP, "
				  "CANCEL, DROP, CLEAN or VERIFY");
	ck_assert_int_eq(spec_parse("", 0, &err, &sp), -EAGAIN);
	ck_assert_ptr_eq(sp, sentinel);
}
END_TEST

/* --- robustness --------------------------------------------------------- */

static const char *const valid[] = {
	"RESTORE SNAPSHOT example_db1.`snapshot_1` FROM `example_repo` ON ( "
	"`backup_tbl` ) PROPERTIES "
	"(\"backup_timestamp\"=\"2018-05-04-16-45-08\""
	", \"replication_num\" = \"1\");",
	"RESTORE SNAPSHOT example_db1.`snapshot_2` FROM `example_repo` ON ( "
	"`backup_tbl` PARTITION (`p1`, `p2`), `backup_tbl2` AS `new_tbl` ) "
	"PROPERTIES (\"backup_timestamp\"=\"2018-05-04-17-11-01\");",
	"RESTORE SNAPSHOT snap FROM repo DATABASE src AS dst ON (TABLE t1 AS "
	"a1, ALL TABLES) PROPERTIES "
	"(\"backup_timestamp\"=\"2024-01-01-00-00-00-123\");",
	"restore snapshot \"d b\".s_1 from r-2 -- c\n on (t\tpartition(p))\n"
	"properties ('timeout'='600','backup_timestamp'='x',\n"
	"'replication_allocation'='tag.location.default: 2','allow_load'="
	"'true','meta_version'='5');",
	"BACKUP SNAPSHOT example_db.snapshot_label1 TO example_repo ON "
	"(example_tbl PARTITION (p1,p2), example_tbl2) PROPERTIES (\"type\" "
	"= \"full\", \"content\"=\"metadata_only\");",
	("BACKUP SNAPSHOT 数据.快照 TO repo ON (TABLE 表 PARTITION (分区)) "
	 "PROPERTIES ('timeout' = '3600');"),
	"CANCEL RESTORE FROM example_db;",
	"CANCEL BACKUP FROM `example``db` /* c */ ;",
	"DROP SNAPSHOT `snapshot_1` FROM example_repo PROPERTIES "
	"(\"backup_timestamp\" = \"2018-05-04-16-45-08\");",
	"drop snapshot s-1 from r /* every timestamp */",
	"CLEAN SNAPSHOTS FROM `example_repo` PROPERTIES (\"keep_last\" = "
	"\"7\", \"older_than\" = \"90d\", \"dry_run\" = \"true\", "
	"\"label\" = \"nightly\");",
	"clean snapshots from r properties ('older_than' = '12h') -- c\n",
	"VERIFY SNAPSHOT snap FROM repo PROPERTIES ('backup_timestamp' = "
	"'2024-01-01-00-00-00-123', 'sample_percent' = '10', 'seed' = "
	"'18446744073709551615');",
	"VERIFY SNAPSHOT \"快照\" FROM repo;",
};

/* Must the first n bytes of a valid statement fail? Yes if a bracket or
 * quote is still open, or a RESTORE or CLEAN hasn't closed its PROPERTIES
 * (which hold what they require). */
static bool prefix_must_fail(const char *s, size_t n)
{
	const char *last = strrchr(s, ')');
	int depth = 0;
	char q = 0;
	size_t i;

	if (n == 0)
		return true;
	if (strncmp(s, "RESTORE", 7) == 0 || strncmp(s, "restore", 7) == 0 ||
	    strncmp(s, "CLEAN", 5) == 0 || strncmp(s, "clean", 5) == 0)
		if (n <= (size_t)(last - s))
			return true;
	for (i = 0; i < n; i++) {
		if (q) {
			if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
			q = s[i];
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')') {
			depth--;
		}
	}
	return depth > 0 || q;
}

/*
 * Are the first n bytes of s inside a string, quoted name or comment, so
 * that whatever follows them is part of it?
 */
static bool open_at(const char *s, size_t n)
{
	char q = 0; /* the open quote, '-' for a line comment, '*' */
	size_t i;

	for (i = 0; i < n; i++) {
		if (q == '-') {
			if (s[i] == '\n')
				q = 0;
		} else if (q == '*') {
			if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
				q = 0;
				i++;
			}
		} else if (q) {
			if (s[i] == '\\' && q != '`')
				i++;
			else if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
			q = s[i];
		} else if (s[i] == '#' ||
			   (s[i] == '-' && i + 1 < n && s[i + 1] == '-')) {
			q = '-';
		} else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			q = '*';
			i++;
		}
	}
	return q != 0;
}

/*
 * Every prefix of a valid statement is a statement (0) or one the text
 * stops short of (-EAGAIN), never an invalid one; and the same prefix
 * followed by " ,," (which no statement has) is invalid (-EINVAL), unless
 * the prefix ends inside a string or comment, which swallows it.
 */
START_TEST(test_prefixes)
{
	const char *s = valid[_i];
	struct spec *sentinel = (struct spec *)&sentinel, *sp;
	size_t len = strlen(s), n;
	struct spec_err err;
	char *bad_tail;
	int rc, rc2;

	bad_tail = malloc(len + 4);
	ck_assert_ptr_nonnull(bad_tail);
	for (n = 0; n <= len; n++) {
		sp = sentinel;
		memset(&err, 0, sizeof(err));
		rc = parse_n(s, n, &err, &sp);
		ck_assert_msg(rc == 0 || rc == -EAGAIN,
			      "prefix %zu of %s: %d at %u:%u: %s", n, s, rc,
			      err.line, err.col, err.msg);
		if (rc == 0) {
			ck_assert_msg(!prefix_must_fail(s, n),
				      "prefix %zu of %s parsed", n, s);
			check_sane(sp);
			spec_free(sp);
		} else {
			ck_assert_msg(n < len, "whole statement failed");
			ck_assert_ptr_eq(sp, sentinel);
			ck_assert(err.line >= 1 && err.col >= 1 && err.msg[0]);
		}
		memcpy(bad_tail, s, n);
		memcpy(bad_tail + n, " ,,", 3);
		sp = sentinel;
		rc2 = parse_n(bad_tail, n + 3, &err, &sp);
		if (rc2 == 0)
			spec_free(sp);
		ck_assert_msg(rc2 == (open_at(s, n) ? rc : -EINVAL),
			      "%.*s: %d (%s)", (int)n + 3, bad_tail, rc2,
			      err.msg);
	}
	free(bad_tail);
}
END_TEST

/* Where the text stops decides between "incomplete" and "invalid". */
START_TEST(test_incomplete)
{
	static const struct {
		const char *text;
		int rc;
	} cases[] = {
		/* A word cut short may become the keyword needed ... */
		{"RESTORE SNAP", -EAGAIN},
		{"restore snapshot s fr", -EAGAIN},
		{"CANCEL RESTORE FR", -EAGAIN},
		{"CLEAN SNAPSHOTS F", -EAGAIN},
		{R "PROP", -EAGAIN},
		{R "ON (t PART", -EAGAIN},
		{"RESTORE SNAPSHOT s FROM-", -EAGAIN},
		/* ... or not. */
		{"RESTORE SNAPX", -EINVAL},
		{"CANCEL RESTORE d", -EINVAL},
		{"CLEAN SNAPSHOTS x", -EINVAL},
		{R "garbage", -EINVAL},
		{R "EXCLUDE", -EINVAL},
		{"CANCEL RESTORE FROM d PROPERTIES", -EINVAL},
		/* A keyword where a name goes may become a name ... */
		{"RESTORE SNAPSHOT FROM", -EAGAIN},
		{R "ON (t1, t1", -EAGAIN},
		{"BACKUP SNAPSHOT d.s TO r ON (ALL", -EAGAIN},
		/* ... but not once it ends. */
		{"RESTORE SNAPSHOT FROM r", -EINVAL},
		{R "ON (t1, t1)", -EINVAL},
		{"BACKUP SNAPSHOT d.s TO r ON (ALL TABLES)", -EINVAL},
		/* After the statement, only a comment. */
		{"CANCEL RESTORE FROM d; -", -EAGAIN},
		{"CANCEL RESTORE FROM d; /", -EAGAIN},
		{"CANCEL RESTORE FROM d; /* c", -EAGAIN},
		{"CANCEL RESTORE FROM d; x", -EINVAL},
		{"CANCEL RESTORE FROM d; P", -EINVAL},
		{"CANCEL RESTORE FROM d; * ", -EINVAL},
		/* Open strings and names, missing properties. */
		{RP ", 'timeout' = '6", -EAGAIN},
		{RP ", 'timeout' = '6\\", -EAGAIN},
		{RP ", 'timeout' = '6\\x'", -EINVAL},
		{"CANCEL RESTORE FROM `d", -EAGAIN},
		{"RESTORE SNAPSHOT s FROM r", -EAGAIN},
		{"RESTORE SNAPSHOT s FROM r;", -EINVAL},
		{CS, -EAGAIN},
		{CS "PROPERTIES ('dry_run' = 'true')", -EAGAIN},
		{CS "PROPERTIES ('dry_run' = 'true');", -EINVAL},
		/* Bad values are bad however the text goes on. */
		{RP ", 'timeout' = '6'", -EINVAL},
		{RP ", 'bogus'", -EINVAL},
		{"CANCEL RESTORE FROM d\x01", -EINVAL},
	};
	struct spec_err err;
	size_t i;

	for (i = 0; i < N(cases); i++) {
		err = bad_rc(cases[i].text, strlen(cases[i].text), cases[i].rc);
		ck_assert(err.msg[0]);
	}
	/* The message is the same either way: it says what was expected. */
	err = bad_rc("CANCEL RESTORE FR", 17, -EAGAIN);
	ck_assert_str_eq(err.msg,
			 "expected FROM after CANCEL RESTORE, found \"FR\"");
	err = bad_rc("CANCEL RESTORE", 14, -EAGAIN);
	ck_assert_str_eq(err.msg, "expected FROM after CANCEL RESTORE, found "
				  "end of input");
	/* A NUL byte, and a name too long, are never mended. */
	err = bad_rc("CANCEL RESTORE FROM d\0", 22, -EINVAL);
	ck_assert_str_eq(err.msg, "NUL byte in the statement");
	{
		char stmt[400];

		snprintf(stmt, sizeof(stmt), "CANCEL RESTORE FROM %0300d", 7);
		err = bad_rc(stmt, strlen(stmt), -EINVAL);
		ck_assert(strstr(err.msg, "at most 255 bytes"));
	}
}
END_TEST

static void parse_any(const char *buf, size_t len)
{
	struct spec *sentinel = (struct spec *)&sentinel, *sp = sentinel;
	struct spec_err err;
	int rc;

	err.msg[0] = '\0';
	rc = parse_n(buf, len, &err, &sp);
	ck_assert_msg(rc == 0 || rc == -EINVAL || rc == -EAGAIN, "rc %d", rc);
	if (rc == 0) {
		check_sane(sp);
		spec_free(sp);
	} else {
		ck_assert_ptr_eq(sp, sentinel);
		ck_assert(err.line >= 1 && err.col >= 1);
		ck_assert(err.msg[0] != '\0');
		ck_assert(memchr(err.msg, '\0', sizeof(err.msg)));
	}
}

/* Every byte replaced by every troublesome byte. */
START_TEST(test_byte_mutations)
{
	static const char subst[] = {'\0', '"', '\'',	    '`',       '(', ')',
				     ',',  '.', ';',	    '=',       '/', '*',
				     '-',  '#', '\\',	    '\n',      ' ', 'a',
				     '1',  '$', (char)0xe6, (char)0xff};
	size_t len = strlen(valid[_i]), i, k;
	char *buf = strdup(valid[_i]);

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < len; i++) {
		for (k = 0; k < sizeof(subst); k++) {
			buf[i] = subst[k];
			parse_any(buf, len);
		}
		buf[i] = valid[_i][i];
	}
	free(buf);
}
END_TEST

/* xorshift64*: the same sequence on every run. */
static uint64_t rnd(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 0x2545f4914f6cdd1dULL;
}

/* A few random inserts, deletes, replacements and splices per round. */
START_TEST(test_random_mutations)
{
	static const char pool[] = "\"'`().,;=/*-#\\\n aZ0_$";
	const char *s = valid[_i];
	size_t slen = strlen(s), len, pos, k, m, cut;
	uint64_t st = 0x5eed0000u + (uint64_t)_i;
	char buf[1024];
	int round, op;

	for (round = 0; round < 4000; round++) {
		memcpy(buf, s, slen);
		len = slen;
		m = 1 + rnd(&st) % 4;
		for (k = 0; k < m; k++) {
			pos = len ? rnd(&st) % len : 0;
			op = (int)(rnd(&st) % 5);
			if (op == 0 && len > 0) { /* delete */
				memmove(buf + pos, buf + pos + 1,
					len - pos - 1);
				len--;
			} else if (op == 1 && len < sizeof(buf)) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = pool[rnd(&st) % (sizeof(pool) - 1)];
				len++;
			} else if (op == 2 && len > 0) { /* any byte */
				buf[pos] = (char)(rnd(&st) & 0xff);
			} else if (op == 3 && len > 0) {
				buf[pos] = pool[rnd(&st) % (sizeof(pool) - 1)];
			} else if (len > 0) { /* cut a run out */
				cut = rnd(&st) % (len - pos) + 1;
				memmove(buf + pos, buf + pos + cut,
					len - pos - cut);
				len -= cut;
			}
		}
		parse_any(buf, len);
	}
}
END_TEST

/* Deep or wide input stays linear enough and never recurses. */
START_TEST(test_wide)
{
	size_t n = 2000, i, o = 0, cap = n * 16 + 256;
	char *buf = malloc(cap);
	struct spec *sp;

	ck_assert_ptr_nonnull(buf);
	o += (size_t)snprintf(buf + o, cap - o, R "ON (");
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%st%zu", i ? "," : "",
				      i);
	o += (size_t)snprintf(buf + o, cap - o, ") PROPERTIES (" TS ")");
	sp = ok(buf);
	ck_assert_uint_eq(sp->ntables, n);
	is_table(sp, n - 1, "t1999", NULL, 0);
	spec_free(sp);

	o = (size_t)snprintf(buf, cap, R "ON (t PARTITION (");
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%sp%zu", i ? "," : "",
				      i);
	snprintf(buf + o, cap - o, ")) PROPERTIES (" TS ")");
	sp = ok(buf);
	ck_assert_uint_eq(sp->tables[0].npartitions, n);
	spec_free(sp);

	/* Nested parentheses are an error at the second '(', not a
	 * recursion. */
	memset(buf, '(', cap - 1);
	memcpy(buf, R "ON ", strlen(R "ON "));
	bad(buf, cap - 1);
	free(buf);
}
END_TEST

static Suite *spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc;

	tc = tcase_create("documented");
	tcase_add_test(tc, test_doris_restore_examples);
	tcase_add_test(tc, test_new_restore_syntax);
	tcase_add_test(tc, test_backup_examples);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_tight_and_spaced);
	tcase_add_test(tc, test_properties);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapshots");
	tcase_add_test(tc, test_drop);
	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_verify);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_bad, 0, (int)N(bad_cases));
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_api);
	tcase_add_test(tc, test_incomplete);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_prefixes, 0, (int)N(valid));
	tcase_add_loop_test(tc, test_byte_mutations, 0, (int)N(valid));
	tcase_add_loop_test(tc, test_random_mutations, 0, (int)N(valid));
	tcase_add_test(tc, test_wide);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(spec_suite)
