/* SPDX-License-Identifier: MIT */
/*
 * retention.c - retention plans: which snapshots CLEAN SNAPSHOTS would
 * delete under keep_last / older_than, and the dry-run text. Deletes
 * nothing (delete.c does, item by item, when jobs/ applies a plan).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repo.h"
#include "repo_int.h"

#include "base/banned.h"

/* One candidate timestamp of a label while its fate is decided. */
struct cand {
	size_t i; /* index in l->ts */
	int64_t time;
	bool ok, from_mtime;
	char *verdict;
	char *reason;
};

/* Newest first: larger time, then larger name. */
static int cand_cmp_ctx(const struct cand *a, const struct cand *b,
			const struct repo_label *l)
{
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return -strcmp(l->ts[a->i].name, l->ts[b->i].name);
}

static void cands_sort(struct cand *c, size_t n, const struct repo_label *l)
{
	size_t i, j;
	struct cand tmp;

	/* Insertion sort: few timestamps per label, and no qsort context. */
	for (i = 1; i < n; i++) {
		tmp = c[i];
		for (j = i; j > 0 && cand_cmp_ctx(&tmp, &c[j - 1], l) < 0; j--)
			c[j] = c[j - 1];
		c[j] = tmp;
	}
}

static int cand_idx_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->i < y->i ? -1 : x->i > y->i;
}

/* Append ";"-separated text to *reason. */
static int reason_add(char **reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int reason_add(char **reason, const char *fmt, ...)
{
	char *part = NULL, *joined = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&part, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	if (!*reason) {
		*reason = part;
		return 0;
	}
	rc = asprintf(&joined, "%s; %s", *reason, part);
	free(part);
	if (rc < 0)
		return -ENOMEM;
	free(*reason);
	*reason = joined;
	return 0;
}

static int plan_push(struct repo_plan *p, size_t *cap,
		     const struct repo_label *l, const struct cand *c)
{
	const struct repo_ts *t = &l->ts[c->i];
	struct repo_plan_item *it;

	if (p->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		it = realloc(p->items, ncap * sizeof(*it));
		if (!it)
			return -ENOMEM;
		p->items = it;
		*cap = ncap;
	}
	it = &p->items[p->n];
	memset(it, 0, sizeof(*it));
	it->label = strdup(l->label);
	it->dir = strdup(l->dir);
	it->ts = strdup(t->name);
	it->info_key = strdup(t->info_key);
	it->reason = strdup(c->reason);
	it->backup_time = c->time;
	it->time_from_mtime = c->from_mtime;
	p->n++; /* freed with the plan even if a strdup failed */
	if (!it->label || !it->dir || !it->ts || !it->info_key || !it->reason)
		return -ENOMEM;
	return 0;
}

static int plan_label(struct repo *r, const char *dir, int keep_last,
		      int64_t older_than_s, int64_t now, struct repo_plan *p,
		      size_t *cap)
{
	struct repo_label *l = NULL;
	struct cand *c = NULL;
	size_t i, n = 0, nok = 0;
	int rc;

	rc = repo_label_load(r, dir, &l);
	if (rc == -ENOENT)
		return 0; /* went away since the listing */
	if (rc < 0)
		return rc;
	c = calloc(l->nts ? l->nts : 1, sizeof(*c));
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l->nts; i++) {
		struct repo_snapshot *s;

		/* An invalid name is a leftover, not a snapshot. */
		if (!l->ts[i].valid_name)
			continue;
		rc = repo_snapshot_load(r, l, &l->ts[i], &s);
		if (rc < 0)
			goto out;
		c[n].i = i;
		c[n].time = s->mtime;
		c[n].ok = s->ok;
		c[n].from_mtime = !s->ji && s->mtime == l->ts[i].info_mtime;
		c[n].verdict = s->verdict;
		s->verdict = NULL;
		repo_snapshot_free(s);
		n++;
	}
	cands_sort(c, n, l);
	for (i = 0; i < n; i++) {
		struct cand *x = &c[i];

		rc = 0;
		if (keep_last >= 0 && x->ok && ++nok > (size_t)keep_last)
			rc = reason_add(&x->reason,
					"keep_last %d: complete snapshot #%zu "
					"from the newest",
					keep_last, nok);
		else if (keep_last >= 0 && !x->ok && nok >= (size_t)keep_last)
			rc = reason_add(&x->reason,
					"keep_last %d: not complete (%s), "
					"older than the %d newest complete",
					keep_last, x->verdict, keep_last);
		if (rc == 0 && older_than_s >= 0 &&
		    x->time < now - older_than_s)
			rc = reason_add(&x->reason,
					"older than %" PRId64 "s (age %" PRId64
					"s%s)",
					older_than_s, now - x->time,
					x->from_mtime ? ", by the info "
							"object's mtime: the "
							"info does not parse"
						      : "");
		if (rc < 0)
			goto out;
	}
	/* Report in timestamp order, as the label lists them. */
	qsort(c, n, sizeof(*c), cand_idx_cmp);
	for (i = 0; i < n; i++) {
		if (!c[i].reason)
			continue;
		rc = plan_push(p, cap, l, &c[i]);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(c[i].verdict);
		free(c[i].reason);
	}
	free(c);
	repo_label_free(l);
	return rc;
}

struct dir_list {
	char **v;
	size_t n, cap;
};

static int dir_list_cb(const struct repo_label_ref *ref, void *arg)
{
	struct dir_list *dl = arg;

	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 16;
		char **v = realloc(dl->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		dl->v = v;
		dl->cap = cap;
	}
	dl->v[dl->n] = strdup(ref->dir);
	if (!dl->v[dl->n])
		return -ENOMEM;
	dl->n++;
	return 0;
}

int repo_retention_plan(struct repo *r, int keep_last, int64_t older_than_s,
			int64_t now, struct repo_plan **out)
{
	struct dir_list dl = {0};
	struct repo_plan *p = NULL;
	size_t i, cap = 0;
	int rc;

	if (keep_last < -1 || older_than_s < -1)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* Labels first, so no listing runs inside another's callback. */
	rc = repo_list_labels(r, dir_list_cb, &dl);
	if (rc < 0)
		goto out;
	for (i = 0; i < dl.n; i++) {
		rc = plan_label(r, dl.v[i], keep_last, older_than_s, now, p,
				&cap);
		if (rc < 0)
			goto out;
	}
out:
	for (i = 0; i < dl.n; i++)
		free(dl.v[i]);
	free(dl.v);
	if (rc < 0) {
		repo_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void repo_plan_free(struct repo_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->items[i].label);
		free(p->items[i].dir);
		free(p->items[i].ts);
		free(p->items[i].info_key);
		free(p->items[i].reason);
	}
	free(p->items);
	free(p);
}

static void format_utc(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "@%" PRId64, t);
}

int repo_plan_text(const struct repo_plan *p, char **text, size_t *len)
{
	char *buf = NULL, when[32];
	size_t blen = 0, i;
	FILE *f;

	f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		const struct repo_plan_item *it = &p->items[i];

		format_utc(it->backup_time, when);
		fprintf(f, "%s/%s  %s  %s\n", it->label, it->ts, when,
			it->reason);
	}
	return repo_memstream_done(f, &buf, &blen, text, len);
}
