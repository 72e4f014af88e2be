/* SPDX-License-Identifier: MIT */
/*
 * job.c - the job engine: the one state setter, registration, a thread
 * per job running its kind's steps, cancel and timeout, restart recovery.
 *
 * The engine knows kinds only through their tables (struct job_kind_ops,
 * handed over by jobs_start()): it never calls into a kind by name, so
 * the kinds can call the engine without a circle.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "jobs.h"
#include "jobs_int.h"

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

const char *job_state_name(enum job_state s)
{
	return (unsigned)s < JOB_STATE__COUNT ? job_state_names[s] : NULL;
}

enum job_state job_state_from_name(const char *name)
{
	unsigned i;

	for (i = 0; name && i < JOB_STATE__COUNT; i++)
		if (strcmp(job_state_names[i], name) == 0)
			return (enum job_state)i;
	return JOB_STATE__COUNT;
}

bool job_state_final(enum job_state s)
{
	return s == JOB_FINISHED || s == JOB_CANCELLED;
}

/* Does @s have a step in @k (is it an unfinished state of the kind)? */
static bool job_kind_has(const struct job_kind_ops *k, enum job_state s)
{
	return (unsigned)s < JOB_STATE__COUNT &&
	       k->steps[s].next != JOB_PENDING;
}

bool job_kind_transition_ok(const struct job_kind_ops *k, enum job_state from,
			    enum job_state to)
{
	if (!k || !job_kind_has(k, from) || (unsigned)to >= JOB_STATE__COUNT)
		return false;
	return to == k->steps[from].next || to == JOB_CANCELLED;
}

/* Is @mark at or before @s on the kind's chain of steps from PENDING? */
static bool job_kind_reached(const struct job_kind_ops *k, enum job_state s,
			     enum job_state mark)
{
	enum job_state at = JOB_PENDING;
	unsigned n;

	if (job_state_final(s))
		return true;
	/* At most one step per state: the chain can't be longer. */
	for (n = 0; n < JOB_STATE__COUNT && job_kind_has(k, at); n++) {
		if (at == mark)
			return true;
		if (at == s)
			return false;
		at = k->steps[at].next;
	}
	return at == mark;
}

bool job_reached(const struct job *jb, enum job_state mark)
{
	return job_kind_reached(jb->ops, jb->state, mark);
}

const struct job_kind_ops *job_kind_by_name(const struct jobs *eng,
					    const char *type)
{
	unsigned i;

	for (i = 0; type && i < JOB_KIND__COUNT; i++)
		if (strcmp(eng->kinds[i]->name, type) == 0)
			return eng->kinds[i];
	return eng->kinds[0];
}

void job_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "%lld", (long long)t);
}

int job_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- the state setter ---------------------------------------------------- */

void job_progress_to_rec_locked(struct job *jb)
{
	const struct job_kind_ops *k = jb->ops;
	uint64_t fd = atomic_load(&jb->files_done);
	uint64_t bd = atomic_load(&jb->bytes_done);

	if (jb->files_total == 0 && !job_reached(jb, k->progress_from))
		return;
	json_object_set_new(
		jb->rec, "Progress",
		json_sprintf("%" PRIu64 "/%" PRIu64 " files, %" PRIu64
			     "/%" PRIu64 " bytes",
			     fd, jb->files_total, bd, jb->bytes_total));
	json_object_set_new(jb->rec, "UnfinishedTasks",
			    json_integer((json_int_t)(jb->files_total - fd)));
	json_object_set_new(jb->rec, "FilesDone", json_integer((json_int_t)fd));
	json_object_set_new(jb->rec, "FilesTotal",
			    json_integer((json_int_t)jb->files_total));
	json_object_set_new(jb->rec, "BytesDone", json_integer((json_int_t)bd));
	json_object_set_new(jb->rec, "BytesTotal",
			    json_integer((json_int_t)jb->bytes_total));
	json_object_set_new(
		jb->rec, k->fetched_field,
		json_integer((json_int_t)atomic_load(&jb->files_fetched)));
	json_object_set_new(
		jb->rec, "FilesReused",
		json_integer((json_int_t)atomic_load(&jb->files_reused)));
	if (k->copied_field)
		json_object_set_new(jb->rec, k->copied_field,
				    json_integer((json_int_t)atomic_load(
					    &jb->files_copied)));
}

/* The record as it will be in state @to. Caller holds eng->lock.
 * @return 0; -ECANCELED: @to is the point of no return and a cancel
 * came first (a cancel and the start of the commit exclude each other). */
static int job_rec_enter_locked(struct job *jb, enum job_state to,
				const char *why)
{
	const char *stamp = jb->ops->steps[to].stamp;
	char now[32];

	if (to == jb->ops->no_return) {
		if (atomic_load(&jb->cancel))
			return -ECANCELED;
		jb->committing = true;
	}
	json_object_set_new(jb->rec, "State", json_string(job_state_name(to)));
	if (stamp) {
		job_now(now, sizeof(now));
		json_object_set_new(jb->rec, stamp, json_string(now));
	}
	if (job_state_final(to)) {
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
	return 0;
}

/* Write the record, and what @in_txn adds, in one transaction. */
static int job_rec_write(struct job *jb,
			 int (*in_txn)(struct job *jb, struct catalog_txn *t))
{
	struct catalog_txn *t = NULL;
	int rc;

	rc = catalog_begin(cluster_catalog(jb->eng->cl), true, &t);
	if (rc < 0)
		goto out;
	if (in_txn) {
		rc = in_txn(jb, t);
		if (rc < 0)
			goto out;
	}
	pthread_mutex_lock(&jb->eng->lock);
	rc = record_job_put(t, jb->id, jb->rec);
	pthread_mutex_unlock(&jb->eng->lock);
	if (rc < 0)
		goto out;
	rc = catalog_commit(t);
	t = NULL;
out:
	catalog_abort(t);
	return rc;
}

int job_set_state(struct job *jb, enum job_state to,
		  int (*in_txn)(struct job *jb, struct catalog_txn *t),
		  const char *why)
{
	enum job_state from = jb->state;
	int rc;

	if (!job_kind_transition_ok(jb->ops, from, to)) {
		snap_log(LOG_ERR,
			 "job %" PRId64 ": illegal transition %s -> %s", jb->id,
			 job_state_name(from), job_state_name(to));
		return -EINVAL;
	}
	pthread_mutex_lock(&jb->eng->lock);
	rc = job_rec_enter_locked(jb, to, why);
	pthread_mutex_unlock(&jb->eng->lock);
	if (rc < 0)
		return rc;
	/* Written before the new state's work starts: a restart resumes
	 * from here. */
	rc = job_rec_write(jb, in_txn);
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

/* ---- cancel ---------------------------------------------------------------*/

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
 * file, SNAPFS_TEST_SOURCE_DELAY_MS before each part a backup sends, so
 * tests can act in a chosen state.
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

#define JOB_MAX_WORKERS 32

int job_run_workers(struct job *jb, void *(*fn)(void *jb))
{
	unsigned n = jb->eng->threads < JOB_MAX_WORKERS ? jb->eng->threads
							: JOB_MAX_WORKERS;
	unsigned i, started = 0;
	pthread_t th[JOB_MAX_WORKERS];

	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, fn, jb) == 0)
			started++;
	if (started == 0)
		fn(jb);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return job_should_stop(jb) ? -ECANCELED : 0;
}

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

/* Record CANCELLED (with the kind's clean-up in the same transaction),
 * then let the kind tidy up outside it. */
static void job_cancel(struct job *jb)
{
	const struct job_kind_ops *k = jb->ops;
	char why[600];

	pthread_mutex_lock(&jb->eng->lock);
	snprintf(why, sizeof(why), "%s",
		 jb->cancel_msg[0] ? jb->cancel_msg : "cancelled");
	if (!jb->cancel_by[0])
		snprintf(jb->cancel_by, sizeof(jb->cancel_by), "error");
	pthread_mutex_unlock(&jb->eng->lock);
	if (job_set_state(jb, JOB_CANCELLED, k->cancel_txn, why) == 0 &&
	    k->cancelled)
		k->cancelled(jb);
}

/* A step (or its move) failed with @rc in the current state. */
static void job_step_failed(struct job *jb, int rc)
{
	char err[300];

	if (jb->eng->stopping)
		return; /* unmount: resume next time */
	if (job_reached(jb, jb->ops->no_return)) {
		/* Past the point of no return the effect must happen: as
		 * Doris retries until the timeout, retry at the next start. */
		snap_log(LOG_ERR,
			 "job %" PRId64 ": %s: %s; retried at the next start",
			 jb->id, job_state_name(jb->state), strerror(-rc));
		return;
	}
	if (!atomic_load(&jb->cancel)) {
		snprintf(err, sizeof(err), "%s failed: %s",
			 job_state_name(jb->state), strerror(-rc));
		job_request_cancel(jb, "error", err);
	}
	job_cancel(jb);
}

/* The job's thread: its kind's steps, from the state it is in. */
static void job_run(struct job *jb)
{
	const struct job_kind_ops *k = jb->ops;
	const struct job_step *s;
	int rc;

	rc = k->start ? k->start(jb) : 0;
	if (rc == -ECANCELED)
		job_cancel(jb);
	if (rc < 0)
		return;
	while (!job_state_final(jb->state)) {
		if (!job_kind_has(k, jb->state))
			return; /* a state this kind doesn't have */
		s = &k->steps[jb->state];
		if (jb->eng->stopping)
			return; /* unmount: resume next time */
		job_test_pause(jb, "SNAPFS_TEST_STATE_DELAY_MS");
		if (!job_reached(jb, k->no_return) && job_should_stop(jb)) {
			if (!jb->eng->stopping)
				job_cancel(jb);
			return;
		}
		rc = s->run ? s->run(jb) : 0;
		if (rc == 0)
			rc = job_set_state(jb, s->next, s->in_txn, NULL);
		if (rc < 0) {
			job_step_failed(jb, rc);
			return;
		}
		if (s->after)
			s->after(jb);
	}
}

static void *job_thread(void *arg)
{
	struct job *jb = arg;
	struct jobs *eng = jb->eng;

	job_run(jb);
	if (jb->ops->writes_repo)
		atomic_fetch_add(&eng->repo_gen, 1);
	pthread_mutex_lock(&eng->lock);
	jb->running = false;
	pthread_cond_broadcast(&eng->idle);
	pthread_mutex_unlock(&eng->lock);
	return NULL;
}

/* Start the thread of a linked job marked running. */
static int job_spawn(struct job *jb)
{
	struct jobs *eng = jb->eng;
	int rc;

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

/* Caller holds eng->lock. */
static void job_link_locked(struct job *jb)
{
	jb->next = jb->eng->list;
	jb->eng->list = jb;
	jb->linked = true;
	jb->running = true;
}

/* ---- jobs
 * ------------------------------------------------------------------*/

void job_free(struct job *jb)
{
	if (!jb)
		return;
	if (jb->ops->release)
		jb->ops->release(jb);
	json_decref(jb->rec);
	free(jb);
}

struct job *job_new(struct jobs *eng, int64_t id, json_t *rec)
{
	struct job *jb = calloc(1, sizeof(*jb));
	const char *st;

	if (!jb) {
		json_decref(rec);
		return NULL;
	}
	jb->eng = eng;
	jb->id = id;
	jb->rec = rec;
	jb->ops = job_kind_by_name(
		eng, json_string_value(json_object_get(rec, "Type")));
	jb->kind = jb->ops->kind;
	st = json_string_value(json_object_get(rec, "State"));
	jb->state = job_state_from_name(st);
	if (jb->state == JOB_STATE__COUNT)
		jb->state = JOB_PENDING;
	/* Resumed past the point of no return: too late to cancel. */
	jb->committing = !job_state_final(jb->state) &&
			 job_reached(jb, jb->ops->no_return);
	jb->timeout_s = json_integer_value(json_object_get(rec, "Timeout"));
	jb->created = json_integer_value(json_object_get(rec, "created_at"));
	snprintf(jb->db, sizeof(jb->db), "%s",
		 json_string_value(json_object_get(rec, "DbName")) ?: "");
	return jb;
}

/* The first running, unended job @jb can't run beside. Holds eng->lock. */
static int job_check_busy_locked(struct job *jb, char *err, size_t errlen)
{
	struct job *o;
	int rc = 0;

	for (o = jb->eng->list; o && rc == 0; o = o->next) {
		/* A job whose final state is recorded no longer holds the
		 * database, even while its thread is still tidying up. */
		if (o == jb || !o->running || o->ending ||
		    job_state_final(o->state))
			continue;
		rc = jb->ops->conflict(jb, o, err, errlen);
	}
	return rc;
}

int job_check_busy(struct job *jb, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&jb->eng->lock);
	rc = job_check_busy_locked(jb, err, errlen);
	pthread_mutex_unlock(&jb->eng->lock);
	return rc;
}

int job_register(struct job *jb, struct catalog_txn *t, char *err,
		 size_t errlen)
{
	struct jobs *eng = jb->eng;
	int rc;

	rc = record_job_put(t, jb->id, jb->rec);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&eng->lock);
	rc = job_check_busy_locked(jb, err, errlen);
	if (rc == 0) {
		rc = catalog_commit(t);
		t = NULL;
	}
	/* Registered under the same hold as the check. */
	if (rc == 0)
		job_link_locked(jb);
	pthread_mutex_unlock(&eng->lock);
out:
	catalog_abort(t);
	if (rc < 0) {
		job_free(jb);
		return rc;
	}
	return job_spawn(jb); /* on failure it stays linked, not running */
}

int job_cancel_db(struct jobs *eng, const struct job_kind_ops *k,
		  const char *db, char *err, size_t errlen, int64_t *job_id)
{
	struct job *jb;
	bool late = false;

	pthread_mutex_lock(&eng->lock);
	for (jb = eng->list; jb; jb = jb->next)
		if (jb->running && !jb->ending && !job_state_final(jb->state) &&
		    strcmp(jb->db, db) == 0)
			break;
	if (jb && jb->ops != k)
		jb = NULL;
	if (jb)
		late = jb->committing;
	if (jb && !late && !atomic_load(&jb->cancel)) {
		snprintf(jb->cancel_by, sizeof(jb->cancel_by), "user");
		snprintf(jb->cancel_msg, sizeof(jb->cancel_msg),
			 "cancelled by CANCEL %s", k->name);
		atomic_store(&jb->cancel, true);
	}
	pthread_mutex_unlock(&eng->lock);
	if (!jb)
		return job_errf(err, errlen, -ENOENT,
				"no %s job of database \"%s\" is running",
				k->name, db);
	if (late) /* Its effect is one step that has begun: it can't be half
		     undone. */
		return job_errf(err, errlen, -EBUSY,
				"job %" PRId64 " of database \"%s\" is %s: "
				"too late to cancel",
				jb->id, db, job_state_name(k->no_return));
	if (job_id)
		*job_id = jb->id;
	return 0;
}

/* ---- the engine
 * ------------------------------------------------------------*/

/* The id is the record's key's (the same as its "JobId"). */
static int resume_cb(int64_t id, json_t *val, void *arg)
{
	struct jobs *eng = arg;
	struct job *jb;

	if (json_is_true(json_object_get(val, "done")))
		return 0;
	jb = job_new(eng, id, json_incref(val));
	if (!jb)
		return -ENOMEM;
	snap_log(LOG_INFO, "job %" PRId64 ": resuming in state %s", id,
		 job_state_name(jb->state));
	jb->resumed = true;
	pthread_mutex_lock(&eng->lock);
	job_link_locked(jb);
	pthread_mutex_unlock(&eng->lock);
	if (job_spawn(jb) < 0)
		snap_log(LOG_ERR, "job %" PRId64 ": cannot resume", id);
	return 0;
}

int job_engine_start(struct repo *repo, struct cluster *cl, unsigned threads,
		     const struct job_kind_ops *const kinds[JOB_KIND__COUNT],
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
	memcpy(eng->kinds, kinds, sizeof(eng->kinds));
	eng->threads = threads ? threads : 1;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->idle, NULL);
	rc = cluster_gc(cl);
	if (rc < 0)
		snap_log(LOG_WARNING, "cluster gc: %s", strerror(-rc));
	rc = catalog_begin(cluster_catalog(cl), false, &t);
	if (rc == 0) {
		rc = record_job_scan(t, resume_cb, eng);
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

bool jobs_table_busy(struct jobs *eng, const char *db, const char *table)
{
	struct job *jb;
	bool busy = false;

	pthread_mutex_lock(&eng->lock);
	for (jb = eng->list; jb && !busy; jb = jb->next)
		if (jb->running && !job_state_final(jb->state) &&
		    strcmp(jb->db, db) == 0)
			busy = jb->ops->holds(jb, table);
	pthread_mutex_unlock(&eng->lock);
	return busy;
}
