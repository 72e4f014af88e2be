/* SPDX-License-Identifier: MIT */
/*
 * record_release.c - freeing a record tree. Its own file because both the
 * JSON codec (record.c) and the tree operations (record_tree.c) free
 * records, and the tree copies through the codec: with freeing in either
 * of them the two files would use each other.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cluster_int.h"
#include "record.h"

#include "base/banned.h"

/* ---- freeing ---------------------------------------------------------------
 * Each release takes a zeroed or half-filled struct as well as a whole
 * one, and leaves it zeroed.
 */

void record_file_release(struct record_file *f)
{
	free(f->name);
	free(f->md5);
	json_decref(f->extra);
	memset(f, 0, sizeof(*f));
}

void record_replica_release(struct record_replica *r)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		record_file_release(&r->files[i]);
	free(r->files);
	json_decref(r->extra);
	memset(r, 0, sizeof(*r));
}

void record_src_free(struct record_tablet_src *s)
{
	if (!s)
		return;
	free(s->table);
	free(s->index);
	free(s);
}

void record_tablet_release(struct record_tablet *tab)
{
	size_t i;

	for (i = 0; i < tab->nreplicas; i++)
		record_replica_release(&tab->replicas[i]);
	free(tab->replicas);
	record_src_free(tab->src);
	if (tab->old)
		record_replica_release(tab->old);
	free(tab->old);
	json_decref(tab->extra);
	memset(tab, 0, sizeof(*tab));
}

static void index_release(struct record_index *ix)
{
	size_t i;

	for (i = 0; i < ix->ntablets; i++)
		record_tablet_release(&ix->tablets[i]);
	free(ix->tablets);
	free(ix->name);
	json_decref(ix->extra);
	memset(ix, 0, sizeof(*ix));
}

void record_partition_release(struct record_partition *p)
{
	size_t i;

	for (i = 0; i < p->nindexes; i++)
		index_release(&p->indexes[i]);
	free(p->indexes);
	free(p->name);
	json_decref(p->extra);
	memset(p, 0, sizeof(*p));
}

void record_table_release(struct record_table *tbl)
{
	size_t i;

	if (!tbl)
		return;
	for (i = 0; i < tbl->nparts; i++)
		record_partition_release(&tbl->parts[i]);
	free(tbl->parts);
	free(tbl->db);
	free(tbl->name);
	free(tbl->source_table);
	json_decref(tbl->extra);
	memset(tbl, 0, sizeof(*tbl));
}

void record_tables_free(struct record_table *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		record_table_release(&v[i]);
	free(v);
}
