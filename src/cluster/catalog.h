/* SPDX-License-Identifier: MIT */
/*
 * catalog.h - the local cluster's catalog in LMDB: databases, tables
 * (with their partitions, indexes, tablets and replicas), jobs and id
 * allocation. catalog.c is the only file that includes lmdb.h.
 *
 * Records are JSON documents (jansson json_t) under string keys; the
 * catalog copies values out of LMDB before a transaction ends, so nothing
 * returned refers to LMDB memory. The keys and the layout of the records
 * are record.c's (see record.h): outside src/cluster/, use transactions
 * and ids from here and the typed records there; the raw key/JSON calls
 * at the end are what record.c is built on.
 *
 * A write transaction is the unit of atomicity: a restore's commit (new
 * table layouts + the job's FINISHED state) is one catalog_commit().
 * LMDB allows one writer at a time; readers never block.
 */
#ifndef SNAPFS_CATALOG_H
#define SNAPFS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** The longest key, in bytes. */
#define CATALOG_MAXKEY 511

struct catalog;
struct catalog_txn;

/**
 * Open (creating if needed) the catalog in directory @dir (created too).
 * @param[out] out free with catalog_close().
 * @return 0; -errno (e.g. -EACCES, -ENOSPC); -EIO for a corrupt file.
 */
int catalog_open(const char *dir, struct catalog **out);
void catalog_close(struct catalog *c);

/**
 * Begin a transaction. A write transaction excludes other writers until
 * it is committed or aborted; do no slow I/O while holding one.
 * @pre the calling thread holds no other transaction of @c.
 * @param[out] out end with catalog_commit() or catalog_abort().
 * @return 0; -errno.
 */
int catalog_begin(struct catalog *c, bool write, struct catalog_txn **out);

/** Make a write transaction durable (fsync'd). Frees @t either way.
 * @return 0; -ENOSPC if the map is full; -errno. On failure nothing of
 * the transaction is stored. */
int catalog_commit(struct catalog_txn *t);

/** Discard a transaction (read or write); frees @t. NULL is a no-op. */
void catalog_abort(struct catalog_txn *t);

/**
 * Allocate @n consecutive ids (starting at 10000 in a new catalog, never
 * reused). @pre write transaction; the ids are only taken if it commits.
 * @param[out] first the first id.
 * @return 0; -EIO the id counter is corrupt; -ENOSPC; -errno.
 */
int catalog_alloc_ids(struct catalog_txn *t, uint64_t n, int64_t *first);

/**
 * Make sure ids allocated from now on are above @id (an id picked by
 * hand, such as a tablet directory's name). @pre write transaction.
 * @return 0; -EIO the id counter is corrupt; -ENOSPC; -errno.
 */
int catalog_reserve_id(struct catalog_txn *t, int64_t id);

#endif
