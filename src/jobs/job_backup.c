/* SPDX-License-Identifier: MIT */
/*
 * job_backup.c - the BACKUP kind: local tables into the mounted
 * repository, in the layout Doris writes. Its table of states:
 *
 *   PENDING -> SNAPSHOTING (hard links of every file, while the job
 *   holds the tables) -> UPLOAD_SNAPSHOT -> UPLOADING (send each file)
 *   -> SAVE_META -> UPLOAD_INFO (__meta, then __info_ last) -> FINISHED
 *
 * The checks and plan at submission are in job_backup_plan.c, the files
 * in job_backup_upload.c, the documents in job_backup_meta.c. A cancelled
 * backup removes what it uploaded (its label was new), and its info
 * object never exists, so nothing it leaves looks complete.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "job_backup_int.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "store/store.h"

#include "base/banned.h"

/* Room for one more tablet in w->tabs; NULL: no memory. */
static struct btab *more_tabs(struct backup_work *w, size_t *cap)
{
	struct btab *v;

	if (w->ntabs == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		v = realloc(w->tabs, *cap * sizeof(*v));
		if (!v)
			return NULL;
		w->tabs = v;
	}
	return &w->tabs[w->ntabs++];
}

/* Every tablet of the plan, in plan order. */
static int flatten(struct backup_work *w)
{
	const struct record_table *tbl;
	const struct record_partition *p;
	const struct record_index *ix;
	struct btab *bt;
	size_t a, b, c, d, cap = 0;

	for (a = 0; a < w->ntables; a++) {
		tbl = &w->tables[a];
		for (b = 0; b < tbl->nparts; b++) {
			p = &tbl->parts[b];
			for (c = 0; c < p->nindexes; c++) {
				ix = &p->indexes[c];
				for (d = 0; d < ix->ntablets; d++) {
					bt = more_tabs(w, &cap);
					if (!bt)
						return -ENOMEM;
					*bt = (struct btab){tbl, p, ix,
							    &ix->tablets[d]};
				}
			}
		}
	}
	return 0;
}

/* The plan's tables, typed, from jb->rec. Takes eng->lock.
 * @return 0; -EIO a table is malformed (logged, naming the job);
 *         -ENOMEM. */
static int read_plan(struct job *jb, struct backup_work *w)
{
	json_t *tables, *j;
	char what[64];
	size_t i, n;
	int rc = 0;

	snprintf(what, sizeof(what), "the plan of job %" PRId64, jb->id);
	pthread_mutex_lock(&jb->eng->lock);
	tables = json_object_get(json_object_get(jb->rec, "plan"), "tables");
	n = json_array_size(tables);
	w->tables = calloc(n ? n : 1, sizeof(*w->tables));
	if (!w->tables)
		rc = -ENOMEM;
	json_array_foreach (tables, i, j) {
		if (rc < 0)
			break;
		rc = record_table_from_json(j, what, &w->tables[i]);
		if (rc == 0)
			w->ntables++;
	}
	pthread_mutex_unlock(&jb->eng->lock);
	return rc < 0 ? rc : flatten(w);
}

struct rm_ctx {
	char **keys;
	size_t n, cap;
	int rc;
};

static int rm_cb(const struct store_entry *e, void *arg)
{
	struct rm_ctx *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		char **k = realloc(c->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		c->keys = k;
		c->cap = cap;
	}
	if (!(c->keys[c->n] = strdup(e->key)))
		return -ENOMEM;
	c->n++;
	return 0;
}

/* A cancelled backup takes back what it sent: its label was new. */
static void backup_cancelled(struct job *jb)
{
	struct store *st = repo_store(jb->eng->repo);
	struct rm_ctx c = {0};
	char prefix[1024];

	cluster_remove_snapshot(jb->eng->cl, jb->id);
	snprintf(prefix, sizeof(prefix), "%s__ss_%s/", repo_root(jb->eng->repo),
		 jstr(jb->rec, "SnapshotName"));
	/* All that was sent, then batched deletes (S3 DeleteObjects). */
	c.rc = store_list(st, prefix, NULL, rm_cb, &c);
	if (c.rc == 0)
		c.rc = store_remove_many(st, (const char *const *)c.keys, c.n);
	if (c.rc < 0)
		snap_log(LOG_WARNING,
			 "job %" PRId64 ": could not remove all of %s: %s",
			 jb->id, prefix, store_strerror(c.rc));
	while (c.n)
		free(c.keys[--c.n]);
	free(c.keys);
}

/* The hard-link snapshot, once FINISHED is recorded. */
static void backup_finished(struct job *jb)
{
	cluster_remove_snapshot(jb->eng->cl, jb->id);
}

static void backup_release(struct job *jb)
{
	struct backup_work *w = jb->work;

	if (!w)
		return;
	json_decref(w->donors);
	free(w->tabs);
	record_tables_free(w->tables, w->ntables);
	free(w);
	jb->work = NULL;
}

/* The tables it backs up: hand-made writes to them are EBUSY until it
 * ends, so the files it links are the ones it recorded. BackupObjs names
 * them: the plan's tables, in the same order (job_backup_plan.c writes
 * both), read without decoding the plan. */
static bool backup_holds(const struct job *jb, const char *table)
{
	json_t *name;
	size_t i;

	json_array_foreach (json_object_get(jb->rec, "BackupObjs"), i, name)
		if (strcmp(json_string_value(name) ?: "", table) == 0)
			return true;
	return false;
}

/* One running job per database; one unfinished backup per label. */
static int backup_conflict(const struct job *jb, const struct job *other,
			   char *err, size_t errlen)
{
	const char *label = jstr(jb->rec, "SnapshotName");

	if (strcmp(other->db, jb->db) != 0 &&
	    (other->ops != jb->ops || other->committing ||
	     strcmp(jstr(other->rec, "SnapshotName"), label) != 0))
		return 0;
	return job_errf(err, errlen, -EBUSY,
			"database \"%s\" or label \"%s\" has a running job "
			"%" PRId64 " (%s); wait for it or CANCEL",
			jb->db, label, other->id, job_state_name(other->state));
}

static int backup_start(struct job *jb)
{
	struct backup_work *w = jb->work;
	int rc;

	/* A resumed backup writes only to the repository it was started
	 * for: its clean-up would delete that label here otherwise. */
	if (jb->resumed && strcmp(jstr(jb->rec, "Repository"),
				  repo_name(jb->eng->repo)) != 0) {
		snap_log(LOG_ERR,
			 "job %" PRId64 ": BACKUP to repository \"%s\" not "
			 "resumed: \"%s\" is mounted; it resumes when that "
			 "repository is",
			 jb->id, jstr(jb->rec, "Repository"),
			 repo_name(jb->eng->repo));
		return -EXDEV;
	}
	if (!w) {
		w = jb->work = calloc(1, sizeof(*w));
		rc = w ? read_plan(jb, w) : -ENOMEM;
		/* A plan that can't be read can't be carried out: cancel,
		 * unless the info object is on its way (then it stays, to be
		 * looked at). */
		if (rc == -EIO && !jb->committing) {
			job_request_cancel(jb, "error",
					   "the job's plan is malformed (see "
					   "the log)");
			return -ECANCELED;
		}
		if (rc < 0)
			return rc; /* resumes at the next start */
	}
	job_backup_upload_count(jb);
	return 0;
}

static int backup_uploading(struct job *jb)
{
	if (strcmp(jstr(jb->rec, "Content"), "ALL") != 0)
		return 0; /* metadata only */
	return job_backup_upload_all(jb);
}

static const struct job_step backup_steps[JOB_STATE__COUNT] = {
	[JOB_PENDING] = {.next = JOB_SNAPSHOTING},
	[JOB_SNAPSHOTING] = {.next = JOB_UPLOAD_SNAPSHOT,
			     .run = job_backup_upload_link},
	[JOB_UPLOAD_SNAPSHOT] = {.stamp = "SnapshotFinishedTime",
				 .next = JOB_UPLOADING},
	[JOB_UPLOADING] = {.next = JOB_SAVE_META, .run = backup_uploading},
	[JOB_SAVE_META] = {.stamp = "UploadFinishedTime",
			   .next = JOB_UPLOAD_INFO},
	/* Retried at the next start if it fails, as Doris retries until
	 * the timeout. */
	[JOB_UPLOAD_INFO] = {.next = JOB_FINISHED,
			     .run = job_backup_meta_upload,
			     .after = backup_finished},
	[JOB_FINISHED] = {.stamp = "FinishedTime"},
	[JOB_CANCELLED] = {.stamp = "FinishedTime"},
};

/* SHOW BACKUP's columns, in its order, then ours. */
static const char *const backup_fields[] = {
	"JobId",
	"SnapshotName",
	"DbName",
	"State",
	"BackupObjs",
	"CreateTime",
	"SnapshotFinishedTime",
	"UploadFinishedTime",
	"FinishedTime",
	"UnfinishedTasks",
	"Progress",
	"TaskErrMsg",
	"Status",
	"Timeout",
	"Timestamp",
	"CancelledBy",
	"FilesUploaded",
	"FilesReused",
	"FilesCopied",
	NULL,
};

static const struct job_kind_ops job_backup_ops = {
	.name = "BACKUP",
	.kind = JOB_KIND_BACKUP,
	.spec = SPEC_BACKUP,
	.cancel_spec = SPEC_CANCEL_BACKUP,
	.steps = backup_steps,
	.no_return = JOB_UPLOAD_INFO,
	.progress_from = JOB_UPLOAD_SNAPSHOT,
	.status_fields = backup_fields,
	.fetched_field = "FilesUploaded",
	.copied_field = "FilesCopied",
	.writes_repo = true,
	.submit = job_backup_plan_submit,
	.start = backup_start,
	.conflict = backup_conflict,
	.holds = backup_holds,
	.cancel_txn = NULL,
	.cancelled = backup_cancelled,
	.release = backup_release,
};

const struct job_kind_ops *job_backup_kind(void)
{
	return &job_backup_ops;
}
