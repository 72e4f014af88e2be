/* SPDX-License-Identifier: MIT */
/*
 * store.h - the object store interface: one const ops table per URL scheme.
 *
 * A store is a flat namespace of keys (byte strings, '/' conventionally
 * separating levels), each naming an immutable-once-written object. The
 * interface is shaped for object stores (S3): listing is by prefix with an
 * optional delimiter and is paged inside the backend; reads are ranged;
 * there are no real directories, so a "directory" is only a common prefix.
 * Backends that can rename atomically say so with STORE_CAP_RENAME.
 *
 * Keys passed to and returned by a store are relative to the store's root
 * (the path part of the URL it was opened with) and never start with '/'.
 *
 * All functions return 0 or a negative errno; results come back through
 * out-parameters placed last, set only on success.
 */
#ifndef SNAPFS_STORE_H
#define SNAPFS_STORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct store;

/** What a backend can do, so callers never probe with ENOSYS. */
enum store_caps {
	STORE_CAP_RENAME = (1 << 0),	 /**< rename() is atomic */
	STORE_CAP_RANGE_READ = (1 << 1), /**< read() at an offset is cheap */
	STORE_CAP_WRITE = (1 << 2),	 /**< put() and remove() work */
	/** Every call is a network round trip: read in large blocks. */
	STORE_CAP_REMOTE = (1 << 3),
	/** copy() happens inside the store, without moving the bytes. */
	STORE_CAP_SERVER_COPY = (1 << 4),
};

/** Flags for store_put(). */
enum store_put_flags {
	STORE_PUT_IF_ABSENT = (1 << 0), /**< fail with -EEXIST if key exists */
};

/**
 * Settings a backend may use; every field may be zero/NULL for "default".
 * Only s3:// reads them today; file:// ignores them. Never holds secrets:
 * credentials come from the environment or files the backend reads.
 */
struct store_opts {
	const char *endpoint;	   /**< "http[s]://host[:port]"; default AWS */
	const char *region;	   /**< signing region; default from env */
	const char *addressing;	   /**< "auto", "path" or "virtual" */
	const char *profile;	   /**< profile in the AWS credentials file */
	const char *passwd_file;   /**< s3fs-style "key:secret" file */
	bool no_check_certificate; /**< skip TLS peer/host verification */
	const char *ca_file;	   /**< PEM CA bundle to verify against, or NULL
				      for the system's */
	unsigned connections;	   /**< concurrent connections (default 16) */
	uint64_t part_size;	   /**< multipart part size in bytes */
	unsigned list_page;	   /**< keys per listing request (max-keys) */
	unsigned retries;	   /**< attempts after the first ... */
	bool retries_set;	   /**< ... if set; else the default (5) */
	unsigned retry_base_ms;	   /**< first backoff step */
	unsigned timeout;	   /**< seconds without progress = failure */
};

/** One listed object or common prefix. */
struct store_entry {
	const char *key; /**< full key; a prefix ends with the delimiter */
	uint64_t size;	 /**< object size in bytes; 0 for a prefix */
	int64_t mtime; /**< last-modified, seconds since the epoch; 0 unknown */
	bool is_prefix; /**< a common prefix ("directory"), not an object */
};

/**
 * Called once per entry, in ascending byte order of key.
 * @param[in] e valid only during the call; copy what you keep.
 * @return 0 to go on, any other value stops the listing and is returned
 *         by store_list().
 */
typedef int (*store_list_cb)(const struct store_entry *e, void *arg);

/**
 * Source of bytes for store_put(): fill up to @len bytes of @buf.
 * @return bytes written (0 only at the end), or a negative errno.
 */
typedef ssize_t (*store_src_fn)(void *arg, void *buf, size_t len);

struct store_ops {
	const char *scheme; /**< URL scheme, e.g. "file" */
	unsigned caps;	    /**< enum store_caps */

	/**
	 * Open the store at @url (scheme included) with @o (may be NULL).
	 * Called once per mount, from one thread. Never NULL. On failure the
	 * reason is left for store_strerror().
	 * @return 0; -EINVAL if the URL or an option is malformed; -ENOENT if
	 *         the root does not exist; -EACCES bad credentials; else
	 * -errno.
	 */
	int (*open)(const char *url, const struct store_opts *o,
		    struct store **out);

	/** Release everything open() acquired. Never NULL. */
	void (*close)(struct store *st);

	/**
	 * List keys starting with @prefix ("" for all), in byte order.
	 * With @delim (normally "/"), keys that contain @delim after the
	 * prefix are rolled up into one prefix entry each. Paging happens
	 * inside. Thread-safe. Never NULL.
	 * @return 0 (also when nothing matched); the callback's non-zero
	 *         value; -EIO on backend failure; else -errno.
	 */
	int (*list)(struct store *st, const char *prefix, const char *delim,
		    store_list_cb cb, void *arg);

	/**
	 * Size and mtime of one object; out->key is NULL. Thread-safe.
	 * @return 0; -ENOENT if there is no such object; else -errno.
	 */
	int (*stat)(struct store *st, const char *key, struct store_entry *out);

	/**
	 * Read up to @len bytes at @off. A short count means end of object.
	 * Thread-safe. Never NULL.
	 * @return 0 with *nread set; -ENOENT if absent; -EIO; else -errno.
	 */
	int (*read)(struct store *st, const char *key, uint64_t off, void *buf,
		    size_t len, size_t *nread);

	/**
	 * Create or replace @key with @size bytes pulled from @src. The
	 * object appears whole or not at all. NULL unless STORE_CAP_WRITE.
	 * @return 0; -EEXIST (STORE_PUT_IF_ABSENT); -EIO; else -errno.
	 */
	int (*put)(struct store *st, const char *key, store_src_fn src,
		   void *arg, uint64_t size, unsigned flags);

	/**
	 * Delete one object. NULL unless STORE_CAP_WRITE.
	 * @return 0; -ENOENT if absent; else -errno.
	 */
	int (*remove)(struct store *st, const char *key);

	/**
	 * Delete up to STORE_BATCH_MAX objects in one round trip. Missing
	 * keys count as deleted. NULL means callers loop over remove().
	 * @return 0 if all went; else the first failure's -errno.
	 */
	int (*remove_many)(struct store *st, const char *const *keys, size_t n);

	/**
	 * Copy object @from to @to inside the store without moving the
	 * bytes through this host where the backend can (S3 CopyObject).
	 * NULL unless STORE_CAP_WRITE.
	 * @return 0; -ENOENT if @from is absent; else -errno.
	 */
	int (*copy)(struct store *st, const char *from, const char *to);

	/**
	 * Atomically rename an object. NULL unless STORE_CAP_RENAME.
	 * @return 0; -ENOENT if @from is absent; else -errno.
	 */
	int (*rename)(struct store *st, const char *from, const char *to);
};

/** Base of every backend instance; backends embed it first. */
struct store {
	const struct store_ops *ops;
	char *url; /**< URL for display: never holds secrets */
};

/** Most keys one remove_many() call takes (the S3 DeleteObjects limit). */
#define STORE_BATCH_MAX 1000

/** The file:// backend. */
extern const struct store_ops store_file_ops;
/** The s3:// backend (any S3-compatible object store). */
extern const struct store_ops store_s3_ops;

/**
 * The ops table for a URL scheme ("file"), or NULL if unknown.
 */
const struct store_ops *store_ops_by_scheme(const char *scheme);

/**
 * Open a store from a URL. A bare path (no "scheme://") means file://.
 * @param[in] o backend settings, or NULL for defaults.
 * @param[out] out caller-owned; free with store_close().
 * @return 0; -EPROTONOSUPPORT for an unknown scheme; else as ops->open.
 */
int store_open(const char *url, const struct store_opts *o, struct store **out);

/**
 * Record why the calling thread's last store call failed with @rc (a
 * negative errno): the object (or, from open, the URL) first, then the
 * request and the server's answer.
 * Backends call it at the point of failure; never pass secrets.
 */
void store_set_error(int rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * The message for @rc: what store_set_error() recorded in this thread if
 * it was for the same @rc, else strerror(-rc). Valid until the thread's
 * next store call.
 */
const char *store_strerror(int rc);

/**
 * A sentence about @rc for a message: what store_set_error() recorded in
 * this thread for @rc (it names the object or URL itself), else
 * "@what: strerror(-rc)". Written into @buf, which is returned.
 */
const char *store_explain(int rc, const char *what, char *buf, size_t len);

/** Close a store; NULL is a no-op. */
void store_close(struct store *st);

static inline int store_list(struct store *st, const char *prefix,
			     const char *delim, store_list_cb cb, void *arg)
{
	return st->ops->list(st, prefix, delim, cb, arg);
}

static inline int store_stat(struct store *st, const char *key,
			     struct store_entry *out)
{
	return st->ops->stat(st, key, out);
}

static inline int store_read(struct store *st, const char *key, uint64_t off,
			     void *buf, size_t len, size_t *nread)
{
	return st->ops->read(st, key, off, buf, len, nread);
}

static inline bool store_can(const struct store *st, unsigned caps)
{
	return (st->ops->caps & caps) == caps;
}

/**
 * Read a whole object of at most @max bytes into a new buffer (NUL
 * terminated for convenience, the NUL not counted in *len).
 * @param[out] buf caller-owned; free().
 * @return 0; -EFBIG if larger than @max; else as store_read().
 */
int store_read_all(struct store *st, const char *key, size_t max, char **buf,
		   size_t *len);

/** Write an object from a source. @return as ops->put; -EROFS if the
 * store cannot write. */
static inline int store_put(struct store *st, const char *key, store_src_fn src,
			    void *arg, uint64_t size, unsigned flags)
{
	if (!store_can(st, STORE_CAP_WRITE))
		return -EROFS;
	return st->ops->put(st, key, src, arg, size, flags);
}

/** Write a buffer as an object. @return as ops->put; -EROFS if read-only. */
int store_put_buf(struct store *st, const char *key, const void *buf,
		  size_t len, unsigned flags);

/** @return as ops->remove; -EROFS if the store cannot write. */
int store_remove(struct store *st, const char *key);

/**
 * Delete @n keys, in batches where the backend has remove_many().
 * Missing keys count as deleted.
 * @return 0; -EROFS if the store cannot write; else the first -errno.
 */
int store_remove_many(struct store *st, const char *const *keys, size_t n);

/**
 * Server-side copy where the backend has one, else read and put.
 * @return 0; -ENOENT if @from is absent; -EROFS if read-only; else -errno.
 */
int store_copy(struct store *st, const char *from, const char *to);

/** @return as ops->rename; -EOPNOTSUPP if the store has no rename. */
int store_rename(struct store *st, const char *from, const char *to);

#endif
