/* SPDX-License-Identifier: MIT */
/*
 * job_backup_meta.c - the documents that make a backup a snapshot, in the
 * layout Doris writes (see shared/reference/doris-repository-format.md):
 * __meta.<md5> (the tables), then __info_<ts>.<md5> (the jobinfo) last:
 * a snapshot is complete exactly when its info exists.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "job_backup_int.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "store/store.h"

#include "base/banned.h"

/* FeMetaVersion the documents we write claim (JSON meta from 136 on). */
#define BACKUP_META_VERSION 140

/* An index of the __info_ document: its tablets, each with its files
 * ("<name>.<md5>"; none for metadata only), and their order. */
static json_t *info_index(const struct record_index *ix, bool sr,
			  bool meta_only)
{
	json_t *jtabs = json_object(), *order = json_array(), *files;
	const struct record_replica *r;
	char id[32], name[400];
	size_t d, e;

	for (d = 0; d < ix->ntablets; d++) {
		snprintf(id, sizeof(id), "%" PRId64, ix->tablets[d].id);
		files = json_array();
		r = replica0(&ix->tablets[d]);
		for (e = 0; !meta_only && e < r->nfiles; e++) {
			snprintf(name, sizeof(name), "%s.%s", r->files[e].name,
				 r->files[e].md5);
			json_array_append_new(files, json_string(name));
		}
		json_object_set_new(jtabs, id, files);
		/* Bucket order: Doris writes numbers, StarRocks strings. */
		json_array_append_new(order,
				      sr ? json_string(id)
					 : json_integer(ix->tablets[d].id));
	}
	return json_pack("{s:I, s:i, s:o, s:o}", "id", (json_int_t)ix->id,
			 "schema_hash", (int)ix->schema_hash, "tablets", jtabs,
			 "tablets_order", order);
}

/* A table of the __info_ document: its partitions and their indexes. */
static json_t *info_table(const struct record_table *tbl, bool sr,
			  bool meta_only)
{
	const struct record_partition *p;
	json_t *jparts = json_object(), *jp, *jidx;
	size_t b, c;

	for (b = 0; b < tbl->nparts; b++) {
		p = &tbl->parts[b];
		jidx = json_object();
		jp = json_pack("{s:I, s:I, s:o}", "id", (json_int_t)p->id,
			       "version",
			       (json_int_t)(p->version > 0 ? p->version : 1),
			       "indexes", jidx);
		if (sr)
			json_object_set_new(jp, "version_hash",
					    json_integer(0));
		json_object_set_new(jparts, p->name, jp);
		for (c = 0; c < p->nindexes; c++)
			json_object_set_new(
				jidx, p->indexes[c].name,
				info_index(&p->indexes[c], sr, meta_only));
	}
	return json_pack("{s:I, s:o}", "id", (json_int_t)tbl->id, "partitions",
			 jparts);
}

/* The __info_ document, as BackupJobInfo writes it for the flavor. */
static json_t *build_info(struct job *jb)
{
	const struct backup_work *w = jb->work;
	bool sr = repo_flavor(jb->eng->repo) == REPO_FLAVOR_STARROCKS;
	bool meta_only = strcmp(jstr(jb->rec, "Content"), "METADATA_ONLY") == 0;
	json_t *info, *objs;
	size_t a;

	objs = json_object();
	info = json_pack("{s:s, s:s, s:I, s:I, s:o}", "name",
			 jstr(jb->rec, "SnapshotName"), "database", jb->db,
			 "id", (json_int_t)jint(jb->rec, "db_id"),
			 "backup_time",
			 (json_int_t)jint(jb->rec, "backup_time"),
			 "backup_objects", objs);
	if (!info)
		return NULL;
	for (a = 0; a < w->ntables; a++)
		json_object_set_new(objs, w->tables[a].name,
				    info_table(&w->tables[a], sr, meta_only));
	json_object_set_new(info, "backup_result", json_string("succeed"));
	json_object_set_new(info, "meta_version",
			    json_integer(BACKUP_META_VERSION));
	if (sr) {
		json_object_set_new(info, "starrocks_meta_version",
				    json_integer(4));
	} else {
		json_object_set_new(info, "content",
				    json_string(jstr(jb->rec, "Content")));
		json_object_set_new(info, "new_backup_objects",
				    json_pack("{s:[], s:[], s:[]}", "views",
					      "odbc_tables", "odbc_resources"));
	}
	return info;
}

/*
 * The __meta document: the framing Doris reads for meta_version >= 136
 * around a description of the tables. It is snapfs's own catalog record
 * (record.h's META form: without the local state), not a Doris OlapTable
 * serialisation (see docs/design.md).
 */
static json_t *build_meta(struct job *jb)
{
	const struct backup_work *w = jb->work;
	json_t *map = json_object(), *t;
	size_t i;

	for (i = 0; map && i < w->ntables; i++) {
		if (record_table_to_json(&w->tables[i], RECORD_JSON_META, &t) <
			    0 ||
		    json_object_set_new(map, w->tables[i].name, t) < 0) {
			json_decref(map);
			return NULL; /* out of memory: none, not a part */
		}
		json_object_set_new(t, "clazz", json_string("OlapTable"));
		json_object_set_new(t, "writer", json_string("snapfs"));
	}
	return json_pack("{s:s, s:o, s:{}}", "db", jb->db, "tblNameMap", map,
			 "resourceNameMap");
}

/* Put @buf as @key, logging a failure with the object's name and the
 * store's reason: a failure here leaves the job in UPLOAD_INFO, which
 * shows no error, so the log is where it is told. */
static int put_logged(struct job *jb, const char *key, const char *buf,
		      size_t len)
{
	int rc = store_put_buf(repo_store(jb->eng->repo), key, buf, len, 0);
	char what[2100], msg[2400];

	if (rc < 0) {
		snprintf(what, sizeof(what), "upload %s", key);
		snap_log(LOG_ERR, "job %" PRId64 ": %s", jb->id,
			 store_explain(rc, what, msg, sizeof(msg)));
	}
	return rc;
}

/* Upload bytes as "<dir><name>.<md5>". */
static int put_named(struct job *jb, const char *dir, const char *name,
		     const char *buf, size_t len)
{
	char hex[MD5_HEX_LEN + 1], key[2048];
	int rc = md5_hex(buf, len, hex);

	if (rc < 0)
		return rc;
	snprintf(key, sizeof(key), "%s%s.%s", dir, name, hex);
	return put_logged(jb, key, buf, len);
}

int job_backup_meta_upload(struct job *jb)
{
	struct store *st = repo_store(jb->eng->repo);
	char dir[1024], key[1100], *text = NULL, *framed = NULL, name[80];
	json_t *doc, *ri;
	size_t flen;
	struct store_entry e;
	int rc;

	/* __repo_info: written once, directly, when the repository has
	 * none. */
	snprintf(key, sizeof(key), "%s__repo_info", repo_root(jb->eng->repo));
	if (store_stat(st, key, &e) == -ENOENT) {
		char now[32];

		job_now(now, sizeof(now));
		ri = json_pack("{s:s, s:s}", "name", repo_name(jb->eng->repo),
			       "create_time", now);
		text = ri ? json_dumps(ri, JSON_COMPACT) : NULL;
		json_decref(ri);
		rc = text ? put_logged(jb, key, text, strlen(text)) : -ENOMEM;
		free(text);
		text = NULL;
		if (rc < 0)
			return rc;
	}
	snprintf(dir, sizeof(dir), "%s__ss_%s/", repo_root(jb->eng->repo),
		 jstr(jb->rec, "SnapshotName"));
	doc = build_meta(jb);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	rc = text ? meta_frame(text, strlen(text), &framed, &flen) : -ENOMEM;
	free(text);
	if (rc == 0)
		rc = put_named(jb, dir, "__meta", framed, flen);
	free(framed);
	if (rc < 0)
		return rc;
	/* Last: with it, the snapshot is complete. */
	doc = build_info(jb);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	snprintf(name, sizeof(name), "__info_%s", jstr(jb->rec, "Timestamp"));
	rc = put_named(jb, dir, name, text, strlen(text));
	free(text);
	return rc;
}
