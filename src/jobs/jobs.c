/* SPDX-License-Identifier: MIT */
/*
 * jobs.c - the facade over the engine and the kinds: the table of kinds,
 * starting the engine with it, and submitting parsed statements to the
 * kind that takes them (the control plane, control.c, parses and checks). The
 * only file that names a kind.
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
