/* SPDX-License-Identifier: MIT */
/*
 * jobs-fx.h - the fixture the jobs unit tests share (test-jobs.c, built
 * once on file:// and once on mem://, and test-jobs-faults.c): a
 * repository made by contrib/snapfs-mkrepo in a store, a cluster in a temp
 * data directory, the job engine; helpers that submit statements, wait for
 * states, and check what a job left in the catalog, on the disks and in
 * the repository.
 *
 * Named without the "test-" prefix on purpose: every tests/unit/test-*.c
 * is a test program of its own (.gitignore and the scripts that list the
 * tests go by that name).
 *
 * Not thread-safe: one test at a time drives it (Check runs each test in
 * its own process; under CK_FORK=no the teardown leaves nothing behind).
 */
#ifndef SNAPFS_UNIT_JOBS_FX_H
#define SNAPFS_UNIT_JOBS_FX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jobs/jobs.h"

#define BACKENDS 3
#define THREADS	 2
#define ERRLEN	 1024
#define WAIT_MS	 20000

/* How the repository's store is stacked (what the jobs see). */
enum fx_stack {
	FX_PLAIN,	 /* the backend store_open() gives for the URL */
	FX_FAULT,	 /* a fault layer (fx.fault) right above it */
	FX_FAULT_REMOTE, /* the fault layer reporting STORE_CAP_REMOTE, and
			    the retry layer above it, as store_open() stacks
			    a remote store */
};

/* Everything a test works with. */
struct fx {
	char tmp[PATH_MAX];    /* removed at teardown */
	char gen[PATH_MAX];    /* mkrepo's OUTDIR */
	char data[PATH_MAX];   /* the cluster's data directory */
	char url[PATH_MAX];    /* the repository's store */
	char mem[64];	       /* NAME of a mem:// url, else "" */
	char ts1[64], ts2[64]; /* snap1's and snap2's timestamps */
	size_t nfiles;	       /* data files in snap1 (as in snap2) */
	enum fx_stack stack;
	struct store *st;    /* the repository's store, top of its stack */
	struct store *fault; /* its fault layer (FX_FAULT*), else NULL */
	struct store *raw;   /* the same objects without any layer: for
				checking and arranging, never faulted */
	struct repo *repo;
	struct cluster *cl;
	struct jobs *jobs;
	char err[ERRLEN];
	int64_t id; /* the last job submitted */
};

extern struct fx fx;

/* The objects of a label in the repository. */
struct objs {
	size_t n, content, info, meta;
	bool bad_md5; /* some object's content does not match its name */
};

/* ---- the fixture ---------------------------------------------------------*/

/* The store URL the tests run on: SNAPFS_TEST_JOBS_URL, else @dflt (NULL:
 * the generated directory, file://). "mem://" alone means a mem:// store
 * of a fresh name per test. */
const char *fx_url(const char *dflt);

/* Does @url name a store that lives in this process (mem://)? */
bool fx_url_in_process(const char *url);

/* A repository made by mkrepo with @args, in the store at @url (NULL:
 * the generated directory itself), opened as @stack, a 3-backend cluster,
 * the engine. */
void fx_setup(const char *const *args, const char *url, enum fx_stack stack);

/* Close everything, clear the mem:// store, remove the temp tree and
 * the test knobs from the environment. */
void fx_teardown(void);

/* mkrepo's arguments for the small repository most tests use: 2 labels
 * of 2 tables, 1 partition, 2 buckets, 2 KiB files. */
extern const char *const fx_small_repo[];

/* (Re)open the repository's store as @stack, and the repository. The
 * engine must be closed. */
void fx_open_repo(enum fx_stack stack);
void fx_close_repo(void);
void fx_open_engine(void);
void fx_close_engine(void);

/* Stop everything as an unmount does (engine, repository, store), drop
 * the test delays, and mount again on the same store and data. */
void restart(void);

/* Run @child in a child process with its own engine on the same data
 * directory; it kills itself with SIGKILL at its point. Then start the
 * engine here again. The child's writes to a mem:// store die with it. */
void crash(void (*child)(void));

/* ---- driving jobs
 * ----------------------------------------------------------*/

/* Write a statement to control file @file ("restore", ...) through the
 * control plane and close it; the job id goes to fx.id and
 * the reason for a refusal to fx.err. */
int submit(const char *file, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* RESTORE @label into @db with 2 replicas (@extra: more properties). */
int restore(const char *db, const char *label, const char *extra);
int backup(const char *db, const char *label);
int cancel(const char *what, const char *db);

/* A field of job @id's status (caller frees), or NULL. */
char *field(int64_t id, const char *name);
bool field_is(int64_t id, const char *name, const char *want);
void sleep_ms(long ms);

/* Wait until job @id is in @state; false after WAIT_MS. */
bool wait_state(int64_t id, const char *state);

/* Wait until job @id has ended and its thread tidied up; its state
 * ("FINISHED", "CANCELLED" or "TIMEOUT"). */
const char *wait_end(int64_t id);

/* The newest job's id. */
int64_t last_job(void);

/* Files done by job @id so far (its Progress), 0 before it counts. */
unsigned long files_done(int64_t id);

/* A point in the download/upload from the seed: 1 .. nfiles-1 files. */
unsigned long seeded_point(void);

/* Wait until job @id has done @n files. */
void wait_files(int64_t id, unsigned long n);

/* Restore snap1 into db1 and wait for it: the base most tests need. */
void base_restore(void);

/* ---- checking the results
 * --------------------------------------------------*/

/* Files in every replica directory of every backend. */
size_t replica_files(void);

/* Files in the backup jobs' hard-link snapshot directories. */
size_t snapshot_files(void);

/* Every catalog record under @prefix, as one object by key. */
json_t *records(const char *prefix);

/* Database @db holds @ntables tables whose replicas are all on disk,
 * 2 of each of the snapshot's files, each of the size and MD5 recorded. */
void check_restored(const char *db, size_t ntables);

/* The catalog's tables of @db, as text, to compare before and after. */
char *tables_text(const char *db);

/* The objects of label @label in the repository (read through fx.raw). */
struct objs label_objects(const char *label);

/* The repository key of @label's @i-th data file (from the manifest). */
void label_key(const char *label, size_t i, char *key, size_t len);

/* The last path component of @key: what a message must name. */
const char *base_name(const char *key);

#endif
