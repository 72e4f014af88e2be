/* SPDX-License-Identifier: MIT */
/*
 * job_backup.c - BACKUP: local tables into the mounted repository, in the
 * layout Doris writes (see shared/reference/doris-repository-format.md):
 *
 *   SNAPSHOTING      hard-link every file of the chosen tablets into
 *                    BACKEND/snapshot/<job>/<tablet>/ in one pass, while
 *                    the job holds the tables (writes to them are EBUSY);
 *   UPLOAD_SNAPSHOT  count what is to send;
 *   UPLOADING        send each file as __ss_<label>/__ss_content/__db_<id>/
 *                    __tbl_<id>/__part_<id>/__idx_<id>/__<tablet>/<f>.<md5>,
 *                    in parallel, MD5-checking the bytes as they are read;
 *                    an object already there under that name is not sent
 *                    again;
 *   SAVE_META        build the __meta and __info_ documents;
 *   UPLOAD_INFO      send __meta.<md5>, then __info_<ts>.<md5> last: a
 *                    snapshot is complete exactly when its info exists.
 *
 * A cancelled backup removes what it uploaded (its label was new), and its
 * info object never exists, so nothing it leaves looks complete.
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

#include "cluster/cluster.h"
#include "base/base.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "spec.h"
#include "store/store.h"

#include "base/banned.h"

/* FeMetaVersion the documents we write claim (JSON meta from 136 on). */
#define BACKUP_META_VERSION 140

/* One tablet to send, flattened out of the plan. */
struct btab {
	json_t *table, *part, *index, *tablet; /* borrowed from the plan */
};

struct backup_work {
	struct btab *tabs;
	size_t ntabs;
	atomic_size_t next;
	/* Objects of this database in other labels of the repository, by
	 * their key below __ss_content/ ("__db_../__tbl_../.../<f>.<md5>"):
	 * an unchanged file is copied inside the store instead of sent.
	 * Read-only while the upload threads run; NULL if none. */
	json_t *donors;
};

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

struct table_scan {
	json_t *arr;
};

static int collect_table(const char *key, json_t *val, void *arg)
{
	struct table_scan *ts = arg;

	return json_array_append(ts->arr, val) < 0 ? -ENOMEM : 0;
}

/* The timestamp name of a backup taken at @ms, in the flavor's format. */
static void backup_ts(enum repo_flavor flavor, int64_t ms, char *buf,
		      size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	/* Doris formats in the FE's zone; ours is this machine's. */
	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	strftime(buf, len, "%Y-%m-%d-%H-%M-%S", &tm);
	if (flavor == REPO_FLAVOR_STARROCKS)
		snprintf(buf + strlen(buf), len - strlen(buf), "-%03d",
			 (int)(ms % 1000));
}

int job_backup_submit(struct jobs *eng, const struct spec *sp, char *err,
		      size_t errlen, int64_t *job_id)
{
	struct store *st = repo_store(eng->repo);
	struct catalog_txn *t = NULL;
	struct repo_label *l = NULL;
	struct table_scan all = {0};
	json_t *rec = NULL, *tables = NULL, *objs = NULL, *dbrec = NULL, *tbl,
	       *v;
	struct job *jb = NULL, *other;
	char key[600], now[32], ts[40], dir[300];
	struct timespec tv;
	int64_t id, ms;
	size_t i, k;
	int rc;

	if (!sp->db)
		return job_errf(err, errlen, -EINVAL,
				"BACKUP needs a database: BACKUP SNAPSHOT "
				"db.%s TO %s ...",
				sp->label, sp->repo);
	if (strcmp(sp->repo, repo_name(eng->repo)) != 0)
		return job_errf(
			err, errlen, -ENOENT,
			"repository \"%s\" is not the mounted repository "
			"\"%s\"",
			sp->repo, repo_name(eng->repo));
	if (sp->content == SPEC_CONTENT_METADATA_ONLY &&
	    repo_flavor(eng->repo) == REPO_FLAVOR_STARROCKS)
		return job_errf(
			err, errlen, -EINVAL,
			"\"content\" = \"metadata_only\" is a Doris "
			"feature: a StarRocks repository's RESTORE needs "
			"every tablet's data");
	if (!store_can(st, STORE_CAP_WRITE))
		return job_errf(err, errlen, -EROFS,
				"the repository at %s cannot be written",
				st->url);
	/* As Doris: a label that exists in the repository is refused. */
	snprintf(dir, sizeof(dir), "__ss_%s", sp->label);
	rc = repo_label_load(eng->repo, dir, &l);
	repo_label_free(l);
	if (rc == 0)
		return job_errf(err, errlen, -EEXIST,
				"Snapshot with name '%s' already exist in "
				"repository '%s'",
				sp->label, repo_name(eng->repo));
	if (rc != -ENOENT)
		return job_errf(err, errlen, rc, "cannot list %s: %s", dir,
				strerror(-rc));

	rc = catalog_begin(cluster_catalog(eng->cl), true, &t);
	if (rc < 0)
		return rc;
	snprintf(key, sizeof(key), "db/%s", sp->db);
	rc = catalog_get(t, key, &dbrec);
	if (rc == -ENOENT) {
		rc = job_errf(err, errlen, rc,
			      "database \"%s\" is not in the local cluster",
			      sp->db);
		goto out;
	}
	if (rc < 0)
		goto out;
	all.arr = json_array();
	snprintf(key, sizeof(key), "table/%s/", sp->db);
	rc = all.arr ? catalog_scan(t, key, collect_table, &all) : -ENOMEM;
	if (rc < 0)
		goto out;
	tables = json_array();
	objs = json_array();
	if (!tables || !objs) {
		rc = -ENOMEM;
		goto out;
	}
	/* The chosen tables, each cut down to the chosen partitions. */
	for (i = 0; i < (sp->ntables ? sp->ntables : json_array_size(all.arr));
	     i++) {
		const struct spec_table *want =
			sp->ntables ? &sp->tables[i] : NULL;

		tbl = want ? catalog_find_named(all.arr, want->name, true)
			   : json_array_get(all.arr, i);
		if (!tbl) {
			rc = job_errf(err, errlen, -ENOENT,
				      "table \"%s\" is not in database \"%s\"",
				      want->name, sp->db);
			goto out;
		}
		if (strcmp(jstr(tbl, "state"), "NORMAL") != 0) {
			rc = job_errf(err, errlen, -EBUSY,
				      "table %s.%s is being restored", sp->db,
				      jstr(tbl, "name"));
			goto out;
		}
		tbl = json_deep_copy(tbl);
		if (!tbl || json_array_append_new(tables, tbl) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		if (want && want->npartitions) {
			json_t *keep = json_array();

			for (k = 0; keep && k < want->npartitions; k++) {
				v = catalog_find_named(
					json_object_get(tbl, "partitions"),
					want->partitions[k], true);
				if (!v) {
					json_decref(keep);
					rc = job_errf(
						err, errlen, -ENOENT,
						"partition \"%s\" is not in "
						"table %s.%s",
						want->partitions[k], sp->db,
						want->name);
					goto out;
				}
				json_array_append(keep, v);
			}
			json_object_set_new(tbl, "partitions", keep);
		}
		json_array_append_new(objs, json_string(jstr(tbl, "name")));
	}
	if (json_array_size(tables) == 0) {
		rc = job_errf(err, errlen, -ENOENT,
			      "database \"%s\" has no tables to back up",
			      sp->db);
		goto out;
	}
	rc = catalog_alloc_ids(t, 1, &id);
	if (rc < 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &tv);
	ms = (int64_t)tv.tv_sec * 1000 + tv.tv_nsec / 1000000;
	backup_ts(repo_flavor(eng->repo), ms, ts, sizeof(ts));
	job_now(now, sizeof(now));
	rec = json_pack(
		"{s:s, s:I, s:s, s:s, s:s, s:s, s:O, s:s, s:n, s:n, s:n, "
		"s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:{s:O}}",
		"Type", "BACKUP", "JobId", (json_int_t)id, "SnapshotName",
		sp->label, "Timestamp", ts, "DbName", sp->db, "State",
		"PENDING", "BackupObjs", objs, "CreateTime", now,
		"SnapshotFinishedTime", "UploadFinishedTime", "FinishedTime",
		"UnfinishedTasks", 0, "Progress", "0/0 files", "TaskErrMsg", "",
		"Status", "[OK]", "Timeout", (json_int_t)sp->timeout_s,
		"created_at", (json_int_t)tv.tv_sec, "backup_time",
		(json_int_t)ms, "Repository", repo_name(eng->repo), "Content",
		sp->content == SPEC_CONTENT_METADATA_ONLY ? "METADATA_ONLY"
							  : "ALL",
		"db_id", (json_int_t)jint(dbrec, "id"), "plan", "tables",
		tables);
	if (!rec) {
		rc = -ENOMEM;
		goto out;
	}
	jb = job_new(eng, id, json_incref(rec));
	if (!jb) {
		json_decref(rec);
		rc = -ENOMEM;
		goto out;
	}
	jb->holds = calloc(json_array_size(tables) + 1, sizeof(char *));
	if (!jb->holds) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach (tables, i, tbl) {
		jb->holds[jb->nholds] = strdup(jstr(tbl, "name"));
		if (!jb->holds[jb->nholds++]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	job_key(id, key, sizeof(key));
	rc = catalog_put(t, key, rec);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&eng->lock);
	other = job_running_for_db_locked(eng, sp->db);
	for (jb->next = eng->list; !other && jb->next;
	     jb->next = jb->next->next)
		if (jb->next->running && jb->next->kind == JOB_KIND_BACKUP &&
		    !jb->next->committing && jb->next->state != JOB_FINISHED &&
		    jb->next->state != JOB_CANCELLED &&
		    strcmp(jstr(jb->next->rec, "SnapshotName"), sp->label) == 0)
			other = jb->next;
	if (other) {
		rc = job_errf(
			err, errlen, -EBUSY,
			"database \"%s\" or label \"%s\" has a running job "
			"%" PRId64 " (%s); wait for it or CANCEL",
			sp->db, sp->label, other->id,
			job_state_name(other->state));
		pthread_mutex_unlock(&eng->lock);
		goto out;
	}
	rc = catalog_commit(t);
	t = NULL;
	if (rc == 0) {
		jb->next = eng->list;
		eng->list = jb;
		jb->linked = true;
		jb->running = true;
	}
	pthread_mutex_unlock(&eng->lock);
	if (rc < 0)
		goto out;
	snap_log(LOG_INFO, "job %" PRId64 ": BACKUP %s.%s to %s as %s", id,
		 sp->db, sp->label, repo_name(eng->repo), ts);
	if (job_id)
		*job_id = id;
	rc = job_spawn(jb);
	jb = NULL;
out:
	catalog_abort(t);
	json_decref(rec);
	json_decref(dbrec);
	json_decref(all.arr);
	json_decref(tables);
	json_decref(objs);
	if (jb) {
		json_decref(jb->rec);
		job_backup_release(jb);
		free(jb);
	}
	return rc;
}

void job_backup_release(struct job *jb)
{
	size_t i;

	for (i = 0; i < jb->nholds; i++)
		free(jb->holds[i]);
	free(jb->holds);
	jb->holds = NULL;
	if (jb->bwork) {
		json_decref(jb->bwork->donors);
		free(jb->bwork->tabs);
		free(jb->bwork);
		jb->bwork = NULL;
	}
}

static int flatten(struct job *jb)
{
	struct backup_work *w = jb->bwork;
	json_t *tbl, *p, *ix, *tab;
	size_t a, b, c, d, cap = 0;

	json_array_foreach (
		json_object_get(json_object_get(jb->rec, "plan"), "tables"), a,
		tbl)
		json_array_foreach (json_object_get(tbl, "partitions"), b, p)
			json_array_foreach (json_object_get(p, "indexes"), c,
					    ix)
				json_array_foreach (
					json_object_get(ix, "tablets"), d,
					tab) {
					if (w->ntabs == cap) {
						struct btab *v;

						cap = cap ? cap * 2 : 64;
						v = realloc(w->tabs,
							    cap * sizeof(*v));
						if (!v)
							return -ENOMEM;
						w->tabs = v;
					}
					w->tabs[w->ntabs++] =
						(struct btab){tbl, p, ix, tab};
				}
	return 0;
}

static json_t *replica0(json_t *tab)
{
	return json_array_get(json_object_get(tab, "replicas"), 0);
}

/* The first replica's directory and backend of a tablet. */
static int source_dir(struct job *jb, json_t *tab, char *buf, size_t len,
		      unsigned *be)
{
	json_t *rep = replica0(tab);

	*be = (unsigned)jint(rep, "backend");
	return cluster_replica_dir(jb->eng->cl, *be, jint(tab, "id"),
				   jint(rep, "id"), jint(rep, "gen"), buf, len);
}

/* Hard links of every file, taken while the job holds the tables. */
static int do_snapshoting(struct job *jb)
{
	struct backup_work *w = jb->bwork;
	char src[PATH_MAX], dst[PATH_MAX], a[PATH_MAX + 256], b[PATH_MAX + 256];
	json_t *f;
	unsigned be;
	size_t i, k;
	int rc;

	for (i = 0; i < w->ntabs; i++) {
		json_t *tab = w->tabs[i].tablet;

		rc = source_dir(jb, tab, src, sizeof(src), &be);
		if (rc == 0)
			rc = cluster_make_snapshot_dir(jb->eng->cl, be, jb->id,
						       jint(tab, "id"), dst,
						       sizeof(dst));
		if (rc < 0)
			return rc;
		json_array_foreach (json_object_get(replica0(tab), "files"), k,
				    f) {
			snprintf(a, sizeof(a), "%s/%s", src, jstr(f, "name"));
			snprintf(b, sizeof(b), "%s/%s", dst, jstr(f, "name"));
			rc = cluster_link_or_copy(a, b);
			if (rc < 0) {
				snap_log(LOG_ERR,
					 "job %" PRId64 ": link %s: %s", jb->id,
					 a, strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

/* The object key of a tablet's directory in the repository. */
static void tablet_key(struct job *jb, const struct btab *bt, char *buf,
		       size_t len)
{
	snprintf(buf, len,
		 "%s__ss_%s/__ss_content/__db_%" PRId64 "/__tbl_%" PRId64
		 "/__part_%" PRId64 "/__idx_%" PRId64 "/__%" PRId64 "/",
		 repo_root(jb->eng->repo), jstr(jb->rec, "SnapshotName"),
		 jint(jb->rec, "db_id"), jint(bt->table, "id"),
		 jint(bt->part, "id"), jint(bt->index, "id"),
		 jint(bt->tablet, "id"));
}

struct file_src {
	struct job *jb;
	int fd;
	struct md5 *md5;
};

static ssize_t file_src_read(void *arg, void *buf, size_t len)
{
	struct file_src *fs = arg;
	ssize_t n;

	/* A cancel stops a large upload between parts (the store then
	 * aborts the multipart upload). */
	job_test_pause(fs->jb, "SNAPFS_TEST_SOURCE_DELAY_MS");
	if (job_should_stop(fs->jb))
		return -ECANCELED;
	n = read(fs->fd, buf, len);

	if (n < 0)
		return -errno;
	md5_update(fs->md5, buf, (size_t)n);
	return n;
}

/* Where "__ss_<label>/__ss_content/" ends in @key, or NULL. */
static const char *content_rel(const char *key)
{
	const char *p = strstr(key, "/__ss_content/");

	return p ? p + strlen("/__ss_content/") : NULL;
}

struct donor_ctx {
	json_t *map;
	size_t n;
};

static int donor_cb(const struct store_entry *e, void *arg)
{
	struct donor_ctx *c = arg;
	const char *rel = content_rel(e->key);
	json_t *v;

	/* Keep the first (oldest label in byte order) of equal names. */
	if (e->is_prefix || !rel || json_object_get(c->map, rel))
		return 0;
	v = json_pack("{s:s, s:I}", "key", e->key, "size", (json_int_t)e->size);
	if (!v || json_object_set_new(c->map, rel, v) < 0)
		return -ENOMEM;
	c->n++;
	return 0;
}

struct label_ctx {
	struct job *jb;
	struct donor_ctx *d;
};

static int donor_label(const struct repo_label_ref *ref, void *arg)
{
	struct label_ctx *lc = arg;
	struct job *jb = lc->jb;
	char prefix[1024];
	int rc;

	if (strcmp(ref->dir + 5, jstr(jb->rec, "SnapshotName")) == 0)
		return 0; /* our own label */
	snprintf(prefix, sizeof(prefix), "%s%s/__ss_content/__db_%" PRId64 "/",
		 repo_root(jb->eng->repo), ref->dir, jint(jb->rec, "db_id"));
	rc = store_list(repo_store(jb->eng->repo), prefix, NULL, donor_cb,
			lc->d);
	if (rc < 0)
		snap_log(LOG_WARNING,
			 "job %" PRId64 ": cannot list %s for unchanged "
			 "files: %s",
			 jb->id, prefix, store_strerror(rc));
	return 0;
}

/*
 * Where the store copies objects itself (S3 CopyObject), index what
 * earlier backups of this database in this repository hold: a file whose
 * path and MD5 match one of them is copied inside the store instead of
 * being sent again. The object name carries the MD5, so equal names are
 * equal content.
 */
static void find_donors(struct job *jb)
{
	struct donor_ctx d = {.map = json_object()};
	struct label_ctx lc = {.jb = jb, .d = &d};

	if (!d.map ||
	    !store_can(repo_store(jb->eng->repo), STORE_CAP_SERVER_COPY) ||
	    repo_list_labels(jb->eng->repo, donor_label, &lc) < 0 || d.n == 0) {
		json_decref(d.map);
		return;
	}
	snap_log(LOG_INFO,
		 "job %" PRId64 ": %zu objects of earlier backups can be "
		 "copied inside the repository",
		 jb->id, d.n);
	jb->bwork->donors = d.map;
}

/* Copy @key's content from an earlier backup. @return 0 if done. */
static int donor_copy(struct job *jb, const char *key, uint64_t size)
{
	const char *rel = content_rel(key);
	json_t *d = rel && jb->bwork->donors
			    ? json_object_get(jb->bwork->donors, rel)
			    : NULL;
	int rc;

	if (!d || (uint64_t)jint(d, "size") != size)
		return -ENOENT;
	rc = store_copy(repo_store(jb->eng->repo), jstr(d, "key"), key);
	if (rc < 0)
		snap_log(LOG_WARNING,
			 "job %" PRId64 ": copy of %s failed (%s); sending "
			 "it instead",
			 jb->id, jstr(d, "key"), store_strerror(rc));
	return rc;
}

/* Send one file of the snapshot, unless it is there already. */
static int upload_file(struct job *jb, const char *path, const char *key,
		       json_t *f)
{
	struct store *st = repo_store(jb->eng->repo);
	struct file_src src = {.jb = jb, .fd = -1};
	struct store_entry e;
	char hex[MD5_HEX_LEN + 1], msg[700];
	uint64_t size = (uint64_t)jint(f, "size");
	int rc;

	/* Only a resumed job can find its own objects: a new label is
	 * empty (the statement is refused otherwise), so don't ask. */
	if (jb->resumed && store_stat(st, key, &e) == 0 && e.size == size) {
		atomic_fetch_add(&jb->files_reused, 1);
		return 0; /* same name, same MD5: nothing to send */
	}
	if (donor_copy(jb, key, size) == 0) {
		atomic_fetch_add(&jb->files_copied, 1);
		return 0;
	}
	src.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src.fd < 0)
		return -errno;
	rc = md5_new(&src.md5);
	if (rc == 0) {
		rc = store_put(st, key, file_src_read, &src, size, 0);
		if (rc < 0 && rc != -ECANCELED) {
			/* Name the object and what the store said. */
			char what[1024];

			snprintf(what, sizeof(what), "upload %s", key);
			store_explain(rc, what, msg, sizeof(msg));
			snap_log(LOG_ERR, "job %" PRId64 ": %s", jb->id, msg);
			job_request_cancel(jb, "error", msg);
		}
	}
	if (rc == 0) {
		md5_final_hex(src.md5, hex);
		/* The local copy must still be what was recorded. */
		if (strcmp(hex, jstr(f, "md5")) != 0) {
			snprintf(msg, sizeof(msg),
				 "local file %s: content MD5 %s, recorded %s",
				 path, hex, jstr(f, "md5"));
			job_request_cancel(jb, "error", msg);
			store_remove(st, key);
			rc = -EBADMSG;
		}
	}
	md5_free(src.md5);
	close(src.fd);
	if (rc == 0)
		atomic_fetch_add(&jb->files_fetched, 1);
	return rc;
}

static void *upload_thread(void *arg)
{
	struct job *jb = arg;
	struct backup_work *w = jb->bwork;
	char dir[PATH_MAX], path[PATH_MAX + 256], prefix[2048], key[2048 + 300],
		msg[300];
	json_t *f;
	unsigned be;
	size_t i, k;
	int rc = 0;

	while (!job_should_stop(jb)) {
		i = atomic_fetch_add(&w->next, 1);
		if (i >= w->ntabs)
			break;
		be = (unsigned)jint(replica0(w->tabs[i].tablet), "backend");
		rc = cluster_snapshot_dir(jb->eng->cl, be, jb->id,
					  jint(w->tabs[i].tablet, "id"), dir,
					  sizeof(dir));
		tablet_key(jb, &w->tabs[i], prefix, sizeof(prefix));
		json_array_foreach (
			json_object_get(replica0(w->tabs[i].tablet), "files"),
			k, f) {
			if (rc < 0 || job_should_stop(jb))
				break;
			snprintf(path, sizeof(path), "%s/%s", dir,
				 jstr(f, "name"));
			snprintf(key, sizeof(key), "%s%s.%s", prefix,
				 jstr(f, "name"), jstr(f, "md5"));
			rc = upload_file(jb, path, key, f);
			if (rc == 0) {
				atomic_fetch_add(&jb->files_done, 1);
				atomic_fetch_add(&jb->bytes_done,
						 (uint64_t)jint(f, "size"));
				job_test_pause(jb, "SNAPFS_TEST_FILE_DELAY_MS");
			}
		}
		if (rc < 0 && !atomic_load(&jb->cancel)) {
			snprintf(msg, sizeof(msg), "upload failed: %s",
				 strerror(-rc));
			job_request_cancel(jb, "error", msg);
		}
	}
	return NULL;
}

static int do_uploading(struct job *jb)
{
	unsigned n = jb->eng->threads < 32 ? jb->eng->threads : 32, i,
		 started = 0;
	pthread_t th[32];

	atomic_store(&jb->bwork->next, 0);
	if (!jb->bwork->donors)
		find_donors(jb);
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, upload_thread, jb) == 0)
			started++;
	if (started == 0)
		upload_thread(jb);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return job_should_stop(jb) ? -ECANCELED : 0;
}

static void count_files(struct job *jb)
{
	struct backup_work *w = jb->bwork;
	uint64_t files = 0, bytes = 0;
	json_t *f;
	size_t i, k;

	for (i = 0; i < w->ntabs; i++)
		json_array_foreach (
			json_object_get(replica0(w->tabs[i].tablet), "files"),
			k, f) {
			files++;
			bytes += (uint64_t)jint(f, "size");
		}
	pthread_mutex_lock(&jb->eng->lock);
	jb->files_total = files;
	jb->bytes_total = bytes;
	pthread_mutex_unlock(&jb->eng->lock);
}

/* The __info_ document, as BackupJobInfo writes it for the flavor. */
static json_t *build_info(struct job *jb)
{
	bool sr = repo_flavor(jb->eng->repo) == REPO_FLAVOR_STARROCKS;
	bool meta_only = strcmp(jstr(jb->rec, "Content"), "METADATA_ONLY") == 0;
	json_t *info, *objs, *tbl, *p, *ix, *tab, *f, *jt, *jparts, *jp, *jidx,
		*ji, *jtabs, *order, *files;
	size_t a, b, c, d, e;
	char id[32], name[400];

	objs = json_object();
	info = json_pack("{s:s, s:s, s:I, s:I, s:o}", "name",
			 jstr(jb->rec, "SnapshotName"), "database", jb->db,
			 "id", (json_int_t)jint(jb->rec, "db_id"),
			 "backup_time",
			 (json_int_t)jint(jb->rec, "backup_time"),
			 "backup_objects", objs);
	if (!info)
		return NULL;
	json_array_foreach (
		json_object_get(json_object_get(jb->rec, "plan"), "tables"), a,
		tbl) {
		jparts = json_object();
		jt = json_pack("{s:I, s:o}", "id", (json_int_t)jint(tbl, "id"),
			       "partitions", jparts);
		json_object_set_new(objs, jstr(tbl, "name"), jt);
		json_array_foreach (json_object_get(tbl, "partitions"), b, p) {
			jidx = json_object();
			jp = json_pack("{s:I, s:I, s:o}", "id",
				       (json_int_t)jint(p, "id"), "version",
				       (json_int_t)(jint(p, "version") > 0
							    ? jint(p, "version")
							    : 1),
				       "indexes", jidx);
			if (sr)
				json_object_set_new(jp, "version_hash",
						    json_integer(0));
			json_object_set_new(jparts, jstr(p, "name"), jp);
			json_array_foreach (json_object_get(p, "indexes"), c,
					    ix) {
				jtabs = json_object();
				order = json_array();
				ji = json_pack("{s:I, s:i, s:o, s:o}", "id",
					       (json_int_t)jint(ix, "id"),
					       "schema_hash",
					       (int)jint(ix, "schema_hash"),
					       "tablets", jtabs,
					       "tablets_order", order);
				json_object_set_new(jidx, jstr(ix, "name"), ji);
				json_array_foreach (
					json_object_get(ix, "tablets"), d,
					tab) {
					snprintf(id, sizeof(id), "%" PRId64,
						 jint(tab, "id"));
					files = json_array();
					json_array_foreach (
						json_object_get(replica0(tab),
								"files"),
						e, f) {
						if (meta_only)
							break;
						snprintf(name, sizeof(name),
							 "%s.%s",
							 jstr(f, "name"),
							 jstr(f, "md5"));
						json_array_append_new(
							files,
							json_string(name));
					}
					json_object_set_new(jtabs, id, files);
					/* Bucket order: Doris writes numbers,
					 * StarRocks strings. */
					json_array_append_new(
						order,
						sr ? json_string(id)
						   : json_integer(
							     jint(tab, "id")));
				}
			}
		}
	}
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
 * around a description of the tables. It is snapfs's own catalog, not a
 * Doris OlapTable serialisation (see docs/design.md).
 */
static json_t *build_meta(struct job *jb)
{
	json_t *map = json_object(), *tbl, *t;
	size_t i;

	json_array_foreach (
		json_object_get(json_object_get(jb->rec, "plan"), "tables"), i,
		tbl) {
		t = json_deep_copy(tbl);
		if (!t)
			continue;
		json_object_del(t, "state");
		json_object_del(t, "job_id");
		json_object_set_new(t, "clazz", json_string("OlapTable"));
		json_object_set_new(t, "writer", json_string("snapfs"));
		json_object_set_new(map, jstr(tbl, "name"), t);
	}
	return json_pack("{s:s, s:o, s:{}}", "db", jb->db, "tblNameMap", map,
			 "resourceNameMap");
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
	return store_put_buf(repo_store(jb->eng->repo), key, buf, len, 0);
}

static int do_upload_info(struct job *jb)
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
		rc = text ? store_put_buf(st, key, text, strlen(text), 0)
			  : -ENOMEM;
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

struct rm_ctx {
	char **keys;
	size_t n, cap;
	int rc;
};

static int rm_cb(const struct store_entry *e, void *arg)
{
	struct rm_ctx *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		char **k = realloc(c->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		c->keys = k;
		c->cap = cap;
	}
	if (!(c->keys[c->n] = strdup(e->key)))
		return -ENOMEM;
	c->n++;
	return 0;
}

/* A cancelled backup takes back what it sent: its label was new. */
static void cancel(struct job *jb)
{
	struct store *st = repo_store(jb->eng->repo);
	struct rm_ctx c = {0};
	char why[600], prefix[1024];

	pthread_mutex_lock(&jb->eng->lock);
	snprintf(why, sizeof(why), "%s",
		 jb->cancel_msg[0] ? jb->cancel_msg : "cancelled");
	if (!jb->cancel_by[0])
		snprintf(jb->cancel_by, sizeof(jb->cancel_by), "error");
	pthread_mutex_unlock(&jb->eng->lock);
	if (job_set_state(jb, JOB_CANCELLED, NULL, why) < 0)
		return;
	cluster_remove_snapshot(jb->eng->cl, jb->id);
	snprintf(prefix, sizeof(prefix), "%s__ss_%s/", repo_root(jb->eng->repo),
		 jstr(jb->rec, "SnapshotName"));
	/* All that was sent, then batched deletes (S3 DeleteObjects). */
	c.rc = store_list(st, prefix, NULL, rm_cb, &c);
	if (c.rc == 0)
		c.rc = store_remove_many(st, (const char *const *)c.keys, c.n);
	if (c.rc < 0)
		snap_log(LOG_WARNING,
			 "job %" PRId64 ": could not remove all of %s: %s",
			 jb->id, prefix, store_strerror(c.rc));
	while (c.n)
		free(c.keys[--c.n]);
	free(c.keys);
}

void job_backup_run(struct job *jb)
{
	char err[300];
	int rc = 0; /* A resumed backup writes only to the repository it was
		     * started for: its clean-up would delete that label here
		     * otherwise. */
	if (jb->resumed && strcmp(jstr(jb->rec, "Repository"),
				  repo_name(jb->eng->repo)) != 0) {
		snap_log(LOG_ERR,
			 "job %" PRId64 ": BACKUP to repository \"%s\" not "
			 "resumed: \"%s\" is mounted; it resumes when that "
			 "repository is",
			 jb->id, jstr(jb->rec, "Repository"),
			 repo_name(jb->eng->repo));
		return;
	}
	if (!jb->bwork) {
		jb->bwork = calloc(1, sizeof(*jb->bwork));
		if (!jb->bwork || flatten(jb) < 0)
			return; /* resumes at the next start */
	}
	count_files(jb);
	while (jb->state != JOB_FINISHED && jb->state != JOB_CANCELLED) {
		if (jb->eng->stopping)
			return;
		job_test_pause(jb, "SNAPFS_TEST_STATE_DELAY_MS");
		if (jb->state != JOB_UPLOAD_INFO && job_should_stop(jb)) {
			if (jb->eng->stopping)
				return;
			cancel(jb);
			return;
		}
		switch (jb->state) {
		case JOB_PENDING:
			rc = job_set_state(jb, JOB_SNAPSHOTING, NULL, NULL);
			break;
		case JOB_SNAPSHOTING:
			rc = do_snapshoting(jb);
			if (rc == 0)
				rc = job_set_state(jb, JOB_UPLOAD_SNAPSHOT,
						   NULL, NULL);
			break;
		case JOB_UPLOAD_SNAPSHOT:
			rc = job_set_state(jb, JOB_UPLOADING, NULL, NULL);
			break;
		case JOB_UPLOADING:
			if (strcmp(jstr(jb->rec, "Content"), "ALL") == 0)
				rc = do_uploading(jb);
			if (rc == 0)
				rc = job_set_state(jb, JOB_SAVE_META, NULL,
						   NULL);
			break;
		case JOB_SAVE_META:
			rc = job_set_state(jb, JOB_UPLOAD_INFO, NULL, NULL);
			break;
		case JOB_UPLOAD_INFO:
			/* Retried at the next start if it fails, as Doris
			 * retries until the timeout. */
			rc = do_upload_info(jb);
			if (rc == 0)
				rc = job_set_state(jb, JOB_FINISHED, NULL,
						   NULL);
			if (rc == 0)
				cluster_remove_snapshot(jb->eng->cl, jb->id);
			break;
		default:
			return;
		}
		if (rc < 0) {
			if (jb->eng->stopping)
				return;
			if (jb->state == JOB_UPLOAD_INFO) {
				snap_log(LOG_ERR,
					 "job %" PRId64 ": UPLOAD_INFO: %s; "
					 "retried at the next start",
					 jb->id, strerror(-rc));
				return;
			}
			if (!atomic_load(&jb->cancel)) {
				snprintf(err, sizeof(err), "%s failed: %s",
					 job_state_name(jb->state),
					 strerror(-rc));
				job_request_cancel(jb, "error", err);
			}
			cancel(jb);
			return;
		}
	}
}
