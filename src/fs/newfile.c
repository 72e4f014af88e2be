/* SPDX-License-Identifier: MIT */
/*
 * newfile.c - a file created in a cluster/ tablet directory. It is written
 * to a temporary name (".<name>.part") and becomes part of the tablet, MD5
 * and all, when it is finished; from then on it is immutable.
 *
 * It is finished at the first flush (close(2) of a descriptor) after data
 * was written, so that close(2) returns what recording it cost (ENOSPC,
 * EIO, EBUSY ...): a shell's "echo x > f" closes a duplicate before it
 * writes, so a flush with nothing written yet finishes nothing. A file
 * never written to (touch) is finished at release. Writes after the file
 * was finished fail with EPERM, as writes to a finished file do. One
 * handle at a time writes a name: another create of it fails with EEXIST,
 * and naming never replaces a file that is there.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "fs_int.h"
#include "jobs/jobs.h"

#include "base/banned.h"

/* A new file's handle. Fields under base.lock. */
struct new_file {
	struct snapfs_file base;
	int fd;
	char *tmp;	 /* the temporary path */
	struct md5 *md5; /* NULL once the writes were not sequential */
	uint64_t next;	 /* bytes written in order so far */
	uint64_t size;	 /* highest offset written */
	bool written;	 /* data came since the open */
	bool finished;	 /* named and recorded, or failed doing so */
	int err;	 /* first error: a write's or the finish's */
};

static struct new_file *new_file(struct snapfs_file *f)
{
	return (struct new_file *)f;
}

/* The MD5 of what was written: kept while writes came in order, else
 * read back from disk. */
static int content_md5(struct new_file *f, char hex[MD5_HEX_LEN + 1])
{
	char buf[1 << 16];
	struct md5 *m = NULL;
	ssize_t got;
	off_t off = 0;
	int rc;

	if (f->md5 && f->next == f->size) {
		md5_final_hex(f->md5, hex);
		return 0;
	}
	rc = md5_new(&m);
	while (rc == 0 && (got = pread(f->fd, buf, sizeof(buf), off)) > 0) {
		md5_update(m, buf, (size_t)got);
		off += got;
	}
	if (rc == 0 && got < 0)
		rc = -errno;
	if (rc == 0)
		md5_final_hex(m, hex);
	md5_free(m);
	return rc;
}

/* Rename, never over a file that is there (-EEXIST). */
static int name_file(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* A filesystem without RENAME_NOREPLACE. */
	if (link(tmp, path) < 0)
		return -errno;
	unlink(tmp);
	return 0;
}

/*
 * The names of cluster/ tablet directory @tab: db, table, partition and
 * index (its ancestors), and its tablet id (its name). newfile_create is
 * the create slot of tablet directories only, so @tab is one.
 */
static void tablet_names(const struct node *tab, const char *names[4],
			 int64_t *tablet_id)
{
	const struct node *n = tab;
	int i;

	*tablet_id = strtoll(tab->name, NULL, 10);
	for (i = 3; i >= 0; i--) {
		n = n->parent;
		names[i] = n->name;
	}
}

/* Name the finished file and record it in the catalog. Under base.lock. */
static int finish_locked(struct snapfs *fs, struct new_file *f)
{
	struct node *n = f->base.node;
	char hex[MD5_HEX_LEN + 1];
	const char *names[4];
	int64_t tid;
	int rc;

	tablet_names(n->parent, names, &tid);
	rc = 0;
	if (fsync(f->fd) < 0)
		rc = -errno;
	if (rc == 0)
		rc = content_md5(f, hex);
	if (rc == 0)
		rc = name_file(f->tmp, n->key);
	if (rc == 0) {
		rc = cluster_add_file(fs->cl, names[0], names[1], names[2],
				      names[3], tid, n->name, hex, f->size);
		if (rc < 0)
			unlink(n->key);
	}
	if (rc < 0) {
		snap_log(LOG_ERR, "new file %s: %s", n->key, strerror(-rc));
		unlink(f->tmp);
	}
	pthread_mutex_lock(&fs->lock);
	if (rc == 0) {
		n->size = f->size;
		memcpy(n->md5, hex, sizeof(hex));
	}
	n->writers--;
	pthread_cond_broadcast(&fs->written);
	pthread_mutex_unlock(&fs->lock);
	f->finished = true;
	if (f->err == 0)
		f->err = rc;
	return rc;
}

static int newfile_write(struct snapfs *fs, struct snapfs_file *base,
			 const char *buf, size_t size, uint64_t off, size_t *n)
{
	struct new_file *f = new_file(base);
	ssize_t w;
	int rc = 0;

	pthread_mutex_lock(&base->lock);
	if (f->finished) {
		rc = -EPERM; /* written once, and that was it */
		goto out;
	}
	w = pwrite(f->fd, buf, size, (off_t)off);
	if (w < 0) {
		rc = -errno;
		if (f->err == 0)
			f->err = rc;
		goto out;
	}
	if (f->md5 && off == f->next) {
		md5_update(f->md5, buf, (size_t)w);
		f->next += (uint64_t)w;
	} else if (f->md5) {
		md5_free(f->md5);
		f->md5 = NULL; /* hashed again when finished */
	}
	if (off + (uint64_t)w > f->size)
		f->size = off + (uint64_t)w;
	f->written = true;
	*n = (size_t)w;
out:
	pthread_mutex_unlock(&base->lock);
	return rc;
}

static int newfile_read(struct snapfs *fs, struct snapfs_file *base, char *buf,
			size_t size, uint64_t off, size_t *n)
{
	ssize_t got = pread(new_file(base)->fd, buf, size, (off_t)off);

	if (got < 0)
		return -errno;
	*n = (size_t)got;
	return 0;
}

static int newfile_flush(struct snapfs *fs, struct snapfs_file *base)
{
	struct new_file *f = new_file(base);
	int rc;

	pthread_mutex_lock(&base->lock);
	if (f->written && !f->finished && f->err == 0)
		finish_locked(fs, f);
	rc = f->err;
	pthread_mutex_unlock(&base->lock);
	return rc;
}

static int newfile_release(struct snapfs *fs, struct snapfs_file *base)
{
	struct new_file *f = new_file(base);
	int rc;

	if (!f->finished && f->err == 0)
		finish_locked(fs, f);
	if (!f->finished) { /* a write failed: the file is not made */
		unlink(f->tmp);
		pthread_mutex_lock(&fs->lock);
		base->node->writers--;
		pthread_cond_broadcast(&fs->written);
		pthread_mutex_unlock(&fs->lock);
	}
	rc = f->err;
	if (f->fd >= 0)
		close(f->fd);
	md5_free(f->md5);
	free(f->tmp);
	file_free(base);
	return rc;
}

static const struct node_ops newfile_ops = {
	.mode = S_IFREG | 0644,
	.flags = NODE_VOLATILE | NODE_DIRECT,
	.read = newfile_read,
	.write = newfile_write,
	.flush = newfile_flush,
	.release = newfile_release,
};

/* A provisional node for @path in @dir, kept by name when the catalog
 * lists it; counted as being written and held by the handle.
 * @return 0; -EEXIST another handle is writing @name; -ENOMEM. */
static int provisional_node(struct snapfs *fs, struct node *dir,
			    const char *name, const char *path,
			    struct node **out)
{
	struct protolist pl = {0};
	struct node *n;
	int rc = 0;

	if (!object_local_proto(&pl, name, path, 0, time(NULL), NULL)) {
		protolist_release(&pl);
		return -ENOMEM;
	}
	pthread_mutex_lock(&fs->lock);
	node_fill_wait_locked(fs, dir); /* a merge must not lose it */
	n = node_kid_find(dir, name);
	if (n && n->writers > 0) {
		/* Another handle writes it: one writer per name. */
		pthread_mutex_unlock(&fs->lock);
		protolist_release(&pl);
		return -EEXIST;
	}
	if (!n || !n->key || strcmp(n->key, path) != 0) {
		n = node_new_locked(fs, dir, &pl.v[0]);
		if (n && node_kid_insert_locked(fs, dir, n) < 0) {
			/* In no listing and not live: nobody saw it. */
			n->orphan = true;
			node_hold_locked(n);
			node_put_locked(fs, n);
			n = NULL;
		}
	}
	if (n) {
		n->writers++;
		node_hold_locked(n);
		*out = n;
	} else {
		rc = -ENOMEM;
	}
	pthread_mutex_unlock(&fs->lock);
	protolist_release(&pl);
	return rc;
}

/* Check the name and the table, and find the temporary and final paths. */
static int new_paths(struct snapfs *fs, struct node *dir, const char *name,
		     char **tmp, char **path)
{
	const char *names[4];
	char rdir[4096];
	int64_t tid;
	int rc;

	if (!name_ok(name) || name[0] == '.')
		return -EINVAL;
	tablet_names(dir, names, &tid);
	if (jobs_table_busy(fs->jobs, names[0], names[1]))
		return -EBUSY;
	rc = cluster_tablet_dir(fs->cl, names[0], names[1], names[2], names[3],
				tid, name, rdir, sizeof(rdir));
	if (rc == -EEXIST)
		snap_log(LOG_INFO,
			 "create %s: files in tablets are written once; write "
			 "a new version under a new name",
			 name);
	if (rc < 0)
		return rc;
	if (asprintf(tmp, "%s/.%s.part", rdir, name) < 0)
		return -ENOMEM;
	if (asprintf(path, "%s/%s", rdir, name) < 0) {
		free(*tmp);
		return -ENOMEM;
	}
	return 0;
}

int newfile_create(struct snapfs *fs, struct node *dir, const char *name,
		   int flags, struct snapfs_file **out)
{
	struct new_file *f;
	struct node *n = NULL;
	char *path = NULL;
	int rc;

	f = file_new(sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = -1;
	rc = new_paths(fs, dir, name, &f->tmp, &path);
	if (rc == 0)
		rc = md5_new(&f->md5);
	if (rc == 0)
		rc = provisional_node(fs, dir, name, path, &n);
	if (rc == 0) {
		/* Ours alone now: a leftover of a crash is overwritten. */
		f->fd = open(f->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		if (f->fd < 0)
			rc = -errno;
	}
	free(path);
	if (rc < 0) {
		if (f->fd >= 0)
			close(f->fd);
		if (n) {
			pthread_mutex_lock(&fs->lock);
			n->writers--;
			pthread_cond_broadcast(&fs->written);
			node_put_locked(fs, n);
			pthread_mutex_unlock(&fs->lock);
		}
		md5_free(f->md5);
		free(f->tmp);
		file_free(&f->base);
		return rc;
	}
	f->base.node = n;
	f->base.ops = &newfile_ops;
	*out = &f->base;
	return 0;
}
