/* SPDX-License-Identifier: MIT */
/*
 * clusterdir.c - cluster/: the local cluster's catalog as directories,
 * cluster/<db>/<table>/<partition>/<index>/<tablet>/<file>, listed anew
 * at every access (jobs change it). mkdir makes catalog entries at every
 * level; files are created in tablets (newfile.c).
 *
 * The catalog walk (records "db/<db>", "table/<db>/<table>" and the
 * table record's JSON) stays here until cluster/ has typed records.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "fs_int.h"
#include "jobs/jobs.h"

#include "base/banned.h"

/* node->sub: the depth below cluster/. */
enum {
	LVL_CLUSTER,
	LVL_DB,
	LVL_TABLE,
	LVL_PART,
	LVL_INDEX,
	LVL_TABLET,
};

static const struct node_ops cdir_ops, ctablet_ops;

/* The array of a record at each level that holds the next level. */
static const char *const kids_key[] = {
	[LVL_TABLE] = "partitions",
	[LVL_PART] = "indexes",
	[LVL_INDEX] = "tablets",
	[LVL_TABLET] = "replicas",
};

static struct proto *cdir_proto(struct snapfs *fs, struct protolist *pl,
				const char *name, int level)
{
	struct proto *p = proto_dir(
		pl, name, level == LVL_TABLET ? &ctablet_ops : &cdir_ops,
		fs->mounted_at);

	if (p)
		p->sub = level;
	return p;
}

struct scan_names {
	struct snapfs *fs;
	struct protolist *pl;
	int level;
	size_t skip; /* key prefix length */
};

static int scan_names_cb(const char *key, json_t *val, void *arg)
{
	struct scan_names *sn = arg;

	return cdir_proto(sn->fs, sn->pl, key + sn->skip, sn->level) ? 0
								     : -ENOMEM;
}

static int cluster_scan(struct snapfs *fs, const char *prefix, int level,
			struct protolist *pl)
{
	struct scan_names sn = {fs, pl, level, strlen(prefix)};
	struct catalog_txn *t;
	int rc;

	rc = catalog_begin(cluster_catalog(fs->cl), false, &t);
	if (rc < 0)
		return rc;
	rc = catalog_scan(t, prefix, scan_names_cb, &sn);
	catalog_abort(t);
	return rc;
}

/* The table directory a cluster node is in (or is). */
static struct node *table_of(struct node *n)
{
	while (n && n->sub != LVL_TABLE)
		n = n->parent;
	return n;
}

/* The catalog record of the table a cluster node is in. */
static int table_record(struct snapfs *fs, struct node *n, json_t **out)
{
	struct catalog_txn *t;
	char key[1024];
	int rc;

	n = table_of(n);
	if (!n)
		return -ENOENT;
	snprintf(key, sizeof(key), "table/%s/%s", n->parent->name, n->name);
	rc = catalog_begin(cluster_catalog(fs->cl), false, &t);
	if (rc < 0)
		return rc;
	rc = catalog_get(t, key, out);
	catalog_abort(t);
	return rc;
}

/* The element of @arr whose "name" (or, for tablets, "id") is @name. */
static json_t *element(json_t *arr, const char *name, bool by_id)
{
	char id[32];
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v) {
		const char *nm = json_string_value(json_object_get(v, "name"));

		if (by_id) {
			snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(v, "id")));
			nm = id;
		}
		if (nm && strcmp(nm, name) == 0)
			return v;
	}
	return NULL;
}

/* Keep files still being written (not in the catalog yet) listed. */
static int keep_writing(struct snapfs *fs, struct node *dir,
			struct protolist *pl)
{
	size_t i, k;
	int rc = 0;

	pthread_mutex_lock(&fs->lock);
	for (i = 0; i < dir->nkids && rc == 0; i++) {
		struct node *n = dir->kids[i];

		if (n->writers == 0)
			continue;
		for (k = 0; k < pl->n; k++)
			if (strcmp(pl->v[k].name, n->name) == 0)
				break;
		if (k == pl->n && !object_local_proto(pl, n->name, n->key,
						      n->size, n->mtime, NULL))
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static int ctablet_files(struct snapfs *fs, struct node *dir, json_t *reps,
			 struct protolist *pl)
{
	json_t *rep = json_array_get(reps, 0), *f;
	char rdir[4096], path[4352];
	size_t i;
	int rc;

	/* Every replica holds the same files: show the first. */
	rc = cluster_replica_dir(
		fs->cl,
		(unsigned)json_integer_value(json_object_get(rep, "backend")),
		strtoll(dir->name, NULL, 10),
		json_integer_value(json_object_get(rep, "id")),
		json_integer_value(json_object_get(rep, "gen")), rdir,
		sizeof(rdir));
	if (rc < 0)
		return rc;
	json_array_foreach (json_object_get(rep, "files"), i, f) {
		const char *name =
			json_string_value(json_object_get(f, "name"));
		const char *md5 = json_string_value(json_object_get(f, "md5"));

		if (!name)
			return -ENOMEM;
		snprintf(path, sizeof(path), "%s/%s", rdir, name);
		if (!object_local_proto(pl, name, path,
					(uint64_t)json_integer_value(
						json_object_get(f, "size")),
					fs->mounted_at, md5 ? md5 : ""))
			return -ENOMEM;
	}
	return keep_writing(fs, dir, pl);
}

/* Walk the table record down to @dir: the array of @dir's children. */
static int walk_to(json_t *tbl, struct node *dir, json_t **out)
{
	struct node *path[LVL_TABLET], *n;
	json_t *arr = json_object_get(tbl, kids_key[LVL_TABLE]), *v;
	size_t depth = 0;

	for (n = dir; n->sub != LVL_TABLE && depth < LVL_TABLET; n = n->parent)
		path[depth++] = n;
	while (depth-- > 0) {
		n = path[depth];
		v = element(arr, n->name, n->sub == LVL_TABLET);
		if (!v)
			return -ENOENT;
		arr = json_object_get(v, kids_key[n->sub]);
	}
	*out = arr;
	return 0;
}

/* Partitions, indexes, tablets and files: from the table's record. */
static int table_level_fill(struct snapfs *fs, struct node *dir,
			    struct protolist *pl)
{
	json_t *tbl = NULL, *arr, *v;
	const char *state;
	char id[32];
	size_t i;
	int rc;

	rc = table_record(fs, dir, &tbl);
	if (rc < 0)
		return rc;
	/* Created by a restore and not committed yet: visible, not
	 * accessible. */
	state = json_string_value(json_object_get(tbl, "state"));
	rc = !state || strcmp(state, "NORMAL") != 0 ? -EBUSY
						    : walk_to(tbl, dir, &arr);
	if (rc == 0 && dir->sub == LVL_TABLET)
		rc = ctablet_files(fs, dir, arr, pl);
	else if (rc == 0)
		json_array_foreach (arr, i, v) {
			const char *name =
				json_string_value(json_object_get(v, "name"));

			if (dir->sub == LVL_INDEX) { /* tablets: by id */
				snprintf(id, sizeof(id),
					 "%" JSON_INTEGER_FORMAT,
					 json_integer_value(
						 json_object_get(v, "id")));
				name = id;
			}
			if (!name || !cdir_proto(fs, pl, name, dir->sub + 1)) {
				rc = -ENOMEM;
				break;
			}
		}
	json_decref(tbl);
	return rc;
}

static int cdir_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	char prefix[600];

	if (dir->sub == LVL_CLUSTER)
		return cluster_scan(fs, "db/", LVL_DB, pl);
	if (dir->sub == LVL_DB) {
		snprintf(prefix, sizeof(prefix), "table/%s/", dir->name);
		return cluster_scan(fs, prefix, LVL_TABLE, pl);
	}
	return table_level_fill(fs, dir, pl);
}

/* ---- mkdir ------------------------------------------------------------- */

static int mkdir_db(struct snapfs *fs, struct node *dir, const char *name)
{
	return cluster_create_db(fs->cl, name);
}

static int mkdir_table(struct snapfs *fs, struct node *dir, const char *name)
{
	return cluster_create_table(fs->cl, dir->name, name);
}

static int mkdir_part(struct snapfs *fs, struct node *dir, const char *name)
{
	return cluster_create_partition(fs->cl, dir->parent->name, dir->name,
					name);
}

static int mkdir_index(struct snapfs *fs, struct node *dir, const char *name)
{
	return cluster_create_index(fs->cl, dir->parent->parent->name,
				    dir->parent->name, dir->name, name);
}

static int mkdir_tablet(struct snapfs *fs, struct node *dir, const char *name)
{
	const struct node *t = table_of(dir);
	char *end;
	long long id;

	/* A tablet directory is named by its id. */
	errno = 0;
	id = strtoll(name, &end, 10);
	if (*end || errno || id <= 0) {
		snap_log(LOG_INFO,
			 "mkdir %s: tablet directories are named by tablet id "
			 "(a number)",
			 name);
		return -EINVAL;
	}
	return cluster_create_tablet(fs->cl, t->parent->name, t->name,
				     dir->parent->name, dir->name, id);
}

/* mkdir in a directory of each level. */
static int (*const mkdir_in[])(struct snapfs *, struct node *, const char *) = {
	[LVL_CLUSTER] = mkdir_db,   [LVL_DB] = mkdir_table,
	[LVL_TABLE] = mkdir_part,   [LVL_PART] = mkdir_index,
	[LVL_INDEX] = mkdir_tablet,
};

static int cdir_mkdir(struct snapfs *fs, struct node *dir, const char *name)
{
	const struct node *t = table_of(dir);

	/* Below a table, the table must not be held by a job. */
	if (t && jobs_table_busy(fs->jobs, t->parent->name, t->name))
		return -EBUSY;
	return mkdir_in[dir->sub](fs, dir, name);
}

static const struct node_ops cdir_ops = {
	.mode = S_IFDIR | 0555,
	.flags = NODE_VOLATILE,
	.fill = cdir_fill,
	.due = node_due_always,
	.mkdir = cdir_mkdir,
};

static const struct node_ops ctablet_ops = {
	.mode = S_IFDIR | 0555,
	.flags = NODE_VOLATILE,
	.fill = cdir_fill,
	.due = node_due_always,
	.create = newfile_create,
};

struct proto *clusterdir_proto(struct snapfs *fs, struct protolist *pl)
{
	struct proto *p = cdir_proto(fs, pl, "cluster", LVL_CLUSTER);

	if (p)
		p->fixed = true;
	return p;
}
