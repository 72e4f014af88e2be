/* SPDX-License-Identifier: MIT */
/*
 * snapshots.c - the repository as snapshots: snapshots/<label>/ with its
 * status and latest link, <timestamp>/ with info, meta, meta.json and
 * status, then <db>/<table>/<partition>/<index>/<tablet>/ with the data
 * files (objects, object.c). The levels below a timestamp come from its
 * info object, loaded once (snap.c): they never change and are listed
 * once.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_int.h"
#include "jobs/jobs.h"
#include "repo/repo.h"

#include "base/banned.h"

static const struct node_ops label_ops, link_ops, ts_ops, db_ops, table_ops,
	part_ops, index_ops, tablet_ops;

/* ---- snapshots/ -------------------------------------------------------- */

static int label_cb(const struct repo_label_ref *ref, void *arg)
{
	void **a = arg;
	struct snapfs *fs = a[0];
	struct protolist *pl = a[1];
	struct proto *p;

	/* An unsafe label is shown under its stored name, never hidden. */
	p = proto_dir(pl, ref->label ? ref->label : ref->dir, &label_ops,
		      fs->mounted_at);
	if (!p || !(p->key = strdup(ref->dir)))
		return -ENOMEM;
	return 0;
}

static int snapshots_fill(struct snapfs *fs, struct node *dir,
			  struct protolist *pl)
{
	void *a[2] = {fs, pl};

	return repo_list_labels(fs->repo, label_cb, a);
}

static const struct node_ops snapshots_ops = {
	.mode = S_IFDIR | 0555,
	.fill = snapshots_fill,
	.due = node_due_ttl,
};

struct proto *snapshots_proto(struct snapfs *fs, struct protolist *pl)
{
	struct proto *p =
		proto_dir(pl, "snapshots", &snapshots_ops, fs->mounted_at);

	if (p)
		p->fixed = true;
	return p;
}

/* ---- snapshots/<label>/ ------------------------------------------------ */

/* One timestamp directory; its snap is the old node's if there is one. */
static int label_add_ts(struct snapfs *fs, struct node *dir,
			struct protolist *pl, struct label *l, size_t i)
{
	const struct repo_ts *t = &l->rl->ts[i];
	struct node *old;
	struct proto *p;

	p = proto_dir(pl, t->name, &ts_ops, t->info_mtime);
	if (!p)
		return -ENOMEM;
	p->ready = false;
	/* The old node stays listed until our merge keeps it (fs_int.h). */
	pthread_mutex_lock(&fs->lock);
	old = node_kid_find(dir, t->name);
	if (old && old->ops == &ts_ops)
		p->snap = old->snap;
	pthread_mutex_unlock(&fs->lock);
	if (!p->snap) {
		p->snap = snap_new(l, i);
		p->priv = p->snap; /* owned by the new node */
	}
	return p->snap ? 0 : -ENOMEM;
}

static int label_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct label *l = NULL;
	const char *latest = NULL;
	struct proto *p;
	size_t i;
	int rc;

	rc = label_load(fs, dir->key, &l);
	if (rc == -ENOENT)
		return 0; /* the label went away: empty */
	if (rc < 0)
		return rc;
	for (i = 0; i < l->rl->nts && rc == 0; i++)
		rc = label_add_ts(fs, dir, pl, l, i);
	/* latest: the newest timestamp whose snapshot is complete, its
	 * meta included. Older ones are not read. */
	for (i = pl->n; rc == 0 && i-- > 0;)
		if (snap_ok(fs, pl->v[i].snap)) {
			latest = pl->v[i].name;
			break;
		}
	if (rc == 0 && latest) {
		p = proto_add(pl, "latest", &link_ops);
		if (!p || !(p->text = strdup(latest)))
			rc = -ENOMEM;
		else
			p->size = strlen(latest);
		if (p)
			p->mtime = fs->mounted_at;
	}
	if (rc == 0 &&
	    !text_proto(pl, "status",
			text_printf("%s\nlabel: %s\ntimestamps: %zu\nlatest: "
				    "%s\n",
				    latest || l->rl->nts == 0
					    ? l->rl->status
					    : "INVALID: no timestamp holds a "
					      "complete snapshot",
				    l->rl->label, l->rl->nts,
				    latest ? latest : "(none)"),
			fs->mounted_at))
		rc = -ENOMEM;
	label_put(l);
	return rc;
}

/* rmdir snapshots/<label>/<ts>: drop that snapshot from the repository,
 * through the control plane, which says why in control/last_error. */
static int label_rmdir(struct snapfs *fs, struct node *dir, const char *name)
{
	struct node *n;
	int rc;

	if (!fs->ctl)
		return -EROFS;
	rc = node_lookup_default(fs, dir, name, &n);
	if (rc < 0)
		return rc;
	rc = n->ops == &ts_ops ? 0 : S_ISDIR(n->ops->mode) ? -EROFS : -ENOTDIR;
	node_put(fs, n);
	if (rc < 0)
		return rc;
	return control_drop_snapshot(fs->ctl, dir->key + strlen("__ss_"), name);
}

static const struct node_ops label_ops = {
	.mode = S_IFDIR | 0555,
	.fill = label_fill,
	.due = node_due_ttl,
	.rmdir = label_rmdir,
};

static int link_readlink(struct snapfs *fs, struct node *n, char *buf,
			 size_t size)
{
	int rc = 0;

	pthread_mutex_lock(&fs->lock);
	if (strlen(n->text) >= size)
		rc = -ENAMETOOLONG;
	else
		memcpy(buf, n->text, strlen(n->text) + 1);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static const struct node_ops link_ops = {
	.mode = S_IFLNK | 0777,
	.flags = NODE_TEXT_ID,
	.readlink = link_readlink,
};

/* ---- snapshots/<label>/<ts>/ ------------------------------------------- */

static int ts_getattr(struct snapfs *fs, struct node *n)
{
	struct repo_snapshot *s;
	int rc;

	pthread_mutex_lock(&fs->lock);
	rc = n->ready;
	pthread_mutex_unlock(&fs->lock);
	if (rc)
		return 0;
	rc = snap_load(fs, n->snap, &s);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&fs->lock);
	n->mtime = s->mtime;
	n->ready = true;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static const char *md5_of_key(const char *key)
{
	size_t len = strlen(key);

	return len > MD5_HEX_LEN ? key + len - MD5_HEX_LEN : "";
}

static int ts_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct repo_snapshot *s;
	struct proto *p;
	int rc;

	rc = snap_load(fs, dir->snap, &s);
	if (rc < 0)
		return rc;
	if (!object_proto(pl, "info", s->info_key, s->info_size, s->mtime,
			  md5_split_name(strrchr(s->info_key, '/') + 1,
					 &(size_t){0}) == 0
				  ? md5_of_key(s->info_key)
				  : NULL) ||
	    !snap_text_proto(pl, dir->snap, false, s->mtime))
		return -ENOMEM;
	if (s->meta_key && !object_proto(pl, "meta", s->meta_key, s->meta_size,
					 s->mtime, md5_of_key(s->meta_key)))
		return -ENOMEM;
	if (!s->ji)
		return 0;
	if (!snap_text_proto(pl, dir->snap, true, s->mtime))
		return -ENOMEM;
	p = proto_dir(pl, s->ji->database, &db_ops, s->mtime);
	if (!p)
		return -ENOMEM;
	p->snap = dir->snap;
	return 0;
}

static const struct node_ops ts_ops = {
	.mode = S_IFDIR | 0555,
	.fill = ts_fill,
	.getattr = ts_getattr,
	.free = snap_free,
};

/* ---- <db>/<table>/<partition>/<index>/ --------------------------------- */

/* A directory below the timestamp, for jobinfo element @ref. */
static int level_add(struct protolist *pl, struct node *dir, const char *name,
		     const struct node_ops *ops, const void *ref)
{
	struct proto *p = proto_dir(pl, name, ops, dir->snap->s->mtime);

	if (!p)
		return -ENOMEM;
	p->ref = ref;
	p->snap = dir->snap;
	return 0;
}

static int db_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	const struct jobinfo *ji = dir->snap->s->ji;
	size_t i;
	int rc = 0;

	for (i = 0; i < ji->ntables && rc == 0; i++)
		rc = level_add(pl, dir, ji->tables[i].name, &table_ops,
			       &ji->tables[i]);
	return rc;
}

static int table_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	const struct jobinfo_table *t = dir->ref;
	size_t i;
	int rc = 0;

	for (i = 0; i < t->npartitions && rc == 0; i++)
		rc = level_add(pl, dir, t->partitions[i].name, &part_ops,
			       &t->partitions[i]);
	return rc;
}

static int part_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	const struct jobinfo_partition *pt = dir->ref;
	size_t i;
	int rc = 0;

	for (i = 0; i < pt->nindexes && rc == 0; i++)
		rc = level_add(pl, dir, pt->indexes[i].name, &index_ops,
			       &pt->indexes[i]);
	return rc;
}

static int index_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	const struct jobinfo_index *ix = dir->ref;
	char id[32];
	size_t i;
	int rc = 0;

	for (i = 0; i < ix->ntablets && rc == 0; i++) {
		snprintf(id, sizeof(id), "%" PRId64, ix->tablets[i].id);
		rc = level_add(pl, dir, id, &tablet_ops, &ix->tablets[i]);
	}
	return rc;
}

static const struct node_ops db_ops = {
	.mode = S_IFDIR | 0555,
	.fill = db_fill,
};

static const struct node_ops table_ops = {
	.mode = S_IFDIR | 0555,
	.fill = table_fill,
};

static const struct node_ops part_ops = {
	.mode = S_IFDIR | 0555,
	.fill = part_fill,
};

static const struct node_ops index_ops = {
	.mode = S_IFDIR | 0555,
	.fill = index_fill,
};

/* ---- <tablet>/: the data files ----------------------------------------- */

static int tablet_fill(struct snapfs *fs, struct node *dir,
		       struct protolist *pl)
{
	const struct jobinfo_tablet *tab = dir->ref;
	const struct jobinfo_index *ix = dir->parent->ref;
	const struct jobinfo_table *tbl = dir->parent->parent->parent->ref;
	const struct repo_snapshot *s = dir->snap->s;
	struct repo_file *files = NULL;
	size_t i, n = 0;
	int rc;

	rc = repo_tablet_files(fs->repo, s, tbl, ix, tab, &files, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		struct proto *p =
			object_proto(pl, files[i].name, files[i].key,
				     files[i].size, s->mtime, files[i].md5);

		if (!p) {
			rc = -ENOMEM;
			break;
		}
		p->missing = !files[i].present;
		if (p->missing)
			snap_log(LOG_WARNING,
				 "%s: listed in %s but not in the repository",
				 p->key, s->info_key);
	}
	repo_files_free(files, n);
	return rc;
}

static const struct node_ops tablet_ops = {
	.mode = S_IFDIR | 0555,
	.fill = tablet_fill,
};
