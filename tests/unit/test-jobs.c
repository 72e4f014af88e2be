/* SPDX-License-Identifier: MIT */
/*
 * test-jobs.c - RESTORE and BACKUP jobs driven through the jobs API,
 * without FUSE: a repository made by contrib/snapfs-mkrepo, a store that
 * holds it, a cluster in a temp data directory, the engine. Jobs run to
 * FINISHED (the catalog, the replica files and the repository objects are
 * checked), are cancelled in every state of each kind, are stopped or
 * killed (-9, in a child process) mid-state and resumed, and fail on a
 * missing or corrupt object; after a cancel or a failure the tables are
 * as they were.
 *
 * The repository's store is a parameter: fx_setup() takes a URL, and
 * SNAPFS_TEST_JOBS_URL sets it for every test (e.g. a mem:// store with
 * faults). The generated repository is copied into that store through
 * the store API; without a URL the store is the generated directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "jobs/jobs.h"
#include "jobs/spec.h"
#include "repo/repo.h"
#include "store/store.h"
#include "unit.h"

#include "base/banned.h"

#define BACKENDS 3
#define THREADS	 2
#define ERRLEN	 1024
#define WAIT_MS	 20000

/* Everything a test works with. */
struct fx {
	char tmp[PATH_MAX];    /* removed at teardown */
	char gen[PATH_MAX];    /* mkrepo's OUTDIR */
	char data[PATH_MAX];   /* the cluster's data directory */
	char url[PATH_MAX];    /* the repository's store */
	char ts1[64], ts2[64]; /* snap1's and snap2's timestamps */
	size_t nfiles;	       /* data files in snap1 (as in snap2) */
	struct store *st;
	struct repo *repo;
	struct cluster *cl;
	struct jobs *jobs;
	char err[ERRLEN];
	int64_t id; /* the last job submitted */
};

static struct fx fx;

/* ---- the fixture ---------------------------------------------------------*/

/* Run contrib/snapfs-mkrepo with @args into fx.gen. */
static void mkrepo(const char *const *args)
{
	const char *tool = getenv("MKREPO");
	const char *argv[32];
	size_t n = 0;
	pid_t pid;
	int st;

	argv[n++] = "python3";
	argv[n++] = tool && *tool ? tool : "contrib/snapfs-mkrepo";
	while (*args && n < 30)
		argv[n++] = *args++;
	argv[n++] = fx.gen;
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "snapfs-mkrepo failed");
}

/* The manifest's data files (not info/meta) of @label; sets its ts. */
static size_t manifest_files(const char *label, char *ts, size_t tslen)
{
	char path[PATH_MAX + 32], line[4096];
	size_t n = 0, l = strlen(label);
	FILE *f;

	snprintf(path, sizeof(path), "%s/manifest.tsv", fx.gen);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *slash;

		if (!tab || strncmp(line, label, l) != 0 || line[l] != '/')
			continue;
		*tab = '\0';
		slash = strchr(line + l + 1, '/');
		if (slash && ts[0] == '\0')
			snprintf(ts, tslen, "%.*s", (int)(slash - line - l - 1),
				 line + l + 1);
		if (strlen(line) > 5 &&
		    (!strcmp(tab - 5, "/info") || !strcmp(tab - 5, "/meta")))
			continue;
		n++;
	}
	fclose(f);
	return n;
}

static struct store *copy_dst;

/* Copy one generated file into the store at fx.url. */
static int copy_cb(const char *path, const struct stat *sb, int flag,
		   struct FTW *ftw)
{
	const char *rel = path + strlen(fx.gen) + 1;
	char *buf;
	size_t len;
	FILE *f;
	int rc;

	if (flag != FTW_F || strncmp(rel, "manifest.", 9) == 0)
		return 0;
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	len = (size_t)sb->st_size;
	buf = malloc(len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, len, f), len);
	fclose(f);
	rc = store_put_buf(copy_dst, rel, buf, len, 0);
	free(buf);
	ck_assert_int_eq(rc, 0);
	return 0;
}

static void fx_open_engine(void)
{
	struct cluster_opts co = {.data_dir = fx.data, .nbackends = BACKENDS};

	ck_assert_int_eq(cluster_open(&co, fx.err, sizeof(fx.err), &fx.cl), 0);
	ck_assert_int_eq(jobs_start(fx.repo, fx.cl, THREADS, &fx.jobs), 0);
}

static void fx_close_engine(void)
{
	jobs_stop(fx.jobs);
	cluster_close(fx.cl);
	fx.jobs = NULL;
	fx.cl = NULL;
}

/* A repository made by mkrepo with @args, in the store at @url (NULL:
 * the generated directory itself), a 3-backend cluster, the engine. */
static void fx_setup(const char *const *args, const char *url)
{
	const char *base = getenv("TMPDIR");

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.tmp, sizeof(fx.tmp), "%s/snapfs-test-jobs.XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(fx.tmp));
	snprintf(fx.gen, sizeof(fx.gen), "%s/repo", fx.tmp);
	snprintf(fx.data, sizeof(fx.data), "%s/data", fx.tmp);
	mkrepo(args);
	fx.nfiles = manifest_files("snap1", fx.ts1, sizeof(fx.ts1));
	ck_assert_uint_gt(fx.nfiles, 0);
	ck_assert_uint_eq(manifest_files("snap2", fx.ts2, sizeof(fx.ts2)),
			  fx.nfiles);
	snprintf(fx.url, sizeof(fx.url), "%s", url && *url ? url : fx.gen);
	ck_assert_int_eq(store_open(fx.url, NULL, &fx.st), 0);
	if (url && *url) {
		copy_dst = fx.st;
		ck_assert_int_eq(nftw(fx.gen, copy_cb, 16, FTW_PHYS), 0);
	}
	ck_assert_int_eq(
		repo_open(fx.st, NULL, fx.err, sizeof(fx.err), &fx.repo), 0);
	fx_open_engine();
}

static const char *const small_repo[] = {
	"--labels",    "2",	    "--tables", "2",	     "--partitions",
	"1",	       "--rollups", "0",	"--buckets", "2",
	"--file-size", "2048",	    NULL,
};

static void setup(void)
{
	log_init(false,
		 getenv("SNAPFS_TEST_VERBOSE") ? LOG_DEBUG : LOG_WARNING);
	fx_setup(small_repo, getenv("SNAPFS_TEST_JOBS_URL"));
}

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	fx_close_engine();
	repo_close(fx.repo);
	store_close(fx.st);
	if (fx.tmp[0])
		nftw(fx.tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	fx.tmp[0] = '\0';
}

/* ---- driving jobs
 * ----------------------------------------------------------*/

/* Write a statement to control file @ctl; the job id goes to fx.id. */
static int submit(enum jobs_control ctl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int submit(enum jobs_control ctl, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fx.err[0] = '\0';
	return jobs_submit(fx.jobs, ctl, text, strlen(text), fx.err,
			   sizeof(fx.err), &fx.id);
}

/* RESTORE @label into @db with 2 replicas (@extra: more properties). */
static int restore(const char *db, const char *label, const char *extra)
{
	return submit(JOBS_CONTROL_RESTORE,
		      "RESTORE SNAPSHOT %s.%s FROM demo PROPERTIES "
		      "(\"backup_timestamp\" = \"%s\", \"replication_num\" = "
		      "\"2\"%s)",
		      db, label, strcmp(label, "snap1") ? fx.ts2 : fx.ts1,
		      extra ? extra : "");
}

static int backup(const char *db, const char *label)
{
	return submit(JOBS_CONTROL_BACKUP, "BACKUP SNAPSHOT %s.%s TO demo", db,
		      label);
}

static int cancel(const char *what, const char *db)
{
	return submit(JOBS_CONTROL_CANCEL, "CANCEL %s FROM %s", what, db);
}

/* A field of job @id's status (caller frees), or NULL. */
static char *field(int64_t id, const char *name)
{
	json_t *rec, *v;
	char *text = NULL, *out = NULL;
	size_t len;

	if (jobs_status(fx.jobs, id, true, &text, &len) < 0)
		return NULL;
	rec = json_loads(text, 0, NULL);
	free(text);
	v = json_object_get(rec, name);
	if (json_is_string(v))
		out = strdup(json_string_value(v));
	else if (v)
		out = json_dumps(v, JSON_ENCODE_ANY);
	json_decref(rec);
	return out;
}

static bool field_is(int64_t id, const char *name, const char *want)
{
	char *v = field(id, name);
	bool eq = v && strcmp(v, want) == 0;

	free(v);
	return eq;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Wait until job @id is in @state; false after WAIT_MS. */
static bool wait_state(int64_t id, const char *state)
{
	int i;

	for (i = 0; i < WAIT_MS / 5; i++) {
		if (field_is(id, "State", state))
			return true;
		sleep_ms(5);
	}
	return false;
}

/* Wait until job @id has ended and its thread tidied up; its state. */
static const char *wait_end(int64_t id)
{
	int i;

	for (i = 0; i < WAIT_MS / 5; i++) {
		if (field_is(id, "State", "FINISHED")) {
			jobs_wait_idle(fx.jobs);
			return "FINISHED";
		}
		if (field_is(id, "State", "CANCELLED")) {
			jobs_wait_idle(fx.jobs);
			return "CANCELLED";
		}
		sleep_ms(5);
	}
	return "TIMEOUT";
}

/* ---- checking the results ------------------------------------------------*/

static size_t nreg;

static int count_cb(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	if (flag == FTW_F && strstr(path, "/tablets/"))
		nreg++;
	return 0;
}

/* Files in every replica directory of every backend. */
static size_t replica_files(void)
{
	nreg = 0;
	ck_assert_int_eq(nftw(fx.data, count_cb, 16, FTW_PHYS), 0);
	return nreg;
}

static size_t nsnap;

static int snap_cb(const char *path, const struct stat *sb, int flag,
		   struct FTW *ftw)
{
	if (flag == FTW_F && strstr(path, "/snapshot/"))
		nsnap++;
	return 0;
}

/* Files in the backup jobs' hard-link snapshot directories. */
static size_t snapshot_files(void)
{
	nsnap = 0;
	ck_assert_int_eq(nftw(fx.data, snap_cb, 16, FTW_PHYS), 0);
	return nsnap;
}

static int scan_cb(const char *key, json_t *val, void *arg)
{
	json_object_set((json_t *)arg, key, val);
	return 0;
}

/* Every catalog record under @prefix, as one object by key. */
static json_t *records(const char *prefix)
{
	struct catalog_txn *t;
	json_t *all = json_object();

	ck_assert_int_eq(catalog_begin(cluster_catalog(fx.cl), false, &t), 0);
	ck_assert_int_eq(catalog_scan(t, prefix, scan_cb, all), 0);
	catalog_abort(t);
	return all;
}

/* Read a whole local file and check its size and MD5. */
static void check_file(const char *path, json_t *f)
{
	char hex[MD5_HEX_LEN + 1], *buf;
	struct stat sb;
	FILE *fp;

	ck_assert_msg(stat(path, &sb) == 0, "%s is missing", path);
	ck_assert_int_eq(sb.st_size,
			 json_integer_value(json_object_get(f, "size")));
	buf = malloc((size_t)sb.st_size + 1);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fread(buf, 1, (size_t)sb.st_size, fp),
			  (size_t)sb.st_size);
	fclose(fp);
	ck_assert_int_eq(md5_hex(buf, (size_t)sb.st_size, hex), 0);
	free(buf);
	ck_assert_str_eq(hex, json_string_value(json_object_get(f, "md5")));
}

/* Check every replica of a table record against the files on disk.
 * @return the files checked. */
static size_t check_table(json_t *tbl)
{
	json_t *p, *ix, *tab, *rep, *f;
	size_t a, b, c, d, e, n = 0;
	char dir[PATH_MAX], path[PATH_MAX + 256];

	ck_assert_str_eq(json_string_value(json_object_get(tbl, "state")),
			 "NORMAL");
	json_array_foreach (json_object_get(tbl, "partitions"), a, p)
		json_array_foreach (json_object_get(p, "indexes"), b, ix)
			json_array_foreach (json_object_get(ix, "tablets"), c,
					    tab)
				json_array_foreach (
					json_object_get(tab, "replicas"), d,
					rep) {
					ck_assert_int_eq(
						cluster_replica_dir(
							fx.cl,
							(unsigned)json_integer_value(
								json_object_get(
									rep,
									"backen"
									"d")),
							json_integer_value(
								json_object_get(
									tab,
									"id")),
							json_integer_value(
								json_object_get(
									rep,
									"id")),
							json_integer_value(
								json_object_get(
									rep,
									"gen")),
							dir, sizeof(dir)),
						0);
					json_array_foreach (
						json_object_get(rep, "files"),
						e, f) {
						snprintf(
							path, sizeof(path),
							"%s/%s", dir,
							json_string_value(
								json_object_get(
									f,
									"nam"
									"e")));
						check_file(path, f);
						n++;
					}
				}
	return n;
}

/* Database @db holds @ntables tables whose replicas are all on disk,
 * 2 of each of the snapshot's files. */
static void check_restored(const char *db, size_t ntables)
{
	char prefix[300];
	json_t *all, *tbl;
	const char *key;
	size_t n = 0;

	snprintf(prefix, sizeof(prefix), "table/%s/", db);
	all = records(prefix);
	ck_assert_uint_eq(json_object_size(all), ntables);
	json_object_foreach (all, key, tbl)
		n += check_table(tbl);
	json_decref(all);
	ck_assert_uint_eq(n, 2 * fx.nfiles);
}

/* The catalog's tables of @db, as text, to compare before and after. */
static char *tables_text(const char *db)
{
	char prefix[300], *s;
	json_t *all;

	snprintf(prefix, sizeof(prefix), "table/%s/", db);
	all = records(prefix);
	s = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(all);
	return s;
}

struct objs {
	size_t n, content, info, meta;
	bool bad_md5;
};

static int obj_cb(const struct store_entry *e, void *arg)
{
	struct objs *o = arg;
	char hex[MD5_HEX_LEN + 1], *buf = NULL;
	const char *dot = strrchr(e->key, '.');
	size_t len;

	if (e->is_prefix)
		return 0;
	o->n++;
	if (strstr(e->key, "/__ss_content/"))
		o->content++;
	else if (strstr(e->key, "/__info_"))
		o->info++;
	else if (strstr(e->key, "/__meta."))
		o->meta++;
	/* The object name carries the MD5 of its content. */
	if (store_read_all(fx.st, e->key, 64 << 20, &buf, &len) < 0 ||
	    md5_hex(buf, len, hex) < 0 || !dot || strcmp(dot + 1, hex) != 0)
		o->bad_md5 = true;
	free(buf);
	return 0;
}

/* The objects of label @label in the repository. */
static struct objs label_objects(const char *label)
{
	struct objs o = {0};
	char prefix[600];
	int rc;

	snprintf(prefix, sizeof(prefix), "%s__ss_%s/", repo_root(fx.repo),
		 label);
	rc = store_list(fx.st, prefix, NULL, obj_cb, &o);
	ck_assert(rc == 0 || rc == -ENOENT);
	return o;
}

/* The repository key of @label's @i-th data file (from the manifest). */
static void label_key(const char *label, size_t i, char *key, size_t len)
{
	size_t l = strlen(label);
	char path[PATH_MAX + 32], line[4096], *k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/manifest.tsv", fx.gen);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, label, l) == 0 && line[l] == '/' &&
		    strstr(line, "/__ss_content/") && i-- == 0)
			break;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	k = strrchr(line, '\t');
	ck_assert_ptr_nonnull(k);
	snprintf(key, len, "%s%s", repo_root(fx.repo), k + 1);
}

/* Restore snap1 into db1 and wait for it: the base most tests need. */
static void base_restore(void)
{
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
}

/* ---- to FINISHED
 * -----------------------------------------------------------*/

START_TEST(test_restore_finishes)
{
	char *v, want[64], *show = NULL;
	size_t len;

	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert_int_gt(fx.id, 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db1", 2);
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	snprintf(want, sizeof(want), "%zu", fx.nfiles);
	ck_assert(field_is(fx.id, "FilesDownloaded", want));
	v = field(fx.id, "Progress");
	snprintf(want, sizeof(want), "%zu/%zu files", fx.nfiles, fx.nfiles);
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(strncmp(v, want, strlen(want)) == 0, "Progress: %s", v);
	free(v);
	ck_assert_int_eq(jobs_show(fx.jobs, JOB_KIND_RESTORE, &show, &len), 0);
	ck_assert_ptr_nonnull(strstr(show, "\tsnap1\t"));
	ck_assert_ptr_nonnull(strstr(show, "FINISHED"));
	free(show);
	ck_assert_int_eq(jobs_show(fx.jobs, JOB_KIND_BACKUP, &show, &len), 0);
	ck_assert_ptr_null(strstr(show, "snap1"));
	free(show);
	/* Nothing is held once it has finished. */
	ck_assert(!jobs_table_busy(fx.jobs, "db1", "t1"));
}
END_TEST

START_TEST(test_restore_again_reuses_files)
{
	char want[32];

	base_restore();
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ck_assert(field_is(fx.id, "FilesDownloaded", "0"));
	snprintf(want, sizeof(want), "%zu", fx.nfiles);
	ck_assert(field_is(fx.id, "FilesReused", want));
	check_restored("db1", 2);
	/* The old generation is gone, the new one is all there is. */
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
}
END_TEST

START_TEST(test_backup_finishes)
{
	unsigned gen = jobs_repo_generation(fx.jobs);
	struct repo_label *l = NULL;
	struct repo_snapshot *s = NULL;
	struct objs o;

	base_restore();
	ck_assert_int_eq(backup("db1", "bk"), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ck_assert(field_is(fx.id, "SnapshotName", "bk"));
	o = label_objects("bk");
	ck_assert_uint_eq(o.content, fx.nfiles);
	ck_assert_uint_eq(o.info, 1);
	ck_assert_uint_eq(o.meta, 1);
	ck_assert(!o.bad_md5);
	ck_assert_uint_eq(snapshot_files(), 0);
	ck_assert_uint_ne(jobs_repo_generation(fx.jobs), gen);
	/* The repository layer reads it as a complete, usable snapshot. */
	ck_assert_int_eq(repo_label_load(fx.repo, "__ss_bk", &l), 0);
	ck_assert_uint_eq(l->nts, 1);
	ck_assert_int_eq(repo_snapshot_load(fx.repo, l, &l->ts[0], &s), 0);
	ck_assert_msg(s->ok, "verdict: %s", s->verdict);
	repo_snapshot_free(s);
	repo_label_free(l);
	ck_assert(!jobs_table_busy(fx.jobs, "db1", "t1"));
}
END_TEST

/* A backup restores into another database, byte for byte. */
START_TEST(test_backup_restores)
{
	char *ts;

	base_restore();
	ck_assert_int_eq(backup("db1", "bk"), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ts = field(fx.id, "Timestamp");
	ck_assert_ptr_nonnull(ts);
	ck_assert_int_eq(submit(JOBS_CONTROL_RESTORE,
				"RESTORE SNAPSHOT db2.bk FROM demo PROPERTIES "
				"(\"backup_timestamp\" = \"%s\", "
				"\"replication_num\" = \"2\")",
				ts),
			 0);
	free(ts);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db2", 2);
}
END_TEST

/* ---- the catalog records a restore leaves
 * ------------------------------------------*/

/* Snapshot @label's info (free with repo_snapshot_free() and
 * repo_label_free()). */
static struct repo_snapshot *load_snapshot(const char *label,
					   struct repo_label **lp)
{
	struct repo_snapshot *s = NULL;
	char dir[64];

	snprintf(dir, sizeof(dir), "__ss_%s", label);
	ck_assert_int_eq(repo_label_load(fx.repo, dir, lp), 0);
	ck_assert_uint_eq((*lp)->nts, 1);
	ck_assert_int_eq(repo_snapshot_load(fx.repo, *lp, &(*lp)->ts[0], &s),
			 0);
	ck_assert_ptr_nonnull(s->ji);
	return s;
}

/* Check one restored tablet against the snapshot's: where it came from,
 * 2 replicas of generation @gen on distinct backends, each listing the
 * files on its disk. */
static void check_tablet(const struct record_tablet *tab,
			 const struct jobinfo_table *jt,
			 const struct jobinfo_index *ji,
			 const struct jobinfo_tablet *jtab, int64_t gen)
{
	const struct record_replica *r;
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct stat sb;
	size_t k, f;

	ck_assert_ptr_nonnull(tab->src);
	ck_assert_str_eq(tab->src->table, jt->name);
	ck_assert_int_eq(tab->src->table_id, jt->id);
	ck_assert_str_eq(tab->src->index, ji->name);
	ck_assert_int_eq(tab->src->index_id, ji->id);
	ck_assert_int_eq(tab->src->tablet, jtab->id);
	ck_assert_int_eq(tab->src->part_id, jtab->part_id);
	ck_assert_ptr_null(tab->old); /* a plan mark, never stored */
	ck_assert_uint_eq(tab->nreplicas, 2);
	ck_assert_uint_ne(tab->replicas[0].backend, tab->replicas[1].backend);
	for (k = 0; k < tab->nreplicas; k++) {
		r = &tab->replicas[k];
		ck_assert_uint_lt(r->backend, BACKENDS);
		ck_assert_int_eq(r->gen, gen);
		ck_assert(r->has_files);
		if (jtab->nfiles)
			ck_assert_uint_eq(r->nfiles, jtab->nfiles);
		ck_assert_uint_gt(r->nfiles, 0);
		ck_assert_int_eq(cluster_replica_path(fx.cl, tab->id, r, dir,
						      sizeof(dir)),
				 0);
		for (f = 0; f < r->nfiles; f++) {
			snprintf(path, sizeof(path), "%s/%s", dir,
				 r->files[f].name);
			ck_assert_msg(stat(path, &sb) == 0, "%s", path);
			ck_assert_int_eq(sb.st_size, r->files[f].size);
			ck_assert_str_eq(r->files[f].md5,
					 tab->replicas[0].files[f].md5);
		}
	}
}

/* Check @tbl, restored whole from @jt by job @job, against the snapshot;
 * ids of @prev (the same table before, or NULL) are kept. */
static void check_record(const struct record_table *tbl,
			 const struct jobinfo_table *jt, int64_t job,
			 const struct record_table *prev)
{
	const struct jobinfo_partition *jp;
	const struct record_partition *p;
	const struct record_index *ix;
	size_t a, b, c;

	ck_assert_int_eq(tbl->state, RECORD_TABLE_NORMAL);
	ck_assert_int_eq(tbl->job_id, 0);
	ck_assert_str_eq(tbl->source_table, jt->name);
	ck_assert_int_eq(tbl->restored_by, job);
	ck_assert_uint_eq(tbl->nparts, jt->npartitions);
	if (prev)
		ck_assert_int_eq(tbl->id, prev->id);
	for (a = 0; a < jt->npartitions; a++) {
		jp = &jt->partitions[a];
		p = record_partition_find(tbl, jp->name, false);
		ck_assert_ptr_nonnull(p);
		ck_assert(!p->restored); /* a plan mark, never stored */
		ck_assert_int_eq(p->version, jp->version);
		ck_assert_uint_eq(p->nindexes, jp->nindexes);
		if (prev)
			ck_assert_int_eq(p->id, record_partition_find(
							prev, jp->name, false)
							->id);
		for (b = 0; b < jp->nindexes; b++) {
			ix = record_index_find(p, jp->indexes[b].name);
			ck_assert_ptr_nonnull(ix);
			ck_assert_int_eq(ix->schema_hash,
					 jp->indexes[b].schema_hash);
			ck_assert_uint_eq(ix->ntablets,
					  jp->indexes[b].ntablets);
			for (c = 0; c < ix->ntablets; c++) {
				check_tablet(&ix->tablets[c], jt,
					     &jp->indexes[b],
					     &jp->indexes[b].tablets[c], job);
				/* Same structure: the same tablets. */
				if (prev)
					ck_assert_ptr_nonnull(
						record_tablet_lookup(
							prev, jp->name,
							ix->name,
							ix->tablets[c].id));
			}
		}
	}
}

/* Read db1's tables back as typed records (record_table_get()) and check
 * them against snapshot @label restored by job @job. @prev: db1's tables
 * before (ids kept), or NULL; @out: the tables read, if not NULL. */
static void check_records(const char *label, int64_t job,
			  struct record_table *prev, struct record_table *out)
{
	struct repo_label *l = NULL;
	struct repo_snapshot *s = load_snapshot(label, &l);
	struct catalog_txn *t;
	struct record_db db;
	struct record_table tbl;
	size_t i;

	ck_assert_int_eq(catalog_begin(cluster_catalog(fx.cl), false, &t), 0);
	ck_assert_int_eq(record_db_get(t, "db1", &db), 0);
	ck_assert_str_eq(db.name, "db1");
	record_db_release(&db);
	for (i = 0; i < s->ji->ntables; i++) {
		ck_assert_int_eq(
			record_table_get(t, "db1", s->ji->tables[i].name, &tbl),
			0);
		check_record(&tbl, &s->ji->tables[i], job,
			     prev ? &prev[i] : NULL);
		if (out)
			out[i] = tbl;
		else
			record_table_release(&tbl);
	}
	catalog_abort(t);
	repo_snapshot_free(s);
	repo_label_free(l);
}

START_TEST(test_restore_records)
{
	struct record_table first[2] = {{0}};
	int64_t job;

	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	job = fx.id;
	ck_assert_str_eq(wait_end(job), "FINISHED");
	check_records("snap1", job, NULL, first);
	/* Again over the same structure: ids kept, new replicas. */
	ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	ck_assert_int_ne(fx.id, job);
	check_records("snap2", fx.id, first, NULL);
	record_table_release(&first[0]);
	record_table_release(&first[1]);
}
END_TEST

/* A table record that is not what record.h describes: the restore that
 * would read it is refused with EIO, as the catalog gives it. */
START_TEST(test_restore_malformed_table)
{
	struct catalog_txn *t;
	json_t *bad = json_pack("{s:s, s:s, s:s}", "id", "x", "name", "t1",
				"db", "db1");

	base_restore();
	ck_assert_int_eq(catalog_begin(cluster_catalog(fx.cl), true, &t), 0);
	ck_assert_int_eq(catalog_put(t, "table/db1/t1", bad), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(bad);
	ck_assert_int_eq(restore("db1", "snap2", NULL), -EIO);
}
END_TEST

/* A job whose plan can't be read (here: a table without partitions) is
 * cancelled when it resumes, with its reason, leaving nothing behind. */
START_TEST(test_restore_malformed_plan_cancels)
{
	struct catalog_txn *t;
	json_t *rec, *tbl;
	char *msg, *tables;
	int64_t id;

	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("dbm", "snap1", NULL), 0);
	id = fx.id;
	ck_assert(wait_state(id, "DOWNLOAD"));
	jobs_stop(fx.jobs); /* as an unmount does; the cluster stays open */
	fx.jobs = NULL;
	ck_assert_int_eq(catalog_begin(cluster_catalog(fx.cl), true, &t), 0);
	ck_assert_int_eq(record_job_get(t, id, &rec), 0);
	tbl = json_object_get(json_array_get(json_object_get(rec, "plan"), 0),
			      "table");
	ck_assert_ptr_nonnull(tbl);
	ck_assert_int_eq(json_object_del(tbl, "partitions"), 0);
	ck_assert_int_eq(record_job_put(t, id, rec), 0);
	ck_assert_int_eq(catalog_commit(t), 0);
	json_decref(rec);
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
	ck_assert_int_eq(jobs_start(fx.repo, fx.cl, THREADS, &fx.jobs), 0);
	ck_assert_str_eq(wait_end(id), "CANCELLED");
	msg = field(id, "TaskErrMsg");
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, "malformed"), "TaskErrMsg: %s", msg);
	free(msg);
	tables = tables_text("dbm");
	ck_assert_str_eq(tables, "{}");
	free(tables);
	ck_assert_uint_eq(replica_files(), 0);
}
END_TEST

/* ---- cancel in every state
 * -------------------------------------------------*/

static const char *const restore_states[] = {
	"PENDING", "SNAPSHOTING", "DOWNLOAD", "DOWNLOADING", "COMMIT", NULL,
};

START_TEST(test_restore_cancel_each_state)
{
	char *before, *after;
	size_t i;

	base_restore();
	before = tables_text("db1");
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	for (i = 0; restore_states[i]; i++) {
		ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
		ck_assert_msg(wait_state(fx.id, restore_states[i]), "%s",
			      restore_states[i]);
		/* Held while it runs: hand-made writes are EBUSY. */
		ck_assert(jobs_table_busy(fx.jobs, "db1", "t1"));
		ck_assert(!jobs_table_busy(fx.jobs, "db1", "t9"));
		ck_assert_int_eq(cancel("RESTORE", "db1"), 0);
		ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
		ck_assert(field_is(fx.id, "CancelledBy", "user"));
		after = tables_text("db1");
		ck_assert_msg(strcmp(before, after) == 0,
			      "db1 changed by a cancel in %s",
			      restore_states[i]);
		free(after);
		ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	}
	free(before);
	check_restored("db1", 2);
}
END_TEST

/* A cancelled restore into a new database leaves no table behind. */
START_TEST(test_restore_cancel_new_db)
{
	char *t;

	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("dbn", "snap1", NULL), 0);
	ck_assert(wait_state(fx.id, "DOWNLOAD"));
	/* The tables it creates are there, not yet NORMAL. */
	t = tables_text("dbn");
	ck_assert_ptr_nonnull(strstr(t, "\"RESTORE\""));
	free(t);
	ck_assert_int_eq(cancel("RESTORE", "dbn"), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	t = tables_text("dbn");
	ck_assert_str_eq(t, "{}");
	free(t);
	ck_assert_uint_eq(replica_files(), 0);
}
END_TEST

START_TEST(test_restore_cancel_committing_refused)
{
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert(wait_state(fx.id, "COMMITTING"));
	ck_assert_int_eq(cancel("RESTORE", "db1"), -EBUSY);
	ck_assert_ptr_nonnull(strstr(fx.err, "too late"));
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db1", 2);
}
END_TEST

static const char *const backup_states[] = {
	"PENDING",   "SNAPSHOTING", "UPLOAD_SNAPSHOT",
	"UPLOADING", "SAVE_META",   NULL,
};

START_TEST(test_backup_cancel_each_state)
{
	char label[32];
	struct objs o;
	size_t i;

	base_restore();
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	for (i = 0; backup_states[i]; i++) {
		snprintf(label, sizeof(label), "c%zu", i);
		ck_assert_int_eq(backup("db1", label), 0);
		ck_assert_msg(wait_state(fx.id, backup_states[i]), "%s",
			      backup_states[i]);
		ck_assert(jobs_table_busy(fx.jobs, "db1", "t2"));
		ck_assert_int_eq(cancel("BACKUP", "db1"), 0);
		ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
		ck_assert(field_is(fx.id, "CancelledBy", "user"));
		o = label_objects(label);
		ck_assert_msg(o.n == 0, "%zu objects left after a cancel in %s",
			      o.n, backup_states[i]);
		ck_assert_uint_eq(snapshot_files(), 0);
		ck_assert(!jobs_table_busy(fx.jobs, "db1", "t2"));
	}
	/* A restore is not cancelled by CANCEL BACKUP. */
	ck_assert_int_eq(cancel("BACKUP", "db1"), -ENOENT);
}
END_TEST

START_TEST(test_backup_cancel_upload_info_refused)
{
	struct objs o;

	base_restore();
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(backup("db1", "late"), 0);
	ck_assert(wait_state(fx.id, "UPLOAD_INFO"));
	ck_assert_int_eq(cancel("BACKUP", "db1"), -EBUSY);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	o = label_objects("late");
	ck_assert_uint_eq(o.info, 1);
	ck_assert_uint_eq(o.content, fx.nfiles);
}
END_TEST

START_TEST(test_timeout_cancels)
{
	char *t;

	setenv("SNAPFS_TEST_CLOCK_SCALE", "2000", 1);
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "500", 1);
	ck_assert_int_eq(restore("db1", "snap1", ", \"timeout\" = \"600\""), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	ck_assert(field_is(fx.id, "CancelledBy", "timeout"));
	t = tables_text("db1");
	ck_assert_str_eq(t, "{}");
	free(t);
}
END_TEST

/* ---- stop or crash, and resume
 * ---------------------------------------------*/

/* The newest job's id. */
static int64_t last_job(void)
{
	int64_t *ids = NULL, id;
	size_t n = 0;

	ck_assert_int_eq(jobs_list(fx.jobs, &ids, &n), 0);
	ck_assert_uint_gt(n, 0);
	id = ids[n - 1];
	free(ids);
	return id;
}

/* Files done by job @id so far (its Progress), 0 before it counts. */
static unsigned long files_done(int64_t id)
{
	char *p = field(id, "Progress");
	unsigned long n = p ? strtoul(p, NULL, 10) : 0;

	free(p);
	return n;
}

/* A point in the download/upload from the seed: 1 .. nfiles-1 files. */
static unsigned long seeded_point(void)
{
	const char *s = getenv("SNAPFS_TEST_SEED");
	unsigned long seed = s && *s ? strtoul(s, NULL, 10) : 1;

	return 1 + seed % (fx.nfiles - 1);
}

static void wait_files(int64_t id, unsigned long n)
{
	int i;

	for (i = 0; i < WAIT_MS / 5 && files_done(id) < n; i++)
		sleep_ms(5);
	ck_assert_uint_ge(files_done(id), n);
}

/* Stop the engine (as an unmount does) and start it again. */
static void restart(void)
{
	fx_close_engine();
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
	unsetenv("SNAPFS_TEST_FILE_DELAY_MS");
	fx_open_engine();
}

START_TEST(test_restore_stop_resume_each_state)
{
	static const char *const states[] = {
		"PENDING", "SNAPSHOTING", "DOWNLOAD", "DOWNLOADING",
		"COMMIT",  "COMMITTING",  NULL,
	};
	char db[16];
	size_t i;

	for (i = 0; states[i]; i++) {
		snprintf(db, sizeof(db), "dbs%zu", i);
		setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
		ck_assert_int_eq(restore(db, "snap1", NULL), 0);
		ck_assert_msg(wait_state(fx.id, states[i]), "%s", states[i]);
		restart();
		ck_assert_msg(strcmp(wait_end(fx.id), "FINISHED") == 0,
			      "stopped in %s, resumed", states[i]);
		check_restored(db, 2);
	}
	ck_assert_uint_eq(replica_files(), 2 * i * fx.nfiles);
}
END_TEST

START_TEST(test_backup_stop_resume_each_state)
{
	static const char *const states[] = {
		"PENDING",   "SNAPSHOTING", "UPLOAD_SNAPSHOT",
		"UPLOADING", "SAVE_META",   "UPLOAD_INFO",
		NULL,
	};
	char label[16];
	struct objs o;
	size_t i;

	base_restore();
	for (i = 0; states[i]; i++) {
		snprintf(label, sizeof(label), "s%zu", i);
		setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
		ck_assert_int_eq(backup("db1", label), 0);
		ck_assert_msg(wait_state(fx.id, states[i]), "%s", states[i]);
		restart();
		ck_assert_msg(strcmp(wait_end(fx.id), "FINISHED") == 0,
			      "stopped in %s, resumed", states[i]);
		o = label_objects(label);
		ck_assert_uint_eq(o.content, fx.nfiles);
		ck_assert_uint_eq(o.info, 1);
		ck_assert(!o.bad_md5);
	}
	ck_assert_uint_eq(snapshot_files(), 0);
}
END_TEST

/* Stopped while downloading: what is here is not fetched again. */
START_TEST(test_restore_stop_mid_download)
{
	unsigned long k = seeded_point();
	char *a, *b;

	setenv("SNAPFS_TEST_FILE_DELAY_MS", "100", 1);
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	wait_files(fx.id, k);
	restart();
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
	check_restored("db1", 2);
	a = field(fx.id, "FilesReused");
	b = field(fx.id, "FilesDownloaded");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_ge(strtoul(a, NULL, 10), k);
	ck_assert_uint_eq(strtoul(a, NULL, 10) + strtoul(b, NULL, 10),
			  fx.nfiles);
	free(a);
	free(b);
}
END_TEST

/*
 * Run @child in a child process with its own engine on the same data
 * directory; it kills itself with SIGKILL at its point (a crash: no
 * clean-up, no unmount). Then start the engine here again.
 */
static void crash(void (*child)(void))
{
	pid_t pid;
	int st;

	fx_close_engine();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fx_open_engine();
		child();
		_exit(3); /* the point never came */
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		      "the child was not killed (status %d)", st);
	fx_open_engine();
}

static void kill_restore_downloading(void)
{
	setenv("SNAPFS_TEST_FILE_DELAY_MS", "100", 1);
	if (restore("db1", "snap2", NULL) == 0)
		wait_files(fx.id, seeded_point());
	raise(SIGKILL);
}

static void kill_restore_committing(void)
{
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	if (restore("db1", "snap2", NULL) == 0 &&
	    wait_state(fx.id, "COMMITTING"))
		raise(SIGKILL);
}

START_TEST(test_restore_kill9_resumes)
{
	void (*const points[])(void) = {kill_restore_downloading,
					kill_restore_committing};
	size_t i;

	base_restore();
	for (i = 0; i < 2; i++) {
		crash(points[i]);
		ck_assert_str_eq(wait_end(last_job()), "FINISHED");
		check_restored("db1", 2);
		ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	}
}
END_TEST

static void kill_backup_uploading(void)
{
	setenv("SNAPFS_TEST_FILE_DELAY_MS", "100", 1);
	if (backup("db1", "k1") == 0)
		wait_files(fx.id, seeded_point());
	raise(SIGKILL);
}

static void kill_backup_upload_info(void)
{
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	if (backup("db1", "k2") == 0 && wait_state(fx.id, "UPLOAD_INFO"))
		raise(SIGKILL);
}

START_TEST(test_backup_kill9_resumes)
{
	struct objs o;
	int64_t id;
	char *v;

	base_restore();
	crash(kill_backup_uploading);
	o = label_objects("k1");
	ck_assert_uint_eq(o.info, 0); /* not complete before it resumes */
	id = last_job();
	ck_assert_str_eq(wait_end(id), "FINISHED");
	o = label_objects("k1");
	ck_assert_uint_eq(o.content, fx.nfiles);
	ck_assert_uint_eq(o.info, 1);
	ck_assert(!o.bad_md5);
	/* What was sent before the kill was not sent again. */
	v = field(id, "FilesReused");
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_ge(strtoul(v, NULL, 10), seeded_point());
	free(v);

	crash(kill_backup_upload_info);
	ck_assert_str_eq(wait_end(last_job()), "FINISHED");
	o = label_objects("k2");
	ck_assert_uint_eq(o.info, 1);
	ck_assert_uint_eq(o.content, fx.nfiles);
	ck_assert_uint_eq(snapshot_files(), 0);
}
END_TEST

/* ---- failures in the repository
 * --------------------------------------------*/

/* The last path component of @key: what a message must name. */
static const char *base_name(const char *key)
{
	const char *s = strrchr(key, '/');

	return s ? s + 1 : key;
}

START_TEST(test_restore_missing_object)
{
	char key[2048], *before, *after, *msg;

	base_restore();
	before = tables_text("db1");
	label_key("snap2", 4, key, sizeof(key));
	ck_assert_int_eq(store_remove(fx.st, key), 0);
	ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	ck_assert(field_is(fx.id, "CancelledBy", "error"));
	msg = field(fx.id, "TaskErrMsg");
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, base_name(key)), "TaskErrMsg: %s", msg);
	ck_assert_ptr_nonnull(strstr(msg, "missing"));
	free(msg);
	after = tables_text("db1");
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
	check_restored("db1", 2);
}
END_TEST

START_TEST(test_restore_corrupt_object)
{
	char key[2048], *before, *after, *msg, *buf = NULL;
	size_t len;

	base_restore();
	before = tables_text("db1");
	label_key("snap2", 1, key, sizeof(key));
	ck_assert_int_eq(store_read_all(fx.st, key, 1 << 20, &buf, &len), 0);
	ck_assert_uint_gt(len, 0);
	buf[len / 2] ^= 0x55;
	ck_assert_int_eq(store_put_buf(fx.st, key, buf, len, 0), 0);
	free(buf);
	ck_assert_int_eq(restore("db1", "snap2", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	msg = field(fx.id, "TaskErrMsg");
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strstr(msg, base_name(key)) && strstr(msg, "MD5"),
		      "TaskErrMsg: %s", msg);
	free(msg);
	after = tables_text("db1");
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	ck_assert_uint_eq(replica_files(), 2 * fx.nfiles);
}
END_TEST

/* Into a new database: the failed job leaves no table and no replica. */
START_TEST(test_restore_missing_object_new_db)
{
	char key[2048], *t;

	label_key("snap1", 0, key, sizeof(key));
	ck_assert_int_eq(store_remove(fx.st, key), 0);
	ck_assert_int_eq(restore("dbn", "snap1", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "CANCELLED");
	t = tables_text("dbn");
	ck_assert_str_eq(t, "{}");
	free(t);
	ck_assert_uint_eq(replica_files(), 0);
}
END_TEST

/* ---- refused statements keep their errno
 * -----------------------------------*/

START_TEST(test_submit_errors)
{
	int64_t running;

	ck_assert_int_eq(submit(JOBS_CONTROL_RESTORE,
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = \"%s\", "
				"\"replication_num\" = \"9\")",
				fx.ts1),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(fx.err, "backends"));
	ck_assert_int_eq(submit(JOBS_CONTROL_RESTORE,
				"RESTORE SNAPSHOT db1.snap9 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(fx.err, "snap9"));
	ck_assert_int_eq(submit(JOBS_CONTROL_RESTORE,
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = "
				"\"2001-01-01-00-00-00\")"),
			 -ENOENT);
	ck_assert_int_eq(submit(JOBS_CONTROL_RESTORE,
				"RESTORE SNAPSHOT db1.snap1 FROM demo ON (t9) "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(fx.err, "t9"));
	ck_assert_int_eq(submit(JOBS_CONTROL_RESTORE,
				"RESTORE SNAPSHOT db1.snap1 FROM other "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(fx.err, "not the mounted repository"));
	ck_assert_int_eq(
		submit(JOBS_CONTROL_RESTORE, "RESTORE SNAPSHOT db1.snap1 FROM"),
		-EAGAIN);
	ck_assert_int_eq(submit(JOBS_CONTROL_RESTORE,
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"bogus\" = \"1\")"),
			 -EINVAL);
	ck_assert_int_eq(
		submit(JOBS_CONTROL_RESTORE, "BACKUP SNAPSHOT db1.x TO demo"),
		-EINVAL);
	ck_assert_ptr_nonnull(strstr(fx.err, "control/backup"));
	ck_assert_int_eq(backup("nodb", "x"), -ENOENT);
	ck_assert_int_eq(cancel("RESTORE", "db1"), -ENOENT);
	ck_assert_int_eq(submit(JOBS_CONTROL_CANCEL,
				"RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES (\"backup_timestamp\" = \"%s\")",
				fx.ts1),
			 -EINVAL);

	/* One running job per database, whatever its kind. */
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	running = fx.id;
	ck_assert_int_eq(restore("db1", "snap2", NULL), -EBUSY);
	ck_assert_msg(strstr(fx.err, "running job"), "%s", fx.err);
	ck_assert_int_eq(backup("db1", "b"), -EBUSY); /* being restored */
	ck_assert_int_eq(cancel("RESTORE", "db1"), 0);
	ck_assert_int_eq(fx.id, running);
	ck_assert_str_eq(wait_end(running), "CANCELLED");
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
	base_restore();
	ck_assert_int_eq(backup("db1", "snap1"), -EEXIST);
	ck_assert_ptr_nonnull(strstr(fx.err, "already exist"));
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "200", 1);
	ck_assert_int_eq(backup("db1", "b1"), 0);
	running = fx.id;
	ck_assert_int_eq(backup("db1", "b2"), -EBUSY);
	ck_assert_int_eq(restore("db1", "snap1", NULL), -EBUSY);
	ck_assert_int_eq(cancel("RESTORE", "db1"), -ENOENT);
	ck_assert_int_eq(cancel("BACKUP", "db1"), 0);
	ck_assert_str_eq(wait_end(running), "CANCELLED");
}
END_TEST

/* jobs_submit_spec() trusts its caller with the repository name. */
START_TEST(test_submit_spec)
{
	struct spec_err se = {0};
	struct spec *sp = NULL;
	char text[512];
	int64_t id = 0;

	snprintf(text, sizeof(text),
		 "RESTORE SNAPSHOT db1.snap1 FROM elsewhere PROPERTIES "
		 "(\"backup_timestamp\" = \"%s\", \"replication_num\" = "
		 "\"2\")",
		 fx.ts1);
	ck_assert_int_eq(spec_parse(text, strlen(text), &se, &sp), 0);
	ck_assert_int_eq(
		jobs_submit_spec(fx.jobs, sp, fx.err, sizeof(fx.err), &id), 0);
	spec_free(sp);
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(wait_end(id), "FINISHED");
	check_restored("db1", 2);

	snprintf(text, sizeof(text), "DROP SNAPSHOT snap1 FROM demo");
	ck_assert_int_eq(spec_parse(text, strlen(text), &se, &sp), 0);
	id = 0;
	ck_assert_int_eq(
		jobs_submit_spec(fx.jobs, sp, fx.err, sizeof(fx.err), &id),
		-EINVAL);
	ck_assert_int_eq(id, 0);
	spec_free(sp);
}
END_TEST

/* ---- the tables of states
 * --------------------------------------------------*/

START_TEST(test_transitions)
{
	static const enum job_state r[] = {
		JOB_PENDING, JOB_SNAPSHOTING, JOB_DOWNLOAD, JOB_DOWNLOADING,
		JOB_COMMIT,  JOB_COMMITTING,  JOB_FINISHED,
	};
	static const enum job_state b[] = {
		JOB_PENDING,   JOB_SNAPSHOTING, JOB_UPLOAD_SNAPSHOT,
		JOB_UPLOADING, JOB_SAVE_META,	JOB_UPLOAD_INFO,
		JOB_FINISHED,
	};
	unsigned i, to;

	for (i = 0; i + 1 < sizeof(r) / sizeof(r[0]); i++) {
		ck_assert(job_transition_ok(JOB_KIND_RESTORE, r[i], r[i + 1]));
		ck_assert(job_transition_ok(JOB_KIND_RESTORE, r[i],
					    JOB_CANCELLED));
		ck_assert(!job_transition_ok(
			JOB_KIND_BACKUP, r[i + 1],
			r[i + 1] == JOB_FINISHED ? JOB_CANCELLED : r[i]));
	}
	for (i = 0; i + 1 < sizeof(b) / sizeof(b[0]); i++) {
		ck_assert(job_transition_ok(JOB_KIND_BACKUP, b[i], b[i + 1]));
		ck_assert(job_transition_ok(JOB_KIND_BACKUP, b[i],
					    JOB_CANCELLED));
		ck_assert(!job_transition_ok(JOB_KIND_BACKUP, b[i + 1], b[i]));
	}
	ck_assert(!job_transition_ok(JOB_KIND_RESTORE, JOB_PENDING,
				     JOB_DOWNLOAD));
	ck_assert(!job_transition_ok(JOB_KIND_RESTORE, JOB_SNAPSHOTING,
				     JOB_UPLOAD_SNAPSHOT));
	ck_assert(!job_transition_ok(JOB_KIND_BACKUP, JOB_SNAPSHOTING,
				     JOB_DOWNLOAD));
	for (to = 0; to <= JOB_STATE__COUNT; to++) {
		ck_assert(!job_transition_ok(JOB_KIND_RESTORE, JOB_FINISHED,
					     (enum job_state)to));
		ck_assert(!job_transition_ok(JOB_KIND_BACKUP, JOB_CANCELLED,
					     (enum job_state)to));
		ck_assert(!job_transition_ok(JOB_KIND__COUNT, JOB_PENDING,
					     (enum job_state)to));
	}
	ck_assert_str_eq(job_state_name(JOB_UPLOAD_INFO), "UPLOAD_INFO");
	ck_assert_ptr_null(job_state_name(JOB_STATE__COUNT));
}
END_TEST

static Suite *jobs_suite(void)
{
	Suite *s = suite_create("jobs");
	TCase *tc = tcase_create("finish");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_finishes);
	tcase_add_test(tc, test_restore_again_reuses_files);
	tcase_add_test(tc, test_backup_finishes);
	tcase_add_test(tc, test_backup_restores);
	tcase_add_test(tc, test_restore_records);
	tcase_add_test(tc, test_restore_malformed_table);
	tcase_add_test(tc, test_restore_malformed_plan_cancels);
	suite_add_tcase(s, tc);

	tc = tcase_create("cancel");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_cancel_each_state);
	tcase_add_test(tc, test_restore_cancel_new_db);
	tcase_add_test(tc, test_restore_cancel_committing_refused);
	tcase_add_test(tc, test_backup_cancel_each_state);
	tcase_add_test(tc, test_backup_cancel_upload_info_refused);
	tcase_add_test(tc, test_timeout_cancels);
	suite_add_tcase(s, tc);

	tc = tcase_create("resume");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_stop_resume_each_state);
	tcase_add_test(tc, test_backup_stop_resume_each_state);
	tcase_add_test(tc, test_restore_stop_mid_download);
	tcase_add_test(tc, test_restore_kill9_resumes);
	tcase_add_test(tc, test_backup_kill9_resumes);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_restore_missing_object);
	tcase_add_test(tc, test_restore_corrupt_object);
	tcase_add_test(tc, test_restore_missing_object_new_db);
	tcase_add_test(tc, test_submit_errors);
	tcase_add_test(tc, test_submit_spec);
	suite_add_tcase(s, tc);

	tc = tcase_create("states");
	tcase_add_test(tc, test_transitions);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(jobs_suite)
