/* SPDX-License-Identifier: MIT */
/*
 * jobinfo.h - the __info_<ts>.<md5> job-info object (Doris BackupJobInfo /
 * StarRocks BackupJobInfo JSON), parsed with jansson.
 *
 * The parser is pure (no I/O, no globals) and treats its input as hostile:
 * ids are int64 (never through double), unknown keys are ignored, and every
 * name that becomes a path component is checked (non-empty, at most 255
 * bytes, no '/', no NUL, not "." or "..").
 */
#ifndef SNAPFS_JOBINFO_H
#define SNAPFS_JOBINFO_H

#include <stddef.h>
#include <stdint.h>

struct jobinfo_tablet {
	int64_t id;
	int64_t part_id; /**< partition id used in the object path: the
			      partition's, or the StarRocks sub-partition's */
	char **files;	 /**< uploaded names, each "<name>.<md5>", sorted */
	size_t nfiles;
};

struct jobinfo_index {
	char *name; /**< base index has the table's name */
	int64_t id;
	int32_t schema_hash;
	struct jobinfo_tablet *tablets; /**< in bucket order: tablets_order
					     (numbers or strings), else
					     numeric id order */
	size_t ntablets;
};

struct jobinfo_partition {
	char *name;
	int64_t id;
	int64_t version;
	struct jobinfo_index *indexes; /**< sorted by name */
	size_t nindexes;
};

struct jobinfo_table {
	char *name;
	int64_t id;
	struct jobinfo_partition *partitions; /**< sorted by name */
	size_t npartitions;
};

struct jobinfo {
	char *name;		 /**< snapshot label */
	char *database;		 /**< source database name */
	int64_t db_id;		 /**< "id" */
	int64_t backup_time_ms;	 /**< epoch millis */
	char *content;		 /**< "ALL", "METADATA_ONLY"; "ALL" if absent */
	char *backup_result;	 /**< "succeed" if absent */
	int64_t meta_version;	 /**< -1 if absent */
	int64_t sr_meta_version; /**< starrocks_meta_version, -1 if absent */
	struct jobinfo_table *tables; /**< backup_objects, sorted by name */
	size_t ntables;
	char **views; /**< new_backup_objects.views[].name, may be empty */
	size_t nviews;
};

/**
 * Parse a job-info document.
 * @param[in] buf,len the object's bytes (need not be NUL terminated).
 * @param[out] err on failure, a message naming the offending key path,
 *             e.g. "backup_objects.t1.partitions.p1.id: expected an
 *             integer"; untouched on success. May be NULL.
 * @param[out] out caller-owned; free with jobinfo_free().
 * @return 0; -EINVAL if the document is malformed (bad JSON, a required
 *         key missing or of the wrong type, an unsafe name, a tablet file
 *         name without a valid md5 suffix, tablets_order naming an unknown
 *         tablet); -ENOMEM.
 */
int jobinfo_parse(const char *buf, size_t len, char *err, size_t errlen,
		  struct jobinfo **out);

/** Free a parsed document; NULL is a no-op. */
void jobinfo_free(struct jobinfo *ji);

/** Number of tablets over all tables, partitions and indexes. */
size_t jobinfo_tablet_count(const struct jobinfo *ji);

#endif
