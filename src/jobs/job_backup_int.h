/* SPDX-License-Identifier: MIT */
/*
 * job_backup_int.h - what the BACKUP kind's files share:
 *
 *   job_backup.c         the kind's table: steps, cancel, holds
 *   job_backup_plan.c    the checks and the plan made at submission
 *   job_backup_upload.c  the hard-link snapshot and the upload of files
 *   job_backup_meta.c    the __meta and __info_ documents, sent last
 *
 * job_backup.c calls the other three; they call only the engine, never
 * job_backup.c or each other.
 *
 * The plan ("plan": {"tables": [...]} in the job's record) holds each
 * table in record.h's stored form, cut down to the chosen partitions;
 * job_backup.c reads it back typed when the job starts (work->tables),
 * and the other files use only that. No file here spells a catalog key
 * or a member of a table record.
 */
#ifndef SNAPFS_JOB_BACKUP_INT_H
#define SNAPFS_JOB_BACKUP_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cluster/cluster.h"
#include "jobs_int.h"

/* One tablet to send, flattened out of the plan. */
struct btab {
	const struct record_table *table; /* all in work->tables */
	const struct record_partition *part;
	const struct record_index *index;
	const struct record_tablet *tablet;
};

/* jb->work of a backup. The job's thread owns it; the upload threads
 * share tabs (each takes the next index) while UPLOADING. */
struct backup_work {
	/* The plan's tables (jb->rec's "plan" {"tables": [...]}, each in
	 * record.h's stored form), typed; read-only once the job started. */
	struct record_table *tables;
	size_t ntables;
	struct btab *tabs;
	size_t ntabs;
	atomic_size_t next;
	/* Objects of this database in other labels of the repository, by
	 * their key below __ss_content/ ("__db_../__tbl_../.../<f>.<md5>"):
	 * an unchanged file is copied inside the store instead of sent.
	 * Read-only while the upload threads run; NULL if none. */
	json_t *donors;
};

/* A string member of a JSON object (the job record's own), "" if
 * absent. */
static inline const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* An integer member of a JSON object, 0 if absent. */
static inline int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The first replica of a planned tablet: the one a backup reads (one
 * without replicas reads as an empty replica: nothing to send). */
static inline const struct record_replica *
replica0(const struct record_tablet *tab)
{
	static const struct record_replica none;

	return tab->nreplicas ? &tab->replicas[0] : &none;
}

/** The BACKUP kind's table (job_backup.c); static. */
const struct job_kind_ops *job_backup_kind(void);

/* ---- job_backup_plan.c -------------------------------------------------- */

/** The kind's submit slot (see struct job_kind_ops). */
int job_backup_plan_submit(struct jobs *eng, const struct spec *sp, char *err,
			   size_t errlen, int64_t *job_id);

/* ---- job_backup_upload.c ------------------------------------------------ */

/** SNAPSHOTING: hard links of every file into the job's snapshot
 * directories, taken while the job holds the tables. @return 0; -errno. */
int job_backup_upload_link(struct job *jb);
/** Set files_total and bytes_total from the plan. */
void job_backup_upload_count(struct job *jb);
/** UPLOADING: send every file with eng->threads threads (copy inside the
 * store what an earlier backup holds; skip what a resumed job sent).
 * @return 0; -ECANCELED (a failure cancels the job with its reason). */
int job_backup_upload_all(struct job *jb);

/* ---- job_backup_meta.c -------------------------------------------------- */

/** UPLOAD_INFO: __repo_info if missing, __meta, then __info_ last: with
 * it the snapshot is complete. @return 0; -errno from the store. */
int job_backup_meta_upload(struct job *jb);

#endif
