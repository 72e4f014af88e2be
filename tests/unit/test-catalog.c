/* SPDX-License-Identifier: MIT */
/* Unit tests for src/cluster/catalog.c: records, scans, ids, atomicity. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "cluster/cluster.h"
#include "cluster/cluster_int.h" /* raw records, to set up and inspect */
#include "unit.h"

static char dir[64];

static int rm_cb(const char *p, const struct stat *sb, int t, struct FTW *f)
{
	return remove(p);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/snapfs-test-catalog.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static int put(struct catalog *c, const char *key, const char *json)
{
	struct catalog_txn *t;
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	int rc;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(catalog_begin(c, true, &t), 0);
	rc = catalog_put(t, key, v);
	json_decref(v);
	if (rc < 0) {
		catalog_abort(t);
		return rc;
	}
	return catalog_commit(t);
}

START_TEST(test_put_get_del)
{
	struct catalog *c;
	struct catalog_txn *t;
	json_t *v;

	ck_assert_int_eq(catalog_open(dir, &c), 0);
	ck_assert_int_eq(put(c, "db/x", "{\"id\": 10000, \"name\": \"x\"}"), 0);
	ck_assert_int_eq(catalog_begin(c, false, &t), 0);
	ck_assert_int_eq(catalog_get(t, "db/x", &v), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "id")), 10000);
	json_decref(v);
	ck_assert_int_eq(catalog_get(t, "db/y", &v), -ENOENT);
	ck_assert_int_eq(catalog_put(t, "db/z", json_null()), -EBADF);
	catalog_abort(t);
	ck_assert_int_eq(catalog_begin(c, true, &t), 0);
	ck_assert_int_eq(catalog_del(t, "db/x"), 0);
	ck_assert_int_eq(catalog_del(t, "db/x"), -ENOENT);
	ck_assert_int_eq(catalog_put(t, "", json_null()), -EINVAL);
	ck_assert_int_eq(catalog_commit(t), 0);
	ck_assert_int_eq(catalog_begin(c, false, &t), 0);
	ck_assert_int_eq(catalog_get(t, "db/x", &v), -ENOENT);
	catalog_abort(t);
	catalog_close(c);
}
END_TEST

static int count_cb(const char *key, json_t *val, void *arg)
{
	int *n = arg;

	ck_assert(strncmp(key, "table/a/", 8) == 0);
	(*n)++;
	return *n == 100 ? 42 : 0;
}

START_TEST(test_scan_prefix)
{
	struct catalog *c;
	struct catalog_txn *t;
	int n = 0;

	ck_assert_int_eq(catalog_open(dir, &c), 0);
	ck_assert_int_eq(put(c, "table/a/t1", "{}"), 0);
	ck_assert_int_eq(put(c, "table/a/t2", "{}"), 0);
	ck_assert_int_eq(put(c, "table/ab/t1", "{}"), 0);
	ck_assert_int_eq(put(c, "table/b/t1", "{}"), 0);
	ck_assert_int_eq(catalog_begin(c, false, &t), 0);
	ck_assert_int_eq(catalog_scan(t, "table/a/", count_cb, &n), 0);
	ck_assert_int_eq(n, 2);
	n = 98;
	ck_assert_int_eq(catalog_scan(t, "table/a/", count_cb, &n), 42);
	catalog_abort(t);
	catalog_close(c);
}
END_TEST

START_TEST(test_abort_is_atomic_and_commit_durable)
{
	struct catalog *c;
	struct catalog_txn *t;
	int64_t a, b;
	json_t *v;

	ck_assert_int_eq(catalog_open(dir, &c), 0);
	ck_assert_int_eq(catalog_begin(c, true, &t), 0);
	ck_assert_int_eq(catalog_alloc_ids(t, 5, &a), 0);
	ck_assert_int_eq(a, 10000);
	ck_assert_int_eq(catalog_put(t, "job/1", json_true()), 0);
	catalog_abort(t);
	ck_assert_int_eq(catalog_begin(c, true, &t), 0);
	ck_assert_int_eq(catalog_alloc_ids(t, 5, &b), 0);
	ck_assert_int_eq(b, 10000); /* the aborted ids were not taken */
	ck_assert_int_eq(catalog_get(t, "job/1", &v), -ENOENT);
	ck_assert_int_eq(catalog_commit(t), 0);
	catalog_close(c);
	/* Reopen: committed state survives. */
	ck_assert_int_eq(catalog_open(dir, &c), 0);
	ck_assert_int_eq(catalog_begin(c, true, &t), 0);
	ck_assert_int_eq(catalog_alloc_ids(t, 1, &b), 0);
	ck_assert_int_eq(b, 10005);
	ck_assert_int_eq(catalog_commit(t), 0);
	catalog_close(c);
}
END_TEST

static int key_cb(const char *key, void *arg)
{
	char *buf = arg;

	strcat(buf, key);
	strcat(buf, ";");
	return 0;
}

START_TEST(test_scan_keys)
{
	struct catalog *c;
	struct catalog_txn *t;
	char buf[256] = "";

	ck_assert_int_eq(catalog_open(dir, &c), 0);
	ck_assert_int_eq(put(c, "table/a/t1", "{}"), 0);
	ck_assert_int_eq(put(c, "table/b/t1", "1"), 0);
	ck_assert_int_eq(catalog_begin(c, false, &t), 0);
	ck_assert_int_eq(catalog_scan_keys(t, "table/", key_cb, buf), 0);
	ck_assert_str_eq(buf, "table/a/t1;table/b/t1;");
	buf[0] = '\0';
	ck_assert_int_eq(catalog_scan_keys(t, "", key_cb, buf), 0);
	ck_assert_str_eq(buf, "table/a/t1;table/b/t1;");
	catalog_abort(t);
	catalog_close(c);
}
END_TEST

START_TEST(test_ids_reserved_and_corrupt)
{
	struct catalog *c;
	struct catalog_txn *t;
	char key[CATALOG_MAXKEY + 2];
	int64_t id;

	ck_assert_int_eq(catalog_open(dir, &c), 0);
	ck_assert_int_eq(catalog_begin(c, true, &t), 0);
	ck_assert_int_eq(catalog_reserve_id(t, 5), 0); /* below: no change */
	ck_assert_int_eq(catalog_alloc_ids(t, 1, &id), 0);
	ck_assert_int_eq(id, 10000);
	ck_assert_int_eq(catalog_reserve_id(t, 20000), 0);
	ck_assert_int_eq(catalog_alloc_ids(t, 2, &id), 0);
	ck_assert_int_eq(id, 20001);
	ck_assert_int_eq(catalog_reserve_id(t, 20002), 0);
	ck_assert_int_eq(catalog_alloc_ids(t, 1, &id), 0);
	ck_assert_int_eq(id, 20003);
	ck_assert_int_eq(catalog_commit(t), 0);
	/* A counter that is not an id: never start again at 10000. */
	ck_assert_int_eq(put(c, "meta/next_id", "\"x\""), 0);
	ck_assert_int_eq(catalog_begin(c, true, &t), 0);
	ck_assert_int_eq(catalog_alloc_ids(t, 1, &id), -EIO);
	ck_assert_int_eq(catalog_reserve_id(t, 1), -EIO);
	/* Keys: empty is invalid, too long is ENAMETOOLONG. */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	ck_assert_int_eq(catalog_put(t, key, json_null()), -ENAMETOOLONG);
	ck_assert_int_eq(catalog_del(t, key), -ENAMETOOLONG);
	ck_assert_int_eq(catalog_del(t, ""), -EINVAL);
	key[CATALOG_MAXKEY] = '\0';
	ck_assert_int_eq(catalog_put(t, key, json_null()), 0);
	catalog_abort(t);
	ck_assert_int_eq(catalog_begin(c, false, &t), 0);
	ck_assert_int_eq(catalog_del(t, "meta/next_id"), -EBADF);
	catalog_abort(t);
	catalog_abort(NULL);
	catalog_close(c);
	catalog_close(NULL);
}
END_TEST

/* A value that is not JSON (written behind the catalog's back) is -EIO
 * for every reader, typed or not, and never a crash. */
START_TEST(test_not_json)
{
	struct catalog *c;
	struct catalog_txn *t;
	struct record_table tbl;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = {9, "table/d/t"}, v = {5, "{oops"};
	json_t *j;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	ck_assert_int_eq(catalog_open(dir, &c), 0);
	ck_assert_int_eq(catalog_begin(c, false, &t), 0);
	ck_assert_int_eq(catalog_get(t, "table/d/t", &j), -EIO);
	ck_assert_int_eq(record_table_get(t, "d", "t", &tbl), -EIO);
	ck_assert_int_eq(catalog_scan(t, "table/", NULL, NULL), -EIO);
	catalog_abort(t);
	ck_assert_int_eq(record_table_read(c, "d", "t", &tbl), -EIO);
	catalog_close(c);
}
END_TEST

START_TEST(test_open_errors)
{
	struct catalog *c;

	ck_assert_int_eq(catalog_open("/proc/snapfs-no/such", &c), -ENOENT);
}
END_TEST

static Suite *catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_get_del);
	tcase_add_test(tc, test_scan_prefix);
	tcase_add_test(tc, test_abort_is_atomic_and_commit_durable);
	tcase_add_test(tc, test_scan_keys);
	tcase_add_test(tc, test_ids_reserved_and_corrupt);
	tcase_add_test(tc, test_not_json);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(catalog_suite)
