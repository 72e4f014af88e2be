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
 */
#ifndef SNAPFS_CLUSTER_H
#define SNAPFS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

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
 * Remove every replica directory that no table record references and no
 * unfinished job claims. Called at start-up and after commits/cancels.
 * @return 0; -errno from the catalog.
 */
int cluster_gc(struct cluster *c);

#endif
