/* SPDX-License-Identifier: MIT */
/*
 * cluster.c - data directories and replica generations of the local
 * cluster, their garbage collection, and the tables made by hand under
 * MNT/cluster/. Catalog records are read and written only through
 * record.h: no key or JSON member is spelled here.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "cluster.h"
#include "cluster_int.h"
#include "base/base.h"

#include "base/banned.h"

struct cluster {
	pthread_mutex_t gc_lock; /* one gc at a time, and no replica dir is
				    made while one runs */
	char *data_dir;
	char *backends[CLUSTER_MAX_BACKENDS];
	unsigned nbackends;
	struct catalog *cat;
};

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	char *p;

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int cluster_open(const struct cluster_opts *o, char *err, size_t errlen,
		 struct cluster **out)
{
	struct cluster *c;
	char path[PATH_MAX];
	unsigned i, n;
	int rc;

	n = o->npaths ? (unsigned)o->npaths : o->nbackends;
	if (n == 0 || n > CLUSTER_MAX_BACKENDS) {
		snprintf(err, errlen, "backends must be 1..%d, got %u",
			 CLUSTER_MAX_BACKENDS, n);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->gc_lock, NULL);
	c->data_dir = strdup(o->data_dir);
	if (!c->data_dir) {
		rc = -ENOMEM;
		goto out;
	}
	rc = mkdir_p(o->data_dir);
	if (rc < 0) {
		snprintf(err, errlen, "data directory %s: %s", o->data_dir,
			 strerror(-rc));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (o->npaths)
			snprintf(path, sizeof(path), "%s", o->backend_paths[i]);
		else
			snprintf(path, sizeof(path), "%s/be%u", o->data_dir, i);
		c->backends[i] = strdup(path);
		if (!c->backends[i]) {
			rc = -ENOMEM;
			goto out;
		}
		c->nbackends = i + 1;
		snprintf(path, sizeof(path), "%s/tablets", c->backends[i]);
		rc = mkdir_p(path);
		if (rc < 0) {
			snprintf(err, errlen, "backend %u (%s): %s", i,
				 c->backends[i], strerror(-rc));
			goto out;
		}
	}
	snprintf(path, sizeof(path), "%s/catalog", o->data_dir);
	rc = catalog_open(path, &c->cat);
	if (rc < 0)
		snprintf(err, errlen, "catalog %s: %s", path, strerror(-rc));
out:
	if (rc < 0) {
		cluster_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void cluster_close(struct cluster *c)
{
	unsigned i;

	if (!c)
		return;
	catalog_close(c->cat);
	pthread_mutex_destroy(&c->gc_lock);
	for (i = 0; i < c->nbackends; i++)
		free(c->backends[i]);
	free(c->data_dir);
	free(c);
}

struct catalog *cluster_catalog(const struct cluster *c)
{
	return c->cat;
}

unsigned cluster_nbackends(const struct cluster *c)
{
	return c->nbackends;
}

const char *cluster_backend_path(const struct cluster *c, unsigned be)
{
	return be < c->nbackends ? c->backends[be] : NULL;
}

int cluster_replica_dir(const struct cluster *c, unsigned be, int64_t tablet_id,
			int64_t replica_id, int64_t gen, char *buf, size_t len)
{
	if (be >= c->nbackends)
		return -EINVAL;
	if ((size_t)snprintf(
		    buf, len, "%s/tablets/%" PRId64 "/%" PRId64 ".%" PRId64,
		    c->backends[be], tablet_id, replica_id, gen) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int cluster_replica_path(const struct cluster *c, int64_t tablet_id,
			 const struct record_replica *r, char *buf, size_t len)
{
	return cluster_replica_dir(c, r->backend, tablet_id, r->id, r->gen, buf,
				   len);
}

int cluster_make_replica(struct cluster *c, unsigned be, int64_t tablet_id,
			 int64_t replica_id, int64_t gen)
{
	char dir[PATH_MAX];
	int rc;

	rc = cluster_replica_dir(c, be, tablet_id, replica_id, gen, dir,
				 sizeof(dir));
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&c->gc_lock);
	rc = mkdir_p(dir);
	pthread_mutex_unlock(&c->gc_lock);
	if (rc < 0)
		snap_log(LOG_ERR, "mkdir %s: %s", dir, strerror(-rc));
	return rc;
}

/* @dir/@name into @buf (PATH_MAX bytes). */
static int path_join(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int rm_cb(const char *path, const struct stat *sb, int type,
		 struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -errno : 0;
}

static int rm_tree(const char *path)
{
	int rc = nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);

	if (rc < 0 && errno == ENOENT)
		return 0;
	return rc < 0 ? -errno : rc;
}

int cluster_remove_replica(const struct cluster *c, unsigned be,
			   int64_t tablet_id, int64_t replica_id, int64_t gen)
{
	char dir[PATH_MAX];
	int rc;

	rc = cluster_replica_dir(c, be, tablet_id, replica_id, gen, dir,
				 sizeof(dir));
	if (rc < 0)
		return rc;
	rc = rm_tree(dir);
	if (rc < 0)
		snap_log(LOG_ERR, "remove %s: %s", dir, strerror(-rc));
	/* The tablet dir goes when its last replica does. */
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	return rc;
}

int cluster_snapshot_dir(const struct cluster *c, unsigned be, int64_t job_id,
			 int64_t tablet_id, char *buf, size_t len)
{
	if (be >= c->nbackends)
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/snapshot/%" PRId64 "/%" PRId64,
			     c->backends[be], job_id, tablet_id) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int cluster_make_snapshot_dir(const struct cluster *c, unsigned be,
			      int64_t job_id, int64_t tablet_id, char *buf,
			      size_t len)
{
	int rc = cluster_snapshot_dir(c, be, job_id, tablet_id, buf, len);

	return rc < 0 ? rc : mkdir_p(buf);
}

int cluster_remove_snapshot(const struct cluster *c, int64_t job_id)
{
	char dir[PATH_MAX];
	unsigned be;
	int rc = 0, r;

	for (be = 0; be < c->nbackends; be++) {
		snprintf(dir, sizeof(dir), "%s/snapshot/%" PRId64,
			 c->backends[be], job_id);
		r = rm_tree(dir);
		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/* ---- garbage collection ------------------------------------------------ */

struct strset {
	char **v;
	size_t n, cap;
};

static int strset_add(struct strset *s, const char *str)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(str);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool strset_has(const struct strset *s, const char *str)
{
	return s->n && bsearch(&str, s->v, s->n, sizeof(*s->v), str_cmp);
}

static void strset_release(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Keep "be/tablet/replica.gen", the path of a replica below tablets/. */
static int keep_cb(const struct record_replica *r, int64_t tablet, void *arg)
{
	char key[128];

	snprintf(key, sizeof(key), "%u/%" PRId64 "/%" PRId64 ".%" PRId64,
		 r->backend, tablet, r->id, r->gen);
	return strset_add(arg, key);
}

/* Remove the replica directories of backend @be that @keep lacks. */
static void gc_backend(const struct cluster *c, unsigned be,
		       const struct strset *keep)
{
	char path[PATH_MAX], key[PATH_MAX];
	struct dirent *td, *rd;
	DIR *tablets, *reps;

	snprintf(path, sizeof(path), "%s/tablets", c->backends[be]);
	tablets = opendir(path);
	if (!tablets)
		return;
	while ((td = readdir(tablets)) != NULL) {
		if (td->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/tablets/%s", c->backends[be],
			 td->d_name);
		reps = opendir(path);
		if (!reps)
			continue;
		while ((rd = readdir(reps)) != NULL) {
			if (rd->d_name[0] == '.')
				continue;
			snprintf(key, sizeof(key), "%u/%s/%s", be, td->d_name,
				 rd->d_name);
			if (strset_has(keep, key))
				continue;
			snprintf(key, sizeof(key), "%s/%s", path, rd->d_name);
			snap_log(LOG_INFO, "gc: removing %s", key);
			rm_tree(key);
		}
		closedir(reps);
		rmdir(path); /* fails unless now empty */
	}
	closedir(tablets);
}

int cluster_gc(struct cluster *c)
{
	struct strset keep = {0};
	struct catalog_txn *t = NULL;
	unsigned be;
	int rc;

	pthread_mutex_lock(&c->gc_lock);
	rc = catalog_begin(c->cat, false, &t);
	if (rc == 0) {
		rc = record_replica_refs(t, keep_cb, &keep);
		catalog_abort(t);
	}
	if (rc == 0 && keep.n > 1)
		qsort(keep.v, keep.n, sizeof(*keep.v), str_cmp);
	for (be = 0; rc == 0 && be < c->nbackends; be++)
		gc_backend(c, be, &keep);
	pthread_mutex_unlock(&c->gc_lock);
	strset_release(&keep);
	return rc;
}

/* ---- tables made by hand ------------------------------------------------- */

/* Open a transaction and load a table record, refusing busy ones (a
 * restore's shell, or a table a job holds). */
static int edit_begin(struct cluster *c, bool write, const char *db,
		      const char *table, struct catalog_txn **tp,
		      struct record_table *tbl)
{
	int rc = catalog_begin(c->cat, write, tp);

	if (rc < 0)
		return rc;
	rc = record_table_get(*tp, db, table, tbl);
	if (rc == 0 &&
	    (tbl->state != RECORD_TABLE_NORMAL || tbl->job_id != 0)) {
		record_table_release(tbl);
		rc = -EBUSY;
	}
	if (rc < 0) {
		catalog_abort(*tp);
		*tp = NULL;
	}
	return rc;
}

/* Store @tbl if @rc is 0 and end the transaction; releases @tbl. */
static int edit_end(struct catalog_txn *t, struct record_table *tbl, int rc)
{
	if (rc == 0)
		rc = record_table_put(t, tbl);
	record_table_release(tbl);
	if (rc < 0) {
		catalog_abort(t);
		return rc;
	}
	return catalog_commit(t);
}

/* Commit @t if @rc is 0, else abort it; returns the outcome. */
static int txn_end(struct catalog_txn *t, int rc)
{
	if (rc < 0) {
		catalog_abort(t);
		return rc;
	}
	return catalog_commit(t);
}

int cluster_create_db(struct cluster *c, const char *db)
{
	struct catalog_txn *t;
	struct record_db rec;
	int64_t id;
	int rc;

	if (!name_ok(db))
		return -EINVAL;
	rc = catalog_begin(c->cat, true, &t);
	if (rc < 0)
		return rc;
	rc = record_db_get(t, db, &rec);
	if (rc == 0) {
		record_db_release(&rec);
		rc = -EEXIST;
	} else if (rc == -ENOENT) {
		rc = catalog_alloc_ids(t, 1, &id);
		if (rc == 0) {
			rec = (struct record_db){.id = id, .name = (char *)db};
			rc = record_db_put(t, &rec);
		}
	}
	return txn_end(t, rc);
}

int cluster_create_table(struct cluster *c, const char *db, const char *table)
{
	struct catalog_txn *t;
	struct record_db dbrec;
	struct record_table tbl = {0};
	int64_t id;
	int rc;

	if (!name_ok(table))
		return -EINVAL;
	rc = catalog_begin(c->cat, true, &t);
	if (rc < 0)
		return rc;
	rc = record_db_get(t, db, &dbrec);
	if (rc == 0) {
		record_db_release(&dbrec);
		rc = record_table_get(t, db, table, &tbl);
		rc = rc == 0 ? -EEXIST : rc == -ENOENT ? 0 : rc;
	}
	if (rc == 0)
		rc = catalog_alloc_ids(t, 1, &id);
	if (rc == 0)
		rc = record_table_init(&tbl, id, db, table);
	if (rc == 0)
		rc = record_table_put(t, &tbl);
	record_table_release(&tbl);
	return txn_end(t, rc);
}

int cluster_create_partition(struct cluster *c, const char *db,
			     const char *table, const char *part)
{
	struct catalog_txn *t;
	struct record_table tbl;
	int64_t id;
	int rc;

	if (!name_ok(part))
		return -EINVAL;
	rc = edit_begin(c, true, db, table, &t, &tbl);
	if (rc < 0)
		return rc;
	rc = record_partition_find(&tbl, part, false)
		     ? -EEXIST
		     : catalog_alloc_ids(t, 1, &id);
	if (rc == 0 && !record_table_add_partition(&tbl, id, part, 1))
		rc = -ENOMEM;
	return edit_end(t, &tbl, rc);
}

/* The first index named @name in any partition of @tbl, or NULL. */
static const struct record_index *index_named(const struct record_table *tbl,
					      const char *name)
{
	const struct record_index *ix = NULL;
	size_t i;

	for (i = 0; i < tbl->nparts && !ix; i++)
		ix = record_index_find(&tbl->parts[i], name);
	return ix;
}

int cluster_create_index(struct cluster *c, const char *db, const char *table,
			 const char *part, const char *index)
{
	struct catalog_txn *t;
	struct record_table tbl;
	struct record_partition *p;
	const struct record_index *same;
	int64_t id = 0, hash = 0;
	int rc;

	if (!name_ok(index))
		return -EINVAL;
	rc = edit_begin(c, true, db, table, &t, &tbl);
	if (rc < 0)
		return rc;
	p = record_partition_find(&tbl, part, false);
	rc = !p ? -ENOENT : record_index_find(p, index) ? -EEXIST : 0;
	/* An index has one id (and schema hash) across the table's
	 * partitions. */
	same = index_named(&tbl, index);
	if (rc == 0 && same) {
		id = same->id;
		hash = (int)same->schema_hash;
	} else if (rc == 0) {
		rc = catalog_alloc_ids(t, 1, &id);
		hash = (int)(id * 2654435761u % 1000000007u);
	}
	if (rc == 0 && !record_partition_add_index(p, id, index, hash))
		rc = -ENOMEM;
	return edit_end(t, &tbl, rc);
}

/* Is tablet *@arg in table @tbl? */
static int tablet_used_cb(const struct record_table *tbl, void *arg)
{
	int64_t id = *(int64_t *)arg;
	size_t a, b;

	for (a = 0; a < tbl->nparts; a++)
		for (b = 0; b < tbl->parts[a].nindexes; b++)
			if (record_tablet_find(&tbl->parts[a].indexes[b], id))
				return -EEXIST;
	return 0;
}

int cluster_create_tablet(struct cluster *c, const char *db, const char *table,
			  const char *part, const char *index,
			  int64_t tablet_id)
{
	struct catalog_txn *t;
	struct record_table tbl;
	struct record_partition *p;
	struct record_index *ix;
	struct record_tablet *tab = NULL;
	struct record_replica *rep;
	int64_t rid;
	unsigned k, n = c->nbackends < 3 ? c->nbackends : 3;
	int rc;

	if (tablet_id <= 0)
		return -EINVAL;
	rc = edit_begin(c, true, db, table, &t, &tbl);
	if (rc < 0)
		return rc;
	p = record_partition_find(&tbl, part, false);
	ix = p ? record_index_find(p, index) : NULL;
	rc = ix ? record_table_scan(t, NULL, tablet_used_cb, &tablet_id)
		: -ENOENT;
	/* Keep allocated ids above hand-picked ones. */
	if (rc == 0)
		rc = catalog_reserve_id(t, tablet_id);
	if (rc == 0 && !(tab = record_index_add_tablet(ix, tablet_id)))
		rc = -ENOMEM;
	for (k = 0; rc == 0 && k < n; k++) {
		rc = catalog_alloc_ids(t, 1, &rid);
		rep = rc < 0 ? NULL
			     : record_tablet_add_replica(
				       tab, rid,
				       (unsigned)((tablet_id + k) %
						  c->nbackends),
				       0);
		if (rc == 0 && !rep)
			rc = -ENOMEM;
		if (rep)
			rep->has_files = true; /* written as "files": [] */
	}
	return edit_end(t, &tbl, rc);
}

int cluster_tablet_dir(struct cluster *c, const char *db, const char *table,
		       const char *part, const char *index, int64_t tablet_id,
		       const char *file, char *dir, size_t len)
{
	struct catalog_txn *t;
	struct record_table tbl;
	const struct record_tablet *tab;
	const struct record_replica *rep;
	int rc;

	rc = edit_begin(c, false, db, table, &t, &tbl);
	if (rc < 0)
		return rc;
	catalog_abort(t);
	tab = record_tablet_lookup(&tbl, part, index, tablet_id);
	rep = tab && tab->nreplicas ? &tab->replicas[0] : NULL;
	if (!rep)
		rc = -ENOENT;
	else if (record_file_find(rep, file))
		rc = -EEXIST;
	else
		rc = cluster_replica_path(c, tablet_id, rep, dir, len);
	if (rc == 0)
		rc = cluster_make_replica(c, rep->backend, tablet_id, rep->id,
					  rep->gen);
	record_table_release(&tbl);
	return rc;
}

/* Write all of @buf: a short write is retried, so the error that ends
 * it is the real one (ENOSPC, EIO, ...). */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	ssize_t n;
	int in, out, rc = 0;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		rc = n < 0 ? -errno : write_all(out, buf, (size_t)n);
	}
	if (rc == 0 && fsync(out) < 0)
		rc = -errno;
	close(in);
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		unlink(to);
	return rc;
}

int cluster_link_or_copy(const char *from, const char *to)
{
	if (link(from, to) == 0 || errno == EEXIST)
		return 0;
	/* A replica on another filesystem (backend_dirs on several disks). */
	return errno == EXDEV ? copy_file(from, to) : -errno;
}

int cluster_add_file(struct cluster *c, const char *db, const char *table,
		     const char *part, const char *index, int64_t tablet_id,
		     const char *file, const char *md5, uint64_t size)
{
	struct catalog_txn *t;
	struct record_table tbl;
	struct record_tablet *tab;
	struct record_replica *rep;
	char first[PATH_MAX], dir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
	size_t i;
	int rc;

	rc = edit_begin(c, true, db, table, &t, &tbl);
	if (rc < 0)
		return rc;
	tab = record_tablet_lookup(&tbl, part, index, tablet_id);
	rc = tab ? 0 : -ENOENT;
	for (i = 0; rc == 0 && i < tab->nreplicas; i++) {
		rep = &tab->replicas[i];
		if (record_file_find(rep, file))
			rc = -EEXIST;
		else
			rc = cluster_replica_path(c, tablet_id, rep,
						  i ? dir : first, PATH_MAX);
		/* The other replicas: the same bytes. */
		if (rc == 0 && i > 0)
			rc = mkdir_p(dir);
		if (rc == 0 && i > 0)
			rc = path_join(from, first, file);
		if (rc == 0 && i > 0)
			rc = path_join(to, dir, file);
		if (rc == 0 && i > 0)
			rc = cluster_link_or_copy(from, to);
		if (rc == 0 && !record_replica_add_file(rep, file, md5, size))
			rc = -ENOMEM;
	}
	return edit_end(t, &tbl, rc);
}
