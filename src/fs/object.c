/* SPDX-License-Identifier: MIT */
/*
 * object.c - files with content and a known MD5: the repository's objects
 * (snapshot data files, info, meta, everything under raw/) read through
 * the store, and the local cluster's files read from disk. A read that
 * completes a sequential pass checks the MD5; a mismatch fails that read
 * with EIO and marks the node corrupt, so every later open and read of it
 * fails too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs_int.h"
#include "store/store.h"

#include "base/banned.h"

/* An open object or local file. */
struct object_file {
	struct snapfs_file base;
	/* Under base.lock: */
	struct md5 *md5; /* NULL once the pass is not sequential */
	uint64_t next;	 /* offset the sequential pass has reached */
	int fd;		 /* local files: the open data file, else -1 */
};

static struct object_file *object_file(struct snapfs_file *f)
{
	return (struct object_file *)f;
}

static int object_xattr(struct node *n, const char *name, const char **val)
{
	if (strcmp(name, SNAPFS_XATTR_MD5) == 0 && n->md5[0]) {
		*val = n->md5;
		return 0;
	}
	if (strcmp(name, SNAPFS_XATTR_OBJECT) == 0) {
		*val = n->key;
		return 0;
	}
	return -ENODATA;
}

/*
 * Feed the MD5 of a sequential pass. Reads that overlap what was hashed
 * hash only the new part; a read past the hashed end ends verification for
 * this handle (the kernel's readahead is in order with async reads off).
 * Caller holds f->base.lock.
 * @return -EIO if this read completed the pass and the MD5 is wrong.
 */
static int verify_feed_locked(struct snapfs *fs, struct object_file *f,
			      const char *buf, size_t n, uint64_t off)
{
	struct node *node = f->base.node;
	char hex[MD5_HEX_LEN + 1];

	if (!f->md5)
		return 0;
	if (off > f->next) {
		md5_free(f->md5);
		f->md5 = NULL;
		return 0;
	}
	if (off + n > f->next) {
		md5_update(f->md5, buf + (f->next - off),
			   (size_t)(off + n - f->next));
		f->next = off + n;
	}
	if (f->next < node->size && n > 0)
		return 0;
	if (f->next != node->size)
		return 0; /* short object: the store reported EOF early */
	md5_final_hex(f->md5, hex);
	md5_free(f->md5);
	f->md5 = NULL;
	if (strcmp(hex, node->md5) == 0)
		return 0;
	snap_log(LOG_ERR,
		 "%s: content MD5 is %s, the name says %s: "
		 "returning EIO",
		 node->key, hex, node->md5);
	pthread_mutex_lock(&fs->lock);
	node->corrupt = true;
	pthread_mutex_unlock(&fs->lock);
	return -EIO;
}

/* A file still being written (newfile.c) is named when its writer lets
 * go: wait for that (5 s at most), then refuse what is known bad. */
static int open_check(struct snapfs *fs, struct node *n)
{
	struct timespec until;
	bool bad;

	pthread_mutex_lock(&fs->lock);
	if (n->writers > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (n->writers > 0 &&
		       pthread_cond_timedwait(&fs->written, &fs->lock,
					      &until) == 0)
			;
	}
	bad = n->corrupt;
	pthread_mutex_unlock(&fs->lock);
	if (bad || n->missing) {
		snap_log(LOG_ERR, "open %s: object %s", n->key,
			 bad ? "failed its MD5 check" : "is missing");
		return -EIO;
	}
	return 0;
}

static int object_open(struct snapfs *fs, struct node *n, int flags,
		       struct snapfs_file **out)
{
	struct object_file *f;
	bool check;
	int rc;

	if (open_wants_write(flags))
		return -EROFS;
	rc = open_check(fs, n);
	if (rc < 0)
		return rc;
	f = file_new(sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = -1;
	snap_log(LOG_DEBUG, "open %s", n->key);
	pthread_mutex_lock(&fs->lock);
	check = fs->o.verify && n->md5[0];
	pthread_mutex_unlock(&fs->lock);
	rc = check ? md5_new(&f->md5) : 0;
	if (rc < 0) {
		file_free(&f->base);
		return rc;
	}
	*out = &f->base;
	return 0;
}

/*
 * Read @size bytes at @off of @key through fs->rd (with read-ahead for a
 * remote store). The store contract makes a short count the end of the
 * object, but a store may answer in pieces (the fault layer's short=
 * does): ask again until the bytes are there or nothing comes, so that
 * the kernel, which takes a short read for the end of the file, never
 * sees one in the middle.
 */
static int object_pread(struct snapfs *fs, const char *key, uint64_t off,
			char *buf, size_t size, size_t *n)
{
	size_t len = 0, got;
	int rc = 0;

	while (len < size) {
		rc = store_read(fs->rd, key, off + len, buf + len, size - len,
				&got);
		if (rc < 0 || got == 0)
			break;
		len += got;
	}
	if (rc == 0)
		*n = len;
	return rc;
}

static int object_read(struct snapfs *fs, struct snapfs_file *base, char *buf,
		       size_t size, uint64_t off, size_t *n)
{
	struct object_file *f = object_file(base);
	struct node *node = base->node;
	size_t len = 0;
	int rc;

	/* Once a pass has proven the object corrupt, every read of it
	 * fails: the kernel retries failed readahead page by page and
	 * must not get the bad bytes that way. */
	pthread_mutex_lock(&fs->lock);
	rc = node->corrupt ? -EIO : 0;
	pthread_mutex_unlock(&fs->lock);
	if (rc < 0)
		return rc;
	if (off < node->size && size > node->size - off)
		size = (size_t)(node->size - off);
	if (off < node->size)
		rc = object_pread(fs, node->key, off, buf, size, &len);
	if (rc < 0) {
		snap_log(LOG_ERR, "read %s at %" PRIu64 ": %s", node->key, off,
			 store_strerror(rc));
		return rc;
	}
	pthread_mutex_lock(&base->lock);
	rc = verify_feed_locked(fs, f, buf, len, off);
	pthread_mutex_unlock(&base->lock);
	if (rc == 0)
		*n = len;
	return rc;
}

static int object_release(struct snapfs *fs, struct snapfs_file *base)
{
	struct object_file *f = object_file(base);

	if (f->fd >= 0)
		close(f->fd);
	md5_free(f->md5);
	file_free(base);
	return 0;
}

static const struct node_ops object_ops = {
	.mode = S_IFREG | 0444,
	.open = object_open,
	.read = object_read,
	.release = object_release,
	.xattr = object_xattr,
};

static struct proto *file_proto(struct protolist *pl, const char *name,
				const struct node_ops *ops, const char *key,
				uint64_t size, int64_t mtime, const char *md5)
{
	struct proto *p = proto_add(pl, name, ops);

	if (!p || !(p->key = strdup(key)))
		return NULL;
	p->size = size;
	p->mtime = mtime;
	if (md5)
		snprintf(p->md5, sizeof(p->md5), "%s", md5);
	return p;
}

struct proto *object_proto(struct protolist *pl, const char *name,
			   const char *key, uint64_t size, int64_t mtime,
			   const char *md5)
{
	return file_proto(pl, name, &object_ops, key, size, mtime, md5);
}

/* ---- local cluster files ----------------------------------------------- */

static int local_open(struct snapfs *fs, struct node *n, int flags,
		      struct snapfs_file **out)
{
	struct snapfs_file *base;
	struct object_file *f;
	int rc;

	if (open_wants_write(flags)) {
		snap_log(LOG_INFO, "%s: files in tablets are written once",
			 n->name);
		return -EPERM;
	}
	rc = object_open(fs, n, flags, &base);
	if (rc < 0)
		return rc;
	f = object_file(base);
	f->fd = open(n->key, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		rc = -errno;
		snap_log(LOG_ERR, "open %s: %s", n->key, strerror(-rc));
		object_release(fs, base);
		/* The catalog names it, the disk lost it. */
		return rc == -ENOENT ? -EIO : rc;
	}
	*out = base;
	return 0;
}

static int local_read(struct snapfs *fs, struct snapfs_file *base, char *buf,
		      size_t size, uint64_t off, size_t *n)
{
	struct object_file *f = object_file(base);
	ssize_t got = pread(f->fd, buf, size, (off_t)off);
	int rc;

	if (got < 0) {
		rc = -errno;
		snap_log(LOG_ERR, "read %s: %s", base->node->key,
			 strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&base->lock);
	rc = verify_feed_locked(fs, f, buf, (size_t)got, off);
	pthread_mutex_unlock(&base->lock);
	if (rc == 0)
		*n = (size_t)got;
	return rc;
}

/* Volatile: a restore replaces a table's files with new generations. */
static const struct node_ops local_ops = {
	.mode = S_IFREG | 0444,
	.flags = NODE_VOLATILE,
	.open = local_open,
	.read = local_read,
	.release = object_release,
	.xattr = object_xattr,
};

struct proto *object_local_proto(struct protolist *pl, const char *name,
				 const char *path, uint64_t size, int64_t mtime,
				 const char *md5)
{
	return file_proto(pl, name, &local_ops, path, size, mtime, md5);
}
