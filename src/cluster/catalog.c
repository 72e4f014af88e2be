/* SPDX-License-Identifier: MIT */
/*
 * catalog.c - LMDB behind a small key/JSON interface. The only file that
 * includes lmdb.h: MDB_* codes become negative errnos in cat_mdb_err().
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "catalog.h"
#include "cluster_int.h"
#include "base/base.h"

#include "base/banned.h"

#define CATALOG_MAPSIZE ((size_t)4 << 30) /* address space, not disk */
#define KEY_NEXT_ID	"meta/next_id"
#define FIRST_ID	10000

struct catalog {
	MDB_env *env;
	MDB_dbi dbi; /* read-only after open */
	char *dir;
};

struct catalog_txn {
	struct catalog *c;
	MDB_txn *txn;
	bool write;
};

/* The one place LMDB's codes (positive errno or MDB_*) become -errno. */
static int cat_mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_BAD_VALSIZE:
		return -EINVAL;
	case MDB_READERS_FULL:
		return -EAGAIN;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return -EIO;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

/*
 * The map size: CATALOG_MAPSIZE, or for tests SNAPFS_TEST_CATALOG_MAPSIZE
 * bytes, so that a full catalog (MDB_MAP_FULL, -ENOSPC) can be made in a
 * unit test and its errno followed up to the caller.
 */
static size_t map_size(void)
{
	const char *v = getenv("SNAPFS_TEST_CATALOG_MAPSIZE");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return CATALOG_MAPSIZE;
	n = strtoull(v, &end, 10);
	return *end == '\0' && n > 0 ? (size_t)n : CATALOG_MAPSIZE;
}

int catalog_open(const char *dir, struct catalog **out)
{
	struct catalog *c;
	MDB_txn *txn = NULL;
	int rc;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snap_log(LOG_ERR, "catalog: mkdir %s: %s", dir,
			 strerror(errno));
		return rc;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->dir = strdup(dir);
	if (!c->dir) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cat_mdb_err(mdb_env_create(&c->env));
	if (rc < 0)
		goto out;
	rc = cat_mdb_err(mdb_env_set_mapsize(c->env, map_size()));
	if (rc == 0)
		rc = cat_mdb_err(mdb_env_set_maxreaders(c->env, 256));
	/* MDB_NOTLS: FUSE worker threads open and close read txns freely. */
	if (rc == 0)
		rc = cat_mdb_err(mdb_env_open(c->env, dir, MDB_NOTLS, 0600));
	if (rc == 0)
		rc = cat_mdb_err(mdb_txn_begin(c->env, NULL, 0, &txn));
	if (rc == 0)
		rc = cat_mdb_err(mdb_dbi_open(txn, NULL, 0, &c->dbi));
	if (rc == 0) {
		rc = cat_mdb_err(mdb_txn_commit(txn));
		txn = NULL;
	}
	if (rc < 0)
		snap_log(LOG_ERR, "catalog: open %s: %s", dir, strerror(-rc));
out:
	if (txn)
		mdb_txn_abort(txn);
	if (rc < 0) {
		if (c->env)
			mdb_env_close(c->env);
		free(c->dir);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void catalog_close(struct catalog *c)
{
	if (!c)
		return;
	mdb_env_close(c->env);
	free(c->dir);
	free(c);
}

int catalog_begin(struct catalog *c, bool write, struct catalog_txn **out)
{
	struct catalog_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	t->c = c;
	t->write = write;
	rc = cat_mdb_err(
		mdb_txn_begin(c->env, NULL, write ? 0 : MDB_RDONLY, &t->txn));
	if (rc < 0) {
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int catalog_commit(struct catalog_txn *t)
{
	int rc = cat_mdb_err(mdb_txn_commit(t->txn));

	if (rc < 0)
		snap_log(LOG_ERR, "catalog: commit: %s", strerror(-rc));
	free(t);
	return rc;
}

void catalog_abort(struct catalog_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

static int key_val(const char *key, MDB_val *k)
{
	size_t n = strlen(key);

	if (n == 0)
		return -EINVAL;
	if (n > CATALOG_MAXKEY)
		return -ENAMETOOLONG;
	k->mv_data = (void *)key;
	k->mv_size = n;
	return 0;
}

/* Parse a stored value; LMDB's memory is only valid inside the txn. */
static int decode(const MDB_val *v, const MDB_val *k, json_t **out)
{
	json_error_t jerr;
	json_t *j = json_loadb(v->mv_data, v->mv_size, JSON_DECODE_ANY, &jerr);

	if (!j) {
		snap_log(LOG_ERR, "catalog: record %.*s is not JSON: %s",
			 (int)k->mv_size, (const char *)k->mv_data, jerr.text);
		return -EIO;
	}
	*out = j;
	return 0;
}

int catalog_get(struct catalog_txn *t, const char *key, json_t **out)
{
	MDB_val k, v;
	int rc = key_val(key, &k);

	if (rc < 0)
		return rc;
	rc = cat_mdb_err(mdb_get(t->txn, t->c->dbi, &k, &v));
	if (rc < 0)
		return rc;
	return decode(&v, &k, out);
}

int catalog_put(struct catalog_txn *t, const char *key, const json_t *val)
{
	MDB_val k, v;
	char *text;
	int rc = key_val(key, &k);

	if (rc < 0)
		return rc;
	if (!t->write)
		return -EBADF;
	text = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text)
		return -ENOMEM;
	v.mv_data = text;
	v.mv_size = strlen(text);
	rc = cat_mdb_err(mdb_put(t->txn, t->c->dbi, &k, &v, 0));
	if (rc < 0)
		snap_log(LOG_ERR, "catalog: put %s: %s", key, strerror(-rc));
	free(text);
	return rc;
}

int catalog_del(struct catalog_txn *t, const char *key)
{
	MDB_val k;
	int rc = key_val(key, &k);

	if (rc < 0)
		return rc;
	if (!t->write)
		return -EBADF;
	return cat_mdb_err(mdb_del(t->txn, t->c->dbi, &k, NULL));
}

/*
 * Walk the keys starting with @prefix; with @kcb only the keys, else
 * each value decoded for @cb. One loop for both, so the prefix and end
 * rules cannot drift apart.
 */
static int scan(struct catalog_txn *t, const char *prefix,
		int (*cb)(const char *key, json_t *val, void *arg),
		int (*kcb)(const char *key, void *arg), void *arg)
{
	size_t plen = strlen(prefix);
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	char key[CATALOG_MAXKEY + 1];
	json_t *j;
	int rc, op = plen ? MDB_SET_RANGE : MDB_FIRST;

	rc = cat_mdb_err(mdb_cursor_open(t->txn, t->c->dbi, &cur));
	if (rc < 0)
		return rc;
	k.mv_data = (void *)prefix;
	k.mv_size = plen;
	for (;;) {
		rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op);
		op = MDB_NEXT;
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			break;
		}
		rc = cat_mdb_err(rc);
		if (rc < 0)
			break;
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		if (kcb) {
			rc = kcb(key, arg);
		} else {
			rc = decode(&v, &k, &j);
			if (rc < 0)
				break;
			rc = cb(key, j, arg);
			json_decref(j);
		}
		if (rc != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc;
}

int catalog_scan(struct catalog_txn *t, const char *prefix,
		 int (*cb)(const char *key, json_t *val, void *arg), void *arg)
{
	return scan(t, prefix, cb, NULL, arg);
}

int catalog_scan_keys(struct catalog_txn *t, const char *prefix,
		      int (*cb)(const char *key, void *arg), void *arg)
{
	return scan(t, prefix, NULL, cb, arg);
}

/* The next id to hand out: FIRST_ID in a new catalog. */
static int next_id(struct catalog_txn *t, int64_t *next)
{
	json_t *j = NULL;
	int rc = catalog_get(t, KEY_NEXT_ID, &j);

	if (rc == -ENOENT) {
		*next = FIRST_ID;
		return 0;
	}
	if (rc < 0)
		return rc;
	/* Starting again at FIRST_ID would hand out ids in use. */
	if (!json_is_integer(j) || json_integer_value(j) < FIRST_ID) {
		snap_log(LOG_ERR, "catalog: record %s is not an id",
			 KEY_NEXT_ID);
		rc = -EIO;
	} else {
		*next = json_integer_value(j);
	}
	json_decref(j);
	return rc;
}

static int set_next_id(struct catalog_txn *t, int64_t next)
{
	json_t *nj = json_integer(next);
	int rc = nj ? catalog_put(t, KEY_NEXT_ID, nj) : -ENOMEM;

	json_decref(nj);
	return rc;
}

int catalog_alloc_ids(struct catalog_txn *t, uint64_t n, int64_t *first)
{
	int64_t next;
	int rc = next_id(t, &next);

	if (rc == 0)
		rc = set_next_id(t, next + (int64_t)n);
	if (rc == 0)
		*first = next;
	return rc;
}

int catalog_reserve_id(struct catalog_txn *t, int64_t id)
{
	int64_t next;
	int rc = next_id(t, &next);

	if (rc == 0 && next <= id)
		rc = set_next_id(t, id + 1);
	return rc;
}
