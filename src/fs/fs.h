/* SPDX-License-Identifier: MIT */
/*
 * fs.h - the mount tree as a library: inodes, lookups, directory listings,
 * reads and xattrs, with no FUSE types. fuse/main.c only translates.
 *
 * Inode lifetime follows the kernel's lookup count, as in libfuse's
 * passthrough_ll: every successful snapfs_lookup(), snapfs_mkdir() and
 * snapfs_create() counts one lookup of the inode it returns, and
 * snapfs_forget() takes counts away. An inode number stays valid while
 * the kernel holds it; after the kernel forgot it, the name may get a new
 * number. Numbers are never reused. Directories are listed lazily and
 * re-listed after cache_ttl seconds (snapshot contents, being immutable,
 * are listed once while anyone holds them).
 *
 * Every function is thread-safe and returns 0 or a negative errno.
 */
#ifndef SNAPFS_FS_H
#define SNAPFS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "store/store.h"

struct snapfs;
struct snapfs_dir;
struct snapfs_file;

#define SNAPFS_ROOT_INO 1

#define SNAPFS_XATTR_MD5    "user.snapfs.md5"
#define SNAPFS_XATTR_OBJECT "user.snapfs.object"

struct snapfs_opts {
	const char *url;	/**< repository URL (no secrets in it) */
	const char *repo;	/**< repository name to pick, or NULL */
	const char *mountpoint; /**< for README text only; may be NULL */
	unsigned cache_ttl;	/**< seconds before re-listing a directory */
	bool verify;		/**< MD5-check full sequential reads */
	uid_t uid;		/**< owner shown for every file */
	gid_t gid;
	const char *data_dir; /**< local cluster: catalog and backends */
	unsigned backends;    /**< number of backends under data_dir */
	const char *const *backend_paths; /**< or one path per backend */
	size_t nbackend_paths;
	unsigned download_threads; /**< per restore job */
	struct store_opts store;   /**< backend settings (s3://) */
};

/**
 * Open the store and find the repository. Reads only the repository root
 * listing and __repo_info.
 * @param[out] err message for the user on failure. May be NULL.
 * @param[out] out free with snapfs_free().
 * @return 0; -EPROTONOSUPPORT unknown URL scheme; -ENOENT no repository;
 *         -EINVAL ambiguous or malformed; else -errno.
 */
int snapfs_new(const struct snapfs_opts *o, char *err, size_t errlen,
	       struct snapfs **out);
void snapfs_free(struct snapfs *fs);

/** Seconds the kernel may cache names and attributes. */
double snapfs_ttl(const struct snapfs *fs);

/** The same for one inode: 0 for what jobs change (control/, jobs/,
 * cluster/), else snapfs_ttl(). */
double snapfs_node_ttl(struct snapfs *fs, uint64_t ino);

/**
 * Find @name in directory @parent; on success counts one lookup of the
 * inode returned (the kernel's entry), to be given back with
 * snapfs_forget().
 * @return 0; -ENOENT no such name; -ENOTDIR parent is not a dir; else the
 *         -errno of listing the directory (store, repository, catalog),
 *         as it is.
 */
int snapfs_lookup(struct snapfs *fs, uint64_t parent, const char *name,
		  struct stat *out);
/**
 * The kernel forgets @nlookup lookups of @ino (FORGET, BATCH_FORGET).
 * What nobody holds any more (no lookups, open handles or live children)
 * is freed with its cached listing. The root and its directories are
 * never freed.
 * @return 0; -ENOENT unknown @ino (nothing is done).
 */
int snapfs_forget(struct snapfs *fs, uint64_t ino, uint64_t nlookup);
/** @return 0; -ENOENT stale inode number. */
int snapfs_getattr(struct snapfs *fs, uint64_t ino, struct stat *out);
/** Copy the NUL-terminated target into @buf. @return 0; -EINVAL not a
 * symlink; -ENAMETOOLONG if @size is too small. */
int snapfs_readlink(struct snapfs *fs, uint64_t ino, char *buf, size_t size);

/**
 * List a directory into a private copy ("." and ".." included).
 * @param[out] out free with snapfs_releasedir().
 * @return 0; -ENOTDIR; else the -errno of listing it, as it is.
 */
int snapfs_opendir(struct snapfs *fs, uint64_t ino, struct snapfs_dir **out);
size_t snapfs_dir_count(const struct snapfs_dir *d);
/** Entry @i: name and a stat with st_ino and st_mode set. Valid until
 * snapfs_releasedir(). */
const char *snapfs_dir_entry(const struct snapfs_dir *d, size_t i,
			     struct stat *st);
void snapfs_releasedir(struct snapfs_dir *d);

/**
 * Open a file. Only control files (control/restore, control/cancel, ...)
 * open for writing.
 * @return 0; -EROFS for write access to anything else; -EISDIR; -EIO if
 *         the object is known to be corrupt or missing; -EBUSY for a
 *         table under restore.
 */
int snapfs_open(struct snapfs *fs, uint64_t ino, int flags,
		struct snapfs_file **out);

/** Should the kernel bypass its page cache for this file (its content
 * changes: status files)? */
bool snapfs_file_direct(const struct snapfs_file *f);

/**
 * Write to a control file or a new cluster/ file. A statement is
 * submitted when a write ends a line or a ';' and the text so far is a
 * whole statement, else at close (bash's echo writes one line at a time).
 * @return 0 with *n = @size; for a refused statement its -errno as
 *         the control plane gives it, jobs/control.h (-EINVAL does not parse or
 *         validate, -ENOENT names what is not there, -EBUSY, -EEXIST,
 *         -EROFS, -ENOSPC, -EIO, -ENOMEM) and control/last_error says
 *         why; -EFBIG a statement over 1 MiB; -EPERM a new file that was
 *         already finished; else the write's -errno; -EROFS for any
 *         other file.
 */
int snapfs_write(struct snapfs *fs, struct snapfs_file *f, const char *buf,
		 size_t size, uint64_t off, size_t *n);

/**
 * close(2) of a descriptor: a control file submits what it holds; a new
 * cluster/ file that was written to is finished (named and recorded).
 * @return 0; the statement's -errno as snapfs_write(); for a new file the
 *         first error of its writes or of recording it (-ENOSPC, -EIO,
 *         -EBUSY, -EEXIST ...).
 */
int snapfs_flush(struct snapfs *fs, struct snapfs_file *f);

/**
 * Remove snapshots/<label>/<ts>: deletes that snapshot from the
 * repository (info object first). control/last_error says why on failure.
 * @return 0; -ENOENT; -EBUSY a job uses it; -EROFS anywhere else.
 */
int snapfs_rmdir(struct snapfs *fs, uint64_t parent, const char *name);

/**
 * Make a directory in cluster/: a database, table, partition, index, or
 * a tablet (named by its id, a number). The catalog assigns the others'
 * ids. Counts one lookup, as snapfs_lookup().
 * @return 0 with *out; -EROFS outside cluster/; -EEXIST; -EINVAL bad
 *         name; -EBUSY the table is held by a job.
 */
int snapfs_mkdir(struct snapfs *fs, uint64_t parent, const char *name,
		 struct stat *out);

/**
 * Create a file in a cluster/ tablet directory. It is written to a
 * temporary name and becomes part of the tablet, MD5 and all, at the
 * first close(2) after it was written to (or at release if it never
 * was); from then on it is immutable. Counts one lookup, as
 * snapfs_lookup().
 * @return 0; -EROFS elsewhere; -EEXIST (files are written once);
 *         -EINVAL bad name; -EBUSY the table is held by a job.
 */
int snapfs_create(struct snapfs *fs, uint64_t parent, const char *name,
		  int flags, struct stat *out, struct snapfs_file **f);

/** Truncation is accepted for control files only. @return 0; -EROFS. */
int snapfs_truncate(struct snapfs *fs, uint64_t ino);
/**
 * Read at @off. A read that completes a sequential pass over a file whose
 * MD5 is known verifies it.
 * @return 0 with *n (0 at EOF); -EIO on an MD5 mismatch (and for every
 *         read of an object found corrupt); else the store's -errno.
 */
int snapfs_read(struct snapfs *fs, struct snapfs_file *f, char *buf,
		size_t size, uint64_t off, size_t *n);
/** Release a handle; a control file submits what is left in it, a new
 * file never written to is finished.
 * @return 0, or that work's -errno (the kernel does not pass it on). */
int snapfs_release(struct snapfs *fs, struct snapfs_file *f);

/**
 * @param[in] size 0 to ask for the length only.
 * @return 0 with *len; -ENODATA no such attribute; -ERANGE @size too small.
 */
int snapfs_getxattr(struct snapfs *fs, uint64_t ino, const char *name,
		    char *buf, size_t size, size_t *len);
int snapfs_listxattr(struct snapfs *fs, uint64_t ino, char *buf, size_t size,
		     size_t *len);
int snapfs_statfs(struct snapfs *fs, struct statvfs *out);

#endif
