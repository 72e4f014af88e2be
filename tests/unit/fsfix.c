/* SPDX-License-Identifier: MIT */
/*
 * fsfix.c - the fixture and helpers of the mount-tree tests (fsfix.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fsfix.h"
#include "store/store.h"
#include "unit.h"

#include "base/banned.h"

#define TMP_PREFIX "snapfs-test-fs."
#define MEM_NAME   "fsfix"

struct snapfs *fs;
char fsfix_tmp[PATH_MAX];
char fsfix_outdir[PATH_MAX];
char fsfix_url[PATH_MAX + 16];

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	return remove(path);
}

void fsfix_make(const char *args)
{
	const char *mk = getenv("MKREPO"), *src = getenv("top_srcdir");
	const char *base = getenv("TMPDIR");
	char script[PATH_MAX], cmd[3 * PATH_MAX];

	snprintf(fsfix_tmp, PATH_MAX, "%s/" TMP_PREFIX "XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(fsfix_tmp));
	if (mk && *mk)
		snprintf(script, sizeof(script), "%s", mk);
	else
		snprintf(script, sizeof(script), "%s/contrib/snapfs-mkrepo",
			 src && *src ? src : "..");
	snprintf(fsfix_outdir, PATH_MAX, "%s/repo", fsfix_tmp);
	snprintf(cmd, sizeof(cmd), "python3 '%s' %s '%s' >/dev/null", script,
		 args ? args
		      : "--labels 2 --tables 2 --partitions 2 --buckets 2",
		 fsfix_outdir);
	ck_assert_int_eq(system(cmd), 0);
}

void fsfix_serve(bool mem)
{
	struct store *st;

	if (!mem) {
		snprintf(fsfix_url, sizeof(fsfix_url), "file://%s",
			 fsfix_outdir);
		return;
	}
	snprintf(fsfix_url, sizeof(fsfix_url), "mem://" MEM_NAME);
	ck_assert_int_eq(store_open(fsfix_url, NULL, &st), 0);
	ck_assert_int_eq(store_import_dir(st, fsfix_outdir, ""), 0);
	store_close(st);
}

void fsfix_open(void)
{
	char data[PATH_MAX + 8], err[512] = "";
	struct snapfs_opts o = {
		.url = fsfix_url,
		.cache_ttl = 10,
		.verify = true,
		.uid = getuid(),
		.gid = getgid(),
		.data_dir = data,
		.backends = 3,
		.download_threads = 2,
	};
	int rc;

	snprintf(data, sizeof(data), "%s/data", fsfix_tmp);
	rc = snapfs_new(&o, err, sizeof(err), &fs);
	ck_assert_msg(rc == 0, "snapfs_new %s: %d %s", fsfix_url, rc, err);
}

void fsfix_done(void)
{
	snapfs_free(fs);
	fs = NULL;
	store_mem_clear(MEM_NAME);
	if (fsfix_tmp[0])
		nftw(fsfix_tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	fsfix_tmp[0] = '\0';
}

void fsfix_corrupt(const char *key, uint64_t off)
{
	char full[2048], *buf;
	struct store *st;
	size_t len;

	snprintf(full, sizeof(full), REPO_DIR "/%s", key);
	ck_assert_int_eq(store_open(fsfix_url, NULL, &st), 0);
	ck_assert_int_eq(store_read_all(st, full, BIG, &buf, &len), 0);
	ck_assert_uint_gt(len, off);
	buf[off] ^= 0x01;
	ck_assert_int_eq(store_put_buf(st, full, buf, len, 0), 0);
	free(buf);
	store_close(st);
}

void manifest_file(const char *label, int nth, struct mfile *m)
{
	char path[PATH_MAX + 16], line[4096];
	size_t llen = strlen(label);
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "%s/manifest.tsv", fsfix_outdir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long size;

		if (strncmp(line, label, llen) != 0 || line[llen] != '/' ||
		    strstr(line, "/info\t") || strstr(line, "/meta\t"))
			continue;
		if (nth-- > 0)
			continue;
		ck_assert_int_eq(sscanf(line, "%1023[^\t]\t%llu\t%32s\t%1023s",
					m->path, &size, m->md5, m->key),
				 4);
		m->size = size;
		found = true;
	}
	fclose(f);
	ck_assert_msg(found, "no file %d of %s in the manifest", nth, label);
}

/* Look @path up from the root, one lookup per component. */
int walk(const char *path, struct stat *st)
{
	char buf[2048], *save = NULL, *name;
	uint64_t ino = SNAPFS_ROOT_INO;
	int rc = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	for (name = strtok_r(buf, "/", &save); name && rc == 0;
	     name = strtok_r(NULL, "/", &save)) {
		rc = snapfs_lookup(fs, ino, name, st);
		ino = st->st_ino;
	}
	return rc;
}

uint64_t ino_of(const char *path)
{
	struct stat st;
	int rc = walk(path, &st);

	ck_assert_msg(rc == 0, "lookup %s: %d", path, rc);
	return st.st_ino;
}

/* Read all of @ino into @buf (up to @cap). @return the first error. */
int read_all(uint64_t ino, char *buf, size_t cap, size_t *len)
{
	struct snapfs_file *f;
	size_t n = 0, got;
	int rc = snapfs_open(fs, ino, O_RDONLY, &f);

	if (rc < 0)
		return rc;
	do {
		rc = snapfs_read(fs, f, buf + n,
				 cap - n < 65536 ? cap - n : 65536, n, &got);
		n += rc == 0 ? got : 0;
	} while (rc == 0 && got > 0 && n < cap);
	snapfs_release(fs, f);
	*len = n;
	return rc;
}

char *read_text(const char *path)
{
	static char buf[BIG];
	size_t len;

	ck_assert_int_eq(read_all(ino_of(path), buf, sizeof(buf) - 1, &len), 0);
	buf[len] = '\0';
	return buf;
}

/* Write @text to @path as "echo" does: one write, then close.
 * @return the write's error, else the close's. */
int write_text(const char *path, const char *text)
{
	struct snapfs_file *f;
	size_t n;
	int rc = snapfs_open(fs, ino_of(path), O_WRONLY | O_TRUNC, &f), rc2;

	if (rc < 0)
		return rc;
	rc = snapfs_write(fs, f, text, strlen(text), 0, &n);
	if (rc == 0)
		ck_assert_uint_eq(n, strlen(text));
	rc2 = snapfs_flush(fs, f);
	snapfs_release(fs, f);
	return rc < 0 ? rc : rc2;
}

void ts_of(const char *label, char *ts, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "snapshots/%s/latest", label);
	ck_assert_int_eq(snapfs_readlink(fs, ino_of(path), ts, len), 0);
}

size_t nodes(void)
{
	struct statvfs sv;

	ck_assert_int_eq(snapfs_statfs(fs, &sv), 0);
	return (size_t)sv.f_files;
}

/* Wait until job @id is FINISHED or CANCELLED; @return its state line. */
const char *wait_job(const char *id)
{
	char path[128];
	const char *s = "";
	int i;

	snprintf(path, sizeof(path), "jobs/%s/status", id);
	for (i = 0; i < 400; i++) {
		s = strstr(read_text(path), "State: ");
		ck_assert_ptr_nonnull(s);
		if (!strncmp(s, "State: FINISHED", 15) ||
		    !strncmp(s, "State: CANCELLED", 16))
			break;
		usleep(50000);
	}
	return s;
}

/* The id of the newest job, as jobs/ lists it. */
void last_job(char *id, size_t len)
{
	struct snapfs_dir *d;
	struct stat st;
	size_t i;

	id[0] = '\0';
	ck_assert_int_eq(snapfs_opendir(fs, ino_of("jobs"), &d), 0);
	for (i = 0; i < snapfs_dir_count(d); i++) {
		const char *name = snapfs_dir_entry(d, i, &st);

		if (name[0] >= '0' && name[0] <= '9' &&
		    (strlen(name) > strlen(id) ||
		     (strlen(name) == strlen(id) && strcmp(name, id) > 0)))
			snprintf(id, len, "%s", name);
	}
	snapfs_releasedir(d);
}
