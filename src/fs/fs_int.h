/* SPDX-License-Identifier: MIT */
/*
 * fs_int.h - what the files of src/fs share: the node, the node families'
 * ops table, the inode table and the open-file base.
 *
 * Layout (one noun per file):
 *   fs.c         the public snapfs_* entry points; they dispatch through
 *                node->ops and never look at which family a node is
 *   node.c       the inode table: allocation, ino -> node hash, children,
 *                merging a fill's result, lookup counts and forget
 *   text.c       generated texts: fixed ones (README) and ones made anew
 *                at every open (status files)
 *   root.c       the root directory, README and repository
 *   snapshots.c  snapshots/, labels, latest, timestamps and the levels of
 *                a snapshot down to its tablets
 *   snap.c       a timestamp's lazily loaded snapshot and its status and
 *                meta.json texts
 *   object.c     files with content and an MD5: repository objects and
 *                local cluster files, read with the MD5 check
 *   raw.c        raw/: the repository's keys as directories
 *   controldir.c control/: the files of the control plane (jobs/control.h)
 *   jobsdir.c    jobs/: SHOW RESTORE/BACKUP and one directory per job
 *   clusterdir.c cluster/: the local cluster's catalog records as
 *                directories (cluster/record.h)
 *   newfile.c    a file being written into a cluster/ tablet
 *
 * ---- Inode lifetime (as libfuse's passthrough_ll) ----------------------
 *
 * Every reply that hands the kernel an entry (lookup, mkdir, create)
 * counts one in node->nlookup; FORGET takes counts away. A node is LIVE
 * while anything holds it:
 *   - the kernel (nlookup > 0),
 *   - an operation in progress or an open handle (nref > 0: node_get()
 *     takes one, node_put() gives it back; a file handle keeps one until
 *     release),
 *   - a live child (nlive > 0: children listed or orphaned, see below),
 *   - or it is fixed: the root and its directories (snapshots, raw,
 *     control, jobs, cluster) are never freed.
 * When a node stops being live, its cached listing is dropped at once:
 * its children are freed (none of them is live, or it would be) with
 * their own listings. The node itself stays as long as it is an entry of
 * its parent's listing, and goes with that listing; a node that is in no
 * listing any more (an orphan: a re-list no longer showed it, or showed
 * another file under its name) is freed as soon as it is not live.
 * So memory follows what the kernel holds: once the kernel forgets a
 * directory and everything below it, only its name remains, as one entry
 * of its parent's listing. A leaf the kernel forgot is not freed on its
 * own while its directory is held: it costs no more than its name in the
 * listing, and taking it out would make the next lookup in that directory
 * list it again (a store round trip for raw/).
 *
 * A name looked up again after its node was freed is found by a new fill
 * of its parent and gets a new node with a new inode number. Inode numbers
 * come from a counter and are never reused, so a number the kernel may
 * still know never names another node.
 *
 * Fills: at most one fill of a directory runs at a time (node->filling;
 * another caller waits on fs->filled and then uses the fresh listing). A
 * fill runs without fs->lock and only on a directory its caller holds
 * (nref), so the directory's listing cannot be dropped under it, and its
 * children can only leave the listing through its own merge: a fill may
 * read a child it found under fs->lock (fill_label takes a timestamp's
 * snap from the old node) after dropping the lock.
 *
 * Lock order: f->lock (one open file), then snap->lock (one snapshot),
 * then fs->lock. fs->lock guards the inode table, every node's counts,
 * listing and attributes, and is never held across store or catalog I/O.
 */
#ifndef SNAPFS_FS_INT_H
#define SNAPFS_FS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "base/base.h"
#include "fs.h"

struct control;
struct node;
struct proto;
struct protolist;
struct snap;

enum node_flags {
	NODE_VOLATILE = (1 << 0), /**< changes under jobs: TTL 0, re-listed */
	NODE_DIRECT = (1 << 1),	  /**< open files bypass the page cache */
	NODE_TEXT_ID = (1 << 2),  /**< text is identity: a new text is a new
				     node (link targets, cached per inode) */
};

/*
 * One node family's operations. Every slot is called with no lock held,
 * on a node the caller holds (node_get()), from any FUSE worker thread;
 * a slot takes fs->lock itself for node fields it reads or changes.
 * A slot returns 0 or a negative errno that goes to the caller as it is
 * (nothing is mapped to EIO or EINVAL on the way).
 */
struct node_ops {
	/** Kind of file and permission bits: S_IFDIR | 0555 etc. */
	mode_t mode;
	/** enum node_flags. */
	unsigned flags;

	/**
	 * Directories: describe the children into @pl (proto_add() etc.).
	 * Called by node_fill() when the listing is missing or due, never
	 * twice at once for one directory; node_fill() merges the result.
	 * NULL for files.
	 * @return 0; -ENOMEM; else the store's, repository's or catalog's
	 *         -errno (the listing is left as it was).
	 */
	int (*fill)(struct snapfs *fs, struct node *dir, struct protolist *pl);
	/**
	 * Is the listing due again? Called under fs->lock, on a directory
	 * already listed. NULL: a listing is kept until the node is freed.
	 */
	bool (*due)(struct snapfs *fs, const struct node *dir);
	/**
	 * Find child @name. NULL: node_lookup_default() (fill if due, then
	 * the listing).
	 * @param[out] out the child, held (node_put() it).
	 * @return 0; -ENOENT; else as fill.
	 */
	int (*lookup)(struct snapfs *fs, struct node *dir, const char *name,
		      struct node **out);
	/**
	 * Compute attributes known only lazily (size of a status text,
	 * mtime of a snapshot) before a stat or an open. NULL: the fill set
	 * them. May take snap->lock, then fs->lock.
	 * @return 0; else -errno (loading the snapshot failed).
	 */
	int (*getattr)(struct snapfs *fs, struct node *n);
	/**
	 * Open a file. NULL: -EISDIR for a directory, -EINVAL otherwise.
	 * The slot checks @flags (write access: -EROFS unless the family
	 * takes writes) and allocates its own handle, whose first member is
	 * struct snapfs_file; snapfs_open() fills in the base.
	 * @return 0 with *out; -EROFS; -EIO object known corrupt or missing;
	 *         else -errno.
	 */
	int (*open)(struct snapfs *fs, struct node *n, int flags,
		    struct snapfs_file **out);
	/**
	 * Read at @off into @buf. Required when open is set.
	 * @return 0 with *n (0 at EOF); -EIO MD5 mismatch; else -errno.
	 */
	int (*read)(struct snapfs *fs, struct snapfs_file *f, char *buf,
		    size_t size, uint64_t off, size_t *n);
	/**
	 * Write @size bytes at @off. NULL: -EROFS.
	 * @return 0 with *n; else -errno (control files: the statement's).
	 */
	int (*write)(struct snapfs *fs, struct snapfs_file *f, const char *buf,
		     size_t size, uint64_t off, size_t *n);
	/**
	 * A descriptor of the handle is closed (close(2) returns this).
	 * NULL: 0.
	 */
	int (*flush)(struct snapfs *fs, struct snapfs_file *f);
	/**
	 * The last descriptor is gone: finish and free the handle (all but
	 * the node, which snapfs_release() lets go). Required when open or
	 * create is set.
	 * @return 0, or the error of what the handle still had to do.
	 */
	int (*release)(struct snapfs *fs, struct snapfs_file *f);
	/** Truncate to 0. NULL: -EROFS. */
	int (*truncate)(struct snapfs *fs, struct node *n);
	/**
	 * Directories: make child @name. NULL: -EROFS. The caller looks the
	 * new name up afterwards.
	 * @return 0; -EEXIST; -EINVAL bad name; -EBUSY; else -errno.
	 */
	int (*mkdir)(struct snapfs *fs, struct node *dir, const char *name);
	/**
	 * Directories: create and open file @name for writing. NULL: -EROFS.
	 * @param[out] out a handle whose node is the new child (held by the
	 *             handle, counted once as a lookup by the caller).
	 * @return 0; -EEXIST; -EINVAL bad name; -EBUSY; else -errno.
	 */
	int (*create)(struct snapfs *fs, struct node *dir, const char *name,
		      int flags, struct snapfs_file **out);
	/**
	 * Directories: remove child directory @name. NULL: -EROFS.
	 * @return 0; -ENOENT; -ENOTDIR; -EBUSY; -EROFS; else -errno.
	 */
	int (*rmdir)(struct snapfs *fs, struct node *dir, const char *name);
	/**
	 * Symlinks: copy the target, NUL-terminated. NULL: -EINVAL.
	 * @return 0; -ENAMETOOLONG.
	 */
	int (*readlink)(struct snapfs *fs, struct node *n, char *buf,
			size_t size);
	/**
	 * The value of extended attribute @name. Called with fs->lock held
	 * (the caller copies the value before letting go): no I/O, no other
	 * lock. NULL: no attributes (-ENODATA).
	 * @return 0; -ENODATA.
	 */
	int (*xattr)(struct node *n, const char *name, const char **val);
	/**
	 * Files made anew at every open (text.c): the current text.
	 * @param[out] text caller-owned. NULL for other families.
	 */
	int (*text)(struct snapfs *fs, struct node *n, char **text,
		    size_t *len);
	/**
	 * Free a node's or proto's owned payload (priv). Called under
	 * fs->lock, or with no lock on a proto nobody saw: must not block or
	 * take locks. NULL: priv is unused.
	 */
	void (*free)(void *priv);
};

/* A node of the mount tree. Fields marked (lock) are under fs->lock;
 * payload fields are set at creation and read-only after, except where
 * marked. */
struct node {
	uint64_t ino;
	const struct node_ops *ops;
	struct node *parent; /* NULL for the root; lives as long as we do */
	char *name;
	struct node *hnext; /* (lock) chain in the ino hash */
	/* Lifetime (lock): see the top of this file. */
	uint64_t nlookup;
	unsigned nref;
	unsigned nlive;
	bool fixed;
	bool orphan; /* not in its parent's listing any more */
	/* Attributes (lock). */
	uint64_t size;
	int64_t mtime;
	bool ready; /* lazily computed attributes are known */
	/* Listing (lock). */
	struct node **kids; /* sorted by name */
	size_t nkids;
	bool listed;
	bool filling; /* a fill runs (see node_fill()) */
	time_t listed_at;
	unsigned repo_gen; /* jobs_repo_generation() when listed */
	/* Payload. */
	char *key;		   /* object key, prefix, label dir, path */
	char md5[MD5_HEX_LEN + 1]; /* (lock) "" if unknown */
	bool missing;		   /* listed in the info, absent in store */
	bool corrupt;		   /* (lock) failed an MD5 check */
	unsigned writers;	   /* (lock) new-file handles writing it */
	char *text;		   /* (lock) fixed text, link target */
	struct snap *snap;	   /* the snapshot this node is in */
	const void *ref;	   /* jobinfo table/partition/index/tablet */
	int sub;		   /* family's own small number */
	void *priv;		   /* owned; freed with ops->free */
};

/* A child as a fill describes it, before the merge. */
struct proto {
	char *name;
	const struct node_ops *ops;
	bool ready, missing, fixed;
	uint64_t size;
	int64_t mtime;
	char *key, *text; /* owned until merged */
	char md5[MD5_HEX_LEN + 1];
	struct snap *snap;
	const void *ref;
	int sub;
	void *priv; /* owned until merged: ops->free */
};

struct protolist {
	struct proto *v;
	size_t n, cap;
};

struct snapfs {
	/* The stack store_open() made: listings, the repository and jobs
	 * use it. Read-only after snapfs_new, as the next two. */
	struct store *st;
	/* Object reads: @st itself, or for a remote store the read-ahead
	 * layer over it (which then owns @st: close this one). */
	struct store *rd;
	struct repo *repo;
	struct snapfs_opts o;
	char *url;
	char *mountpoint;
	time_t mounted_at;
	struct cluster *cl;   /* read-only after snapfs_new */
	struct jobs *jobs;    /* read-only after snapfs_new; NULL: no cluster */
	struct control *ctl;  /* the control plane of jobs; NULL with it */
	pthread_mutex_t lock; /* see the top of this file */
	pthread_cond_t filled;	/* with lock: a fill ended */
	pthread_cond_t written; /* with lock: a new file was named */
	/* The inode table (lock). */
	struct node **htab; /* ino -> node, chained through hnext */
	size_t hsize;	    /* a power of two */
	size_t count;	    /* nodes in the table */
	uint64_t next_ino;
	struct node *root;
};

/* The base of every open handle; each family's handle embeds it first. */
struct snapfs_file {
	struct node *node; /* held (nref) until snapfs_release() */
	const struct node_ops *ops;
	pthread_mutex_t lock; /* guards the family's fields */
};

/**
 * Allocate a zeroed handle of @size bytes (a family's struct, the base
 * first) with its lock set up; snapfs_open() sets node and ops.
 * @return NULL if out of memory.
 */
void *file_new(size_t size);
/** Free a handle from file_new() (not its node). */
void file_free(struct snapfs_file *f);

/* ---- node.c: the inode table -------------------------------------------*/

/** Set up and tear down the table. free frees every node. */
int node_table_init(struct snapfs *fs);
void node_table_free(struct snapfs *fs);

/**
 * Add a child description. The name is copied; the proto starts ready
 * with everything else zero.
 * @return the proto, NULL if out of memory.
 */
struct proto *proto_add(struct protolist *pl, const char *name,
			const struct node_ops *ops);
/** A directory proto with @mtime. */
struct proto *proto_dir(struct protolist *pl, const char *name,
			const struct node_ops *ops, int64_t mtime);
void protolist_release(struct protolist *pl);

/**
 * Make a node of @p under @parent (NULL: the root) and enter it in the
 * table, not in the parent's listing. Takes p's owned strings and priv.
 * Caller holds fs->lock. @return the node, NULL if out of memory.
 */
struct node *node_new_locked(struct snapfs *fs, struct node *parent,
			     struct proto *p);

/** The node of @ino, held (node_put() it); NULL if there is none. */
struct node *node_get(struct snapfs *fs, uint64_t ino);
/** Hold @n once more: caller holds fs->lock. */
void node_hold_locked(struct node *n);
/** Let go of a hold from node_get() or node_hold_locked(). */
void node_put(struct snapfs *fs, struct node *n);
void node_put_locked(struct snapfs *fs, struct node *n);
/** Count one kernel lookup of @n (held by the caller). */
void node_lookup_count(struct snapfs *fs, struct node *n);
/**
 * Drop @nlookup kernel lookups of @ino; frees what nobody holds then.
 * @return 0; -ENOENT unknown ino.
 */
int node_forget(struct snapfs *fs, uint64_t ino, uint64_t nlookup);
/** Nodes in the table. */
size_t node_count(struct snapfs *fs);

/** Child @name of @dir, or NULL. Caller holds fs->lock. */
struct node *node_kid_find(const struct node *dir, const char *name);
/** Put @n into @dir's listing, replacing a same-named child (which
 * becomes an orphan). Caller holds fs->lock. @return 0; -ENOMEM. */
int node_kid_insert_locked(struct snapfs *fs, struct node *dir, struct node *n);
/** Wait until no fill of @dir runs. Caller holds fs->lock. */
void node_fill_wait_locked(struct snapfs *fs, struct node *dir);

/**
 * List @dir if its listing is missing or due: run dir->ops->fill and
 * merge the result, keeping the node (and inode number) of every name
 * that is still the same thing. @dir is held by the caller.
 * @return 0; -ENOTDIR; else as the fill slot.
 */
int node_fill(struct snapfs *fs, struct node *dir);
/** The default lookup slot: fill, then find @name, held. */
int node_lookup_default(struct snapfs *fs, struct node *dir, const char *name,
			struct node **out);
/** A due slot: re-list after cache_ttl, or when a job changed the
 * repository. */
bool node_due_ttl(struct snapfs *fs, const struct node *dir);
/** A due slot: always (the catalog is local and changes under jobs). */
bool node_due_always(struct snapfs *fs, const struct node *dir);

/** Does @flags ask to write? */
bool open_wants_write(int flags);

/* ---- text.c: generated texts -------------------------------------------*/

char *text_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** A fixed text file (owns @text, freed here on failure). */
struct proto *text_proto(struct protolist *pl, const char *name, char *text,
			 int64_t mtime);
/** A file of @ops whose text is made anew at every open: the dyn_* slots
 * below plus ops->text. */
struct proto *dyn_proto(struct protolist *pl, const char *name,
			const struct node_ops *ops, int64_t mtime);
int dyn_getattr(struct snapfs *fs, struct node *n);
int dyn_open(struct snapfs *fs, struct node *n, int flags,
	     struct snapfs_file **out);
int dyn_read(struct snapfs *fs, struct snapfs_file *f, char *buf, size_t size,
	     uint64_t off, size_t *n);
int dyn_release(struct snapfs *fs, struct snapfs_file *f);
/** Copy what of @text of @len lies at @off into @buf. */
size_t text_copy(const char *text, size_t len, char *buf, size_t size,
		 uint64_t off);

/* ---- root.c ------------------------------------------------------------*/

/** Make the root node. Caller holds fs->lock. @return 0; -ENOMEM. */
int root_make_locked(struct snapfs *fs);

/* ---- snapshots.c, snap.c -----------------------------------------------*/

/** snapshots/, fixed. */
struct proto *snapshots_proto(struct snapfs *fs, struct protolist *pl);

/* A snapshot timestamp directory's lazily loaded state. */
struct snap {
	pthread_mutex_t lock;	 /* guards everything below */
	struct label *label;	 /* counted reference */
	size_t ti;		 /* index in label->rl->ts */
	struct repo_snapshot *s; /* NULL until loaded; then immutable */
	char *status;		 /* status text, once the meta is read */
	char *meta_json;
	size_t meta_json_len;
};

/* A loaded label, shared by the snaps made from it. */
struct label {
	struct repo_label *rl;
	unsigned refs; /* atomic */
};

/** A label loaded by a fill, with one reference. */
int label_load(struct snapfs *fs, const char *dir, struct label **out);
void label_put(struct label *l);
/** A snap of timestamp @ti of @l (takes a reference to @l). */
struct snap *snap_new(struct label *l, size_t ti);
/** An ops->free slot for the node that owns a snap. */
void snap_free(void *snap);
/** Load the info object once. @param[out] out immutable once loaded. */
int snap_load(struct snapfs *fs, struct snap *sn, struct repo_snapshot **out);
/** Is the snapshot complete, its meta included? Reads the meta once. */
bool snap_ok(struct snapfs *fs, struct snap *sn);
/** status (@meta false) or meta.json of @sn as a file. */
struct proto *snap_text_proto(struct protolist *pl, struct snap *sn, bool meta,
			      int64_t mtime);

/* ---- object.c ----------------------------------------------------------*/

/** A repository object (key, size, mtime; @md5 "" or NULL if unknown). */
struct proto *object_proto(struct protolist *pl, const char *name,
			   const char *key, uint64_t size, int64_t mtime,
			   const char *md5);
/** A file of the local cluster at absolute path @path. */
struct proto *object_local_proto(struct protolist *pl, const char *name,
				 const char *path, uint64_t size, int64_t mtime,
				 const char *md5);

/* ---- raw.c -------------------------------------------------------------*/

/** A raw/ directory for key prefix @key ("a/b/"). */
struct proto *raw_proto(struct protolist *pl, const char *name, const char *key,
			int64_t mtime);

/* ---- controldir.c, jobsdir.c ----------------------------------------------*/

/** control/, fixed. */
struct proto *controldir_proto(struct snapfs *fs, struct protolist *pl);
/** jobs/, fixed. */
struct proto *jobsdir_proto(struct snapfs *fs, struct protolist *pl);

/* ---- clusterdir.c, newfile.c ----------------------------------------------*/

/** cluster/, fixed. */
struct proto *clusterdir_proto(struct snapfs *fs, struct protolist *pl);
/** The create slot of a cluster/ tablet directory (and only of that: it
 * takes @dir's four ancestors for db, table, partition and index). */
int newfile_create(struct snapfs *fs, struct node *dir, const char *name,
		   int flags, struct snapfs_file **out);

#endif
