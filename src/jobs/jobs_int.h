/* SPDX-License-Identifier: MIT */
/*
 * job_int.h - what job.c and job_restore.c share. Not for other modules.
 */
#ifndef SNAPFS_JOB_INT_H
#define SNAPFS_JOB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "jobs.h"

struct catalog_txn;
struct repo_label;
struct repo_snapshot;
struct restore_work;
struct backup_work;
struct spec;

struct jobs {
	struct repo *repo;    /* read-only after start */
	struct cluster *cl;   /* read-only after start */
	unsigned threads;     /* download threads per job */
	pthread_mutex_t lock; /* guards list, every job's rec, state,
running, committing, cancel_by/msg; may be
taken inside a catalog write transaction
(never the other way round); held across
the submission's catalog_commit so the
one-job-per-database check and the job's
registration are one step */
	pthread_cond_t idle;  /* signalled when a job stops running */
	struct job *list;     /* every job started by this engine */
	bool stopping;	      /* unmount: workers return, jobs resume later */
	atomic_uint repo_gen; /* bumped when a backup changes the repo */
};

struct job {
	struct jobs *eng;
	int64_t id;
	json_t *rec;	      /* the catalog record, under eng->lock */
	enum job_state state; /* only job_set_state() writes it */
	enum job_kind kind;   /* read-only */
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
	uint64_t files_total, bytes_total;  /* set before DOWNLOADING */
	pthread_t thread;
	bool thread_started, running, resumed, linked;
	bool committing; /* past job_no_return[kind] (being recorded or
done): too late to cancel; under eng->lock */
	bool ending;	 /* FINISHED/CANCELLED is being recorded: the job
			    no longer holds its database; under eng->lock */
	struct job *next;
	/* restore */
	char **holds; /* tables this job restores into: hand-made writes to
			 them are EBUSY, and the ones it creates are not
			 accessible until the commit; read-only after
			 submission */
	size_t nholds;
	struct restore_work *work; /* the worker thread's own state */
	struct backup_work *bwork; /* the same for a backup */
};

/* job.c */
enum job_state job_state_from_name(const char *name);
void job_now(char *buf, size_t len);
void job_key(int64_t id, char *buf, size_t len);
/**
 * The one state setter: checks job_transitions, stamps the entry time,
 * and writes the record (plus whatever @in_txn adds, in the same
 * transaction) before the state takes effect.
 * @return 0; -EINVAL illegal transition; -errno from the catalog (the
 *         state is then unchanged).
 */
int job_set_state(struct job *jb, enum job_state to,
		  int (*in_txn)(struct job *jb, struct catalog_txn *t),
		  const char *why);
void job_request_cancel(struct job *jb, const char *by, const char *msg);
bool job_should_stop(struct job *jb);
long job_test_knob(const char *name);
/** Format a message into @err and return @rc (for "return job_errf(...)"). */
int job_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void job_test_pause(struct job *jb, const char *knob);
struct job *job_new(struct jobs *eng, int64_t id, json_t *rec);
int job_spawn(struct job *jb);
struct job *job_running_for_db_locked(struct jobs *eng, const char *db);

extern const enum job_state job_no_return[JOB_KIND__COUNT];

/* job_backup.c */
int job_backup_submit(struct jobs *eng, const struct spec *sp, char *err,
		      size_t errlen, int64_t *job_id);
void job_backup_run(struct job *jb);
void job_backup_release(struct job *jb);

/* job_restore.c */
struct spec;
int job_restore_submit(struct jobs *eng, const struct spec *sp, char *err,
		       size_t errlen, int64_t *job_id);
void job_restore_run(struct job *jb);
void job_restore_release(struct job *jb);
bool job_restore_holds_locked(const struct job *jb, const char *table);
/** Copy the progress counters into the record. Caller holds eng->lock. */
void job_progress_to_rec_locked(struct job *jb);

#endif
