/* SPDX-License-Identifier: MIT */
/*
 * cluster_int.h - what the files of src/cluster share and nobody else
 * uses.
 */
#ifndef SNAPFS_CLUSTER_INT_H
#define SNAPFS_CLUSTER_INT_H

#include <stdint.h>

#include <jansson.h>

#include "record.h"

struct catalog_txn;

/* record_tree.c */

/** Free what @r owns and zero it (a half-filled one too). */
void record_replica_release(struct record_replica *r);
/** Free what @tab owns and zero it (a half-filled one too). */
void record_tablet_release(struct record_tablet *tab);

/* record.c */

/**
 * Deep copies (through the JSON layout, so every member, the plan marks
 * and unknown members included).
 * @param[out] dst filled only on success; release as its kind says.
 * @return 0; -ENOMEM.
 */
/* record_release.c: free one file entry / a tablet's source description
 * (NULL is a no-op); the struct is left zeroed. */
void record_file_release(struct record_file *f);
void record_src_free(struct record_tablet_src *s);

int record_replica_copy(struct record_replica *dst,
			const struct record_replica *src);
int record_partition_copy(struct record_partition *dst,
			  const struct record_partition *src);

/**
 * Visit every replica a table record or an unfinished job's plan
 * references (see record.h on job records), with its tablet's id. @r is
 * valid during the call; @cb's non-zero return stops the walk.
 * @return 0; @cb's value; -EIO a malformed record (nothing can then be
 *         known to be unused); -ENOMEM; -errno.
 */
int record_replica_refs(struct catalog_txn *t,
			int (*cb)(const struct record_replica *r,
				  int64_t tablet, void *arg),
			void *arg);

/* ---- catalog.c: raw records --------------------------------------------
 * Keys and JSON values: what record.c builds the typed records on. Only
 * record.c uses these; everything above the folder works on record.h.
 */

/**
 * Read one record.
 * @param[out] out a new reference, caller-owned (json_decref()).
 * @return 0; -ENOENT if absent; -EIO if the stored value isn't JSON.
 */
int catalog_get(struct catalog_txn *t, const char *key, json_t **out);

/** Store (create or replace) a record. @pre write transaction.
 * @return 0; -ENOSPC; -EINVAL for an empty key; -ENAMETOOLONG for one
 * over CATALOG_MAXKEY bytes; -EBADF in a read transaction. */
int catalog_put(struct catalog_txn *t, const char *key, const json_t *val);

/** Delete a record. @pre write transaction.
 * @return 0; -ENOENT; -EINVAL/-ENAMETOOLONG a bad key; -EBADF. */
int catalog_del(struct catalog_txn *t, const char *key);

/**
 * Visit every record whose key starts with @prefix, in key order.
 * @param[in] cb gets the key and a borrowed value (valid during the call);
 *            a non-zero return stops the scan and is returned.
 * @return 0; the callback's value; -EIO.
 */
int catalog_scan(struct catalog_txn *t, const char *prefix,
		 int (*cb)(const char *key, json_t *val, void *arg), void *arg);

/**
 * catalog_scan() without reading the values: only the keys (for
 * listings that need the names alone).
 * @return 0; the callback's value; -errno.
 */
int catalog_scan_keys(struct catalog_txn *t, const char *prefix,
		      int (*cb)(const char *key, void *arg), void *arg);

#endif
