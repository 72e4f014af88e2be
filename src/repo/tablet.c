/* SPDX-License-Identifier: MIT */
/*
 * tablet.c - the files of one tablet directory: the info's list joined
 * with a listing of the store, from a delimited listing per tablet or one
 * flat listing of the snapshot's __ss_content/ (struct repo_listing).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "jobinfo.h"
#include "repo.h"
#include "repo_int.h"
#include "store/store.h"

#include "base/banned.h"

struct tablet_scan {
	struct repo_file *files;
	size_t n, cap;
	size_t prefix_len;
};

static int tablet_scan_cb(const struct store_entry *e, void *arg)
{
	struct tablet_scan *ts = arg;
	const char *name = e->key + ts->prefix_len;
	size_t i, lnlen;

	struct repo_file *f;
	bool same_name = false;

	if (e->is_prefix || md5_split_name(name, &lnlen) < 0)
		return 0;
	for (i = 0; i < ts->n; i++) {
		f = &ts->files[i];
		if (strlen(f->name) != lnlen ||
		    strncmp(f->name, name, lnlen) != 0)
			continue;
		same_name = true;
		if (!f->present && strcmp(f->md5, name + lnlen + 1) == 0) {
			f->present = true;
			f->size = e->size;
			f->mtime = e->mtime;
		}
	}
	/*
	 * The BE restores what the tablet directory holds, not what the
	 * info lists (StarRocks writes empty lists), so an object the info
	 * doesn't name is a file of the tablet too, unless the info names
	 * another version of it.
	 */
	if (same_name)
		return 0;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 8;

		f = realloc(ts->files, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		ts->files = f;
		ts->cap = cap;
	}
	f = &ts->files[ts->n];
	memset(f, 0, sizeof(*f));
	f->name = strndup(name, lnlen);
	f->key = strdup(e->key);
	if (!f->name || !f->key) {
		free(f->name);
		free(f->key);
		return -ENOMEM;
	}
	memcpy(f->md5, name + lnlen + 1, MD5_HEX_LEN + 1);
	f->size = e->size;
	f->mtime = e->mtime;
	f->present = true;
	ts->n++;
	return 0;
}

/* See repo_int.h. */
size_t repo_tablet_prefix(const struct repo *r, const struct repo_snapshot *s,
			  const struct jobinfo_table *tbl,
			  const struct jobinfo_index *idx,
			  const struct jobinfo_tablet *tab, char *buf,
			  size_t size)
{
	return (size_t)snprintf(buf, size,
				"%s__ss_%s/__ss_content/__db_%" PRId64
				"/__tbl_%" PRId64 "/__part_%" PRId64
				"/__idx_%" PRId64 "/__%" PRId64 "/",
				r->root, s->label, s->ji->db_id, tbl->id,
				tab->part_id, idx->id, tab->id);
}

struct repo_listing {
	struct store_entry *v; /* keys owned, in byte order */
	size_t n, cap;
};

static int listing_cb(const struct store_entry *e, void *arg)
{
	struct repo_listing *l = arg;

	if (e->is_prefix)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct store_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = *e;
	l->v[l->n].key = strdup(e->key);
	if (!l->v[l->n].key)
		return -ENOMEM;
	l->n++;
	return 0;
}

void repo_listing_free(struct repo_listing *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		free((char *)l->v[i].key);
	free(l->v);
	free(l);
}

int repo_listing_load(struct repo *r, const struct repo_snapshot *s,
		      struct repo_listing **out)
{
	struct repo_listing *l = calloc(1, sizeof(*l));
	char prefix[4096];
	int rc;

	if (!l)
		return -ENOMEM;
	if ((size_t)snprintf(prefix, sizeof(prefix), "%s__ss_%s/__ss_content/",
			     r->root, s->label) >= sizeof(prefix)) {
		free(l);
		return -ENAMETOOLONG;
	}
	rc = store_list(r->st, prefix, NULL, listing_cb, l);
	if (rc < 0) {
		repo_listing_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* Feed the objects directly under @prefix in @l to tablet_scan_cb. */
static int listing_scan(const struct repo_listing *l, const char *prefix,
			struct tablet_scan *ts)
{
	size_t lo = 0, hi = l->n, plen = strlen(prefix);
	int rc;

	while (lo < hi) { /* first key >= prefix */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->v[mid].key, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->n && strncmp(l->v[lo].key, prefix, plen) == 0; lo++) {
		if (strchr(l->v[lo].key + plen, '/'))
			continue; /* deeper: a delimited listing hides it */
		rc = tablet_scan_cb(&l->v[lo], ts);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int repo_tablet_files(struct repo *r, const struct repo_snapshot *s,
		      const struct jobinfo_table *tbl,
		      const struct jobinfo_index *idx,
		      const struct jobinfo_tablet *tab,
		      struct repo_file **files, size_t *nfiles)
{
	return repo_tablet_files_in(r, s, NULL, tbl, idx, tab, files, nfiles);
}

int repo_tablet_files_in(struct repo *r, const struct repo_snapshot *s,
			 const struct repo_listing *l,
			 const struct jobinfo_table *tbl,
			 const struct jobinfo_index *idx,
			 const struct jobinfo_tablet *tab,
			 struct repo_file **files, size_t *nfiles)
{
	struct tablet_scan ts = {0};
	char prefix[4096];
	size_t i, lnlen;
	int rc = 0;

	ts.prefix_len =
		repo_tablet_prefix(r, s, tbl, idx, tab, prefix, sizeof(prefix));
	if (ts.prefix_len >= sizeof(prefix))
		return -ENAMETOOLONG;
	ts.cap = tab->nfiles ? tab->nfiles : 1;
	ts.files = calloc(ts.cap, sizeof(*ts.files));
	if (!ts.files)
		return -ENOMEM;
	for (i = 0; i < tab->nfiles; i++) {
		struct repo_file *f = &ts.files[i];
		const char *fn = tab->files[i];

		/* jobinfo_parse already checked the md5 suffix */
		if (md5_split_name(fn, &lnlen) < 0) {
			rc = -EINVAL;
			goto out;
		}
		f->name = strndup(fn, lnlen);
		memcpy(f->md5, fn + lnlen + 1, MD5_HEX_LEN + 1);
		if (asprintf(&f->key, "%s%s", prefix, fn) < 0)
			f->key = NULL;
		ts.n++;
		if (!f->name || !f->key) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (l)
		rc = listing_scan(l, prefix, &ts);
	else
		rc = store_list(r->st, prefix, "/", tablet_scan_cb, &ts);
out:
	if (rc < 0) {
		repo_files_free(ts.files, ts.n);
		return rc;
	}
	*files = ts.files;
	*nfiles = ts.n;
	return 0;
}

void repo_files_free(struct repo_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].key);
	}
	free(files);
}
