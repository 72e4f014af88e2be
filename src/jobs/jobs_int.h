/* SPDX-License-Identifier: MIT */
/*
 * jobs_int.h - what the files of src/jobs share: the engine's structs, the
 * job kind table, and the engine functions the kinds call. Not for other
 * folders.
 *
 * The files form three layers, each calling only the ones below it, so
 * the cross-file call graph has no circle:
 *
 *   jobs.c               the facade: jobs_start(), jobs_submit_spec(), and the
 *                        table of kinds; the only file naming a kind
 *   job_restore*.c,      the kinds: each a const struct job_kind_ops with
 *   job_backup*.c        its states' steps, submit, holds, cancel, release
 *   job_manage.c         DROP/CLEAN/VERIFY SNAPSHOT (not jobs)
 *   job_status.c         status text of a job, SHOW RESTORE/BACKUP
 *   job.c                the engine: the one state setter, registration,
 *                        threads, cancel, resume; it knows no kind by name
 */
#ifndef SNAPFS_JOBS_INT_H
#define SNAPFS_JOBS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "jobs.h"
#include "spec.h"

struct catalog_txn;
struct job;

/*
 * One state of a kind. steps[s] of a kind describes state s: a state
 * whose .next is JOB_PENDING (0) has no step (a final state, or not a
 * state of this kind). The legal transitions are derived from the steps:
 * s -> steps[s].next, and s -> JOB_CANCELLED from every state with a
 * step; nothing leaves FINISHED or CANCELLED.
 */
struct job_step {
	/* The record field the engine stamps with the local time on
	 * entering this state (e.g. "SnapshotFinishedTime"), or NULL. */
	const char *stamp;
	/* Where a successful run leads. */
	enum job_state next;
	/*
	 * The state's work. Called on the job's thread, after the state was
	 * recorded, and again from the start after a restart in this state
	 * (so it must be idempotent). No lock held. NULL: nothing to do.
	 * @return 0: move to .next; -ECANCELED: job_should_stop() said so
	 *         (a cancel message is set); else -errno: the job is
	 *         cancelled ("<STATE> failed: <error>" unless the step set
	 *         a message with job_request_cancel()), or, from the kind's
	 *         no_return state on, left as it is and retried at the next
	 *         start.
	 */
	int (*run)(struct job *jb);
	/* Writes more in the same catalog transaction that records .next
	 * (the restore's commit). Called with no lock held. NULL: none.
	 * @return 0 or -errno (the move is then not made). */
	int (*in_txn)(struct job *jb, struct catalog_txn *t);
	/* Clean-up after .next is recorded; its failure is only logged.
	 * NULL: none. */
	void (*after)(struct job *jb);
};

/*
 * A job kind: RESTORE, BACKUP. Adding a kind is one file with one of
 * these and one entry in jobs.c's table. Every slot is called by the
 * engine or the facade, never by another kind.
 */
struct job_kind_ops {
	/* "RESTORE": the record's "Type", and the word in messages
	 * ("no RESTORE job of database ..."). Never NULL. */
	const char *name;
	/* Its public number (jobs_show(), jobs_int.h users). */
	enum job_kind kind;
	/* The statements that submit and cancel a job of this kind. */
	enum spec_kind spec, cancel_spec;
	/* [JOB_STATE__COUNT], see struct job_step. Never NULL. */
	const struct job_step *steps;
	/* From this state on the job can't be cancelled: its effect is one
	 * step that has begun (restore: the commit; backup: the info
	 * object). The engine refuses CANCEL, stops checking for cancel and
	 * timeout, and retries a failed step at the next start. */
	enum job_state no_return;
	/* Progress is shown from this state on (before it, only once a
	 * total is known). */
	enum job_state progress_from;
	/* Status columns: SHOW RESTORE's/BACKUP's in their order, then
	 * ours; NULL-terminated. */
	const char *const *status_fields;
	/* Record fields for files_fetched and files_copied; copied_field
	 * may be NULL (not shown). */
	const char *fetched_field, *copied_field;
	/* Does the job write the repository (bump jobs_repo_generation()
	 * whenever its thread ends)? */
	bool writes_repo;

	/*
	 * Check and plan a statement of .spec, then job_register() the job.
	 * Called from a control-file writer's thread; no lock held. The
	 * caller has checked that sp->repo is the mounted repository.
	 * @param[out] err one line for control/last_error on failure.
	 * @return 0 and *job_id; -EINVAL, -ENOENT, -EBUSY, -EEXIST, -EROFS
	 *         as jobs_submit_spec(); else -errno as it came.
	 */
	int (*submit)(struct jobs *eng, const struct spec *sp, char *err,
		      size_t errlen, int64_t *job_id);
	/*
	 * Set the job up on its thread before its first step (a resumed job
	 * rebuilds its work from the record here). NULL: nothing to do.
	 * @return 0: run the steps; -ECANCELED: cancel it now (the kind
	 *         called job_request_cancel() with the reason); other
	 *         -errno: leave it as it is, to resume at the next start.
	 */
	int (*start)(struct job *jb);
	/*
	 * May @jb (being registered) run beside @other? Called with
	 * eng->lock held, for every other running job that has not ended.
	 * @return 0; -EBUSY with one line in err naming other->id.
	 */
	int (*conflict)(const struct job *jb, const struct job *other,
			char *err, size_t errlen);
	/* Does the unfinished @jb hold @table of its database (hand-made
	 * writes to it are EBUSY)? Called with eng->lock held; reads only
	 * jb->rec. */
	bool (*holds)(const struct job *jb, const char *table);
	/* Writes in the transaction that records CANCELLED (restore: drop
	 * the tables it created). NULL: none. @return 0 or -errno (the job
	 * then stays in its state and is cancelled again at the next start). */
	int (*cancel_txn)(struct job *jb, struct catalog_txn *t);
	/* Clean-up after CANCELLED is recorded (backup: remove what it
	 * uploaded). On the job's thread. NULL: none. */
	void (*cancelled)(struct job *jb);
	/* Free jb->work (may be NULL). Called once, when the job is freed,
	 * its thread joined. NULL: nothing to free. */
	void (*release)(struct job *jb);
};

struct jobs {
	struct repo *repo;  /* read-only after start */
	struct cluster *cl; /* read-only after start */
	unsigned threads;   /* download threads per job */
	/* The kinds, by enum job_kind (static tables); read-only. */
	const struct job_kind_ops *kinds[JOB_KIND__COUNT];
	/*
	 * guards list, every job's rec, state, running, committing, ending,
	 * cancel_by/msg. May be taken inside a catalog write transaction
	 * (never the other way round); held across the registration's
	 * catalog_commit so the conflict check and the job's registration
	 * are one step.
	 */
	pthread_mutex_t lock;
	pthread_cond_t idle;  /* signalled when a job stops running */
	struct job *list;     /* every job started by this engine, newest
				 first */
	bool stopping;	      /* unmount: workers return, jobs resume later */
	atomic_uint repo_gen; /* bumped when a backup changes the repo */
};

struct job {
	struct jobs *eng;
	const struct job_kind_ops *ops; /* read-only */
	int64_t id;
	json_t *rec;	      /* the catalog record, under eng->lock */
	enum job_state state; /* only job_set_state() writes it */
	enum job_kind kind;   /* ops->kind; read-only */
	char db[256];	      /* target database; read-only */
	int64_t timeout_s;    /* read-only */
	int64_t created;      /* epoch seconds; read-only */
	atomic_bool cancel;
	char cancel_by[16]; /* "user", "timeout", "error" */
	char cancel_msg[1024];
	atomic_uint_fast64_t files_done, bytes_done;
	atomic_uint_fast64_t files_fetched; /* downloaded from the repo */
	atomic_uint_fast64_t files_reused;  /* already here, same MD5 */
	atomic_uint_fast64_t files_copied;  /* backup: copied inside the
					       repository from another label */
	uint64_t files_total, bytes_total;  /* set by the kind's steps */
	pthread_t thread;
	bool thread_started, running, resumed, linked;
	bool committing; /* at or past ops->no_return (being recorded or
			    done): too late to cancel; under eng->lock */
	bool ending;	 /* FINISHED/CANCELLED is being recorded: the job
			    no longer holds its database; under eng->lock */
	struct job *next;
	void *work; /* the kind's own state, only its files look inside;
		       freed by ops->release */
};

/* ---- job.c: the engine -------------------------------------------------- */

/**
 * Start the engine with @kinds (indexed by enum job_kind; the tables are
 * static, the array is copied): garbage-collect orphaned replica directories,
 * then resume every unfinished job found in the catalog.
 * @return 0 and *out (stop with jobs_stop()); -errno from the catalog.
 */
int job_engine_start(struct repo *repo, struct cluster *cl, unsigned threads,
		     const struct job_kind_ops *const kinds[JOB_KIND__COUNT],
		     struct jobs **out);

/** The kind whose name is @type ("RESTORE"); kinds[0] for NULL or an
 * unknown name (records from before "Type" was written are RESTOREs,
 * the first kind). */
const struct job_kind_ops *job_kind_by_name(const struct jobs *eng,
					    const char *type);

/** Is from -> to legal for a job of @k (derived from k->steps)? */
bool job_kind_transition_ok(const struct job_kind_ops *k, enum job_state from,
			    enum job_state to);

enum job_state job_state_from_name(const char *name);
/** Is @s FINISHED or CANCELLED? */
bool job_state_final(enum job_state s);
/** Has @jb reached @mark in its kind's order of states? A final state has
 * reached every mark. Caller holds eng->lock or is the job's thread. */
bool job_reached(const struct job *jb, enum job_state mark);

/** The local time as "YYYY-MM-DD HH:MM:SS". */
void job_now(char *buf, size_t len);

/**
 * The one state setter: checks the move against the kind's steps, stamps
 * the entry time, and writes the record (plus whatever @in_txn adds, in
 * the same transaction) before the state takes effect; logs
 * "job <id>: <FROM> -> <TO>". On the job's thread; no lock held.
 * @return 0; -EINVAL illegal transition; -ECANCELED moving to no_return
 *         after a cancel was requested; -errno from the catalog or
 *         @in_txn (the state is then unchanged).
 */
int job_set_state(struct job *jb, enum job_state to,
		  int (*in_txn)(struct job *jb, struct catalog_txn *t),
		  const char *why);

/** Ask @jb to stop as cancelled by @by ("user", "timeout", "error") for
 * @msg; the first request wins. Any thread; takes eng->lock. */
void job_request_cancel(struct job *jb, const char *by, const char *msg);
/** Has @jb been cancelled, timed out, or is the engine stopping? */
bool job_should_stop(struct job *jb);
/**
 * Run @fn(jb) on min(engine threads, JOB_MAX_WORKERS) threads at once and
 * wait for all of them (the parallel download of a restore, the upload of
 * a backup). The workers share the work through jb->work themselves. If
 * no thread can be started, @fn runs once in the calling thread.
 * @return 0; -ECANCELED when job_should_stop() says so afterwards.
 */
int job_run_workers(struct job *jb, void *(*fn)(void *jb));
/** A positive test knob from the environment, or 0. */
long job_test_knob(const char *name);
/** Sleep for the test knob's milliseconds, waking on cancel or stop. */
void job_test_pause(struct job *jb, const char *knob);
/** Format a message into @err and return @rc (for "return job_errf(...)"). */
int job_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * A job from its record (@rec is taken over): state, kind ("Type"),
 * database, timeout. Not registered.
 * @return the job, or NULL (out of memory; @rec is then released).
 */
struct job *job_new(struct jobs *eng, int64_t id, json_t *rec);
/** Free a job that was never registered (ops->release frees its work). */
void job_free(struct job *jb);

/**
 * Refuse @jb if a running job conflicts with it (ops->conflict), e.g.
 * to say so before a long plan. Takes eng->lock.
 * @return 0; -EBUSY with err set.
 */
int job_check_busy(struct job *jb, char *err, size_t errlen);

/**
 * Register a planned job, the one place jobs are registered: put its
 * record into @t, and under one hold of eng->lock check it against every
 * running job, commit @t, and link it; then start its thread.
 * @param[in] t a write transaction holding the plan; always ended.
 * @param[in] jb from job_new(); the engine's from now on, whatever the
 *            result (freed if not registered).
 * @return 0; -EBUSY (err says which job); -errno from the catalog, or
 *         from pthread_create (the job is then registered, not running,
 *         and resumes at the next start).
 */
int job_register(struct job *jb, struct catalog_txn *t, char *err,
		 size_t errlen);

/**
 * CANCEL <kind> FROM @db: mark the running job of @k on @db cancelled by
 * the user; its thread records CANCELLED.
 * @return 0 and *job_id (may be NULL); -ENOENT none runs; -EBUSY it is
 *         past its point of no return (err says so).
 */
int job_cancel_db(struct jobs *eng, const struct job_kind_ops *k,
		  const char *db, char *err, size_t errlen, int64_t *job_id);

/** Copy the progress counters into the record. Caller holds eng->lock. */
void job_progress_to_rec_locked(struct job *jb);

#endif
