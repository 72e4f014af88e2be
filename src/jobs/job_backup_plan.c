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
#include <time.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "job_backup_int.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "spec.h"
#include "store/store.h"

#include "base/banned.h"

static int collect_table(const char *key, json_t *val, void *arg)
{
	json_t *arr = arg;

	return json_array_append(arr, val) < 0 ? -ENOMEM : 0;
}

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

/* Cut a copy of a table down to the partitions @want names. */
static int keep_partitions(json_t *tbl, const struct spec_table *want,
			   const char *db, char *err, size_t errlen)
{
	json_t *keep = json_array(), *v;
	size_t k;

	for (k = 0; keep && k < want->npartitions; k++) {
		v = catalog_find_named(json_object_get(tbl, "partitions"),
				       want->partitions[k], true);
		if (!v) {
			json_decref(keep);
			return job_errf(err, errlen, -ENOENT,
					"partition \"%s\" is not in table "
					"%s.%s",
					want->partitions[k], db, want->name);
		}
		json_array_append(keep, v);
	}
	if (!keep)
		return -ENOMEM;
	json_object_set_new(tbl, "partitions", keep);
	return 0;
}

/* One table of the backup: @want (NULL: the @i-th of @all). Appends a
 * copy of it to @tables and its name to @objs. */
static int choose_table(const struct spec *sp, json_t *all, size_t i,
			json_t *tables, json_t *objs, char *err, size_t errlen)
{
	const struct spec_table *want = sp->ntables ? &sp->tables[i] : NULL;
	json_t *tbl;

	tbl = want ? catalog_find_named(all, want->name, true)
		   : json_array_get(all, i);
	if (!tbl)
		return job_errf(err, errlen, -ENOENT,
				"table \"%s\" is not in database \"%s\"",
				want->name, sp->db);
	if (strcmp(jstr(tbl, "state"), "NORMAL") != 0)
		return job_errf(err, errlen, -EBUSY,
				"table %s.%s is being restored", sp->db,
				jstr(tbl, "name"));
	tbl = json_deep_copy(tbl);
	if (!tbl || json_array_append_new(tables, tbl) < 0)
		return -ENOMEM;
	if (want && want->npartitions) {
		int rc = keep_partitions(tbl, want, sp->db, err, errlen);

		if (rc < 0)
			return rc;
	}
	return json_array_append_new(objs, json_string(jstr(tbl, "name"))) < 0
		       ? -ENOMEM
		       : 0;
}

/* The chosen tables of the database, and their names for BackupObjs. */
static int choose_tables(struct catalog_txn *t, const struct spec *sp,
			 json_t *tables, json_t *objs, char *err, size_t errlen)
{
	json_t *all = json_array();
	char key[300];
	size_t i, n;
	int rc;

	snprintf(key, sizeof(key), "table/%s/", sp->db);
	rc = all ? catalog_scan(t, key, collect_table, all) : -ENOMEM;
	n = sp->ntables ? sp->ntables : json_array_size(all);
	for (i = 0; rc == 0 && i < n; i++)
		rc = choose_table(sp, all, i, tables, objs, err, errlen);
	json_decref(all);
	if (rc == 0 && json_array_size(tables) == 0)
		rc = job_errf(err, errlen, -ENOENT,
			      "database \"%s\" has no tables to back up",
			      sp->db);
	return rc;
}

/* The job, PENDING, with the tables as its plan. */
static int new_job(struct jobs *eng, struct catalog_txn *t,
		   const struct spec *sp, json_t *dbrec, json_t *tables,
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
		"db_id", (json_int_t)jint(dbrec, "id"), "plan", "tables",
		tables);
	if (!rec)
		return -ENOMEM;
	*out = job_new(eng, id, rec);
	return *out ? 0 : -ENOMEM;
}

/* The database's record; ENOENT names it. */
static int get_db(struct catalog_txn *t, const char *db, json_t **out,
		  char *err, size_t errlen)
{
	char key[300];
	int rc;

	snprintf(key, sizeof(key), "db/%s", db);
	rc = catalog_get(t, key, out);
	if (rc == -ENOENT)
		return job_errf(err, errlen, rc,
				"database \"%s\" is not in the local cluster",
				db);
	return rc;
}

int job_backup_plan_submit(struct jobs *eng, const struct spec *sp, char *err,
			   size_t errlen, int64_t *job_id)
{
	json_t *tables = NULL, *objs = NULL, *dbrec = NULL;
	struct catalog_txn *t = NULL;
	struct job *jb = NULL;
	char ts[40];
	int64_t id;
	int rc;

	rc = check_repo(eng, sp, err, errlen);
	if (rc < 0)
		return rc;
	rc = catalog_begin(cluster_catalog(eng->cl), true, &t);
	if (rc < 0)
		return rc;
	rc = get_db(t, sp->db, &dbrec, err, errlen);
	if (rc < 0)
		goto out;
	tables = json_array();
	objs = json_array();
	rc = tables && objs ? choose_tables(t, sp, tables, objs, err, errlen)
			    : -ENOMEM;
	if (rc == 0)
		rc = new_job(eng, t, sp, dbrec, tables, objs, &jb);
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
	json_decref(dbrec);
	json_decref(tables);
	json_decref(objs);
	return rc;
}
