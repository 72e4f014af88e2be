/* SPDX-License-Identifier: MIT */
/*
 * cluster.c - data directories and replica generations of the local
 * cluster.
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

/* Add "be/tablet/replica.gen" for every replica object in @replicas. */
static int add_replicas(struct strset *s, int64_t tablet, json_t *replicas)
{
	char key[128];
	json_t *r;
	size_t i;
	int rc;

	json_array_foreach (replicas, i, r) {
		snprintf(key, sizeof(key),
			 "%" JSON_INTEGER_FORMAT "/%" PRId64
			 "/%" JSON_INTEGER_FORMAT ".%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(r, "backend")),
			 tablet, json_integer_value(json_object_get(r, "id")),
			 json_integer_value(json_object_get(r, "gen")));
		rc = strset_add(s, key);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Tablets anywhere inside @j: objects with "id" and "replicas". */
static int add_tablets(struct strset *s, json_t *j)
{
	json_t *v;
	const char *k;
	size_t i;
	int rc = 0;

	if (json_is_object(j)) {
		json_t *reps = json_object_get(j, "replicas");

		if (json_is_array(reps)) {
			rc = add_replicas(
				s, json_integer_value(json_object_get(j, "id")),
				reps);
			if (rc < 0)
				return rc;
		}
		json_object_foreach (j, k, v) {
			rc = add_tablets(s, v);
			if (rc < 0)
				return rc;
		}
	} else if (json_is_array(j)) {
		json_array_foreach (j, i, v) {
			rc = add_tablets(s, v);
			if (rc < 0)
				return rc;
		}
	}
	return rc;
}

static int gc_table_cb(const char *key, json_t *val, void *arg)
{
	return add_tablets(arg, val);
}

static int gc_job_cb(const char *key, json_t *val, void *arg)
{
	/* A finished or cancelled job's new replicas are either in a table
	 * record now or garbage. */
	if (json_is_true(json_object_get(val, "done")))
		return 0;
	return add_tablets(arg, json_object_get(val, "plan"));
}

int cluster_gc(struct cluster *c)
{
	struct strset keep = {0};
	struct catalog_txn *t = NULL;
	char path[PATH_MAX], key[PATH_MAX];
	struct dirent *td, *rd;
	DIR *tablets, *reps;
	unsigned be;
	int rc;
	pthread_mutex_lock(&c->gc_lock);
	rc = catalog_begin(c->cat, false, &t);
	if (rc < 0) {
		pthread_mutex_unlock(&c->gc_lock);
		return rc;
	}
	rc = catalog_scan(t, "table/", gc_table_cb, &keep);
	if (rc == 0)
		rc = catalog_scan(t, "job/", gc_job_cb, &keep);
	catalog_abort(t);
	if (rc < 0)
		goto out;
	if (keep.n > 1)
		qsort(keep.v, keep.n, sizeof(*keep.v), str_cmp);
	for (be = 0; be < c->nbackends; be++) {
		snprintf(path, sizeof(path), "%s/tablets", c->backends[be]);
		tablets = opendir(path);
		if (!tablets)
			continue;
		while ((td = readdir(tablets)) != NULL) {
			if (td->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/tablets/%s",
				 c->backends[be], td->d_name);
			reps = opendir(path);
			if (!reps)
				continue;
			while ((rd = readdir(reps)) != NULL) {
				if (rd->d_name[0] == '.')
					continue;
				snprintf(key, sizeof(key), "%u/%s/%s", be,
					 td->d_name, rd->d_name);
				if (strset_has(&keep, key))
					continue;
				snprintf(key, sizeof(key), "%s/%s", path,
					 rd->d_name);
				snap_log(LOG_INFO, "gc: removing %s", key);
				rm_tree(key);
			}
			closedir(reps);
			rmdir(path); /* fails unless now empty */
		}
		closedir(tablets);
	}
out:
	pthread_mutex_unlock(&c->gc_lock);
	strset_release(&keep);
	return rc;
}

/* ---- tables made by hand ------------------------------------------------- */

/* Open a write transaction and load a table record, refusing busy ones. */
static int edit_begin(struct cluster *c, const char *db, const char *table,
		      struct catalog_txn **tp, json_t **tblp, char *key,
		      size_t klen)
{
	const char *state;
	int rc;

	snprintf(key, klen, "table/%s/%s", db, table);
	rc = catalog_begin(c->cat, true, tp);
	if (rc < 0)
		return rc;
	rc = catalog_get(*tp, key, tblp);
	if (rc < 0)
		goto fail;
	state = json_string_value(json_object_get(*tblp, "state"));
	if (!state || strcmp(state, "NORMAL") != 0 ||
	    json_integer_value(json_object_get(*tblp, "job_id")) != 0) {
		json_decref(*tblp);
		rc = -EBUSY;
		goto fail;
	}
	return 0;
fail:
	catalog_abort(*tp);
	*tp = NULL;
	return rc;
}

static int edit_commit(struct catalog_txn *t, const char *key, json_t *tbl)
{
	int rc = catalog_put(t, key, tbl);

	json_decref(tbl);
	if (rc < 0) {
		catalog_abort(t);
		return rc;
	}
	return catalog_commit(t);
}

int cluster_create_db(struct cluster *c, const char *db)
{
	struct catalog_txn *t;
	char key[600];
	json_t *rec;
	int64_t id;
	int rc;

	if (!name_ok(db))
		return -EINVAL;
	snprintf(key, sizeof(key), "db/%s", db);
	rc = catalog_begin(c->cat, true, &t);
	if (rc < 0)
		return rc;
	rc = catalog_get(t, key, &rec);
	if (rc == 0) {
		json_decref(rec);
		rc = -EEXIST;
	} else if (rc == -ENOENT) {
		rc = catalog_alloc_ids(t, 1, &id);
		rec = rc == 0 ? json_pack("{s:I, s:s}", "id", (json_int_t)id,
					  "name", db)
			      : NULL;
		if (rc == 0)
			rc = rec ? catalog_put(t, key, rec) : -ENOMEM;
		json_decref(rec);
	}
	if (rc < 0) {
		catalog_abort(t);
		return rc;
	}
	return catalog_commit(t);
}

int cluster_create_table(struct cluster *c, const char *db, const char *table)
{
	struct catalog_txn *t;
	char key[600];
	json_t *rec;
	int64_t id;
	int rc;

	if (!name_ok(table))
		return -EINVAL;
	rc = catalog_begin(c->cat, true, &t);
	if (rc < 0)
		return rc;
	snprintf(key, sizeof(key), "db/%s", db);
	rc = catalog_get(t, key, &rec);
	json_decref(rc == 0 ? rec : NULL);
	if (rc < 0)
		goto out;
	snprintf(key, sizeof(key), "table/%s/%s", db, table);
	rc = catalog_get(t, key, &rec);
	if (rc == 0) {
		json_decref(rec);
		rc = -EEXIST;
		goto out;
	}
	if (rc != -ENOENT)
		goto out;
	rc = catalog_alloc_ids(t, 1, &id);
	if (rc < 0)
		goto out;
	rec = json_pack("{s:I, s:s, s:s, s:s, s:[]}", "id", (json_int_t)id,
			"name", table, "db", db, "state", "NORMAL",
			"partitions");
	rc = rec ? catalog_put(t, key, rec) : -ENOMEM;
	json_decref(rec);
out:
	if (rc < 0) {
		catalog_abort(t);
		return rc;
	}
	return catalog_commit(t);
}

int cluster_create_partition(struct cluster *c, const char *db,
			     const char *table, const char *part)
{
	struct catalog_txn *t;
	json_t *tbl, *parts;
	char key[600];
	int64_t id;
	int rc;

	if (!name_ok(part))
		return -EINVAL;
	rc = edit_begin(c, db, table, &t, &tbl, key, sizeof(key));
	if (rc < 0)
		return rc;
	parts = json_object_get(tbl, "partitions");
	rc = catalog_find_named(parts, part, false)
		     ? -EEXIST
		     : catalog_alloc_ids(t, 1, &id);
	if (rc == 0)
		rc = json_array_append_new(
			     parts, json_pack("{s:I, s:s, s:i, s:[]}", "id",
					      (json_int_t)id, "name", part,
					      "version", 1, "indexes"))
			     ? -ENOMEM
			     : 0;
	if (rc < 0) {
		json_decref(tbl);
		catalog_abort(t);
		return rc;
	}
	return edit_commit(t, key, tbl);
}

int cluster_create_index(struct cluster *c, const char *db, const char *table,
			 const char *part, const char *index)
{
	struct catalog_txn *t;
	json_t *tbl, *p, *ix, *same = NULL;
	char key[600];
	int64_t id = 0;
	size_t i;
	int rc;

	if (!name_ok(index))
		return -EINVAL;
	rc = edit_begin(c, db, table, &t, &tbl, key, sizeof(key));
	if (rc < 0)
		return rc;
	p = catalog_find_named(json_object_get(tbl, "partitions"), part, false);
	rc = !p ? -ENOENT
	     : catalog_find_named(json_object_get(p, "indexes"), index, false)
		     ? -EEXIST
		     : 0;
	/* An index has one id across the table's partitions. */
	json_array_foreach (json_object_get(tbl, "partitions"), i, ix)
		if (!same)
			same = catalog_find_named(
				json_object_get(ix, "indexes"), index, false);
	if (rc == 0 && same)
		id = json_integer_value(json_object_get(same, "id"));
	else if (rc == 0)
		rc = catalog_alloc_ids(t, 1, &id);
	if (rc == 0)
		rc = json_array_append_new(
			     json_object_get(p, "indexes"),
			     json_pack("{s:I, s:s, s:i, s:[]}", "id",
				       (json_int_t)id, "name", index,
				       "schema_hash",
				       same ? (int)json_integer_value(
						      json_object_get(
							      same,
							      "schema_hash"))
					    : (int)(id * 2654435761u %
						    1000000007u),
				       "tablets"))
			     ? -ENOMEM
			     : 0;
	if (rc < 0) {
		json_decref(tbl);
		catalog_abort(t);
		return rc;
	}
	return edit_commit(t, key, tbl);
}

/* Is tablet @id used anywhere in the catalog? */
static int tablet_used_cb(const char *key, json_t *val, void *arg)
{
	int64_t id = *(int64_t *)arg;
	json_t *p, *ix, *tab;
	size_t a, b, c2;

	json_array_foreach (json_object_get(val, "partitions"), a, p)
		json_array_foreach (json_object_get(p, "indexes"), b, ix)
			json_array_foreach (json_object_get(ix, "tablets"), c2,
					    tab)
				if (json_integer_value(
					    json_object_get(tab, "id")) == id)
					return -EEXIST;
	return 0;
}

int cluster_create_tablet(struct cluster *c, const char *db, const char *table,
			  const char *part, const char *index,
			  int64_t tablet_id)
{
	struct catalog_txn *t;
	json_t *tbl, *p, *ix, *reps = NULL, *next = NULL;
	char key[600];
	int64_t rid;
	unsigned k, n = c->nbackends < 3 ? c->nbackends : 3;
	int rc;

	if (tablet_id <= 0)
		return -EINVAL;
	rc = edit_begin(c, db, table, &t, &tbl, key, sizeof(key));
	if (rc < 0)
		return rc;
	p = catalog_find_named(json_object_get(tbl, "partitions"), part, false);
	ix = p ? catalog_find_named(json_object_get(p, "indexes"), index, false)
	       : NULL;
	rc = ix ? catalog_scan(t, "table/", tablet_used_cb, &tablet_id)
		: -ENOENT;
	/* Keep allocated ids above hand-picked ones. */
	if (rc == 0 && catalog_get(t, "meta/next_id", &next) == 0 &&
	    json_integer_value(next) <= tablet_id) {
		json_t *nv = json_integer(tablet_id + 1);

		rc = nv ? catalog_put(t, "meta/next_id", nv) : -ENOMEM;
		json_decref(nv);
	}
	json_decref(next);
	if (rc == 0)
		reps = json_array();
	for (k = 0; rc == 0 && k < n; k++) {
		rc = catalog_alloc_ids(t, 1, &rid);
		if (rc == 0)
			json_array_append_new(
				reps,
				json_pack("{s:I, s:i, s:i, s:[]}", "id",
					  (json_int_t)rid, "backend",
					  (int)((tablet_id + k) % c->nbackends),
					  "gen", 0, "files"));
	}
	if (rc == 0)
		rc = json_array_append_new(json_object_get(ix, "tablets"),
					   json_pack("{s:I, s:O}", "id",
						     (json_int_t)tablet_id,
						     "replicas", reps))
			     ? -ENOMEM
			     : 0;
	json_decref(reps);
	if (rc < 0) {
		json_decref(tbl);
		catalog_abort(t);
		return rc;
	}
	return edit_commit(t, key, tbl);
}

/* The tablet object inside a table record. */
static json_t *find_tablet(json_t *tbl, const char *part, const char *index,
			   int64_t tablet_id)
{
	json_t *p = catalog_find_named(json_object_get(tbl, "partitions"), part,
				       false);
	json_t *ix = p ? catalog_find_named(json_object_get(p, "indexes"),
					    index, false)
		       : NULL;

	return ix ? catalog_find_id(json_object_get(ix, "tablets"), tablet_id)
		  : NULL;
}

int cluster_tablet_dir(struct cluster *c, const char *db, const char *table,
		       const char *part, const char *index, int64_t tablet_id,
		       const char *file, char *dir, size_t len)
{
	struct catalog_txn *t;
	json_t *tbl, *tab, *rep;
	char key[600];
	int rc;

	rc = edit_begin(c, db, table, &t, &tbl, key, sizeof(key));
	if (rc < 0)
		return rc;
	catalog_abort(t);
	tab = find_tablet(tbl, part, index, tablet_id);
	rep = tab ? json_array_get(json_object_get(tab, "replicas"), 0) : NULL;
	if (!rep)
		rc = -ENOENT;
	else if (catalog_find_named(json_object_get(rep, "files"), file, false))
		rc = -EEXIST;
	else
		rc = cluster_replica_dir(
			c,
			(unsigned)json_integer_value(
				json_object_get(rep, "backend")),
			tablet_id,
			json_integer_value(json_object_get(rep, "id")),
			json_integer_value(json_object_get(rep, "gen")), dir,
			len);
	if (rc == 0)
		rc = cluster_make_replica(
			c,
			(unsigned)json_integer_value(
				json_object_get(rep, "backend")),
			tablet_id,
			json_integer_value(json_object_get(rep, "id")),
			json_integer_value(json_object_get(rep, "gen")));
	json_decref(tbl);
	return rc;
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
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0 && rc == 0)
		rc = -errno;
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
	json_t *tbl, *tab, *rep, *entry;
	char key[600], first[PATH_MAX], dir[PATH_MAX], from[PATH_MAX + 256],
		to[PATH_MAX + 256];
	size_t i;
	int rc;

	rc = edit_begin(c, db, table, &t, &tbl, key, sizeof(key));
	if (rc < 0)
		return rc;
	tab = find_tablet(tbl, part, index, tablet_id);
	rc = tab ? 0 : -ENOENT;
	json_array_foreach (tab ? json_object_get(tab, "replicas") : NULL, i,
			    rep) {
		if (rc < 0)
			break;
		if (catalog_find_named(json_object_get(rep, "files"), file,
				       false)) {
			rc = -EEXIST;
			break;
		}
		rc = cluster_replica_dir(
			c,
			(unsigned)json_integer_value(
				json_object_get(rep, "backend")),
			tablet_id,
			json_integer_value(json_object_get(rep, "id")),
			json_integer_value(json_object_get(rep, "gen")), dir,
			sizeof(dir));
		if (rc < 0)
			break;
		if (i == 0) {
			snprintf(first, sizeof(first), "%s", dir);
		} else {
			/* The other replicas: the same bytes. */
			rc = mkdir_p(dir);
			snprintf(from, sizeof(from), "%s/%s", first, file);
			snprintf(to, sizeof(to), "%s/%s", dir, file);
			if (rc == 0)
				rc = cluster_link_or_copy(from, to);
			if (rc < 0)
				break;
		}
		entry = json_pack("{s:s, s:s, s:I}", "name", file, "md5", md5,
				  "size", (json_int_t)size);
		if (!entry || json_array_append_new(
				      json_object_get(rep, "files"), entry) < 0)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		json_decref(tbl);
		catalog_abort(t);
		return rc;
	}
	return edit_commit(t, key, tbl);
}
