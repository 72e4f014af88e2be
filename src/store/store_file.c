/* SPDX-License-Identifier: MIT */
/*
 * store_file.c - the file:// backend: a directory tree as an object store.
 *
 * Keys map to paths below the root directory. Directories play the part of
 * common prefixes, so a listing with delimiter "/" is one readdir. Writes
 * go to a hidden temporary file in the target directory and are renamed
 * into place, so an object appears whole or not at all; removing the last
 * object of a directory removes the directory, as S3 has no empty prefixes.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "store_int.h"

#include "base/banned.h"

#define TMP_PREFIX ".snapfs-tmp-"
/*
 * Objects being written live here, at the store root, until they are
 * renamed into place: a crash never leaves a stray file inside the
 * repository layout (a Doris BE refuses unknown names in a tablet dir).
 * The name starts with TMP_PREFIX, so listings never show it.
 */
#define STAGING		TMP_PREFIX "staging"
#define STAGING_MAX_AGE 3600 /* seconds before a leftover is removed */

struct file_store {
	struct store base; /* must be first */
	char *root;	   /* absolute path of the root directory */
	int rootfd; /* O_PATH|O_DIRECTORY on root; read-only after open */
	atomic_uint tmp_seq;
};

static struct file_store *file_from_store(struct store *st)
{
	/* A wrong downcast is a programming error, not an input error. */
	if (st->ops != &store_file_ops)
		abort();
	return (struct file_store *)st;
}

static bool key_ok(const char *key)
{
	return store_key_ok(key, false);
}

/* Remove what crashed writers left in the staging directory. */
static void sweep_staging(struct file_store *fs)
{
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	DIR *d;
	int fd;

	fd = openat(fs->rootfd, STAGING, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &sb, 0) < 0)
			continue;
		if (now - sb.st_mtim.tv_sec > STAGING_MAX_AGE &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			snap_log(LOG_INFO, "file: removed stale %s/%s", STAGING,
				 de->d_name);
	}
	closedir(d);
}

static int file_open(const char *url, const struct store_opts *o,
		     struct store **out)
{
	struct file_store *fs = NULL;
	const char *path = url;
	char *abs = NULL;
	int rc = 0;

	if (strncmp(url, "file://", 7) == 0) {
		path = url + 7;
		/* file://host/path is not ours; file:///path and
		 * file://localhost/path are. */
		if (strncmp(path, "localhost/", 10) == 0)
			path += 9;
		if (*path != '/') {
			snap_log(LOG_ERR,
				 "%s: a file URL needs an absolute "
				 "path (file:///dir)",
				 url);
			return -EINVAL;
		}
	}
	abs = realpath(path, NULL);
	if (!abs)
		return -errno; /* the caller reports it, with the URL */
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		rc = -ENOMEM;
		goto out;
	}
	fs->rootfd = open(abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->rootfd < 0) {
		rc = -errno;
		snap_log(LOG_ERR, "%s: %s", abs, strerror(errno));
		goto out;
	}
	fs->base.ops = &store_file_ops;
	fs->base.caps = store_file_ops.caps;
	if (asprintf(&fs->base.url, "file://%s", abs) < 0) {
		fs->base.url = NULL;
		rc = -ENOMEM;
		goto out;
	}
	fs->root = abs;
	abs = NULL;
	sweep_staging(fs);
out:
	if (rc < 0 && fs) {
		if (fs->rootfd >= 0)
			close(fs->rootfd);
		free(fs);
		fs = NULL;
	}
	free(abs);
	if (rc == 0)
		*out = &fs->base;
	return rc;
}

static void file_close(struct store *st)
{
	struct file_store *fs = file_from_store(st);

	close(fs->rootfd);
	free(fs->root);
	free(fs->base.url);
	free(fs);
}

struct name_vec {
	struct store_entry *v;
	size_t n, cap;
};

static int vec_push(struct name_vec *nv, char *key, const struct stat *sb,
		    bool is_prefix)
{
	if (nv->n == nv->cap) {
		size_t cap = nv->cap ? nv->cap * 2 : 64;
		struct store_entry *v = realloc(nv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		nv->v = v;
		nv->cap = cap;
	}
	nv->v[nv->n++] = (struct store_entry){
		.key = key,
		.size = is_prefix ? 0 : (uint64_t)sb->st_size,
		.mtime = is_prefix ? 0 : sb->st_mtim.tv_sec,
		.is_prefix = is_prefix,
	};
	return 0;
}

static void vec_release(struct name_vec *nv)
{
	size_t i;

	for (i = 0; i < nv->n; i++)
		free((char *)nv->v[i].key);
	free(nv->v);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct store_entry *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/*
 * Collect entries of directory @dir (a key prefix ending in '/' or "")
 * whose names start with @match. With @recurse, descend into directories
 * instead of reporting them as prefixes.
 */
static int collect(struct file_store *fs, const char *dir, const char *match,
		   bool recurse, struct name_vec *nv)
{
	struct dirent *de;
	struct stat sb;
	DIR *d = NULL;
	int fd, rc = 0;
	size_t mlen = strlen(match);

	fd = openat(fs->rootfd, *dir ? dir : ".",
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		/* A missing "directory" is an empty prefix, as in S3. */
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		rc = -errno;
		snap_log(LOG_ERR, "file: list %s/%s: %s", fs->root, dir,
			 strerror(errno));
		return rc;
	}
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		char *key;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) ==
			    0 ||
		    strncmp(de->d_name, match, mlen) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, 0) < 0)
			continue; /* vanished or dangling: not an object */
		if (S_ISDIR(sb.st_mode)) {
			if (asprintf(&key, "%s%s/", dir, de->d_name) < 0) {
				rc = -ENOMEM;
				break;
			}
			if (recurse) {
				rc = collect(fs, key, "", true, nv);
				free(key);
				if (rc < 0)
					break;
				continue;
			}
			rc = vec_push(nv, key, &sb, true);
		} else if (S_ISREG(sb.st_mode)) {
			if (asprintf(&key, "%s%s", dir, de->d_name) < 0) {
				rc = -ENOMEM;
				break;
			}
			rc = vec_push(nv, key, &sb, false);
		} else {
			continue;
		}
		if (rc < 0) {
			free(key);
			break;
		}
	}
	if (rc == 0 && errno != 0)
		rc = -errno;
	closedir(d);
	return rc;
}

static int file_list(struct store *st, const char *prefix, const char *delim,
		     store_list_cb cb, void *arg)
{
	struct file_store *fs = file_from_store(st);
	struct name_vec nv = {0};
	const char *slash = strrchr(prefix, '/');
	char *dir = NULL;
	size_t i;
	int rc;

	if (delim && strcmp(delim, "/") != 0)
		return -EINVAL; /* directories are the only delimiter we have */
	dir = strndup(prefix, slash ? (size_t)(slash - prefix) + 1 : 0);
	if (!dir)
		return -ENOMEM;
	if (*dir && !store_key_ok(dir, true)) {
		rc = -EINVAL;
		goto out;
	}
	rc = collect(fs, dir, slash ? slash + 1 : prefix, delim == NULL, &nv);
	if (rc < 0)
		goto out;
	if (nv.n > 1)
		qsort(nv.v, nv.n, sizeof(nv.v[0]), entry_cmp);
	for (i = 0; i < nv.n; i++) {
		rc = cb(&nv.v[i], arg);
		if (rc != 0)
			break;
	}
out:
	vec_release(&nv);
	free(dir);
	return rc;
}

static int file_stat(struct store *st, const char *key, struct store_entry *out)
{
	struct file_store *fs = file_from_store(st);
	struct stat sb;

	if (!key_ok(key))
		return -EINVAL;
	if (fstatat(fs->rootfd, key, &sb, 0) < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	if (!S_ISREG(sb.st_mode))
		return -ENOENT;
	*out = (struct store_entry){
		.key = NULL,
		.size = (uint64_t)sb.st_size,
		.mtime = sb.st_mtim.tv_sec,
	};
	return 0;
}

static int file_read(struct store *st, const char *key, uint64_t off, void *buf,
		     size_t len, size_t *nread)
{
	struct file_store *fs = file_from_store(st);
	struct stat sb;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	if (!key_ok(key))
		return -EINVAL;
	fd = openat(fs->rootfd, key, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	/* A directory is a common prefix, not an object (S3 answers 404). */
	if (fstat(fd, &sb) < 0)
		rc = -errno;
	else if (!S_ISREG(sb.st_mode))
		rc = -ENOENT;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			snap_log(LOG_ERR, "file: read %s at %llu: %s", key,
				 (unsigned long long)(off + got),
				 strerror(errno));
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (rc == 0)
		*nread = got;
	return rc;
}

/* mkdir -p for the directory part of @key. */
static int make_parents(struct file_store *fs, const char *key)
{
	char path[PATH_MAX];
	char *p;
	size_t n = strlen(key);

	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, key, n + 1);
	for (p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(fs->rootfd, path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Remove now-empty parent directories of @key, as S3 has none. */
static void prune_parents(struct file_store *fs, const char *key)
{
	char path[PATH_MAX];
	char *slash;
	size_t n = strlen(key);

	if (n >= sizeof(path))
		return;
	memcpy(path, key, n + 1);
	while ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		if (unlinkat(fs->rootfd, path, AT_REMOVEDIR) < 0)
			return;
	}
}

static int file_put(struct store *st, const char *key, store_src_fn src,
		    void *arg, uint64_t size, unsigned flags)
{
	struct file_store *fs = file_from_store(st);
	char tmp[PATH_MAX], buf[65536];
	uint64_t done = 0;
	int fd = -1, rc;
	ssize_t n;

	if (!key_ok(key))
		return -EINVAL;
	rc = make_parents(fs, key);
	if (rc < 0)
		goto out;
	if (mkdirat(fs->rootfd, STAGING, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		goto out;
	}
	snprintf(tmp, sizeof(tmp), STAGING "/%d.%u", (int)getpid(),
		 atomic_fetch_add(&fs->tmp_seq, 1));
	fd = openat(fs->rootfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		n = src(arg, buf, sizeof(buf));
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		if (n == 0)
			break;
		if (write(fd, buf, (size_t)n) != n) {
			rc = errno ? -errno : -EIO;
			goto out;
		}
		done += (uint64_t)n;
	}
	if (done != size) {
		snap_log(LOG_ERR, "file: put %s: got %llu bytes, expected %llu",
			 key, (unsigned long long)done,
			 (unsigned long long)size);
		rc = -EIO;
		goto out;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		rc = -errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat2(fs->rootfd, tmp, fs->rootfd, key,
		      (flags & STORE_PUT_IF_ABSENT) ? RENAME_NOREPLACE : 0) < 0)
		rc = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		unlinkat(fs->rootfd, tmp, 0);
		/* Don't leave the parents made above as an empty prefix. */
		prune_parents(fs, key);
		if (rc != -EEXIST)
			snap_log(LOG_ERR, "file: put %s: %s", key,
				 strerror(-rc));
	}
	return rc;
}

static int file_remove(struct store *st, const char *key)
{
	struct file_store *fs = file_from_store(st);

	if (!key_ok(key))
		return -EINVAL;
	/* EISDIR: the key is only a common prefix, not an object. */
	if (unlinkat(fs->rootfd, key, 0) < 0)
		return errno == ENOTDIR || errno == EISDIR ? -ENOENT : -errno;
	prune_parents(fs, key);
	return 0;
}

static int file_rename(struct store *st, const char *from, const char *to)
{
	struct file_store *fs = file_from_store(st);
	struct stat sb;
	int rc;

	if (!key_ok(from) || !key_ok(to))
		return -EINVAL;
	/* Only objects move: renaming a directory would move a whole
	 * prefix, which no object store does. */
	if (fstatat(fs->rootfd, from, &sb, 0) < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	if (!S_ISREG(sb.st_mode))
		return -ENOENT;
	rc = make_parents(fs, to);
	if (rc < 0)
		goto fail;
	if (renameat(fs->rootfd, from, fs->rootfd, to) < 0) {
		rc = -errno;
		goto fail;
	}
	prune_parents(fs, from);
	return 0;
fail:
	/* Don't leave the parents made for @to as an empty prefix. */
	prune_parents(fs, to);
	return rc;
}

const struct store_ops store_file_ops = {
	.scheme = "file",
	.caps = STORE_CAP_RENAME | STORE_CAP_RANGE_READ | STORE_CAP_WRITE,
	.open = file_open,
	.close = file_close,
	.list = file_list,
	.stat = file_stat,
	.read = file_read,
	.put = file_put,
	.remove = file_remove,
	.rename = file_rename,
};
