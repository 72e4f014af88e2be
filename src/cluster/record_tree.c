/* SPDX-License-Identifier: MIT */
/*
 * record_tree.c - a table's tree in memory: making, finding and changing
 * partitions, indexes, tablets, replicas and files. No JSON and no keys
 * here (those are record.c's); freeing is record_release.c's.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster_int.h"
#include "record.h"

#include "base/banned.h"

int record_table_init(struct record_table *tbl, int64_t id, const char *db,
		      const char *name)
{
	memset(tbl, 0, sizeof(*tbl));
	tbl->id = id;
	tbl->state = RECORD_TABLE_NORMAL;
	tbl->db = strdup(db);
	tbl->name = strdup(name);
	if (!tbl->db || !tbl->name) {
		record_table_release(tbl);
		return -ENOMEM;
	}
	return 0;
}

int record_set_str(char **dst, const char *s)
{
	char *c = NULL;

	if (s && !(c = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

/* ---- finding ---------------------------------------------------------------
 */

struct record_partition *record_partition_find(const struct record_table *tbl,
					       const char *name, bool nocase)
{
	size_t i;

	for (i = 0; i < tbl->nparts; i++)
		if ((nocase ? strcasecmp(tbl->parts[i].name, name)
			    : strcmp(tbl->parts[i].name, name)) == 0)
			return &tbl->parts[i];
	return NULL;
}

struct record_index *record_index_find(const struct record_partition *p,
				       const char *name)
{
	size_t i;

	for (i = 0; i < p->nindexes; i++)
		if (strcmp(p->indexes[i].name, name) == 0)
			return &p->indexes[i];
	return NULL;
}

struct record_tablet *record_tablet_find(const struct record_index *ix,
					 int64_t id)
{
	size_t i;

	for (i = 0; i < ix->ntablets; i++)
		if (ix->tablets[i].id == id)
			return &ix->tablets[i];
	return NULL;
}

struct record_tablet *record_tablet_find_name(const struct record_index *ix,
					      const char *name)
{
	char id[32];
	size_t i;

	/* The same text the listing shows: "007" is not tablet 7. */
	for (i = 0; i < ix->ntablets; i++) {
		snprintf(id, sizeof(id), "%" PRId64, ix->tablets[i].id);
		if (strcmp(id, name) == 0)
			return &ix->tablets[i];
	}
	return NULL;
}

struct record_tablet *record_tablet_lookup(const struct record_table *tbl,
					   const char *part, const char *index,
					   int64_t id)
{
	struct record_partition *p = record_partition_find(tbl, part, false);
	struct record_index *ix = p ? record_index_find(p, index) : NULL;

	return ix ? record_tablet_find(ix, id) : NULL;
}

struct record_file *record_file_find(const struct record_replica *r,
				     const char *name)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		if (strcmp(r->files[i].name, name) == 0)
			return &r->files[i];
	return NULL;
}

/* ---- adding ----------------------------------------------------------------
 */

/* Room for one more zeroed element at the end of *@v; NULL: no memory. */
static void *grow(void **v, size_t *n, size_t size)
{
	char *p = realloc(*v, (*n + 1) * size);

	if (!p)
		return NULL;
	*v = p;
	memset(p + *n * size, 0, size);
	return p + (*n)++ * size;
}

/* A copy of @s for a new element; false: no memory. */
static bool dup_name(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst != NULL;
}

struct record_partition *record_table_add_partition(struct record_table *tbl,
						    int64_t id,
						    const char *name,
						    int64_t version)
{
	char *nm;
	struct record_partition *p;

	if (!dup_name(&nm, name))
		return NULL;
	p = grow((void **)&tbl->parts, &tbl->nparts, sizeof(*p));
	if (!p) {
		free(nm);
		return NULL;
	}
	p->id = id;
	p->name = nm;
	p->version = version;
	return p;
}

struct record_index *record_partition_add_index(struct record_partition *p,
						int64_t id, const char *name,
						int64_t schema_hash)
{
	char *nm;
	struct record_index *ix;

	if (!dup_name(&nm, name))
		return NULL;
	ix = grow((void **)&p->indexes, &p->nindexes, sizeof(*ix));
	if (!ix) {
		free(nm);
		return NULL;
	}
	ix->id = id;
	ix->name = nm;
	ix->schema_hash = schema_hash;
	return ix;
}

struct record_tablet *record_index_add_tablet(struct record_index *ix,
					      int64_t id)
{
	struct record_tablet *tab =
		grow((void **)&ix->tablets, &ix->ntablets, sizeof(*tab));

	if (tab)
		tab->id = id;
	return tab;
}

struct record_replica *record_tablet_add_replica(struct record_tablet *tab,
						 int64_t id, unsigned backend,
						 int64_t gen)
{
	struct record_replica *r =
		grow((void **)&tab->replicas, &tab->nreplicas, sizeof(*r));

	if (r) {
		r->id = id;
		r->backend = backend;
		r->gen = gen;
	}
	return r;
}

struct record_file *record_replica_add_file(struct record_replica *r,
					    const char *name, const char *md5,
					    uint64_t size)
{
	char *nm = strdup(name), *sum = strdup(md5);
	struct record_file *f =
		nm && sum ? grow((void **)&r->files, &r->nfiles, sizeof(*f))
			  : NULL;

	if (!f) {
		free(nm);
		free(sum);
		return NULL;
	}
	f->name = nm;
	f->md5 = sum;
	f->size = size;
	r->has_files = true;
	return f;
}

/* ---- changing --------------------------------------------------------------
 */

int record_tablet_set_src(struct record_tablet *tab,
			  const struct record_tablet_src *src)
{
	struct record_tablet_src *s = NULL;

	if (src) {
		s = calloc(1, sizeof(*s));
		if (!s || !(s->table = strdup(src->table)) ||
		    !(s->index = strdup(src->index))) {
			record_src_free(s);
			return -ENOMEM;
		}
		s->table_id = src->table_id;
		s->part_id = src->part_id;
		s->index_id = src->index_id;
		s->tablet = src->tablet;
	}
	record_src_free(tab->src);
	tab->src = s;
	return 0;
}

int record_tablet_set_old(struct record_tablet *tab,
			  const struct record_replica *r)
{
	struct record_replica *old = NULL;
	int rc;

	if (r) {
		old = malloc(sizeof(*old));
		rc = old ? record_replica_copy(old, r) : -ENOMEM;
		if (rc < 0) {
			free(old);
			return rc;
		}
	}
	if (tab->old)
		record_replica_release(tab->old);
	free(tab->old);
	tab->old = old;
	return 0;
}

int record_replica_copy_files(struct record_replica *dst,
			      const struct record_replica *src)
{
	struct record_replica tmp = {0};
	size_t i;

	for (i = 0; i < src->nfiles; i++)
		if (!record_replica_add_file(&tmp, src->files[i].name,
					     src->files[i].md5,
					     src->files[i].size)) {
			record_replica_release(&tmp);
			return -ENOMEM;
		}
	for (i = 0; i < dst->nfiles; i++)
		record_file_release(&dst->files[i]);
	free(dst->files);
	dst->files = tmp.files;
	dst->nfiles = tmp.nfiles;
	dst->has_files = src->has_files;
	return 0;
}

int record_table_pick_partitions(struct record_table *tbl,
				 const char *const *names, size_t n,
				 bool nocase, const char **missing)
{
	struct record_partition *v = NULL, *p;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < n; i++)
		if (!record_partition_find(tbl, names[i], nocase)) {
			*missing = names[i];
			return -ENOENT;
		}
	if (n > 0 && !(v = calloc(n, sizeof(*v))))
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		p = record_partition_find(tbl, names[i], nocase);
		rc = record_partition_copy(&v[i], p);
	}
	if (rc < 0) {
		for (k = 0; k < n; k++)
			record_partition_release(&v[k]);
		free(v);
		return rc;
	}
	for (k = 0; k < tbl->nparts; k++)
		record_partition_release(&tbl->parts[k]);
	free(tbl->parts);
	tbl->parts = v;
	tbl->nparts = n;
	return 0;
}

void record_table_remove_partition(struct record_table *tbl, size_t i)
{
	record_partition_release(&tbl->parts[i]);
	memmove(&tbl->parts[i], &tbl->parts[i + 1],
		(tbl->nparts - i - 1) * sizeof(*tbl->parts));
	tbl->nparts--;
}

int record_table_set_partition(struct record_table *tbl, size_t i,
			       struct record_partition *p)
{
	struct record_partition *slot;

	if (i > tbl->nparts)
		return -EINVAL;
	if (i == tbl->nparts) {
		slot = grow((void **)&tbl->parts, &tbl->nparts, sizeof(*slot));
		if (!slot)
			return -ENOMEM;
	} else {
		slot = &tbl->parts[i];
		record_partition_release(slot);
	}
	*slot = *p;
	memset(p, 0, sizeof(*p));
	return 0;
}
