/* SPDX-License-Identifier: MIT */
/*
 * job_status.c - what the jobs/ directory shows: the ids of all jobs, one
 * job's status ("Field: value" lines or JSON), and SHOW RESTORE / SHOW
 * BACKUP tables. The columns are the kind's (ops->status_fields).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "jobs.h"
#include "jobs_int.h"

#include "base/banned.h"

struct idlist {
	int64_t *v;
	size_t n, cap;
};

static int id_cb(int64_t id, json_t *val, void *arg)
{
	struct idlist *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = id;
	return 0;
}

int jobs_list(struct jobs *eng, int64_t **ids, size_t *n)
{
	struct catalog_txn *t;
	struct idlist l = {0};
	int rc;

	rc = catalog_begin(cluster_catalog(eng->cl), false, &t);
	if (rc < 0)
		return rc;
	rc = record_job_scan(t, id_cb, &l);
	catalog_abort(t);
	if (rc < 0) {
		free(l.v);
		return rc;
	}
	*ids = l.v;
	*n = l.n;
	return 0;
}

/* The record of a job: live (running) or from the catalog. */
static int job_record(struct jobs *eng, int64_t id, json_t **out)
{
	struct catalog_txn *t;
	struct job *jb;
	int rc;

	pthread_mutex_lock(&eng->lock);
	for (jb = eng->list; jb; jb = jb->next)
		if (jb->id == id && jb->running) {
			job_progress_to_rec_locked(jb);
			*out = json_deep_copy(jb->rec);
			pthread_mutex_unlock(&eng->lock);
			return *out ? 0 : -ENOMEM;
		}
	pthread_mutex_unlock(&eng->lock);
	rc = catalog_begin(cluster_catalog(eng->cl), false, &t);
	if (rc < 0)
		return rc;
	rc = record_job_get(t, id, out);
	catalog_abort(t);
	return rc;
}

static const char *const *fields_of(struct jobs *eng, json_t *rec)
{
	return job_kind_by_name(eng,
				json_string_value(json_object_get(rec, "Type")))
		->status_fields;
}

/* A field as text: strings as they are, anything else as compact JSON. */
static char *field_text(json_t *rec, const char *name)
{
	json_t *v = json_object_get(rec, name);

	if (!v || json_is_null(v))
		return strdup(strcmp(name, "CancelledBy") == 0 ? "" : "NULL");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* @fields of @rec as a JSON object, indented, with a final newline. */
static char *status_json(json_t *rec, const char *const *fields, size_t *len)
{
	json_t *out = json_object();
	char *s, *f;
	size_t i, n;

	for (i = 0; out && fields[i]; i++) {
		json_t *v = json_object_get(rec, fields[i]);

		json_object_set(out, fields[i], v ? v : json_null());
	}
	s = out ? json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(out);
	if (!s)
		return NULL;
	n = strlen(s);
	f = realloc(s, n + 2);
	if (f) {
		s = f;
		s[n++] = '\n';
		s[n] = '\0';
	}
	*len = n;
	return s;
}

/* @fields of @rec as "Field: value" lines. */
static char *status_text(json_t *rec, const char *const *fields, size_t *len)
{
	char *s = NULL, *f;
	size_t i, n = 0;
	FILE *mf;

	mf = open_memstream(&s, &n);
	if (!mf)
		return NULL;
	for (i = 0; fields[i]; i++) {
		f = field_text(rec, fields[i]);
		fprintf(mf, "%s: %s\n", fields[i], f ? f : "");
		free(f);
	}
	fclose(mf);
	*len = n;
	return s;
}

int jobs_status(struct jobs *eng, int64_t id, bool json, char **text,
		size_t *len)
{
	json_t *rec = NULL;
	size_t n = 0;
	char *s;
	int rc;

	rc = job_record(eng, id, &rec);
	if (rc < 0)
		return rc;
	s = json ? status_json(rec, fields_of(eng, rec), &n)
		 : status_text(rec, fields_of(eng, rec), &n);
	json_decref(rec);
	if (!s)
		return -ENOMEM;
	*text = s;
	*len = n;
	return 0;
}

/* One tab-separated line of @fields. */
static void show_row(FILE *mf, json_t *rec, const char *const *fields)
{
	char *f;
	size_t k;

	for (k = 0; fields[k]; k++) {
		f = field_text(rec, fields[k]);
		fprintf(mf, "%s%s", k ? "\t" : "", f ? f : "");
		free(f);
	}
	fputc('\n', mf);
}

int jobs_show(struct jobs *eng, enum job_kind kind, char **text, size_t *len)
{
	const char *const *fields;
	int64_t *ids = NULL;
	size_t nids = 0, i, k, n = 0;
	char *s = NULL;
	json_t *rec;
	FILE *mf;
	int rc;

	if ((unsigned)kind >= JOB_KIND__COUNT)
		return -EINVAL;
	fields = eng->kinds[kind]->status_fields;
	rc = jobs_list(eng, &ids, &nids);
	if (rc < 0)
		return rc;
	mf = open_memstream(&s, &n);
	if (!mf) {
		free(ids);
		return -ENOMEM;
	}
	for (k = 0; fields[k]; k++)
		fprintf(mf, "%s%s", k ? "\t" : "", fields[k]);
	fputc('\n', mf);
	for (i = 0; i < nids; i++) {
		if (job_record(eng, ids[i], &rec) < 0)
			continue;
		if (fields_of(eng, rec) == fields)
			show_row(mf, rec, fields);
		json_decref(rec);
	}
	fclose(mf);
	free(ids);
	if (!s)
		return -ENOMEM;
	*text = s;
	*len = n;
	return 0;
}
