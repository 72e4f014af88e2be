/* SPDX-License-Identifier: MIT */
/*
 * jobinfo.c - parse the __info_<ts>.<md5> job-info JSON (Doris Gson and
 * StarRocks org.json flavours) into plain C structs.
 *
 * The document is hostile input: every value that is used is type- and
 * range-checked, every name that becomes a path component is checked, and
 * errors name the key path so a person can find the bad spot. The checked
 * reads of single values, and those messages, are jpath.c's; this file
 * knows the document's shape.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base.h"
#include "jobinfo.h"
#include "jpath_int.h"

#include "base/banned.h"

/* Ids go through json_integer_value(), which must not narrow them. */
_Static_assert(sizeof(json_int_t) == sizeof(int64_t),
	       "json_int_t must be 64 bits");

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_tablet_id(const void *a, const void *b)
{
	const struct jobinfo_tablet *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_index_name(const void *a, const void *b)
{
	return strcmp(((const struct jobinfo_index *)a)->name,
		      ((const struct jobinfo_index *)b)->name);
}

static int cmp_partition_name(const void *a, const void *b)
{
	return strcmp(((const struct jobinfo_partition *)a)->name,
		      ((const struct jobinfo_partition *)b)->name);
}

static int cmp_table_name(const void *a, const void *b)
{
	return strcmp(((const struct jobinfo_table *)a)->name,
		      ((const struct jobinfo_table *)b)->name);
}

struct logical {
	const char *name;
	size_t len;
};

static int cmp_logical(const void *a, const void *b)
{
	const struct logical *x = a, *y = b;
	int c;

	c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void tablet_release(struct jobinfo_tablet *t)
{
	free_strv(t->files, t->nfiles);
}

static void index_release(struct jobinfo_index *ix)
{
	size_t i;

	free(ix->name);
	for (i = 0; i < ix->ntablets; i++)
		tablet_release(&ix->tablets[i]);
	free(ix->tablets);
}

static void partition_release(struct jobinfo_partition *p)
{
	size_t i;

	free(p->name);
	for (i = 0; i < p->nindexes; i++)
		index_release(&p->indexes[i]);
	free(p->indexes);
}

static void table_release(struct jobinfo_table *t)
{
	size_t i;

	free(t->name);
	for (i = 0; i < t->npartitions; i++)
		partition_release(&t->partitions[i]);
	free(t->partitions);
}

/*
 * Two files of one tablet with the same logical name would be one path in
 * the mount (names are shown without the md5), so they are refused.
 */
static int check_unique_logical(struct jpath *pc, const char *path,
				struct jobinfo_tablet *t)
{
	struct logical *lg;
	size_t i, len;
	int rc = 0;

	if (t->nfiles < 2)
		return 0;
	lg = calloc(t->nfiles, sizeof(*lg));
	if (!lg)
		return jpath_oom(pc, path);
	for (i = 0; i < t->nfiles; i++) {
		/* Validated by parse_files(), can't fail here. */
		md5_split_name(t->files[i], &len);
		lg[i].name = t->files[i];
		lg[i].len = len;
	}
	qsort(lg, t->nfiles, sizeof(*lg), cmp_logical);
	for (i = 1; i < t->nfiles; i++) {
		if (cmp_logical(&lg[i - 1], &lg[i]) == 0) {
			rc = jpath_err(pc, -EINVAL, path,
				       "file \"%.*s\" is listed twice",
				       (int)lg[i].len, lg[i].name);
			break;
		}
	}
	free(lg);
	return rc;
}

/* The file list of one tablet: "<name>.<md5>" strings, returned sorted. */
static int parse_files(struct jpath *pc, const char *path, const json_t *arr,
		       struct jobinfo_tablet *t)
{
	char ep[JPATH_LEN];
	json_t *v;
	size_t i, n, len, loglen;
	const char *s;

	if (!json_is_array(arr))
		return jpath_err(pc, -EINVAL, path,
				 "expected an array of file names");
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	t->files = calloc(n, sizeof(*t->files));
	if (!t->files)
		return jpath_oom(pc, path);
	json_array_foreach (arr, i, v) {
		jpath_elem(ep, path, i);
		if (!json_is_string(v))
			return jpath_err(pc, -EINVAL, ep, "expected a string");
		s = json_string_value(v);
		len = json_string_length(v);
		if (!name_ok_n(s, len))
			return jpath_err(pc, -EINVAL, ep,
					 "\"%s\" is not a safe name", s);
		if (md5_split_name(s, &loglen) < 0)
			return jpath_err(pc, -EINVAL, ep,
					 "\"%s\" has no md5 suffix", s);
		/* "..<md5>" would show up in the mount as "." */
		if (!name_ok_n(s, loglen))
			return jpath_err(pc, -EINVAL, ep,
					 "\"%s\" is not a safe name", s);
		t->files[i] = strndup(s, len);
		if (!t->files[i])
			return jpath_oom(pc, ep);
		t->nfiles++;
	}
	qsort(t->files, t->nfiles, sizeof(*t->files), cmp_str);
	return check_unique_logical(pc, path, t);
}

/*
 * Put the tablets (sorted by id on entry) into bucket order: the entries
 * of tablets_order first, then the tablets it does not list, by id.
 * Ownership of the tablets moves to the new array in *out.
 */
static int order_tablets(struct jpath *pc, const char *path,
			 const json_t *order, struct jobinfo_tablet *tab,
			 size_t n, struct jobinfo_tablet **out)
{
	struct jobinfo_tablet *res = NULL, key, *hit;
	char kp[JPATH_LEN], ep[JPATH_LEN];
	bool *used = NULL;
	size_t i, k = 0;
	json_t *v;
	int rc = 0;

	jpath_key(kp, path, "tablets_order");
	if (order && !json_is_array(order))
		return jpath_err(pc, -EINVAL, kp, "expected an array");
	res = calloc(n ? n : 1, sizeof(*res));
	used = calloc(n ? n : 1, sizeof(*used));
	if (!res || !used) {
		rc = jpath_oom(pc, kp);
		goto out;
	}
	json_array_foreach (order, i, v) {
		jpath_elem(ep, kp, i);
		memset(&key, 0, sizeof(key));
		if (json_is_integer(v)) {
			key.id = json_integer_value(v);
		} else if (json_is_string(v) &&
			   strlen(json_string_value(v)) ==
				   json_string_length(v) &&
			   jpath_id_str(json_string_value(v), &key.id) == 0) {
			/* StarRocks writes the ids as strings. */
		} else {
			rc = jpath_err(pc, -EINVAL, ep, "expected a tablet id");
			goto out;
		}
		hit = n ? bsearch(&key, tab, n, sizeof(*tab), cmp_tablet_id)
			: NULL;
		if (!hit) {
			rc = jpath_err(pc, -EINVAL, ep,
				       "tablet %" PRId64 " is not in tablets",
				       key.id);
			goto out;
		}
		if (used[hit - tab]) {
			rc = jpath_err(pc, -EINVAL, ep,
				       "tablet %" PRId64 " is listed twice",
				       key.id);
			goto out;
		}
		used[hit - tab] = true;
		res[k++] = *hit;
	}
	for (i = 0; i < n; i++) {
		if (!used[i])
			res[k++] = tab[i];
	}
out:
	free(used);
	if (rc < 0) {
		free(res);
		return rc;
	}
	*out = res;
	return 0;
}

static int parse_tablets(struct jpath *pc, const char *path, const json_t *jix,
			 int64_t part_id, struct jobinfo_index *ix)
{
	struct jobinfo_tablet *tab = NULL, *ordered = NULL;
	char kp[JPATH_LEN], tp[JPATH_LEN];
	json_t *tablets = NULL, *v;
	const char *key;
	size_t i, n = 0;
	int rc;

	rc = jpath_obj(pc, jix, path, "tablets", true, &tablets);
	if (rc < 0)
		return rc;
	jpath_key(kp, path, "tablets");
	n = json_object_size(tablets);
	tab = calloc(n ? n : 1, sizeof(*tab));
	if (!tab)
		return jpath_oom(pc, kp);
	i = 0;
	json_object_foreach (tablets, key, v) {
		struct jobinfo_tablet *t = &tab[i++];

		jpath_key(tp, kp, key);
		if (jpath_id_str(key, &t->id) < 0) {
			rc = jpath_err(pc, -EINVAL, tp, "not a tablet id");
			goto out;
		}
		t->part_id = part_id;
		rc = parse_files(pc, tp, v, t);
		if (rc < 0)
			goto out;
	}
	/* Canonical keys are unique, so the ids are too. */
	qsort(tab, n, sizeof(*tab), cmp_tablet_id);
	rc = order_tablets(pc, path, json_object_get(jix, "tablets_order"), tab,
			   n, &ordered);
	if (rc < 0)
		goto out;
	free(tab);
	tab = NULL;
	ix->tablets = ordered;
	ix->ntablets = n;
out:
	if (tab) {
		for (i = 0; i < n; i++)
			tablet_release(&tab[i]);
		free(tab);
	}
	return rc;
}

static int parse_index(struct jpath *pc, const char *path, const char *name,
		       const json_t *jix, int64_t part_id,
		       struct jobinfo_index *ix)
{
	int64_t hash = 0;
	int rc;

	if (!json_is_object(jix))
		return jpath_err(pc, -EINVAL, path, "expected an object");
	if (!name_ok(name))
		return jpath_err(pc, -EINVAL, path, "not a safe index name");
	ix->name = strdup(name);
	if (!ix->name)
		return jpath_oom(pc, path);
	rc = jpath_id(pc, jix, path, &ix->id);
	if (rc < 0)
		return rc;
	rc = jpath_int(pc, jix, path, "schema_hash", true, INT32_MIN, INT32_MAX,
		       &hash);
	if (rc < 0)
		return rc;
	ix->schema_hash = (int32_t)hash;
	return parse_tablets(pc, path, jix, part_id, ix);
}

/* Append @src's tablets to @dst, which then owns them. */
static int merge_index(struct jpath *pc, const char *path,
		       struct jobinfo_index *dst, struct jobinfo_index *src)
{
	struct jobinfo_tablet *t;

	/* Physical partitions share their table's materialized indexes. */
	if (dst->id != src->id || dst->schema_hash != src->schema_hash)
		return jpath_err(
			pc, -EINVAL, path,
			"id %" PRId64 ", schema_hash %" PRId32
			" differ from id %" PRId64 ", schema_hash %" PRId32
			" of the index of the same name",
			src->id, src->schema_hash, dst->id, dst->schema_hash);
	if (src->ntablets == 0)
		return 0;
	t = realloc(dst->tablets, (dst->ntablets + src->ntablets) * sizeof(*t));
	if (!t)
		return jpath_oom(pc, path);
	memcpy(t + dst->ntablets, src->tablets, src->ntablets * sizeof(*t));
	dst->tablets = t;
	dst->ntablets += src->ntablets;
	free(src->tablets);
	src->tablets = NULL;
	src->ntablets = 0;
	return 0;
}

/*
 * Merge @ix into @p's index of the same name, or append it as a new one.
 * On success @p owns what @ix held and @ix is emptied; on failure @ix
 * still owns it. @cap is the allocated length of p->indexes.
 */
static int add_index(struct jpath *pc, const char *path,
		     struct jobinfo_partition *p, size_t *cap,
		     struct jobinfo_index *ix)
{
	struct jobinfo_index *grown;
	size_t j, nc;
	int rc;

	for (j = 0; j < p->nindexes; j++) {
		if (strcmp(p->indexes[j].name, ix->name) != 0)
			continue;
		rc = merge_index(pc, path, &p->indexes[j], ix);
		if (rc < 0)
			return rc;
		index_release(ix);
		memset(ix, 0, sizeof(*ix));
		return 0;
	}
	if (p->nindexes == *cap) {
		nc = *cap ? 2 * *cap : 4;
		grown = realloc(p->indexes, nc * sizeof(*grown));
		if (!grown)
			return jpath_oom(pc, path);
		p->indexes = grown;
		*cap = nc;
	}
	p->indexes[p->nindexes++] = *ix;
	memset(ix, 0, sizeof(*ix));
	return 0;
}

struct subpart {
	int64_t id;
	const char *key;
	json_t *obj;
};

static int cmp_subpart(const void *a, const void *b)
{
	return cmp_i64(&((const struct subpart *)a)->id,
		       &((const struct subpart *)b)->id);
}

/*
 * StarRocks physical partitions: each one's indexes are merged into the
 * partition's index of the same name, its tablets keeping the physical
 * partition id for their object paths. Sub-partitions are taken in id
 * order so the result does not depend on JSON key order.
 */
static int parse_subpartitions(struct jpath *pc, const char *path, json_t *subs,
			       struct jobinfo_partition *p, size_t *cap)
{
	char kp[JPATH_LEN], sp[JPATH_LEN], xp[JPATH_LEN];
	char ip[JPATH_LEN];
	struct jobinfo_index tmp;
	struct subpart *sv = NULL;
	json_t *indexes, *v;
	int64_t id, version;
	const char *key;
	size_t i, n;
	int rc = 0;

	memset(&tmp, 0, sizeof(tmp));
	jpath_key(kp, path, "subPartitions");
	n = json_object_size(subs);
	if (n == 0)
		return 0;
	sv = calloc(n, sizeof(*sv));
	if (!sv)
		return jpath_oom(pc, kp);
	i = 0;
	json_object_foreach (subs, key, v) {
		jpath_key(sp, kp, key);
		if (!json_is_object(v)) {
			rc = jpath_err(pc, -EINVAL, sp, "expected an object");
			goto out;
		}
		if (jpath_id_str(key, &sv[i].id) < 0) {
			rc = jpath_err(pc, -EINVAL, sp, "not a partition id");
			goto out;
		}
		rc = jpath_id(pc, v, sp, &id);
		if (rc < 0)
			goto out;
		if (id != sv[i].id) {
			rc = jpath_err(pc, -EINVAL, sp,
				       "id %" PRId64 " differs from the key",
				       id);
			goto out;
		}
		/* Checked, not kept: a partition has one version here. */
		rc = jpath_int(pc, v, sp, "version", false, 0, INT64_MAX,
			       &version);
		if (rc < 0)
			goto out;
		sv[i].key = key;
		sv[i].obj = v;
		i++;
	}
	qsort(sv, n, sizeof(*sv), cmp_subpart);

	for (i = 0; i < n; i++) {
		jpath_key(sp, kp, sv[i].key);
		rc = jpath_obj(pc, sv[i].obj, sp, "indexes", true, &indexes);
		if (rc < 0)
			goto out;
		jpath_key(xp, sp, "indexes");
		json_object_foreach (indexes, key, v) {
			jpath_key(ip, xp, key);
			rc = parse_index(pc, ip, key, v, sv[i].id, &tmp);
			if (rc < 0)
				goto out;
			rc = add_index(pc, ip, p, cap, &tmp);
			if (rc < 0)
				goto out;
		}
	}
out:
	index_release(&tmp);
	free(sv);
	return rc;
}

/*
 * One tablet id twice in an index (possible only by merging physical
 * partitions) would be one directory for two tablets.
 */
static int check_unique_tablets(struct jpath *pc, const char *path,
				const struct jobinfo_index *ix)
{
	int64_t *ids;
	size_t i;
	int rc = 0;

	if (ix->ntablets < 2)
		return 0;
	ids = malloc(ix->ntablets * sizeof(*ids));
	if (!ids)
		return jpath_oom(pc, path);
	for (i = 0; i < ix->ntablets; i++)
		ids[i] = ix->tablets[i].id;
	qsort(ids, ix->ntablets, sizeof(*ids), cmp_i64);
	for (i = 1; i < ix->ntablets; i++) {
		if (ids[i] == ids[i - 1]) {
			rc = jpath_err(pc, -EINVAL, path,
				       "index %s: tablet %" PRId64
				       " appears more than once",
				       ix->name, ids[i]);
			break;
		}
	}
	free(ids);
	return rc;
}

static int parse_partition(struct jpath *pc, const char *path, const char *name,
			   const json_t *jp, struct jobinfo_partition *p)
{
	char kp[JPATH_LEN], ip[JPATH_LEN];
	json_t *indexes = NULL, *subs = NULL, *v;
	const char *key;
	size_t cap = 0, i;
	int rc;

	if (!json_is_object(jp))
		return jpath_err(pc, -EINVAL, path, "expected an object");
	if (!name_ok(name))
		return jpath_err(pc, -EINVAL, path,
				 "not a safe partition name");
	p->name = strdup(name);
	if (!p->name)
		return jpath_oom(pc, path);
	rc = jpath_id(pc, jp, path, &p->id);
	if (rc < 0)
		return rc;
	p->version = 0;
	rc = jpath_int(pc, jp, path, "version", false, 0, INT64_MAX,
		       &p->version);
	if (rc < 0)
		return rc;
	rc = jpath_obj(pc, jp, path, "subPartitions", false, &subs);
	if (rc < 0)
		return rc;
	/* StarRocks may keep every index under subPartitions instead. */
	rc = jpath_obj(pc, jp, path, "indexes", !subs, &indexes);
	if (rc < 0)
		return rc;

	if (indexes && json_object_size(indexes) > 0) {
		jpath_key(kp, path, "indexes");
		cap = json_object_size(indexes);
		p->indexes = calloc(cap, sizeof(*p->indexes));
		if (!p->indexes)
			return jpath_oom(pc, kp);
		json_object_foreach (indexes, key, v) {
			jpath_key(ip, kp, key);
			/* Counted first so a partial entry is still freed. */
			rc = parse_index(pc, ip, key, v, p->id,
					 &p->indexes[p->nindexes++]);
			if (rc < 0)
				return rc;
		}
	}
	if (subs) {
		rc = parse_subpartitions(pc, path, subs, p, &cap);
		if (rc < 0)
			return rc;
	}
	if (p->nindexes > 0)
		qsort(p->indexes, p->nindexes, sizeof(*p->indexes),
		      cmp_index_name);
	for (i = 0; i < p->nindexes; i++) {
		rc = check_unique_tablets(pc, path, &p->indexes[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_table(struct jpath *pc, const char *path, const char *name,
		       const json_t *jt, struct jobinfo_table *t)
{
	char kp[JPATH_LEN], pp[JPATH_LEN];
	json_t *parts = NULL, *v;
	const char *key;
	size_t n;
	int rc;

	if (!json_is_object(jt))
		return jpath_err(pc, -EINVAL, path, "expected an object");
	if (!name_ok(name))
		return jpath_err(pc, -EINVAL, path, "not a safe table name");
	t->name = strdup(name);
	if (!t->name)
		return jpath_oom(pc, path);
	rc = jpath_id(pc, jt, path, &t->id);
	if (rc < 0)
		return rc;
	rc = jpath_obj(pc, jt, path, "partitions", true, &parts);
	if (rc < 0)
		return rc;
	n = json_object_size(parts);
	if (n == 0)
		return 0; /* a StarRocks view */
	jpath_key(kp, path, "partitions");
	t->partitions = calloc(n, sizeof(*t->partitions));
	if (!t->partitions)
		return jpath_oom(pc, kp);
	json_object_foreach (parts, key, v) {
		jpath_key(pp, kp, key);
		rc = parse_partition(pc, pp, key, v,
				     &t->partitions[t->npartitions++]);
		if (rc < 0)
			return rc;
	}
	qsort(t->partitions, t->npartitions, sizeof(*t->partitions),
	      cmp_partition_name);
	return 0;
}

static int parse_views(struct jpath *pc, const json_t *root, struct jobinfo *ji)
{
	const char *path = "new_backup_objects";
	char kp[JPATH_LEN], vp[JPATH_LEN];
	json_t *nbo = NULL, *views, *v;
	size_t i, n;
	int rc;

	rc = jpath_obj(pc, root, "", path, false, &nbo);
	if (rc < 0 || !nbo)
		return rc;
	views = json_object_get(nbo, "views");
	if (!views)
		return 0;
	jpath_key(kp, path, "views");
	if (!json_is_array(views))
		return jpath_err(pc, -EINVAL, kp, "expected an array");
	n = json_array_size(views);
	if (n == 0)
		return 0;
	ji->views = calloc(n, sizeof(*ji->views));
	if (!ji->views)
		return jpath_oom(pc, kp);
	json_array_foreach (views, i, v) {
		jpath_elem(vp, kp, i);
		if (!json_is_object(v))
			return jpath_err(pc, -EINVAL, vp, "expected an object");
		rc = jpath_str(pc, v, vp, "name", true, true,
			       &ji->views[ji->nviews]);
		if (rc < 0)
			return rc;
		ji->nviews++;
	}
	return 0;
}

static int parse_root(struct jpath *pc, const json_t *root, struct jobinfo *ji)
{
	char tp[JPATH_LEN];
	json_t *objs = NULL, *v;
	const char *key;
	size_t n;
	int rc;

	if (!json_is_object(root))
		return jpath_err(pc, -EINVAL, "(document)",
				 "expected a JSON object");
	rc = jpath_str(pc, root, "", "name", true, true, &ji->name);
	if (rc < 0)
		return rc;
	rc = jpath_str(pc, root, "", "database", true, true, &ji->database);
	if (rc < 0)
		return rc;
	rc = jpath_id(pc, root, "", &ji->db_id);
	if (rc < 0)
		return rc;
	rc = jpath_int(pc, root, "", "backup_time", true, 0, INT64_MAX,
		       &ji->backup_time_ms);
	if (rc < 0)
		return rc;
	rc = jpath_str_default(pc, root, "", "content", "ALL", &ji->content);
	if (rc < 0)
		return rc;
	rc = jpath_str_default(pc, root, "", "backup_result", "succeed",
			       &ji->backup_result);
	if (rc < 0)
		return rc;
	ji->meta_version = -1;
	rc = jpath_int(pc, root, "", "meta_version", false, 0, INT64_MAX,
		       &ji->meta_version);
	if (rc < 0)
		return rc;
	ji->sr_meta_version = -1;
	rc = jpath_int(pc, root, "", "starrocks_meta_version", false, 0,
		       INT64_MAX, &ji->sr_meta_version);
	if (rc < 0)
		return rc;
	rc = parse_views(pc, root, ji);
	if (rc < 0)
		return rc;

	rc = jpath_obj(pc, root, "", "backup_objects", true, &objs);
	if (rc < 0)
		return rc;
	n = json_object_size(objs);
	if (n == 0)
		return 0;
	ji->tables = calloc(n, sizeof(*ji->tables));
	if (!ji->tables)
		return jpath_oom(pc, "backup_objects");
	json_object_foreach (objs, key, v) {
		jpath_key(tp, "backup_objects", key);
		rc = parse_table(pc, tp, key, v, &ji->tables[ji->ntables++]);
		if (rc < 0)
			return rc;
	}
	qsort(ji->tables, ji->ntables, sizeof(*ji->tables), cmp_table_name);
	return 0;
}

int jobinfo_parse(const char *buf, size_t len, char *err, size_t errlen,
		  struct jobinfo **out)
{
	struct jpath pc = {.err = err, .errlen = errlen};
	struct jobinfo *ji = NULL;
	json_error_t jerr;
	json_t *root;
	int rc;

	/*
	 * JSON_ALLOW_NUL lets a \u0000 in a value we never use pass; values
	 * we do use are checked for NUL bytes one by one.
	 */
	/*
	 * jansson fails its lexer set-up on ENOMEM without filling in the
	 * error, so start from a zeroed one: an empty message is ENOMEM too.
	 */
	memset(&jerr, 0, sizeof(jerr));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			  &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_out_of_memory ||
		    jerr.text[0] == '\0')
			return jpath_oom(&pc, "(document)");
		return jpath_err(&pc, -EINVAL, "(document)",
				 "invalid JSON at line %d, column %d: %s",
				 jerr.line, jerr.column, jerr.text);
	}
	ji = calloc(1, sizeof(*ji));
	if (!ji) {
		rc = jpath_oom(&pc, "(document)");
		goto out;
	}
	rc = parse_root(&pc, root, ji);
out:
	json_decref(root);
	if (rc < 0) {
		jobinfo_free(ji);
		return rc;
	}
	*out = ji;
	return 0;
}

void jobinfo_free(struct jobinfo *ji)
{
	size_t i;

	if (!ji)
		return;
	free(ji->name);
	free(ji->database);
	free(ji->content);
	free(ji->backup_result);
	for (i = 0; i < ji->ntables; i++)
		table_release(&ji->tables[i]);
	free(ji->tables);
	free_strv(ji->views, ji->nviews);
	free(ji);
}

size_t jobinfo_tablet_count(const struct jobinfo *ji)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < ji->ntables; i++) {
		const struct jobinfo_table *t = &ji->tables[i];

		for (j = 0; j < t->npartitions; j++) {
			const struct jobinfo_partition *p = &t->partitions[j];

			for (k = 0; k < p->nindexes; k++)
				n += p->indexes[k].ntablets;
		}
	}
	return n;
}
