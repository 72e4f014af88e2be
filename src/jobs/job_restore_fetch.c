/* SPDX-License-Identifier: MIT */
/*
 * job_restore_fetch.c - RESTORE's work on the local disks: the planned
 * replicas' directories (SNAPSHOTING), the listing of what each tablet
 * holds in the repository (DOWNLOAD), and the download itself
 * (DOWNLOADING): in parallel, MD5-checked as it streams, each file
 * renamed into place only once it checks out, a file the table already
 * has (same name and MD5) linked instead of fetched, and every further
 * replica linked (or copied) from the first.
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
#include <unistd.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "job_restore_int.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "store/store.h"

#include "base/banned.h"

int job_restore_fetch_mkdirs(struct job *jb)
{
	struct restore_work *w = jb->work;
	const struct record_replica *r;
	char dir[PATH_MAX] = "";
	size_t i, k;
	int rc;

	for (i = 0; i < w->ntabs; i++) {
		const struct record_tablet *tab = w->tabs[i].tablet;

		for (k = 0; k < tab->nreplicas; k++) {
			r = &tab->replicas[k];
			rc = cluster_replica_path(jb->eng->cl, tab->id, r, dir,
						  sizeof(dir));
			if (rc == 0)
				rc = cluster_make_replica(jb->eng->cl,
							  r->backend, tab->id,
							  r->id, r->gen);
			if (rc < 0) {
				snap_log(LOG_ERR,
					 "job %" PRId64 ": mkdir %s: %s",
					 jb->id, dir, strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

/* Objects in a snapshot's __ss_content/, counted from its info (files
 * the info doesn't list, as StarRocks writes, count as 3 per tablet). */
static size_t snapshot_files(const struct jobinfo *ji)
{
	size_t n = 0, a, b, c, d;

	for (a = 0; a < ji->ntables; a++)
		for (b = 0; b < ji->tables[a].npartitions; b++)
			for (c = 0; c < ji->tables[a].partitions[b].nindexes;
			     c++) {
				const struct jobinfo_index *ix =
					&ji->tables[a].partitions[b].indexes[c];

				for (d = 0; d < ix->ntablets; d++)
					n += ix->tablets[d].nfiles
						     ? ix->tablets[d].nfiles
						     : 3;
			}
	return n;
}

/* A listing failed with @rc: cancel naming what was listed and what the
 * store said, as a failed download does. @return @rc. */
static int list_failed(struct job *jb, int rc, const char *what)
{
	char msg[1024];

	if (rc == -ECANCELED)
		return rc;
	store_explain(rc, what, msg, sizeof(msg));
	snap_log(LOG_ERR, "job %" PRId64 ": %s", jb->id, msg);
	job_request_cancel(jb, "error", msg);
	return rc;
}

int job_restore_fetch_list(struct job *jb)
{
	struct restore_work *w = jb->work;
	const struct jobinfo_table *t;
	const struct jobinfo_index *ix;
	const struct jobinfo_tablet *tb;
	struct repo_listing *l = NULL;
	uint64_t files = 0, bytes = 0;
	size_t i, k;
	int rc = 0;

	if (!w->snap)
		return -ENOENT; /* resumed, and the snapshot is gone */
	/* Remote: one flat listing of the snapshot (a request per 1000
	 * objects) where that is fewer requests than one per tablet. */
	if (store_can(repo_store(jb->eng->repo), STORE_CAP_REMOTE) &&
	    w->ntabs > 1 && w->ntabs * 1000 > snapshot_files(w->snap->ji)) {
		rc = repo_listing_load(jb->eng->repo, w->snap, &l);
		if (rc < 0)
			return list_failed(jb, rc,
					   "list the snapshot's objects");
	}
	for (i = 0; i < w->ntabs; i++) {
		rc = job_restore_plan_source(
			w->snap->ji, w->tabs[i].tablet->src, &t, &ix, &tb);
		if (rc < 0) {
			job_request_cancel(jb, "error",
					   "a planned tablet is not in the "
					   "snapshot any more");
			break;
		}
		rc = repo_tablet_files_in(jb->eng->repo, w->snap, l, t, ix, tb,
					  &w->tabs[i].files,
					  &w->tabs[i].nfiles);
		if (rc < 0) {
			char what[64];

			snprintf(what, sizeof(what),
				 "list the objects of tablet %" PRId64, tb->id);
			list_failed(jb, rc, what);
			break;
		}
		for (k = 0; k < w->tabs[i].nfiles; k++) {
			files++;
			bytes += w->tabs[i].files[k].size;
		}
		if (job_should_stop(jb)) {
			rc = -ECANCELED;
			break;
		}
	}
	repo_listing_free(l);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&jb->eng->lock);
	jb->files_total = files;
	jb->bytes_total = bytes;
	pthread_mutex_unlock(&jb->eng->lock);
	return 0;
}

/* Is @name with @md5 in the old replica's file list? */
static bool old_has(const struct record_replica *old, const char *name,
		    const char *md5)
{
	const struct record_file *f = record_file_find(old, name);

	return f && strcmp(f->md5, md5) == 0;
}

/* All of @buf, or -errno (ENOSPC as it is: a full disk says so). */
static int write_all(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Download one object into @path, checking its MD5 as it streams. */
static int fetch(struct job *jb, const struct repo_file *f, const char *path)
{
	struct store *st = repo_store(jb->eng->repo);
	char tmp[PATH_MAX], hex[MD5_HEX_LEN + 1], msg[1024];
	/* Remote: one request per file up to 8 MiB. */
	const size_t chunk =
		store_can(st, STORE_CAP_REMOTE) ? 8 << 20 : 1 << 20;
	struct md5 *m = NULL;
	uint64_t off = 0;
	char *buf;
	size_t n;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.part", path);
	buf = malloc(chunk);
	rc = buf ? md5_new(&m) : -ENOMEM;
	if (rc < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		rc = store_read(st, f->key, off, buf, chunk, &n);
		if (rc < 0) {
			/* Name the object and what the store said. */
			char what[1024];

			snprintf(what, sizeof(what), "download %s", f->key);
			store_explain(rc, what, msg, sizeof(msg));
			snap_log(LOG_ERR, "job %" PRId64 ": %s", jb->id, msg);
			job_request_cancel(jb, "error", msg);
			break;
		}
		if (n == 0)
			break;
		md5_update(m, buf, n);
		rc = write_all(fd, buf, n);
		if (rc < 0)
			break;
		off += n;
		atomic_fetch_add(&jb->bytes_done, n);
		if (job_should_stop(jb)) {
			rc = -ECANCELED;
			break;
		}
		/* The end of the object: don't ask past it. With the size
		 * listed, a short count is not the end: a store may answer
		 * in pieces, and stopping there would fail the MD5 check. */
		if (f->present ? off >= f->size : n < chunk)
			break;
	} /* On disk before it gets its final name: the commit may follow. */
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		goto out;
	md5_final_hex(m, hex);
	if (strcmp(hex, f->md5) != 0) {
		snprintf(msg, sizeof(msg),
			 "file %s: content MD5 %s does not match %s in its "
			 "object name",
			 f->key, hex, f->md5);
		snap_log(LOG_ERR, "job %" PRId64 ": %s", jb->id, msg);
		job_request_cancel(jb, "error", msg);
		rc = -EBADMSG;
		goto out;
	}
	if (rename(tmp, path) < 0)
		rc = -errno;
out:
	if (rc < 0)
		unlink(tmp);
	md5_free(m);
	free(buf);
	return rc;
}

/*
 * The name a file gets in the local tablet: as the Doris BE does on
 * restore, the tablet meta "<source tablet>.hdr" becomes
 * "<local tablet>.hdr"; data files keep their names.
 */
static void local_name(const char *name, int64_t src_tid, int64_t tid,
		       char *buf, size_t len)
{
	char hdr[40];

	snprintf(hdr, sizeof(hdr), "%" PRId64 ".hdr", src_tid);
	if (strcmp(name, hdr) == 0)
		snprintf(buf, len, "%" PRId64 ".hdr", tid);
	else
		snprintf(buf, len, "%s", name);
}

/* What download_tablet() works with for one tablet. */
struct dl {
	struct job *jb;
	struct record_tablet *tab;
	const struct record_replica *old; /* to link unchanged files from */
	int64_t src_tid;		  /* the tablet in the snapshot */
	char d0[PATH_MAX], od[PATH_MAX];  /* first and old replica dirs */
};

/* One file into the first replica (already here, linked from the old
 * replica, or downloaded), then linked into the others. */
static int download_file(struct dl *d, const struct repo_file *f,
			 const char *lname)
{
	struct job *jb = d->jb;
	char di[PATH_MAX], p0[PATH_MAX], pi[PATH_MAX], po[PATH_MAX];
	struct stat sb;
	size_t k;
	int rc;

	snprintf(p0, sizeof(p0), "%s/%s", d->d0, lname);
	if (d->old)
		snprintf(po, sizeof(po), "%s/%s", d->od, lname);
	/* Already here from before a restart: it was renamed into place
	 * only after its MD5 checked out. */
	if (stat(p0, &sb) == 0 && (uint64_t)sb.st_size == f->size) {
		atomic_fetch_add(&jb->bytes_done, f->size);
		atomic_fetch_add(&jb->files_reused, 1);
	} else if (d->old && old_has(d->old, lname, f->md5) &&
		   cluster_link_or_copy(po, p0) == 0) {
		/* The table already has this exact file. */
		atomic_fetch_add(&jb->bytes_done, f->size);
		atomic_fetch_add(&jb->files_reused, 1);
	} else {
		rc = fetch(jb, f, p0);
		if (rc < 0)
			return rc;
		atomic_fetch_add(&jb->files_fetched, 1);
	}
	for (k = 1; k < d->tab->nreplicas; k++) {
		rc = cluster_replica_path(jb->eng->cl, d->tab->id,
					  &d->tab->replicas[k], di, sizeof(di));
		if (rc < 0)
			return rc;
		snprintf(pi, sizeof(pi), "%s/%s", di, lname);
		rc = cluster_link_or_copy(p0, pi);
		if (rc < 0) {
			snap_log(LOG_ERR, "job %" PRId64 ": %s: %s", jb->id, pi,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* Every file of one tablet; on success each replica lists the files it
 * holds (the commit stores them), else none does. */
static int download_tablet(struct job *jb, struct rtab *rt)
{
	static const struct record_replica none;
	struct dl d = {.jb = jb, .tab = rt->tablet, .old = rt->tablet->old};
	struct record_replica *r0 = d.tab->replicas;
	char lname[NAME_MAX + 1], msg[600];
	size_t i;
	int rc;

	if (d.tab->nreplicas == 0) { /* a plan always gives replicas */
		snap_log(LOG_ERR,
			 "job %" PRId64 ": tablet %" PRId64 " has no replica "
			 "in the plan",
			 jb->id, d.tab->id);
		return -EIO;
	}
	d.src_tid = d.tab->src ? d.tab->src->tablet : 0;
	rc = cluster_replica_path(jb->eng->cl, d.tab->id, r0, d.d0,
				  sizeof(d.d0));
	if (rc < 0)
		return rc;
	if (d.old && cluster_replica_path(jb->eng->cl, d.tab->id, d.old, d.od,
					  sizeof(d.od)) < 0)
		d.old = NULL;
	/* Copying no files allocates nothing: it can't fail. */
	record_replica_copy_files(r0, &none);
	for (i = 0; rc == 0 && i < rt->nfiles; i++) {
		const struct repo_file *f = &rt->files[i];

		if (!f->present) {
			snprintf(msg, sizeof(msg),
				 "file %s is listed in the snapshot but "
				 "missing from the repository",
				 f->key);
			job_request_cancel(jb, "error", msg);
			rc = -ENOENT;
			break;
		}
		local_name(f->name, d.src_tid, d.tab->id, lname, sizeof(lname));
		rc = download_file(&d, f, lname);
		if (rc == 0 &&
		    !record_replica_add_file(r0, lname, f->md5, f->size))
			rc = -ENOMEM;
		if (rc < 0)
			break;
		atomic_fetch_add(&jb->files_done, 1);
		job_test_pause(jb, "SNAPFS_TEST_FILE_DELAY_MS");
		if (job_should_stop(jb))
			rc = -ECANCELED;
	}
	r0->has_files = rc == 0;
	for (i = 1; rc == 0 && i < d.tab->nreplicas; i++)
		rc = record_replica_copy_files(&d.tab->replicas[i], r0);
	if (rc < 0)
		record_replica_copy_files(r0, &none);
	return rc;
}

static void *download_thread(void *arg)
{
	struct job *jb = arg;
	struct restore_work *w = jb->work;
	size_t i;
	int rc;

	while (!job_should_stop(jb)) {
		i = atomic_fetch_add(&w->next, 1);
		if (i >= w->ntabs)
			break;
		rc = download_tablet(jb, &w->tabs[i]);
		if (rc < 0 && rc != -ECANCELED && !atomic_load(&jb->cancel)) {
			char msg[128];

			snprintf(msg, sizeof(msg), "download failed: %s",
				 strerror(-rc)); /* unless fetch() named it */
			job_request_cancel(jb, "error", msg);
		}
	}
	return NULL;
}

int job_restore_fetch_all(struct job *jb)
{
	struct restore_work *w = jb->work;
	int rc;

	atomic_store(&w->next, 0);
	atomic_store(&jb->files_done, 0);
	atomic_store(&jb->bytes_done, 0);
	atomic_store(&jb->files_fetched, 0);
	atomic_store(&jb->files_reused, 0);
	rc = job_run_workers(jb, download_thread);
	if (rc < 0)
		return rc;
	/* The replicas' file lists, into the record the next state stores. */
	return job_restore_plan_write(jb);
}
