/* SPDX-License-Identifier: MIT */
/*
 * jobinfo.c - parse the __info_<ts>.<md5> job-info JSON (Doris Gson and
 * StarRocks org.json flavours) into plain C structs.
 *
 * The document is hostile input: every value that is used is type- and
 * range-checked, every name that becomes a path component is checked, and
 * errors name the key path so a person can find the bad spot.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base.h"
#include "jobinfo.h"

#include "base/banned.h"

/* Ids go through json_integer_value(), which must not narrow them. */
_Static_assert(sizeof(json_int_t) == sizeof(int64_t),
	       "json_int_t must be 64 bits");

/* Enough for any sane key path; longer ones are truncated in messages. */
#define KEY_PATH_LEN 512

struct pctx {
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 4, 5))) static int
perr(struct pctx *pc, int rc, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!pc->err || pc->errlen == 0)
		return rc;
	n = snprintf(pc->err, pc->errlen, "%s: ", path);
	if (n >= 0 && (size_t)n < pc->errlen) {
		va_start(ap, fmt);
		vsnprintf(pc->err + n, pc->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int oom(struct pctx *pc, const char *path)
{
	return perr(pc, -ENOMEM, path, "out of memory");
}

static void key_path(char *dst, const char *parent, const char *key)
{
	if (parent[0])
		snprintf(dst, KEY_PATH_LEN, "%s.%s", parent, key);
	else
		snprintf(dst, KEY_PATH_LEN, "%s", key);
}

static void elem_path(char *dst, const char *parent, size_t i)
{
	snprintf(dst, KEY_PATH_LEN, "%s[%zu]", parent, i);
}

/*
 * Ids used as map keys are written by Java's Long.toString, so only the
 * canonical decimal form of a non-negative int64 is accepted: no sign, no
 * blanks, no leading zeros. Anything else could alias another key.
 */
static int parse_id_str(const char *s, int64_t *out)
{
	char canon[32];
	long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	snprintf(canon, sizeof(canon), "%lld", v);
	if (strcmp(canon, s) != 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Read integer @key of @obj into *out, checking [min, max]. An absent
 * optional key leaves *out alone so the caller's default stands.
 */
static int get_int(struct pctx *pc, const json_t *obj, const char *path,
		   const char *key, bool required, int64_t min, int64_t max,
		   int64_t *out)
{
	char kp[KEY_PATH_LEN];
	json_t *v;
	int64_t n;

	key_path(kp, path, key);
	v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return perr(pc, -EINVAL, kp, "missing");
		return 0;
	}
	if (!json_is_integer(v))
		return perr(pc, -EINVAL, kp, "expected an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return perr(pc, -EINVAL, kp, "%" PRId64 " is out of range", n);
	*out = n;
	return 0;
}

static int get_id(struct pctx *pc, const json_t *obj, const char *path,
		  int64_t *out)
{
	return get_int(pc, obj, path, "id", true, 0, INT64_MAX, out);
}

/*
 * Copy string @key of @obj into *out (malloc'd). Strings with a NUL byte
 * are refused: C code downstream would silently cut them. With @is_name
 * the value must also pass the path-component check. An absent optional
 * key leaves *out alone.
 */
static int get_str(struct pctx *pc, const json_t *obj, const char *path,
		   const char *key, bool required, bool is_name, char **out)
{
	char kp[KEY_PATH_LEN];
	const char *s;
	json_t *v;
	size_t len;
	char *copy;

	key_path(kp, path, key);
	v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return perr(pc, -EINVAL, kp, "missing");
		return 0;
	}
	if (!json_is_string(v))
		return perr(pc, -EINVAL, kp, "expected a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (memchr(s, '\0', len))
		return perr(pc, -EINVAL, kp, "contains a NUL byte");
	if (is_name && !name_ok_n(s, len))
		return perr(pc, -EINVAL, kp, "\"%s\" is not a safe name", s);
	copy = strndup(s, len);
	if (!copy)
		return oom(pc, kp);
	*out = copy;
	return 0;
}

/* Like get_str() with a default when the key is absent. */
static int get_str_default(struct pctx *pc, const json_t *obj, const char *path,
			   const char *key, const char *def, char **out)
{
	char *s = NULL;
	int rc;

	rc = get_str(pc, obj, path, key, false, false, &s);
	if (rc < 0)
		return rc;
	if (!s) {
		s = strdup(def);
		if (!s)
			return oom(pc, key);
	}
	*out = s;
	return 0;
}

/* An object-valued key; NULL in *out (and 0) if optional and absent. */
static int get_obj(struct pctx *pc, const json_t *obj, const char *path,
		   const char *key, bool required, json_t **out)
{
	char kp[KEY_PATH_LEN];
	json_t *v;

	key_path(kp, path, key);
	v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return perr(pc, -EINVAL, kp, "missing");
		*out = NULL;
		return 0;
	}
	if (!json_is_object(v))
		return perr(pc, -EINVAL, kp, "expected an object");
	*out = v;
	return 0;
}

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
static int check_unique_logical(struct pctx *pc, const char *path,
				struct jobinfo_tablet *t)
{
	struct logical *lg;
	size_t i, len;
	int rc = 0;

	if (t->nfiles < 2)
		return 0;
	lg = calloc(t->nfiles, sizeof(*lg));
	if (!lg)
		return oom(pc, path);
	for (i = 0; i < t->nfiles; i++) {
		/* Validated by parse_files(), can't fail here. */
		md5_split_name(t->files[i], &len);
		lg[i].name = t->files[i];
		lg[i].len = len;
	}
	qsort(lg, t->nfiles, sizeof(*lg), cmp_logical);
	for (i = 1; i < t->nfiles; i++) {
		if (cmp_logical(&lg[i - 1], &lg[i]) == 0) {
			rc = perr(pc, -EINVAL, path,
				  "file \"%.*s\" is listed twice",
				  (int)lg[i].len, lg[i].name);
			break;
		}
	}
	free(lg);
	return rc;
}

/* The file list of one tablet: "<name>.<md5>" strings, returned sorted. */
static int parse_files(struct pctx *pc, const char *path, const json_t *arr,
		       struct jobinfo_tablet *t)
{
	char ep[KEY_PATH_LEN];
	json_t *v;
	size_t i, n, len, loglen;
	const char *s;

	if (!json_is_array(arr))
		return perr(pc, -EINVAL, path,
			    "expected an array of file names");
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	t->files = calloc(n, sizeof(*t->files));
	if (!t->files)
		return oom(pc, path);
	json_array_foreach (arr, i, v) {
		elem_path(ep, path, i);
		if (!json_is_string(v))
			return perr(pc, -EINVAL, ep, "expected a string");
		s = json_string_value(v);
		len = json_string_length(v);
		if (!name_ok_n(s, len))
			return perr(pc, -EINVAL, ep,
				    "\"%s\" is not a safe name", s);
		if (md5_split_name(s, &loglen) < 0)
			return perr(pc, -EINVAL, ep, "\"%s\" has no md5 suffix",
				    s);
		/* "..<md5>" would show up in the mount as "." */
		if (!name_ok_n(s, loglen))
			return perr(pc, -EINVAL, ep,
				    "\"%s\" is not a safe name", s);
		t->files[i] = strndup(s, len);
		if (!t->files[i])
			return oom(pc, ep);
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
static int order_tablets(struct pctx *pc, const char *path, const json_t *order,
			 struct jobinfo_tablet *tab, size_t n,
			 struct jobinfo_tablet **out)
{
	struct jobinfo_tablet *res = NULL, key, *hit;
	char kp[KEY_PATH_LEN], ep[KEY_PATH_LEN];
	bool *used = NULL;
	size_t i, k = 0;
	json_t *v;
	int rc = 0;

	key_path(kp, path, "tablets_order");
	if (order && !json_is_array(order))
		return perr(pc, -EINVAL, kp, "expected an array");
	res = calloc(n ? n : 1, sizeof(*res));
	used = calloc(n ? n : 1, sizeof(*used));
	if (!res || !used) {
		rc = oom(pc, kp);
		goto out;
	}
	json_array_foreach (order, i, v) {
		elem_path(ep, kp, i);
		memset(&key, 0, sizeof(key));
		if (json_is_integer(v)) {
			key.id = json_integer_value(v);
		} else if (json_is_string(v) &&
			   strlen(json_string_value(v)) ==
				   json_string_length(v) &&
			   parse_id_str(json_string_value(v), &key.id) == 0) {
			/* StarRocks writes the ids as strings. */
		} else {
			rc = perr(pc, -EINVAL, ep, "expected a tablet id");
			goto out;
		}
		hit = n ? bsearch(&key, tab, n, sizeof(*tab), cmp_tablet_id)
			: NULL;
		if (!hit) {
			rc = perr(pc, -EINVAL, ep,
				  "tablet %" PRId64 " is not in tablets",
				  key.id);
			goto out;
		}
		if (used[hit - tab]) {
			rc = perr(pc, -EINVAL, ep,
				  "tablet %" PRId64 " is listed twice", key.id);
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

static int parse_tablets(struct pctx *pc, const char *path, const json_t *jix,
			 int64_t part_id, struct jobinfo_index *ix)
{
	struct jobinfo_tablet *tab = NULL, *ordered = NULL;
	char kp[KEY_PATH_LEN], tp[KEY_PATH_LEN];
	json_t *tablets = NULL, *v;
	const char *key;
	size_t i, n = 0;
	int rc;

	rc = get_obj(pc, jix, path, "tablets", true, &tablets);
	if (rc < 0)
		return rc;
	key_path(kp, path, "tablets");
	n = json_object_size(tablets);
	tab = calloc(n ? n : 1, sizeof(*tab));
	if (!tab)
		return oom(pc, kp);
	i = 0;
	json_object_foreach (tablets, key, v) {
		struct jobinfo_tablet *t = &tab[i++];

		key_path(tp, kp, key);
		if (parse_id_str(key, &t->id) < 0) {
			rc = perr(pc, -EINVAL, tp, "not a tablet id");
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

static int parse_index(struct pctx *pc, const char *path, const char *name,
		       const json_t *jix, int64_t part_id,
		       struct jobinfo_index *ix)
{
	int64_t hash = 0;
	int rc;

	if (!json_is_object(jix))
		return perr(pc, -EINVAL, path, "expected an object");
	if (!name_ok(name))
		return perr(pc, -EINVAL, path, "not a safe index name");
	ix->name = strdup(name);
	if (!ix->name)
		return oom(pc, path);
	rc = get_id(pc, jix, path, &ix->id);
	if (rc < 0)
		return rc;
	rc = get_int(pc, jix, path, "schema_hash", true, INT32_MIN, INT32_MAX,
		     &hash);
	if (rc < 0)
		return rc;
	ix->schema_hash = (int32_t)hash;
	return parse_tablets(pc, path, jix, part_id, ix);
}

/* Append @src's tablets to @dst, which then owns them. */
static int merge_index(struct pctx *pc, const char *path,
		       struct jobinfo_index *dst, struct jobinfo_index *src)
{
	struct jobinfo_tablet *t;

	/* Physical partitions share their table's materialized indexes. */
	if (dst->id != src->id || dst->schema_hash != src->schema_hash)
		return perr(pc, -EINVAL, path,
			    "id %" PRId64 ", schema_hash %" PRId32
			    " differ from id %" PRId64 ", schema_hash %" PRId32
			    " of the index of the same name",
			    src->id, src->schema_hash, dst->id,
			    dst->schema_hash);
	if (src->ntablets == 0)
		return 0;
	t = realloc(dst->tablets, (dst->ntablets + src->ntablets) * sizeof(*t));
	if (!t)
		return oom(pc, path);
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
static int add_index(struct pctx *pc, const char *path,
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
			return oom(pc, path);
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
static int parse_subpartitions(struct pctx *pc, const char *path, json_t *subs,
			       struct jobinfo_partition *p, size_t *cap)
{
	char kp[KEY_PATH_LEN], sp[KEY_PATH_LEN], xp[KEY_PATH_LEN];
	char ip[KEY_PATH_LEN];
	struct jobinfo_index tmp;
	struct subpart *sv = NULL;
	json_t *indexes, *v;
	int64_t id, version;
	const char *key;
	size_t i, n;
	int rc = 0;

	memset(&tmp, 0, sizeof(tmp));
	key_path(kp, path, "subPartitions");
	n = json_object_size(subs);
	if (n == 0)
		return 0;
	sv = calloc(n, sizeof(*sv));
	if (!sv)
		return oom(pc, kp);
	i = 0;
	json_object_foreach (subs, key, v) {
		key_path(sp, kp, key);
		if (!json_is_object(v)) {
			rc = perr(pc, -EINVAL, sp, "expected an object");
			goto out;
		}
		if (parse_id_str(key, &sv[i].id) < 0) {
			rc = perr(pc, -EINVAL, sp, "not a partition id");
			goto out;
		}
		rc = get_id(pc, v, sp, &id);
		if (rc < 0)
			goto out;
		if (id != sv[i].id) {
			rc = perr(pc, -EINVAL, sp,
				  "id %" PRId64 " differs from the key", id);
			goto out;
		}
		/* Checked, not kept: a partition has one version here. */
		rc = get_int(pc, v, sp, "version", false, 0, INT64_MAX,
			     &version);
		if (rc < 0)
			goto out;
		sv[i].key = key;
		sv[i].obj = v;
		i++;
	}
	qsort(sv, n, sizeof(*sv), cmp_subpart);

	for (i = 0; i < n; i++) {
		key_path(sp, kp, sv[i].key);
		rc = get_obj(pc, sv[i].obj, sp, "indexes", true, &indexes);
		if (rc < 0)
			goto out;
		key_path(xp, sp, "indexes");
		json_object_foreach (indexes, key, v) {
			key_path(ip, xp, key);
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
static int check_unique_tablets(struct pctx *pc, const char *path,
				const struct jobinfo_index *ix)
{
	int64_t *ids;
	size_t i;
	int rc = 0;

	if (ix->ntablets < 2)
		return 0;
	ids = malloc(ix->ntablets * sizeof(*ids));
	if (!ids)
		return oom(pc, path);
	for (i = 0; i < ix->ntablets; i++)
		ids[i] = ix->tablets[i].id;
	qsort(ids, ix->ntablets, sizeof(*ids), cmp_i64);
	for (i = 1; i < ix->ntablets; i++) {
		if (ids[i] == ids[i - 1]) {
			rc = perr(pc, -EINVAL, path,
				  "index %s: tablet %" PRId64
				  " appears more than once",
				  ix->name, ids[i]);
			break;
		}
	}
	free(ids);
	return rc;
}

static int parse_partition(struct pctx *pc, const char *path, const char *name,
			   const json_t *jp, struct jobinfo_partition *p)
{
	char kp[KEY_PATH_LEN], ip[KEY_PATH_LEN];
	json_t *indexes = NULL, *subs = NULL, *v;
	const char *key;
	size_t cap = 0, i;
	int rc;

	if (!json_is_object(jp))
		return perr(pc, -EINVAL, path, "expected an object");
	if (!name_ok(name))
		return perr(pc, -EINVAL, path, "not a safe partition name");
	p->name = strdup(name);
	if (!p->name)
		return oom(pc, path);
	rc = get_id(pc, jp, path, &p->id);
	if (rc < 0)
		return rc;
	p->version = 0;
	rc = get_int(pc, jp, path, "version", false, 0, INT64_MAX, &p->version);
	if (rc < 0)
		return rc;
	rc = get_obj(pc, jp, path, "subPartitions", false, &subs);
	if (rc < 0)
		return rc;
	/* StarRocks may keep every index under subPartitions instead. */
	rc = get_obj(pc, jp, path, "indexes", !subs, &indexes);
	if (rc < 0)
		return rc;

	if (indexes && json_object_size(indexes) > 0) {
		key_path(kp, path, "indexes");
		cap = json_object_size(indexes);
		p->indexes = calloc(cap, sizeof(*p->indexes));
		if (!p->indexes)
			return oom(pc, kp);
		json_object_foreach (indexes, key, v) {
			key_path(ip, kp, key);
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

static int parse_table(struct pctx *pc, const char *path, const char *name,
		       const json_t *jt, struct jobinfo_table *t)
{
	char kp[KEY_PATH_LEN], pp[KEY_PATH_LEN];
	json_t *parts = NULL, *v;
	const char *key;
	size_t n;
	int rc;

	if (!json_is_object(jt))
		return perr(pc, -EINVAL, path, "expected an object");
	if (!name_ok(name))
		return perr(pc, -EINVAL, path, "not a safe table name");
	t->name = strdup(name);
	if (!t->name)
		return oom(pc, path);
	rc = get_id(pc, jt, path, &t->id);
	if (rc < 0)
		return rc;
	rc = get_obj(pc, jt, path, "partitions", true, &parts);
	if (rc < 0)
		return rc;
	n = json_object_size(parts);
	if (n == 0)
		return 0; /* a StarRocks view */
	key_path(kp, path, "partitions");
	t->partitions = calloc(n, sizeof(*t->partitions));
	if (!t->partitions)
		return oom(pc, kp);
	json_object_foreach (parts, key, v) {
		key_path(pp, kp, key);
		rc = parse_partition(pc, pp, key, v,
				     &t->partitions[t->npartitions++]);
		if (rc < 0)
			return rc;
	}
	qsort(t->partitions, t->npartitions, sizeof(*t->partitions),
	      cmp_partition_name);
	return 0;
}

static int parse_views(struct pctx *pc, const json_t *root, struct jobinfo *ji)
{
	const char *path = "new_backup_objects";
	char kp[KEY_PATH_LEN], vp[KEY_PATH_LEN];
	json_t *nbo = NULL, *views, *v;
	size_t i, n;
	int rc;

	rc = get_obj(pc, root, "", path, false, &nbo);
	if (rc < 0 || !nbo)
		return rc;
	views = json_object_get(nbo, "views");
	if (!views)
		return 0;
	key_path(kp, path, "views");
	if (!json_is_array(views))
		return perr(pc, -EINVAL, kp, "expected an array");
	n = json_array_size(views);
	if (n == 0)
		return 0;
	ji->views = calloc(n, sizeof(*ji->views));
	if (!ji->views)
		return oom(pc, kp);
	json_array_foreach (views, i, v) {
		elem_path(vp, kp, i);
		if (!json_is_object(v))
			return perr(pc, -EINVAL, vp, "expected an object");
		rc = get_str(pc, v, vp, "name", true, true,
			     &ji->views[ji->nviews]);
		if (rc < 0)
			return rc;
		ji->nviews++;
	}
	return 0;
}

static int parse_root(struct pctx *pc, const json_t *root, struct jobinfo *ji)
{
	char tp[KEY_PATH_LEN];
	json_t *objs = NULL, *v;
	const char *key;
	size_t n;
	int rc;

	if (!json_is_object(root))
		return perr(pc, -EINVAL, "(document)",
			    "expected a JSON object");
	rc = get_str(pc, root, "", "name", true, true, &ji->name);
	if (rc < 0)
		return rc;
	rc = get_str(pc, root, "", "database", true, true, &ji->database);
	if (rc < 0)
		return rc;
	rc = get_id(pc, root, "", &ji->db_id);
	if (rc < 0)
		return rc;
	rc = get_int(pc, root, "", "backup_time", true, 0, INT64_MAX,
		     &ji->backup_time_ms);
	if (rc < 0)
		return rc;
	rc = get_str_default(pc, root, "", "content", "ALL", &ji->content);
	if (rc < 0)
		return rc;
	rc = get_str_default(pc, root, "", "backup_result", "succeed",
			     &ji->backup_result);
	if (rc < 0)
		return rc;
	ji->meta_version = -1;
	rc = get_int(pc, root, "", "meta_version", false, 0, INT64_MAX,
		     &ji->meta_version);
	if (rc < 0)
		return rc;
	ji->sr_meta_version = -1;
	rc = get_int(pc, root, "", "starrocks_meta_version", false, 0,
		     INT64_MAX, &ji->sr_meta_version);
	if (rc < 0)
		return rc;
	rc = parse_views(pc, root, ji);
	if (rc < 0)
		return rc;

	rc = get_obj(pc, root, "", "backup_objects", true, &objs);
	if (rc < 0)
		return rc;
	n = json_object_size(objs);
	if (n == 0)
		return 0;
	ji->tables = calloc(n, sizeof(*ji->tables));
	if (!ji->tables)
		return oom(pc, "backup_objects");
	json_object_foreach (objs, key, v) {
		key_path(tp, "backup_objects", key);
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
	struct pctx pc = {.err = err, .errlen = errlen};
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
			return oom(&pc, "(document)");
		return perr(&pc, -EINVAL, "(document)",
			    "invalid JSON at line %d, column %d: %s", jerr.line,
			    jerr.column, jerr.text);
	}
	ji = calloc(1, sizeof(*ji));
	if (!ji) {
		rc = oom(&pc, "(document)");
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
