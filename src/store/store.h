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
 * Stores stack: a layer is a store whose instance wraps a lower store
 * (retry, read-ahead, fault injection) and passes calls down, so code above
 * sees one struct store whatever the stack. A layer reports its lower
 * store's capabilities through the instance (struct store.caps) and owns
 * the lower store: closing the layer closes it.
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
	const char *scheme; /**< URL scheme, e.g. "file"; a layer's name */
	/** enum store_caps every instance of these ops has; an instance may
	 * have more in struct store.caps (store_can() reads both). 0 for
	 * layers, whose instances carry their lower store's. */
	unsigned caps;

	/**
	 * Open the store at @url (scheme included) with @o (may be NULL).
	 * Called once per mount, from one thread. NULL for layers (they are
	 * made by their wrap function); never NULL for a backend. Sets
	 * (*out)->caps. On failure the reason is left for store_strerror().
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
	 * (The fault layer's short= knob breaks this on purpose, to test
	 * readers that must not trust it; see store_fault_wrap().)
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

/** Base of every backend and layer instance; each embeds it first. */
struct store {
	const struct store_ops *ops;
	char *url;     /**< URL for display: never holds secrets */
	unsigned caps; /**< enum store_caps of this instance beyond
			  ops->caps: a layer reports its lower store's;
			  0 is fine for a backend (read-only after
			  open/wrap) */
};

/** Most keys one remove_many() call takes (the S3 DeleteObjects limit). */
#define STORE_BATCH_MAX 1000

/** The file:// backend. */
extern const struct store_ops store_file_ops;
/** The s3:// backend (any S3-compatible object store). */
extern const struct store_ops store_s3_ops;
/**
 * The mem:// backend: objects in this process's memory, the test double
 * for everything above the store. URL form mem://NAME[/PREFIX], NAME of
 * [A-Za-z0-9._-]; every store opened on NAME in this process sees the same
 * objects, also after all were closed, until store_mem_clear(NAME). Keys
 * follow file://'s rules (-EINVAL for empty, "." or ".." components);
 * listings take any delimiter. Caps: RENAME, RANGE_READ, WRITE (wrap it in
 * the fault layer with "remote" to look remote).
 */
extern const struct store_ops store_mem_ops;

/**
 * The ops table for a URL scheme ("file"), or NULL if unknown.
 */
const struct store_ops *store_ops_by_scheme(const char *scheme);

/**
 * Open a store from a URL. A bare path (no "scheme://") means file://.
 * The result is the backend already wrapped in the layers it needs:
 *   - the fault layer (store_fault_wrap()) directly above the backend when
 *     the environment variable SNAPFS_STORE_FAULTS is set and not empty;
 *   - the retry layer (store_retry_wrap(), with @o's retries and
 *     retry_base_ms) on top, for a backend with STORE_CAP_REMOTE (s3://).
 * Read-ahead is not added here: the caller that reads sequentially wraps
 * with store_readahead_wrap().
 * @param[in] o backend settings, or NULL for defaults.
 * @param[out] out caller-owned; free with store_close().
 * @return 0; -EPROTONOSUPPORT for an unknown scheme; -EINVAL if
 *         SNAPFS_STORE_FAULTS does not parse (store_strerror() says
 *         where); else as ops->open.
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

/**
 * Whether this thread's last failed store call failed with @rc for a
 * reason that may pass (a timeout, a refused or broken connection, an
 * HTTP 5xx, 429 or SlowDown), so the same call may succeed later. A retry
 * loop that gave up clears it, so layers above do not retry again.
 * Thread-local, like store_strerror().
 */
bool store_error_transient(int rc);

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

/** Whether @st can do all of @caps: its ops table's capabilities, or its
 * instance's (a layer's are its lower store's). */
static inline bool store_can(const struct store *st, unsigned caps)
{
	return ((st->caps | st->ops->caps) & caps) == caps;
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

/**
 * Copy the regular files below directory @dir into @st, each as the key
 * @prefix + its path relative to @dir ("a/b/c"); for test fixtures, e.g.
 * a repository made by contrib/snapfs-mkrepo loaded into mem://. Symbolic
 * links and special files are skipped; directories give no keys of their
 * own. Existing keys are replaced. Not atomic: on failure some files may
 * have been copied.
 * @param[in] prefix "" or a key prefix, normally ending in '/'.
 * @return 0; -ENOENT/-ENOTDIR/-EACCES for @dir; -EROFS if @st cannot
 *         write; else the first failing put's -errno.
 */
int store_import_dir(struct store *st, const char *dir, const char *prefix);

/* ---- layers ------------------------------------------------------------- */

/**
 * Wrap @lower in the retry layer: a call that fails with an error marked
 * transient (store_error_transient()) is made again after an exponential
 * backoff with jitter, up to o->retries more times (default 5), the first
 * wait about o->retry_base_ms (default 200 ms). The last failure's message
 * gets " after N attempts" appended (e.g. "s3: GET bkt/key: HTTP 503
 * SlowDown after 6 attempts"); each retry logs a warning "...; retry i/n
 * in M ms". A listing retried after some entries were delivered does not
 * deliver them again. A put is retried only while its source has not been
 * read; the s3:// backend retries each request of a put itself with the
 * same policy (see retry.c for why).
 * store_open() already does this for remote backends.
 * @param[in] lower owned by the layer on success; on failure still the
 *            caller's.
 * @param[in] o may be NULL; only retries, retries_set, retry_base_ms are
 *            read.
 * @param[out] out the layer; free with store_close(), which closes @lower.
 * @return 0; -ENOMEM.
 */
int store_retry_wrap(struct store *lower, const struct store_opts *o,
		     struct store **out);

/** Settings of the read-ahead layer; zero fields take the defaults. */
struct store_readahead_opts {
	size_t min_window;    /**< first window, and after a jump (256 KiB) */
	size_t max_window;    /**< largest window (8 MiB) */
	unsigned max_streams; /**< sequential readers followed at once (64) */
};

/**
 * Wrap @lower in the read-ahead layer, for a remote store read in order.
 * store_read() through it answers from a window of the object fetched in
 * one lower read. The layer follows up to max_streams readers (a reader is
 * recognised by key and by reading on where its last read ended); each
 * reader's window doubles from min_window to max_window while its reads
 * stay in order and drops back to min_window on a jump, and while reads
 * are in order the window after the current one is fetched in the
 * background. The least recently used reader is forgotten when a new one
 * comes. A reader that has read to the end of its object releases its
 * buffers at once; one that stops earlier keeps them until a later read
 * finds it idle for a few seconds (the sweep runs on reads, not on a
 * timer). Memory: at most 2 * max_window per followed reader.
 * A read returns all @len bytes unless the object ends first, even if the
 * lower store answers in short pieces. A read of max_window bytes or more
 * goes straight down. Errors are the lower store's, with its message, in
 * the calling thread (a failed background fetch is read again in the
 * caller). Puts, removes, copies and renames through this layer forget the
 * windows of the keys they change; changes made around it are not seen
 * until those windows are dropped, as objects are immutable once written.
 * Other calls pass down unchanged. Thread-safe.
 * @param[in] lower owned by the layer on success; on failure still the
 *            caller's.
 * @param[in] o may be NULL for the defaults.
 * @param[out] out the layer; free with store_close(), which closes @lower.
 * @return 0; -EINVAL if min_window > max_window; -ENOMEM.
 */
int store_readahead_wrap(struct store *lower,
			 const struct store_readahead_opts *o,
			 struct store **out);

/**
 * Wrap @lower in the fault layer, which injects the failures @spec asks
 * for and passes everything else down. @spec is a comma-separated list of
 * items (the syntax of SNAPFS_STORE_FAULTS):
 *
 *   fail=OP:CALLS:ERR[:transient][:key=TEXT]
 *       Fail calls CALLS of OP (counted from 1, per item, among the calls
 *       it matches) with -ERR, without calling the lower store. CALLS is N,
 *       N-M or N- (from N on). ERR is an errno name (EIO, ENOENT, ENOSPC,
 *       EAGAIN, ETIMEDOUT, ECONNRESET, EACCES, ...) or number. "transient"
 *       marks the failure transient (store_error_transient()), so the
 *       retry layer retries it; "key=TEXT" matches only calls whose key
 *       (list: prefix; copy, rename: source; remove_many: any key)
 *       contains TEXT.
 *   delay=[OP:]MS   sleep MS milliseconds before each call (of OP).
 *   corrupt=KEY@OFF flip the bits of the byte at offset OFF of object KEY
 *                   in every read that returns it.
 *   short=N         return at most N bytes per read call (N > 0).
 *   enospc=N        fail a put with -ENOSPC once the bytes of successful
 *                   puts through this layer would pass N.
 *   remote          report STORE_CAP_REMOTE, as a network store would.
 *
 * OP is list, stat, read, put, remove, copy, rename or any. Keys may not
 * contain ','; in fail=...:key=TEXT, TEXT may not contain ':'. Failures
 * record "fault: OP KEY: injected ERR (call N)" for store_strerror().
 * @param[in] lower owned by the layer on success; on failure still the
 *            caller's.
 * @param[in] spec may be "" (no faults: counting only).
 * @param[out] out the layer; free with store_close(), which closes @lower.
 * @return 0; -EINVAL if @spec does not parse (store_strerror() names the
 *         item and what was expected); -ENOMEM.
 */
int store_fault_wrap(struct store *lower, const char *spec, struct store **out);

/**
 * Replace the knobs of fault layer @st with @spec (syntax as above) and
 * reset its call counts and its enospc byte count. "remote" only counts
 * at store_fault_wrap(): capabilities do not change once made.
 * Thread-safe.
 * @return 0; -EINVAL if @st is not a fault layer or @spec does not parse
 *         (the old knobs stay).
 */
int store_fault_set(struct store *st, const char *spec);

/**
 * How many calls of @op ("list", "stat", "read", "put", "remove", "copy",
 * "rename" or "any" for all) fault layer @st has seen since it was made
 * or last set, injected failures included. 0 if @st is not a fault
 * layer or @op is unknown. Thread-safe.
 */
unsigned long store_fault_calls(struct store *st, const char *op);

/**
 * Forget every object of the mem:// store named @name (the NAME of
 * mem://NAME/...). Stores open on it stay usable and see it empty. A no-op
 * if nothing was stored under @name. Thread-safe.
 */
void store_mem_clear(const char *name);

#endif
