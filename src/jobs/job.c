/* SPDX-License-Identifier: MIT */
/*
 * job.c - the job engine: submission, the one state setter, workers,
 * cancel and timeout, restart recovery, status text.
 *
 * The restore-specific work (plan, download, commit) is in job_restore.c
 * behind job_int.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster.h"
#include "jobs.h"
#include "jobs_int.h"
#include "base/base.h"
#include "spec.h"

#include "base/banned.h"

static const char *const job_state_names[JOB_STATE__COUNT] = {
	[JOB_PENDING] = "PENDING",
	[JOB_SNAPSHOTING] = "SNAPSHOTING",
	[JOB_DOWNLOAD] = "DOWNLOAD",
	[JOB_DOWNLOADING] = "DOWNLOADING",
	[JOB_COMMIT] = "COMMIT",
	[JOB_COMMITTING] = "COMMITTING",
	[JOB_FINISHED] = "FINISHED",
	[JOB_CANCELLED] = "CANCELLED",
	[JOB_UPLOAD_SNAPSHOT] = "UPLOAD_SNAPSHOT",
	[JOB_UPLOADING] = "UPLOADING",
	[JOB_SAVE_META] = "SAVE_META",
	[JOB_UPLOAD_INFO] = "UPLOAD_INFO",
};

/* job_transitions[from][to]: the only legal moves. CANCELLED is reachable
 * from every unfinished state. */
static const bool
	job_transitions[JOB_KIND__COUNT][JOB_STATE__COUNT][JOB_STATE__COUNT] = {
		[JOB_KIND_RESTORE] =
			{
				[JOB_PENDING] = {[JOB_SNAPSHOTING] = true,
						 [JOB_CANCELLED] = true},
				[JOB_SNAPSHOTING] = {[JOB_DOWNLOAD] = true,
						     [JOB_CANCELLED] = true},
				[JOB_DOWNLOAD] = {[JOB_DOWNLOADING] = true,
						  [JOB_CANCELLED] = true},
				[JOB_DOWNLOADING] = {[JOB_COMMIT] = true,
						     [JOB_CANCELLED] = true},
				[JOB_COMMIT] = {[JOB_COMMITTING] = true,
						[JOB_CANCELLED] = true},
				[JOB_COMMITTING] = {[JOB_FINISHED] = true,
						    [JOB_CANCELLED] = true},
			},
		[JOB_KIND_BACKUP] =
			{
				[JOB_PENDING] = {[JOB_SNAPSHOTING] = true,
						 [JOB_CANCELLED] = true},
				[JOB_SNAPSHOTING] = {[JOB_UPLOAD_SNAPSHOT] =
							     true,
						     [JOB_CANCELLED] = true},
				[JOB_UPLOAD_SNAPSHOT] = {[JOB_UPLOADING] = true,
							 [JOB_CANCELLED] =
								 true},
				[JOB_UPLOADING] = {[JOB_SAVE_META] = true,
						   [JOB_CANCELLED] = true},
				[JOB_SAVE_META] = {[JOB_UPLOAD_INFO] = true,
						   [JOB_CANCELLED] = true},
				[JOB_UPLOAD_INFO] = {[JOB_FINISHED] = true,
						     [JOB_CANCELLED] = true},
			},
};

/* From this state on a job can't be cancelled: its effect is one step
 * (restore: the catalog commit; backup: the info object's upload). */
const enum job_state job_no_return[JOB_KIND__COUNT] = {
	[JOB_KIND_RESTORE] = JOB_COMMITTING,
	[JOB_KIND_BACKUP] = JOB_UPLOAD_INFO,
};

const char *job_state_name(enum job_state s)
{
	return (unsigned)s < JOB_STATE__COUNT ? job_state_names[s] : NULL;
}

bool job_transition_ok(enum job_kind kind, enum job_state from,
		       enum job_state to)
{
	return (unsigned)kind < JOB_KIND__COUNT &&
	       (unsigned)from < JOB_STATE__COUNT &&
	       (unsigned)to < JOB_STATE__COUNT &&
	       job_transitions[kind][from][to];
}

enum job_state job_state_from_name(const char *name)
{
	unsigned i;

	for (i = 0; name && i < JOB_STATE__COUNT; i++)
		if (strcmp(job_state_names[i], name) == 0)
			return (enum job_state)i;
	return JOB_STATE__COUNT;
}

void job_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

void job_key(int64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "job/%020" PRId64, id);
}

/* ---- the state setter ---------------------------------------------------- */

/* Which record field a state's entry stamps, per kind. */
static const char *const job_on_enter_stamp[JOB_KIND__COUNT][JOB_STATE__COUNT] =
	{
		[JOB_KIND_RESTORE] =
			{
				[JOB_SNAPSHOTING] = "MetaPreparedTime",
				[JOB_DOWNLOAD] = "SnapshotFinishedTime",
				[JOB_COMMIT] = "DownloadFinishedTime",
				[JOB_FINISHED] = "FinishedTime",
				[JOB_CANCELLED] = "FinishedTime",
			},
		[JOB_KIND_BACKUP] =
			{
				[JOB_UPLOAD_SNAPSHOT] = "SnapshotFinishedTime",
				[JOB_SAVE_META] = "UploadFinishedTime",
				[JOB_FINISHED] = "FinishedTime",
				[JOB_CANCELLED] = "FinishedTime",
			},
};

int job_set_state(struct job *jb, enum job_state to,
		  int (*in_txn)(struct job *jb, struct catalog_txn *t),
		  const char *why)
{
	struct catalog_txn *t = NULL;
	enum job_state from = jb->state;
	char now[32], key[64];
	int rc;
	if (!job_transition_ok(jb->kind, from, to)) {
		snap_log(LOG_ERR,
			 "job %" PRId64 ": illegal transition %s -> %s", jb->id,
			 job_state_name(from), job_state_name(to));
		return -EINVAL;
	}
	job_now(now, sizeof(now));
	pthread_mutex_lock(&jb->eng->lock);
	/* A cancel and the start of the commit exclude each other: once
	 * COMMITTING is on its way, CANCEL is refused (submit_cancel). */
	if (to == job_no_return[jb->kind]) {
		if (atomic_load(&jb->cancel)) {
			pthread_mutex_unlock(&jb->eng->lock);
			return -ECANCELED;
		}
		jb->committing = true;
	}
	json_object_set_new(jb->rec, "State", json_string(job_state_name(to)));
	if (job_on_enter_stamp[jb->kind][to])
		json_object_set_new(jb->rec, job_on_enter_stamp[jb->kind][to],
				    json_string(now));
	if (to == JOB_FINISHED || to == JOB_CANCELLED) {
		json_object_set_new(jb->rec, "done", json_true());
		/* Status files show the record from now on: so must the
		 * one-job-per-database check. */
		jb->ending = true;
	}
	if (to == JOB_CANCELLED) {
		json_object_set_new(jb->rec, "CancelledBy",
				    json_string(jb->cancel_by));
		json_object_set_new(jb->rec, "TaskErrMsg",
				    json_string(why ? why : ""));
		json_object_set_new(jb->rec, "Status",
				    json_sprintf("[CANCELLED, %s: %s]",
						 jb->cancel_by,
						 why ? why : "cancelled"));
	}
	job_progress_to_rec_locked(jb);
	pthread_mutex_unlock(&jb->eng->lock);

	/* Written before the new state's work starts: a restart resumes
	 * from here. */
	rc = catalog_begin(cluster_catalog(jb->eng->cl), true, &t);
	if (rc < 0)
		goto out;
	if (in_txn) {
		rc = in_txn(jb, t);
		if (rc < 0)
			goto out;
	}
	job_key(jb->id, key, sizeof(key));
	pthread_mutex_lock(&jb->eng->lock);
	rc = catalog_put(t, key, jb->rec);
	pthread_mutex_unlock(&jb->eng->lock);
	if (rc < 0)
		goto out;
	rc = catalog_commit(t);
	t = NULL;
out:
	catalog_abort(t);
	if (rc < 0) {
		snap_log(LOG_ERR, "job %" PRId64 ": %s -> %s not recorded: %s",
			 jb->id, job_state_name(from), job_state_name(to),
			 strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&jb->eng->lock);
	jb->state = to;
	pthread_mutex_unlock(&jb->eng->lock);
	snap_log(LOG_INFO, "job %" PRId64 ": %s -> %s%s%s", jb->id,
		 job_state_name(from), job_state_name(to), why ? ": " : "",
		 why ? why : "");
	return 0;
}

/* ---- cancel ----------------------------------------------------------------
 */

void job_request_cancel(struct job *jb, const char *by, const char *msg)
{
	pthread_mutex_lock(&jb->eng->lock);
	if (!atomic_load(&jb->cancel)) {
		snprintf(jb->cancel_by, sizeof(jb->cancel_by), "%s", by);
		snprintf(jb->cancel_msg, sizeof(jb->cancel_msg), "%s", msg);
		atomic_store(&jb->cancel, true);
	}
	pthread_mutex_unlock(&jb->eng->lock);
}

/*
 * Test knobs, read from the environment once per use; unset in normal
 * operation. SNAPFS_TEST_CLOCK_SCALE makes job clocks run N times faster
 * (so a 600 s timeout can expire in a test), SNAPFS_TEST_STATE_DELAY_MS
 * pauses on entering each state and SNAPFS_TEST_FILE_DELAY_MS after each
 * downloaded file, so tests can act in a chosen state.
 */
long job_test_knob(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	return *end == '\0' && n > 0 ? n : 0;
}

void job_test_pause(struct job *jb, const char *knob)
{
	long ms = job_test_knob(knob);

	/* In small steps, so a cancel or unmount is seen promptly. */
	while (ms > 0 && !atomic_load(&jb->cancel) && !jb->eng->stopping) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
		ms -= 10;
	}
}

/* Has the job been cancelled or has it run out of time? */
bool job_should_stop(struct job *jb)
{
	long scale = job_test_knob("SNAPFS_TEST_CLOCK_SCALE");

	if (atomic_load(&jb->cancel))
		return true;
	if (jb->eng->stopping)
		return true;
	if (jb->timeout_s > 0 &&
	    (time(NULL) - jb->created) * (scale ? scale : 1) > jb->timeout_s) {
		char msg[96];

		snprintf(msg, sizeof(msg), "timed out after %" PRId64 " s",
			 jb->timeout_s);
		job_request_cancel(jb, "timeout", msg);
		return true;
	}
	return false;
}

/* ---- the runner ---------------------------------------------------------- */

static void *job_thread(void *arg)
{
	struct job *jb = arg;
	struct jobs *eng = jb->eng;
	if (jb->kind == JOB_KIND_BACKUP) {
		job_backup_run(jb);
		atomic_fetch_add(&eng->repo_gen, 1);
	} else {
		job_restore_run(jb);
	}
	pthread_mutex_lock(&eng->lock);
	jb->running = false;
	pthread_cond_broadcast(&eng->idle);
	pthread_mutex_unlock(&eng->lock);
	return NULL;
}

int job_spawn(struct job *jb)
{
	struct jobs *eng = jb->eng;
	int rc;

	pthread_mutex_lock(&eng->lock);
	if (!jb->linked) {
		jb->next = eng->list;
		eng->list = jb;
		jb->linked = true;
	}
	jb->running = true;
	pthread_mutex_unlock(&eng->lock);
	rc = -pthread_create(&jb->thread, NULL, job_thread, jb);
	if (rc < 0) {
		pthread_mutex_lock(&eng->lock);
		jb->running = false;
		pthread_mutex_unlock(&eng->lock);
		snap_log(LOG_ERR, "job %" PRId64 ": no thread: %s", jb->id,
			 strerror(-rc));
		return rc;
	}
	jb->thread_started = true;
	return 0;
}

static void job_free(struct job *jb)
{
	if (!jb)
		return;
	json_decref(jb->rec);
	if (jb->kind == JOB_KIND_BACKUP)
		job_backup_release(jb);
	else
		job_restore_release(jb);
	free(jb);
}

struct job *job_new(struct jobs *eng, int64_t id, json_t *rec)
{
	struct job *jb = calloc(1, sizeof(*jb));
	const char *st;

	if (!jb)
		return NULL;
	jb->eng = eng;
	jb->id = id;
	jb->rec = rec;
	st = json_string_value(json_object_get(rec, "State"));
	jb->state = job_state_from_name(st);
	if (jb->state == JOB_STATE__COUNT)
		jb->state = JOB_PENDING;
	jb->timeout_s = json_integer_value(json_object_get(rec, "Timeout"));
	jb->created = json_integer_value(json_object_get(rec, "created_at"));
	st = json_string_value(json_object_get(rec, "Type"));
	jb->kind = st && strcmp(st, "BACKUP") == 0 ? JOB_KIND_BACKUP
						   : JOB_KIND_RESTORE;
	snprintf(jb->db, sizeof(jb->db), "%s",
		 json_string_value(json_object_get(rec, "DbName")));
	return jb;
}

/* ---- engine ----------------------------------------------------------------
 */

static int resume_cb(const char *key, json_t *val, void *arg)
{
	struct jobs *eng = arg;
	struct job *jb;
	int64_t id;

	if (json_is_true(json_object_get(val, "done")))
		return 0;
	id = json_integer_value(json_object_get(val, "JobId"));
	jb = job_new(eng, id, json_incref(val));
	if (!jb) {
		json_decref(val);
		return -ENOMEM;
	}
	snap_log(LOG_INFO, "job %" PRId64 ": resuming in state %s", id,
		 job_state_name(jb->state));
	jb->resumed = true;
	if (job_spawn(jb) < 0)
		snap_log(LOG_ERR, "job %" PRId64 ": cannot resume", id);
	return 0;
}

int jobs_start(struct repo *repo, struct cluster *cl, unsigned threads,
	       struct jobs **out)
{
	struct catalog_txn *t = NULL;
	struct jobs *eng;
	int rc;

	eng = calloc(1, sizeof(*eng));
	if (!eng)
		return -ENOMEM;
	eng->repo = repo;
	eng->cl = cl;
	eng->threads = threads ? threads : 1;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->idle, NULL);
	rc = cluster_gc(cl);
	if (rc < 0)
		snap_log(LOG_WARNING, "cluster gc: %s", strerror(-rc));
	rc = catalog_begin(cluster_catalog(cl), false, &t);
	if (rc == 0) {
		rc = catalog_scan(t, "job/", resume_cb, eng);
		catalog_abort(t);
	}
	if (rc < 0) {
		jobs_stop(eng);
		return rc;
	}
	*out = eng;
	return 0;
}

void jobs_stop(struct jobs *eng)
{
	struct job *jb, *next;

	if (!eng)
		return;
	pthread_mutex_lock(&eng->lock);
	eng->stopping = true;
	pthread_mutex_unlock(&eng->lock);
	for (jb = eng->list; jb; jb = jb->next)
		if (jb->thread_started)
			pthread_join(jb->thread, NULL);
	for (jb = eng->list; jb; jb = next) {
		next = jb->next;
		job_free(jb);
	}
	pthread_cond_destroy(&eng->idle);
	pthread_mutex_destroy(&eng->lock);
	free(eng);
}

unsigned jobs_repo_generation(struct jobs *eng)
{
	return eng ? atomic_load(&eng->repo_gen) : 0;
}

void jobs_wait_idle(struct jobs *eng)
{
	struct job *jb;
	bool busy;

	pthread_mutex_lock(&eng->lock);
	for (;;) {
		busy = false;
		for (jb = eng->list; jb; jb = jb->next)
			busy |= jb->running;
		if (!busy)
			break;
		pthread_cond_wait(&eng->idle, &eng->lock);
	}
	pthread_mutex_unlock(&eng->lock);
}

/* Caller holds eng->lock. */
struct job *job_running_for_db_locked(struct jobs *eng, const char *db)
{
	struct job
		*jb; /* A job whose final state is recorded no longer holds the
		      * database, even while its thread is still tidying up. */
	for (jb = eng->list; jb; jb = jb->next)
		if (jb->running && !jb->ending && jb->state != JOB_FINISHED &&
		    jb->state != JOB_CANCELLED && strcmp(jb->db, db) == 0)
			return jb;
	return NULL;
}

static int submit_cancel(struct jobs *eng, const struct spec *sp, char *err,
			 size_t errlen, int64_t *job_id)
{
	enum job_kind kind = sp->kind == SPEC_CANCEL_BACKUP ? JOB_KIND_BACKUP
							    : JOB_KIND_RESTORE;
	const char *what = kind == JOB_KIND_BACKUP ? "BACKUP" : "RESTORE";
	enum job_state state = JOB_STATE__COUNT;
	bool late = false;
	struct job *jb;

	pthread_mutex_lock(&eng->lock);
	jb = job_running_for_db_locked(eng, sp->db);
	if (jb && jb->kind != kind)
		jb = NULL;
	if (jb) {
		state = jb->state;
		late = jb->committing;
	}
	if (jb && !late && !atomic_load(&jb->cancel)) {
		snprintf(jb->cancel_by, sizeof(jb->cancel_by), "user");
		snprintf(jb->cancel_msg, sizeof(jb->cancel_msg),
			 "cancelled by CANCEL %s", what);
		atomic_store(&jb->cancel, true);
	}
	pthread_mutex_unlock(&eng->lock);
	if (!jb) {
		job_errf(err, errlen, 0,
			 "no %s job of database \"%s\" is running", what,
			 sp->db);
		return -ENOENT;
	}
	if (late) {
		/* Its effect is one step that has begun: it can't be half
		 * undone. */
		job_errf(err, errlen, 0,
			 "job %" PRId64 " of database \"%s\" is %s: too late "
			 "to cancel",
			 jb->id, sp->db,
			 job_state_name(state == job_no_return[jb->kind]
						? state
						: job_no_return[jb->kind]));
		return -EBUSY;
	}
	if (job_id)
		*job_id = jb->id;
	return 0;
}

/* Is line:col (as spec_parse counts: UTF-8 characters) the end of text? */
static bool at_end(const char *text, size_t len, unsigned line, unsigned col)
{
	unsigned l = 1, c = 1;
	size_t i;

	for (i = 0; i < len; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	return l == line && c == col;
}

/* The control file that takes statements of @k. */
static const char *control_for(enum spec_kind k)
{
	switch (k) {
	case SPEC_RESTORE:
		return "restore";
	case SPEC_BACKUP:
		return "backup";
	case SPEC_CANCEL_RESTORE:
	case SPEC_CANCEL_BACKUP:
		return "cancel";
	default:
		return "snapshots";
	}
}

int jobs_submit(struct jobs *eng, enum jobs_control ctl, const char *text,
		size_t len, char *err, size_t errlen, int64_t *job_id)
{
	struct spec_err se = {0};
	struct spec *sp = NULL;
	int rc;
	rc = spec_parse(text, len, &se, &sp);
	if (rc == -EINVAL) {
		job_errf(err, errlen, 0, "line %u, column %u: %s", se.line,
			 se.col, se.msg); /* Ran out of text: maybe the rest is
					     still to be written. */
		return at_end(text, len, se.line, se.col) ? -EAGAIN : rc;
	}
	if (rc < 0)
		return rc;
	switch (ctl) {
	case JOBS_CONTROL_RESTORE:
		if (sp->kind != SPEC_RESTORE) {
			job_errf(err, errlen, 0,
				 "control/restore takes RESTORE statements, "
				 "not %s (use control/%s)",
				 spec_kind_name(sp->kind),
				 control_for(sp->kind));
			rc = -EINVAL;
			break;
		}
		rc = job_restore_submit(eng, sp, err, errlen, job_id);
		break;
	case JOBS_CONTROL_CANCEL:
		if (sp->kind != SPEC_CANCEL_RESTORE &&
		    sp->kind != SPEC_CANCEL_BACKUP) {
			job_errf(err, errlen, 0,
				 "control/cancel takes CANCEL RESTORE/BACKUP "
				 "FROM db, not %s",
				 spec_kind_name(sp->kind));
			rc = -EINVAL;
			break;
		}
		rc = submit_cancel(eng, sp, err, errlen, job_id);
		break;
	case JOBS_CONTROL_BACKUP:
		if (sp->kind != SPEC_BACKUP) {
			job_errf(err, errlen, 0,
				 "control/backup takes BACKUP statements, not "
				 "%s (use control/%s)",
				 spec_kind_name(sp->kind),
				 control_for(sp->kind));
			rc = -EINVAL;
			break;
		}
		rc = job_backup_submit(eng, sp, err, errlen, job_id);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	spec_free(sp);
	return rc;
}

int job_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- status ----------------------------------------------------------------
 */

struct idlist {
	int64_t *v;
	size_t n, cap;
};

static int id_cb(const char *key, json_t *val, void *arg)
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
	l->v[l->n++] = json_integer_value(json_object_get(val, "JobId"));
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
	rc = catalog_scan(t, "job/", id_cb, &l);
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
	char key[64];
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
	job_key(id, key, sizeof(key));
	rc = catalog_begin(cluster_catalog(eng->cl), false, &t);
	if (rc < 0)
		return rc;
	rc = catalog_get(t, key, out);
	catalog_abort(t);
	return rc;
}

/* SHOW RESTORE's columns, in its order, then ours. */
static const char *const restore_fields[] = {
	"JobId",
	"Label",
	"Timestamp",
	"DbName",
	"State",
	"AllowLoad",
	"ReplicationNum",
	"RestoreObjs",
	"CreateTime",
	"MetaPreparedTime",
	"SnapshotFinishedTime",
	"DownloadFinishedTime",
	"FinishedTime",
	"UnfinishedTasks",
	"Progress",
	"TaskErrMsg",
	"Status",
	"Timeout",
	"CancelledBy",
	"FilesDownloaded",
	"FilesReused",
	NULL,
};

/* SHOW BACKUP's columns, in its order, then ours. */
static const char *const backup_fields[] = {
	"JobId",
	"SnapshotName",
	"DbName",
	"State",
	"BackupObjs",
	"CreateTime",
	"SnapshotFinishedTime",
	"UploadFinishedTime",
	"FinishedTime",
	"UnfinishedTasks",
	"Progress",
	"TaskErrMsg",
	"Status",
	"Timeout",
	"Timestamp",
	"CancelledBy",
	"FilesUploaded",
	"FilesReused",
	"FilesCopied",
	NULL,
};

static const char *const *fields_of(json_t *rec)
{
	const char *t = json_string_value(json_object_get(rec, "Type"));

	return t && strcmp(t, "BACKUP") == 0 ? backup_fields : restore_fields;
}

/* A field as text: strings as they are, anything else as compact JSON. */
static char *field_text(json_t *rec, const char *name)
{
	json_t *v = json_object_get(rec, name);

	if (!v || json_is_null(v))
		return strdup(name[0] == 'C' && strcmp(name, "CancelledBy") == 0
				      ? ""
				      : "NULL");
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

int jobs_status(struct jobs *eng, int64_t id, bool json, char **text,
		size_t *len)
{
	json_t *rec = NULL, *out = NULL;
	const char *const *fields;
	char *s = NULL, *f;
	size_t i, n = 0;
	FILE *mf;
	int rc;

	rc = job_record(eng, id, &rec);
	if (rc < 0)
		return rc;
	fields = fields_of(rec);
	if (json) {
		out = json_object();
		for (i = 0; out && fields[i]; i++) {
			json_t *v = json_object_get(rec, fields[i]);

			json_object_set(out, fields[i], v ? v : json_null());
		}
		s = out ? json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
			: NULL;
		json_decref(out);
		if (s) {
			n = strlen(s);
			f = realloc(s, n + 2);
			if (f) {
				s = f;
				s[n++] = '\n';
				s[n] = '\0';
			}
		}
	} else {
		mf = open_memstream(&s, &n);
		for (i = 0; mf && fields[i]; i++) {
			f = field_text(rec, fields[i]);
			fprintf(mf, "%s: %s\n", fields[i], f ? f : "");
			free(f);
		}
		if (mf)
			fclose(mf);
	}
	json_decref(rec);
	if (!s)
		return -ENOMEM;
	*text = s;
	*len = n;
	return 0;
}

int jobs_show(struct jobs *eng, enum job_kind kind, char **text, size_t *len)
{
	const char *const *fields =
		kind == JOB_KIND_BACKUP ? backup_fields : restore_fields;
	int64_t *ids = NULL;
	size_t nids = 0, i, k, n = 0;
	char *s = NULL, *f;
	json_t *rec;
	FILE *mf;
	int rc;

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
		if (fields_of(rec) != fields) {
			json_decref(rec);
			continue;
		}
		for (k = 0; fields[k]; k++) {
			f = field_text(rec, fields[k]);
			fprintf(mf, "%s%s", k ? "\t" : "", f ? f : "");
			free(f);
		}
		fputc('\n', mf);
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

bool jobs_table_busy(struct jobs *eng, const char *db, const char *table)
{
	struct job *jb;
	bool busy = false;

	pthread_mutex_lock(&eng->lock);
	for (jb = eng->list; jb && !busy; jb = jb->next)
		if (jb->running && strcmp(jb->db, db) == 0)
			busy = job_restore_holds_locked(jb, table);
	pthread_mutex_unlock(&eng->lock);
	return busy;
}
