/* SPDX-License-Identifier: MIT */
/*
 * test-store.c - the store interface and the file:// backend, through the
 * public API: opening by URL, whole and ranged reads, stat, prefix and
 * delimiter listings in byte order, conditional and failing puts, remove
 * with pruning, rename, and hostile keys. Every test works in its own
 * mkdtemp directory and removes it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
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

#define TMP_PREFIX "snapfs-test-store."

/* Per-test state, set up and torn down by the checked fixture. */
static char tmpdir[PATH_MAX];
static struct store *st;

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	return remove(path);
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	char url[PATH_MAX + 16];

	snprintf(tmpdir, sizeof(tmpdir), "%s/" TMP_PREFIX "XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(url, sizeof(url), "file://%s", tmpdir);
	st = NULL;
	ck_assert_int_eq(store_open(url, NULL, &st), 0);
	ck_assert_ptr_nonnull(st);
}

static void teardown(void)
{
	store_close(st);
	st = NULL;
	if (tmpdir[0])
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

/* Path of @rel below the test directory, for looking behind the store. */
static const char *disk(const char *rel)
{
	static char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return path;
}

static bool disk_exists(const char *rel)
{
	struct stat sb;

	return lstat(disk(rel), &sb) == 0;
}

/* Entries of directory @rel on disk whose names start with @start. */
static int disk_count(const char *rel, const char *start)
{
	struct dirent *de;
	DIR *d = opendir(disk(rel));
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, start, strlen(start)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * No temporary file anywhere below the test directory: neither a
 * ".snapfs-tmp-" file nor anything left in the staging directory (which
 * may itself exist, empty).
 */
static int tmp_cb(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	if (flag == FTW_D &&
	    strcmp(path + ftw->base, ".snapfs-tmp-staging") == 0)
		return 0;
	if (strstr(path, "/.snapfs-tmp-staging/"))
		return 1;
	return strstr(path + ftw->base, ".snapfs-tmp-") == path + ftw->base;
}

static bool disk_has_tmp(void)
{
	return nftw(tmpdir, tmp_cb, 16, FTW_PHYS) != 0;
}

static void put_str(const char *key, const char *s)
{
	ck_assert_msg(store_put_buf(st, key, s, strlen(s), 0) == 0, "put %s",
		      key);
}

/* ---- listing helpers ---------------------------------------------------- */

struct listing {
	char text[4096]; /* keys joined with ',' */
	unsigned n, stop_at;
	int stop_rc;
	bool sizes_ok;
};

static int list_cb(const struct store_entry *e, void *arg)
{
	struct listing *l = arg;
	size_t used = strlen(l->text);

	ck_assert_ptr_nonnull(e->key);
	ck_assert_int_eq(e->is_prefix, e->key[strlen(e->key) - 1] == '/');
	if (e->is_prefix && (e->size != 0 || e->mtime != 0))
		l->sizes_ok = false;
	if (!e->is_prefix && e->mtime <= 0)
		l->sizes_ok = false;
	snprintf(l->text + used, sizeof(l->text) - used, "%s%s",
		 used ? "," : "", e->key);
	l->n++;
	if (l->stop_at && l->n == l->stop_at)
		return l->stop_rc;
	return 0;
}

/* List and return the keys joined with ','; asserts the listing's rc. */
static const char *list_keys(const char *prefix, const char *delim)
{
	static struct listing l;

	memset(&l, 0, sizeof(l));
	l.sizes_ok = true;
	ck_assert_int_eq(store_list(st, prefix, delim, list_cb, &l), 0);
	ck_assert(l.sizes_ok);
	return l.text;
}

/* ---- opening ------------------------------------------------------------- */

START_TEST(test_open_file_url)
{
	char real[PATH_MAX], want[PATH_MAX + 16];

	ck_assert_ptr_eq(st->ops, &store_file_ops);
	ck_assert_ptr_nonnull(realpath(tmpdir, real));
	snprintf(want, sizeof(want), "file://%s", real);
	ck_assert_str_eq(st->url, want);
	ck_assert_ptr_eq(store_ops_by_scheme("file"), &store_file_ops);
	ck_assert_ptr_eq(store_ops_by_scheme("s3"), &store_s3_ops);
	ck_assert_ptr_null(store_ops_by_scheme("webhdfs"));
	ck_assert_ptr_null(store_ops_by_scheme(""));
}
END_TEST

START_TEST(test_open_bare_path)
{
	struct store *s2 = NULL;
	char url[PATH_MAX + 32];
	char *buf;
	size_t len;

	put_str("k", "v");
	ck_assert_int_eq(store_open(tmpdir, NULL, &s2), 0);
	ck_assert_ptr_eq(s2->ops, &store_file_ops);
	ck_assert_int_eq(store_read_all(s2, "k", 16, &buf, &len), 0);
	ck_assert_str_eq(buf, "v");
	free(buf);
	store_close(s2);

	/* A trailing slash and file://localhost/ name the same root. */
	snprintf(url, sizeof(url), "file://localhost%s/", tmpdir);
	s2 = NULL;
	ck_assert_int_eq(store_open(url, NULL, &s2), 0);
	ck_assert_str_eq(s2->url, st->url);
	store_close(s2);
	store_close(NULL);
}
END_TEST

START_TEST(test_open_errors)
{
	struct store *sentinel = (struct store *)&sentinel, *s2 = sentinel;
	char url[PATH_MAX + 32];

	ck_assert_int_eq(store_open("s3x://bucket/path", NULL, &s2),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(store_open("://x", NULL, &s2), -EPROTONOSUPPORT);
	ck_assert_int_eq(store_open("averyveryverylongscheme://x", NULL, &s2),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(store_open("file://relative/dir", NULL, &s2), -EINVAL);
	ck_assert_int_eq(store_open("file://otherhost/tmp", NULL, &s2),
			 -EINVAL);
	ck_assert_int_eq(store_open("file://", NULL, &s2), -EINVAL);

	snprintf(url, sizeof(url), "file://%s/missing", tmpdir);
	ck_assert_int_eq(store_open(url, NULL, &s2), -ENOENT);
	ck_assert_int_eq(store_open(disk("missing"), NULL, &s2), -ENOENT);

	/* A regular file is not a root. */
	put_str("f", "x");
	ck_assert_int_eq(store_open(disk("f"), NULL, &s2), -ENOTDIR);
	ck_assert_ptr_eq(s2, sentinel);
}
END_TEST

START_TEST(test_remove_many_and_copy)
{
	const char *keys[] = {"d/a", "d/b", "d/missing", "e"};
	struct store_entry e;
	char *buf;
	size_t len;

	put_str("d/a", "aa");
	put_str("d/b", "bbb");
	put_str("e", "e");
	put_str("keep", "k");
	/* A generic copy (file:// has no server-side one) reads and puts. */
	ck_assert_int_eq(store_copy(st, "d/b", "c/b2"), 0);
	ck_assert_int_eq(store_read_all(st, "c/b2", 100, &buf, &len), 0);
	ck_assert_str_eq(buf, "bbb");
	free(buf);
	ck_assert_int_eq(store_copy(st, "nope", "c/x"), -ENOENT);
	ck_assert_int_eq(store_stat(st, "c/x", &e), -ENOENT);
	/* Missing keys count as deleted; others are gone afterwards. */
	ck_assert_int_eq(store_remove_many(st, keys, 4), 0);
	ck_assert_int_eq(store_stat(st, "d/a", &e), -ENOENT);
	ck_assert_int_eq(store_stat(st, "d/b", &e), -ENOENT);
	ck_assert_int_eq(store_stat(st, "e", &e), -ENOENT);
	ck_assert_int_eq(store_stat(st, "keep", &e), 0);
	ck_assert_int_eq(store_remove_many(st, keys, 0), 0);
}
END_TEST

/* s3:// option and URL errors are found before any request is sent. */
START_TEST(test_s3_open_errors)
{
	struct store *sentinel = (struct store *)&sentinel, *s2 = sentinel;
	struct store_opts o = {.endpoint = "http://127.0.0.1:1"};
	static const char *const bad_urls[] = {
		"s3://",	   "s3:///prefix",  "s3://user:pw@bkt/x",
		"s3://bkt:9000/x", "s3://b/a/../c", "s3://bad$name/x",
		"s3://b/./x",
	};
	size_t i;

	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "sekrit-do-not-print", 1);
	for (i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		ck_assert_msg(store_open(bad_urls[i], &o, &s2) == -EINVAL, "%s",
			      bad_urls[i]);
		ck_assert(strstr(store_strerror(-EINVAL), "sekrit") == NULL);
	}
	ck_assert(strstr(store_strerror(-EINVAL), "not allowed") != NULL);

	o.endpoint = "ftp://host";
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -EINVAL);
	ck_assert(strstr(store_strerror(-EINVAL), "http://") != NULL);
	o.endpoint = "http://host/path";
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -EINVAL);
	o.endpoint = "http://me:pw@host";
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -EINVAL);
	o.endpoint = "http://127.0.0.1:1";
	o.addressing = "sideways";
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -EINVAL);
	ck_assert(strstr(store_strerror(-EINVAL), "sideways") != NULL);
	o.addressing = "virtual";
	ck_assert_int_eq(store_open("s3://Bad_Bucket/x", &o, &s2), -EINVAL);
	ck_assert(strstr(store_strerror(-EINVAL), "addressing=path") != NULL);
	o.addressing = NULL;
	o.part_size = 1 << 20;
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -EINVAL);
	ck_assert(strstr(store_strerror(-EINVAL), "5 MiB") != NULL);
	o.part_size = 0;
	o.list_page = 5000;
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -EINVAL);
	o.list_page = 0;
	o.region = "us east";
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -EINVAL);
	ck_assert_ptr_eq(s2, sentinel);
}
END_TEST

/* Nobody listens: retried, then reported with the bucket and attempts. */
START_TEST(test_s3_unreachable)
{
	struct store *s2 = NULL;
	struct store_opts o = {.endpoint = "http://127.0.0.1:1",
			       .retries = 2,
			       .retries_set = true,
			       .retry_base_ms = 1};
	const char *msg;

	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "sekrit-do-not-print", 1);
	ck_assert_int_eq(store_open("s3://bkt/some/prefix", &o, &s2),
			 -ECONNREFUSED);
	msg = store_strerror(-ECONNREFUSED);
	ck_assert_msg(strstr(msg, "bkt") && strstr(msg, "after 3 attempts"),
		      "%s", msg);
	ck_assert(strstr(msg, "sekrit") == NULL);
	ck_assert_ptr_null(s2);

	/* No credentials anywhere: says so, before any request. */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("HOME", tmpdir, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", disk("none"), 1);
	ck_assert_int_eq(store_open("s3://bkt/x", &o, &s2), -ENOENT);
	ck_assert(strstr(store_strerror(-ENOENT), "credentials") != NULL);
}
END_TEST

START_TEST(test_caps)
{
	ck_assert(store_can(st, STORE_CAP_RENAME));
	ck_assert(store_can(st, STORE_CAP_RANGE_READ));
	ck_assert(store_can(st, STORE_CAP_WRITE));
	ck_assert(store_can(st, STORE_CAP_RENAME | STORE_CAP_RANGE_READ |
					STORE_CAP_WRITE));
	ck_assert(store_can(st, 0));
	ck_assert(!store_can(st, 1u << 20));
	ck_assert(!store_can(st, STORE_CAP_WRITE | (1u << 20)));
}
END_TEST

/* ---- put and read ------------------------------------------------------- */

START_TEST(test_put_read_all)
{
	static const char text[] = "hello, object store";
	size_t len = 200000, got = 12345, i;
	char *big, *buf = NULL;

	ck_assert_int_eq(store_put_buf(st, "a/b/c.txt", text, strlen(text), 0),
			 0);
	ck_assert_int_eq(store_read_all(st, "a/b/c.txt", 1024, &buf, &got), 0);
	ck_assert_uint_eq(got, strlen(text));
	ck_assert_str_eq(buf, text);
	free(buf);

	/* Empty object: a NUL-terminated empty buffer. */
	ck_assert_int_eq(store_put_buf(st, "empty", "", 0, 0), 0);
	ck_assert_int_eq(store_read_all(st, "empty", 0, &buf, &got), 0);
	ck_assert_uint_eq(got, 0);
	ck_assert_str_eq(buf, "");
	free(buf);

	/* Larger than the backend's copy buffer, binary with NULs. */
	big = malloc(len);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < len; i++)
		big[i] = (char)(i * 2654435761u >> 11);
	ck_assert_int_eq(store_put_buf(st, "big", big, len, 0), 0);
	ck_assert_int_eq(store_read_all(st, "big", len, &buf, &got), 0);
	ck_assert_uint_eq(got, len);
	ck_assert(memcmp(buf, big, len) == 0);
	ck_assert_int_eq(buf[len], '\0');
	free(buf);

	/* Replace: the new content wins. */
	ck_assert_int_eq(store_put_buf(st, "big", "short", 5, 0), 0);
	ck_assert_int_eq(store_read_all(st, "big", len, &buf, &got), 0);
	ck_assert_uint_eq(got, 5);
	ck_assert_str_eq(buf, "short");
	free(buf);
	free(big);

	ck_assert(!disk_has_tmp());
}
END_TEST

START_TEST(test_read_all_errors)
{
	char *sentinel = (char *)&sentinel, *buf = sentinel;
	size_t got = 777;

	put_str("obj", "0123456789");
	ck_assert_int_eq(store_read_all(st, "obj", 9, &buf, &got), -EFBIG);
	ck_assert_int_eq(store_read_all(st, "obj", 0, &buf, &got), -EFBIG);
	ck_assert_int_eq(store_read_all(st, "missing", 100, &buf, &got),
			 -ENOENT);
	ck_assert_ptr_eq(buf, sentinel);
	ck_assert_uint_eq(got, 777);
	ck_assert_int_eq(store_read_all(st, "obj", 10, &buf, &got), 0);
	ck_assert_uint_eq(got, 10);
	free(buf);
}
END_TEST

START_TEST(test_read_ranges)
{
	char buf[32];
	size_t n;

	put_str("d/obj", "0123456789");

	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_read(st, "d/obj", 0, buf, 10, &n), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert(memcmp(buf, "0123456789", 10) == 0);

	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_read(st, "d/obj", 3, buf, 4, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(buf, "3456");

	/* Across the end: a short count. */
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_read(st, "d/obj", 8, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(buf, "89");

	/* At and past the end: 0. */
	n = 99;
	ck_assert_int_eq(store_read(st, "d/obj", 10, buf, 5, &n), 0);
	ck_assert_uint_eq(n, 0);
	n = 99;
	ck_assert_int_eq(store_read(st, "d/obj", 1000000, buf, 5, &n), 0);
	ck_assert_uint_eq(n, 0);

	/* Zero length. */
	n = 99;
	ck_assert_int_eq(store_read(st, "d/obj", 2, buf, 0, &n), 0);
	ck_assert_uint_eq(n, 0);

	/* Absent objects, including under an object and at a prefix. */
	n = 99;
	ck_assert_int_eq(store_read(st, "d/nope", 0, buf, 5, &n), -ENOENT);
	ck_assert_int_eq(store_read(st, "nope/x", 0, buf, 5, &n), -ENOENT);
	ck_assert_int_eq(store_read(st, "d/obj/x", 0, buf, 5, &n), -ENOENT);
	ck_assert_int_eq(store_read(st, "d", 0, buf, 5, &n), -ENOENT);
	ck_assert_uint_eq(n, 99);
}
END_TEST

START_TEST(test_stat)
{
	struct store_entry e;

	put_str("dir/sub/obj", "abcdef");
	memset(&e, 0xff, sizeof(e));
	ck_assert_int_eq(store_stat(st, "dir/sub/obj", &e), 0);
	ck_assert_ptr_null(e.key);
	ck_assert_uint_eq(e.size, 6);
	ck_assert_int_gt(e.mtime, 0);
	ck_assert(!e.is_prefix);

	memset(&e, 0, sizeof(e));
	e.size = 42;
	ck_assert_int_eq(store_stat(st, "dir/sub/missing", &e), -ENOENT);
	ck_assert_int_eq(store_stat(st, "nodir/obj", &e), -ENOENT);
	/* A "directory" is a prefix, not an object. */
	ck_assert_int_eq(store_stat(st, "dir", &e), -ENOENT);
	ck_assert_int_eq(store_stat(st, "dir/sub", &e), -ENOENT);
	/* Below an object. */
	ck_assert_int_eq(store_stat(st, "dir/sub/obj/x", &e), -ENOENT);
	ck_assert_uint_eq(e.size, 42);
}
END_TEST

/* ---- listing ------------------------------------------------------------ */

START_TEST(test_list_delim)
{
	put_str("top", "1");
	put_str("b/x", "22");
	put_str("a/y", "333");
	put_str("a/x/deep", "4444");
	put_str("c", "5");

	ck_assert_str_eq(list_keys("", "/"), "a/,b/,c,top");
	ck_assert_str_eq(list_keys("a/", "/"), "a/x/,a/y");
	ck_assert_str_eq(list_keys("a/x/", "/"), "a/x/deep");
	/* A prefix that names a directory without its slash. */
	ck_assert_str_eq(list_keys("a", "/"), "a/");
	/* A prefix that names an object. */
	ck_assert_str_eq(list_keys("a/y", "/"), "a/y");
	ck_assert_str_eq(list_keys("t", "/"), "top");
	ck_assert(!disk_has_tmp());
}
END_TEST

/* '.' (0x2e) sorts before '/' (0x2f), '-' before both, '0' after. */
START_TEST(test_list_byte_order)
{
	put_str("a/x", "1");
	put_str("a.b", "2");
	put_str("a-c", "3");
	put_str("a0", "4");
	put_str("B", "5");

	ck_assert_str_eq(list_keys("", "/"), "B,a-c,a.b,a/,a0");
	ck_assert_str_eq(list_keys("", NULL), "B,a-c,a.b,a/x,a0");

	/* The same inside a directory, where it is one readdir. */
	put_str("d/a/x", "1");
	put_str("d/a.b", "2");
	ck_assert_str_eq(list_keys("d/", "/"), "d/a.b,d/a/");
	ck_assert_str_eq(list_keys("d/a", "/"), "d/a.b,d/a/");
	ck_assert_str_eq(list_keys("d/", NULL), "d/a.b,d/a/x");
}
END_TEST

START_TEST(test_list_prefix_mid_name)
{
	put_str("__repo_info", "{}");
	put_str("__ss_b/__meta", "m");
	put_str("__ss_a/__info", "i");
	put_str("__ss_a/__ss_content/x", "c");
	put_str("__ss_file", "f");
	put_str("__s_other/x", "o");
	put_str("repo/__ss_c/x", "r");

	ck_assert_str_eq(list_keys("__ss_", "/"), "__ss_a/,__ss_b/,__ss_file");
	ck_assert_str_eq(list_keys("__ss_a/__", "/"),
			 "__ss_a/__info,__ss_a/__ss_content/");
	ck_assert_str_eq(list_keys("repo/__ss_", "/"), "repo/__ss_c/");
	ck_assert_str_eq(list_keys("__ss_", NULL),
			 "__ss_a/__info,__ss_a/__ss_content/x,__ss_b/__meta,"
			 "__ss_file");
	ck_assert_str_eq(list_keys("__ss_z", "/"), "");
}
END_TEST

START_TEST(test_list_recursive)
{
	put_str("z", "1");
	put_str("m/n/o/p", "2");
	put_str("m/n/a", "3");
	put_str("m/b", "4");
	put_str("a", "5");

	ck_assert_str_eq(list_keys("", NULL), "a,m/b,m/n/a,m/n/o/p,z");
	ck_assert_str_eq(list_keys("m/", NULL), "m/b,m/n/a,m/n/o/p");
	ck_assert_str_eq(list_keys("m/n", NULL), "m/n/a,m/n/o/p");
	ck_assert_str_eq(list_keys("m/n/o/p", NULL), "m/n/o/p");
}
END_TEST

struct sized {
	char keys[4][16];
	uint64_t sizes[4];
	unsigned n;
};

static int sized_cb(const struct store_entry *e, void *arg)
{
	struct sized *g = arg;

	ck_assert_uint_lt(g->n, 4);
	snprintf(g->keys[g->n], sizeof(g->keys[0]), "%s", e->key);
	g->sizes[g->n++] = e->size;
	return 0;
}

START_TEST(test_list_sizes)
{
	struct sized got = {0};

	put_str("x/one", "1");
	put_str("x/three", "333");
	put_str("x/sub/two", "22");

	ck_assert_int_eq(store_list(st, "x/", "/", sized_cb, &got), 0);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_str_eq(got.keys[0], "x/one");
	ck_assert_uint_eq(got.sizes[0], 1);
	ck_assert_str_eq(got.keys[1], "x/sub/");
	ck_assert_uint_eq(got.sizes[1], 0);
	ck_assert_str_eq(got.keys[2], "x/three");
	ck_assert_uint_eq(got.sizes[2], 3);
}
END_TEST

START_TEST(test_list_missing_prefix)
{
	ck_assert_str_eq(list_keys("", "/"), "");
	ck_assert_str_eq(list_keys("", NULL), "");
	put_str("a/b", "1");
	ck_assert_str_eq(list_keys("nope/", "/"), "");
	ck_assert_str_eq(list_keys("nope/deeper/", NULL), "");
	ck_assert_str_eq(list_keys("a/b/", "/"), ""); /* below an object */
	ck_assert_str_eq(list_keys("a/c", "/"), "");
}
END_TEST

START_TEST(test_list_stop)
{
	struct listing l = {.stop_at = 2, .stop_rc = 42, .sizes_ok = true};

	put_str("k1", "1");
	put_str("k2", "2");
	put_str("k3", "3");
	ck_assert_int_eq(store_list(st, "", "/", list_cb, &l), 42);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.text, "k1,k2");

	memset(&l, 0, sizeof(l));
	l.stop_at = 1;
	l.stop_rc = -ENOSPC;
	ck_assert_int_eq(store_list(st, "", NULL, list_cb, &l), -ENOSPC);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.text, "k1");
}
END_TEST

START_TEST(test_list_bad_args)
{
	struct listing l = {0};

	ck_assert_int_eq(store_list(st, "", ",", list_cb, &l), -EINVAL);
	ck_assert_int_eq(store_list(st, "../", "/", list_cb, &l), -EINVAL);
	ck_assert_int_eq(store_list(st, "../x", NULL, list_cb, &l), -EINVAL);
	ck_assert_int_eq(store_list(st, "/", "/", list_cb, &l), -EINVAL);
	ck_assert_int_eq(store_list(st, "/etc/", "/", list_cb, &l), -EINVAL);
	ck_assert_int_eq(store_list(st, "a//", "/", list_cb, &l), -EINVAL);
	ck_assert_int_eq(store_list(st, "a/./", "/", list_cb, &l), -EINVAL);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* Leftovers of an interrupted put are never listed. */
START_TEST(test_list_hides_tmp)
{
	FILE *f;

	put_str("d/obj", "1");
	f = fopen(disk("d/.snapfs-tmp-1234.0"), "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	f = fopen(disk(".snapfs-tmp-99.1"), "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_str_eq(list_keys("", "/"), "d/");
	ck_assert_str_eq(list_keys("", NULL), "d/obj");
	ck_assert_str_eq(list_keys("d/", "/"), "d/obj");
	ck_assert_str_eq(list_keys("d/.snap", "/"), "");
}
END_TEST

/* ---- conditional and failing puts -------------------------------------- */

START_TEST(test_put_if_absent)
{
	char *buf;
	size_t len;

	ck_assert_int_eq(
		store_put_buf(st, "p/k", "first", 5, STORE_PUT_IF_ABSENT), 0);
	ck_assert_int_eq(
		store_put_buf(st, "p/k", "second", 6, STORE_PUT_IF_ABSENT),
		-EEXIST);
	ck_assert_int_eq(store_read_all(st, "p/k", 64, &buf, &len), 0);
	ck_assert_str_eq(buf, "first");
	free(buf);
	ck_assert(!disk_has_tmp());
	ck_assert_int_eq(disk_count("p", ""), 1);
	ck_assert_str_eq(list_keys("", NULL), "p/k");

	/* Without the flag, it replaces. */
	ck_assert_int_eq(store_put_buf(st, "p/k", "third", 5, 0), 0);
	ck_assert_int_eq(store_read_all(st, "p/k", 64, &buf, &len), 0);
	ck_assert_str_eq(buf, "third");
	free(buf);
	ck_assert(!disk_has_tmp());
}
END_TEST

struct fail_src {
	unsigned calls, fail_at;
	int err;
};

/* Hands out 1000-byte chunks, then fails on call @fail_at. */
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

START_TEST(test_put_source_error)
{
	struct fail_src fs = {.fail_at = 3, .err = -EIO};
	struct store_entry e;

	put_str("keep/other", "o");
	ck_assert_int_eq(
		st->ops->put(st, "keep/obj", failing_src, &fs, 5000, 0), -EIO);
	ck_assert_uint_eq(fs.calls, 3);
	ck_assert_int_eq(store_stat(st, "keep/obj", &e), -ENOENT);
	ck_assert(!disk_has_tmp());
	ck_assert_int_eq(disk_count("keep", ""), 1);
	ck_assert_str_eq(list_keys("", NULL), "keep/other");

	/* First call fails; the error code is passed through. */
	fs = (struct fail_src){.fail_at = 1, .err = -ECONNRESET};
	ck_assert_int_eq(st->ops->put(st, "keep/obj", failing_src, &fs, 10, 0),
			 -ECONNRESET);
	ck_assert(!disk_has_tmp());

	/* An existing object is left as it was. */
	fs = (struct fail_src){.fail_at = 2, .err = -EIO};
	ck_assert_int_eq(
		st->ops->put(st, "keep/other", failing_src, &fs, 10, 0), -EIO);
	ck_assert_int_eq(store_stat(st, "keep/other", &e), 0);
	ck_assert_uint_eq(e.size, 1);
	ck_assert(!disk_has_tmp());
}
END_TEST

/* A failed put into new directories leaves no empty prefix behind. */
START_TEST(test_put_source_error_new_dirs)
{
	struct fail_src fs = {.fail_at = 2, .err = -EIO};

	ck_assert_int_eq(st->ops->put(st, "n/m/obj", failing_src, &fs, 5000, 0),
			 -EIO);
	ck_assert(!disk_has_tmp());
	ck_assert_str_eq(list_keys("", "/"), "");
	ck_assert(!disk_exists("n"));
	ck_assert(disk_exists(""));
}
END_TEST

/* The source ends early or runs long: the size is checked. */
START_TEST(test_put_size_mismatch)
{
	struct fail_src fs = {.fail_at = 100, .err = 0};
	struct store_entry e;

	/* 99 chunks of 1000 bytes, then 0 (end), against a claim of 5. */
	ck_assert_int_eq(st->ops->put(st, "s/obj", failing_src, &fs, 5, 0),
			 -EIO);
	ck_assert_int_eq(store_stat(st, "s/obj", &e), -ENOENT);
	fs = (struct fail_src){.fail_at = 3, .err = 0};
	ck_assert_int_eq(st->ops->put(st, "s/obj", failing_src, &fs, 5000, 0),
			 -EIO);
	ck_assert_int_eq(store_stat(st, "s/obj", &e), -ENOENT);
	ck_assert(!disk_has_tmp());
	fs = (struct fail_src){.fail_at = 3, .err = 0};
	ck_assert_int_eq(st->ops->put(st, "s/obj", failing_src, &fs, 2000, 0),
			 0);
	ck_assert_int_eq(store_stat(st, "s/obj", &e), 0);
	ck_assert_uint_eq(e.size, 2000);
}
END_TEST

/* ---- remove and rename -------------------------------------------------- */

START_TEST(test_remove_prunes)
{
	struct store_entry e;

	put_str("a/b/c/obj", "1");
	put_str("a/keep", "2");
	put_str("top", "3");

	ck_assert_int_eq(store_remove(st, "a/b/c/obj"), 0);
	ck_assert_int_eq(store_stat(st, "a/b/c/obj", &e), -ENOENT);
	ck_assert(!disk_exists("a/b"));
	ck_assert(disk_exists("a/keep"));
	ck_assert_str_eq(list_keys("", "/"), "a/,top");
	ck_assert_str_eq(list_keys("a/", "/"), "a/keep");

	ck_assert_int_eq(store_remove(st, "a/keep"), 0);
	ck_assert(!disk_exists("a"));
	ck_assert_str_eq(list_keys("", "/"), "top");

	/* The root itself stays, even when it becomes empty. */
	ck_assert_int_eq(store_remove(st, "top"), 0);
	ck_assert(disk_exists(""));
	ck_assert_str_eq(list_keys("", NULL), "");
	put_str("again", "4");
	ck_assert_str_eq(list_keys("", NULL), "again");
}
END_TEST

START_TEST(test_remove_missing)
{
	put_str("d/obj", "1");
	ck_assert_int_eq(store_remove(st, "d/nope"), -ENOENT);
	ck_assert_int_eq(store_remove(st, "nope/x"), -ENOENT);
	ck_assert_int_eq(store_remove(st, "d/obj/x"), -ENOENT);
	/* A prefix is not an object: nothing under it is touched. */
	ck_assert_int_eq(store_remove(st, "d"), -ENOENT);
	ck_assert_str_eq(list_keys("", NULL), "d/obj");
}
END_TEST

START_TEST(test_rename)
{
	struct store_entry e;
	char *buf;
	size_t len;

	put_str("src/dir/obj", "payload");
	put_str("dst", "old");

	ck_assert_int_eq(store_rename(st, "src/dir/obj", "new/place/obj"), 0);
	ck_assert_int_eq(store_stat(st, "src/dir/obj", &e), -ENOENT);
	ck_assert(!disk_exists("src"));
	ck_assert_int_eq(store_read_all(st, "new/place/obj", 64, &buf, &len),
			 0);
	ck_assert_str_eq(buf, "payload");
	free(buf);

	/* Onto an existing key: replaced. */
	ck_assert_int_eq(store_rename(st, "new/place/obj", "dst"), 0);
	ck_assert_int_eq(store_read_all(st, "dst", 64, &buf, &len), 0);
	ck_assert_str_eq(buf, "payload");
	free(buf);
	ck_assert_str_eq(list_keys("", NULL), "dst");

	ck_assert_int_eq(store_rename(st, "missing", "x"), -ENOENT);
	/* A failed rename leaves no empty prefix for its target behind. */
	ck_assert_int_eq(store_rename(st, "missing", "x/y/z"), -ENOENT);
	ck_assert_str_eq(list_keys("", "/"), "dst");
	ck_assert(!disk_exists("x"));
}
END_TEST

/* Renaming a key that is only a prefix must not move what is under it. */
START_TEST(test_rename_prefix)
{
	put_str("dir/a", "1");
	put_str("dir/b", "2");
	ck_assert_int_eq(store_rename(st, "dir", "moved"), -ENOENT);
	ck_assert_str_eq(list_keys("", NULL), "dir/a,dir/b");
	ck_assert(!disk_exists("moved"));
}
END_TEST

/* ---- hostile keys ------------------------------------------------------- */

static const char *const bad_keys[] = {
	"",	  "../x", "..",	  ".",
	"/abs",	  "/",	  "a//b", "a/./b",
	"a/../b", "a/..", "a/.",  "a/",
	"./a",	  "a/b/", "//",	  "../../etc/passwd",
};

#define NBAD (sizeof(bad_keys) / sizeof(bad_keys[0]))

START_TEST(test_hostile_keys)
{
	const char *k = bad_keys[_i];
	struct store_entry e = {.size = 7};
	char buf[8], *all = NULL;
	size_t n = 5;

	put_str("a/b", "inside");
	ck_assert_msg(store_read(st, k, 0, buf, sizeof(buf), &n) == -EINVAL,
		      "read \"%s\"", k);
	ck_assert_msg(store_stat(st, k, &e) == -EINVAL, "stat \"%s\"", k);
	ck_assert_msg(store_put_buf(st, k, "x", 1, 0) == -EINVAL, "put \"%s\"",
		      k);
	ck_assert_msg(store_put_buf(st, k, "x", 1, STORE_PUT_IF_ABSENT) ==
			      -EINVAL,
		      "put \"%s\"", k);
	ck_assert_msg(store_remove(st, k) == -EINVAL, "remove \"%s\"", k);
	ck_assert_msg(store_rename(st, k, "c") == -EINVAL, "rename from \"%s\"",
		      k);
	ck_assert_msg(store_rename(st, "a/b", k) == -EINVAL, "rename to \"%s\"",
		      k);
	ck_assert_msg(store_read_all(st, k, 64, &all, &n) == -EINVAL,
		      "read_all \"%s\"", k);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(e.size, 7);
	ck_assert_ptr_null(all);

	/* Nothing changed inside the root, nothing escaped it. */
	ck_assert_str_eq(list_keys("", NULL), "a/b");
	ck_assert(!disk_has_tmp());
}
END_TEST

/* Names that only look odd are ordinary keys. */
START_TEST(test_odd_but_fine_keys)
{
	static const char *const fine[] = {
		"...", "..a", ".a", "a..", "a.", "a/.../b", "a b", "x/-",
	};
	struct store_entry e;
	size_t i;

	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		put_str(fine[i], "v");
		ck_assert_msg(store_stat(st, fine[i], &e) == 0, "stat \"%s\"",
			      fine[i]);
	}
	ck_assert_str_eq(list_keys("", NULL),
			 "...,..a,.a,a b,a.,a..,a/.../b,x/-");
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		ck_assert_int_eq(store_remove(st, fine[i]), 0);
	ck_assert_str_eq(list_keys("", NULL), "");
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("open");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_file_url);
	tcase_add_test(tc, test_open_bare_path);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_caps);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_read_all);
	tcase_add_test(tc, test_read_all_errors);
	tcase_add_test(tc, test_read_ranges);
	tcase_add_test(tc, test_stat);
	suite_add_tcase(s, tc);

	tc = tcase_create("list");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_list_delim);
	tcase_add_test(tc, test_list_byte_order);
	tcase_add_test(tc, test_list_prefix_mid_name);
	tcase_add_test(tc, test_list_recursive);
	tcase_add_test(tc, test_list_sizes);
	tcase_add_test(tc, test_list_missing_prefix);
	tcase_add_test(tc, test_list_stop);
	tcase_add_test(tc, test_list_bad_args);
	tcase_add_test(tc, test_list_hides_tmp);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_put_if_absent);
	tcase_add_test(tc, test_put_source_error);
	tcase_add_test(tc, test_put_source_error_new_dirs);
	tcase_add_test(tc, test_put_size_mismatch);
	tcase_add_test(tc, test_remove_prunes);
	tcase_add_test(tc, test_remove_missing);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_rename_prefix);
	tcase_add_test(tc, test_remove_many_and_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("s3");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_s3_open_errors);
	tcase_add_test(tc, test_s3_unreachable);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_hostile_keys, 0, (int)NBAD);
	tcase_add_test(tc, test_odd_but_fine_keys);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(store_suite)
