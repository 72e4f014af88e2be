/* SPDX-License-Identifier: MIT */
/*
 * retention.h - retention plans (retention.c): which snapshots a
 * keep_last / older_than policy deletes. Part of repo.h, which includes
 * it; include repo.h, not this.
 */
#ifndef SNAPFS_REPO_RETENTION_H
#define SNAPFS_REPO_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct repo;

/** One snapshot a retention policy would delete. */
struct repo_plan_item {
	char *label;	      /**< as in __ss_<label> */
	char *dir;	      /**< "__ss_<label>", for repo_label_load() */
	char *ts;	      /**< the timestamp (repo_ts.name) */
	char *info_key;	      /**< full key of the info object */
	int64_t backup_time;  /**< seconds since the epoch */
	bool time_from_mtime; /**< the info doesn't parse: backup_time is the
				   info object's mtime */
	char *reason;	      /**< one line: why it goes */
};

/** What repo_retention_plan() would delete: labels, then timestamps. */
struct repo_plan {
	struct repo_plan_item *items;
	size_t n;
};

/**
 * Work out which snapshots a retention policy deletes, deleting nothing
 * (the dry run; apply each item with repo_label_load(item->dir), the
 * repo_ts whose info_key matches, a job check and repo_snapshot_delete()).
 *
 * Only timestamps with a valid __info_<ts>.<md5> name are candidates:
 * labels with no info (incomplete) and leftovers such as .part infos are
 * never touched (see repo_label_purge()). A snapshot goes if either rule
 * says so:
 * - @keep_last N: per label, the N newest *complete* snapshots (verdict
 *   "OK": the info is intact, parses, names the label, the backup
 *   succeeded and the label has one usable __meta) are kept; older
 *   complete ones go, and so do incomplete ones older than the Nth newest
 *   complete one (a broken snapshot newer than that is kept for a human to
 *   look at). Newest means the largest backup_time, ties broken by the
 *   timestamp name. -1: no limit; 0 deletes every candidate.
 * - @older_than_s: a snapshot goes if its backup_time (from the info; the
 *   info object's mtime if the info doesn't parse) is before
 *   @now - @older_than_s. -1: no limit.
 *
 * Note that BACKUP refuses a label that exists already, so a repository
 * written by Doris/StarRocks alone normally has one timestamp per label.
 *
 * @param[in] now the current time, seconds since the epoch.
 * @param[out] out caller-owned; free with repo_plan_free().
 * @return 0 (also with nothing to delete); -EINVAL if @keep_last or
 *         @older_than_s is below -1; -ENOMEM; else -errno from the store.
 */
int repo_retention_plan(struct repo *r, int keep_last, int64_t older_than_s,
			int64_t now, struct repo_plan **out);
void repo_plan_free(struct repo_plan *p);

/**
 * The dry-run report: one line per item,
 * "<label>/<ts>  <backup_time as yyyy-mm-ddThh:mm:ssZ>  <reason>\n";
 * empty text for an empty plan.
 * @param[out] text,len caller-owned, NUL terminated; free().
 * @return 0; -ENOMEM.
 */
int repo_plan_text(const struct repo_plan *p, char **text, size_t *len);

#endif
