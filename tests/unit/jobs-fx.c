/* SPDX-License-Identifier: MIT */
/*
 * jobs-fx.c - the fixture of the jobs unit tests (see jobs-fx.h): a
 * repository made by contrib/snapfs-mkrepo, loaded into the store under
 * test (file:// is the generated directory itself; mem:// gets it through
 * store_import_dir()), a cluster in a temp data directory, the engine.
 *
 * The repository's store can be stacked as a mount stacks it, with a fault
 * layer the tests set knobs on (and, to look remote, the retry layer on
 * top). The layers are stacked here rather than through
 * SNAPFS_STORE_FAULTS, so the knobs change per test without reopening and
 * a remote-looking mem:// store gets its retry layer (store_open() stacks
 * retry only over a backend that is remote itself).
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
#include "cluster/cluster_int.h" /* raw records, to set up and inspect */
#include "jobs/jobs.h"
#include "repo/repo.h"
#include "store/store.h"
#include "jobs-fx.h"
#include "unit.h"

#include "base/banned.h"

struct fx fx;

const char *const fx_small_repo[] = {
	"--labels",    "2",	    "--tables", "2",	     "--partitions",
	"1",	       "--rollups", "0",	"--buckets", "2",
	"--file-size", "2048",	    NULL,
};

/* The environment knobs the tests set; unset at teardown. */
static const char *const fx_knobs[] = {
	"SNAPFS_TEST_STATE_DELAY_MS",  "SNAPFS_TEST_FILE_DELAY_MS",
	"SNAPFS_TEST_SOURCE_DELAY_MS", "SNAPFS_TEST_CLOCK_SCALE",
	"SNAPFS_STORE_FAULTS",	       NULL,
};

/* ---- the fixture ---------------------------------------------------------*/

const char *fx_url(const char *dflt)
{
	const char *u = getenv("SNAPFS_TEST_JOBS_URL");

	return u && *u ? u : dflt;
}

bool fx_url_in_process(const char *url)
{
	return url && strncmp(url, "mem://", 6) == 0;
}

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

void fx_open_engine(void)
{
	struct cluster_opts co = {.data_dir = fx.data, .nbackends = BACKENDS};

	ck_assert_int_eq(cluster_open(&co, fx.err, sizeof(fx.err), &fx.cl), 0);
	ck_assert_int_eq(jobs_start(fx.repo, fx.cl, THREADS, &fx.jobs), 0);
}

void fx_close_engine(void)
{
	jobs_stop(fx.jobs);
	cluster_close(fx.cl);
	fx.jobs = NULL;
	fx.cl = NULL;
}

void fx_open_repo(enum fx_stack stack)
{
	/* Quick retries: a test waits for them. */
	struct store_opts o = {
		.retries = 3, .retries_set = true, .retry_base_ms = 1};
	struct store *st = NULL, *w = NULL;

	ck_assert_ptr_null(fx.jobs);
	ck_assert_int_eq(store_open(fx.url, NULL, &st), 0);
	fx.stack = stack;
	fx.fault = NULL;
	if (stack != FX_PLAIN) {
		ck_assert_int_eq(
			store_fault_wrap(
				st, stack == FX_FAULT_REMOTE ? "remote" : "",
				&w),
			0);
		st = fx.fault = w;
	}
	if (stack == FX_FAULT_REMOTE) {
		ck_assert_int_eq(store_retry_wrap(st, &o, &w), 0);
		st = w;
		ck_assert(store_can(st, STORE_CAP_REMOTE));
	}
	fx.st = st;
	ck_assert_int_eq(
		repo_open(fx.st, NULL, fx.err, sizeof(fx.err), &fx.repo), 0);
}

void fx_close_repo(void)
{
	repo_close(fx.repo);
	store_close(fx.st);
	fx.repo = NULL;
	fx.st = fx.fault = NULL;
}

/* Remove the generated repository but mkrepo's manifests. */
static int rm_repo_cb(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	if (ftw->level == 0 ||
	    (ftw->level == 1 && strncmp(path + ftw->base, "manifest.", 9) == 0))
		return 0;
	return remove(path) == 0 ? 0 : -errno;
}

void fx_setup(const char *const *args, const char *url, enum fx_stack stack)
{
	const char *base = getenv("TMPDIR");
	const char *tail;

	log_init(false,
		 getenv("SNAPFS_TEST_VERBOSE") ? LOG_DEBUG : LOG_WARNING);
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
	if (fx_url_in_process(url)) {
		/* "mem://" alone: a name of this test's own. */
		tail = url[6] ? url + 6 : strrchr(fx.tmp, '.') + 1;
		snprintf(fx.mem, sizeof(fx.mem), "%s%.*s",
			 url[6] ? "" : "jobs-", (int)strcspn(tail, "/"), tail);
		snprintf(fx.url, sizeof(fx.url), "mem://%s", fx.mem);
		store_mem_clear(fx.mem);
	} else {
		snprintf(fx.url, sizeof(fx.url), "%s",
			 url && *url ? url : fx.gen);
	}
	ck_assert_int_eq(store_open(fx.url, NULL, &fx.raw), 0);
	if (url && *url) {
		ck_assert_int_eq(store_import_dir(fx.raw, fx.gen, ""), 0);
		/* Only the store has it now: nothing reads the directory. */
		ck_assert_int_eq(
			nftw(fx.gen, rm_repo_cb, 16, FTW_DEPTH | FTW_PHYS), 0);
	}
	fx_open_repo(stack);
	fx_open_engine();
}

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	return remove(path);
}

void fx_teardown(void)
{
	size_t i;

	fx_close_engine();
	fx_close_repo();
	store_close(fx.raw);
	fx.raw = NULL;
	if (fx.mem[0])
		store_mem_clear(fx.mem);
	if (fx.tmp[0])
		nftw(fx.tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	fx.tmp[0] = '\0';
	for (i = 0; fx_knobs[i]; i++)
		unsetenv(fx_knobs[i]);
}

void restart(void)
{
	fx_close_engine();
	fx_close_repo();
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
	unsetenv("SNAPFS_TEST_FILE_DELAY_MS");
	fx_open_repo(fx.stack);
	fx_open_engine();
}

void crash(void (*child)(void))
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

/* ---- driving jobs
 * ----------------------------------------------------------*/

/*
 * Write a statement to control file @file ("restore", "backup", "cancel")
 * through the control plane, as the mount does, and finish it (the close).
 * On failure fx.err holds control/last_error; on success fx.id is the
 * newest job (the one started, or for a CANCEL the one cancelled, which
 * the tests only cancel while it is the newest).
 */
int submit(const char *file, const char *fmt, ...)
{
	struct control_buf *b = NULL;
	struct control *c = NULL;
	int64_t *ids = NULL;
	char text[2048], *e = NULL;
	size_t i, n = 0, elen;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fx.err[0] = '\0';
	ck_assert_int_eq(control_new(fx.jobs, "demo", &c), 0);
	ck_assert_int_eq(control_file_by_name(file, &i), 0);
	ck_assert_int_eq(control_buf_new(c, i, &b), 0);
	rc = control_buf_write(b, text, strlen(text));
	if (rc == 0)
		rc = control_buf_finish(b);
	control_buf_free(b);
	if (rc < 0) {
		ck_assert_int_eq(control_last_error(c, &e, &elen), 0);
		snprintf(fx.err, sizeof(fx.err), "%s", e);
		free(e);
	} else if (jobs_list(fx.jobs, &ids, &n) == 0 && n > 0) {
		fx.id = ids[n - 1];
	}
	free(ids);
	control_free(c);
	return rc;
}

int restore(const char *db, const char *label, const char *extra)
{
	return submit("restore",
		      "RESTORE SNAPSHOT %s.%s FROM demo PROPERTIES "
		      "(\"backup_timestamp\" = \"%s\", \"replication_num\" = "
		      "\"2\"%s)",
		      db, label, strcmp(label, "snap1") ? fx.ts2 : fx.ts1,
		      extra ? extra : "");
}

int backup(const char *db, const char *label)
{
	return submit("backup", "BACKUP SNAPSHOT %s.%s TO demo", db, label);
}

int cancel(const char *what, const char *db)
{
	return submit("cancel", "CANCEL %s FROM %s", what, db);
}

char *field(int64_t id, const char *name)
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

bool field_is(int64_t id, const char *name, const char *want)
{
	char *v = field(id, name);
	bool eq = v && strcmp(v, want) == 0;

	free(v);
	return eq;
}

void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

bool wait_state(int64_t id, const char *state)
{
	int i;

	for (i = 0; i < WAIT_MS / 5; i++) {
		if (field_is(id, "State", state))
			return true;
		sleep_ms(5);
	}
	return false;
}

const char *wait_end(int64_t id)
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

int64_t last_job(void)
{
	int64_t *ids = NULL, id;
	size_t n = 0;

	ck_assert_int_eq(jobs_list(fx.jobs, &ids, &n), 0);
	ck_assert_uint_gt(n, 0);
	id = ids[n - 1];
	free(ids);
	return id;
}

unsigned long files_done(int64_t id)
{
	char *p = field(id, "Progress");
	unsigned long n = p ? strtoul(p, NULL, 10) : 0;

	free(p);
	return n;
}

unsigned long seeded_point(void)
{
	const char *s = getenv("SNAPFS_TEST_SEED");
	unsigned long seed = s && *s ? strtoul(s, NULL, 10) : 1;

	return 1 + seed % (fx.nfiles - 1);
}

void wait_files(int64_t id, unsigned long n)
{
	int i;

	for (i = 0; i < WAIT_MS / 5 && files_done(id) < n; i++)
		sleep_ms(5);
	ck_assert_uint_ge(files_done(id), n);
}

void base_restore(void)
{
	ck_assert_int_eq(restore("db1", "snap1", NULL), 0);
	ck_assert_str_eq(wait_end(fx.id), "FINISHED");
}

/* ---- checking the results
 * --------------------------------------------------*/
static size_t nreg;

static int count_cb(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	if (flag == FTW_F && strstr(path, "/tablets/"))
		nreg++;
	return 0;
}

/* Files in every replica directory of every backend. */
size_t replica_files(void)
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
size_t snapshot_files(void)
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
json_t *records(const char *prefix)
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
void check_restored(const char *db, size_t ntables)
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
char *tables_text(const char *db)
{
	char prefix[300], *s;
	json_t *all;

	snprintf(prefix, sizeof(prefix), "table/%s/", db);
	all = records(prefix);
	s = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(all);
	return s;
}

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
	if (store_read_all(fx.raw, e->key, 64 << 20, &buf, &len) < 0 ||
	    md5_hex(buf, len, hex) < 0 || !dot || strcmp(dot + 1, hex) != 0)
		o->bad_md5 = true;
	free(buf);
	return 0;
}

/* The objects of label @label in the repository. */
struct objs label_objects(const char *label)
{
	struct objs o = {0};
	char prefix[600];
	int rc;

	snprintf(prefix, sizeof(prefix), "%s__ss_%s/", repo_root(fx.repo),
		 label);
	rc = store_list(fx.raw, prefix, NULL, obj_cb, &o);
	ck_assert(rc == 0 || rc == -ENOENT);
	return o;
}

/* The repository key of @label's @i-th data file (from the manifest). */
void label_key(const char *label, size_t i, char *key, size_t len)
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

const char *base_name(const char *key)
{
	const char *s = strrchr(key, '/');

	return s ? s + 1 : key;
}
