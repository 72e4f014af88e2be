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

/* Every tablet of the plan, in plan order. */
static int flatten(struct job *jb)
{
	struct restore_work *w = jb->work;
	json_t *pt, *p, *ix, *tab;
	size_t a, b, c, d, n = 0, cap = 0;

	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt)
		json_array_foreach (
			json_object_get(json_object_get(pt, "table"),
					"partitions"),
			b, p) {
			if (!json_is_true(json_object_get(p, "restored")))
				continue;
			json_array_foreach (json_object_get(p, "indexes"), c,
					    ix)
				json_array_foreach (
					json_object_get(ix, "tablets"), d,
					tab) {
					if (n == cap) {
						struct rtab *v;

						cap = cap ? cap * 2 : 64;
						v = realloc(w->tabs,
							    cap * sizeof(*v));
						if (!v)
							return -ENOMEM;
						w->tabs = v;
					}
					w->tabs[n++] =
						(struct rtab){.tablet = tab};
					w->ntabs = n;
				}
		}
	return 0;
}
struct names {
	char **v;
	size_t n;
};

static int collect_key(const char *key, json_t *val, void *arg)
{
	struct names *nm = arg;
	char **v = realloc(nm->v, (nm->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	nm->v = v;
	v[nm->n] = strdup(key);
	return v[nm->n++] ? 0 : -ENOMEM;
}

/* clean_tables: drop the database's tables this restore didn't touch. */
static int clean_tables(struct job *jb, struct catalog_txn *t)
{
	struct names nm = {0};
	char prefix[300];
	json_t *pt;
	size_t i, a;
	int rc;

	snprintf(prefix, sizeof(prefix), "table/%s/", jb->db);
	rc = catalog_scan(t, prefix, collect_key, &nm);
	for (i = 0; rc == 0 && i < nm.n; i++) {
		bool keep = false;

		json_array_foreach (json_object_get(jb->rec, "plan"), a, pt)
			keep |= strcmp(json_string_value(
					       json_object_get(pt, "dst")),
				       nm.v[i] + strlen(prefix)) == 0;
		if (!keep) {
			snap_log(LOG_INFO,
				 "job %" PRId64 ": clean_tables drops %s",
				 jb->id, nm.v[i] + strlen("table/"));
			rc = catalog_del(t, nm.v[i]);
		}
	}
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	return rc;
}

/* The commit: every restored table in its final form, in the same
 * transaction as FINISHED. */
static int commit_tables(struct job *jb, struct catalog_txn *t)
{
	json_t *pt, *tbl, *p, *ix, *tab, *props;
	const char *db = jb->db;
	char key[600];
	size_t a, b, c, d;
	int rc;

	props = json_object_get(jb->rec, "Properties");
	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt) {
		tbl = json_deep_copy(json_object_get(pt, "table"));
		if (!tbl)
			return -ENOMEM;
		/* clean_partitions: a table restored whole keeps only the
		 * snapshot's partitions. */
		if (json_is_true(json_object_get(props, "clean_partitions")) &&
		    json_is_true(json_object_get(pt, "whole"))) {
			json_t *parts = json_object_get(tbl, "partitions");

			for (b = json_array_size(parts); b-- > 0;)
				if (!json_is_true(json_object_get(
					    json_array_get(parts, b),
					    "restored")))
					json_array_remove(parts, b);
		}
		json_array_foreach (json_object_get(tbl, "partitions"), b, p) {
			json_object_del(p, "restored");
			json_array_foreach (json_object_get(p, "indexes"), c,
					    ix)
				json_array_foreach (
					json_object_get(ix, "tablets"), d, tab)
					json_object_del(tab, "old");
		}
		json_object_set_new(tbl, "state", json_string("NORMAL"));
		json_object_set_new(tbl, "restored_by",
				    json_integer((json_int_t)jb->id));
		job_restore_plan_table_key(
			db, json_string_value(json_object_get(pt, "dst")), key,
			sizeof(key));
		rc = catalog_put(t, key, tbl);
		json_decref(tbl);
		if (rc < 0)
			return rc;
	}
	if (json_is_true(json_object_get(props, "clean_tables")))
		return clean_tables(jb, t);
	return 0;
}

/* Cancel: drop the tables this job created; existing ones were never
 * touched. Same transaction as CANCELLED. */
static int drop_created(struct job *jb, struct catalog_txn *t)
{
	json_t *pt, *cur;
	char key[600];
	size_t a;
	int rc;

	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt) {
		if (!json_is_true(json_object_get(pt, "new")))
			continue;
		job_restore_plan_table_key(
			jb->db, json_string_value(json_object_get(pt, "dst")),
			key, sizeof(key));
		rc = catalog_get(t, key, &cur);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		/* Only the shell this job made, never a table since then. */
		if (json_integer_value(json_object_get(cur, "job_id")) ==
			    jb->id &&
		    strcmp(json_string_value(json_object_get(cur, "state")),
			   "RESTORE") == 0) {
			rc = catalog_del(t, key);
			if (rc < 0) {
				json_decref(cur);
				return rc;
			}
		}
		json_decref(cur);
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
	return flatten(jb);
}

/* Has no replica recorded its files yet (resumed before they were)? */
static bool restore_unlisted(struct job *jb)
{
	struct restore_work *w = jb->work;

	return w->ntabs > 0 &&
	       !json_object_get(
		       json_array_get(
			       json_object_get(w->tabs[0].tablet, "replicas"),
			       0),
		       "files");
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
