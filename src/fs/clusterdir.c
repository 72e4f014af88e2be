/* SPDX-License-Identifier: MIT */
/*
 * clusterdir.c - cluster/: the local cluster's catalog as directories,
 * cluster/<db>/<table>/<partition>/<index>/<tablet>/<file>, listed anew
 * at every access (jobs change it). mkdir makes catalog entries at every
 * level; files are created in tablets (newfile.c).
 *
 * Everything comes from the catalog's typed records (cluster/record.h):
 * this file knows the levels of a table (partition, index, tablet,
 * replica, file) but not how the catalog stores them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
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

struct name_fill {
	struct snapfs *fs;
	struct protolist *pl;
	int level;
};

static int name_cb(const char *name, void *arg)
{
	struct name_fill *nf = arg;

	return cdir_proto(nf->fs, nf->pl, name, nf->level) ? 0 : -ENOMEM;
}

/* cluster/ lists the databases, cluster/<db>/ its tables: names only. */
static int names_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct name_fill nf = {fs, pl, dir->sub + 1};
	struct catalog_txn *t;
	int rc;

	rc = catalog_begin(cluster_catalog(fs->cl), false, &t);
	if (rc < 0)
		return rc;
	if (dir->sub == LVL_CLUSTER)
		rc = record_db_names(t, name_cb, &nf);
	else
		rc = record_table_names(t, dir->name, name_cb, &nf);
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

/* A tablet's files: every replica holds the same ones, show the first's
 * (and the files still being written into it). */
static int tablet_files(struct snapfs *fs, struct node *dir,
			const struct record_tablet *tab, struct protolist *pl)
{
	const struct record_replica *rep = tab->replicas;
	char rdir[4096], path[4352];
	size_t i;
	int rc;

	if (tab->nreplicas == 0)
		return keep_writing(fs, dir, pl);
	rc = cluster_replica_path(fs->cl, tab->id, rep, rdir, sizeof(rdir));
	if (rc < 0)
		return rc;
	for (i = 0; i < rep->nfiles; i++) {
		const struct record_file *f = &rep->files[i];

		snprintf(path, sizeof(path), "%s/%s", rdir, f->name);
		if (!object_local_proto(pl, f->name, path, f->size,
					fs->mounted_at, f->md5 ? f->md5 : ""))
			return -ENOMEM;
	}
	return keep_writing(fs, dir, pl);
}

/* The element of @tbl that directory @dir (a partition, index or tablet
 * directory, or the table's own) stands for, found by the names on the
 * way down: *part, *ix and *tab are set as deep as @dir goes. */
struct table_pos {
	const struct record_partition *part;
	const struct record_index *ix;
	const struct record_tablet *tab;
};

static int table_walk(const struct record_table *tbl, const struct node *dir,
		      struct table_pos *pos)
{
	const struct node *path[LVL_TABLET + 1], *n;
	size_t depth = 0;

	memset(pos, 0, sizeof(*pos));
	for (n = dir; n->sub != LVL_TABLE; n = n->parent)
		path[depth++] = n;
	while (depth-- > 0) {
		n = path[depth];
		if (n->sub == LVL_PART)
			pos->part = record_partition_find(tbl, n->name, false);
		else if (n->sub == LVL_INDEX)
			pos->ix = record_index_find(pos->part, n->name);
		else
			pos->tab = record_tablet_find_name(pos->ix, n->name);
		if (!pos->part || (n->sub >= LVL_INDEX && !pos->ix) ||
		    (n->sub == LVL_TABLET && !pos->tab))
			return -ENOENT;
	}
	return 0;
}

/* The children of @dir at @pos: partitions, indexes or tablets. */
static int table_kids(struct snapfs *fs, const struct record_table *tbl,
		      const struct node *dir, const struct table_pos *pos,
		      struct protolist *pl)
{
	char id[32];
	size_t i;

	if (dir->sub == LVL_TABLE)
		for (i = 0; i < tbl->nparts; i++)
			if (!cdir_proto(fs, pl, tbl->parts[i].name, LVL_PART))
				return -ENOMEM;
	if (dir->sub == LVL_PART)
		for (i = 0; i < pos->part->nindexes; i++)
			if (!cdir_proto(fs, pl, pos->part->indexes[i].name,
					LVL_INDEX))
				return -ENOMEM;
	if (dir->sub == LVL_INDEX)
		for (i = 0; i < pos->ix->ntablets; i++) {
			/* Tablet directories are named by id. */
			snprintf(id, sizeof(id), "%" PRId64,
				 pos->ix->tablets[i].id);
			if (!cdir_proto(fs, pl, id, LVL_TABLET))
				return -ENOMEM;
		}
	return 0;
}

/* Partitions, indexes, tablets and files: from the table's record. */
static int table_level_fill(struct snapfs *fs, struct node *dir,
			    struct protolist *pl)
{
	const struct node *t = table_of(dir);
	struct record_table tbl;
	struct table_pos pos;
	int rc;

	rc = record_table_read(cluster_catalog(fs->cl), t->parent->name,
			       t->name, &tbl);
	if (rc < 0)
		return rc;
	/* Created by a restore and not committed yet: visible, not
	 * accessible. */
	rc = tbl.state != RECORD_TABLE_NORMAL ? -EBUSY
					      : table_walk(&tbl, dir, &pos);
	if (rc == 0 && dir->sub == LVL_TABLET)
		rc = tablet_files(fs, dir, pos.tab, pl);
	else if (rc == 0)
		rc = table_kids(fs, &tbl, dir, &pos, pl);
	record_table_release(&tbl);
	return rc;
}

static int cdir_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	if (dir->sub == LVL_CLUSTER || dir->sub == LVL_DB)
		return names_fill(fs, dir, pl);
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
