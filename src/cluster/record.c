/* SPDX-License-Identifier: MIT */
/*
 * record.c - the catalog's keys and the JSON layout of its records, in
 * one place: typed records (record.h) to and from JSON, and their get,
 * put, delete and scan calls. Nothing else in snapfs spells a key or a
 * member name of a catalog record.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cluster_int.h"
#include "record.h"
#include "base/base.h"

#include "base/banned.h"

#define PFX_DB	  "db/"
#define PFX_TABLE "table/"
#define PFX_JOB	  "job/"
#define KEYBUF	  (CATALOG_MAXKEY + 2)

static const char *const state_names[] = {
	[RECORD_TABLE_NORMAL] = "NORMAL",
	[RECORD_TABLE_RESTORE] = "RESTORE",
};

/* ---- keys ------------------------------------------------------------------
 */

static int __attribute__((format(printf, 3, 4)))
key_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int db_key(const char *name, char *buf)
{
	return key_fmt(buf, KEYBUF, PFX_DB "%s", name);
}

static int table_key(const char *db, const char *name, char *buf)
{
	return key_fmt(buf, KEYBUF, PFX_TABLE "%s/%s", db, name);
}

static int job_key(int64_t id, char *buf)
{
	return key_fmt(buf, KEYBUF, PFX_JOB "%020" PRId64, id);
}

/* ---- decoding --------------------------------------------------------------
 * Each dec_* fills a zeroed struct; on failure the caller releases it, so
 * a half-filled record is freed by the same code as a whole one.
 */

static int bad(const char *what, const char *kind, const char *why,
	       const char *member)
{
	snap_log(LOG_ERR, "catalog: %s is malformed: %s %s \"%s\"", what, kind,
		 why, member);
	return -EIO;
}

struct dec {
	const json_t *o;
	const char *what; /* the key, or what the caller named */
	const char *kind; /* "a table", "a partition", ... */
};

static int dec_obj(struct dec *d, const json_t *o, const char *kind)
{
	d->o = o;
	d->kind = kind;
	if (!json_is_object(o)) {
		snap_log(LOG_ERR,
			 "catalog: %s is malformed: %s is not an "
			 "object",
			 d->what, kind);
		return -EIO;
	}
	return 0;
}

/* An integer member: required with @need, else absent reads as 0. */
static int dec_int(const struct dec *d, const char *k, bool need, int64_t *out)
{
	const json_t *v = json_object_get(d->o, k);

	if (!v && !need)
		return 0;
	if (!json_is_integer(v))
		return bad(d->what, d->kind, v ? "has a non-integer" : "lacks",
			   k);
	*out = json_integer_value(v);
	return 0;
}

static int dec_uint(const struct dec *d, const char *k, int64_t max,
		    int64_t *out)
{
	int rc = dec_int(d, k, true, out);

	if (rc == 0 && (*out < 0 || *out > max))
		return bad(d->what, d->kind, "has an out-of-range", k);
	return rc;
}

static int dec_str(const struct dec *d, const char *k, bool need, char **out)
{
	const json_t *v = json_object_get(d->o, k);

	if (!v && !need)
		return 0;
	if (!json_is_string(v))
		return bad(d->what, d->kind, v ? "has a non-string" : "lacks",
			   k);
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int dec_arr(const struct dec *d, const char *k, bool need,
		   const json_t **out)
{
	const json_t *v = json_object_get(d->o, k);

	*out = NULL;
	if (!v && !need)
		return 0;
	if (!json_is_array(v))
		return bad(d->what, d->kind, v ? "has a non-array" : "lacks",
			   k);
	*out = v;
	return 0;
}

/* The members not in @known (NULL-terminated), copied; NULL if none. */
static int dec_extra(const struct dec *d, const char *const *known,
		     json_t **out)
{
	json_t *o = (json_t *)d->o, *v, *x;
	const char *k;
	size_t i, n = 0;

	for (i = 0; known[i]; i++)
		n += json_object_get(o, known[i]) != NULL;
	*out = NULL;
	if (json_object_size(o) == n)
		return 0;
	x = json_object();
	if (!x)
		return -ENOMEM;
	json_object_foreach (o, k, v) {
		for (i = 0; known[i] && strcmp(known[i], k) != 0; i++)
			;
		if (!known[i] && json_object_set_new(x, k, json_deep_copy(v))) {
			json_decref(x);
			return -ENOMEM;
		}
	}
	*out = x;
	return 0;
}

/* Decode @arr's elements into a new zeroed array of @size-byte structs.
 * *@v and *@n are set before the elements are filled, so that releasing
 * the parent frees a half-decoded array too. */
static int dec_each(const json_t *arr, const char *what, size_t size,
		    int (*dec)(const json_t *, const char *, void *), void **v,
		    size_t *n)
{
	size_t i, cnt = json_array_size(arr);
	char *p;
	int rc;

	*v = NULL;
	*n = 0;
	if (cnt == 0)
		return 0;
	p = calloc(cnt, size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*n = cnt;
	for (i = 0; i < cnt; i++) {
		rc = dec(json_array_get(arr, i), what, p + i * size);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dec_file(const json_t *o, const char *what, void *out)
{
	static const char *const known[] = {"name", "md5", "size", NULL};
	struct record_file *f = out;
	struct dec d = {.what = what};
	int64_t size = 0;
	int rc;

	rc = dec_obj(&d, o, "a file");
	if (rc == 0)
		rc = dec_str(&d, "name", true, &f->name);
	if (rc == 0)
		rc = dec_str(&d, "md5", true, &f->md5);
	if (rc == 0)
		rc = dec_uint(&d, "size", INT64_MAX, &size);
	f->size = (uint64_t)size;
	return rc < 0 ? rc : dec_extra(&d, known, &f->extra);
}

static int dec_replica(const json_t *o, const char *what, void *out)
{
	static const char *const known[] = {"id", "backend", "gen", "files",
					    NULL};
	struct record_replica *r = out;
	struct dec d = {.what = what};
	const json_t *files = NULL;
	int64_t be = 0;
	int rc;

	rc = dec_obj(&d, o, "a replica");
	if (rc == 0)
		rc = dec_int(&d, "id", true, &r->id);
	if (rc == 0)
		rc = dec_uint(&d, "backend", UINT32_MAX, &be);
	r->backend = (unsigned)be;
	if (rc == 0)
		rc = dec_int(&d, "gen", true, &r->gen);
	if (rc == 0)
		rc = dec_arr(&d, "files", false, &files);
	r->has_files = rc == 0 && files;
	if (rc == 0)
		rc = dec_each(files, what, sizeof(*r->files), dec_file,
			      (void **)&r->files, &r->nfiles);
	return rc < 0 ? rc : dec_extra(&d, known, &r->extra);
}

static int dec_src(const json_t *o, const char *what,
		   struct record_tablet_src **out)
{
	struct record_tablet_src *s;
	struct dec d = {.what = what};
	int rc;

	rc = dec_obj(&d, o, "a tablet's src");
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*out = s;
	rc = dec_str(&d, "table", true, &s->table);
	if (rc == 0)
		rc = dec_int(&d, "table_id", true, &s->table_id);
	if (rc == 0)
		rc = dec_int(&d, "part_id", true, &s->part_id);
	if (rc == 0)
		rc = dec_str(&d, "index", true, &s->index);
	if (rc == 0)
		rc = dec_int(&d, "index_id", true, &s->index_id);
	if (rc == 0)
		rc = dec_int(&d, "tablet", true, &s->tablet);
	return rc;
}

static int dec_tablet(const json_t *o, const char *what, void *out)
{
	static const char *const known[] = {"id", "replicas", "src", "old",
					    NULL};
	struct record_tablet *tab = out;
	struct dec d = {.what = what};
	const json_t *reps = NULL, *v;
	int rc;

	rc = dec_obj(&d, o, "a tablet");
	if (rc == 0)
		rc = dec_int(&d, "id", true, &tab->id);
	if (rc == 0)
		rc = dec_arr(&d, "replicas", true, &reps);
	if (rc == 0)
		rc = dec_each(reps, what, sizeof(*tab->replicas), dec_replica,
			      (void **)&tab->replicas, &tab->nreplicas);
	v = json_object_get(o, "src");
	if (rc == 0 && v)
		rc = dec_src(v, what, &tab->src);
	v = json_object_get(o, "old");
	if (rc == 0 && v) {
		tab->old = calloc(1, sizeof(*tab->old));
		rc = tab->old ? dec_replica(v, what, tab->old) : -ENOMEM;
	}
	return rc < 0 ? rc : dec_extra(&d, known, &tab->extra);
}

static int dec_index(const json_t *o, const char *what, void *out)
{
	static const char *const known[] = {"id", "name", "schema_hash",
					    "tablets", NULL};
	struct record_index *ix = out;
	struct dec d = {.what = what};
	const json_t *tabs = NULL;
	int rc;

	rc = dec_obj(&d, o, "an index");
	if (rc == 0)
		rc = dec_int(&d, "id", true, &ix->id);
	if (rc == 0)
		rc = dec_str(&d, "name", true, &ix->name);
	if (rc == 0)
		rc = dec_int(&d, "schema_hash", true, &ix->schema_hash);
	if (rc == 0)
		rc = dec_arr(&d, "tablets", true, &tabs);
	if (rc == 0)
		rc = dec_each(tabs, what, sizeof(*ix->tablets), dec_tablet,
			      (void **)&ix->tablets, &ix->ntablets);
	return rc < 0 ? rc : dec_extra(&d, known, &ix->extra);
}

static int dec_partition(const json_t *o, const char *what, void *out)
{
	static const char *const known[] = {"id",      "name",	   "version",
					    "indexes", "restored", NULL};
	struct record_partition *p = out;
	struct dec d = {.what = what};
	const json_t *idxs = NULL, *v;
	int rc;

	rc = dec_obj(&d, o, "a partition");
	if (rc == 0)
		rc = dec_int(&d, "id", true, &p->id);
	if (rc == 0)
		rc = dec_str(&d, "name", true, &p->name);
	if (rc == 0)
		rc = dec_int(&d, "version", true, &p->version);
	if (rc == 0)
		rc = dec_arr(&d, "indexes", true, &idxs);
	if (rc == 0)
		rc = dec_each(idxs, what, sizeof(*p->indexes), dec_index,
			      (void **)&p->indexes, &p->nindexes);
	v = json_object_get(o, "restored");
	if (rc == 0 && v && !json_is_boolean(v))
		rc = bad(what, d.kind, "has a non-boolean", "restored");
	p->restored = json_is_true(v);
	return rc < 0 ? rc : dec_extra(&d, known, &p->extra);
}

static int dec_state(const struct dec *d, enum record_table_state *out)
{
	const char *s = json_string_value(json_object_get(d->o, "state"));
	size_t i;

	for (i = 0; s && i < sizeof(state_names) / sizeof(*state_names); i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum record_table_state)i;
			return 0;
		}
	return bad(d->what, d->kind, s ? "has an unknown" : "lacks", "state");
}

static int dec_table(const json_t *o, const char *what,
		     struct record_table *tbl)
{
	static const char *const known[] = {
		"id",		"name",	       "db",	     "state", "job_id",
		"source_table", "restored_by", "partitions", NULL};
	struct dec d = {.what = what};
	const json_t *parts = NULL;
	int rc;

	rc = dec_obj(&d, o, "a table");
	if (rc == 0)
		rc = dec_int(&d, "id", true, &tbl->id);
	if (rc == 0)
		rc = dec_str(&d, "name", true, &tbl->name);
	if (rc == 0)
		rc = dec_str(&d, "db", true, &tbl->db);
	if (rc == 0)
		rc = dec_state(&d, &tbl->state);
	if (rc == 0)
		rc = dec_int(&d, "job_id", false, &tbl->job_id);
	if (rc == 0)
		rc = dec_str(&d, "source_table", false, &tbl->source_table);
	if (rc == 0)
		rc = dec_int(&d, "restored_by", false, &tbl->restored_by);
	if (rc == 0)
		rc = dec_arr(&d, "partitions", true, &parts);
	if (rc == 0)
		rc = dec_each(parts, what, sizeof(*tbl->parts), dec_partition,
			      (void **)&tbl->parts, &tbl->nparts);
	return rc < 0 ? rc : dec_extra(&d, known, &tbl->extra);
}

/* ---- encoding --------------------------------------------------------------
 * Members in the order snapfs has always written them, then the unknown
 * ones. Each enc_* returns a new object or NULL (out of memory).
 */

/* Append the unknown members; takes @o's reference (NULL on failure). */
static json_t *enc_extra(json_t *o, const json_t *extra)
{
	if (o && extra &&
	    json_object_update_new(o, json_deep_copy(extra)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Set @k to @v (a new reference); NULL @v or failure frees @o. */
static json_t *enc_set(json_t *o, const char *k, json_t *v)
{
	if (o && v && json_object_set_new(o, k, v) == 0)
		return o;
	json_decref(o);
	json_decref(v);
	return NULL;
}

/* A JSON array of @n elements @size bytes apart, each made by @enc. */
static json_t *enc_each(const void *v, size_t n, size_t size,
			json_t *(*enc)(const void *, enum record_json_form),
			enum record_json_form form)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		if (json_array_append_new(
			    arr, enc((const char *)v + i * size, form)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	return arr;
}

static json_t *enc_file(const void *v, enum record_json_form form)
{
	const struct record_file *f = v;

	return enc_extra(json_pack("{s:s, s:s, s:I}", "name", f->name, "md5",
				   f->md5, "size", (json_int_t)f->size),
			 f->extra);
}

static json_t *enc_replica(const void *v, enum record_json_form form)
{
	const struct record_replica *r = v;
	json_t *o =
		json_pack("{s:I, s:i, s:I}", "id", (json_int_t)r->id, "backend",
			  (int)r->backend, "gen", (json_int_t)r->gen);

	if (r->has_files)
		o = enc_set(o, "files",
			    enc_each(r->files, r->nfiles, sizeof(*r->files),
				     enc_file, form));
	return enc_extra(o, r->extra);
}

static json_t *enc_tablet(const void *v, enum record_json_form form)
{
	const struct record_tablet *tab = v;
	const struct record_tablet_src *s = tab->src;
	json_t *o =
		json_pack("{s:I, s:o}", "id", (json_int_t)tab->id, "replicas",
			  enc_each(tab->replicas, tab->nreplicas,
				   sizeof(*tab->replicas), enc_replica, form));

	if (s)
		o = enc_set(o, "src",
			    json_pack("{s:s, s:I, s:I, s:s, s:I, s:I}", "table",
				      s->table, "table_id",
				      (json_int_t)s->table_id, "part_id",
				      (json_int_t)s->part_id, "index", s->index,
				      "index_id", (json_int_t)s->index_id,
				      "tablet", (json_int_t)s->tablet));
	if (form == RECORD_JSON_PLAN && tab->old)
		o = enc_set(o, "old", enc_replica(tab->old, form));
	return enc_extra(o, tab->extra);
}

static json_t *enc_index(const void *v, enum record_json_form form)
{
	const struct record_index *ix = v;

	/* schema_hash has always been written as a C int. */
	return enc_extra(
		json_pack("{s:I, s:s, s:i, s:o}", "id", (json_int_t)ix->id,
			  "name", ix->name, "schema_hash", (int)ix->schema_hash,
			  "tablets",
			  enc_each(ix->tablets, ix->ntablets,
				   sizeof(*ix->tablets), enc_tablet, form)),
		ix->extra);
}

static json_t *enc_partition(const void *v, enum record_json_form form)
{
	const struct record_partition *p = v;
	json_t *o = json_pack("{s:I, s:s, s:I, s:o}", "id", (json_int_t)p->id,
			      "name", p->name, "version",
			      (json_int_t)p->version, "indexes",
			      enc_each(p->indexes, p->nindexes,
				       sizeof(*p->indexes), enc_index, form));

	if (form == RECORD_JSON_PLAN && p->restored)
		o = enc_set(o, "restored", json_true());
	return enc_extra(o, p->extra);
}

static json_t *enc_table(const struct record_table *tbl,
			 enum record_json_form form)
{
	json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)tbl->id,
			      "name", tbl->name, "db", tbl->db);

	/* A backup's __meta describes the table, not its local state. */
	if (form != RECORD_JSON_META)
		o = enc_set(o, "state", json_string(state_names[tbl->state]));
	if (form != RECORD_JSON_META && tbl->job_id)
		o = enc_set(o, "job_id", json_integer(tbl->job_id));
	if (tbl->source_table)
		o = enc_set(o, "source_table", json_string(tbl->source_table));
	if (tbl->restored_by)
		o = enc_set(o, "restored_by", json_integer(tbl->restored_by));
	o = enc_set(o, "partitions",
		    enc_each(tbl->parts, tbl->nparts, sizeof(*tbl->parts),
			     enc_partition, form));
	return enc_extra(o, tbl->extra);
}

/* What JSON cannot say: a table without a name or with no valid state. */
static bool table_ok(const struct record_table *tbl)
{
	return tbl->name && tbl->db &&
	       (unsigned)tbl->state <
		       sizeof(state_names) / sizeof(*state_names);
}

int record_table_to_json(const struct record_table *tbl,
			 enum record_json_form form, json_t **out)
{
	json_t *j = table_ok(tbl) ? enc_table(tbl, form) : NULL;

	if (!j)
		return table_ok(tbl) ? -ENOMEM : -EINVAL;
	*out = j;
	return 0;
}

int record_table_from_json(const json_t *j, const char *what,
			   struct record_table *out)
{
	struct record_table tbl = {0};
	int rc = dec_table(j, what, &tbl);

	if (rc < 0) {
		record_table_release(&tbl);
		return rc;
	}
	*out = tbl;
	return 0;
}

/* Copies through JSON: one description of every member, used both ways. */
int record_replica_copy(struct record_replica *dst,
			const struct record_replica *src)
{
	struct record_replica r = {0};
	json_t *j = enc_replica(src, RECORD_JSON_PLAN);
	int rc = j ? dec_replica(j, "a replica copy", &r) : -ENOMEM;

	json_decref(j);
	if (rc < 0) {
		record_replica_release(&r);
		return rc;
	}
	*dst = r;
	return 0;
}

int record_partition_copy(struct record_partition *dst,
			  const struct record_partition *src)
{
	struct record_partition p = {0};
	json_t *j = enc_partition(src, RECORD_JSON_PLAN);
	int rc = j ? dec_partition(j, "a partition copy", &p) : -ENOMEM;

	json_decref(j);
	if (rc < 0) {
		record_partition_release(&p);
		return rc;
	}
	*dst = p;
	return 0;
}

/* ---- databases ------------------------------------------------------------
 */

int record_db_get(struct catalog_txn *t, const char *name,
		  struct record_db *out)
{
	static const char *const known[] = {"id", "name", NULL};
	struct record_db db = {0};
	char key[KEYBUF];
	struct dec d = {.what = key};
	json_t *j = NULL;
	int rc = db_key(name, key);

	if (rc == 0)
		rc = catalog_get(t, key, &j);
	if (rc == 0)
		rc = dec_obj(&d, j, "a database");
	if (rc == 0)
		rc = dec_int(&d, "id", true, &db.id);
	if (rc == 0)
		rc = dec_str(&d, "name", true, &db.name);
	if (rc == 0)
		rc = dec_extra(&d, known, &db.extra);
	json_decref(j);
	if (rc < 0) {
		record_db_release(&db);
		return rc;
	}
	*out = db;
	return 0;
}

int record_db_put(struct catalog_txn *t, const struct record_db *db)
{
	char key[KEYBUF];
	json_t *j;
	int rc = db->name ? db_key(db->name, key) : -EINVAL;

	if (rc < 0)
		return rc;
	j = enc_extra(json_pack("{s:I, s:s}", "id", (json_int_t)db->id, "name",
				db->name),
		      db->extra);
	rc = j ? catalog_put(t, key, j) : -ENOMEM;
	json_decref(j);
	return rc;
}

struct names {
	size_t skip; /* the prefix's length */
	int (*cb)(const char *name, void *arg);
	void *arg;
};

static int names_cb(const char *key, void *arg)
{
	struct names *n = arg;

	return n->cb(key + n->skip, n->arg);
}

int record_db_names(struct catalog_txn *t,
		    int (*cb)(const char *name, void *arg), void *arg)
{
	struct names n = {strlen(PFX_DB), cb, arg};

	return catalog_scan_keys(t, PFX_DB, names_cb, &n);
}

void record_db_release(struct record_db *db)
{
	if (!db)
		return;
	free(db->name);
	json_decref(db->extra);
	memset(db, 0, sizeof(*db));
}

/* ---- tables ----------------------------------------------------------------
 */

int record_table_get(struct catalog_txn *t, const char *db, const char *name,
		     struct record_table *out)
{
	char key[KEYBUF];
	json_t *j = NULL;
	int rc = table_key(db, name, key);

	if (rc == 0)
		rc = catalog_get(t, key, &j);
	if (rc == 0)
		rc = record_table_from_json(j, key, out);
	json_decref(j);
	return rc;
}

int record_table_read(struct catalog *c, const char *db, const char *name,
		      struct record_table *out)
{
	struct catalog_txn *t;
	int rc = catalog_begin(c, false, &t);

	if (rc < 0)
		return rc;
	rc = record_table_get(t, db, name, out);
	catalog_abort(t);
	return rc;
}

int record_table_put(struct catalog_txn *t, const struct record_table *tbl)
{
	char key[KEYBUF];
	json_t *j;
	int rc = table_ok(tbl) ? table_key(tbl->db, tbl->name, key) : -EINVAL;

	if (rc < 0)
		return rc;
	j = enc_table(tbl, RECORD_JSON_STORED);
	rc = j ? catalog_put(t, key, j) : -ENOMEM;
	json_decref(j);
	return rc;
}

int record_table_del(struct catalog_txn *t, const char *db, const char *name)
{
	char key[KEYBUF];
	int rc = table_key(db, name, key);

	return rc < 0 ? rc : catalog_del(t, key);
}

int record_table_names(struct catalog_txn *t, const char *db,
		       int (*cb)(const char *name, void *arg), void *arg)
{
	char prefix[KEYBUF];
	struct names n = {0, cb, arg};
	int rc = key_fmt(prefix, sizeof(prefix), PFX_TABLE "%s/", db);

	n.skip = strlen(prefix);
	return rc < 0 ? rc : catalog_scan_keys(t, prefix, names_cb, &n);
}

struct table_scan {
	int (*cb)(const struct record_table *tbl, void *arg);
	void *arg;
};

static int table_scan_cb(const char *key, json_t *val, void *arg)
{
	struct table_scan *ts = arg;
	struct record_table tbl;
	int rc = record_table_from_json(val, key, &tbl);

	if (rc < 0)
		return rc;
	rc = ts->cb(&tbl, ts->arg);
	record_table_release(&tbl);
	return rc;
}

int record_table_scan(struct catalog_txn *t, const char *db,
		      int (*cb)(const struct record_table *tbl, void *arg),
		      void *arg)
{
	char prefix[KEYBUF];
	struct table_scan ts = {cb, arg};
	int rc = db ? key_fmt(prefix, sizeof(prefix), PFX_TABLE "%s/", db)
		    : key_fmt(prefix, sizeof(prefix), PFX_TABLE);

	return rc < 0 ? rc : catalog_scan(t, prefix, table_scan_cb, &ts);
}

struct table_list {
	struct record_table *v;
	size_t n, cap;
};

/* Keeps the record: decodes it straight into the list. */
static int list_cb(const char *key, json_t *val, void *arg)
{
	struct table_list *l = arg;
	int rc;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct record_table *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	rc = record_table_from_json(val, key, &l->v[l->n]);
	if (rc == 0)
		l->n++;
	return rc;
}

int record_table_list(struct catalog_txn *t, const char *db,
		      struct record_table **out, size_t *n)
{
	char prefix[KEYBUF];
	struct table_list l = {0};
	int rc = key_fmt(prefix, sizeof(prefix), PFX_TABLE "%s/", db);

	if (rc == 0)
		rc = catalog_scan(t, prefix, list_cb, &l);
	if (rc < 0) {
		record_tables_free(l.v, l.n);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

/* ---- jobs ------------------------------------------------------------------
 */

int record_job_get(struct catalog_txn *t, int64_t id, json_t **out)
{
	char key[KEYBUF];
	int rc = job_key(id, key);

	return rc < 0 ? rc : catalog_get(t, key, out);
}

int record_job_put(struct catalog_txn *t, int64_t id, const json_t *rec)
{
	char key[KEYBUF];
	int rc = job_key(id, key);

	return rc < 0 ? rc : catalog_put(t, key, rec);
}

struct job_scan {
	int (*cb)(int64_t id, json_t *rec, void *arg);
	void *arg;
};

static int job_scan_cb(const char *key, json_t *val, void *arg)
{
	struct job_scan *js = arg;

	return js->cb(strtoll(key + strlen(PFX_JOB), NULL, 10), val, js->arg);
}

int record_job_scan(struct catalog_txn *t,
		    int (*cb)(int64_t id, json_t *rec, void *arg), void *arg)
{
	struct job_scan js = {cb, arg};

	return catalog_scan(t, PFX_JOB, job_scan_cb, &js);
}

/* ---- replicas in use (for cluster_gc) --------------------------------------
 */

struct refs {
	int (*cb)(const struct record_replica *r, int64_t tablet, void *arg);
	void *arg;
};

static int table_refs_cb(const struct record_table *tbl, void *arg)
{
	struct refs *rf = arg;
	const struct record_index *ix;
	size_t a, b, c, d;
	int rc = 0;

	for (a = 0; rc == 0 && a < tbl->nparts; a++)
		for (b = 0; rc == 0 && b < tbl->parts[a].nindexes; b++) {
			ix = &tbl->parts[a].indexes[b];
			for (c = 0; rc == 0 && c < ix->ntablets; c++)
				for (d = 0;
				     rc == 0 && d < ix->tablets[c].nreplicas;
				     d++)
					rc = rf->cb(&ix->tablets[c].replicas[d],
						    ix->tablets[c].id, rf->arg);
		}
	return rc;
}

/* Tablets anywhere inside a job's plan: objects with "id" and an array
 * "replicas" (the plan's layout is the jobs layer's; see record.h). */
static int plan_refs(struct refs *rf, const char *key, json_t *j)
{
	struct record_tablet tab = {0};
	const char *k;
	json_t *v;
	size_t i;
	int rc = 0;

	if (json_is_object(j) &&
	    json_is_array(json_object_get(j, "replicas"))) {
		rc = dec_tablet(j, key, &tab);
		for (i = 0; rc == 0 && i < tab.nreplicas; i++)
			rc = rf->cb(&tab.replicas[i], tab.id, rf->arg);
		record_tablet_release(&tab);
	}
	if (json_is_object(j)) {
		json_object_foreach (j, k, v)
			if (rc == 0)
				rc = plan_refs(rf, key, v);
	} else if (json_is_array(j)) {
		json_array_foreach (j, i, v)
			if (rc == 0)
				rc = plan_refs(rf, key, v);
	}
	return rc;
}

static int job_refs_cb(const char *key, json_t *val, void *arg)
{
	/* A finished or cancelled job's new replicas are either in a table
	 * record now or garbage. */
	if (json_is_true(json_object_get(val, "done")))
		return 0;
	return plan_refs(arg, key, json_object_get(val, "plan"));
}

int record_replica_refs(struct catalog_txn *t,
			int (*cb)(const struct record_replica *r,
				  int64_t tablet, void *arg),
			void *arg)
{
	struct refs rf = {cb, arg};
	int rc = record_table_scan(t, NULL, table_refs_cb, &rf);

	return rc < 0 ? rc : catalog_scan(t, PFX_JOB, job_refs_cb, &rf);
}
