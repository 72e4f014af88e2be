/* SPDX-License-Identifier: MIT */
/*
 * job_restore_int.h - what the RESTORE kind's files share:
 *
 *   job_restore.c        the kind's table: steps, commit, cancel, holds
 *   job_restore_plan.c   the plan made at submission (and the snapshot it
 *                        reads, found again at a restart); the plan read
 *                        from and written back to the job's record
 *   job_restore_fetch.c  the replicas' directories and the download
 *
 * job_restore.c calls the other two; they call only the engine and each
 * other downwards (fetch -> plan), never job_restore.c.
 *
 * Tables are catalog records in record.h's types: the plan holds each
 * restored table in the PLAN form inside the job's record, and the
 * commit stores it with record_table_put(). No file here spells a
 * catalog key or a member of a table record.
 */
#ifndef SNAPFS_JOB_RESTORE_INT_H
#define SNAPFS_JOB_RESTORE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cluster/cluster.h"
#include "jobs_int.h"

struct jobinfo;
struct jobinfo_index;
struct jobinfo_table;
struct jobinfo_tablet;
struct repo;
struct repo_file;
struct repo_label;
struct repo_snapshot;

/*
 * One table of the plan, typed: the job record's plan entry
 * {"dst", "new", "whole", "table"} keeps the table in record.h's PLAN
 * form; this is that table as it will be after the commit (plan marks
 * included), read from the record when the job starts.
 */
struct rplan {
	bool whole; /* restored whole: clean_partitions applies */
	struct record_table tbl;
};

/* One tablet to download, flattened out of the plan. */
struct rtab {
	struct record_tablet *tablet; /* in work->plan; only the download
					 thread that took it changes it */
	struct repo_file *files;      /* from one listing of the repo tablet */
	size_t nfiles;
};

/* jb->work of a restore. The job's thread owns it; the download threads
 * share tabs (each takes the next index) while DOWNLOADING. */
struct restore_work {
	struct repo_label *label;
	struct repo_snapshot *snap; /* NULL if it can't be read any more
				       (resumed past COMMIT) */
	struct rplan *plan;	    /* jb->rec's plan, in its order */
	size_t nplan;
	struct rtab *tabs;
	size_t ntabs;
	atomic_size_t next; /* next tablet for a download thread */
};

/** The RESTORE kind's table (job_restore.c); static. */
const struct job_kind_ops *job_restore_kind(void);

/* ---- job_restore_plan.c ------------------------------------------------- */

/** The kind's submit slot (see struct job_kind_ops). */
int job_restore_plan_submit(struct jobs *eng, const struct spec *sp, char *err,
			    size_t errlen, int64_t *job_id);

/**
 * Find snapshot @label/@ts in @repo and read its info.
 * @param[out] lp,sp caller-owned; free with repo_label_free() and
 *             repo_snapshot_free(). Set only on success.
 * @return 0; -ENOENT no such label or timestamp (err lists those there);
 *         -EINVAL the snapshot is not usable (err says why); else -errno
 *         from the store.
 */
int job_restore_plan_load(struct repo *repo, const char *label, const char *ts,
			  struct repo_label **lp, struct repo_snapshot **sp,
			  char *err, size_t errlen);

/**
 * The snapshot's table, index and tablet a planned tablet's src names.
 * @param[in] src may be NULL (then -ENOENT).
 * @return 0; -ENOENT it is not in @ji.
 */
int job_restore_plan_source(const struct jobinfo *ji,
			    const struct record_tablet_src *src,
			    const struct jobinfo_table **tp,
			    const struct jobinfo_index **ip,
			    const struct jobinfo_tablet **bp);

/**
 * Read jb->rec's plan into work->plan (typed). On the job's thread, once,
 * before the steps; takes eng->lock.
 * @return 0; -EIO a planned table is malformed (logged, naming the job);
 *         -ENOMEM.
 */
int job_restore_plan_read(struct job *jb);

/**
 * Write work->plan back into jb->rec's plan (the replicas' file lists
 * after the download), to be stored with the next state. On the job's
 * thread, no download running; takes eng->lock.
 * @return 0; -ENOMEM (jb->rec unchanged).
 */
int job_restore_plan_write(struct job *jb);

/** Free work->plan. */
void job_restore_plan_free(struct restore_work *w);

/* ---- job_restore_fetch.c ------------------------------------------------ */

/** SNAPSHOTING: make every planned replica's (empty) directory.
 * @return 0 or -errno. */
int job_restore_fetch_mkdirs(struct job *jb);
/** DOWNLOAD: list what each tablet holds in the repository; sets
 * files_total and bytes_total. @return 0, -ECANCELED or -errno. */
int job_restore_fetch_list(struct job *jb);
/** DOWNLOADING: fetch every file into its replicas with eng->threads
 * threads, MD5-checked; records each replica's files in the plan.
 * @return 0; -ECANCELED (a failure cancels the job with its reason). */
int job_restore_fetch_all(struct job *jb);

#endif
