/* SPDX-License-Identifier: MIT */
/*
 * spec.h - the statement language of the control files: RESTORE, BACKUP,
 * CANCEL, as Doris and StarRocks document them, and the snapfs extensions
 * DROP SNAPSHOT, CLEAN SNAPSHOTS and VERIFY SNAPSHOT.
 *
 * The parser is pure: no I/O, no globals, no allocation it doesn't hand
 * back. It checks syntax and property values; whether a snapshot, table or
 * partition exists is the caller's business (it needs the repository).
 *
 * Accepted (keywords in any case; identifiers bare, `back-quoted` or
 * "double-quoted"; -- and # line comments and C comments anywhere; an
 * optional trailing ';'):
 *
 *   RESTORE SNAPSHOT [db.]label FROM repo
 *       [ON ( tbl [PARTITION (p, ...)] [AS alias], ... )]
 *       [PROPERTIES ("k" = "v", ...)]
 *   RESTORE SNAPSHOT [db.]label FROM repo
 *       [DATABASE src [AS dst]]
 *       [ON ( TABLE t [PARTITION (p, ...)] [AS a], ALL TABLES, ... )]
 *       [PROPERTIES (...)]
 *   BACKUP SNAPSHOT [db.]label TO repo
 *       [ON ( [TABLE] tbl [PARTITION (p, ...)], ... )] [PROPERTIES (...)]
 *   CANCEL RESTORE FROM db
 *   CANCEL BACKUP FROM db
 *   DROP SNAPSHOT label FROM repo [PROPERTIES ("backup_timestamp" = ...)]
 *   CLEAN SNAPSHOTS FROM repo PROPERTIES ("keep_last" = "N",
 *       "older_than" = "90d", "dry_run" = "true", "label" = "name")
 *   VERIFY SNAPSHOT label FROM repo [PROPERTIES ("backup_timestamp" = ...,
 *       "sample_percent" = "N", "seed" = "N")]
 *
 * A database given as "db.label" or by DATABASE names the target database
 * (and the source, unless DATABASE src AS dst says otherwise). The three
 * snapshot statements take a label alone: no "db." prefix.
 */
#ifndef SNAPFS_SPEC_H
#define SNAPFS_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum spec_kind {
	SPEC_RESTORE,
	SPEC_BACKUP,
	SPEC_CANCEL_RESTORE,
	SPEC_CANCEL_BACKUP,
	SPEC_DROP_SNAPSHOT,
	SPEC_CLEAN_SNAPSHOTS,
	SPEC_VERIFY_SNAPSHOT,
};

/** Where and why parsing failed. line and col are 1-based. */
struct spec_err {
	unsigned line, col;
	char msg[256];
};

struct spec_table {
	char *name;	   /**< table in the snapshot (restore) / db (backup) */
	char *alias;	   /**< AS alias, or NULL */
	char **partitions; /**< PARTITION (...) names; NULL if none given */
	size_t npartitions;
};

enum spec_content {
	SPEC_CONTENT_ALL,
	SPEC_CONTENT_METADATA_ONLY,
};

struct spec {
	enum spec_kind kind;
	char *db;     /**< target db: "db." prefix, DATABASE dst, or CANCEL's
			   FROM; NULL if not given */
	char *src_db; /**< DATABASE src when given, else NULL */
	char *label;  /**< NULL for CANCEL and CLEAN SNAPSHOTS */
	char *repo;   /**< NULL for CANCEL */
	struct spec_table *tables; /**< ON (...) items; none = everything */
	size_t ntables;
	bool all_tables; /**< ON (ALL TABLES, ...) */

	/* RESTORE properties (defaults applied) */
	char *backup_timestamp;	  /**< required for RESTORE; DROP and VERIFY:
				       NULL if not given */
	unsigned replication_num; /**< default 3, 1..32767 */
	int64_t timeout_s;	  /**< default 86400; RESTORE min 600 */
	bool allow_load, reserve_replica, atomic_restore, force_replace,
		clean_tables, clean_partitions;
	int64_t meta_version; /**< -1 if not given */

	/* BACKUP properties */
	enum spec_content content; /**< default ALL */

	/* CLEAN SNAPSHOTS properties; at least one of keep_last and
	 * older_than_s is >= 0 */
	int64_t keep_last;    /**< 0..1000000; -1 if not given */
	int64_t older_than_s; /**< seconds, 0..2147483647; -1 if not given */
	bool dry_run;	      /**< default false */
	char *only_label;     /**< "label": NULL (every label) if not given */

	/* VERIFY SNAPSHOT properties */
	unsigned sample_percent; /**< 1..100, default 100 */
	uint64_t seed;		 /**< default 0 */
};

/**
 * Parse one statement.
 * @param[in] text,len the statement (need not be NUL terminated).
 * @param[out] err on failure: position and a message a person can act on,
 *             e.g. `unknown property "foo" (allowed: backup_timestamp, ...)`
 *             or `expected FROM after the snapshot label, found "TO"`.
 * @param[out] out caller-owned; free with spec_free(). Untouched on failure.
 * @return 0;
 *         -EAGAIN the text ends before the statement is whole, so more text
 *         may complete it: it stops at the end (a clause, name, value or
 *         required property still to come), inside a string, quoted name
 *         or comment still open, or at a word the end may have cut short
 *         (err says what was expected there, as for -EINVAL);
 *         -EINVAL a syntax error, unknown property, bad or missing value
 *         that no text added at the end can mend (err says which);
 *         -ENOMEM.
 */
int spec_parse(const char *text, size_t len, struct spec_err *err,
	       struct spec **out);

void spec_free(struct spec *sp);

/**
 * "RESTORE", "BACKUP", "CANCEL RESTORE", "CANCEL BACKUP", "DROP SNAPSHOT",
 * "CLEAN SNAPSHOTS", "VERIFY SNAPSHOT".
 */
const char *spec_kind_name(enum spec_kind k);

#endif
