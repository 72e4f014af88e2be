/* SPDX-License-Identifier: MIT */
/*
 * test-fs-fault.c - the mount tree over the fault layer, without FUSE and
 * without servers: the repository is loaded into mem:// (fsfix.h) and
 * opened with SNAPFS_STORE_FAULTS set, so store_open() puts the fault
 * layer right above mem://. Each read test runs twice: on the store as it
 * is, and with the layer's "remote" knob, which makes snapfs_new() read
 * objects through the read-ahead layer as it does for s3://.
 *
 *  - a failing read gives the reader the store's errno (not EIO), and the
 *    object reads again once the store answers;
 *  - a corrupted byte fails the pass with EIO from the MD5 check, and the
 *    object stays refused;
 *  - a store that answers in short pieces still gives whole reads, which
 *    pass the MD5 check;
 *  - a failing listing gives its errno at opendir and lookup;
 *  - a RESTORE whose downloads fail is cancelled, and says why.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsfix.h"
#include "unit.h"

#include "base/banned.h"

/* The knobs every read test starts with: _i of the loop. */
static const char *const prefix[] = {"", "remote,"};

/* Files of 300,000 bytes: more than one read-ahead window, more than one
 * 128 KiB read. */
#define REPO_ARGS                                                              \
	"--labels 2 --tables 1 --partitions 1 --buckets 2 --file-size 300000"

static void setup(void)
{
	fsfix_make(REPO_ARGS);
	fsfix_serve(true);
}

/* Mount with the fault knobs "@pre@spec". */
static void open_faults(const char *pre, const char *spec)
{
	char knobs[2048];

	snprintf(knobs, sizeof(knobs), "%s%s", pre, spec);
	ck_assert_int_eq(setenv("SNAPFS_STORE_FAULTS", knobs, 1), 0);
	fsfix_open();
	unsetenv("SNAPFS_STORE_FAULTS");
}

/* The path under snapshots/ of manifest file @m. */
static uint64_t snap_ino(const struct mfile *m)
{
	char path[1100];

	snprintf(path, sizeof(path), "snapshots/%s", m->path);
	return ino_of(path);
}

/* Read @ino in 128 KiB reads, as the kernel does, each of which must
 * come back whole (a short one would be the end of the file to the
 * kernel); check the MD5 against @md5. @return the first error. */
static int read_whole(uint64_t ino, uint64_t size, const char *md5)
{
	const size_t chunk = 128 << 10;
	char *buf = malloc(size + chunk), hex[MD5_HEX_LEN + 1];
	struct snapfs_file *f;
	uint64_t off = 0;
	size_t got;
	int rc;

	ck_assert_ptr_nonnull(buf);
	rc = snapfs_open(fs, ino, O_RDONLY, &f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	do {
		rc = snapfs_read(fs, f, buf + off, chunk, off, &got);
		if (rc == 0)
			ck_assert_uint_eq(got, size - off < chunk ? size - off
								  : chunk);
		off += rc == 0 ? got : 0;
	} while (rc == 0 && got > 0);
	snapfs_release(fs, f);
	if (rc == 0) {
		ck_assert_uint_eq(off, size);
		ck_assert_int_eq(md5_hex(buf, size, hex), 0);
		ck_assert_str_eq(hex, md5);
	}
	free(buf);
	return rc;
}

/* A read the store fails: the reader gets the store's errno. */
START_TEST(test_fault_read)
{
	char spec[256], path[1100];
	struct mfile m, other;

	manifest_file("snap1", 0, &m);
	manifest_file("snap1", 1, &other);
	/* Only the first read of this object: then the store answers. */
	snprintf(spec, sizeof(spec), "fail=read:1:EACCES:key=%s", m.md5);
	open_faults(prefix[_i], spec);
	ck_assert_int_eq(read_whole(snap_ino(&m), m.size, m.md5), -EACCES);
	/* Not taken for corrupt: it reads, and passes the check. */
	ck_assert_int_eq(read_whole(snap_ino(&m), m.size, m.md5), 0);
	ck_assert_int_eq(read_whole(snap_ino(&other), other.size, other.md5),
			 0);
	/* The same under raw/, with another errno. */
	fsfix_done();
	setup();
	snprintf(spec, sizeof(spec), "fail=read:1-:ETIMEDOUT:key=%s", m.md5);
	open_faults(prefix[_i], spec);
	snprintf(path, sizeof(path), "raw/%s", m.key);
	ck_assert_int_eq(read_whole(ino_of(path), m.size, m.md5), -ETIMEDOUT);
	ck_assert_int_eq(read_whole(snap_ino(&m), m.size, m.md5), -ETIMEDOUT);
}
END_TEST

/* A byte flipped on the way: EIO from the MD5 check, and for good. */
START_TEST(test_fault_corrupt)
{
	char spec[1200];
	struct mfile m, other;
	struct snapfs_file *f;

	manifest_file("snap1", 3, &m);
	manifest_file("snap1", 4, &other);
	snprintf(spec, sizeof(spec), "corrupt=" REPO_DIR "/%s@200000", m.key);
	open_faults(prefix[_i], spec);
	ck_assert_uint_gt(m.size, 200000);
	ck_assert_int_eq(read_whole(snap_ino(&m), m.size, m.md5), -EIO);
	ck_assert_int_eq(snapfs_open(fs, snap_ino(&m), O_RDONLY, &f), -EIO);
	ck_assert_int_eq(read_whole(snap_ino(&other), other.size, other.md5),
			 0);
}
END_TEST

/* A store that answers in pieces of 777 bytes: whole reads regardless. */
START_TEST(test_fault_short)
{
	char ts[64], path[256];
	struct mfile m;
	int i;

	open_faults(prefix[_i], "short=777");
	for (i = 0; i < 6; i++) {
		manifest_file("snap1", i, &m);
		ck_assert_int_eq(read_whole(snap_ino(&m), m.size, m.md5), 0);
	}
	/* The repository's own reads (info, meta) are whole too. */
	ts_of("snap2", ts, sizeof(ts));
	snprintf(path, sizeof(path), "snapshots/snap2/%s/status", ts);
	ck_assert_int_eq(strncmp(read_text(path), "OK\n", 3), 0);
}
END_TEST

/* A listing the store fails: its errno at opendir and at lookup. */
START_TEST(test_fault_list)
{
	struct snapfs_dir *d;
	struct stat st;

	open_faults("", "fail=list:1-:ECONNRESET:key=__ss_snap1/");
	ck_assert_int_eq(snapfs_opendir(fs, ino_of("snapshots/snap1"), &d),
			 -ECONNRESET);
	ck_assert_int_eq(walk("snapshots/snap1/latest", &st), -ECONNRESET);
	ck_assert_int_eq(snapfs_opendir(fs, ino_of("raw/__ss_snap1"), &d),
			 -ECONNRESET);
	ck_assert_int_eq(walk("raw/__ss_snap1/__ss_content", &st), -ECONNRESET);
	/* The rest of the repository lists. */
	ck_assert_int_eq(snapfs_opendir(fs, ino_of("snapshots/snap2"), &d), 0);
	ck_assert_uint_gt(snapfs_dir_count(d), 3);
	snapfs_releasedir(d);
	ck_assert_int_eq(walk("snapshots/snap2/latest", &st), 0);
}
END_TEST

/* The downloads of a RESTORE fail: the job is cancelled, saying why. */
START_TEST(test_fault_restore_download)
{
	char ts[64], stmt[512], id[32], path[128];
	const char *state;

	open_faults("", "fail=read:1-:EIO:key=__ss_content/");
	ts_of("snap1", ts, sizeof(ts));
	snprintf(stmt, sizeof(stmt),
		 "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES "
		 "(\"backup_timestamp\"=\"%s\", \"replication_num\"=\"1\")\n",
		 ts);
	ck_assert_int_eq(write_text("control/restore", stmt), 0);
	last_job(id, sizeof(id));
	ck_assert_str_ne(id, "");
	state = wait_job(id);
	ck_assert_int_eq(strncmp(state, "State: CANCELLED", 16), 0);
	snprintf(path, sizeof(path), "jobs/%s/status", id);
	ck_assert_ptr_nonnull(strstr(read_text(path), "injected EIO"));
	/* Nothing of it is left in the cluster. */
	ck_assert_int_eq(walk("cluster/db1/t1", &(struct stat){0}), -ENOENT);
}
END_TEST

static Suite *fs_fault_suite(void)
{
	Suite *s = suite_create("fs-fault");
	TCase *tc = tcase_create("mem with faults");

	tcase_add_checked_fixture(tc, setup, fsfix_done);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_fault_read, 0, 2);
	tcase_add_loop_test(tc, test_fault_corrupt, 0, 2);
	tcase_add_loop_test(tc, test_fault_short, 0, 2);
	tcase_add_test(tc, test_fault_list);
	tcase_add_test(tc, test_fault_restore_download);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(fs_fault_suite)
