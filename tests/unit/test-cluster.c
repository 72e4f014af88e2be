/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/cluster/cluster.c on a temporary data directory:
 * opening, tables made by hand (create db/table/partition/index/tablet,
 * tablet_dir, add_file), replica and snapshot directories, gc and
 * link_or_copy, with the errno each failure gives.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/cluster_int.h" /* raw records, to set up and inspect */
#include "unit.h"

#define MD5_ABC "900150983cd24fb0d6963f7d28e17f72"

static char dir[64];
static struct cluster *cl;

static int rm_cb(const char *p, const struct stat *sb, int t, struct FTW *f)
{
	return remove(p);
}

static void open_cluster(unsigned nbackends)
{
	struct cluster_opts o = {.data_dir = dir, .nbackends = nbackends};
	char err[256];

	ck_assert_int_eq(cluster_open(&o, err, sizeof(err), &cl), 0);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/snapfs-test-cluster.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	open_cluster(3);
}

static void teardown(void)
{
	cluster_close(cl);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* d.t with partitions p1, p2 (index i in both) and tablet 7 in p1/i. */
static void make_table(void)
{
	ck_assert_int_eq(cluster_create_db(cl, "d"), 0);
	ck_assert_int_eq(cluster_create_table(cl, "d", "t"), 0);
	ck_assert_int_eq(cluster_create_partition(cl, "d", "t", "p1"), 0);
	ck_assert_int_eq(cluster_create_partition(cl, "d", "t", "p2"), 0);
	ck_assert_int_eq(cluster_create_index(cl, "d", "t", "p1", "i"), 0);
	ck_assert_int_eq(cluster_create_index(cl, "d", "t", "p2", "i"), 0);
	ck_assert_int_eq(cluster_create_tablet(cl, "d", "t", "p1", "i", 7), 0);
}

/* Write and record file @name with "abc" in tablet 7. */
static void add_abc(const char *name)
{
	char rdir[PATH_MAX], path[PATH_MAX + 64];

	ck_assert_int_eq(cluster_tablet_dir(cl, "d", "t", "p1", "i", 7, name,
					    rdir, sizeof(rdir)),
			 0);
	snprintf(path, sizeof(path), "%s/%s", rdir, name);
	write_file(path, "abc");
	ck_assert_int_eq(
		cluster_add_file(cl, "d", "t", "p1", "i", 7, name, MD5_ABC, 3),
		0);
}

static char *stored(const char *key)
{
	struct catalog_txn *t;
	json_t *j;
	char *s;

	ck_assert_int_eq(catalog_begin(cluster_catalog(cl), false, &t), 0);
	ck_assert_int_eq(catalog_get(t, key, &j), 0);
	catalog_abort(t);
	s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	return s;
}

static void put_raw(const char *key, const char *text)
{
	struct catalog_txn *t;
	json_t *j = json_loads(text, 0, NULL);

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(catalog_begin(cluster_catalog(cl), true, &t), 0);
	ck_assert_int_eq(catalog_put(t, key, j), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(j);
}

START_TEST(test_open)
{
	struct cluster_opts o = {.data_dir = dir, .nbackends = 0};
	const char *paths[] = {"/proc/no/such/backend"};
	struct cluster *c2;
	char err[256], path[PATH_MAX];

	ck_assert_int_eq(cluster_nbackends(cl), 3);
	snprintf(path, sizeof(path), "%s/be2", dir);
	ck_assert_str_eq(cluster_backend_path(cl, 2), path);
	ck_assert_ptr_null(cluster_backend_path(cl, 3));
	ck_assert_ptr_nonnull(cluster_catalog(cl));
	snprintf(path, sizeof(path), "%s/be1/tablets", dir);
	ck_assert(exists(path));
	ck_assert_int_eq(cluster_open(&o, err, sizeof(err), &c2), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "backends must be"));
	o.nbackends = CLUSTER_MAX_BACKENDS + 1;
	ck_assert_int_eq(cluster_open(&o, err, sizeof(err), &c2), -EINVAL);
	o.backend_paths = paths;
	o.npaths = 1;
	ck_assert_int_lt(cluster_open(&o, err, sizeof(err), &c2), 0);
	ck_assert_ptr_nonnull(strstr(err, "backend 0"));
	o.data_dir = "/proc/snapfs-no-such-dir";
	ck_assert_int_lt(cluster_open(&o, err, sizeof(err), &c2), 0);
	ck_assert_ptr_nonnull(strstr(err, "data directory"));
	cluster_close(NULL);
}
END_TEST

/* The exact records the code before typed records wrote (taken from a
 * run of it): existing catalogs and new ones hold the same text. */
START_TEST(test_create_exact_json)
{
	char *s;

	make_table();
	add_abc("f");
	s = stored("db/d");
	ck_assert_str_eq(s, "{\"id\":10000,\"name\":\"d\"}");
	free(s);
	s = stored("table/d/t");
	ck_assert_str_eq(
		s,
		"{\"id\":10001,\"name\":\"t\",\"db\":\"d\",\"state\":"
		"\"NORMAL\","
		"\"partitions\":[{\"id\":10002,\"name\":\"p1\",\"version\":1,"
		"\"indexes\":[{\"id\":10004,\"name\":\"i\",\"schema_hash\":"
		"975167166,\"tablets\":[{\"id\":7,\"replicas\":[{\"id\":10005,"
		"\"backend\":1,\"gen\":0,\"files\":[{\"name\":\"f\",\"md5\":"
		"\"900150983cd24fb0d6963f7d28e17f72\",\"size\":3}]},{\"id\":"
		"10006,\"backend\":2,\"gen\":0,\"files\":[{\"name\":\"f\","
		"\"md5\":\"900150983cd24fb0d6963f7d28e17f72\",\"size\":3}]},{"
		"\"id\":10007,\"backend\":0,\"gen\":0,\"files\":[{\"name\":"
		"\"f\",\"md5\":\"900150983cd24fb0d6963f7d28e17f72\",\"size\":"
		"3}]}]}]}]},{\"id\":10003,\"name\":\"p2\",\"version\":1,"
		"\"indexes\":[{\"id\":10004,\"name\":\"i\",\"schema_hash\":"
		"975167166,\"tablets\":[]}]}]}");
	free(s);
	s = stored("meta/next_id");
	ck_assert_str_eq(s, "10008");
	free(s);
}
END_TEST

START_TEST(test_create_errors)
{
	make_table();
	ck_assert_int_eq(cluster_create_db(cl, "d"), -EEXIST);
	ck_assert_int_eq(cluster_create_db(cl, ".."), -EINVAL);
	ck_assert_int_eq(cluster_create_db(cl, "a/b"), -EINVAL);
	ck_assert_int_eq(cluster_create_table(cl, "d", "t"), -EEXIST);
	ck_assert_int_eq(cluster_create_table(cl, "x", "t"), -ENOENT);
	ck_assert_int_eq(cluster_create_table(cl, "d", ""), -EINVAL);
	ck_assert_int_eq(cluster_create_partition(cl, "d", "t", "p1"), -EEXIST);
	ck_assert_int_eq(cluster_create_partition(cl, "d", "x", "p"), -ENOENT);
	ck_assert_int_eq(cluster_create_partition(cl, "d", "t", "."), -EINVAL);
	ck_assert_int_eq(cluster_create_index(cl, "d", "t", "p1", "i"),
			 -EEXIST);
	ck_assert_int_eq(cluster_create_index(cl, "d", "t", "p9", "j"),
			 -ENOENT);
	ck_assert_int_eq(cluster_create_index(cl, "d", "t", "p1", ""), -EINVAL);
	ck_assert_int_eq(cluster_create_tablet(cl, "d", "t", "p1", "i", 0),
			 -EINVAL);
	ck_assert_int_eq(cluster_create_tablet(cl, "d", "t", "p1", "i", 7),
			 -EEXIST);
	/* A tablet id is unique across the catalog, not only the index. */
	ck_assert_int_eq(cluster_create_tablet(cl, "d", "t", "p2", "i", 7),
			 -EEXIST);
	ck_assert_int_eq(cluster_create_tablet(cl, "d", "t", "p1", "j", 8),
			 -ENOENT);
}
END_TEST

START_TEST(test_create_long_names)
{
	char name[256];

	memset(name, 'x', 255);
	name[255] = '\0';
	ck_assert_int_eq(cluster_create_db(cl, name), 0);
	/* "table/<255>/<255>" is over the catalog's key limit. */
	ck_assert_int_eq(cluster_create_table(cl, name, name), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_index_shares_id_and_hash)
{
	struct record_table tbl;
	struct record_partition *p1, *p2;

	make_table();
	ck_assert_int_eq(cluster_create_index(cl, "d", "t", "p2", "j"), 0);
	ck_assert_int_eq(cluster_create_index(cl, "d", "t", "p1", "j"), 0);
	ck_assert_int_eq(record_table_read(cluster_catalog(cl), "d", "t", &tbl),
			 0);
	p1 = record_partition_find(&tbl, "p1", false);
	p2 = record_partition_find(&tbl, "p2", false);
	ck_assert_int_eq(record_index_find(p1, "j")->id,
			 record_index_find(p2, "j")->id);
	ck_assert_int_eq(record_index_find(p1, "j")->schema_hash,
			 record_index_find(p2, "j")->schema_hash);
	ck_assert_int_ne(record_index_find(p1, "j")->id,
			 record_index_find(p1, "i")->id);
	record_table_release(&tbl);
}
END_TEST

START_TEST(test_tablet_ids_reserved)
{
	struct record_table tbl;
	struct catalog_txn *t;
	const struct record_tablet *tab;
	int64_t id;
	size_t k;

	make_table();
	ck_assert_int_eq(cluster_create_tablet(cl, "d", "t", "p2", "i", 50000),
			 0);
	ck_assert_int_eq(record_table_read(cluster_catalog(cl), "d", "t", &tbl),
			 0);
	tab = record_tablet_lookup(&tbl, "p2", "i", 50000);
	ck_assert_ptr_nonnull(tab);
	ck_assert_int_eq(tab->nreplicas, 3);
	for (k = 0; k < 3; k++) {
		/* Distinct backends, spread by the tablet id; ids above it. */
		ck_assert_uint_eq(tab->replicas[k].backend, (50000 + k) % 3);
		ck_assert_int_gt(tab->replicas[k].id, 50000);
		ck_assert(tab->replicas[k].has_files);
		ck_assert_int_eq(tab->replicas[k].nfiles, 0);
	}
	record_table_release(&tbl);
	ck_assert_int_eq(catalog_begin(cluster_catalog(cl), true, &t), 0);
	ck_assert_int_eq(catalog_alloc_ids(t, 1, &id), 0);
	ck_assert_int_eq(id, 50004);
	catalog_abort(t);
}
END_TEST

START_TEST(test_one_backend)
{
	struct record_table tbl;

	cluster_close(cl);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	open_cluster(1);
	make_table();
	add_abc("f");
	ck_assert_int_eq(record_table_read(cluster_catalog(cl), "d", "t", &tbl),
			 0);
	ck_assert_int_eq(record_tablet_lookup(&tbl, "p1", "i", 7)->nreplicas,
			 1);
	record_table_release(&tbl);
}
END_TEST

START_TEST(test_add_file)
{
	struct record_table tbl;
	const struct record_tablet *tab;
	char rdir[PATH_MAX], path[PATH_MAX + 64];
	struct stat sb;
	size_t k;

	make_table();
	add_abc("f");
	ck_assert_int_eq(record_table_read(cluster_catalog(cl), "d", "t", &tbl),
			 0);
	tab = record_tablet_lookup(&tbl, "p1", "i", 7);
	for (k = 0; k < tab->nreplicas; k++) {
		const struct record_file *f =
			record_file_find(&tab->replicas[k], "f");

		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f->md5, MD5_ABC);
		ck_assert_uint_eq(f->size, 3);
		/* Every replica holds the bytes: hard links of one file. */
		ck_assert_int_eq(cluster_replica_path(cl, 7, &tab->replicas[k],
						      rdir, sizeof(rdir)),
				 0);
		snprintf(path, sizeof(path), "%s/f", rdir);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_size, 3);
		ck_assert_int_eq(sb.st_nlink, 3);
	}
	record_table_release(&tbl);
	/* Files are written once. */
	ck_assert_int_eq(cluster_tablet_dir(cl, "d", "t", "p1", "i", 7, "f",
					    rdir, sizeof(rdir)),
			 -EEXIST);
	ck_assert_int_eq(
		cluster_add_file(cl, "d", "t", "p1", "i", 7, "f", MD5_ABC, 3),
		-EEXIST);
	ck_assert_int_eq(
		cluster_add_file(cl, "d", "t", "p1", "i", 8, "g", MD5_ABC, 3),
		-ENOENT);
	ck_assert_int_eq(cluster_tablet_dir(cl, "d", "t", "p1", "i", 8, "g",
					    rdir, sizeof(rdir)),
			 -ENOENT);
	ck_assert_int_eq(cluster_tablet_dir(cl, "d", "x", "p1", "i", 7, "g",
					    rdir, sizeof(rdir)),
			 -ENOENT);
}
END_TEST

/* The file was never written into the first replica: the link fails
 * with its own errno, and nothing is recorded. */
START_TEST(test_add_file_missing_source)
{
	struct record_table tbl;
	char rdir[PATH_MAX];

	make_table();
	ck_assert_int_eq(cluster_tablet_dir(cl, "d", "t", "p1", "i", 7, "g",
					    rdir, sizeof(rdir)),
			 0);
	ck_assert_int_eq(
		cluster_add_file(cl, "d", "t", "p1", "i", 7, "g", MD5_ABC, 3),
		-ENOENT);
	ck_assert_int_eq(record_table_read(cluster_catalog(cl), "d", "t", &tbl),
			 0);
	ck_assert_int_eq(
		record_tablet_lookup(&tbl, "p1", "i", 7)->replicas[0].nfiles,
		0);
	record_table_release(&tbl);
}
END_TEST

/* A table a job holds (a restore's shell) refuses hand-made changes. */
START_TEST(test_busy)
{
	char rdir[PATH_MAX];

	ck_assert_int_eq(cluster_create_db(cl, "d"), 0);
	put_raw("table/d/s", "{\"id\":1,\"name\":\"s\",\"db\":\"d\",\"state\":"
			     "\"RESTORE\",\"job_id\":5,\"partitions\":[]}");
	put_raw("table/d/h", "{\"id\":2,\"name\":\"h\",\"db\":\"d\",\"state\":"
			     "\"NORMAL\",\"job_id\":5,\"partitions\":[]}");
	ck_assert_int_eq(cluster_create_partition(cl, "d", "s", "p"), -EBUSY);
	ck_assert_int_eq(cluster_create_partition(cl, "d", "h", "p"), -EBUSY);
	ck_assert_int_eq(cluster_create_index(cl, "d", "s", "p", "i"), -EBUSY);
	ck_assert_int_eq(cluster_create_tablet(cl, "d", "s", "p", "i", 9),
			 -EBUSY);
	ck_assert_int_eq(cluster_tablet_dir(cl, "d", "s", "p", "i", 9, "f",
					    rdir, sizeof(rdir)),
			 -EBUSY);
	ck_assert_int_eq(
		cluster_add_file(cl, "d", "s", "p", "i", 9, "f", MD5_ABC, 3),
		-EBUSY);
	ck_assert_int_eq(cluster_create_table(cl, "d", "s"), -EEXIST);
}
END_TEST

/* A malformed record is -EIO up to the caller, not a crash or -EINVAL. */
START_TEST(test_malformed_is_eio)
{
	char rdir[PATH_MAX];

	ck_assert_int_eq(cluster_create_db(cl, "d"), 0);
	put_raw("table/d/m", "{\"id\":1,\"name\":\"m\",\"db\":\"d\",\"state\":"
			     "\"NORMAL\",\"partitions\":[{\"id\":2}]}");
	put_raw("db/bad", "{\"id\":\"x\"}");
	ck_assert_int_eq(cluster_create_partition(cl, "d", "m", "p"), -EIO);
	ck_assert_int_eq(cluster_tablet_dir(cl, "d", "m", "p", "i", 9, "f",
					    rdir, sizeof(rdir)),
			 -EIO);
	ck_assert_int_eq(cluster_create_table(cl, "bad", "t"), -EIO);
	ck_assert_int_eq(cluster_create_db(cl, "bad"), -EIO);
	/* gc cannot know what is unused: it removes nothing. */
	ck_assert_int_eq(cluster_gc(cl), -EIO);
}
END_TEST

START_TEST(test_corrupt_id_counter)
{
	struct catalog_txn *t;
	json_t *j = json_string("x");

	ck_assert_int_eq(catalog_begin(cluster_catalog(cl), true, &t), 0);
	ck_assert_int_eq(catalog_put(t, "meta/next_id", j), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(j);
	ck_assert_int_eq(cluster_create_db(cl, "d"), -EIO);
}
END_TEST

START_TEST(test_replica_dirs)
{
	char buf[PATH_MAX], want[PATH_MAX], small[8];

	ck_assert_int_eq(
		cluster_replica_dir(cl, 1, 7, 100, 3, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "%s/be1/tablets/7/100.3", dir);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(
		cluster_replica_dir(cl, 3, 7, 100, 3, buf, sizeof(buf)),
		-EINVAL);
	ck_assert_int_eq(
		cluster_replica_dir(cl, 1, 7, 100, 3, small, sizeof(small)),
		-ENAMETOOLONG);
	ck_assert_int_eq(cluster_make_replica(cl, 1, 7, 100, 3), 0);
	ck_assert(exists(want));
	ck_assert_int_eq(cluster_make_replica(cl, 1, 7, 100, 3), 0);
	ck_assert_int_eq(cluster_make_replica(cl, 9, 7, 100, 3), -EINVAL);
	snprintf(buf, sizeof(buf), "%s/file", want);
	write_file(buf, "x");
	ck_assert_int_eq(cluster_remove_replica(cl, 1, 7, 100, 3), 0);
	ck_assert(!exists(want));
	/* The tablet's directory goes with its last replica. */
	snprintf(want, sizeof(want), "%s/be1/tablets/7", dir);
	ck_assert(!exists(want));
	ck_assert_int_eq(cluster_remove_replica(cl, 1, 7, 100, 3), 0);
	ck_assert_int_eq(cluster_remove_replica(cl, 5, 7, 100, 3), -EINVAL);
}
END_TEST

START_TEST(test_snapshot_dirs)
{
	char buf[PATH_MAX], want[PATH_MAX];

	ck_assert_int_eq(cluster_snapshot_dir(cl, 2, 42, 7, buf, sizeof(buf)),
			 0);
	snprintf(want, sizeof(want), "%s/be2/snapshot/42/7", dir);
	ck_assert_str_eq(buf, want);
	ck_assert(!exists(want));
	ck_assert_int_eq(cluster_snapshot_dir(cl, 3, 42, 7, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_eq(
		cluster_make_snapshot_dir(cl, 2, 42, 7, buf, sizeof(buf)), 0);
	ck_assert(exists(want));
	ck_assert_int_eq(
		cluster_make_snapshot_dir(cl, 0, 42, 8, buf, sizeof(buf)), 0);
	ck_assert_int_eq(cluster_remove_snapshot(cl, 42), 0);
	ck_assert(!exists(want));
	ck_assert(!exists(buf));
	ck_assert_int_eq(cluster_remove_snapshot(cl, 42), 0);
}
END_TEST

START_TEST(test_gc)
{
	char keep[PATH_MAX], stray[PATH_MAX], claimed[PATH_MAX];
	char path[PATH_MAX + 8], jobrec[512];
	struct record_table tbl;
	const struct record_replica *r;
	struct catalog_txn *t;
	json_t *j;

	make_table();
	add_abc("f");
	ck_assert_int_eq(record_table_read(cluster_catalog(cl), "d", "t", &tbl),
			 0);
	r = &record_tablet_lookup(&tbl, "p1", "i", 7)->replicas[0];
	ck_assert_int_eq(cluster_replica_path(cl, 7, r, keep, sizeof(keep)), 0);
	/* A new generation nobody references, and one an unfinished job's
	 * plan claims. */
	ck_assert_int_eq(cluster_make_replica(cl, r->backend, 7, r->id, 99), 0);
	ck_assert_int_eq(cluster_replica_dir(cl, r->backend, 7, r->id, 99,
					     stray, sizeof(stray)),
			 0);
	ck_assert_int_eq(cluster_make_replica(cl, 0, 8, 500, 77), 0);
	ck_assert_int_eq(cluster_replica_dir(cl, 0, 8, 500, 77, claimed,
					     sizeof(claimed)),
			 0);
	record_table_release(&tbl);
	snprintf(jobrec, sizeof(jobrec),
		 "{\"JobId\":77,\"plan\":[{\"dst\":\"x\",\"table\":"
		 "{\"partitions\":[{\"indexes\":[{\"tablets\":[{\"id\":8,"
		 "\"replicas\":[{\"id\":500,\"backend\":0,\"gen\":77}]}]}]}]}}"
		 "]}");
	j = json_loads(jobrec, 0, NULL);
	ck_assert_int_eq(catalog_begin(cluster_catalog(cl), true, &t), 0);
	ck_assert_int_eq(record_job_put(t, 77, j), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	ck_assert_int_eq(cluster_gc(cl), 0);
	snprintf(path, sizeof(path), "%s/f", keep);
	ck_assert(exists(path));
	ck_assert(!exists(stray));
	ck_assert(exists(claimed));
	/* Once the job is done, its replicas are garbage. */
	json_object_set_new(j, "done", json_true());
	ck_assert_int_eq(catalog_begin(cluster_catalog(cl), true, &t), 0);
	ck_assert_int_eq(record_job_put(t, 77, j), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(j);
	ck_assert_int_eq(cluster_gc(cl), 0);
	ck_assert(!exists(claimed));
	ck_assert(exists(path));
}
END_TEST

START_TEST(test_link_or_copy)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], shm[64], got[8];
	struct stat sa, sc;
	int fd;

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	write_file(a, "hello");
	ck_assert_int_eq(cluster_link_or_copy(a, b), 0);
	ck_assert_int_eq(stat(b, &sa), 0);
	ck_assert_int_eq(sa.st_nlink, 2);
	ck_assert_int_eq(cluster_link_or_copy(a, b), 0); /* already there */
	snprintf(c, sizeof(c), "%s/none", dir);
	ck_assert_int_eq(cluster_link_or_copy(c, c), -ENOENT);
	snprintf(b, sizeof(b), "%s/nodir/b", dir);
	ck_assert_int_eq(cluster_link_or_copy(a, b), -ENOENT);
	/* Across filesystems: a copy, with the same bytes. */
	snprintf(shm, sizeof(shm), "/dev/shm/snapfs-test-cluster.XXXXXX");
	if (stat("/dev/shm", &sa) < 0 || stat(dir, &sc) < 0 ||
	    sa.st_dev == sc.st_dev || !mkdtemp(shm))
		return;
	snprintf(c, sizeof(c), "%s/copy", shm);
	ck_assert_int_eq(cluster_link_or_copy(a, c), 0);
	ck_assert_int_eq(stat(c, &sc), 0);
	ck_assert_int_eq(sc.st_size, 5);
	ck_assert_int_eq(sc.st_nlink, 1);
	fd = open(c, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, got, sizeof(got)), 5);
	close(fd);
	ck_assert_int_eq(memcmp(got, "hello", 5), 0);
	/* The target exists: done already, not copied again. */
	ck_assert_int_eq(cluster_link_or_copy(a, c), 0);
	unlink(c);
	rmdir(shm);
}
END_TEST

/* A full catalog: -ENOSPC (MDB_MAP_FULL) reaches the caller as it is. */
START_TEST(test_catalog_full)
{
	char rdir[PATH_MAX], name[200], path[PATH_MAX + 256];
	int i, rc = 0;

	cluster_close(cl);
	nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	setenv("SNAPFS_TEST_CATALOG_MAPSIZE", "131072", 1);
	open_cluster(3);
	make_table();
	for (i = 0; i < 10000 && rc == 0; i++) {
		snprintf(name, sizeof(name), "%0150d", i);
		rc = cluster_tablet_dir(cl, "d", "t", "p1", "i", 7, name, rdir,
					sizeof(rdir));
		ck_assert_int_eq(rc, 0);
		snprintf(path, sizeof(path), "%s/%s", rdir, name);
		write_file(path, "abc");
		rc = cluster_add_file(cl, "d", "t", "p1", "i", 7, name, MD5_ABC,
				      3);
	}
	ck_assert_int_eq(rc, -ENOSPC);
	ck_assert_int_gt(i, 1);
	/* Another change is -ENOSPC too (or fits in a page the failed one
	 * left), never -EIO or -EINVAL. */
	rc = cluster_create_partition(cl, "d", "t", "p3");
	ck_assert(rc == -ENOSPC || rc == 0);
	unsetenv("SNAPFS_TEST_CATALOG_MAPSIZE");
}
END_TEST

static Suite *cluster_suite(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("cluster");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_create_exact_json);
	tcase_add_test(tc, test_create_errors);
	tcase_add_test(tc, test_create_long_names);
	tcase_add_test(tc, test_index_shares_id_and_hash);
	tcase_add_test(tc, test_tablet_ids_reserved);
	tcase_add_test(tc, test_one_backend);
	tcase_add_test(tc, test_add_file);
	tcase_add_test(tc, test_add_file_missing_source);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_malformed_is_eio);
	tcase_add_test(tc, test_corrupt_id_counter);
	tcase_add_test(tc, test_replica_dirs);
	tcase_add_test(tc, test_snapshot_dirs);
	tcase_add_test(tc, test_gc);
	tcase_add_test(tc, test_link_or_copy);
	tcase_add_test(tc, test_catalog_full);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(cluster_suite)
