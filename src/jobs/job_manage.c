/* SPDX-License-Identifier: MIT */
/*
 * job_manage.c - DROP SNAPSHOT, CLEAN SNAPSHOTS and VERIFY SNAPSHOT: the
 * snapshot management Doris and StarRocks lack, run at once (not as jobs)
 * with a report for control/last_report. They live beside the jobs
 * because a snapshot a running job reads must not be deleted under it.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs_int.h"
#include "base/base.h"
#include "repo/repo.h"
#include "spec.h"

#include "base/banned.h"

/* Does a running job read (restore) or write (backup) label/ts? NULL ts:
 * any timestamp of the label. */
static struct job *job_using(struct jobs *eng, const char *label,
			     const char *ts)
{
	struct job *jb, *found = NULL;
	const char *l, *t;

	pthread_mutex_lock(&eng->lock);
	for (jb = eng->list; jb && !found; jb = jb->next) {
		if (!jb->running || jb->ending)
			continue;
		l = json_string_value(json_object_get(
			jb->rec, jb->kind == JOB_KIND_BACKUP ? "SnapshotName"
							     : "Label"));
		t = json_string_value(json_object_get(jb->rec, "Timestamp"));
		if (l && strcmp(l, label) == 0 &&
		    (!ts || (t && !strcmp(t, ts))))
			found = jb;
	}
	pthread_mutex_unlock(&eng->lock);
	return found;
}

/* Delete one timestamp of a label (reloading the label each time). */
static int drop_one(struct jobs *eng, const char *label, const char *ts,
		    FILE *out, char *err, size_t errlen)
{
	struct repo_label *l = NULL;
	struct job *jb;
	char dir[300];
	size_t i;
	int rc;

	jb = job_using(eng, label, ts);
	if (jb)
		return job_errf(err, errlen, -EBUSY,
				"snapshot %s/%s is in use by job %" PRId64
				"; wait for it or cancel it",
				label, ts, jb->id);
	snprintf(dir, sizeof(dir), "__ss_%s", label);
	rc = repo_label_load(eng->repo, dir, &l);
	if (rc < 0)
		return job_errf(err, errlen, rc, "snapshot \"%s\" not found",
				label);
	for (i = 0; i < l->nts; i++)
		if (strcmp(l->ts[i].name, ts) == 0)
			break;
	if (i == l->nts) {
		repo_label_free(l);
		return job_errf(err, errlen, -ENOENT,
				"snapshot \"%s\" has no timestamp \"%s\"",
				label, ts);
	}
	rc = repo_snapshot_delete(eng->repo, l, &l->ts[i], err, errlen);
	if (rc == 0)
		fprintf(out, "dropped %s/%s\n", label, ts);
	repo_label_free(l);
	return rc;
}

static int do_drop(struct jobs *eng, const struct spec *sp, FILE *out,
		   char *err, size_t errlen)
{
	struct repo_label *l = NULL;
	char dir[300], **names = NULL;
	size_t i, n = 0;
	int rc;

	if (sp->backup_timestamp)
		return drop_one(eng, sp->label, sp->backup_timestamp, out, err,
				errlen);
	if (job_using(eng, sp->label, NULL))
		return job_errf(err, errlen, -EBUSY,
				"snapshot %s is in use by a running job",
				sp->label);
	snprintf(dir, sizeof(dir), "__ss_%s", sp->label);
	rc = repo_label_load(eng->repo, dir, &l);
	if (rc < 0)
		return job_errf(err, errlen, rc, "snapshot \"%s\" not found",
				sp->label);
	names = calloc(l->nts + 1, sizeof(*names));
	for (i = 0; names && i < l->nts; i++)
		if (l->ts[i].valid_name)
			names[n++] = strdup(l->ts[i].name);
	repo_label_free(l);
	if (!names)
		return -ENOMEM;
	for (i = 0; rc == 0 && i < n; i++)
		rc = names[i] ? drop_one(eng, sp->label, names[i], out, err,
					 errlen)
			      : -ENOMEM;
	/* Leftovers (an unfinished backup, .part files) go too. */
	if (rc == 0) {
		rc = repo_label_purge(eng->repo, dir, err, errlen);
		if (rc == -ENOENT)
			rc = 0;
		else if (rc == 0)
			fprintf(out, "removed what was left of %s\n", dir);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int do_clean(struct jobs *eng, const struct spec *sp, FILE *out,
		    char *err, size_t errlen)
{
	struct repo_plan *plan = NULL;
	char e2[300];
	size_t i, kept = 0, done = 0, failed = 0;
	int rc;

	rc = repo_retention_plan(eng->repo, (int)sp->keep_last,
				 sp->older_than_s, (int64_t)time(NULL), &plan);
	if (rc < 0)
		return job_errf(err, errlen, rc, "cannot plan the clean-up: %s",
				strerror(-rc));
	fprintf(out, "%s", sp->dry_run ? "DRY RUN: would drop\n" : "");
	for (i = 0; i < plan->n; i++) {
		const struct repo_plan_item *it = &plan->items[i];

		if (sp->only_label && strcmp(sp->only_label, it->label) != 0) {
			kept++;
			continue;
		}
		if (sp->dry_run) {
			fprintf(out, "%s/%s\t%s\n", it->label, it->ts,
				it->reason);
			done++;
			continue;
		}
		e2[0] = '\0';
		if (drop_one(eng, it->label, it->ts, out, e2, sizeof(e2)) < 0) {
			fprintf(out, "NOT dropped %s/%s: %s\n", it->label,
				it->ts, e2);
			failed++;
		} else {
			done++;
		}
	}
	fprintf(out, "%zu snapshot%s %s, %zu failed\n", done,
		done == 1 ? "" : "s",
		sp->dry_run ? "would be dropped" : "dropped", failed);
	repo_plan_free(plan);
	return failed ? job_errf(err, errlen, -EIO,
				 "%zu snapshots could not be dropped (see "
				 "control/last_report)",
				 failed)
		      : 0;
}

static int do_verify(struct jobs *eng, const struct spec *sp, FILE *out,
		     char *err, size_t errlen)
{
	struct repo_label *l = NULL;
	struct repo_snapshot *s = NULL;
	struct repo_verify_report *rep = NULL;
	char dir[300], *text = NULL;
	size_t i, len, pick = SIZE_MAX;
	int rc;

	snprintf(dir, sizeof(dir), "__ss_%s", sp->label);
	rc = repo_label_load(eng->repo, dir, &l);
	if (rc < 0)
		return job_errf(err, errlen, rc, "snapshot \"%s\" not found",
				sp->label);
	/* The given timestamp, or the newest valid one. */
	for (i = 0; i < l->nts; i++)
		if (l->ts[i].valid_name &&
		    (!sp->backup_timestamp ||
		     strcmp(l->ts[i].name, sp->backup_timestamp) == 0))
			pick = i;
	if (pick == SIZE_MAX) {
		rc = job_errf(err, errlen, -ENOENT,
			      "snapshot \"%s\" has no %s%s%s", sp->label,
			      sp->backup_timestamp ? "timestamp \""
						   : "complete "
						     "timestamp",
			      sp->backup_timestamp ? sp->backup_timestamp : "",
			      sp->backup_timestamp ? "\"" : "");
		goto out;
	}
	rc = repo_snapshot_load(eng->repo, l, &l->ts[pick], &s);
	if (rc == 0)
		rc = repo_snapshot_verify(eng->repo, s, sp->sample_percent,
					  sp->seed, &rep);
	if (rc == 0)
		rc = repo_verify_text(rep, &text, &len);
	if (rc < 0) {
		job_errf(err, errlen, rc, "verify %s/%s: %s", sp->label,
			 l->ts[pick].name, strerror(-rc));
		goto out;
	}
	fprintf(out, "VERIFY %s/%s (%u%%, seed %" PRIu64 ")\n", sp->label,
		l->ts[pick].name, sp->sample_percent, sp->seed);
	fwrite(text, 1, len, out);
	/* A failed verification is a finding, not a bad statement; the
	 * first line of the report says FAILED. */
out:
	free(text);
	repo_verify_report_free(rep);
	repo_snapshot_free(s);
	repo_label_free(l);
	return rc;
}

/* The statements this file runs, and what runs each. */
static const struct {
	enum spec_kind kind;
	int (*run)(struct jobs *eng, const struct spec *sp, FILE *out,
		   char *err, size_t errlen);
	bool changes_repo; /* bump repo_gen afterwards (unless a dry run) */
} manage_kinds[] = {
	{SPEC_DROP_SNAPSHOT, do_drop, true},
	{SPEC_CLEAN_SNAPSHOTS, do_clean, true},
	{SPEC_VERIFY_SNAPSHOT, do_verify, false},
};

int jobs_manage_spec(struct jobs *eng, const struct spec *sp, char *err,
		     size_t errlen, char **report)
{
	char *buf = NULL;
	size_t i, n = 0;
	FILE *out;
	int rc;

	for (i = 0; i < sizeof(manage_kinds) / sizeof(manage_kinds[0]); i++)
		if (manage_kinds[i].kind == sp->kind)
			break;
	if (i == sizeof(manage_kinds) / sizeof(manage_kinds[0]))
		return job_errf(err, errlen, -EINVAL,
				"%s is not a snapshot management statement",
				spec_kind_name(sp->kind));
	out = open_memstream(&buf, &n);
	if (!out)
		return -ENOMEM;
	rc = manage_kinds[i].run(eng, sp, out, err, errlen);
	if (fclose(out) != 0 && rc == 0)
		rc = -ENOMEM;
	if (manage_kinds[i].changes_repo &&
	    !(sp->kind == SPEC_CLEAN_SNAPSHOTS && sp->dry_run))
		atomic_fetch_add(&eng->repo_gen, 1);
	*report = buf;
	return rc;
}

int jobs_drop_snapshot(struct jobs *eng, const char *label, const char *ts,
		       char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	int rc;

	if (!out)
		return -ENOMEM;
	rc = drop_one(eng, label, ts, out, err, errlen);
	fclose(out);
	free(buf);
	if (rc == 0)
		atomic_fetch_add(&eng->repo_gen, 1);
	return rc;
}
