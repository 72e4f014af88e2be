/* SPDX-License-Identifier: MIT */
/*
 * label.c - the labels of a repository (its __ss_<label>/ directories)
 * and, per label, its __info_ timestamps and its __meta.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "repo.h"
#include "repo_int.h"
#include "store/store.h"

#include "base/banned.h"

struct label_scan {
	struct repo *r;
	int (*cb)(const struct repo_label_ref *ref, void *arg);
	void *arg;
};

static int label_scan_cb(const struct store_entry *e, void *arg)
{
	struct label_scan *ls = arg;
	const char *name = e->key + strlen(ls->r->root);
	struct repo_label_ref ref;
	char dir[1024], label[1024];
	size_t n;

	if (!e->is_prefix || strncmp(name, "__ss_", 5) != 0)
		return 0;
	n = strlen(name) - 1; /* drop the '/' */
	if (n >= sizeof(dir))
		return 0;
	memcpy(dir, name, n);
	dir[n] = '\0';
	if (strcmp(dir, "__ss_content") == 0)
		return 0; /* not a label: a stray content dir at the root */
	memcpy(label, dir + 5, n - 5 + 1);
	ref.dir = dir;
	ref.label = name_ok(label) ? label : NULL;
	return ls->cb(&ref, ls->arg);
}

int repo_list_labels(struct repo *r,
		     int (*cb)(const struct repo_label_ref *ref, void *arg),
		     void *arg)
{
	struct label_scan ls = {.r = r, .cb = cb, .arg = arg};
	char prefix[4096];

	snprintf(prefix, sizeof(prefix), "%s__ss_", r->root);
	return store_list(r->st, prefix, "/", label_scan_cb, &ls);
}

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool repo_ts_valid(const char *ts, size_t len)
{
	/* yyyy-MM-dd-HH-mm-ss[-SSS] */
	static const size_t dash[] = {4, 7, 10, 13, 16, 19};
	size_t i, ndash;

	if (len != 19 && len != 23)
		return false;
	ndash = len == 19 ? 5 : 6;
	for (i = 0; i < ndash; i++)
		if (ts[dash[i]] != '-')
			return false;
	return digits(ts, 4) && digits(ts + 5, 2) && digits(ts + 8, 2) &&
	       digits(ts + 11, 2) && digits(ts + 14, 2) && digits(ts + 17, 2) &&
	       (len == 19 || digits(ts + 20, 3));
}

struct label_load {
	struct repo_label *l;
	size_t prefix_len;
	size_t nmeta, cap;
	bool any;
};

static int ts_cmp(const void *a, const void *b)
{
	const struct repo_ts *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int add_ts(struct label_load *ll, const struct store_entry *e,
		  const char *name)
{
	struct repo_label *l = ll->l;
	const char *rest = name + strlen("__info_");
	struct repo_ts *t;
	size_t lnlen;
	int rc;

	if (l->nts == ll->cap) {
		size_t cap = ll->cap ? ll->cap * 2 : 4;
		struct repo_ts *v = realloc(l->ts, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->ts = v;
		ll->cap = cap;
	}
	t = &l->ts[l->nts];
	memset(t, 0, sizeof(*t));
	t->info_key = strdup(e->key);
	t->info_size = e->size;
	t->info_mtime = e->mtime;
	if (!t->info_key)
		return -ENOMEM;
	rc = md5_split_name(rest, &lnlen);
	if (rc == 0 && repo_ts_valid(rest, lnlen)) {
		t->valid_name = true;
		t->name = strndup(rest, lnlen);
	} else {
		const char *dot = strrchr(name, '.');

		t->name = strdup(name);
		if (dot && strcmp(dot, ".part") == 0)
			rc = asprintf(&t->reason,
				      "%s is the leftover of an interrupted "
				      "upload (.part), not a finished info "
				      "file",
				      name);
		else if (rc < 0)
			rc = asprintf(&t->reason,
				      "%s does not end in .<32 hex digit "
				      "md5>",
				      name);
		else
			rc = asprintf(&t->reason,
				      "%s: \"%.*s\" is not a timestamp "
				      "(yyyy-MM-dd-HH-mm-ss[-SSS])",
				      name, (int)lnlen, rest);
		if (rc < 0)
			t->reason = NULL;
		if (!t->reason) {
			free(t->name);
			t->name = NULL;
		}
	}
	if (!t->name) {
		/* Not counted in l->nts: repo_label_free() won't see it. */
		free(t->info_key);
		free(t->reason);
		return -ENOMEM;
	}
	l->nts++;
	return 0;
}

static int label_load_cb(const struct store_entry *e, void *arg)
{
	struct label_load *ll = arg;
	const char *name = e->key + ll->prefix_len;
	size_t lnlen;

	ll->any = true;
	if (e->is_prefix)
		return 0;
	if (strncmp(name, "__info_", 7) == 0)
		return add_ts(ll, e, name);
	if (strncmp(name, "__meta", 6) == 0) {
		ll->nmeta++;
		if (md5_split_name(name, &lnlen) == 0 && lnlen == 6 &&
		    !ll->l->meta_key) {
			ll->l->meta_key = strdup(e->key);
			ll->l->meta_size = e->size;
			if (!ll->l->meta_key)
				return -ENOMEM;
		}
	}
	return 0;
}

int repo_label_load(struct repo *r, const char *dir, struct repo_label **out)
{
	struct label_load ll = {0};
	struct repo_label *l;
	char prefix[4096];
	size_t i;
	int rc, valid = 0;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	ll.l = l;
	l->dir = strdup(dir);
	l->label = strdup(strncmp(dir, "__ss_", 5) == 0 ? dir + 5 : dir);
	if (!l->dir || !l->label) {
		rc = -ENOMEM;
		goto out;
	}
	ll.prefix_len =
		(size_t)snprintf(prefix, sizeof(prefix), "%s%s/", r->root, dir);
	if (ll.prefix_len >= sizeof(prefix)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	rc = store_list(r->st, prefix, "/", label_load_cb, &ll);
	if (rc < 0)
		goto out;
	if (!ll.any) {
		rc = -ENOENT;
		goto out;
	}
	if (l->nts > 1)
		qsort(l->ts, l->nts, sizeof(l->ts[0]), ts_cmp);
	if (ll.nmeta == 0)
		rc = asprintf(&l->meta_problem, "no __meta object in %s/", dir);
	else if (ll.nmeta > 1)
		rc = asprintf(&l->meta_problem,
			      "%zu __meta objects in %s/ (expected exactly "
			      "one; a .part leftover makes RESTORE fail)",
			      ll.nmeta, dir);
	else if (!l->meta_key)
		rc = asprintf(&l->meta_problem,
			      "the __meta object in %s/ has no .<md5> suffix",
			      dir);
	if (rc < 0) {
		l->meta_problem = NULL;
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l->nts; i++)
		valid += l->ts[i].valid_name;
	if (l->nts == 0)
		rc = asprintf(&l->status,
			      "INCOMPLETE: no info file found in %s/ (an "
			      "unfinished or cancelled backup)",
			      dir);
	else if (valid == 0)
		rc = asprintf(&l->status,
			      "INVALID: no valid __info_<timestamp>.<md5> "
			      "object in %s/",
			      dir);
	else
		rc = asprintf(&l->status, "OK");
	if (rc < 0) {
		l->status = NULL;
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		repo_label_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void repo_label_free(struct repo_label *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nts; i++) {
		free(l->ts[i].name);
		free(l->ts[i].info_key);
		free(l->ts[i].reason);
	}
	free(l->ts);
	free(l->label);
	free(l->dir);
	free(l->meta_key);
	free(l->meta_problem);
	free(l->status);
	free(l);
}
