/* SPDX-License-Identifier: MIT */
/*
 * jobs.h - RESTORE and BACKUP jobs: submission, the state machine, status;
 * and the snapshot management statements (DROP, CLEAN, VERIFY).
 *
 * A job is a catalog record (the job record, keyed by cluster/record.h) written
 * at every transition before the new state's work starts, so a mount restarted
 * after a crash resumes it (or finishes its commit, which is one catalog
 * transaction together with FINISHED). Work runs on a thread per job with a
 * pool of download (upload) threads; control files submit and cancel, status
 * files read. Every function may be called from any thread.
 */
#ifndef SNAPFS_JOBS_H
#define SNAPFS_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cluster;
struct repo;
struct jobs;
struct spec;

enum job_state {
	JOB_PENDING,
	JOB_SNAPSHOTING,
	JOB_DOWNLOAD,
	JOB_DOWNLOADING,
	JOB_COMMIT,
	JOB_COMMITTING,
	JOB_FINISHED,
	JOB_CANCELLED,
	/* BACKUP only (after SNAPSHOTING): */
	JOB_UPLOAD_SNAPSHOT,
	JOB_UPLOADING,
	JOB_SAVE_META,
	JOB_UPLOAD_INFO,
	JOB_STATE__COUNT
};

enum job_kind { JOB_KIND_RESTORE, JOB_KIND_BACKUP, JOB_KIND__COUNT };

/** "PENDING", ...; NULL for an out-of-range value. */
const char *job_state_name(enum job_state s);

/** Is from -> to a legal transition for a job of @kind? */
bool job_transition_ok(enum job_kind kind, enum job_state from,
		       enum job_state to);

/**
 * Start the engine: garbage-collect orphaned replica directories, then
 * resume every unfinished job found in the catalog.
 * @param[in] threads download threads per job (>= 1).
 * @param[out] out stop with jobs_stop().
 * @return 0; -errno.
 */
int jobs_start(struct repo *repo, struct cluster *cl, unsigned threads,
	       struct jobs **out);

/**
 * Stop every worker and free the engine. Unfinished jobs stay in the
 * catalog in their current state and resume at the next start.
 */
void jobs_stop(struct jobs *j);

/**
 * Delete one snapshot (rmdir MNT/snapshots/<label>/<ts>): the info
 * object first, then, if it was the label's last, everything else.
 * @return 0; -ENOENT; -EBUSY a job uses it; -EROFS; else -errno.
 */
int jobs_drop_snapshot(struct jobs *j, const char *label, const char *ts,
		       char *err, size_t errlen);

/**
 * Start a parsed RESTORE or BACKUP statement as a job, or run a parsed
 * CANCEL RESTORE/BACKUP. The caller has checked that sp->repo names the
 * mounted repository (CANCEL names none); nothing here checks it again.
 * Returns once the job is recorded and its thread started; the work goes
 * on in the background (see jobs_status()).
 * @param[in] sp from spec_parse(); not kept.
 * @param[out] err on failure, one line for control/last_error, e.g.
 *             "snapshot \"snap9\" not found in repository \"demo\"".
 * @param[out] job_id the new (or cancelled) job's id; set only on
 *             success. May be NULL.
 * @return 0;
 *         -EINVAL the statement fails validation here (not a job
 *         statement; replication_num over the backends; a BACKUP without
 *         a database; metadata_only into StarRocks; a snapshot that is
 *         not usable; two tables restored under one name);
 *         -ENOENT a snapshot, timestamp, database, table or partition it
 *         names is not there, or no job to cancel runs;
 *         -EBUSY a job holds the database (or the label), a table is
 *         being restored, or the job to cancel is past its point of no
 *         return;
 *         -EEXIST a table exists with another structure (without
 *         force_replace), or the BACKUP label exists;
 *         -EROFS the repository can't be written (BACKUP);
 *         -ENOSPC, -EIO, -ENOMEM and other -errno from the catalog or
 *         the store, as they came.
 */
int jobs_submit_spec(struct jobs *j, const struct spec *sp, char *err,
		     size_t errlen, int64_t *job_id);

/**
 * Run a parsed DROP SNAPSHOT, CLEAN SNAPSHOTS or VERIFY SNAPSHOT now, in
 * the calling thread. The caller has checked that sp->repo names the
 * mounted repository (control.c does); this does not look at it.
 * Thread-safe: it takes the engine's lock to see which snapshots running
 * jobs use.
 * @param[in] sp a statement of one of those three kinds.
 * @param[out] err why it was refused or failed, one line (errlen bytes).
 * @param[out] report what was done or found, for control/last_report:
 *             caller-owned (free()); set whenever the statement ran, also
 *             on failure; untouched when it was refused before running
 *             (another kind, out of memory).
 * @return 0 (a VERIFY that finds problems too: its report says FAILED);
 *         -EINVAL @sp is not one of the three kinds;
 *         -ENOENT no such snapshot or timestamp;
 *         -EBUSY a running job reads or writes the snapshot;
 *         -EROFS the repository can't be written;
 *         -EIO some of a CLEAN's drops failed (the report lists them);
 *         -ENOMEM; else -errno from the store.
 */
int jobs_manage_spec(struct jobs *j, const struct spec *sp, char *err,
		     size_t errlen, char **report);

/**
 * Ids of all jobs, oldest first.
 * @param[out] ids caller-owned; free().
 */
int jobs_list(struct jobs *j, int64_t **ids, size_t *n);

/**
 * A job's status as SHOW RESTORE shows it: "Field: value" lines, or JSON.
 * @param[out] text caller-owned; free().
 * @return 0; -ENOENT no such job.
 */
int jobs_status(struct jobs *j, int64_t id, bool json, char **text,
		size_t *len);

/** SHOW RESTORE or SHOW BACKUP over all databases: a header line and one
 * tab-separated row per job of @kind. @param[out] text caller-owned. */
int jobs_show(struct jobs *j, enum job_kind kind, char **text, size_t *len);

/**
 * Is @table of @db held by a running job (being restored into)? Writes
 * into a held table fail with EBUSY.
 */
bool jobs_table_busy(struct jobs *j, const char *db, const char *table);

/** A number that changes whenever a backup finishes or is cancelled, so
 * a mount knows to list the repository's snapshots again. */
unsigned jobs_repo_generation(struct jobs *j);

/** Wait until no job is running (tests, unmount). */
void jobs_wait_idle(struct jobs *j);

/* The control-statement plane over this engine (the mount and the command
 * line write statements through it). */
#include "control.h"

#endif
