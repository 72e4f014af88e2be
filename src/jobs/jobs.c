/* SPDX-License-Identifier: MIT */
/*
 * jobs.c - the facade over the engine and the kinds: the table of kinds,
 * starting the engine with it, and submitting statements to the kind that
 * takes them. The only file that names a kind.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "jobs_int.h"
#include "job_backup_int.h"
#include "job_restore_int.h"
#include "repo/repo.h"
#include "spec.h"

#include "base/banned.h"

/* The kinds, by enum job_kind: adding a kind is adding its file and a
 * line here. RESTORE comes first: records from before "Type" was written
 * are restores (job_kind_by_name()). */
static const struct job_kind_ops *(*const jobs_kinds[JOB_KIND__COUNT])(void) = {
	[JOB_KIND_RESTORE] = job_restore_kind,
	[JOB_KIND_BACKUP] = job_backup_kind,
};

bool job_transition_ok(enum job_kind kind, enum job_state from,
		       enum job_state to)
{
	return (unsigned)kind < JOB_KIND__COUNT &&
	       job_kind_transition_ok(jobs_kinds[kind](), from, to);
}

int jobs_start(struct repo *repo, struct cluster *cl, unsigned threads,
	       struct jobs **out)
{
	const struct job_kind_ops *kinds[JOB_KIND__COUNT];
	unsigned i;

	for (i = 0; i < JOB_KIND__COUNT; i++)
		kinds[i] = jobs_kinds[i]();
	return job_engine_start(repo, cl, threads, kinds, out);
}

int jobs_submit_spec(struct jobs *eng, const struct spec *sp, char *err,
		     size_t errlen, int64_t *job_id)
{
	const struct job_kind_ops *k;
	unsigned i;

	for (i = 0; i < JOB_KIND__COUNT; i++) {
		k = eng->kinds[i];
		if (sp->kind == k->spec)
			return k->submit(eng, sp, err, errlen, job_id);
		if (sp->kind == k->cancel_spec)
			return job_cancel_db(eng, k, sp->db, err, errlen,
					     job_id);
	}
	return job_errf(err, errlen, -EINVAL, "%s is not a job statement",
			spec_kind_name(sp->kind));
}

/* The control file that takes statements of @k. */
static const char *control_for(enum spec_kind k)
{
	switch (k) {
	case SPEC_RESTORE:
		return "restore";
	case SPEC_BACKUP:
		return "backup";
	case SPEC_CANCEL_RESTORE:
	case SPEC_CANCEL_BACKUP:
		return "cancel";
	default:
		return "snapshots";
	}
}

/* Does control file @ctl take @sp? If not, say which one does. */
static int control_takes(enum jobs_control ctl, const struct spec *sp,
			 char *err, size_t errlen)
{
	switch (ctl) {
	case JOBS_CONTROL_RESTORE:
	case JOBS_CONTROL_BACKUP:
		if (sp->kind ==
		    (ctl == JOBS_CONTROL_RESTORE ? SPEC_RESTORE : SPEC_BACKUP))
			return 0;
		return job_errf(
			err, errlen, -EINVAL,
			"control/%s takes %s statements, not %s (use "
			"control/%s)",
			ctl == JOBS_CONTROL_RESTORE ? "restore" : "backup",
			ctl == JOBS_CONTROL_RESTORE ? "RESTORE" : "BACKUP",
			spec_kind_name(sp->kind), control_for(sp->kind));
	case JOBS_CONTROL_CANCEL:
		if (sp->kind == SPEC_CANCEL_RESTORE ||
		    sp->kind == SPEC_CANCEL_BACKUP)
			return 0;
		return job_errf(err, errlen, -EINVAL,
				"control/cancel takes CANCEL RESTORE/BACKUP "
				"FROM db, not %s",
				spec_kind_name(sp->kind));
	default:
		return -EINVAL;
	}
}

int jobs_submit(struct jobs *eng, enum jobs_control ctl, const char *text,
		size_t len, char *err, size_t errlen, int64_t *job_id)
{
	struct spec_err se = {0};
	struct spec *sp = NULL;
	int rc;

	rc = spec_parse(text, len, &se, &sp);
	if (rc == -EINVAL || rc == -EAGAIN) /* -EAGAIN: the text stops short */
		return job_errf(err, errlen, rc, "line %u, column %u: %s",
				se.line, se.col, se.msg);
	if (rc < 0)
		return rc;
	rc = control_takes(ctl, sp, err, errlen);
	if (rc == 0 && sp->repo && strcmp(sp->repo, repo_name(eng->repo)) != 0)
		rc = job_errf(err, errlen, -ENOENT,
			      "repository \"%s\" is not the mounted "
			      "repository \"%s\"",
			      sp->repo, repo_name(eng->repo));
	if (rc == 0)
		rc = jobs_submit_spec(eng, sp, err, errlen, job_id);
	spec_free(sp);
	return rc;
}
