/* SPDX-License-Identifier: MIT */
/*
 * record.h - the catalog's records as C structs: database, table, and the
 * tree inside a table (partition, index, tablet, replica, file).
 *
 * record.c is the one file that knows the keys and the JSON layout:
 *
 *   "db/<db>"            {"id", "name"}
 *   "table/<db>/<name>"  {"id", "name", "db", "state", ["job_id"],
 *                         ["source_table"], ["restored_by"], "partitions"}
 *     partition          {"id", "name", "version", "indexes"}
 *     index              {"id", "name", "schema_hash", "tablets"}
 *     tablet             {"id", "replicas", ["src"]}
 *       src              {"table", "table_id", "part_id", "index",
 *                         "index_id", "tablet"}  (where a restore took it)
 *     replica            {"id", "backend", "gen", ["files"]}
 *     file               {"name", "md5", "size"}
 *   "job/<20-digit id>"  a job, the jobs layer's own JSON (see below)
 *
 * Members in [] are optional. A restore's plan (inside its job record)
 * holds tables in the same layout plus two marks that a stored table
 * never has: "restored": true on a partition the restore writes, and
 * "old" (the replica the tablet has now) on a tablet.
 *
 * Lifetime: every struct here owns everything it points to (strings,
 * arrays, the "extra" JSON), and nothing points into LMDB, so a record
 * stays valid after its transaction ends. A record filled by a _get,
 * _init or _from_json function is released with record_db_release() or
 * record_table_release(); the elements of a table are released with it
 * (a partition built on its own, outside a table, with
 * record_partition_release()). A pointer to an element (partition,
 * index, ...) stays valid until the array it is in changes
 * (record_*_add_*, record_table_pick_partitions,
 * record_table_remove_partition, record_table_set_partition) or the
 * table is released. Strings passed in are copied.
 *
 * Members not listed above are kept in @extra and written back after the
 * known ones, so a read-modify-write by this version loses nothing a
 * later one stored. The known members are written in the order above,
 * which is the order snapfs has always written them for tables made by
 * hand and by a restore's shell (a restored table, made by older code,
 * had its members in another order; the values are the same).
 *
 * Errors: a record that is not JSON or misses a required member, or has
 * one of the wrong type, is -EIO (logged, naming the key); catalog errors
 * come back as the catalog gives them (-ENOENT, -ENOSPC, ...).
 *
 * Threading: records are plain memory with no locks; the catalog
 * transaction passed in follows catalog.h's rules.
 */
#ifndef SNAPFS_RECORD_H
#define SNAPFS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct catalog;
struct catalog_txn;

/** One file of a replica (written once; replicas hold the same files). */
struct record_file {
	char *name;
	char *md5; /**< hex digest as recorded */
	uint64_t size;
	json_t *extra; /**< unknown members, or NULL */
};

/** One copy of a tablet's files, in one generation directory. */
struct record_replica {
	int64_t id;
	unsigned backend;
	int64_t gen;
	/** false: no "files" member (a restore's plan before the download);
	 * true: @files is the file list, maybe empty. */
	bool has_files;
	struct record_file *files;
	size_t nfiles;
	json_t *extra;
};

/** Where a restored tablet's data came from in the snapshot ("src"). */
struct record_tablet_src {
	char *table;
	int64_t table_id, part_id;
	char *index;
	int64_t index_id, tablet;
};

struct record_tablet {
	int64_t id;
	struct record_replica *replicas;
	size_t nreplicas;
	struct record_tablet_src *src; /**< NULL unless restored */
	struct record_replica *old;    /**< plan only: the current replica */
	json_t *extra;
};

struct record_index {
	int64_t id; /**< one id per index name across the table */
	char *name;
	int64_t schema_hash;
	struct record_tablet *tablets;
	size_t ntablets;
	json_t *extra;
};

struct record_partition {
	int64_t id;
	char *name;
	int64_t version;
	bool restored; /**< plan only: this restore writes the partition */
	struct record_index *indexes;
	size_t nindexes;
	json_t *extra;
};

enum record_table_state {
	RECORD_TABLE_NORMAL,  /**< "NORMAL": readable and writable */
	RECORD_TABLE_RESTORE, /**< "RESTORE": a restore's shell, not usable */
};

struct record_table {
	int64_t id;
	char *db, *name;
	enum record_table_state state;
	int64_t job_id;	     /**< the job owning a shell; 0: none */
	char *source_table;  /**< snapshot table restored from; or NULL */
	int64_t restored_by; /**< the restore that last wrote it; 0: none */
	struct record_partition *parts;
	size_t nparts;
	json_t *extra;
};

struct record_db {
	int64_t id;
	char *name;
	json_t *extra;
};

/* ---- databases ----------------------------------------------------------- */

/**
 * Read "db/<name>".
 * @param[out] out release with record_db_release(); set only on success.
 * @return 0; -ENOENT absent; -EIO malformed; -ENAMETOOLONG; -errno.
 */
int record_db_get(struct catalog_txn *t, const char *name,
		  struct record_db *out);

/** Store @db under "db/<db->name>". @pre write transaction.
 * @return 0; -EINVAL no name; -ENOSPC; -ENOMEM; -ENAMETOOLONG; -errno. */
int record_db_put(struct catalog_txn *t, const struct record_db *db);

/**
 * The names of every database, in key order. @cb's non-zero return
 * stops the walk and is returned. The name is valid during the call.
 * @return 0; @cb's value; -errno.
 */
int record_db_names(struct catalog_txn *t,
		    int (*cb)(const char *name, void *arg), void *arg);

/** Free what @db owns (NULL or zeroed: no-op); @db may be reused. */
void record_db_release(struct record_db *db);

/* ---- tables ---------------------------------------------------------------
 */

/**
 * A new table in memory (not stored): state NORMAL, no partitions.
 * @return 0; -ENOMEM (then @tbl is zeroed).
 */
int record_table_init(struct record_table *tbl, int64_t id, const char *db,
		      const char *name);

/** Free what @tbl owns (zeroed: no-op); @tbl may be reused. */
void record_table_release(struct record_table *tbl);

/**
 * Read "table/<db>/<name>".
 * @param[out] out release with record_table_release(); only on success.
 * @return 0; -ENOENT absent; -EIO malformed; -ENAMETOOLONG; -errno.
 */
int record_table_get(struct catalog_txn *t, const char *db, const char *name,
		     struct record_table *out);

/**
 * record_table_get() in a read transaction of its own (for a caller that
 * reads one table and holds no transaction).
 * @return as record_table_get(); -errno from catalog_begin().
 */
int record_table_read(struct catalog *c, const char *db, const char *name,
		      struct record_table *out);

/**
 * Store @tbl under "table/<tbl->db>/<tbl->name>", creating or replacing.
 * The plan marks (restored, old) are not stored. @pre write transaction.
 * @return 0; -EINVAL no db or name, or a bad state; -ENOSPC; -ENOMEM;
 *         -ENAMETOOLONG; -errno.
 */
int record_table_put(struct catalog_txn *t, const struct record_table *tbl);

/** Delete "table/<db>/<name>". @pre write transaction.
 * @return 0; -ENOENT; -errno. */
int record_table_del(struct catalog_txn *t, const char *db, const char *name);

/**
 * The names of the tables of database @db, in key order, without
 * reading the records. @cb as in record_db_names().
 * @return 0; @cb's value; -errno.
 */
int record_table_names(struct catalog_txn *t, const char *db,
		       int (*cb)(const char *name, void *arg), void *arg);

/**
 * Read every table of database @db (NULL: of every database), in key
 * order. @cb gets each record, valid during the call only; its non-zero
 * return stops the walk and is returned.
 * @return 0; @cb's value; -EIO a malformed record; -ENOMEM; -errno.
 */
int record_table_scan(struct catalog_txn *t, const char *db,
		      int (*cb)(const struct record_table *tbl, void *arg),
		      void *arg);

/**
 * Every table of database @db, in key order.
 * @param[out] out array, free with record_tables_free(*out, *n); set
 *             only on success (NULL and 0 when there are none).
 * @return 0; -EIO a malformed record; -ENOMEM; -errno.
 */
int record_table_list(struct catalog_txn *t, const char *db,
		      struct record_table **out, size_t *n);

/** Release @n tables and free the array (NULL: no-op). */
void record_tables_free(struct record_table *v, size_t n);

/** The forms a table takes as JSON. */
enum record_json_form {
	/** As stored under "table/": no plan marks. */
	RECORD_JSON_STORED,
	/** With the plan marks: what a job's plan embeds (and
	 * record_table_from_json() reads back). */
	RECORD_JSON_PLAN,
	/** As a BACKUP's __meta describes a table: the stored form without
	 * the local "state" and "job_id" (write-only: not read back). */
	RECORD_JSON_META,
};

/**
 * The table as JSON, in the layout above and the form @form.
 * @param[out] out a new reference (json_decref()); only on success.
 * @return 0; -EINVAL no db or name, or a bad state; -ENOMEM.
 */
int record_table_to_json(const struct record_table *tbl,
			 enum record_json_form form, json_t **out);

/**
 * Parse a table in the layout above (a stored record or a plan's copy).
 * @param[in] what names @j in the log when it is malformed.
 * @param[out] out release with record_table_release(); only on success.
 * @return 0; -EIO malformed; -ENOMEM.
 */
int record_table_from_json(const json_t *j, const char *what,
			   struct record_table *out);

/* ---- inside a table -------------------------------------------------------
 */

/** The partition named @name (exactly, or ignoring ASCII case with
 * @nocase, as Doris does), or NULL. */
struct record_partition *record_partition_find(const struct record_table *tbl,
					       const char *name, bool nocase);

/** The index named @name (exactly) in @p, or NULL. */
struct record_index *record_index_find(const struct record_partition *p,
				       const char *name);

/** The tablet with id @id in @ix, or NULL. */
struct record_tablet *record_tablet_find(const struct record_index *ix,
					 int64_t id);

/** The tablet whose id written in decimal is @name (a directory name
 * under cluster/), or NULL. */
struct record_tablet *record_tablet_find_name(const struct record_index *ix,
					      const char *name);

/** The tablet at table/@part/@index/@id, or NULL. */
struct record_tablet *record_tablet_lookup(const struct record_table *tbl,
					   const char *part, const char *index,
					   int64_t id);

/** The file named @name (exactly) in @r's list, or NULL. */
struct record_file *record_file_find(const struct record_replica *r,
				     const char *name);

/**
 * Append an element, empty below (no indexes, tablets, replicas or
 * files; a new replica has has_files false). Strings are copied.
 * @return the new element (see the lifetime rule above); NULL: no memory
 *         (the parent is unchanged).
 */
struct record_partition *record_table_add_partition(struct record_table *tbl,
						    int64_t id,
						    const char *name,
						    int64_t version);
struct record_index *record_partition_add_index(struct record_partition *p,
						int64_t id, const char *name,
						int64_t schema_hash);
struct record_tablet *record_index_add_tablet(struct record_index *ix,
					      int64_t id);
struct record_replica *record_tablet_add_replica(struct record_tablet *tab,
						 int64_t id, unsigned backend,
						 int64_t gen);
/** Also sets @r->has_files. */
struct record_file *record_replica_add_file(struct record_replica *r,
					    const char *name, const char *md5,
					    uint64_t size);

/**
 * Replace @tab's src with a copy of @src (NULL: remove it).
 * @return 0; -ENOMEM (@tab unchanged).
 */
int record_tablet_set_src(struct record_tablet *tab,
			  const struct record_tablet_src *src);

/**
 * Replace @tab's plan mark "old" with a copy of @r (NULL: remove it).
 * @return 0; -ENOMEM (@tab unchanged).
 */
int record_tablet_set_old(struct record_tablet *tab,
			  const struct record_replica *r);

/**
 * Replace @dst's file list with a copy of @src's (has_files included).
 * @return 0; -ENOMEM (@dst unchanged).
 */
int record_replica_copy_files(struct record_replica *dst,
			      const struct record_replica *src);

/**
 * Replace *@dst (a string member of a record) with a copy of @s (NULL:
 * clear it). @return 0; -ENOMEM (*@dst unchanged).
 */
int record_set_str(char **dst, const char *s);

/**
 * Keep only the partitions named in @names, in that order (a name
 * listed twice gives two copies), compared as record_partition_find()
 * with @nocase: how a BACKUP cuts a table down.
 * @param[out] missing the first name not in @tbl, on -ENOENT.
 * @return 0; -ENOENT (@tbl unchanged); -ENOMEM (@tbl unchanged).
 */
int record_table_pick_partitions(struct record_table *tbl,
				 const char *const *names, size_t n,
				 bool nocase, const char **missing);

/** Release partition @i of @tbl and close the gap. @pre i < nparts. */
void record_table_remove_partition(struct record_table *tbl, size_t i);

/**
 * Move *@p (built on its own, e.g. from a zeroed struct with the
 * record_partition_add_* functions) into @tbl at position @i: the
 * partition there is released and replaced, or with @i == nparts @p is
 * appended. *@p is zeroed after the move.
 * @return 0; -ENOMEM (nothing moved); -EINVAL @i > nparts.
 */
int record_table_set_partition(struct record_table *tbl, size_t i,
			       struct record_partition *p);

/** Free what a partition built on its own owns; @p may be reused. */
void record_partition_release(struct record_partition *p);

/* ---- job records ----------------------------------------------------------
 *
 * A job's record is the jobs layer's own JSON; the catalog keeps it under
 * "job/<id>" and knows two members of it, which cluster_gc() reads: "done"
 * (true once the job is FINISHED or CANCELLED) and "plan", inside which
 * every JSON object with an integer "id" and an array "replicas" is a
 * tablet whose replica directories an unfinished job claims. Tables put
 * into a plan with record_table_to_json() have that form.
 */

/** Read job @id's record. @param[out] out a new reference.
 * @return 0; -ENOENT; -EIO not JSON; -errno. */
int record_job_get(struct catalog_txn *t, int64_t id, json_t **out);

/** Store job @id's record. @pre write transaction.
 * @return 0; -ENOSPC; -ENOMEM; -errno. */
int record_job_put(struct catalog_txn *t, int64_t id, const json_t *rec);

/**
 * Every job record in id order. @cb gets the id (from the key) and the
 * record (borrowed: json_incref() it to keep it); its non-zero return
 * stops the walk and is returned.
 * @return 0; @cb's value; -EIO a record is not JSON; -errno.
 */
int record_job_scan(struct catalog_txn *t,
		    int (*cb)(int64_t id, json_t *rec, void *arg), void *arg);

#endif
