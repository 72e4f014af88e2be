/* SPDX-License-Identifier: MIT */
/*
 * cluster_int.h - what the files of src/cluster share and nobody else
 * uses.
 */
#ifndef SNAPFS_CLUSTER_INT_H
#define SNAPFS_CLUSTER_INT_H

#include <stdint.h>

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

#endif
