/* SPDX-License-Identifier: MIT */
/*
 * test-jobs.c - RESTORE and BACKUP jobs driven through the jobs API,
 * without FUSE: a repository made by contrib/snapfs-mkrepo, a store that
 * holds it, a cluster in a temp data directory, the engine. Jobs run to
 * FINISHED (the catalog, the replica files and the repository objects are
 * checked), are cancelled in every state of each kind, are stopped or
 * killed (-9, in a child process) mid-state and resumed, and fail on a
 * missing or corrupt object; after a cancel or a failure the tables are
 * as they were.
 *
 * The repository's store is a parameter: TEST_JOBS_URL (NULL here: the
 * generated directory, file://) or SNAPFS_TEST_JOBS_URL. test-jobs-mem.c
 * builds this same file with "mem://", so `make check` runs every test
 * on both stores; on mem:// the generated repository is loaded with
 * store_import_dir(), and a stop and start of the engine on the same
 * mem:// name is an unmount and mount. The fixture is in jobs-fx.c;
 * failures injected through the fault layer are in test-jobs-faults.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "cluster/cluster_int.h" /* raw records, to set up and inspect */
#include "jobs/jobs.h"
#include "jobs/spec.h"
#include "repo/repo.h"
#include "store/store.h"
#include "jobs-fx.h"
#include "unit.h"

#include "base/banned.h"

/* The store the tests run on when SNAPFS_TEST_JOBS_URL is not set: NULL
 * is the generated directory (file://); test-jobs-mem.c sets "mem://". */
#ifndef TEST_JOBS_URL
#define TEST_JOBS_URL NULL
#endif

static void setup(void)
{
	fx_setup(fx_small_repo, fx_url(TEST_JOBS_URL), FX_PLAIN);
}

static void teardown(void)
{
	fx_teardown();
}

/* ---- to FINISHED
 * -----------------------------------------------------------*/

START_TEST(test_restore_finishes)
{
	char *v, want[64], *show = NULL;
	size_t len;

	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert_int_gt(fx.id, 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db1", 2);
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	snprintf(want, sizeof(want), "%zu", fx.nfiles);
	ck_assert(field_is(fx.id, "FilesDownloaded", want));
	v = field(fx.id, "Progress");
	snprintf(want, sizeof(want), "%zu/%zu files", fx.nfiles, fx.nfiles);
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(strncmp(v, want, strlen(want)) == 0, "Progress: %s", v);
	free(v);
	ck_assert_int_eq(jobs_show(fx.jobs, JOB_KIND_RESTORE, &show, &len), 0);
	ck_assert_ptr_nonnull(strstr(show, "\tsnap1\t"));
	ck_assert_ptr_nonnull(strstr(show, "FINISHED"));
	free(show);
	ck_assert_int_eq(jobs_show(fx.jobs, JOB_KIND_BACKUP, &show, &len), 0);
	ck_assert_ptr_null(strstr(show, "snap1"));
	free(show);
	/* Nothing is held once it has finished. */
	ck_assert(!jobs_table_busy(fx.jobs, "db1", "t1"));
}
END_TEST

START_TEST(test_restore_again_reuses_files)
{
	char want[32];

	base_restore();
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ck_assert(field_is(fx.id, "FilesDownloaded", "0"));
	snprintf(want, sizeof(want), "%zu", fx.nfiles);
	ck_assert(field_is(fx.id, "FilesReused", want));
	check_restored("db1", 2);
	/* The old generation is gone, the new one is all there is. */
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
}
END_TEST

START_TEST(test_backup_finishes)
{
	unsigned gen = jobs_repo_generation(fx.jobs);
	struct repo_label *l = NULL;
	struct repo_snapshot *s = NULL;
	struct objs o;

	base_restore();
	ck_assert_int_eq(backup("db1", "bk"), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ck_assert(field_is(fx.id, "SnapshotName", "bk"));
	o = label_objects("bk");
	ck_assert_uint_eq(o.content, fx.nfiles);
	ck_assert_uint_eq(o.info, 1);
	ck_assert_uint_eq(o.meta, 1);
	ck_assert(!o.bad_md5);
	ck_assert_uint_eq(snapshot_files(), 0);
	ck_assert_uint_ne(jobs_repo_generation(fx.jobs), gen);
	/* The repository layer reads it as a complete, usable snapshot. */
	ck_assert_int_eq(repo_label_load(fx.repo, "__ss_bk", &l), 0);
	ck_assert_uint_eq(l->nts, 1);
	ck_assert_int_eq(repo_snapshot_load(fx.repo, l, &l->ts[0], &s), 0);
	ck_assert_msg(s->ok, "verdict: %s", s->verdict);
	repo_snapshot_free(s);
	repo_label_free(l);
	ck_assert(!jobs_table_busy(fx.jobs, "db1", "t1"));
}
END_TEST

/* A backup restores into another database, byte for byte. */
START_TEST(test_backup_restores)
{
	char *ts;

	base_restore();
	ck_assert_int_eq(backup("db1", "bk"), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ts = field(fx.id, "Timestamp");
	ck_assert_ptr_nonnull(ts);
	ck_assert_int_eq(submit("restore",
				"RESTORE SNAPSHOT db2.bk FROM demo PROPERTIES "
				"(\"backup_timestamp\" = \"%s\", "
				"\"replication_num\" = \"2\")",
				ts),
			 0);
	free(ts);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db2", 2);
}
END_TEST

/* ---- the catalog records a restore leaves
 * ------------------------------------------*/

/* Snapshot @label's info (free with repo_snapshot_free() and
 * repo_label_free()). */
static struct repo_snapshot *load_snapshot(const char *label,
					   struct repo_label **lp)
{
	struct repo_snapshot *s = NULL;
	char dir[64];

	snprintf(dir, sizeof(dir), "__ss_%s", label);
	ck_assert_int_eq(repo_label_load(fx.repo, dir, lp), 0);
	ck_assert_uint_eq((*lp)->nts, 1);
	ck_assert_int_eq(repo_snapshot_load(fx.repo, *lp, &(*lp)->ts[0], &s),
			 0);
	ck_assert_ptr_nonnull(s->ji);
	return s;
}

/* Check one restored tablet against the snapshot's: where it came from,
 * 2 replicas of generation @gen on distinct backends, each listing the
 * files on its disk. */
static void check_tablet(const struct record_tablet *tab,
			 const struct jobinfo_table *jt,
			 const struct jobinfo_index *ji,
			 const struct jobinfo_tablet *jtab, int64_t gen)
{
	const struct record_replica *r;
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct stat sb;
	size_t k, f;

	ck_assert_ptr_nonnull(tab->src);
	ck_assert_str_eq(tab->src->table, jt->name);
	ck_assert_int_eq(tab->src->table_id, jt->id);
	ck_assert_str_eq(tab->src->index, ji->name);
	ck_assert_int_eq(tab->src->index_id, ji->id);
	ck_assert_int_eq(tab->src->tablet, jtab->id);
	ck_assert_int_eq(tab->src->part_id, jtab->part_id);
	ck_assert_ptr_null(tab->old); /* a plan mark, never stored */
	ck_assert_uint_eq(tab->nreplicas, 2);
	ck_assert_uint_ne(tab->replicas[0].backend, tab->replicas[1].backend);
	for (k = 0; k < tab->nreplicas; k++) {
		r = &tab->replicas[k];
		ck_assert_uint_lt(r->backend, BACKENDS);
		ck_assert_int_eq(r->gen, gen);
		ck_assert(r->has_files);
		if (jtab->nfiles)
			ck_assert_uint_eq(r->nfiles, jtab->nfiles);
		ck_assert_uint_gt(r->nfiles, 0);
		ck_assert_int_eq(cluster_replica_path(fx.cl, tab->id, r, dir,
						      sizeof(dir)),
				 0);
		for (f = 0; f < r->nfiles; f++) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 r->files[f].name);
			ck_assert_msg(stat(path, &sb) == 0, "%s", path);
			ck_assert_int_eq(sb.st_size, r->files[f].size);
			ck_assert_str_eq(r->files[f].md5,
					 tab->replicas[0].files[f].md5);
		}
	}
}

/* Check @tbl, restored whole from @jt by job @job, against the snapshot;
 * ids of @prev (the same table before, or NULL) are kept. */
static void check_record(const struct record_table *tbl,
			 const struct jobinfo_table *jt, int64_t job,
			 const struct record_table *prev)
{
	const struct jobinfo_partition *jp;
	const struct record_partition *p;
	const struct record_index *ix;
	size_t a, b, c;

	ck_assert_int_eq(tbl->state, RECORD_TABLE_NORMAL);
	ck_assert_int_eq(tbl->job_id, 0);
	ck_assert_str_eq(tbl->source_table, jt->name);
	ck_assert_int_eq(tbl->restored_by, job);
	ck_assert_uint_eq(tbl->nparts, jt->npartitions);
	if (prev)
		ck_assert_int_eq(tbl->id, prev->id);
	for (a = 0; a < jt->npartitions; a++) {
		jp = &jt->partitions[a];
		p = record_partition_find(tbl, jp->name, false);
		ck_assert_ptr_nonnull(p);
		ck_assert(!p->restored); /* a plan mark, never stored */
		ck_assert_int_eq(p->version, jp->version);
		ck_assert_uint_eq(p->nindexes, jp->nindexes);
		if (prev)
			ck_assert_int_eq(p->id, record_partition_find(
							prev, jp->name, false)
							->id);
		for (b = 0; b < jp->nindexes; b++) {
			ix = record_index_find(p, jp->indexes[b].name);
			ck_assert_ptr_nonnull(ix);
			ck_assert_int_eq(ix->schema_hash,
					 jp->indexes[b].schema_hash);
			ck_assert_uint_eq(ix->ntablets,
					  jp->indexes[b].ntablets);
			for (c = 0; c < ix->ntablets; c++) {
				check_tablet(&ix->tablets[c], jt,
					     &jp->indexes[b],
					     &jp->indexes[b].tablets[c], job);
				/* Same structure: the same tablets. */
				if (prev)
					ck_assert_ptr_nonnull(
						record_tablet_lookup(
							prev, jp->name,
							ix->name,
							ix->tablets[c].id));
			}
		}
	}
}

/* Read db1's tables back as typed records (record_table_get()) and check
 * them against snapshot @label restored by job @job. @prev: db1's tables
 * before (ids kept), or NULL; @out: the tables read, if not NULL. */
static void check_records(const char *label, int64_t job,
			  struct record_table *prev, struct record_table *out)
{
	struct repo_label *l = NULL;
	struct repo_snapshot *s = load_snapshot(label, &l);
	struct catalog_txn *t;
	struct record_db db;
	struct record_table tbl;
	size_t i;

	ck_assert_int_eq(catalog_begin(cluster_catalog(fx.cl), false, &t), 0);
	ck_assert_int_eq(record_db_get(t, "db1", &db), 0);
	ck_assert_str_eq(db.name, "db1");
	record_db_release(&db);
	for (i = 0; i < s->ji->ntables; i++) {
		ck_assert_int_eq(
			record_table_get(t, "db1", s->ji->tables[i].name, &tbl),
			0);
		check_record(&tbl, &s->ji->tables[i], job,
			     prev ? &prev[i] : NULL);
		if (out)
			out[i] = tbl;
		else
			record_table_release(&tbl);
	}
	catalog_abort(t);
	repo_snapshot_free(s);
	repo_label_free(l);
}

START_TEST(test_restore_records)
{
	struct record_table first[2] = {{0}};
	int64_t job;

	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	job = fx.id;
	ck_assert_str_eq(wait_end(job), "FINISHED");
	check_records("snap1", job, NULL, first);
	/* Again over the same structure: ids kept, new replicas. */
	ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ck_assert_int_ne(fx.id, job);
	check_records("snap2", fx.id, first, NULL);
	record_table_release(&first[0]);
	record_table_release(&first[1]);
}
END_TEST

/* A table record that is not what record.h describes: the restore that
 * would read it is refused with EIO, as the catalog gives it. */
START_TEST(test_restore_malformed_table)
{
	struct catalog_txn *t;
	json_t *bad = json_pack("{s:s, s:s, s:s}", "id", "x", "name", "t1",
				"db", "db1");

	base_restore();
	ck_assert_int_eq(catalog_begin(cluster_catalog(fx.cl), true, &t), 0);
	ck_assert_int_eq(catalog_put(t, "table/db1/t1", bad), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(bad);
	ck_assert_int_eq(restore("db1", "snap2", NULL), -EIO);
}
END_TEST

/* A job whose plan can't be read (here: a table without partitions) is
 * cancelled when it resumes, with its reason, leaving nothing behind. */
START_TEST(test_restore_malformed_plan_cancels)
{
	struct catalog_txn *t;
	json_t *rec, *tbl;
	char *msg, *tables;
	int64_t id;

	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("dbm", "snap1", NULL), 0);
	id = fx.id;
	ck_assert(wait_state(id, "DOWNLOAD"));
	jobs_stop(fx.jobs); /* as an unmount does; the cluster stays open */
	fx.jobs = NULL;
	ck_assert_int_eq(catalog_begin(cluster_catalog(fx.cl), true, &t), 0);
	ck_assert_int_eq(record_job_get(t, id, &rec), 0);
	tbl = json_object_get(json_array_get(json_object_get(rec, "plan"), 0),
			      "table");
	ck_assert_ptr_nonnull(tbl);
	ck_assert_int_eq(json_object_del(tbl, "partitions"), 0);
	ck_assert_int_eq(record_job_put(t, id, rec), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(rec);
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
	ck_assert_int_eq(jobs_start(fx.repo, fx.cl, THREADS, &fx.jobs), 0);
	ck_assert_str_eq(wait_end(id), "CANCELLED");
	msg = field(id, "TaskErrMsg");
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, "malformed"), "TaskErrMsg: %s", msg);
	free(msg);
	tables = tables_text("dbm");
	ck_assert_str_eq(tables, "{}");
	free(tables);
	ck_assert_uint_eq(replica_files(), 0);
}
END_TEST

/* ---- cancel in every state
 * -------------------------------------------------*/

static const char *const restore_states[] = {
	"PENDING", "SNAPSHOTING", "DOWNLOAD", "DOWNLOADING", "COMMIT", NULL,
};

START_TEST(test_restore_cancel_each_state)
{
	char *before, *after;
	size_t i;

	base_restore();
	before = tables_text("db1");
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	for (i = 0; restore_states[i]; i++) {
		ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
		ck_assert_msg(wait_state(fx.id, restore_states[i]), "%s",
			      restore_states[i]);
		/* Held while it runs: hand-made writes are EBUSY. */
		ck_assert(jobs_table_busy(fx.jobs, "db1", "t1"));
		ck_assert(!jobs_table_busy(fx.jobs, "db1", "t9"));
		ck_assert_int_eq(cancel("RESTORE", "db1"), 0);
		ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
		ck_assert(field_is(fx.id, "CancelledBy", "user"));
		after = tables_text("db1");
		ck_assert_msg(strcmp(before, after) == 0,
			      "db1 changed by a cancel in %s",
			      restore_states[i]);
		free(after);
		ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	}
	free(before);
	check_restored("db1", 2);
}
END_TEST

/* A cancelled restore into a new database leaves no table behind. */
START_TEST(test_restore_cancel_new_db)
{
	char *t;

	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("dbn", "snap1", NULL), 0);
	ck_assert(wait_state(fx.id, "DOWNLOAD"));
	/* The tables it creates are there, not yet NORMAL. */
	t = tables_text("dbn");
	ck_assert_ptr_nonnull(strstr(t, "\"RESTORE\""));
	free(t);
	ck_assert_int_eq(cancel("RESTORE", "dbn"), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	t = tables_text("dbn");
	ck_assert_str_eq(t, "{}");
	free(t);
	ck_assert_uint_eq(replica_files(), 0);
}
END_TEST

START_TEST(test_restore_cancel_committing_refused)
{
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert(wait_state(fx.id, "COMMITTING"));
	ck_assert_int_eq(cancel("RESTORE", "db1"), -EBUSY);
	ck_assert_ptr_nonnull(strstr(fx.err, "too late"));
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db1", 2);
}
END_TEST

static const char *const backup_states[] = {
	"PENDING",   "SNAPSHOTING", "UPLOAD_SNAPSHOT",
	"UPLOADING", "SAVE_META",   NULL,
};

START_TEST(test_backup_cancel_each_state)
{
	char label[32];
	struct objs o;
	size_t i;

	base_restore();
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	for (i = 0; backup_states[i]; i++) {
		snprintf(label, sizeof(label), "c%zu", i);
		ck_assert_int_eq(backup("db1", label), 0);
		ck_assert_msg(wait_state(fx.id, backup_states[i]), "%s",
			      backup_states[i]);
		ck_assert(jobs_table_busy(fx.jobs, "db1", "t2"));
		ck_assert_int_eq(cancel("BACKUP", "db1"), 0);
		ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
		ck_assert(field_is(fx.id, "CancelledBy", "user"));
		o = label_objects(label);
		ck_assert_msg(o.n == 0, "%zu objects left after a cancel in %s",
			      o.n, backup_states[i]);
		ck_assert_uint_eq(snapshot_files(), 0);
		ck_assert(!jobs_table_busy(fx.jobs, "db1", "t2"));
	}
	/* A restore is not cancelled by CANCEL BACKUP. */
	ck_assert_int_eq(cancel("BACKUP", "db1"), -ENOENT);
}
END_TEST

START_TEST(test_backup_cancel_upload_info_refused)
{
	struct objs o;

	base_restore();
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(backup("db1", "late"), 0);
	ck_assert(wait_state(fx.id, "UPLOAD_INFO"));
	ck_assert_int_eq(cancel("BACKUP", "db1"), -EBUSY);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	o = label_objects("late");
	ck_assert_uint_eq(o.info, 1);
	ck_assert_uint_eq(o.content, fx.nfiles);
}
END_TEST

START_TEST(test_timeout_cancels)
{
	char *t;

	setenv("SNAPFS_TEST_CLOCK_SCALE", "2000", 1);
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "500", 1);
	ck_assert_int_eq(restore("db1", "snap1", ", \"timeout\" = \"600\""), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	ck_assert(field_is(fx.id, "CancelledBy", "timeout"));
	t = tables_text("db1");
	ck_assert_str_eq(t, "{}");
	free(t);
}
END_TEST

/* ---- stop or crash, and resume
 * ---------------------------------------------*/

START_TEST(test_restore_stop_resume_each_state)
{
	static const char *const states[] = {
		"PENDING", "SNAPSHOTING", "DOWNLOAD", "DOWNLOADING",
		"COMMIT",  "COMMITTING",  NULL,
	};
	char db[16];
	size_t i;

	for (i = 0; states[i]; i++) {
		snprintf(db, sizeof(db), "dbs%zu", i);
		setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
		ck_assert_int_eq(restore(db, "snap1", NULL), 0);
		ck_assert_msg(wait_state(fx.id, states[i]), "%s", states[i]);
		restart();
		ck_assert_msg(strcmp(wait_end(fx.id), "FINISHED") == 0,
			      "stopped in %s, resumed", states[i]);
		check_restored(db, 2);
	}
	ck_assert_uint_eq(replica_files(), 2 * i * fx.nfiles);
}
END_TEST

START_TEST(test_backup_stop_resume_each_state)
{
	static const char *const states[] = {
		"PENDING",   "SNAPSHOTING", "UPLOAD_SNAPSHOT",
		"UPLOADING", "SAVE_META",   "UPLOAD_INFO",
		NULL,
	};
	char label[16];
	struct objs o;
	size_t i;

	base_restore();
	for (i = 0; states[i]; i++) {
		snprintf(label, sizeof(label), "s%zu", i);
		setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
		ck_assert_int_eq(backup("db1", label), 0);
		ck_assert_msg(wait_state(fx.id, states[i]), "%s", states[i]);
		restart();
		ck_assert_msg(strcmp(wait_end(fx.id), "FINISHED") == 0,
			      "stopped in %s, resumed", states[i]);
		o = label_objects(label);
		ck_assert_uint_eq(o.content, fx.nfiles);
		ck_assert_uint_eq(o.info, 1);
		ck_assert(!o.bad_md5);
	}
	ck_assert_uint_eq(snapshot_files(), 0);
}
END_TEST

/* Stopped while downloading: what is here is not fetched again. */
START_TEST(test_restore_stop_mid_download)
{
	unsigned long k = seeded_point();
	char *a, *b;

	setenv("SNAPFS_TEST_FILE_DELAY_MS", "100", 1);
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	wait_files(fx.id, k);
	restart();
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db1", 2);
	a = field(fx.id, "FilesReused");
	b = field(fx.id, "FilesDownloaded");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_ge(strtoul(a, NULL, 10), k);
	ck_assert_uint_eq(strtoul(a, NULL, 10) + strtoul(b, NULL, 10),
			  fx.nfiles);
	free(a);
	free(b);
}
END_TEST

static void kill_restore_downloading(void)
{
	setenv("SNAPFS_TEST_FILE_DELAY_MS", "100", 1);
	if (restore("db1", "snap2", NULL) == 0)
		wait_files(fx.id, seeded_point());
	raise(SIGKILL);
}

static void kill_restore_committing(void)
{
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	if (restore("db1", "snap2", NULL) == 0 &&
	    wait_state(fx.id, "COMMITTING"))
		raise(SIGKILL);
}

START_TEST(test_restore_kill9_resumes)
{
	void (*const points[])(void) = {kill_restore_downloading,
					kill_restore_committing};
	size_t i;

	base_restore();
	for (i = 0; i < 2; i++) {
		crash(points[i]);
		ck_assert_str_eq(wait_end(last_job()), "FINISHED");
		check_restored("db1", 2);
		ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	}
}
END_TEST

static void kill_backup_uploading(void)
{
	setenv("SNAPFS_TEST_FILE_DELAY_MS", "100", 1);
	if (backup("db1", "k1") == 0)
		wait_files(fx.id, seeded_point());
	raise(SIGKILL);
}

static void kill_backup_upload_info(void)
{
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	if (backup("db1", "k2") == 0 && wait_state(fx.id, "UPLOAD_INFO"))
		raise(SIGKILL);
}

START_TEST(test_backup_kill9_resumes)
{
	struct objs o;
	int64_t id;
	char *v;

	base_restore();
	crash(kill_backup_uploading);
	o = label_objects("k1");
	ck_assert_uint_eq(o.info, 0); /* not complete before it resumes */
	id = last_job();
	ck_assert_str_eq(wait_end(id), "FINISHED");
	o = label_objects("k1");
	ck_assert_uint_eq(o.content, fx.nfiles);
	ck_assert_uint_eq(o.info, 1);
	ck_assert(!o.bad_md5);
	/* What was sent before the kill was not sent again. */
	v = field(id, "FilesReused");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_ge(strtoul(v, NULL, 10), seeded_point());
	free(v);

	crash(kill_backup_upload_info);
	ck_assert_str_eq(wait_end(last_job()), "FINISHED");
	o = label_objects("k2");
	ck_assert_uint_eq(o.info, 1);
	ck_assert_uint_eq(o.content, fx.nfiles);
	ck_assert_uint_eq(snapshot_files(), 0);
}
END_TEST

/* ---- failures in the repository
 * --------------------------------------------*/

START_TEST(test_restore_missing_object)
{
	char key[2048], *before, *after, *msg;

	base_restore();
	before = tables_text("db1");
	label_key("snap2", 4, key, sizeof(key));
	ck_assert_int_eq(store_remove(fx.st, key), 0);
	ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	ck_assert(field_is(fx.id, "CancelledBy", "error"));
	msg = field(fx.id, "TaskErrMsg");
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, base_name(key)), "TaskErrMsg: %s", msg);
	ck_assert_ptr_nonnull(strstr(msg, "missing"));
	free(msg);
	after = tables_text("db1");
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	check_restored("db1", 2);
}
END_TEST

START_TEST(test_restore_corrupt_object)
{
	char key[2048], *before, *after, *msg, *buf = NULL;
	size_t len;

	base_restore();
	before = tables_text("db1");
	label_key("snap2", 1, key, sizeof(key));
	ck_assert_int_eq(store_read_all(fx.st, key, 1 << 20, &buf, &len), 0);
	ck_assert_uint_gt(len, 0);
	buf[len / 2] ^= 0x55;
	ck_assert_int_eq(store_put_buf(fx.st, key, buf, len, 0), 0);
	free(buf);
	ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	msg = field(fx.id, "TaskErrMsg");
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, base_name(key)) && strstr(msg, "MD5"),
		      "TaskErrMsg: %s", msg);
	free(msg);
	after = tables_text("db1");
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
}
END_TEST

/* Into a new database: the failed job leaves no table and no replica. */
START_TEST(test_restore_missing_object_new_db)
{
	char key[2048], *t;

	label_key("snap1", 0, key, sizeof(key));
	ck_assert_int_eq(store_remove(fx.st, key), 0);
	ck_assert_int_eq(restore("dbn", "snap1", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	t = tables_text("dbn");
	ck_assert_str_eq(t, "{}");
	free(t);
	ck_assert_uint_eq(replica_files(), 0);
}
END_TEST

/* ---- refused statements keep their errno
 * -----------------------------------*/

START_TEST(test_submit_errors)
{
	int64_t running;

	ck_assert_int_eq(submit("restore",
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = \"%s\", "
				"\"replication_num\" = \"9\")",
				fx.ts1),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(fx.err, "backends"));
	ck_assert_int_eq(submit("restore",
				"RESTORE SNAPSHOT db1.snap9 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(fx.err, "snap9"));
	ck_assert_int_eq(submit("restore",
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = "
				"\"2001-01-01-00-00-00\")"),
			 -ENOENT);
	ck_assert_int_eq(submit("restore",
				"RESTORE SNAPSHOT db1.snap1 FROM demo ON (t9) "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(fx.err, "t9"));
	ck_assert_int_eq(submit("restore",
				"RESTORE SNAPSHOT db1.snap1 FROM other "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(fx.err, "not the mounted repository"));
	/* Cut short: kept by the write, refused at the close. */
	ck_assert_int_eq(submit("restore", "RESTORE SNAPSHOT db1.snap1 FROM"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(fx.err, "control/restore"));
	ck_assert_int_eq(submit("restore",
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"bogus\" = \"1\")"),
			 -EINVAL);
	ck_assert_int_eq(submit("restore", "BACKUP SNAPSHOT db1.x TO demo"),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(fx.err, "control/backup"));
	ck_assert_int_eq(backup("nodb", "x"), -ENOENT);
	ck_assert_int_eq(cancel("RESTORE", "db1"), -ENOENT);
	ck_assert_int_eq(submit("cancel",
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -EINVAL);

	/* One running job per database, whatever its kind. */
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	running = fx.id;
	ck_assert_int_eq(restore("db1", "snap2", NULL), -EBUSY);
	ck_assert_msg(strstr(fx.err, "running job"), "%s", fx.err);
	ck_assert_int_eq(backup("db1", "b"), -EBUSY); /* being restored */
	ck_assert_int_eq(cancel("RESTORE", "db1"), 0);
	ck_assert_int_eq(fx.id, running);
	ck_assert_str_eq(wait_end(running), "CANCELLED");
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
	base_restore();
	ck_assert_int_eq(backup("db1", "snap1"), -EEXIST);
	ck_assert_ptr_nonnull(strstr(fx.err, "already exist"));
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(backup("db1", "b1"), 0);
	running = fx.id;
	ck_assert_int_eq(backup("db1", "b2"), -EBUSY);
	ck_assert_int_eq(restore("db1", "snap1", NULL), -EBUSY);
	ck_assert_int_eq(cancel("RESTORE", "db1"), -ENOENT);
	ck_assert_int_eq(cancel("BACKUP", "db1"), 0);
	ck_assert_str_eq(wait_end(running), "CANCELLED");
}
END_TEST

/* jobs_submit_spec() trusts its caller with the repository name. */
START_TEST(test_submit_spec)
{
	struct spec_err se = {0};
	struct spec *sp = NULL;
	char text[512];
	int64_t id = 0;

	snprintf(text, sizeof(text),
		 "RESTORE SNAPSHOT db1.snap1 FROM elsewhere PROPERTIES "
		 "(\"backup_timestamp\" = \"%s\", \"replication_num\" = "
		 "\"2\")",
		 fx.ts1);
	ck_assert_int_eq(spec_parse(text, strlen(text), &se, &sp), 0);
	ck_assert_int_eq(
		jobs_submit_spec(fx.jobs, sp, fx.err, sizeof(fx.err), &id), 0);
	spec_free(sp);
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(wait_end(id), "FINISHED");
	check_restored("db1", 2);

	snprintf(text, sizeof(text), "DROP SNAPSHOT snap1 FROM demo");
	ck_assert_int_eq(spec_parse(text, strlen(text), &se, &sp), 0);
	id = 0;
	ck_assert_int_eq(
		jobs_submit_spec(fx.jobs, sp, fx.err, sizeof(fx.err), &id),
		-EINVAL);
	ck_assert_int_eq(id, 0);
	spec_free(sp);
}
END_TEST

/* ---- the tables of states
 * --------------------------------------------------*/

START_TEST(test_transitions)
{
	static const enum job_state r[] = {
		JOB_PENDING, JOB_SNAPSHOTING, JOB_DOWNLOAD, JOB_DOWNLOADING,
		JOB_COMMIT,  JOB_COMMITTING,  JOB_FINISHED,
	};
	static const enum job_state b[] = {
		JOB_PENDING,   JOB_SNAPSHOTING, JOB_UPLOAD_SNAPSHOT,
		JOB_UPLOADING, JOB_SAVE_META,	JOB_UPLOAD_INFO,
		JOB_FINISHED,
	};
	unsigned i, to;

	for (i = 0; i + 1 < sizeof(r) / sizeof(r[0]); i++) {
		ck_assert(job_transition_ok(JOB_KIND_RESTORE, r[i], r[i + 1]));
		ck_assert(job_transition_ok(JOB_KIND_RESTORE, r[i],
					    JOB_CANCELLED));
		ck_assert(!job_transition_ok(
			JOB_KIND_BACKUP, r[i + 1],
			r[i + 1] == JOB_FINISHED ? JOB_CANCELLED : r[i]));
	}
	for (i = 0; i + 1 < sizeof(b) / sizeof(b[0]); i++) {
		ck_assert(job_transition_ok(JOB_KIND_BACKUP, b[i], b[i + 1]));
		ck_assert(job_transition_ok(JOB_KIND_BACKUP, b[i],
					    JOB_CANCELLED));
		ck_assert(!job_transition_ok(JOB_KIND_BACKUP, b[i + 1], b[i]));
	}
	ck_assert(!job_transition_ok(JOB_KIND_RESTORE, JOB_PENDING,
				     JOB_DOWNLOAD));
	ck_assert(!job_transition_ok(JOB_KIND_RESTORE, JOB_SNAPSHOTING,
				     JOB_UPLOAD_SNAPSHOT));
	ck_assert(!job_transition_ok(JOB_KIND_BACKUP, JOB_SNAPSHOTING,
				     JOB_DOWNLOAD));
	for (to = 0; to <= JOB_STATE__COUNT; to++) {
		ck_assert(!job_transition_ok(JOB_KIND_RESTORE, JOB_FINISHED,
					     (enum job_state)to));
		ck_assert(!job_transition_ok(JOB_KIND_BACKUP, JOB_CANCELLED,
					     (enum job_state)to));
		ck_assert(!job_transition_ok(JOB_KIND__COUNT, JOB_PENDING,
					     (enum job_state)to));
	}
	ck_assert_str_eq(job_state_name(JOB_UPLOAD_INFO), "UPLOAD_INFO");
	ck_assert_ptr_null(job_state_name(JOB_STATE__COUNT));
}
END_TEST

static Suite *jobs_suite(void)
{
	Suite *s = suite_create("jobs");
	TCase *tc = tcase_create("finish");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_finishes);
	tcase_add_test(tc, test_restore_again_reuses_files);
	tcase_add_test(tc, test_backup_finishes);
	tcase_add_test(tc, test_backup_restores);
	tcase_add_test(tc, test_restore_records);
	tcase_add_test(tc, test_restore_malformed_table);
	tcase_add_test(tc, test_restore_malformed_plan_cancels);
	suite_add_tcase(s, tc);

	tc = tcase_create("cancel");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_cancel_each_state);
	tcase_add_test(tc, test_restore_cancel_new_db);
	tcase_add_test(tc, test_restore_cancel_committing_refused);
	tcase_add_test(tc, test_backup_cancel_each_state);
	tcase_add_test(tc, test_backup_cancel_upload_info_refused);
	tcase_add_test(tc, test_timeout_cancels);
	suite_add_tcase(s, tc);

	tc = tcase_create("resume");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_stop_resume_each_state);
	tcase_add_test(tc, test_backup_stop_resume_each_state);
	tcase_add_test(tc, test_restore_stop_mid_download);
	tcase_add_test(tc, test_restore_kill9_resumes);
	/* A mem:// store dies with the killed child, and with it what the
	 * child uploaded: a backup resumed after a crash is a file:// case.
	 * (A restore only reads the store: its crash runs on both.) */
	if (!fx_url_in_process(fx_url(TEST_JOBS_URL)))
		tcase_add_test(tc, test_backup_kill9_resumes);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_missing_object);
	tcase_add_test(tc, test_restore_corrupt_object);
	tcase_add_test(tc, test_restore_missing_object_new_db);
	tcase_add_test(tc, test_submit_errors);
	tcase_add_test(tc, test_submit_spec);
	suite_add_tcase(s, tc);

	tc = tcase_create("states");
	tcase_add_test(tc, test_transitions);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(jobs_suite)
