/* SPDX-License-Identifier: MIT */
/*
 * fs.c - the mount tree's public entry points (fs.h). Each one finds and
 * holds its node, dispatches through the node's family ops (fs_int.h)
 * and lets go; which family a node is of is not looked at here.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "fs_int.h"
#include "jobs/jobs.h"
#include "repo/repo.h"
#include "store/store.h"

#include "base/banned.h"

/* Open the cluster and start the job engine (with -o data_dir). */
static int start_jobs(struct snapfs *fs, const struct snapfs_opts *o, char *err,
		      size_t errlen)
{
	struct cluster_opts co = {
		.data_dir = o->data_dir,
		.nbackends = o->backends ? o->backends : 3,
		.backend_paths = o->backend_paths,
		.npaths = o->nbackend_paths,
	};
	int rc;

	rc = cluster_open(&co, err, errlen, &fs->cl);
	if (rc < 0)
		return rc;
	rc = jobs_start(fs->repo, fs->cl,
			o->download_threads ? o->download_threads : 4,
			&fs->jobs);
	if (rc == 0)
		rc = control_new(fs->jobs, repo_name(fs->repo), &fs->ctl);
	if (rc < 0)
		snprintf(err, errlen, "starting jobs: %s", strerror(-rc));
	return rc;
}

/*
 * The store objects are read through. A remote store gets the read-ahead
 * layer: the kernel reads a file in pieces of max_read bytes, and one
 * round trip per piece would be slow, so the layer fetches growing windows
 * and the next one in the background. Only object reads go through it:
 * the repository's and the jobs' reads are one-shot (info objects,
 * downloads in large chunks) and would only fill its windows. Their
 * writes (BACKUP, DROP) go below the layer, past its windows: harmless, as
 * a key is never written again with other content (data and info names
 * carry their MD5), and the windows of idle readers go after seconds. The
 * layer owns the store below it once made.
 */
static int open_reader(struct snapfs *fs)
{
	if (!store_can(fs->st, STORE_CAP_REMOTE)) {
		fs->rd = fs->st;
		return 0;
	}
	return store_readahead_wrap(fs->st, NULL, &fs->rd);
}

int snapfs_new(const struct snapfs_opts *o, char *err, size_t errlen,
	       struct snapfs **out)
{
	struct snapfs *fs;
	int rc;

	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->filled, NULL);
	pthread_cond_init(&fs->written, NULL);
	fs->o = *o;
	fs->mounted_at = time(NULL);
	fs->mountpoint = o->mountpoint ? strdup(o->mountpoint) : NULL;
	rc = node_table_init(fs);
	if (rc < 0)
		goto out;
	rc = store_open(o->url, &o->store, &fs->st);
	if (rc < 0) {
		store_explain(rc, o->url, err, errlen);
		goto out;
	}
	fs->url = strdup(fs->st->url);
	rc = fs->url ? open_reader(fs) : -ENOMEM;
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", o->url, strerror(-rc));
		goto out;
	}
	rc = repo_open(fs->st, o->repo, err, errlen, &fs->repo);
	if (rc == 0 && o->data_dir)
		rc = start_jobs(fs, o, err, errlen);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&fs->lock);
	rc = root_make_locked(fs);
	pthread_mutex_unlock(&fs->lock);
out:
	if (rc < 0) {
		snapfs_free(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

void snapfs_free(struct snapfs *fs)
{
	if (!fs)
		return;
	/* The plane's buffers went with the open files; then the workers:
	 * they use the repository and the cluster. */
	control_free(fs->ctl);
	jobs_stop(fs->jobs);
	cluster_close(fs->cl);
	node_table_free(fs);
	repo_close(fs->repo);
	store_close(fs->rd ? fs->rd : fs->st); /* rd owns st when it wraps it */
	pthread_mutex_destroy(&fs->lock);
	pthread_cond_destroy(&fs->filled);
	pthread_cond_destroy(&fs->written);
	free(fs->url);
	free(fs->mountpoint);
	free(fs);
}

double snapfs_ttl(const struct snapfs *fs)
{
	return fs->o.cache_ttl;
}

double snapfs_node_ttl(struct snapfs *fs, uint64_t ino)
{
	struct node *n = node_get(fs, ino);
	double ttl = fs->o.cache_ttl;

	/* The local cluster, jobs and control files change under jobs:
	 * the kernel must ask again every time. */
	if (n && (n->ops->flags & NODE_VOLATILE))
		ttl = 0;
	node_put(fs, n);
	return ttl;
}

/* Lazily known attributes, then a stat of @n. */
static int node_stat(struct snapfs *fs, struct node *n, struct stat *st)
{
	int rc = n->ops->getattr ? n->ops->getattr(fs, n) : 0;

	if (rc < 0)
		return rc;
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	st->st_mode = n->ops->mode;
	st->st_nlink = S_ISDIR(n->ops->mode) ? 2 : 1;
	st->st_blksize = 128 * 1024;
	st->st_uid = fs->o.uid;
	st->st_gid = fs->o.gid;
	pthread_mutex_lock(&fs->lock);
	st->st_size = (off_t)n->size;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_mtim.tv_sec = n->mtime;
	st->st_ctim.tv_sec = n->mtime;
	st->st_atim.tv_sec = n->mtime;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

/* The directory @ino, held. */
static int dir_get(struct snapfs *fs, uint64_t ino, struct node **out)
{
	struct node *dir = node_get(fs, ino);

	if (!dir)
		return -ENOENT;
	if (!S_ISDIR(dir->ops->mode)) {
		node_put(fs, dir);
		return -ENOTDIR;
	}
	*out = dir;
	return 0;
}

int snapfs_lookup(struct snapfs *fs, uint64_t parent, const char *name,
		  struct stat *out)
{
	struct node *dir, *n = NULL;
	int rc = dir_get(fs, parent, &dir);

	if (rc < 0)
		return rc;
	rc = dir->ops->lookup ? dir->ops->lookup(fs, dir, name, &n)
			      : node_lookup_default(fs, dir, name, &n);
	if (rc == 0)
		rc = node_stat(fs, n, out);
	if (rc == 0)
		node_lookup_count(fs, n); /* the kernel has it now */
	node_put(fs, n);
	node_put(fs, dir);
	return rc;
}

int snapfs_forget(struct snapfs *fs, uint64_t ino, uint64_t nlookup)
{
	return node_forget(fs, ino, nlookup);
}

int snapfs_getattr(struct snapfs *fs, uint64_t ino, struct stat *out)
{
	struct node *n = node_get(fs, ino);
	int rc;

	if (!n)
		return -ENOENT;
	rc = node_stat(fs, n, out);
	node_put(fs, n);
	return rc;
}

int snapfs_readlink(struct snapfs *fs, uint64_t ino, char *buf, size_t size)
{
	struct node *n = node_get(fs, ino);
	int rc;

	if (!n)
		return -ENOENT;
	rc = n->ops->readlink ? n->ops->readlink(fs, n, buf, size) : -EINVAL;
	node_put(fs, n);
	return rc;
}

int snapfs_open(struct snapfs *fs, uint64_t ino, int flags,
		struct snapfs_file **out)
{
	struct node *n = node_get(fs, ino);
	struct snapfs_file *f = NULL;
	int rc;

	if (!n)
		return -ENOENT;
	if (!n->ops->open)
		rc = S_ISDIR(n->ops->mode) ? -EISDIR : -EINVAL;
	else if (n->ops->getattr && (rc = n->ops->getattr(fs, n)) < 0)
		; /* a status file whose snapshot cannot be read */
	else
		rc = n->ops->open(fs, n, flags, &f);
	if (rc < 0) {
		node_put(fs, n);
		return rc;
	}
	f->node = n; /* the handle keeps the hold */
	f->ops = n->ops;
	*out = f;
	return 0;
}

bool snapfs_file_direct(const struct snapfs_file *f)
{
	return f->ops->flags & NODE_DIRECT;
}

int snapfs_read(struct snapfs *fs, struct snapfs_file *f, char *buf,
		size_t size, uint64_t off, size_t *n)
{
	return f->ops->read(fs, f, buf, size, off, n);
}

int snapfs_write(struct snapfs *fs, struct snapfs_file *f, const char *buf,
		 size_t size, uint64_t off, size_t *n)
{
	return f->ops->write ? f->ops->write(fs, f, buf, size, off, n) : -EROFS;
}

int snapfs_flush(struct snapfs *fs, struct snapfs_file *f)
{
	return f->ops->flush ? f->ops->flush(fs, f) : 0;
}

int snapfs_release(struct snapfs *fs, struct snapfs_file *f)
{
	struct node *n;
	int rc;

	if (!f)
		return 0;
	n = f->node;
	rc = f->ops->release(fs, f);
	node_put(fs, n);
	return rc;
}

int snapfs_truncate(struct snapfs *fs, uint64_t ino)
{
	struct node *n = node_get(fs, ino);
	int rc;

	if (!n)
		return -ENOENT;
	rc = n->ops->truncate ? n->ops->truncate(fs, n) : -EROFS;
	node_put(fs, n);
	return rc;
}

int snapfs_rmdir(struct snapfs *fs, uint64_t parent, const char *name)
{
	struct node *dir = node_get(fs, parent);
	int rc;

	if (!dir)
		return -ENOENT;
	rc = dir->ops->rmdir ? dir->ops->rmdir(fs, dir, name) : -EROFS;
	node_put(fs, dir);
	return rc;
}

int snapfs_mkdir(struct snapfs *fs, uint64_t parent, const char *name,
		 struct stat *out)
{
	struct node *dir = node_get(fs, parent);
	int rc;

	if (!dir)
		return -ENOENT;
	rc = dir->ops->mkdir ? dir->ops->mkdir(fs, dir, name) : -EROFS;
	node_put(fs, dir);
	if (rc < 0)
		return rc;
	return snapfs_lookup(fs, parent, name, out);
}

int snapfs_create(struct snapfs *fs, uint64_t parent, const char *name,
		  int flags, struct stat *out, struct snapfs_file **fp)
{
	struct node *dir = node_get(fs, parent);
	struct snapfs_file *f = NULL;
	int rc;

	if (!dir)
		return -ENOENT;
	rc = dir->ops->create ? dir->ops->create(fs, dir, name, flags, &f)
			      : -EROFS;
	node_put(fs, dir);
	if (rc < 0)
		return rc;
	rc = node_stat(fs, f->node, out);
	if (rc < 0) {
		snapfs_release(fs, f);
		return rc;
	}
	out->st_mode = f->ops->mode;
	node_lookup_count(fs, f->node);
	*fp = f;
	return 0;
}

/* ---- directories ------------------------------------------------------- */

struct snapfs_dir {
	size_t n;
	struct {
		char *name;
		uint64_t ino;
		mode_t mode;
	} * e;
};

static int dir_entry(struct snapfs_dir *d, const char *name, uint64_t ino,
		     mode_t mode)
{
	d->e[d->n].name = strdup(name);
	d->e[d->n].ino = ino;
	d->e[d->n].mode = mode & S_IFMT;
	return d->e[d->n++].name ? 0 : -ENOMEM;
}

/* Copy @dir's listing. Caller holds fs->lock. */
static int dir_copy_locked(struct node *dir, struct snapfs_dir *d)
{
	size_t i;
	int rc;

	d->e = calloc(dir->nkids + 2, sizeof(*d->e));
	if (!d->e)
		return -ENOMEM;
	rc = dir_entry(d, ".", dir->ino, S_IFDIR);
	if (rc == 0)
		rc = dir_entry(d, "..",
			       dir->parent ? dir->parent->ino : dir->ino,
			       S_IFDIR);
	for (i = 0; i < dir->nkids && rc == 0; i++)
		rc = dir_entry(d, dir->kids[i]->name, dir->kids[i]->ino,
			       dir->kids[i]->ops->mode);
	return rc;
}

int snapfs_opendir(struct snapfs *fs, uint64_t ino, struct snapfs_dir **out)
{
	struct snapfs_dir *d = NULL;
	struct node *dir;
	int rc = dir_get(fs, ino, &dir);

	if (rc < 0)
		return rc;
	rc = node_fill(fs, dir);
	if (rc == 0 && !(d = calloc(1, sizeof(*d))))
		rc = -ENOMEM;
	if (rc == 0) {
		pthread_mutex_lock(&fs->lock);
		rc = dir_copy_locked(dir, d);
		pthread_mutex_unlock(&fs->lock);
	}
	node_put(fs, dir);
	if (rc < 0) {
		snapfs_releasedir(d);
		return rc;
	}
	*out = d;
	return 0;
}

size_t snapfs_dir_count(const struct snapfs_dir *d)
{
	return d->n;
}

const char *snapfs_dir_entry(const struct snapfs_dir *d, size_t i,
			     struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = d->e[i].ino;
	st->st_mode = d->e[i].mode;
	return d->e[i].name;
}

void snapfs_releasedir(struct snapfs_dir *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; d->e && i < d->n; i++)
		free(d->e[i].name);
	free(d->e);
	free(d);
}

/* ---- attributes -------------------------------------------------------- */

static const char *const xattr_names[] = {SNAPFS_XATTR_MD5,
					  SNAPFS_XATTR_OBJECT};

int snapfs_getxattr(struct snapfs *fs, uint64_t ino, const char *name,
		    char *buf, size_t size, size_t *len)
{
	struct node *n = node_get(fs, ino);
	const char *val;
	size_t vlen = 0;
	int rc;

	if (!n)
		return -ENOENT;
	/* Under fs->lock: a cluster/ file's md5 is written when its writer
	 * finishes, and must not be copied half-written. */
	pthread_mutex_lock(&fs->lock);
	rc = n->ops->xattr ? n->ops->xattr(n, name, &val) : -ENODATA;
	if (rc == 0) {
		vlen = strlen(val);
		if (size > 0 && size < vlen)
			rc = -ERANGE;
		else if (size > 0)
			memcpy(buf, val, vlen);
	}
	pthread_mutex_unlock(&fs->lock);
	node_put(fs, n);
	if (rc == 0)
		*len = vlen;
	return rc;
}

int snapfs_listxattr(struct snapfs *fs, uint64_t ino, char *buf, size_t size,
		     size_t *len)
{
	struct node *n = node_get(fs, ino);
	const char *val;
	size_t i, need = 0;
	int rc = 0;

	if (!n)
		return -ENOENT;
	pthread_mutex_lock(&fs->lock); /* the xattr slot's contract */
	for (i = 0; i < 2 && n->ops->xattr && rc == 0; i++) {
		size_t l = strlen(xattr_names[i]) + 1;

		if (n->ops->xattr(n, xattr_names[i], &val) < 0)
			continue;
		if (size > 0 && need + l > size)
			rc = -ERANGE;
		else if (size > 0)
			memcpy(buf + need, xattr_names[i], l);
		need += l;
	}
	pthread_mutex_unlock(&fs->lock);
	node_put(fs, n);
	if (rc == 0)
		*len = need;
	return rc;
}

int snapfs_statfs(struct snapfs *fs, struct statvfs *out)
{
	memset(out, 0, sizeof(*out));
	out->f_bsize = 128 * 1024;
	out->f_frsize = 4096;
	out->f_files = node_count(fs);
	out->f_namemax = 255;
	out->f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	return 0;
}
