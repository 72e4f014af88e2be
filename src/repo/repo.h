/* SPDX-License-Identifier: MIT */
/*
 * repo.h - a Doris/StarRocks backup repository on top of a store.
 *
 * Knows the layout (docs/repository-format, shared/reference): the root
 * prefix __palo_repository_<name>/ or __starrocks_repository_<name>/,
 * __repo_info, __ss_<label>/ with __meta.<md5> and __info_<ts>.<md5>, and
 * __ss_content/__db_<id>/__tbl_<id>/__part_<id>/__idx_<id>/__<tablet>/.
 * Nothing is loaded up front: labels, timestamps and snapshots are read
 * when asked for, and listing a snapshot never reads its data files.
 *
 * Retention plans (retention.h) and VERIFY SNAPSHOT (verify.h) have their
 * own headers, included here: callers include only this one.
 *
 * Not thread-safe per object: callers serialise access to one
 * repo_label/repo_snapshot; struct repo itself is read-only after open and
 * may be shared by threads.
 */
#ifndef SNAPFS_REPO_H
#define SNAPFS_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "jobinfo.h"
#include "meta.h"
#include "retention.h"
#include "verify.h"

struct store;
struct repo;

enum repo_flavor {
	REPO_FLAVOR_DORIS,
	REPO_FLAVOR_STARROCKS,
};

#define REPO_PREFIX_DORIS     "__palo_repository_"
#define REPO_PREFIX_STARROCKS "__starrocks_repository_"

/* Largest info/meta object we agree to read into memory. */
#define REPO_MAX_INFO_SIZE (512u << 20)

/**
 * Find the repository in @st: either the store root is the repository
 * root (it holds __repo_info or __ss_* entries, or its last path component
 * is __palo_repository_<name>), or the root holds exactly one
 * __palo_repository_* / __starrocks_repository_* entry (or the one named
 * @name; Doris' prefix wins over StarRocks', as StarRocks does).
 * @param[in] name repository name to pick, or NULL.
 * @param[out] err message for the user on failure. May be NULL.
 * @param[out] out caller-owned; free with repo_close() (the store is not
 *             closed by it and must outlive the repo).
 * @return 0; -ENOENT if no repository is found; -EINVAL if several are and
 *         @name doesn't choose; else -errno from the store.
 */
int repo_open(struct store *st, const char *name, char *err, size_t errlen,
	      struct repo **out);
void repo_close(struct repo *r);

struct store *repo_store(const struct repo *r);
const char *repo_name(const struct repo *r);
/** Key prefix of the repository root: "" or "__palo_repository_x/". */
const char *repo_root(const struct repo *r);
enum repo_flavor repo_flavor(const struct repo *r);
const char *repo_flavor_name(enum repo_flavor f);
/** create_time from __repo_info, or NULL if absent or unreadable. */
const char *repo_create_time(const struct repo *r);

/** One entry of the repository root's __ss_* listing. */
struct repo_label_ref {
	const char *dir;   /**< "__ss_<label>" as stored */
	const char *label; /**< the label, or NULL if it is not a safe
				path component (then show @dir) */
};

/**
 * List snapshot labels (the __ss_* prefixes of the root), in byte order.
 * @param[in] cb called per label; non-zero stops and is returned.
 * @return 0; the callback's value; else -errno from the store.
 */
int repo_list_labels(struct repo *r,
		     int (*cb)(const struct repo_label_ref *ref, void *arg),
		     void *arg);

/** One __info_* object of a label. */
struct repo_ts {
	char *name;	/**< timestamp when valid; else the object name */
	char *info_key; /**< full key of the info object */
	uint64_t info_size;
	int64_t info_mtime;
	bool valid_name; /**< __info_<ts>.<32 hex> with a well-formed ts */
	char *reason;	 /**< why the name is invalid, else NULL */
};

struct repo_label {
	char *label;	    /**< as in __ss_<label> */
	char *dir;	    /**< "__ss_<label>" */
	struct repo_ts *ts; /**< sorted by name */
	size_t nts;
	char *meta_key; /**< the single __meta.<md5>, or NULL */
	uint64_t meta_size;
	char *meta_problem; /**< why there is no usable __meta, else NULL */
	char *status;	    /**< "OK" or "INCOMPLETE: ..." (one line) */
};

/**
 * List one label's directory (one store listing).
 * @param[in] dir "__ss_<label>" exactly as listed.
 * @param[out] out caller-owned; free with repo_label_free().
 * @return 0; -ENOENT if nothing is stored under it; else -errno.
 */
int repo_label_load(struct repo *r, const char *dir, struct repo_label **out);
void repo_label_free(struct repo_label *l);

/** Is @ts a Doris (yyyy-MM-dd-HH-mm-ss) or StarRocks (…-SSS) timestamp? */
bool repo_ts_valid(const char *ts, size_t len);

struct repo_snapshot {
	char *label;
	char *ts;
	char *info_key;
	uint64_t info_size;
	char *meta_key; /**< NULL if the label has no usable __meta */
	uint64_t meta_size;
	struct jobinfo *ji; /**< NULL if the info object is unusable */
	int64_t mtime;	    /**< backup_time in seconds, else info mtime */
	bool ok;	    /**< complete and valid (status starts "OK") */
	char *verdict;	    /**< one line: "OK" or "INVALID: ..." etc. */
};

/**
 * Read, verify (MD5 against the name) and parse a snapshot's info object.
 * Problems don't fail the call: they go into ->verdict (and ->ok = false),
 * so a broken snapshot is shown with its reason instead of hidden.
 * @param[out] out caller-owned; free with repo_snapshot_free().
 * @return 0; -ENOMEM; -EIO if the store failed to answer.
 */
int repo_snapshot_load(struct repo *r, const struct repo_label *l,
		       const struct repo_ts *t, struct repo_snapshot **out);
void repo_snapshot_free(struct repo_snapshot *s);

/**
 * Read and verify the snapshot's __meta and describe it as meta.json text.
 * @param[out] problem set to a one-line reason (caller frees) when the meta
 *             is missing, corrupt or malformed; then *json describes it.
 * @param[out] json,len caller-owned text; free().
 * @return 0; -ENOMEM; -EIO on store failure.
 */
int repo_snapshot_meta_json(struct repo *r, const struct repo_snapshot *s,
			    char **problem, char **json, size_t *len);

/** One file of a tablet directory. */
struct repo_file {
	char *name; /**< logical name (without .<md5>) */
	char md5[MD5_HEX_LEN + 1];
	char *key; /**< full object key */
	uint64_t size;
	int64_t mtime;
	bool present; /**< the object exists in the store */
};

/**
 * The files of one tablet: the job-info list joined with one listing of
 * the tablet's prefix (sizes, presence). Never reads the files.
 * @param[out] files caller-owned array; free with repo_files_free().
 * @return 0; else -errno from the store.
 */
int repo_tablet_files(struct repo *r, const struct repo_snapshot *s,
		      const struct jobinfo_table *tbl,
		      const struct jobinfo_index *idx,
		      const struct jobinfo_tablet *tab,
		      struct repo_file **files, size_t *nfiles);

/**
 * Every object under a snapshot's __ss_content/, from one flat listing
 * (paged inside the store): with it, repo_tablet_files_in() needs no
 * listing per tablet, which matters where each listing is a round trip
 * (STORE_CAP_REMOTE). Immutable once loaded; share it between threads.
 * @param[out] out free with repo_listing_free().
 * @return 0; else -errno from the store.
 */
struct repo_listing;
int repo_listing_load(struct repo *r, const struct repo_snapshot *s,
		      struct repo_listing **out);
void repo_listing_free(struct repo_listing *l);

/** repo_tablet_files() answered from @l (a listing of @s), or from the
 * store if @l is NULL. */
int repo_tablet_files_in(struct repo *r, const struct repo_snapshot *s,
			 const struct repo_listing *l,
			 const struct jobinfo_table *tbl,
			 const struct jobinfo_index *idx,
			 const struct jobinfo_tablet *tab,
			 struct repo_file **files, size_t *nfiles);
void repo_files_free(struct repo_file *files, size_t n);

/* ---- snapshot management ---------------------------------------------- */

/**
 * Delete one snapshot: one timestamp of a label.
 *
 * The info object goes first, so an interrupted delete leaves a label that
 * lists as INCOMPLETE, never a snapshot that looks complete. The label
 * directory is then listed afresh: if any other __info_* object remains
 * (whatever its name, .part leftovers included), nothing else is touched,
 * since __meta and __ss_content/ belong to the label and are shared by all
 * its timestamps. Otherwise everything under __ss_<label>/ goes, one
 * directory level in memory at a time: sub-prefixes (the data) before the
 * objects of a level, so the label directory, with its __meta, is the last
 * thing to disappear and a crash leaves it visible for repo_label_purge().
 *
 * @pre The caller has made sure no job reads the snapshot (a RESTORE of
 *      it, an open file under it) and keeps new ones from starting until
 *      this returns: this layer knows nothing of jobs and refuses nothing.
 * @param[in] l the label, from repo_label_load().
 * @param[in] t one of l->ts (a timestamp with an invalid name may be
 *            deleted too: it is only an object).
 * @param[out] err on failure, one line naming the object. May be NULL.
 * @return 0; -ENOENT if the info object is gone already (nothing else is
 *         deleted); -EROFS if the store cannot write (nothing is deleted);
 *         -EINVAL if @t is not an __info_* object directly in @l's
 *         directory; else -errno from the store (when the info object went
 *         but the rest failed, finish with repo_label_purge()).
 */
int repo_snapshot_delete(struct repo *r, const struct repo_label *l,
			 const struct repo_ts *t, char *err, size_t errlen);

/**
 * Delete what is left of a label that holds no snapshot any more: an
 * interrupted repo_snapshot_delete() or a cancelled backup. Everything
 * under __ss_<label>/ goes, in the order repo_snapshot_delete() uses.
 * @pre as repo_snapshot_delete() (no job may read the label).
 * @param[in] dir "__ss_<label>" exactly as listed.
 * @param[out] err on failure, one line naming the object. May be NULL.
 * @return 0; -ENOENT if nothing is stored under @dir; -ENOTEMPTY if an
 *         __info_<x>.<md5> object remains (delete that snapshot first;
 *         leftovers such as __info_<ts>.part don't count); -EROFS if the
 *         store cannot write; -EINVAL if @dir is not "__ss_<label>";
 *         else -errno from the store.
 */
int repo_label_purge(struct repo *r, const char *dir, char *err, size_t errlen);

#endif
