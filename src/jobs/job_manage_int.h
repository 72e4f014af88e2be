/* SPDX-License-Identifier: MIT */
/*
 * job_manage_int.h - DROP SNAPSHOT, CLEAN SNAPSHOTS and VERIFY SNAPSHOT
 * for a statement already parsed, for the control plane (control.c).
 *
 * It belongs beside jobs_submit_spec() in jobs.h; it is here only because
 * jobs.h was being reworked at the same time. Move it there when merging.
 */
#ifndef SNAPFS_JOB_MANAGE_INT_H
#define SNAPFS_JOB_MANAGE_INT_H

#include <stddef.h>

struct jobs;
struct spec;

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

#endif
