/* SPDX-License-Identifier: MIT */
/*
 * job_backup_plan.c - BACKUP at submission: check that the repository
 * can take it (writable, a new label, content the flavor supports), pick
 * the database's tables (each cut down to the chosen partitions), and
 * record them in the job as its plan, then register it.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "job_backup_int.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "spec.h"
#include "store/store.h"

#include "base/banned.h"

/* The timestamp name of a backup taken at @ms, in the flavor's format. */
static void backup_ts(enum repo_flavor flavor, int64_t ms, char *buf,
		      size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	/* Doris formats in the FE's zone; ours is this machine's. */
	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	strftime(buf, len, "%Y-%m-%d-%H-%M-%S", &tm);
	if (flavor == REPO_FLAVOR_STARROCKS)
		snprintf(buf + strlen(buf), len - strlen(buf), "-%03d",
			 (int)(ms % 1000));
}

/* What the repository must allow before anything is planned. */
static int check_repo(struct jobs *eng, const struct spec *sp, char *err,
		      size_t errlen)
{
	struct store *st = repo_store(eng->repo);
	struct repo_label *l = NULL;
	char dir[300];
	int rc;

	if (!sp->db)
		return job_errf(err, errlen, -EINVAL,
				"BACKUP needs a database: BACKUP SNAPSHOT "
				"db.%s TO %s ...",
				sp->label, sp->repo);
	if (sp->content == SPEC_CONTENT_METADATA_ONLY &&
	    repo_flavor(eng->repo) == REPO_FLAVOR_STARROCKS)
		return job_errf(
			err, errlen, -EINVAL,
			"\"content\" = \"metadata_only\" is a Doris "
			"feature: a StarRocks repository's RESTORE needs "
			"every tablet's data");
	if (!store_can(st, STORE_CAP_WRITE))
		return job_errf(err, errlen, -EROFS,
				"the repository at %s cannot be written",
				st->url);
	/* As Doris: a label that exists in the repository is refused. */
	snprintf(dir, sizeof(dir), "__ss_%s", sp->label);
	rc = repo_label_load(eng->repo, dir, &l);
	repo_label_free(l);
	if (rc == 0)
		return job_errf(err, errlen, -EEXIST,
				"Snapshot with name '%s' already exist in "
				"repository '%s'",
				sp->label, repo_name(eng->repo));
	if (rc != -ENOENT)
		return job_errf(err, errlen, rc, "cannot list %s: %s", dir,
				strerror(-rc));
	return 0;
}

/* @tbl as its plan keeps it (stored form), cut down to the partitions
 * @want names, if any. @return 0 and *out; -ENOENT (err says which
 * partition); -ENOMEM. */
static int plan_json(const struct record_table *tbl,
		     const struct spec_table *want, const char *db, char *err,
		     size_t errlen, json_t **out)
{
	struct record_table cut = {0};
	const char *missing = NULL;
	json_t *j = NULL;
	int rc;

	rc = record_table_to_json(tbl, RECORD_JSON_STORED, &j);
	if (rc < 0 || !want || !want->npartitions)
		goto out;
	/* A copy of its own to cut: the statement may name a table twice. */
	rc = record_table_from_json(j, tbl->name, &cut);
	json_decref(j);
	j = NULL;
	if (rc == 0)
		rc = record_table_pick_partitions(
			&cut, (const char *const *)want->partitions,
			want->npartitions, true, &missing);
	if (rc == -ENOENT)
		rc = job_errf(err, errlen, rc,
			      "partition \"%s\" is not in table %s.%s", missing,
			      db, want->name);
	if (rc == 0)
		rc = record_table_to_json(&cut, RECORD_JSON_STORED, &j);
	record_table_release(&cut);
out:
	if (rc < 0) {
		json_decref(j);
		return rc;
	}
	*out = j;
	return 0;
}

/* The table named @name, ignoring ASCII case as Doris does, or NULL. */
static const struct record_table *find_table(const struct record_table *all,
					     size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(all[i].name, name) == 0)
			return &all[i];
	return NULL;
}

/* One table of the backup: @want (NULL: the @i-th of @all). Appends it,
 * cut down, to @tables and its name to @objs. */
static int choose_table(const struct spec *sp, const struct record_table *all,
			size_t nall, size_t i, json_t *tables, json_t *objs,
			char *err, size_t errlen)
{
	const struct spec_table *want = sp->ntables ? &sp->tables[i] : NULL;
	const struct record_table *tbl;
	json_t *j;
	int rc;

	tbl = want ? find_table(all, nall, want->name) : &all[i];
	if (!tbl)
		return job_errf(err, errlen, -ENOENT,
				"table \"%s\" is not in database \"%s\"",
				want->name, sp->db);
	if (tbl->state != RECORD_TABLE_NORMAL)
		return job_errf(err, errlen, -EBUSY,
				"table %s.%s is being restored", sp->db,
				tbl->name);
	rc = plan_json(tbl, want, sp->db, err, errlen, &j);
	if (rc < 0)
		return rc;
	if (json_array_append_new(tables, j) < 0 ||
	    json_array_append_new(objs, json_string(tbl->name)) < 0)
		return -ENOMEM;
	return 0;
}

/* The chosen tables of the database, and their names for BackupObjs. */
static int choose_tables(struct catalog_txn *t, const struct spec *sp,
			 json_t *tables, json_t *objs, char *err, size_t errlen)
{
	struct record_table *all = NULL;
	size_t i, n, nall = 0;
	int rc;

	rc = record_table_list(t, sp->db, &all, &nall);
	n = sp->ntables ? sp->ntables : nall;
	for (i = 0; rc == 0 && i < n; i++)
		rc = choose_table(sp, all, nall, i, tables, objs, err, errlen);
	record_tables_free(all, nall);
	if (rc == 0 && json_array_size(tables) == 0)
		rc = job_errf(err, errlen, -ENOENT,
			      "database \"%s\" has no tables to back up",
			      sp->db);
	return rc;
}

/* The job, PENDING, with the tables as its plan. */
static int new_job(struct jobs *eng, struct catalog_txn *t,
		   const struct spec *sp, int64_t db_id, json_t *tables,
		   json_t *objs, struct job **out)
{
	struct timespec tv;
	char now[32], ts[40];
	int64_t id, ms;
	json_t *rec;
	int rc;

	rc = catalog_alloc_ids(t, 1, &id);
	if (rc < 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &tv);
	ms = (int64_t)tv.tv_sec * 1000 + tv.tv_nsec / 1000000;
	backup_ts(repo_flavor(eng->repo), ms, ts, sizeof(ts));
	job_now(now, sizeof(now));
	rec = json_pack(
		"{s:s, s:I, s:s, s:s, s:s, s:s, s:O, s:s, s:n, s:n, s:n, "
		"s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:{s:O}}",
		"Type", "BACKUP", "JobId", (json_int_t)id, "SnapshotName",
		sp->label, "Timestamp", ts, "DbName", sp->db, "State",
		"PENDING", "BackupObjs", objs, "CreateTime", now,
		"SnapshotFinishedTime", "UploadFinishedTime", "FinishedTime",
		"UnfinishedTasks", 0, "Progress", "0/0 files", "TaskErrMsg", "",
		"Status", "[OK]", "Timeout", (json_int_t)sp->timeout_s,
		"created_at", (json_int_t)tv.tv_sec, "backup_time",
		(json_int_t)ms, "Repository", repo_name(eng->repo), "Content",
		sp->content == SPEC_CONTENT_METADATA_ONLY ? "METADATA_ONLY"
							  : "ALL",
		"db_id", (json_int_t)db_id, "plan", "tables", tables);
	if (!rec)
		return -ENOMEM;
	*out = job_new(eng, id, rec);
	return *out ? 0 : -ENOMEM;
}

/* The database's id; ENOENT names it. */
static int get_db(struct catalog_txn *t, const char *db, int64_t *id, char *err,
		  size_t errlen)
{
	struct record_db rec = {0};
	int rc = record_db_get(t, db, &rec);

	if (rc == -ENOENT)
		return job_errf(err, errlen, rc,
				"database \"%s\" is not in the local cluster",
				db);
	if (rc == 0)
		*id = rec.id;
	record_db_release(&rec);
	return rc;
}

int job_backup_plan_submit(struct jobs *eng, const struct spec *sp, char *err,
			   size_t errlen, int64_t *job_id)
{
	json_t *tables = NULL, *objs = NULL;
	struct catalog_txn *t = NULL;
	struct job *jb = NULL;
	char ts[40];
	int64_t id, db_id = 0;
	int rc;

	rc = check_repo(eng, sp, err, errlen);
	if (rc < 0)
		return rc;
	rc = catalog_begin(cluster_catalog(eng->cl), true, &t);
	if (rc < 0)
		return rc;
	rc = get_db(t, sp->db, &db_id, err, errlen);
	if (rc < 0)
		goto out;
	tables = json_array();
	objs = json_array();
	rc = tables && objs ? choose_tables(t, sp, tables, objs, err, errlen)
			    : -ENOMEM;
	if (rc == 0)
		rc = new_job(eng, t, sp, db_id, tables, objs, &jb);
	if (rc < 0)
		goto out;
	id = jb->id;
	snprintf(ts, sizeof(ts), "%s", jstr(jb->rec, "Timestamp"));
	/* One running job per database and per label: job_register()
	 * checks and registers under one hold of eng->lock. */
	rc = job_register(jb, t, err, errlen);
	jb = NULL;
	t = NULL;
	if (rc < 0)
		goto out;
	snap_log(LOG_INFO, "job %" PRId64 ": BACKUP %s.%s to %s as %s", id,
		 sp->db, sp->label, repo_name(eng->repo), ts);
	if (job_id)
		*job_id = id;
out:
	catalog_abort(t);
	job_free(jb);
	json_decref(tables);
	json_decref(objs);
	return rc;
}
