/* SPDX-License-Identifier: MIT */
/*
 * delete.c - deleting: one snapshot (repo_snapshot_delete) and what is
 * left of a label without snapshots (repo_label_purge). Kept apart from
 * retention.c, which only decides: the caller (jobs/) applies a plan item
 * by item, with its own check that no job reads the snapshot.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "repo.h"
#include "repo_int.h"
#include "store/store.h"

#include "base/banned.h"

/* One listed level of a prefix, copied out of the listing callback. */
struct key_vec {
	struct key_ent {
		char *key;
		bool is_prefix;
	} * v;
	size_t n, cap;
};

static void key_vec_release(struct key_vec *kv)
{
	size_t i;

	for (i = 0; i < kv->n; i++)
		free(kv->v[i].key);
	free(kv->v);
	memset(kv, 0, sizeof(*kv));
}

static int key_vec_cb(const struct store_entry *e, void *arg)
{
	struct key_vec *kv = arg;

	if (kv->n == kv->cap) {
		size_t cap = kv->cap ? kv->cap * 2 : 16;
		struct key_ent *v = realloc(kv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		kv->v = v;
		kv->cap = cap;
	}
	kv->v[kv->n].key = strdup(e->key);
	if (!kv->v[kv->n].key)
		return -ENOMEM;
	kv->v[kv->n].is_prefix = e->is_prefix;
	kv->n++;
	return 0;
}

/* "__ss_<label>" as one key component, and not the stray content dir. */
static bool label_dir_ok(const char *dir)
{
	return strncmp(dir, "__ss_", 5) == 0 && dir[5] != '\0' &&
	       !strchr(dir, '/') && strcmp(dir, "__ss_content") != 0;
}

static int label_prefix(const struct repo *r, const char *dir, char *buf,
			size_t size, char *err, size_t errlen)
{
	if (!label_dir_ok(dir)) {
		repo_set_err(err, errlen,
			     "\"%s\" is not a snapshot label directory", dir);
		return -EINVAL;
	}
	if ((size_t)snprintf(buf, size, "%s%s/", r->root, dir) >= size) {
		repo_set_err(err, errlen, "%s%s: key too long", r->root, dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * Delete the listed objects (not prefixes) that lie under @prefix, in
 * batches (one S3 DeleteObjects request per STORE_BATCH_MAX keys). Keys
 * outside @prefix are never touched, whatever the store answered; an
 * object that vanished meanwhile is no error.
 */
static int remove_objects(struct repo *r, const char *prefix,
			  const struct key_vec *kv, size_t *nremoved, char *err,
			  size_t errlen)
{
	size_t i, n = 0, plen = strlen(prefix);
	const char **keys = calloc(kv->n ? kv->n : 1, sizeof(*keys));
	int rc;

	if (!keys)
		return -ENOMEM;
	for (i = 0; i < kv->n; i++)
		if (!kv->v[i].is_prefix &&
		    strncmp(kv->v[i].key, prefix, plen) == 0)
			keys[n++] = kv->v[i].key;
	rc = store_remove_many(r->st, keys, n);
	if (rc < 0) {
		repo_set_err(err, errlen, "cannot delete under %s: %s", prefix,
			     store_strerror(rc));
		snap_log(LOG_ERR, "delete under %s: %s", prefix,
			 store_strerror(rc));
	} else {
		*nremoved += n;
	}
	free(keys);
	return rc;
}

/*
 * Remove everything under @prefix from one flat listing: the deeper
 * objects first, then the level's own, so @prefix stays listed until its
 * last object goes. A flat listing also finds what a delimited one may
 * hide: s3rver leaves out a prefix that holds only deeper prefixes.
 */
static int remove_prefix(struct repo *r, const char *prefix, size_t *nremoved,
			 char *err, size_t errlen)
{
	struct key_vec flat = {0}, deep = {0}, level = {0};
	size_t i, plen = strlen(prefix);
	int rc;

	rc = store_list(r->st, prefix, NULL, key_vec_cb, &flat);
	if (rc < 0) {
		repo_set_err(err, errlen, "cannot list %s: %s", prefix,
			     store_strerror(rc));
		goto out;
	}
	/* Split without copying: the vectors borrow flat's keys. */
	deep.v = calloc(flat.n ? flat.n : 1, sizeof(*deep.v));
	level.v = calloc(flat.n ? flat.n : 1, sizeof(*level.v));
	if (!deep.v || !level.v) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < flat.n; i++) {
		const char *k = flat.v[i].key;

		if (strncmp(k, prefix, plen) != 0)
			continue;
		if (strchr(k + plen, '/'))
			deep.v[deep.n++] = flat.v[i];
		else
			level.v[level.n++] = flat.v[i];
	}
	rc = remove_objects(r, prefix, &deep, nremoved, err, errlen);
	if (rc == 0)
		rc = remove_objects(r, prefix, &level, nremoved, err, errlen);
out:
	free(deep.v);
	free(level.v);
	key_vec_release(&flat);
	return rc;
}

static bool is_info_name(const char *prefix, const char *key)
{
	return strncmp(key + strlen(prefix), "__info_", 7) == 0;
}

int repo_snapshot_delete(struct repo *r, const struct repo_label *l,
			 const struct repo_ts *t, char *err, size_t errlen)
{
	struct key_vec kv = {0};
	char prefix[4096];
	size_t i, plen, nremoved = 0;
	const char *other = NULL;
	int rc;

	if (!store_can(r->st, STORE_CAP_WRITE)) {
		repo_set_err(err, errlen, "%s is read-only: cannot delete %s",
			     r->st->url, t->info_key);
		return -EROFS;
	}
	rc = label_prefix(r, l->dir, prefix, sizeof(prefix), err, errlen);
	if (rc < 0)
		return rc;
	plen = strlen(prefix);
	if (strncmp(t->info_key, prefix, plen) != 0 ||
	    !is_info_name(prefix, t->info_key) ||
	    strchr(t->info_key + plen, '/')) {
		repo_set_err(err, errlen, "%s is not an info object of %s/",
			     t->info_key, prefix);
		return -EINVAL;
	}

	/* First, so that a half-deleted snapshot never looks complete. */
	rc = store_remove(r->st, t->info_key);
	if (rc == -ENOENT) {
		repo_set_err(err, errlen, "%s is gone already", t->info_key);
		return rc;
	}
	if (rc < 0) {
		repo_set_err(err, errlen, "cannot delete %s: %s", t->info_key,
			     strerror(-rc));
		snap_log(LOG_ERR, "delete %s: %s", t->info_key, strerror(-rc));
		return rc;
	}
	snap_log(LOG_NOTICE, "deleted %s", t->info_key);

	/* The label's data is shared by its timestamps: look afresh. */
	rc = store_list(r->st, prefix, "/", key_vec_cb, &kv);
	if (rc < 0) {
		repo_set_err(err, errlen, "deleted %s, but cannot list %s: %s",
			     t->info_key, prefix, strerror(-rc));
		goto out;
	}
	for (i = 0; i < kv.n && !other; i++)
		if (!kv.v[i].is_prefix && is_info_name(prefix, kv.v[i].key))
			other = kv.v[i].key;
	if (other) {
		snap_log(LOG_INFO, "%s still holds %s: its data stays", prefix,
			 other);
		goto out;
	}
	rc = remove_prefix(r, prefix, &nremoved, err, errlen);
	if (rc == 0)
		snap_log(LOG_NOTICE, "deleted %zu more objects under %s",
			 nremoved, prefix);
out:
	key_vec_release(&kv);
	return rc;
}

int repo_label_purge(struct repo *r, const char *dir, char *err, size_t errlen)
{
	struct key_vec kv = {0};
	char prefix[4096];
	size_t i, lnlen, nremoved = 0;
	int rc;

	if (!store_can(r->st, STORE_CAP_WRITE)) {
		repo_set_err(err, errlen, "%s is read-only: cannot delete %s",
			     r->st->url, dir);
		return -EROFS;
	}
	rc = label_prefix(r, dir, prefix, sizeof(prefix), err, errlen);
	if (rc < 0)
		return rc;
	rc = store_list(r->st, prefix, "/", key_vec_cb, &kv);
	if (rc < 0) {
		repo_set_err(err, errlen, "cannot list %s: %s", prefix,
			     strerror(-rc));
		goto out;
	}
	if (kv.n == 0) {
		repo_set_err(err, errlen, "nothing is stored under %s", prefix);
		rc = -ENOENT;
		goto out;
	}
	for (i = 0; i < kv.n; i++) {
		const char *k = kv.v[i].key;

		if (!kv.v[i].is_prefix && is_info_name(prefix, k) &&
		    md5_split_name(k + strlen(prefix), &lnlen) == 0) {
			repo_set_err(
				err, errlen,
				"%s still holds the snapshot %s: delete it "
				"first",
				prefix, k);
			rc = -ENOTEMPTY;
			goto out;
		}
	}
	rc = remove_prefix(r, prefix, &nremoved, err, errlen);
	if (rc == 0)
		snap_log(LOG_NOTICE, "purged %zu objects under %s", nremoved,
			 prefix);
out:
	key_vec_release(&kv);
	return rc;
}
