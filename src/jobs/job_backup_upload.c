/* SPDX-License-Identifier: MIT */
/*
 * job_backup_upload.c - BACKUP's files: hard links of every file of the
 * chosen tablets into BACKEND/snapshot/<job>/<tablet>/ in one pass
 * (SNAPSHOTING, while the job holds the tables), then each file sent as
 * __ss_<label>/__ss_content/__db_<id>/__tbl_<id>/__part_<id>/__idx_<id>/
 * __<tablet>/<f>.<md5> (UPLOADING), in parallel, MD5-checking the bytes as
 * they are read. An object already there under that name is not sent
 * again, and one an earlier backup holds is copied inside the store.
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

/* The first replica's directory of a tablet. */
static int source_dir(struct job *jb, const struct record_tablet *tab,
		      char *buf, size_t len)
{
	return cluster_replica_path(jb->eng->cl, tab->id, replica0(tab), buf,
				    len);
}

/* Hard links of every file, taken while the job holds the tables. */
int job_backup_upload_link(struct job *jb)
{
	struct backup_work *w = jb->work;
	char src[PATH_MAX], dst[PATH_MAX], a[PATH_MAX + 256], b[PATH_MAX + 256];
	const struct record_replica *r;
	size_t i, k;
	int rc;

	for (i = 0; i < w->ntabs; i++) {
		const struct record_tablet *tab = w->tabs[i].tablet;

		r = replica0(tab);
		rc = source_dir(jb, tab, src, sizeof(src));
		if (rc == 0)
			rc = cluster_make_snapshot_dir(jb->eng->cl, r->backend,
						       jb->id, tab->id, dst,
						       sizeof(dst));
		if (rc < 0)
			return rc;
		for (k = 0; k < r->nfiles; k++) {
			snprintf(a, sizeof(a), "%s/%s", src, r->files[k].name);
			snprintf(b, sizeof(b), "%s/%s", dst, r->files[k].name);
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
		 jint(jb->rec, "db_id"), bt->table->id, bt->part->id,
		 bt->index->id, bt->tablet->id);
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
	((struct backup_work *)jb->work)->donors = d.map;
}

/* Copy @key's content from an earlier backup. @return 0 if done. */
static int donor_copy(struct job *jb, const char *key, uint64_t size)
{
	struct backup_work *w = jb->work;
	const char *rel = content_rel(key);
	json_t *d = rel && w->donors ? json_object_get(w->donors, rel) : NULL;
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
		       const struct record_file *f)
{
	struct store *st = repo_store(jb->eng->repo);
	struct file_src src = {.jb = jb, .fd = -1};
	struct store_entry e;
	char hex[MD5_HEX_LEN + 1], msg[700];
	uint64_t size = f->size;
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
		if (strcmp(hex, f->md5) != 0) {
			snprintf(msg, sizeof(msg),
				 "local file %s: content MD5 %s, recorded %s",
				 path, hex, f->md5);
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

/* Send every file of one tablet. @return 0 or -errno (-ECANCELED when
 * told to stop). */
static int upload_tablet(struct job *jb, const struct btab *bt)
{
	const struct record_replica *r = replica0(bt->tablet);
	const struct record_file *f;
	char dir[PATH_MAX], path[PATH_MAX + 256], prefix[2048], key[2048 + 300];
	size_t k;
	int rc;

	rc = cluster_snapshot_dir(jb->eng->cl, r->backend, jb->id,
				  bt->tablet->id, dir, sizeof(dir));
	tablet_key(jb, bt, prefix, sizeof(prefix));
	for (k = 0; rc == 0 && k < r->nfiles; k++) {
		if (job_should_stop(jb))
			break;
		f = &r->files[k];
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		snprintf(key, sizeof(key), "%s%s.%s", prefix, f->name, f->md5);
		rc = upload_file(jb, path, key, f);
		if (rc == 0) {
			atomic_fetch_add(&jb->files_done, 1);
			atomic_fetch_add(&jb->bytes_done, f->size);
			job_test_pause(jb, "SNAPFS_TEST_FILE_DELAY_MS");
		}
	}
	return rc;
}

static void *upload_thread(void *arg)
{
	struct job *jb = arg;
	struct backup_work *w = jb->work;
	char msg[300];
	size_t i;
	int rc;

	while (!job_should_stop(jb)) {
		i = atomic_fetch_add(&w->next, 1);
		if (i >= w->ntabs)
			break;
		rc = upload_tablet(jb, &w->tabs[i]);
		if (rc < 0 && !atomic_load(&jb->cancel)) {
			snprintf(msg, sizeof(msg), "upload failed: %s",
				 strerror(-rc));
			job_request_cancel(jb, "error", msg);
		}
	}
	return NULL;
}

int job_backup_upload_all(struct job *jb)
{
	struct backup_work *w = jb->work;

	atomic_store(&w->next, 0);
	if (!w->donors)
		find_donors(jb);
	return job_run_workers(jb, upload_thread);
}

void job_backup_upload_count(struct job *jb)
{
	struct backup_work *w = jb->work;
	const struct record_replica *r;
	uint64_t files = 0, bytes = 0;
	size_t i, k;

	for (i = 0; i < w->ntabs; i++) {
		r = replica0(w->tabs[i].tablet);
		files += r->nfiles;
		for (k = 0; k < r->nfiles; k++)
			bytes += r->files[k].size;
	}
	pthread_mutex_lock(&jb->eng->lock);
	jb->files_total = files;
	jb->bytes_total = bytes;
	pthread_mutex_unlock(&jb->eng->lock);
}
