/* SPDX-License-Identifier: MIT */
/*
 * cluster.h - the local cluster: data directories ("backends") on this
 * machine plus the LMDB catalog that says which replica directory holds
 * each tablet's data.
 *
 * Layout under the data directory (each backend may live elsewhere):
 *
 *   DATA_DIR/catalog/                    LMDB environment
 *   BACKEND/tablets/<tablet_id>/<replica_id>.<gen>/<file>
 *
 * A replica directory is written once: a restore downloads into a new
 * generation <gen> that no catalog record points at, and its commit
 * switches the catalog to it in one transaction. Old generations are
 * removed afterwards (cluster_gc()), so a failed or cancelled job never
 * touches data that is in use.
 *
 * The catalog's records are typed (record.h): use record_* inside a
 * catalog transaction (catalog_begin() on cluster_catalog()) rather than
 * keys and JSON.
 *
 * Errors: every function returns 0 or a negative errno, the one that
 * says what went wrong where it was found (-ENOSPC from the catalog or
 * the disk, -EIO for a malformed record, ...); nothing here turns one
 * into another.
 */
#ifndef SNAPFS_CLUSTER_H
#define SNAPFS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "record.h"

struct catalog;
struct cluster;

#define CLUSTER_MAX_BACKENDS 64

struct cluster_opts {
	const char *data_dir; /**< created if missing */
	unsigned nbackends;   /**< used when @backend_paths is empty */
	const char *const *backend_paths; /**< one per backend, or NULL */
	size_t npaths;
};

/**
 * Open the cluster: create missing directories, open the catalog.
 * @param[out] err a message for the user on failure.
 * @param[out] out free with cluster_close().
 * @return 0; -EINVAL bad options (err says why); -errno.
 */
int cluster_open(const struct cluster_opts *o, char *err, size_t errlen,
		 struct cluster **out);
void cluster_close(struct cluster *c);

struct catalog *cluster_catalog(const struct cluster *c);
unsigned cluster_nbackends(const struct cluster *c);
const char *cluster_backend_path(const struct cluster *c, unsigned be);

/**
 * The directory of one replica generation (not created).
 * @return 0; -EINVAL for a bad backend index; -ENAMETOOLONG.
 */
int cluster_replica_dir(const struct cluster *c, unsigned be, int64_t tablet_id,
			int64_t replica_id, int64_t gen, char *buf, size_t len);

/** cluster_replica_dir() of replica @r of tablet @tablet_id.
 * @return 0; -EINVAL for a backend this cluster lacks; -ENAMETOOLONG. */
int cluster_replica_path(const struct cluster *c, int64_t tablet_id,
			 const struct record_replica *r, char *buf, size_t len);

/**
 * Create a replica generation directory (and its parents). Serialised
 * with cluster_gc(), so a directory made for a job whose record was
 * committed first is never collected.
 * @return 0; -errno.
 */
int cluster_make_replica(struct cluster *c, unsigned be, int64_t tablet_id,
			 int64_t replica_id, int64_t gen);

/** Remove a replica generation directory and its files (idempotent). */
int cluster_remove_replica(const struct cluster *c, unsigned be,
			   int64_t tablet_id, int64_t replica_id, int64_t gen);

/**
 * The hard-link snapshot directory of a backup job for one tablet, on
 * backend @be: BACKEND/snapshot/<job_id>/<tablet_id> (not created).
 * @return 0; -EINVAL; -ENAMETOOLONG.
 */
int cluster_snapshot_dir(const struct cluster *c, unsigned be, int64_t job_id,
			 int64_t tablet_id, char *buf, size_t len);

/** cluster_snapshot_dir(), and create it. @return 0; -errno. */
int cluster_make_snapshot_dir(const struct cluster *c, unsigned be,
			      int64_t job_id, int64_t tablet_id, char *buf,
			      size_t len);

/**
 * Hard-link @from to @to, or copy it when they are on different
 * filesystems; an existing @to counts as done.
 * @return 0; -errno.
 */
int cluster_link_or_copy(const char *from, const char *to);

/** Remove a backup job's snapshot directories on every backend. */
int cluster_remove_snapshot(const struct cluster *c, int64_t job_id);

/**
 * Remove every replica directory that no table record references and no
 * unfinished job claims. Called at start-up and after commits/cancels.
 * @return 0; -errno from the catalog.
 */
int cluster_gc(struct cluster *c);

/*
 * Tables made by hand in MNT/cluster/: each level is created by mkdir and
 * gets its id from the catalog; tablet directories are named by their id.
 * Every call is one catalog transaction.
 *
 * @return 0; -EEXIST the name is taken; -ENOENT a parent is missing;
 *         -EBUSY the table is held by a job (state not NORMAL);
 *         -EINVAL a bad name or tablet id; -ENAMETOOLONG the names are
 *         too long for a catalog key; -EIO a malformed record; -ENOSPC
 *         the catalog is full; else -errno as the catalog gives it.
 */
int cluster_create_db(struct cluster *c, const char *db);
int cluster_create_table(struct cluster *c, const char *db, const char *table);
int cluster_create_partition(struct cluster *c, const char *db,
			     const char *table, const char *part);
int cluster_create_index(struct cluster *c, const char *db, const char *table,
			 const char *part, const char *index);
/** Replicas: min(3, backends), on distinct backends, generation 0. */
int cluster_create_tablet(struct cluster *c, const char *db, const char *table,
			  const char *part, const char *index,
			  int64_t tablet_id);

/**
 * Where a new file of a tablet is written first: the first replica's
 * directory (created if missing).
 * @param[out] dir,len the path.
 * @return 0; -ENOENT no such tablet; -EBUSY; -EEXIST a file of that
 *         name exists already (files are written once).
 */
int cluster_tablet_dir(struct cluster *c, const char *db, const char *table,
		       const char *part, const char *index, int64_t tablet_id,
		       const char *file, char *dir, size_t len);

/**
 * Record a finished file: link it into the other replicas and add it to
 * the tablet's file list, in one transaction.
 * @return 0; -EEXIST; -EBUSY; -ENOENT; -ENAMETOOLONG; -ENOSPC (catalog
 *         or disk); -EIO; else -errno from link/copy or the catalog.
 */
int cluster_add_file(struct cluster *c, const char *db, const char *table,
		     const char *part, const char *index, int64_t tablet_id,
		     const char *file, const char *md5, uint64_t size);

#endif
