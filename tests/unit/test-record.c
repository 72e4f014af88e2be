/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/cluster/record.c and record_tree.c: typed catalog
 * records, their keys and JSON (the exact text existing catalogs hold),
 * round trips, malformed records, and the in-memory tree operations.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/cluster_int.h"
#include "unit.h"

static char dir[64];
static struct catalog *cat;

static int rm_cb(const char *p, const struct stat *sb, int t, struct FTW *f)
{
	return remove(p);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/snapfs-test-record.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(catalog_open(dir, &cat), 0);
}

static void teardown(void)
{
	catalog_close(cat);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* A table as a restore commits it (members in the order record.c writes
 * them), with an unknown member at two levels. */
static const char restored_json[] =
	"{\"id\":10001,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
	"\"source_table\":\"src_t\",\"restored_by\":10000,\"partitions\":"
	"[{\"id\":10002,\"name\":\"p1\",\"version\":3,\"indexes\":[{\"id\":"
	"10003,\"name\":\"i\",\"schema_hash\":12345,\"tablets\":[{\"id\":"
	"10004,\"replicas\":[{\"id\":10005,\"backend\":0,\"gen\":10000,"
	"\"files\":[{\"name\":\"10004.hdr\",\"md5\":"
	"\"900150983cd24fb0d6963f7d28e17f72\",\"size\":3}]},{\"id\":10006,"
	"\"backend\":1,\"gen\":10000,\"files\":[{\"name\":\"10004.hdr\","
	"\"md5\":\"900150983cd24fb0d6963f7d28e17f72\",\"size\":3}]}],\"src\":"
	"{\"table\":\"src_t\",\"table_id\":1,\"part_id\":2,\"index\":\"i\","
	"\"index_id\":3,\"tablet\":4}}]}],\"future\":[1,2]}],\"later\":"
	"{\"x\":true}}";

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	ck_assert_ptr_nonnull(j);
	return j;
}

static char *dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	ck_assert_ptr_nonnull(s);
	return s;
}

/* The stored text of @key, compact, as catalog_put wrote it. */
static char *stored(const char *key)
{
	struct catalog_txn *t;
	json_t *j;
	char *s;

	ck_assert_int_eq(catalog_begin(cat, false, &t), 0);
	ck_assert_int_eq(catalog_get(t, key, &j), 0);
	catalog_abort(t);
	s = dump(j);
	json_decref(j);
	return s;
}

static void put_raw(const char *key, const char *text)
{
	struct catalog_txn *t;
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(catalog_put(t, key, j), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(j);
}

START_TEST(test_db_exact_json)
{
	struct catalog_txn *t;
	struct record_db db = {.id = 10000, .name = "d"}, got;
	char *s;

	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_db_put(t, &db), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	s = stored("db/d");
	ck_assert_str_eq(s, "{\"id\":10000,\"name\":\"d\"}");
	free(s);
	ck_assert_int_eq(catalog_begin(cat, false, &t), 0);
	ck_assert_int_eq(record_db_get(t, "d", &got), 0);
	ck_assert_int_eq(got.id, 10000);
	ck_assert_str_eq(got.name, "d");
	ck_assert_ptr_null(got.extra);
	record_db_release(&got);
	ck_assert_ptr_null(got.name);
	ck_assert_int_eq(record_db_get(t, "nope", &got), -ENOENT);
	catalog_abort(t);
}
END_TEST

/* What cluster_create_* and a restore's shell have always stored. */
START_TEST(test_table_exact_json)
{
	struct catalog_txn *t;
	struct record_table tbl;
	struct record_partition *p;
	struct record_index *ix;
	struct record_tablet *tab;
	struct record_replica *r;
	char *s;

	ck_assert_int_eq(record_table_init(&tbl, 10001, "d", "t"), 0);
	p = record_table_add_partition(&tbl, 10002, "p1", 1);
	ix = record_partition_add_index(p, 10004, "i", 975167166);
	tab = record_index_add_tablet(ix, 7);
	r = record_tablet_add_replica(tab, 10005, 1, 0);
	ck_assert_ptr_nonnull(record_replica_add_file(
		r, "f", "900150983cd24fb0d6963f7d28e17f72", 3));
	r = record_tablet_add_replica(tab, 10006, 2, 0);
	r->has_files = true;
	p = record_table_add_partition(&tbl, 10003, "p2", 1);
	ck_assert_ptr_nonnull(record_partition_add_index(p, 10004, "i", 5));
	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_table_put(t, &tbl), 0);
	record_table_release(&tbl);
	ck_assert_int_eq(record_table_init(&tbl, 10009, "d", "shell"), 0);
	tbl.state = RECORD_TABLE_RESTORE;
	tbl.job_id = 10008;
	ck_assert_int_eq(record_table_put(t, &tbl), 0);
	record_table_release(&tbl);
	ck_assert_int_eq(catalog_commit(t), 0);

	s = stored("table/d/t");
	ck_assert_str_eq(
		s,
		"{\"id\":10001,\"name\":\"t\",\"db\":\"d\",\"state\":"
		"\"NORMAL\",\"partitions\":[{\"id\":10002,\"name\":\"p1\","
		"\"version\":1,\"indexes\":[{\"id\":10004,\"name\":\"i\","
		"\"schema_hash\":975167166,\"tablets\":[{\"id\":7,"
		"\"replicas\":[{\"id\":10005,\"backend\":1,\"gen\":0,"
		"\"files\":[{\"name\":\"f\",\"md5\":"
		"\"900150983cd24fb0d6963f7d28e17f72\",\"size\":3}]},{\"id\":"
		"10006,\"backend\":2,\"gen\":0,\"files\":[]}]}]}]},{\"id\":"
		"10003,\"name\":\"p2\",\"version\":1,\"indexes\":[{\"id\":"
		"10004,\"name\":\"i\",\"schema_hash\":5,\"tablets\":[]}]}]}");
	free(s);
	s = stored("table/d/shell");
	ck_assert_str_eq(s, "{\"id\":10009,\"name\":\"shell\",\"db\":\"d\","
			    "\"state\":\"RESTORE\",\"job_id\":10008,"
			    "\"partitions\":[]}");
	free(s);
}
END_TEST

START_TEST(test_round_trip_keeps_everything)
{
	struct catalog_txn *t;
	struct record_table tbl, back;
	json_t *j = parse(restored_json), *out;
	char *s;

	ck_assert_int_eq(record_table_from_json(j, "test", &tbl), 0);
	ck_assert_int_eq(tbl.id, 10001);
	ck_assert_str_eq(tbl.source_table, "src_t");
	ck_assert_int_eq(tbl.restored_by, 10000);
	ck_assert_int_eq(tbl.nparts, 1);
	ck_assert_int_eq(tbl.parts[0].version, 3);
	ck_assert_int_eq(tbl.parts[0].indexes[0].schema_hash, 12345);
	ck_assert_int_eq(tbl.parts[0].indexes[0].tablets[0].nreplicas, 2);
	ck_assert_ptr_nonnull(tbl.parts[0].indexes[0].tablets[0].src);
	ck_assert_int_eq(tbl.parts[0].indexes[0].tablets[0].src->tablet, 4);
	ck_assert_ptr_nonnull(tbl.extra);
	ck_assert_ptr_nonnull(tbl.parts[0].extra);
	/* Stored and read back: the same text, unknown members included. */
	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_table_put(t, &tbl), 0);
	ck_assert_int_eq(record_table_get(t, "d", "t", &back), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	s = stored("table/d/t");
	ck_assert_str_eq(s, restored_json);
	free(s);
	ck_assert_int_eq(record_table_to_json(&back, RECORD_JSON_STORED, &out),
			 0);
	ck_assert(json_equal(out, j));
	json_decref(out);
	record_table_release(&back);
	record_table_release(&tbl);
	json_decref(j);
}
END_TEST

/* Members in another order (as older restores wrote them) read the
 * same. */
START_TEST(test_any_member_order)
{
	json_t *j = parse(
		"{\"partitions\":[{\"name\":\"p\",\"version\":2,\"indexes\":[],"
		"\"id\":5}],\"state\":\"NORMAL\",\"db\":\"d\",\"name\":\"t\","
		"\"id\":4,\"source_table\":\"s\",\"restored_by\":9}");
	struct record_table tbl;
	json_t *out;

	ck_assert_int_eq(record_table_from_json(j, "test", &tbl), 0);
	ck_assert_int_eq(tbl.parts[0].id, 5);
	ck_assert_int_eq(record_table_to_json(&tbl, RECORD_JSON_STORED, &out),
			 0);
	ck_assert(json_equal(out, j));
	json_decref(out);
	record_table_release(&tbl);
	json_decref(j);
}
END_TEST

/* A restore's plan marks travel in JSON but are never stored. */
START_TEST(test_plan_marks)
{
	struct catalog_txn *t;
	struct record_table tbl, got;
	struct record_tablet *tab;
	struct record_replica old = {.id = 1, .backend = 0, .gen = 0};
	json_t *j;
	char *s;

	ck_assert_int_eq(record_table_init(&tbl, 1, "d", "t"), 0);
	ck_assert_ptr_nonnull(record_table_add_partition(&tbl, 2, "p", 1));
	tbl.parts[0].restored = true;
	tab = record_index_add_tablet(
		record_partition_add_index(&tbl.parts[0], 3, "i", 0), 4);
	ck_assert_ptr_nonnull(tab);
	ck_assert_ptr_nonnull(record_tablet_add_replica(tab, 5, 1, 77));
	ck_assert_ptr_nonnull(record_replica_add_file(&old, "f", "m", 1));
	ck_assert_int_eq(record_tablet_set_old(tab, &old), 0);
	record_replica_release(&old);
	ck_assert_int_eq(record_table_to_json(&tbl, RECORD_JSON_PLAN, &j), 0);
	s = dump(j);
	ck_assert_str_eq(
		s, "{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		   "\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		   "\"indexes\":[{\"id\":3,\"name\":\"i\",\"schema_hash\":0,"
		   "\"tablets\":[{\"id\":4,\"replicas\":[{\"id\":5,\"backend\":"
		   "1,\"gen\":77}],\"old\":{\"id\":1,\"backend\":0,\"gen\":0,"
		   "\"files\":[{\"name\":\"f\",\"md5\":\"m\",\"size\":1}]}}]}],"
		   "\"restored\":true}]}");
	free(s);
	record_table_release(&tbl);
	/* Parsed back: the marks are there; stored: they are not. */
	ck_assert_int_eq(record_table_from_json(j, "plan", &tbl), 0);
	json_decref(j);
	ck_assert(tbl.parts[0].restored);
	ck_assert_ptr_nonnull(tbl.parts[0].indexes[0].tablets[0].old);
	ck_assert(!tbl.parts[0].indexes[0].tablets[0].replicas[0].has_files);
	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_table_put(t, &tbl), 0);
	ck_assert_int_eq(record_table_get(t, "d", "t", &got), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	ck_assert(!got.parts[0].restored);
	ck_assert_ptr_null(got.parts[0].indexes[0].tablets[0].old);
	s = stored("table/d/t");
	ck_assert_ptr_null(strstr(s, "restored"));
	ck_assert_ptr_null(strstr(s, "old"));
	free(s);
	record_table_release(&got);
	record_table_release(&tbl);
}
END_TEST

/* What a backup's __meta holds: the table without its local state. */
START_TEST(test_meta_form)
{
	struct record_table tbl;
	json_t *j;
	char *s;

	ck_assert_int_eq(record_table_init(&tbl, 1, "d", "t"), 0);
	tbl.state = RECORD_TABLE_RESTORE;
	tbl.job_id = 9;
	tbl.restored_by = 8;
	ck_assert_ptr_nonnull(record_table_add_partition(&tbl, 2, "p", 1));
	tbl.parts[0].restored = true;
	ck_assert_int_eq(record_table_to_json(&tbl, RECORD_JSON_META, &j), 0);
	s = dump(j);
	ck_assert_str_eq(s, "{\"id\":1,\"name\":\"t\",\"db\":\"d\","
			    "\"restored_by\":8,\"partitions\":[{\"id\":2,"
			    "\"name\":\"p\",\"version\":1,\"indexes\":[]}]}");
	free(s);
	json_decref(j);
	ck_assert_int_eq(record_table_to_json(&tbl, RECORD_JSON_STORED, &j), 0);
	s = dump(j);
	ck_assert_str_eq(s, "{\"id\":1,\"name\":\"t\",\"db\":\"d\","
			    "\"state\":\"RESTORE\",\"job_id\":9,"
			    "\"restored_by\":8,\"partitions\":[{\"id\":2,"
			    "\"name\":\"p\",\"version\":1,\"indexes\":[]}]}");
	free(s);
	json_decref(j);
	record_table_release(&tbl);
	ck_assert_int_eq(record_table_to_json(&tbl, RECORD_JSON_PLAN, &j),
			 -EINVAL);
}
END_TEST

/* Each malformed table is -EIO, never a crash or a half record. */
START_TEST(test_malformed_tables)
{
	static const char *const bad[] = {
		"[]",
		"\"x\"",
		"{}",
		"{\"id\":\"1\",\"name\":\"t\",\"db\":\"d\",\"state\":"
		"\"NORMAL\","
		"\"partitions\":[]}",
		"{\"id\":1,\"db\":\"d\",\"state\":\"NORMAL\",\"partitions\":[]"
		"}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"partitions\":[]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"WEIRD\","
		"\"partitions\":[]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\"}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":{}}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"job_id\":\"x\",\"partitions\":[]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[1]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"restored\":1,\"indexes\":[]}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"indexes\":[{\"id\":3,\"name\":\"i\",\"tablets\":[]}]}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"indexes\":[{\"id\":3,\"name\":\"i\",\"schema_hash\":0,"
		"\"tablets\":[{\"id\":4}]}]}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"indexes\":[{\"id\":3,\"name\":\"i\",\"schema_hash\":0,"
		"\"tablets\":[{\"id\":4,\"replicas\":[{\"id\":5,\"backend\":-1,"
		"\"gen\":0}]}]}]}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"indexes\":[{\"id\":3,\"name\":\"i\",\"schema_hash\":0,"
		"\"tablets\":[{\"id\":4,\"replicas\":[{\"id\":5,\"backend\":0,"
		"\"gen\":0,\"files\":[{\"name\":\"f\",\"size\":1}]}]}]}]}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"indexes\":[{\"id\":3,\"name\":\"i\",\"schema_hash\":0,"
		"\"tablets\":[{\"id\":4,\"replicas\":[{\"id\":5,\"backend\":0,"
		"\"gen\":0,\"files\":\"f\"}]}]}]}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"indexes\":[{\"id\":3,\"name\":\"i\",\"schema_hash\":0,"
		"\"tablets\":[{\"id\":4,\"replicas\":[],\"src\":{\"table\":"
		"\"t\"}}]}]}]}",
		"{\"id\":1,\"name\":\"t\",\"db\":\"d\",\"state\":\"NORMAL\","
		"\"partitions\":[{\"id\":2,\"name\":\"p\",\"version\":1,"
		"\"indexes\":[{\"id\":3,\"name\":\"i\",\"schema_hash\":0,"
		"\"tablets\":[{\"id\":4,\"replicas\":[],\"old\":[]}]}]}]}",
	};
	struct catalog_txn *t;
	struct record_table tbl = {.id = 42};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		put_raw("table/d/t", bad[i]);
		ck_assert_int_eq(catalog_begin(cat, false, &t), 0);
		ck_assert_msg(record_table_get(t, "d", "t", &tbl) == -EIO,
			      "accepted %s", bad[i]);
		catalog_abort(t);
		ck_assert_int_eq(tbl.id, 42); /* untouched on failure */
	}
}
END_TEST

START_TEST(test_malformed_db)
{
	struct catalog_txn *t;
	struct record_db db;

	put_raw("db/a", "{\"name\":\"a\"}");
	put_raw("db/b", "{\"id\":1,\"name\":2}");
	put_raw("db/c", "7");
	put_raw("db/e", "{\"id\":1,\"name\":\"e\",\"more\":[true]}");
	ck_assert_int_eq(catalog_begin(cat, false, &t), 0);
	ck_assert_int_eq(record_db_get(t, "a", &db), -EIO);
	ck_assert_int_eq(record_db_get(t, "b", &db), -EIO);
	ck_assert_int_eq(record_db_get(t, "c", &db), -EIO);
	ck_assert_int_eq(record_db_get(t, "e", &db), 0);
	ck_assert_ptr_nonnull(json_object_get(db.extra, "more"));
	record_db_release(&db);
	catalog_abort(t);
}
END_TEST

static int collect(const char *name, void *arg)
{
	char *buf = arg;

	strcat(buf, name);
	strcat(buf, ",");
	return strcmp(name, "stop") == 0 ? 9 : 0;
}

static int count_tables(const struct record_table *tbl, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

START_TEST(test_names_list_scan_del)
{
	struct catalog_txn *t;
	struct record_table tbl, *v;
	struct record_db db = {.id = 1, .name = "d"};
	char buf[256] = "";
	size_t n;
	int count = 0;

	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_db_put(t, &db), 0);
	db.name = "e";
	ck_assert_int_eq(record_db_put(t, &db), 0);
	ck_assert_int_eq(record_table_init(&tbl, 2, "d", "b"), 0);
	ck_assert_int_eq(record_table_put(t, &tbl), 0);
	ck_assert_int_eq(record_set_str(&tbl.name, "a"), 0);
	ck_assert_int_eq(record_table_put(t, &tbl), 0);
	ck_assert_int_eq(record_set_str(&tbl.db, "dd"), 0);
	ck_assert_int_eq(record_table_put(t, &tbl), 0);
	record_table_release(&tbl);
	ck_assert_int_eq(catalog_commit(t), 0);

	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_db_names(t, collect, buf), 0);
	ck_assert_str_eq(buf, "d,e,");
	buf[0] = '\0';
	/* "d/" is not a prefix of "dd/": the db's own tables only. */
	ck_assert_int_eq(record_table_names(t, "d", collect, buf), 0);
	ck_assert_str_eq(buf, "a,b,");
	ck_assert_int_eq(record_table_list(t, "d", &v, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(v[0].name, "a");
	ck_assert_str_eq(v[1].name, "b");
	record_tables_free(v, n);
	ck_assert_int_eq(record_table_list(t, "none", &v, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(record_table_scan(t, NULL, count_tables, &count), 0);
	ck_assert_int_eq(count, 3);
	ck_assert_int_eq(record_table_del(t, "d", "a"), 0);
	ck_assert_int_eq(record_table_del(t, "d", "a"), -ENOENT);
	ck_assert_int_eq(record_table_get(t, "d", "a", &tbl), -ENOENT);
	ck_assert_int_eq(catalog_commit(t), 0);
	ck_assert_int_eq(record_table_read(cat, "d", "b", &tbl), 0);
	ck_assert_str_eq(tbl.name, "b");
	record_table_release(&tbl);
	ck_assert_int_eq(record_table_read(cat, "d", "a", &tbl), -ENOENT);

	/* A callback's value stops the walk and comes back. */
	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	db.name = "stop";
	ck_assert_int_eq(record_db_put(t, &db), 0);
	buf[0] = '\0';
	ck_assert_int_eq(record_db_names(t, collect, buf), 9);
	ck_assert_str_eq(buf, "d,e,stop,");
	catalog_abort(t);
}
END_TEST

/* A malformed table anywhere fails the list/scan with -EIO. */
START_TEST(test_list_malformed)
{
	struct catalog_txn *t;
	struct record_table *v;
	size_t n;
	int count = 0;

	put_raw("table/d/a", "{\"id\":1,\"name\":\"a\",\"db\":\"d\",\"state\":"
			     "\"NORMAL\",\"partitions\":[]}");
	put_raw("table/d/b", "{\"id\":1}");
	ck_assert_int_eq(catalog_begin(cat, false, &t), 0);
	ck_assert_int_eq(record_table_list(t, "d", &v, &n), -EIO);
	ck_assert_int_eq(record_table_scan(t, "d", count_tables, &count), -EIO);
	ck_assert_int_eq(count, 1);
	catalog_abort(t);
}
END_TEST

START_TEST(test_long_names)
{
	struct catalog_txn *t;
	struct record_table tbl;
	char name[300];

	memset(name, 'x', 299);
	name[299] = '\0';
	ck_assert_int_eq(record_table_init(&tbl, 1, name, name), 0);
	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_table_put(t, &tbl), -ENAMETOOLONG);
	ck_assert_int_eq(record_table_get(t, name, name, &tbl), -ENAMETOOLONG);
	ck_assert_int_eq(record_table_del(t, name, name), -ENAMETOOLONG);
	record_table_release(&tbl);
	/* A table without a name cannot be stored. */
	ck_assert_int_eq(record_table_put(t, &tbl), -EINVAL);
	catalog_abort(t);
}
END_TEST

static int job_cb(int64_t id, json_t *rec, void *arg)
{
	int64_t *sum = arg;

	ck_assert_int_eq(json_integer_value(json_object_get(rec, "JobId")), id);
	*sum += id;
	return 0;
}

START_TEST(test_jobs)
{
	struct catalog_txn *t;
	json_t *rec = json_pack("{s:I, s:s}", "JobId", (json_int_t)12, "State",
				"PENDING"),
	       *got;
	int64_t sum = 0;
	char *s;

	ck_assert_int_eq(catalog_begin(cat, true, &t), 0);
	ck_assert_int_eq(record_job_put(t, 12, rec), 0);
	json_object_set_new(rec, "JobId", json_integer(10001));
	ck_assert_int_eq(record_job_put(t, 10001, rec), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(rec);
	/* The key existing catalogs have: 20 digits. */
	s = stored("job/00000000000000000012");
	ck_assert_str_eq(s, "{\"JobId\":12,\"State\":\"PENDING\"}");
	free(s);
	ck_assert_int_eq(catalog_begin(cat, false, &t), 0);
	ck_assert_int_eq(record_job_get(t, 10001, &got), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(got, "JobId")),
			 10001);
	json_decref(got);
	ck_assert_int_eq(record_job_get(t, 5, &got), -ENOENT);
	ck_assert_int_eq(record_job_scan(t, job_cb, &sum), 0);
	ck_assert_int_eq(sum, 10013);
	catalog_abort(t);
}
END_TEST

/* A table with partitions p1 (index i, tablets 10 and 11) and P2. */
static void sample(struct record_table *tbl)
{
	struct record_partition *p;
	struct record_index *ix;

	ck_assert_int_eq(record_table_init(tbl, 1, "d", "t"), 0);
	p = record_table_add_partition(tbl, 2, "p1", 1);
	ix = record_partition_add_index(p, 3, "i", 9);
	ck_assert_ptr_nonnull(record_index_add_tablet(ix, 10));
	ck_assert_ptr_nonnull(record_index_add_tablet(ix, 11));
	p = record_table_add_partition(tbl, 4, "P2", 1);
	ck_assert_ptr_nonnull(p);
}

START_TEST(test_find)
{
	struct record_table tbl;
	struct record_partition *p;
	struct record_index *ix;
	struct record_replica *r;

	sample(&tbl);
	p = record_partition_find(&tbl, "p1", false);
	ck_assert_ptr_eq(p, &tbl.parts[0]);
	ck_assert_ptr_null(record_partition_find(&tbl, "p2", false));
	ck_assert_ptr_eq(record_partition_find(&tbl, "p2", true),
			 &tbl.parts[1]);
	ix = record_index_find(p, "i");
	ck_assert_ptr_nonnull(ix);
	ck_assert_ptr_null(record_index_find(p, "I"));
	ck_assert_ptr_eq(record_tablet_find(ix, 11), &ix->tablets[1]);
	ck_assert_ptr_null(record_tablet_find(ix, 12));
	ck_assert_ptr_eq(record_tablet_find_name(ix, "10"), &ix->tablets[0]);
	ck_assert_ptr_null(record_tablet_find_name(ix, "010"));
	ck_assert_ptr_eq(record_tablet_lookup(&tbl, "p1", "i", 10),
			 &ix->tablets[0]);
	ck_assert_ptr_null(record_tablet_lookup(&tbl, "P2", "i", 10));
	ck_assert_ptr_null(record_tablet_lookup(&tbl, "p9", "i", 10));
	r = record_tablet_add_replica(&ix->tablets[0], 20, 0, 0);
	ck_assert(!r->has_files);
	ck_assert_ptr_nonnull(record_replica_add_file(r, "a", "m", 1));
	ck_assert(r->has_files);
	ck_assert_ptr_eq(record_file_find(r, "a"), &r->files[0]);
	ck_assert_ptr_null(record_file_find(r, "b"));
	record_table_release(&tbl);
}
END_TEST

START_TEST(test_pick_partitions)
{
	static const char *const want[] = {"p2", "p1", "p2"};
	static const char *const miss[] = {"p1", "p3"};
	struct record_table tbl;
	const char *missing = NULL;

	sample(&tbl);
	ck_assert_int_eq(
		record_table_pick_partitions(&tbl, miss, 2, true, &missing),
		-ENOENT);
	ck_assert_str_eq(missing, "p3");
	ck_assert_int_eq(tbl.nparts, 2);
	ck_assert_int_eq(
		record_table_pick_partitions(&tbl, want, 1, false, &missing),
		-ENOENT);
	ck_assert_int_eq(
		record_table_pick_partitions(&tbl, want, 3, true, &missing), 0);
	ck_assert_int_eq(tbl.nparts, 3);
	ck_assert_str_eq(tbl.parts[0].name, "P2");
	ck_assert_str_eq(tbl.parts[1].name, "p1");
	ck_assert_int_eq(tbl.parts[1].indexes[0].ntablets, 2);
	ck_assert_str_eq(tbl.parts[2].name, "P2");
	ck_assert_ptr_ne(tbl.parts[0].name, tbl.parts[2].name); /* copies */
	record_table_remove_partition(&tbl, 0);
	ck_assert_int_eq(tbl.nparts, 2);
	ck_assert_str_eq(tbl.parts[0].name, "p1");
	ck_assert_int_eq(
		record_table_pick_partitions(&tbl, NULL, 0, false, &missing),
		0);
	ck_assert_int_eq(tbl.nparts, 0);
	record_table_release(&tbl);
}
END_TEST

START_TEST(test_set_partition)
{
	struct record_table tbl;
	struct record_partition p = {0};

	sample(&tbl);
	p.id = 7;
	ck_assert_int_eq(record_set_str(&p.name, "p1"), 0);
	p.restored = true;
	ck_assert_ptr_nonnull(record_partition_add_index(&p, 8, "j", 1));
	ck_assert_int_eq(record_table_set_partition(&tbl, 3, &p), -EINVAL);
	ck_assert_int_eq(record_table_set_partition(&tbl, 0, &p), 0);
	ck_assert_ptr_null(p.name); /* moved */
	ck_assert_int_eq(tbl.nparts, 2);
	ck_assert_int_eq(tbl.parts[0].id, 7);
	ck_assert_str_eq(tbl.parts[0].indexes[0].name, "j");
	p.id = 9;
	ck_assert_int_eq(record_set_str(&p.name, "p3"), 0);
	ck_assert_int_eq(record_table_set_partition(&tbl, 2, &p), 0);
	ck_assert_int_eq(tbl.nparts, 3);
	ck_assert_str_eq(tbl.parts[2].name, "p3");
	record_partition_release(&p); /* zeroed: a no-op */
	record_table_release(&tbl);
	record_table_release(&tbl); /* twice: a no-op */
	record_table_release(NULL);
}
END_TEST

START_TEST(test_set_src_old_files)
{
	struct record_tablet_src src = {"t", 1, 2, "i", 3, 4};
	struct record_tablet tab = {.id = 5};
	struct record_replica a = {0}, b = {0};
	char *s = NULL;

	ck_assert_int_eq(record_tablet_set_src(&tab, &src), 0);
	ck_assert_str_eq(tab.src->table, "t");
	ck_assert_ptr_ne(tab.src->table, src.table);
	ck_assert_int_eq(tab.src->tablet, 4);
	ck_assert_int_eq(record_tablet_set_src(&tab, NULL), 0);
	ck_assert_ptr_null(tab.src);
	ck_assert_ptr_nonnull(record_replica_add_file(&a, "x", "m1", 1));
	ck_assert_ptr_nonnull(record_replica_add_file(&a, "y", "m2", 2));
	ck_assert_ptr_nonnull(record_replica_add_file(&b, "z", "m3", 3));
	ck_assert_int_eq(record_replica_copy_files(&b, &a), 0);
	ck_assert_int_eq(b.nfiles, 2);
	ck_assert_str_eq(b.files[1].md5, "m2");
	ck_assert_ptr_ne(b.files[1].name, a.files[1].name);
	ck_assert_int_eq(record_tablet_set_old(&tab, &a), 0);
	ck_assert_int_eq(tab.old->nfiles, 2);
	ck_assert_int_eq(record_tablet_set_old(&tab, NULL), 0);
	ck_assert_ptr_null(tab.old);
	ck_assert_int_eq(record_set_str(&s, "abc"), 0);
	ck_assert_str_eq(s, "abc");
	ck_assert_int_eq(record_set_str(&s, NULL), 0);
	ck_assert_ptr_null(s);
	record_replica_release(&a);
	record_replica_release(&b);
	record_tablet_release(&tab);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("record");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_db_exact_json);
	tcase_add_test(tc, test_table_exact_json);
	tcase_add_test(tc, test_round_trip_keeps_everything);
	tcase_add_test(tc, test_any_member_order);
	tcase_add_test(tc, test_plan_marks);
	tcase_add_test(tc, test_meta_form);
	tcase_add_test(tc, test_malformed_tables);
	tcase_add_test(tc, test_malformed_db);
	tcase_add_test(tc, test_names_list_scan_del);
	tcase_add_test(tc, test_list_malformed);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_jobs);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_pick_partitions);
	tcase_add_test(tc, test_set_partition);
	tcase_add_test(tc, test_set_src_old_files);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(record_suite)
