/* SPDX-License-Identifier: MIT */
/*
 * raw.c - raw/: the repository's keys exactly as stored, a directory per
 * key prefix and an object (object.c) per key, re-listed after cache_ttl.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_int.h"
#include "store/store.h"

#include "base/banned.h"

static const struct node_ops raw_ops;

struct raw_fill {
	struct protolist *pl;
	size_t plen; /* the directory's prefix length */
	int64_t mtime;
};

static int raw_cb(const struct store_entry *e, void *arg)
{
	struct raw_fill *rf = arg;
	const char *name = e->key + rf->plen;
	char *nm, md5[MD5_HEX_LEN + 1] = "";
	size_t lnlen;
	struct proto *p;

	nm = strndup(name, e->is_prefix ? strlen(name) - 1 : strlen(name));
	if (!nm)
		return -ENOMEM;
	if (e->is_prefix) {
		/* Object stores have no directory times: use the mount's. */
		p = raw_proto(rf->pl, nm, e->key, rf->mtime);
	} else {
		if (md5_split_name(name, &lnlen) == 0)
			memcpy(md5, name + lnlen + 1, sizeof(md5));
		p = object_proto(rf->pl, nm, e->key, e->size, e->mtime, md5);
	}
	free(nm);
	return p ? 0 : -ENOMEM;
}

static int raw_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct raw_fill rf = {pl, strlen(dir->key), fs->mounted_at};

	return store_list(fs->st, dir->key, "/", raw_cb, &rf);
}

static const struct node_ops raw_ops = {
	.mode = S_IFDIR | 0555,
	.fill = raw_fill,
	.due = node_due_ttl,
};

struct proto *raw_proto(struct protolist *pl, const char *name, const char *key,
			int64_t mtime)
{
	struct proto *p = proto_dir(pl, name, &raw_ops, mtime);

	if (!p || !(p->key = strdup(key)))
		return NULL;
	return p;
}
