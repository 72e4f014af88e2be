/* SPDX-License-Identifier: MIT */
/*
 * verify.c - VERIFY SNAPSHOT: a snapshot's objects read back and checked
 * against the info (existence, size, content MD5, extra objects), over
 * all tablets or a seeded sample of them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
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

#define VERIFY_CHUNK (1u << 20)

struct verify {
	struct repo *r;
	struct repo_verify_report *rep;
	unsigned char *buf; /* VERIFY_CHUNK bytes */
};

static int problem(struct repo_verify_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int problem(struct repo_verify_report *rep, const char *fmt, ...)
{
	char **v, *line = NULL;
	va_list ap;
	int rc;

	v = realloc(rep->problems, (rep->nproblems + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rep->problems = v;
	va_start(ap, fmt);
	rc = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rep->problems[rep->nproblems++] = line;
	return 0;
}

/*
 * Read @key whole: compare the bytes read with @listed and the content's
 * MD5 with @want (unless NULL). Findings go into the report.
 * @return 0; -ENOMEM.
 */
static int verify_object(struct verify *v, const char *key, uint64_t listed,
			 const char *want)
{
	struct repo_verify_report *rep = v->rep;
	char hex[MD5_HEX_LEN + 1];
	struct md5 *m = NULL;
	uint64_t off = 0;
	size_t n;
	int rc;

	rep->objects++;
	rc = md5_new(&m);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = store_read(v->r->st, key, off, v->buf, VERIFY_CHUNK, &n);
		if (rc < 0)
			break;
		md5_update(m, v->buf, n);
		off += n;
		/* A short count is the end of the object. */
		if (n < VERIFY_CHUNK)
			break;
	}
	rep->bytes += off;
	if (rc == -ENOENT) {
		rep->missing++;
		rc = problem(rep, "missing: %s", key);
		goto out;
	}
	if (rc == -ENOMEM)
		goto out;
	if (rc < 0) {
		rep->errors++;
		rc = problem(rep, "error: %s: read at %" PRIu64 ": %s", key,
			     off, strerror(-rc));
		goto out;
	}
	md5_final_hex(m, hex);
	if (off != listed) {
		rep->size_mismatches++;
		rc = problem(rep,
			     "size mismatch: %s: listed %" PRIu64
			     " bytes, read %" PRIu64,
			     key, listed, off);
		if (rc < 0)
			goto out;
	}
	if (want && strcmp(hex, want) != 0) {
		rep->md5_mismatches++;
		rc = problem(rep,
			     "md5 mismatch: %s: content MD5 is %s (%" PRIu64
			     " bytes), the name says %s",
			     key, hex, off, want);
	}
out:
	md5_free(m);
	return rc;
}

/* The MD5 a key's last component carries, or NULL. */
static const char *name_md5(const char *key)
{
	const char *base = strrchr(key, '/');
	size_t lnlen;

	base = base ? base + 1 : key;
	return md5_split_name(base, &lnlen) == 0 ? base + lnlen + 1 : NULL;
}

/*
 * Each tablet id falls in a bucket 0..99 (hashed with the salt s / n);
 * seed s takes the window of @pct buckets starting at (s mod n) * @pct.
 */
static bool tablet_sampled(int64_t id, unsigned pct, uint64_t seed)
{
	unsigned char b[16];
	uint64_t nslices, slice, salt, u = (uint64_t)id, bucket, start;
	int i;

	if (pct >= 100)
		return true;
	nslices = (100 + pct - 1) / pct;
	slice = seed % nslices;
	salt = seed / nslices;
	for (i = 0; i < 8; i++) {
		b[i] = (unsigned char)(salt >> (8 * i));
		b[8 + i] = (unsigned char)(u >> (8 * i));
	}
	bucket = hash_xxh3(b, sizeof(b)) % 100;
	start = slice * pct;
	return (bucket + 100 - start) % 100 < pct;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct extra_scan {
	struct verify *v;
	const char **keys; /* the tablet's expected keys, sorted */
	size_t nkeys;
	size_t plen;
	bool listed_only; /* the info lists no files */
};

static int extra_scan_cb(const struct store_entry *e, void *arg)
{
	struct extra_scan *xs = arg;
	const char *key = e->key;

	/* The BE lists one level and skips names without a '.'. */
	if (e->is_prefix || !strchr(key + xs->plen, '.'))
		return 0;
	if (bsearch(&key, xs->keys, xs->nkeys, sizeof(*xs->keys), str_ptr_cmp))
		return 0;
	xs->v->rep->extra++;
	return problem(xs->v->rep, "extra: %s: %s", key,
		       xs->listed_only
			       ? "not a <name>.<md5> file, or a second "
				 "version of one (the BE would fail on it or "
				 "restore it)"
			       : "in the tablet directory, not in the info "
				 "(the BE would restore it or fail on it)");
}

static int verify_tablet(struct verify *v, const struct repo_snapshot *s,
			 const struct jobinfo_table *tbl,
			 const struct jobinfo_index *idx,
			 const struct jobinfo_tablet *tab)
{
	struct repo_verify_report *rep = v->rep;
	struct extra_scan xs = {.v = v};
	struct repo_file *files = NULL;
	size_t i, n = 0, nexp;
	char prefix[4096];
	int rc;

	xs.plen = repo_tablet_prefix(v->r, s, tbl, idx, tab, prefix,
				     sizeof(prefix));
	if (xs.plen >= sizeof(prefix)) {
		rep->errors++;
		return problem(rep, "error: tablet %" PRId64 ": key too long",
			       tab->id);
	}
	rc = repo_tablet_files(v->r, s, tbl, idx, tab, &files, &n);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		rep->errors++;
		return problem(rep, "error: %s: list: %s", prefix,
			       strerror(-rc));
	}
	/*
	 * repo_tablet_files() puts the info's files first; objects it adds
	 * after them are files of the tablet only when the info lists none.
	 */
	xs.listed_only = tab->nfiles == 0;
	nexp = xs.listed_only ? n : tab->nfiles;
	if (n == 0 && strcmp(s->ji->content, "METADATA_ONLY") != 0) {
		rep->missing++;
		rc = problem(rep,
			     "missing: %s: tablet %" PRId64 " has no files "
			     "(RESTORE fails on an empty directory)",
			     prefix, tab->id);
		goto out;
	}
	xs.keys = calloc(nexp ? nexp : 1, sizeof(*xs.keys));
	if (!xs.keys) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nexp; i++) {
		const struct repo_file *f = &files[i];

		xs.keys[xs.nkeys++] = f->key;
		if (f->present) {
			rc = verify_object(v, f->key, f->size, f->md5);
		} else {
			rep->objects++;
			rep->missing++;
			rc = problem(rep, "missing: %s", f->key);
		}
		if (rc < 0)
			goto out;
	}
	qsort(xs.keys, xs.nkeys, sizeof(*xs.keys), str_ptr_cmp);
	rc = store_list(v->r->st, prefix, "/", extra_scan_cb, &xs);
	if (rc < 0 && rc != -ENOMEM) {
		rep->errors++;
		rc = problem(rep, "error: %s: list: %s", prefix, strerror(-rc));
	}
out:
	free(xs.keys);
	repo_files_free(files, n);
	return rc;
}

static int verify_tablets(struct verify *v, const struct repo_snapshot *s,
			  unsigned pct, uint64_t seed)
{
	const struct jobinfo *ji = s->ji;
	size_t a, b, c, d;
	int rc;

	for (a = 0; a < ji->ntables; a++) {
		const struct jobinfo_table *tbl = &ji->tables[a];

		for (b = 0; b < tbl->npartitions; b++) {
			const struct jobinfo_partition *part =
				&tbl->partitions[b];

			for (c = 0; c < part->nindexes; c++) {
				const struct jobinfo_index *idx =
					&part->indexes[c];

				for (d = 0; d < idx->ntablets; d++) {
					const struct jobinfo_tablet *tab =
						&idx->tablets[d];

					v->rep->tablets++;
					if (!tablet_sampled(tab->id, pct, seed))
						continue;
					v->rep->tablets_checked++;
					rc = verify_tablet(v, s, tbl, idx, tab);
					if (rc < 0)
						return rc;
				}
			}
		}
	}
	return 0;
}

int repo_snapshot_verify(struct repo *r, const struct repo_snapshot *s,
			 unsigned sample_percent, uint64_t seed,
			 struct repo_verify_report **out)
{
	struct repo_verify_report *rep = NULL;
	struct verify v = {.r = r};
	int rc;

	if (sample_percent == 0 || sample_percent > 100)
		return -EINVAL;
	rep = calloc(1, sizeof(*rep));
	v.buf = malloc(VERIFY_CHUNK);
	if (!rep || !v.buf) {
		rc = -ENOMEM;
		goto out;
	}
	v.rep = rep;
	rep->sample_percent = sample_percent;
	rep->seed = seed;
	rep->label = strdup(s->label);
	rep->ts = strdup(s->ts);
	if (!rep->label || !rep->ts) {
		rc = -ENOMEM;
		goto out;
	}
	if (!s->ok) {
		rep->invalid++;
		rc = problem(rep, "snapshot: %s: %s%s", s->info_key, s->verdict,
			     s->ji ? "" : " (no tablet can be checked)");
		if (rc < 0)
			goto out;
	}
	rc = verify_object(&v, s->info_key, s->info_size,
			   name_md5(s->info_key));
	if (rc < 0)
		goto out;
	if (s->meta_key) {
		rc = verify_object(&v, s->meta_key, s->meta_size,
				   name_md5(s->meta_key));
		if (rc < 0)
			goto out;
	}
	if (s->ji)
		rc = verify_tablets(&v, s, sample_percent, seed);
out:
	free(v.buf);
	if (rc < 0) {
		repo_verify_report_free(rep);
		return rc;
	}
	*out = rep;
	return 0;
}

void repo_verify_report_free(struct repo_verify_report *rep)
{
	size_t i;

	if (!rep)
		return;
	for (i = 0; i < rep->nproblems; i++)
		free(rep->problems[i]);
	free(rep->problems);
	free(rep->label);
	free(rep->ts);
	free(rep);
}

int repo_verify_text(const struct repo_verify_report *rep, char **text,
		     size_t *len)
{
	char *buf = NULL;
	size_t blen = 0, i;
	FILE *f;

	f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	if (rep->nproblems == 0)
		fprintf(f, "OK\n");
	else
		fprintf(f, "FAILED: %zu problem%s\n", rep->nproblems,
			rep->nproblems == 1 ? "" : "s");
	fprintf(f, "snapshot: %s/%s\n", rep->label, rep->ts);
	if (rep->sample_percent >= 100)
		fprintf(f, "tablets: %zu of %zu (all)\n", rep->tablets_checked,
			rep->tablets);
	else
		fprintf(f,
			"tablets: %zu of %zu (sample %u%%, seed %" PRIu64 ")\n",
			rep->tablets_checked, rep->tablets, rep->sample_percent,
			rep->seed);
	fprintf(f,
		"objects: %" PRIu64 " checked, %" PRIu64 " bytes read\n"
		"missing: %" PRIu64 "\n"
		"size mismatches: %" PRIu64 "\n"
		"md5 mismatches: %" PRIu64 "\n"
		"extra objects: %" PRIu64 "\n"
		"store errors: %" PRIu64 "\n"
		"snapshot problems: %" PRIu64 "\n",
		rep->objects, rep->bytes, rep->missing, rep->size_mismatches,
		rep->md5_mismatches, rep->extra, rep->errors, rep->invalid);
	for (i = 0; i < rep->nproblems; i++)
		fprintf(f, "%s\n", rep->problems[i]);
	return repo_memstream_done(f, &buf, &blen, text, len);
}
