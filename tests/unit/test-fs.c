/* SPDX-License-Identifier: MIT */
/*
 * test-fs.c - the mount tree through src/fs/fs.h, without FUSE, on a
 * repository made by contrib/snapfs-mkrepo (fsfix.h), served once from
 * file:// and once from mem:// (every test runs in both test cases).
 * Lookups, attributes, links, listings, reads with the MD5 check (a
 * corrupt object reads EIO), xattrs, control statements (a RESTORE that
 * finishes, refused ones with their errno and reason), mkdir/create/
 * write/close in cluster/, rmdir of a snapshot, and forget (nodes nobody
 * holds are freed, and found again). test-fs-fault.c runs the same tree
 * over the fault layer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsfix.h"
#include "unit.h"

#include "base/banned.h"

static void setup_file(void)
{
	fsfix_make(NULL);
	fsfix_serve(false);
	fsfix_open();
}

static void setup_mem(void)
{
	fsfix_make(NULL);
	fsfix_serve(true);
	fsfix_open();
}

/* ---- the tree ---------------------------------------------------------- */

START_TEST(test_root)
{
	static const char *const want[] = {
		".",	"..",  "README",     "cluster",	 "control",
		"jobs", "raw", "repository", "snapshots"};
	struct snapfs_dir *d;
	struct stat st;
	size_t i;

	ck_assert_int_eq(snapfs_opendir(fs, SNAPFS_ROOT_INO, &d), 0);
	ck_assert_uint_eq(snapfs_dir_count(d), 9);
	for (i = 0; i < 9; i++)
		ck_assert_str_eq(snapfs_dir_entry(d, i, &st), want[i]);
	snapfs_releasedir(d);
	ck_assert_int_eq(walk("README", &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0444);
	ck_assert_int_gt(st.st_size, 0);
	ck_assert_ptr_nonnull(
		strstr(read_text("README"), "snapshots/<label>/<timestamp>/"));
	ck_assert_ptr_nonnull(strstr(read_text("repository"), "name: demo\n"));
	ck_assert_int_eq(walk("snapshots", &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 0555);
	ck_assert_int_eq(walk("nosuch", &st), -ENOENT);
	ck_assert_int_eq(walk("README/x", &st), -ENOTDIR);
	ck_assert_int_eq(snapfs_getattr(fs, 987654321, &st), -ENOENT);
	ck_assert_int_eq(snapfs_opendir(fs, ino_of("README"), &d), -ENOTDIR);
	ck_assert_int_eq(snapfs_open(fs, ino_of("snapshots"), O_RDONLY,
				     &(struct snapfs_file *){NULL}),
			 -EISDIR);
	/* What jobs change is never cached by the kernel. */
	ck_assert(snapfs_node_ttl(fs, ino_of("control/restore")) == 0);
	ck_assert(snapfs_node_ttl(fs, ino_of("README")) == 10);
}
END_TEST

START_TEST(test_snapshot_tree)
{
	struct mfile m;
	char ts[64], buf[64], path[2048];
	struct stat st;

	manifest_file("snap1", 0, &m);
	ts_of("snap1", ts, sizeof(ts));
	ck_assert_int_eq(strncmp(m.path + 6, ts, strlen(ts)), 0);
	ck_assert_int_eq(
		snapfs_readlink(fs, ino_of("snapshots/snap1/latest"), buf, 4),
		-ENAMETOOLONG);
	ck_assert_int_eq(snapfs_readlink(fs, ino_of("README"), buf, 64),
			 -EINVAL);
	snprintf(path, sizeof(path), "snapshots/snap1/%s/status", ts);
	ck_assert_int_eq(strncmp(read_text(path), "OK\n", 3), 0);
	ck_assert_int_eq(walk(path, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)strlen(read_text(path)));
	ck_assert_int_eq(
		strncmp(read_text("snapshots/snap1/status"), "OK\n", 3), 0);
	snprintf(path, sizeof(path), "snapshots/%s", m.path);
	ck_assert_int_eq(walk(path, &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0444);
	ck_assert_uint_eq((uint64_t)st.st_size, m.size);
	/* The snapshot's files are read-only. */
	ck_assert_int_eq(snapfs_open(fs, st.st_ino, O_WRONLY,
				     &(struct snapfs_file *){NULL}),
			 -EROFS);
	ck_assert_int_eq(snapfs_truncate(fs, st.st_ino), -EROFS);
	ck_assert_int_eq(snapfs_mkdir(fs, ino_of("snapshots"), "x", &st),
			 -EROFS);
}
END_TEST

START_TEST(test_read_md5)
{
	struct mfile m, bad;
	char path[2048], hex[MD5_HEX_LEN + 1], *buf = malloc(BIG);
	struct snapfs_file *f;
	size_t len;

	ck_assert_ptr_nonnull(buf);
	manifest_file("snap1", 0, &m);
	snprintf(path, sizeof(path), "snapshots/%s", m.path);
	ck_assert_int_eq(read_all(ino_of(path), buf, BIG, &len), 0);
	ck_assert_uint_eq(len, m.size);
	ck_assert_int_eq(md5_hex(buf, len, hex), 0);
	ck_assert_str_eq(hex, m.md5);
	/* The same object under raw/. */
	snprintf(path, sizeof(path), "raw/%s", m.key);
	ck_assert_int_eq(read_all(ino_of(path), buf, BIG, &len), 0);
	ck_assert_uint_eq(len, m.size);

	/* One byte changed in the store: the pass that completes fails. */
	manifest_file("snap1", 1, &bad);
	fsfix_corrupt(bad.key, 10);
	snprintf(path, sizeof(path), "snapshots/%s", bad.path);
	ck_assert_int_eq(read_all(ino_of(path), buf, BIG, &len), -EIO);
	/* From then on the object is known bad: no open, no read. */
	ck_assert_int_eq(snapfs_open(fs, ino_of(path), O_RDONLY, &f), -EIO);
	free(buf);
}
END_TEST

START_TEST(test_xattr)
{
	struct mfile m;
	char path[2048], buf[1024], want[1100];
	size_t len;
	uint64_t ino;

	manifest_file("snap2", 2, &m);
	snprintf(path, sizeof(path), "snapshots/%s", m.path);
	ino = ino_of(path);
	ck_assert_int_eq(
		snapfs_getxattr(fs, ino, SNAPFS_XATTR_MD5, NULL, 0, &len), 0);
	ck_assert_uint_eq(len, MD5_HEX_LEN);
	ck_assert_int_eq(snapfs_getxattr(fs, ino, SNAPFS_XATTR_MD5, buf,
					 sizeof(buf), &len),
			 0);
	ck_assert_int_eq(strncmp(buf, m.md5, MD5_HEX_LEN), 0);
	ck_assert_int_eq(
		snapfs_getxattr(fs, ino, SNAPFS_XATTR_MD5, buf, 4, &len),
		-ERANGE);
	ck_assert_int_eq(snapfs_getxattr(fs, ino, SNAPFS_XATTR_OBJECT, buf,
					 sizeof(buf), &len),
			 0);
	snprintf(want, sizeof(want), REPO_DIR "/%s", m.key);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_int_eq(memcmp(buf, want, len), 0);
	ck_assert_int_eq(
		snapfs_getxattr(fs, ino, "user.other", buf, sizeof(buf), &len),
		-ENODATA);
	ck_assert_int_eq(snapfs_listxattr(fs, ino, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len,
			  sizeof(SNAPFS_XATTR_MD5 "\0" SNAPFS_XATTR_OBJECT));
	ck_assert_str_eq(buf, SNAPFS_XATTR_MD5);
	ck_assert_str_eq(buf + sizeof(SNAPFS_XATTR_MD5), SNAPFS_XATTR_OBJECT);
	ck_assert_int_eq(snapfs_listxattr(fs, ino, buf, 3, &len), -ERANGE);
	ck_assert_int_eq(
		snapfs_listxattr(fs, ino_of("README"), buf, sizeof(buf), &len),
		0);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(snapfs_getxattr(fs, ino_of("README"), SNAPFS_XATTR_MD5,
					 buf, sizeof(buf), &len),
			 -ENODATA);
}
END_TEST

/* ---- control ----------------------------------------------------------- */

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "file md5" of every file but the .hdr in the tablets of index
 * directory @path, sorted, one per line (tablet ids differ between a
 * snapshot and the cluster it was restored to; the rest must not). */
static char *index_sums(const char *path)
{
	char *lines[256], sub[2048], *out, *buf = malloc(BIG);
	struct snapfs_dir *d, *t;
	struct stat st;
	size_t i, j, k, n = 0, len, total = 0;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(snapfs_opendir(fs, ino_of(path), &d), 0);
	for (i = 2; i < snapfs_dir_count(d); i++) {
		const char *tab = snapfs_dir_entry(d, i, &st);

		snprintf(sub, sizeof(sub), "%s/%s", path, tab);
		ck_assert_int_eq(snapfs_opendir(fs, ino_of(sub), &t), 0);
		for (j = 2; j < snapfs_dir_count(t); j++) {
			const char *name = snapfs_dir_entry(t, j, &st);
			char fp[2300], hex[MD5_HEX_LEN + 1];

			if (strstr(name, ".hdr"))
				continue;
			snprintf(fp, sizeof(fp), "%s/%s", sub, name);
			ck_assert_int_eq(read_all(ino_of(fp), buf, BIG, &len),
					 0);
			ck_assert_int_eq(md5_hex(buf, len, hex), 0);
			ck_assert_uint_lt(n, 256);
			ck_assert_int_ge(
				asprintf(&lines[n++], "%s %s\n", name, hex), 0);
		}
		snapfs_releasedir(t);
	}
	snapfs_releasedir(d);
	qsort(lines, n, sizeof(*lines), line_cmp);
	for (k = 0; k < n; k++)
		total += strlen(lines[k]);
	out = calloc(1, total + 1);
	total = 0;
	ck_assert_ptr_nonnull(out);
	for (k = 0; k < n; k++) {
		memcpy(out + total, lines[k], strlen(lines[k]));
		total += strlen(lines[k]);
		free(lines[k]);
	}
	free(buf);
	ck_assert_uint_gt(n, 0);
	return out;
}

START_TEST(test_control_restore)
{
	char ts[64], stmt[512], id[32], path[128];
	char *want, *got;

	ts_of("snap1", ts, sizeof(ts));
	snprintf(stmt, sizeof(stmt),
		 "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES "
		 "(\"backup_timestamp\"=\"%s\", \"replication_num\"=\"1\")\n",
		 ts);
	ck_assert_int_eq(write_text("control/restore", stmt), 0);
	ck_assert_str_eq(read_text("control/last_error"), "");
	last_job(id, sizeof(id));
	ck_assert_str_ne(id, "");
	ck_assert_int_eq(strncmp(wait_job(id), "State: FINISHED", 15), 0);
	ck_assert_ptr_nonnull(strstr(read_text("jobs/restore"), "snap1"));
	snprintf(path, sizeof(path), "jobs/%s/status.json", id);
	ck_assert_ptr_nonnull(strstr(read_text(path), "\"FINISHED\""));
	/* The restored files read (MD5-checked) as the snapshot's. */
	snprintf(path, sizeof(path), "snapshots/snap1/%s/db1/t1/p1/t1", ts);
	want = index_sums(path);
	got = index_sums("cluster/db1/t1/p1/t1");
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}
END_TEST

START_TEST(test_control_refused)
{
	char ts[64], stmt[512], id[32], before[32];
	struct stat st;

	ts_of("snap1", ts, sizeof(ts));
	last_job(before, sizeof(before));
	snprintf(stmt, sizeof(stmt),
		 "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES "
		 "(\"backup_timestamp\"=\"%s\", \"bogus\"=\"1\")\n",
		 ts);
	ck_assert_int_eq(write_text("control/restore", stmt), -EINVAL);
	ck_assert_ptr_nonnull(strstr(read_text("control/last_error"),
				     "unknown RESTORE property \"bogus\""));
	ck_assert_int_eq(walk("control/last_error", &st), 0);
	ck_assert_int_eq(st.st_size,
			 (off_t)strlen(read_text("control/last_error")));
	snprintf(stmt, sizeof(stmt),
		 "RESTORE SNAPSHOT db1.nosuch FROM demo PROPERTIES "
		 "(\"backup_timestamp\"=\"%s\")\n",
		 ts);
	ck_assert_int_eq(write_text("control/restore", stmt), -ENOENT);
	ck_assert_ptr_nonnull(strstr(read_text("control/last_error"),
				     "snapshot \"nosuch\" not found"));
	/* Incomplete at the write, refused at close(2). */
	ck_assert_int_eq(write_text("control/restore",
				    "RESTORE SNAPSHOT db4.snap1 FROM demo\n"),
			 -EINVAL);
	ck_assert_ptr_nonnull(
		strstr(read_text("control/last_error"),
		       "missing required property \"backup_timestamp\""));
	ck_assert_int_eq(
		write_text("control/cancel", "CANCEL RESTORE FROM nosuchdb\n"),
		-ENOENT);
	last_job(id, sizeof(id));
	ck_assert_str_eq(id, before);
	/* Only control files take writes (and truncation). */
	ck_assert_int_eq(snapfs_truncate(fs, ino_of("control/restore")), 0);
	ck_assert_int_eq(write_text("control/last_error", "x\n"), -EROFS);
	ck_assert_int_eq(write_text("README", "x\n"), -EROFS);
}
END_TEST

/* ---- cluster/ ---------------------------------------------------------- */

static int mkdir_at(const char *parent, const char *name)
{
	struct stat st;
	int rc = snapfs_mkdir(fs, ino_of(parent), name, &st);

	if (rc == 0)
		ck_assert_uint_eq(st.st_mode, S_IFDIR | 0555);
	return rc;
}

START_TEST(test_cluster_write)
{
	const char *T = "cluster/hand/t1/p1/i1/60001";
	struct snapfs_file *f;
	char buf[64], hex[MD5_HEX_LEN + 1];
	struct stat st;
	size_t n;

	ck_assert_int_eq(mkdir_at("cluster", "hand"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand", "t1"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand/t1", "p1"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand/t1/p1", "i1"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand/t1/p1/i1", "60001"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand/t1/p1/i1", "abc"), -EINVAL);
	ck_assert_int_eq(mkdir_at("cluster", "hand"), -EEXIST);
	ck_assert_int_eq(mkdir_at(T, "x"), -EROFS);
	ck_assert_int_eq(snapfs_create(fs, ino_of("cluster/hand/t1/p1/i1"), "f",
				       O_WRONLY, &st, &f),
			 -EROFS);

	ck_assert_int_eq(
		snapfs_create(fs, ino_of(T), "r.dat", O_WRONLY, &st, &f), 0);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0644);
	ck_assert_int_eq(snapfs_flush(fs, f), 0); /* nothing written yet */
	ck_assert_int_eq(snapfs_write(fs, f, "hello ", 6, 0, &n), 0);
	ck_assert_int_eq(snapfs_write(fs, f, "world", 5, 6, &n), 0);
	/* close(2) finishes the file and says how that went. */
	ck_assert_int_eq(snapfs_flush(fs, f), 0);
	ck_assert_int_eq(snapfs_write(fs, f, "!", 1, 11, &n), -EPERM);
	ck_assert_int_eq(snapfs_release(fs, f), 0);

	ck_assert_int_eq(walk("cluster/hand/t1/p1/i1/60001/r.dat", &st), 0);
	ck_assert_int_eq(st.st_size, 11);
	ck_assert_int_eq(read_all(st.st_ino, buf, sizeof(buf), &n), 0);
	ck_assert_uint_eq(n, 11);
	ck_assert_int_eq(memcmp(buf, "hello world", 11), 0);
	ck_assert_int_eq(md5_hex("hello world", 11, hex), 0);
	ck_assert_int_eq(snapfs_getxattr(fs, st.st_ino, SNAPFS_XATTR_MD5, buf,
					 sizeof(buf), &n),
			 0);
	ck_assert_int_eq(strncmp(buf, hex, MD5_HEX_LEN), 0);
	/* Written once. */
	ck_assert_int_eq(snapfs_open(fs, st.st_ino, O_WRONLY, &f), -EPERM);
	ck_assert_int_eq(
		snapfs_create(fs, ino_of(T), "r.dat", O_WRONLY, &st, &f),
		-EEXIST);
	ck_assert_int_eq(
		snapfs_create(fs, ino_of(T), ".hidden", O_WRONLY, &st, &f),
		-EINVAL);
	/* A file never written to is made at release, empty. */
	ck_assert_int_eq(
		snapfs_create(fs, ino_of(T), "e.dat", O_WRONLY, &st, &f), 0);
	ck_assert_int_eq(snapfs_release(fs, f), 0);
	ck_assert_int_eq(walk("cluster/hand/t1/p1/i1/60001/e.dat", &st), 0);
	ck_assert_int_eq(st.st_size, 0);
}
END_TEST

static char found[PATH_MAX];

static int find_part_cb(const char *path, const struct stat *sb, int flag,
			struct FTW *ftw)
{
	if (strcmp(path + ftw->base, ".x.dat.part") != 0)
		return 0;
	snprintf(found, sizeof(found), "%s", path);
	return 1;
}

/* close(2) says when a new file could not be recorded, with its errno. */
START_TEST(test_cluster_close_error)
{
	const char *T = "cluster/hand/t1/p1/i1/60002";
	struct snapfs_file *f, *g;
	char data[PATH_MAX + 8];
	struct stat st;
	size_t n;

	ck_assert_int_eq(mkdir_at("cluster", "hand"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand", "t1"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand/t1", "p1"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand/t1/p1", "i1"), 0);
	ck_assert_int_eq(mkdir_at("cluster/hand/t1/p1/i1", "60002"), 0);
	ck_assert_int_eq(
		snapfs_create(fs, ino_of(T), "x.dat", O_WRONLY, &st, &f), 0);
	ck_assert_int_eq(snapfs_write(fs, f, "data", 4, 0, &n), 0);
	/* One writer per name. */
	ck_assert_int_eq(
		snapfs_create(fs, ino_of(T), "x.dat", O_WRONLY, &st, &g),
		-EEXIST);
	/* The temporary file is lost before the close. */
	snprintf(data, sizeof(data), "%s/data", fsfix_tmp);
	found[0] = '\0';
	ck_assert_int_eq(nftw(data, find_part_cb, 16, FTW_PHYS), 1);
	ck_assert_int_eq(unlink(found), 0);
	ck_assert_int_eq(snapfs_flush(fs, f), -ENOENT);
	ck_assert_int_eq(snapfs_flush(fs, f), -ENOENT);
	ck_assert_int_eq(snapfs_release(fs, f), -ENOENT);
	ck_assert_int_eq(walk("cluster/hand/t1/p1/i1/60002/x.dat", &st),
			 -ENOENT);
	/* The name is free again. */
	ck_assert_int_eq(
		snapfs_create(fs, ino_of(T), "x.dat", O_WRONLY, &st, &f), 0);
	ck_assert_int_eq(snapfs_write(fs, f, "data", 4, 0, &n), 0);
	ck_assert_int_eq(snapfs_flush(fs, f), 0);
	ck_assert_int_eq(snapfs_release(fs, f), 0);
	ck_assert_int_eq(walk("cluster/hand/t1/p1/i1/60002/x.dat", &st), 0);
	ck_assert_int_eq(st.st_size, 4);
}
END_TEST

/* ---- rmdir ------------------------------------------------------------- */

START_TEST(test_rmdir)
{
	char ts[64], path[128];
	struct stat st;

	ts_of("snap2", ts, sizeof(ts));
	ck_assert_int_eq(snapfs_rmdir(fs, ino_of("snapshots/snap1"), "nosuch"),
			 -ENOENT);
	ck_assert_int_eq(snapfs_rmdir(fs, ino_of("snapshots/snap1"), "latest"),
			 -ENOTDIR);
	ck_assert_int_eq(snapfs_rmdir(fs, SNAPFS_ROOT_INO, "snapshots"),
			 -EROFS);
	snprintf(path, sizeof(path), "snapshots/snap2/%s", ts);
	ck_assert_int_eq(snapfs_rmdir(fs, ino_of(path), "db1"), -EROFS);
	ck_assert_int_eq(snapfs_rmdir(fs, ino_of("snapshots/snap2"), ts), 0);
	ck_assert_str_eq(read_text("control/last_error"), "");
	ck_assert_int_eq(walk(path, &st), -ENOENT);
	ck_assert_int_eq(walk("snapshots/snap1/latest", &st), 0);
}
END_TEST

/* ---- forget ------------------------------------------------------------ */

/* Look up every component of @path from snapshots/, recording inos. */
static size_t walk_record(const char *path, uint64_t *inos, size_t max)
{
	char buf[2048], *save = NULL, *name;
	uint64_t ino = ino_of("snapshots");
	struct stat st;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	for (name = strtok_r(buf, "/", &save); name && n < max;
	     name = strtok_r(NULL, "/", &save)) {
		ck_assert_int_eq(snapfs_lookup(fs, ino, name, &st), 0);
		inos[n++] = ino = st.st_ino;
	}
	return n;
}

START_TEST(test_forget)
{
	uint64_t a[16], b[16];
	struct snapfs_file *f;
	struct snapfs_dir *d;
	struct mfile m;
	size_t base, deep, n, i;
	char buf[64];

	manifest_file("snap1", 0, &m);
	ck_assert_int_eq(snapfs_opendir(fs, ino_of("snapshots"), &d), 0);
	snapfs_releasedir(d);
	base = nodes();
	n = walk_record(m.path, a, 16);
	ck_assert_uint_eq(n, 8); /* label ts db table part index tablet file */
	deep = nodes();
	ck_assert_uint_gt(deep, base + n);
	/* An open handle holds its file and everything above it. */
	ck_assert_int_eq(snapfs_open(fs, a[n - 1], O_RDONLY, &f), 0);
	for (i = n; i-- > 0;)
		ck_assert_int_eq(snapfs_forget(fs, a[i], 1), 0);
	ck_assert_uint_eq(nodes(), deep);
	ck_assert_int_eq(snapfs_read(fs, f, buf, sizeof(buf), 0, &(size_t){0}),
			 0);
	ck_assert_int_eq(snapfs_release(fs, f), 0);
	/* Now nobody holds them: freed with their listings, down to the
	 * label, which stays a name in snapshots/ (held: it is fixed). */
	ck_assert_uint_eq(nodes(), base);
	ck_assert_int_eq(snapfs_getattr(fs, a[n - 1], &(struct stat){0}),
			 -ENOENT);
	ck_assert_int_eq(snapfs_forget(fs, a[n - 1], 1), -ENOENT);
	/* Looked up again: new nodes, new numbers, same content. */
	ck_assert_uint_eq(walk_record(m.path, b, 16), n);
	ck_assert_uint_eq(b[0], a[0]); /* the label was kept */
	for (i = 1; i < n; i++)
		ck_assert_uint_ne(b[i], a[i]);
	ck_assert_int_eq(snapfs_getxattr(fs, b[n - 1], SNAPFS_XATTR_MD5, buf,
					 sizeof(buf), &(size_t){0}),
			 0);
	ck_assert_int_eq(strncmp(buf, m.md5, MD5_HEX_LEN), 0);
	/* Counts add up: two lookups need two forgets. */
	ck_assert_int_eq(snapfs_lookup(fs, b[n - 2], strrchr(m.path, '/') + 1,
				       &(struct stat){0}),
			 0);
	for (i = n; i-- > 0;)
		ck_assert_int_eq(snapfs_forget(fs, b[i], 1), 0);
	ck_assert_uint_gt(nodes(), base);
	ck_assert_int_eq(snapfs_forget(fs, b[n - 1], 1), 0);
	ck_assert_uint_eq(nodes(), base);
	/* The root and its directories are never freed. */
	ck_assert_int_eq(snapfs_forget(fs, ino_of("snapshots"), 100), 0);
	ck_assert_int_eq(
		snapfs_getattr(fs, ino_of("snapshots"), &(struct stat){0}), 0);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_root);
	tcase_add_test(tc, test_snapshot_tree);
	tcase_add_test(tc, test_read_md5);
	tcase_add_test(tc, test_xattr);
	tcase_add_test(tc, test_control_restore);
	tcase_add_test(tc, test_control_refused);
	tcase_add_test(tc, test_cluster_write);
	tcase_add_test(tc, test_cluster_close_error);
	tcase_add_test(tc, test_rmdir);
	tcase_add_test(tc, test_forget);
}

static Suite *fs_suite(void)
{
	Suite *s = suite_create("fs");
	TCase *tf = tcase_create("file"), *tm = tcase_create("mem");

	tcase_add_checked_fixture(tf, setup_file, fsfix_done);
	add_tests(tf);
	suite_add_tcase(s, tf);
	tcase_add_checked_fixture(tm, setup_mem, fsfix_done);
	add_tests(tm);
	suite_add_tcase(s, tm);
	return s;
}

UNIT_MAIN(fs_suite)
