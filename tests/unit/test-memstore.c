/* SPDX-License-Identifier: MIT */
/*
 * test-memstore.c - the mem:// backend: namespaces shared by name, prefixes,
 * put/read/stat/list/remove/rename with the same answers as file://,
 * hostile keys, concurrent writers, store_mem_clear() and
 * store_import_dir(). Each test uses its own namespace name.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "unit.h"

#include "base/banned.h"

static struct store *open_ok(const char *url)
{
	struct store *st = NULL;

	ck_assert_msg(store_open(url, NULL, &st) == 0, "open %s: %s", url,
		      store_strerror(-EINVAL));
	ck_assert_ptr_nonnull(st);
	return st;
}

static void put_str(struct store *st, const char *key, const char *s)
{
	ck_assert_msg(store_put_buf(st, key, s, strlen(s), 0) == 0, "put %s",
		      key);
}

static char *get_str(struct store *st, const char *key)
{
	char *buf = NULL;
	size_t len;

	ck_assert_msg(store_read_all(st, key, 1 << 20, &buf, &len) == 0,
		      "read %s", key);
	return buf;
}

static int join_cb(const struct store_entry *e, void *arg)
{
	char *out = arg;
	size_t used = strlen(out);

	snprintf(out + used, 4096 - used, "%s%s%s", used ? "," : "", e->key,
		 e->is_prefix ? "" : (e->mtime > 0 ? "" : "!nomtime"));
	return 0;
}

static const char *list_keys(struct store *st, const char *prefix,
			     const char *delim)
{
	static char out[4096];

	out[0] = '\0';
	ck_assert_int_eq(store_list(st, prefix, delim, join_cb, out), 0);
	return out;
}

START_TEST(test_open_and_share)
{
	struct store *a = open_ok("mem://share"), *b;
	char *s;

	ck_assert_ptr_eq(a->ops, &store_mem_ops);
	ck_assert_ptr_eq(store_ops_by_scheme("mem"), &store_mem_ops);
	ck_assert_str_eq(a->url, "mem://share");
	ck_assert(store_can(a, STORE_CAP_WRITE | STORE_CAP_RENAME |
				       STORE_CAP_RANGE_READ));
	ck_assert(!store_can(a, STORE_CAP_REMOTE));
	put_str(a, "x/y", "hello");
	store_close(a);

	/* A second open of the name sees the objects, even after close. */
	b = open_ok("mem://share/");
	s = get_str(b, "x/y");
	ck_assert_str_eq(s, "hello");
	free(s);
	/* Through a prefix, keys are relative to it. */
	a = open_ok("mem://share//x/");
	ck_assert_str_eq(a->url, "mem://share/x");
	s = get_str(a, "y");
	ck_assert_str_eq(s, "hello");
	free(s);
	put_str(a, "z", "zz");
	ck_assert_str_eq(list_keys(b, "", NULL), "x/y,x/z");
	ck_assert_str_eq(list_keys(a, "", NULL), "y,z");
	/* Another name is another namespace. */
	store_close(a);
	a = open_ok("mem://other-share");
	ck_assert_str_eq(list_keys(a, "", NULL), "");
	store_close(a);

	store_mem_clear("share");
	ck_assert_str_eq(list_keys(b, "", NULL), "");
	store_mem_clear("never-made");
	store_close(b);
}
END_TEST

START_TEST(test_open_errors)
{
	struct store *sentinel = (struct store *)&sentinel, *s = sentinel;

	ck_assert_int_eq(store_open("mem://", NULL, &s), -EINVAL);
	ck_assert(strstr(store_strerror(-EINVAL), "mem://NAME") != NULL);
	ck_assert_int_eq(store_open("mem:///x", NULL, &s), -EINVAL);
	ck_assert_int_eq(store_open("mem://a b", NULL, &s), -EINVAL);
	ck_assert_int_eq(store_open("mem://ok/../x", NULL, &s), -EINVAL);
	ck_assert(strstr(store_strerror(-EINVAL), "'..'") != NULL);
	ck_assert_int_eq(store_open("mem://ok/./x", NULL, &s), -EINVAL);
	ck_assert_ptr_eq(s, sentinel);
}
END_TEST

START_TEST(test_read_stat)
{
	struct store *st = open_ok("mem://readstat");
	struct store_entry e;
	char buf[32];
	size_t n = 99;

	put_str(st, "d/obj", "0123456789");
	memset(&e, 0xff, sizeof(e));
	ck_assert_int_eq(store_stat(st, "d/obj", &e), 0);
	ck_assert_uint_eq(e.size, 10);
	ck_assert_int_gt(e.mtime, 0);
	ck_assert_ptr_null(e.key);
	ck_assert(!e.is_prefix);
	ck_assert_int_eq(store_stat(st, "d", &e), -ENOENT);
	ck_assert_int_eq(store_stat(st, "d/obj/x", &e), -ENOENT);

	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_read(st, "d/obj", 3, buf, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(buf, "3456");
	ck_assert_int_eq(store_read(st, "d/obj", 8, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(store_read(st, "d/obj", 10, buf, 5, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_read(st, "d/obj", 1000, buf, 5, &n), 0);
	ck_assert_uint_eq(n, 0);
	n = 77;
	ck_assert_int_eq(store_read(st, "d/nope", 0, buf, 5, &n), -ENOENT);
	ck_assert_int_eq(store_read(st, "d", 0, buf, 5, &n), -ENOENT);
	ck_assert_uint_eq(n, 77);
	store_mem_clear("readstat");
	store_close(st);
}
END_TEST

START_TEST(test_list)
{
	struct store *st = open_ok("mem://list");
	struct store_entry e;

	put_str(st, "top", "1");
	put_str(st, "b/x", "22");
	put_str(st, "a/y", "333");
	put_str(st, "a/x/deep", "4444");
	put_str(st, "a.b", "5");
	put_str(st, "c", "6");
	ck_assert_str_eq(list_keys(st, "", "/"), "a.b,a/,b/,c,top");
	ck_assert_str_eq(list_keys(st, "a/", "/"), "a/x/,a/y");
	ck_assert_str_eq(list_keys(st, "a", "/"), "a.b,a/");
	ck_assert_str_eq(list_keys(st, "", NULL), "a.b,a/x/deep,a/y,b/x,c,top");
	ck_assert_str_eq(list_keys(st, "a/x/deep", NULL), "a/x/deep");
	ck_assert_str_eq(list_keys(st, "nope/", "/"), "");
	/* Any delimiter, as S3 takes. */
	ck_assert_str_eq(list_keys(st, "", "."), "a.,a/x/deep,a/y,b/x,c,top");
	ck_assert_int_eq(store_list(st, "", "", join_cb, NULL), -EINVAL);
	ck_assert_int_eq(store_list(st, "../", "/", join_cb, NULL), -EINVAL);
	ck_assert_int_eq(store_list(st, "a//", "/", join_cb, NULL), -EINVAL);

	/* Remove and rename. */
	ck_assert_int_eq(store_remove(st, "a/y"), 0);
	ck_assert_int_eq(store_remove(st, "a/y"), -ENOENT);
	ck_assert_int_eq(store_remove(st, "a"), -ENOENT);
	ck_assert_int_eq(store_rename(st, "a/x/deep", "b/moved"), 0);
	ck_assert_int_eq(store_rename(st, "a/x/deep", "q"), -ENOENT);
	ck_assert_int_eq(store_rename(st, "b/moved", "c"), 0);
	ck_assert_int_eq(store_rename(st, "c", "c"), 0);
	ck_assert_int_eq(store_stat(st, "c", &e), 0);
	ck_assert_uint_eq(e.size, 4);
	ck_assert_str_eq(list_keys(st, "", NULL), "a.b,b/x,c,top");
	store_mem_clear("list");
	store_close(st);
}
END_TEST

struct fail_src {
	unsigned calls, fail_at;
	int err;
};

static ssize_t failing_src(void *arg, void *buf, size_t len)
{
	struct fail_src *fs = arg;

	if (++fs->calls >= fs->fail_at)
		return fs->err;
	if (len > 1000)
		len = 1000;
	memset(buf, 'z', len);
	return (ssize_t)len;
}

START_TEST(test_put)
{
	struct store *st = open_ok("mem://put");
	struct fail_src fs = {.fail_at = 3, .err = -EIO};
	struct store_entry e;
	const char *keys[] = {"p/k", "nope", "q"};
	char *s;

	ck_assert_int_eq(
		store_put_buf(st, "p/k", "first", 5, STORE_PUT_IF_ABSENT), 0);
	ck_assert_int_eq(
		store_put_buf(st, "p/k", "second", 6, STORE_PUT_IF_ABSENT),
		-EEXIST);
	s = get_str(st, "p/k");
	ck_assert_str_eq(s, "first");
	free(s);
	ck_assert_int_eq(store_put_buf(st, "p/k", "third", 5, 0), 0);
	s = get_str(st, "p/k");
	ck_assert_str_eq(s, "third");
	free(s);

	/* Source errors and wrong sizes leave nothing behind. */
	ck_assert_int_eq(store_put(st, "q", failing_src, &fs, 5000, 0), -EIO);
	ck_assert_int_eq(store_stat(st, "q", &e), -ENOENT);
	fs = (struct fail_src){.fail_at = 100};
	ck_assert_int_eq(store_put(st, "q", failing_src, &fs, 5, 0), -EIO);
	fs = (struct fail_src){.fail_at = 3};
	ck_assert_int_eq(store_put(st, "q", failing_src, &fs, 5000, 0), -EIO);
	ck_assert_int_eq(store_stat(st, "q", &e), -ENOENT);
	fs = (struct fail_src){.fail_at = 3};
	ck_assert_int_eq(store_put(st, "q", failing_src, &fs, 2000, 0), 0);
	ck_assert_int_eq(store_stat(st, "q", &e), 0);
	ck_assert_uint_eq(e.size, 2000);

	/* Copy (generic) and remove_many. */
	ck_assert_int_eq(store_copy(st, "p/k", "r/copy"), 0);
	s = get_str(st, "r/copy");
	ck_assert_str_eq(s, "third");
	free(s);
	ck_assert_int_eq(store_copy(st, "missing", "r/x"), -ENOENT);
	ck_assert_int_eq(store_remove_many(st, keys, 3), 0);
	ck_assert_str_eq(list_keys(st, "", NULL), "r/copy");
	store_mem_clear("put");
	store_close(st);
}
END_TEST

static const char *const bad_keys[] = {
	"", "../x", "..", ".", "/abs", "/", "a//b", "a/./b", "a/../b", "a/",
};

START_TEST(test_hostile_keys)
{
	struct store *st = open_ok("mem://hostile");
	const char *k = bad_keys[_i];
	struct store_entry e;
	char buf[8];
	size_t n;

	put_str(st, "a/b", "inside");
	ck_assert_int_eq(store_read(st, k, 0, buf, sizeof(buf), &n), -EINVAL);
	ck_assert_int_eq(store_stat(st, k, &e), -EINVAL);
	ck_assert_int_eq(store_put_buf(st, k, "x", 1, 0), -EINVAL);
	ck_assert_int_eq(store_remove(st, k), -EINVAL);
	ck_assert_int_eq(store_rename(st, k, "c"), -EINVAL);
	ck_assert_int_eq(store_rename(st, "a/b", k), -EINVAL);
	ck_assert_str_eq(list_keys(st, "", NULL), "a/b");
	store_mem_clear("hostile");
	store_close(st);
}
END_TEST

#define NWRITERS 4
#define NPUTS	 200

static void *writer(void *arg)
{
	long id = (long)arg;
	struct store *st = open_ok("mem://threads");
	char key[32], val[32];
	int i;

	for (i = 0; i < NPUTS; i++) {
		snprintf(key, sizeof(key), "w%ld/%03d", id, i);
		snprintf(val, sizeof(val), "%ld-%d", id, i);
		if (store_put_buf(st, key, val, strlen(val), 0) != 0)
			return (void *)1;
	}
	store_close(st);
	return NULL;
}

static int count_cb(const struct store_entry *e, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

START_TEST(test_threads)
{
	pthread_t th[NWRITERS];
	struct store *st = open_ok("mem://threads");
	unsigned n = 0;
	void *ret;
	long i;
	char *s;

	for (i = 0; i < NWRITERS; i++)
		ck_assert_int_eq(
			pthread_create(&th[i], NULL, writer, (void *)i), 0);
	for (i = 0; i < NWRITERS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(store_list(st, "", NULL, count_cb, &n), 0);
	ck_assert_uint_eq(n, NWRITERS * NPUTS);
	s = get_str(st, "w3/199");
	ck_assert_str_eq(s, "3-199");
	free(s);
	store_mem_clear("threads");
	store_close(st);
}
END_TEST

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	return remove(path);
}

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_import_dir)
{
	char dir[PATH_MAX], path[PATH_MAX + 8];
	struct store *st = open_ok("mem://import"), *ro;
	char *s;

	snprintf(dir, sizeof(dir), "%s/snapfs-test-mem.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR")
						       : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/deeper", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/empty", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	write_file(dir, "top", "T");
	write_file(dir, "sub/a", "AA");
	write_file(dir, "sub/deeper/b", "BBB");
	snprintf(path, sizeof(path), "%s/link", dir);
	ck_assert_int_eq(symlink("top", path), 0);

	ck_assert_int_eq(store_import_dir(st, dir, "repo/"), 0);
	ck_assert_str_eq(list_keys(st, "", NULL),
			 "repo/sub/a,repo/sub/deeper/b,repo/top");
	s = get_str(st, "repo/sub/deeper/b");
	ck_assert_str_eq(s, "BBB");
	free(s);
	ck_assert_int_eq(store_import_dir(st, dir, ""), 0);
	ck_assert_str_eq(list_keys(st, "", "/"), "repo/,sub/,top");
	snprintf(path, sizeof(path), "%s/missing", dir);
	ck_assert_int_eq(store_import_dir(st, path, ""), -ENOENT);

	/* Through a layer, whose failures stop the import. */
	ck_assert_int_eq(
		store_fault_wrap(open_ok("mem://import"), "enospc=3", &ro), 0);
	ck_assert_int_eq(store_import_dir(ro, dir, "x/"), -ENOSPC);
	store_close(ro);

	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	store_mem_clear("import");
	store_close(st);
}
END_TEST

static Suite *memstore_suite(void)
{
	Suite *s = suite_create("memstore");
	TCase *tc = tcase_create("mem");

	tcase_add_test(tc, test_open_and_share);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_read_stat);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_put);
	tcase_add_loop_test(tc, test_hostile_keys, 0,
			    (int)(sizeof(bad_keys) / sizeof(bad_keys[0])));
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_import_dir);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(memstore_suite)
