/* SPDX-License-Identifier: MIT */
/*
 * job_restore.c - the RESTORE kind: its table of states and steps, and
 * the steps that end it.
 *
 *   PENDING -> SNAPSHOTING (empty replica directories) -> DOWNLOAD (list
 *   what to fetch) -> DOWNLOADING (fetch and MD5-check, in parallel) ->
 *   COMMIT -> COMMITTING (one catalog transaction switches every restored
 *   table and records FINISHED) -> FINISHED
 *
 * The plan made at submission is in job_restore_plan.c, the download in
 * job_restore_fetch.c. A failure or cancel before COMMITTING drops only
 * the tables this job created; existing tables were never touched.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "job_restore_int.h"
#include "jobs_int.h"
#include "repo/repo.h"

#include "base/banned.h"

/* Room for one more tablet in w->tabs; NULL: no memory. */
static struct rtab *more_tabs(struct restore_work *w, size_t *cap)
{
	struct rtab *v;

	if (w->ntabs == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		v = realloc(w->tabs, *cap * sizeof(*v));
		if (!v)
			return NULL;
		w->tabs = v;
	}
	return &w->tabs[w->ntabs++];
}

/* Every tablet of the partitions the plan restores, in plan order. */
static int flatten(struct job *jb)
{
	struct restore_work *w = jb->work;
	const struct record_partition *p;
	const struct record_index *ix;
	struct rtab *rt;
	size_t a, b, c, d, cap = 0;

	for (a = 0; a < w->nplan; a++)
		for (b = 0; b < w->plan[a].tbl.nparts; b++) {
			p = &w->plan[a].tbl.parts[b];
			for (c = 0; p->restored && c < p->nindexes; c++) {
				ix = &p->indexes[c];
				for (d = 0; d < ix->ntablets; d++) {
					rt = more_tabs(w, &cap);
					if (!rt)
						return -ENOMEM;
					*rt = (struct rtab){
						.tablet = &ix->tablets[d]};
				}
			}
		}
	return 0;
}

struct names {
	char **v;
	size_t n;
};

static int collect_name(const char *name, void *arg)
{
	struct names *nm = arg;
	char **v = realloc(nm->v, (nm->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	nm->v = v;
	v[nm->n] = strdup(name);
	return v[nm->n++] ? 0 : -ENOMEM;
}

/* Is @name one of the tables the plan restores? */
static bool plan_has(const struct restore_work *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nplan; i++)
		if (strcmp(w->plan[i].tbl.name, name) == 0)
			return true;
	return false;
}

/* clean_tables: drop the database's tables this restore didn't touch. */
static int clean_tables(struct job *jb, struct catalog_txn *t)
{
	struct names nm = {0};
	size_t i;
	int rc;

	rc = record_table_names(t, jb->db, collect_name, &nm);
	for (i = 0; rc == 0 && i < nm.n; i++) {
		if (plan_has(jb->work, nm.v[i]))
			continue;
		snap_log(LOG_INFO, "job %" PRId64 ": clean_tables drops %s/%s",
			 jb->id, jb->db, nm.v[i]);
		rc = record_table_del(t, jb->db, nm.v[i]);
	}
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	return rc;
}

/*
 * One restored table in its final form. It is stored from a shallow copy
 * of the plan's table, which is not changed (the commit may be tried
 * again): record_table_put() stores no plan marks, so only the state,
 * the restoring job and, with @clean, the partitions kept differ.
 */
static int commit_table(struct job *jb, struct catalog_txn *t,
			const struct rplan *rp, bool clean)
{
	struct record_table tbl = rp->tbl; /* shares rp's members: not
					      released */
	struct record_partition *parts = NULL;
	size_t i;
	int rc;

	tbl.state = RECORD_TABLE_NORMAL;
	tbl.restored_by = jb->id;
	/* clean_partitions: a table restored whole keeps only the
	 * snapshot's partitions. */
	if (clean && rp->whole) {
		parts = calloc(tbl.nparts ? tbl.nparts : 1, sizeof(*parts));
		if (!parts)
			return -ENOMEM;
		tbl.parts = parts;
		tbl.nparts = 0;
		for (i = 0; i < rp->tbl.nparts; i++)
			if (rp->tbl.parts[i].restored)
				parts[tbl.nparts++] = rp->tbl.parts[i];
	}
	rc = record_table_put(t, &tbl);
	free(parts);
	return rc;
}

/* The commit: every restored table in its final form, in the same
 * transaction as FINISHED. */
static int commit_tables(struct job *jb, struct catalog_txn *t)
{
	struct restore_work *w = jb->work;
	bool clean_parts, clean;
	json_t *props;
	size_t a;
	int rc = 0;

	pthread_mutex_lock(&jb->eng->lock);
	props = json_object_get(jb->rec, "Properties");
	clean_parts = json_is_true(json_object_get(props, "clean_partitions"));
	clean = json_is_true(json_object_get(props, "clean_tables"));
	pthread_mutex_unlock(&jb->eng->lock);
	for (a = 0; rc == 0 && a < w->nplan; a++)
		rc = commit_table(jb, t, &w->plan[a], clean_parts);
	if (rc == 0 && clean)
		rc = clean_tables(jb, t);
	return rc;
}

/* Is the table there this job's shell (never a table made since)? */
static int own_shell(struct job *jb, struct catalog_txn *t, const char *name,
		     bool *own)
{
	struct record_table cur;
	int rc = record_table_get(t, jb->db, name, &cur);

	*own = false;
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	*own = cur.job_id == jb->id && cur.state == RECORD_TABLE_RESTORE;
	record_table_release(&cur);
	return 0;
}

/* Cancel: drop the tables this job created; existing ones were never
 * touched. Same transaction as CANCELLED. Reads the plan's own members
 * ("dst", "new") from the record: a job cancelled before its start has
 * no work->plan. */
static int drop_created(struct job *jb, struct catalog_txn *t)
{
	json_t *pt;
	const char *dst;
	bool own;
	size_t a;
	int rc = 0;

	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt) {
		dst = json_string_value(json_object_get(pt, "dst"));
		if (!dst || !json_is_true(json_object_get(pt, "new")))
			continue;
		rc = own_shell(jb, t, dst, &own);
		if (rc == 0 && own)
			rc = record_table_del(t, jb->db, dst);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- the kind's slots ----------------------------------------------------*/

static void restore_release(struct job *jb)
{
	struct restore_work *w = jb->work;
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->ntabs; i++)
		repo_files_free(w->tabs[i].files, w->tabs[i].nfiles);
	free(w->tabs);
	job_restore_plan_free(w);
	repo_snapshot_free(w->snap);
	repo_label_free(w->label);
	free(w);
	jb->work = NULL;
}

/* The tables it restores into: hand-made writes to them are EBUSY, and
 * the ones it creates are not accessible until the commit. */
static bool restore_holds(const struct job *jb, const char *table)
{
	json_t *pt;
	size_t a;

	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt)
		if (strcmp(json_string_value(json_object_get(pt, "dst")) ?: "",
			   table) == 0)
			return true;
	return false;
}

/* One running job per database, as in Doris. */
static int restore_conflict(const struct job *jb, const struct job *other,
			    char *err, size_t errlen)
{
	if (strcmp(other->db, jb->db) != 0)
		return 0;
	return job_errf(err, errlen, -EBUSY,
			"database \"%s\" has a running job %" PRId64
			" (%s, state %s); wait for it or CANCEL %s FROM %s",
			jb->db, other->id,
			json_string_value(json_object_get(other->rec, "Label"))
				?: "",
			job_state_name(other->state), other->ops->name, jb->db);
}

/* The repository the job was started for (a restart may mount another). */
static bool restore_same_repo(struct job *jb)
{
	const char *r =
		json_string_value(json_object_get(jb->rec, "Repository"));

	return strcmp(r ? r : "", repo_name(jb->eng->repo)) == 0;
}

/* Its work: the snapshot (kept from the submission, or read again after
 * a restart) and the planned tablets. */
static int restore_start(struct job *jb)
{
	struct restore_work *w = jb->work;
	const char *label, *ts;
	char err[512];
	int rc;

	if (!w) {
		w = jb->work = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM; /* resumes at the next start */
	}
	if (jb->resumed && !restore_same_repo(jb) &&
	    !job_reached(jb, JOB_COMMITTING)) {
		snprintf(err, sizeof(err),
			 "resumed with repository \"%s\" mounted, not \"%s\"",
			 repo_name(jb->eng->repo),
			 json_string_value(
				 json_object_get(jb->rec, "Repository")));
		job_request_cancel(jb, "error", err);
		return -ECANCELED;
	}
	if (!w->snap) {
		label = json_string_value(json_object_get(jb->rec, "Label"));
		ts = json_string_value(json_object_get(jb->rec, "Timestamp"));
		rc = job_restore_plan_load(jb->eng->repo, label, ts, &w->label,
					   &w->snap, err, sizeof(err));
		/* From COMMIT on, the files are all here already. */
		if (rc < 0 && !job_reached(jb, JOB_COMMIT)) {
			job_request_cancel(jb, "error", err);
			return -ECANCELED;
		}
	}
	rc = job_restore_plan_read(jb);
	/* A plan that can't be read can't be carried out: cancel, unless
	 * the commit has begun (then it stays, to be looked at). */
	if (rc == -EIO && !jb->committing) {
		job_request_cancel(jb, "error",
				   "the job's plan is malformed (see the log)");
		return -ECANCELED;
	}
	return rc < 0 ? rc : flatten(jb);
}

/* Has no replica recorded its files yet (resumed before they were)? */
static bool restore_unlisted(struct job *jb)
{
	struct restore_work *w = jb->work;
	const struct record_tablet *tab = w->ntabs ? w->tabs[0].tablet : NULL;

	return tab && (tab->nreplicas == 0 || !tab->replicas[0].has_files);
}

static int restore_downloading(struct job *jb)
{
	struct restore_work *w = jb->work;
	int rc = 0;

	if (jb->files_total == 0 && w->ntabs > 0 && !w->tabs[0].files)
		rc = job_restore_fetch_list(jb); /* resumed */
	return rc < 0 ? rc : job_restore_fetch_all(jb);
}

static int restore_committing(struct job *jb)
{
	int rc = 0;

	/* Resumed: the replicas' file lists, for the commit. */
	if (restore_unlisted(jb)) {
		rc = job_restore_fetch_list(jb);
		if (rc == 0)
			rc = job_restore_fetch_all(jb);
	}
	return rc;
}

/* Replica generations nobody refers to any more (the old ones after a
 * commit, the new ones after a cancel). */
static void restore_gc(struct job *jb)
{
	cluster_gc(jb->eng->cl);
}

static const struct job_step restore_steps[JOB_STATE__COUNT] = {
	[JOB_PENDING] = {.next = JOB_SNAPSHOTING},
	[JOB_SNAPSHOTING] = {.stamp = "MetaPreparedTime",
			     .next = JOB_DOWNLOAD,
			     .run = job_restore_fetch_mkdirs},
	[JOB_DOWNLOAD] = {.stamp = "SnapshotFinishedTime",
			  .next = JOB_DOWNLOADING,
			  .run = job_restore_fetch_list},
	[JOB_DOWNLOADING] = {.next = JOB_COMMIT, .run = restore_downloading},
	[JOB_COMMIT] = {.stamp = "DownloadFinishedTime",
			.next = JOB_COMMITTING},
	[JOB_COMMITTING] = {.next = JOB_FINISHED,
			    .run = restore_committing,
			    .in_txn = commit_tables,
			    .after = restore_gc},
	[JOB_FINISHED] = {.stamp = "FinishedTime"},
	[JOB_CANCELLED] = {.stamp = "FinishedTime"},
};

/* SHOW RESTORE's columns, in its order, then ours. */
static const char *const restore_fields[] = {
	"JobId",
	"Label",
	"Timestamp",
	"DbName",
	"State",
	"AllowLoad",
	"ReplicationNum",
	"RestoreObjs",
	"CreateTime",
	"MetaPreparedTime",
	"SnapshotFinishedTime",
	"DownloadFinishedTime",
	"FinishedTime",
	"UnfinishedTasks",
	"Progress",
	"TaskErrMsg",
	"Status",
	"Timeout",
	"CancelledBy",
	"FilesDownloaded",
	"FilesReused",
	NULL,
};

static const struct job_kind_ops job_restore_ops = {
	.name = "RESTORE",
	.kind = JOB_KIND_RESTORE,
	.spec = SPEC_RESTORE,
	.cancel_spec = SPEC_CANCEL_RESTORE,
	.steps = restore_steps,
	.no_return = JOB_COMMITTING,
	.progress_from = JOB_DOWNLOADING,
	.status_fields = restore_fields,
	.fetched_field = "FilesDownloaded",
	.copied_field = NULL,
	.writes_repo = false,
	.submit = job_restore_plan_submit,
	.start = restore_start,
	.conflict = restore_conflict,
	.holds = restore_holds,
	.cancel_txn = drop_created,
	.cancelled = restore_gc,
	.release = restore_release,
};

const struct job_kind_ops *job_restore_kind(void)
{
	return &job_restore_ops;
}
