/* SPDX-License-Identifier: MIT */
/*
 * test-repo.c - the repository layer against repositories built here,
 * through the store API, in a temp directory: root discovery (Doris,
 * StarRocks, at the repository itself, several, by name), __repo_info,
 * labels, timestamp names, label loading (incomplete, .part leftovers, bad
 * md5 suffixes, several __meta), snapshot verdicts (OK, corrupt, malformed,
 * failed, misnamed, incomplete), meta.json and tablet file lists;
 * snapshot deletion (through a fault-injecting store), retention plans
 * and verification.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/hash.h"
#include "repo/jobinfo.h"
#include "repo/meta.h"
#include "repo/repo.h"
#include "store/store.h"
#include "oom.h"
#include "unit.h"

#include "base/banned.h"

#define TMP_PREFIX "snapfs-test-repo."
#define REPO	   "__palo_repository_x/"
#define SR_REPO	   "__starrocks_repository_y/"
#define TS	   "2024-05-01-10-20-30"
#define TS_SR	   "2024-05-01-10-20-31-123"
#define CREATED	   "2024-05-01 10:00:00"
#define BACKUP_MS  1714530030000LL
#define ERRLEN	   512
#define KEYLEN	   1024

#define TABLET_DIR                                                             \
	"__ss_content/__db_10004/__tbl_10013/__part_10012/__idx_10014/"        \
	"__10015/"

static const char hdr_data[] = "tablet 10015 header bytes";
static const char dat_data[] = "segment 0 of tablet 10015, some rows";

/* Per-test state, set up and torn down by the checked fixture. */
static char tmpdir[PATH_MAX];
static struct store *st;  /* the temp directory */
static struct store *rst; /* the temp directory's REPO, when opened */

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	return remove(path);
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/" TMP_PREFIX "XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	st = rst = NULL;
	ck_assert_int_eq(store_open(tmpdir, NULL, &st), 0);
}

static void teardown(void)
{
	store_close(rst);
	store_close(st);
	st = rst = NULL;
	if (tmpdir[0])
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

/* A store opened at a subdirectory of the temp directory. */
static struct store *open_sub(const char *sub)
{
	char url[PATH_MAX * 2];
	struct store *s = NULL;

	snprintf(url, sizeof(url), "file://%s/%s", tmpdir, sub);
	ck_assert_int_eq(store_open(url, NULL, &s), 0);
	return s;
}

/* ---- building repositories ---------------------------------------------- */

static void put(const char *key, const void *data, size_t len)
{
	ck_assert_msg(store_put_buf(st, key, data, len, 0) == 0, "put %s", key);
}

static void put_str(const char *key, const char *s)
{
	put(key, s, strlen(s));
}

static void md5_of(const void *data, size_t len, char hex[MD5_HEX_LEN + 1])
{
	ck_assert_int_eq(md5_hex(data, len, hex), 0);
}

/*
 * Put @data as "<dir><base>.<md5>", the md5 taken from @md5_src (the data
 * itself unless a corrupt object is wanted). The key is returned in @key.
 */
static void put_named(const char *dir, const char *base, const void *data,
		      size_t len, const char *md5_src, char key[KEYLEN])
{
	char hex[MD5_HEX_LEN + 1];

	if (md5_src)
		md5_of(md5_src, strlen(md5_src), hex);
	else
		md5_of(data, len, hex);
	snprintf(key, KEYLEN, "%s%s.%s", dir, base, hex);
	put(key, data, len);
}

static void make_repo_info(const char *root, const char *name)
{
	char key[KEYLEN], doc[256];

	snprintf(key, sizeof(key), "%s__repo_info", root);
	snprintf(doc, sizeof(doc), "{\"name\":\"%s\",\"create_time\":\"%s\"}",
		 name, CREATED);
	put_str(key, doc);
}

enum meta_kind {
	META_JSON,
	META_LEGACY,
	META_BAD_MD5,  /* JSON framing, stored under another md5 */
	META_BAD_JSON, /* framing says JSON, the payload is not */
	META_NONE,
};

struct snap_opts {
	const char *ts;		 /* default TS */
	const char *info_name;	 /* "name" in the info; default the label */
	const char *result;	 /* backup_result; default "succeed" */
	int meta_version;	 /* default 140 */
	enum meta_kind meta;	 /* default META_JSON */
	bool info_bad_md5;	 /* info stored under another md5 */
	bool info_bad_json;	 /* info is not JSON */
	bool omit_hdr, omit_dat; /* tablet files left out of the store */
	long long backup_ms;	 /* backup_time; default BACKUP_MS */
	const char *content;	 /* "content"; absent by default */
	bool empty_list;	 /* the info lists no files (StarRocks) */
};

/* Keys relative to the repository root. */
struct snap_keys {
	char info[KEYLEN];
	char meta[KEYLEN];
	char hdr[KEYLEN];
	char dat[KEYLEN];
	size_t info_len, meta_len;
};

static char *info_doc(const char *label, const struct snap_opts *o)
{
	char hdr_md5[MD5_HEX_LEN + 1], dat_md5[MD5_HEX_LEN + 1];
	char files[256] = "";
	char *doc, *p;

	md5_of(hdr_data, strlen(hdr_data), hdr_md5);
	md5_of(dat_data, strlen(dat_data), dat_md5);
	if (!o->empty_list)
		snprintf(files, sizeof(files), "'10015.hdr.%s','x_0.dat.%s'",
			 hdr_md5, dat_md5);
	ck_assert_int_ge(
		asprintf(&doc,
			 "{'name':'%s','database':'db1','id':10004,"
			 "'backup_time':%lld,"
			 "'backup_objects':{'t1':{'id':10013,'partitions':{"
			 "'p1':{'id':10012,'version':3,'indexes':{"
			 "'t1':{'id':10014,'schema_hash':791565523,"
			 "'tablets':{'10015':[%s]}}}}}}},"
			 "'backup_result':'%s','meta_version':%d%s%s%s}",
			 o->info_name ? o->info_name : label,
			 o->backup_ms ? o->backup_ms : BACKUP_MS, files,
			 o->result ? o->result : "succeed",
			 o->meta_version ? o->meta_version : 140,
			 o->content ? ",'content':'" : "",
			 o->content ? o->content : "", o->content ? "'" : ""),
		0);
	for (p = doc; *p; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return doc;
}

/*
 * One snapshot "<root>__ss_<label>/" with a __meta, an __info_ and the
 * files of its single tablet, each as @o says.
 */
static void make_snapshot(const char *root, const char *label,
			  const struct snap_opts *o, struct snap_keys *k)
{
	static const unsigned char legacy[16] = {0, 0, 0,    2,	   0, 0, 0,  0,
						 0, 0, 0x27, 0x1d, 0, 2, 'v'};
	static const char meta_json[] = "{\"tables\":[\"t1\"],\"version\":1}";
	static const char bad_json[] = "{\"tables\": [oops";
	const char *ts = o->ts ? o->ts : TS;
	char dir[KEYLEN], base[256], key[KEYLEN], tdir[KEYLEN * 2];
	char *doc, *framed = NULL;
	size_t flen = 0, rl = strlen(root);

	memset(k, 0, sizeof(*k));
	snprintf(dir, sizeof(dir), "%s__ss_%s/", root, label);

	switch (o->meta) {
	case META_JSON:
	case META_BAD_MD5:
		ck_assert_int_eq(meta_frame(meta_json, strlen(meta_json),
					    &framed, &flen),
				 0);
		put_named(dir, "__meta", framed, flen,
			  o->meta == META_BAD_MD5 ? "not the content" : NULL,
			  key);
		break;
	case META_BAD_JSON:
		ck_assert_int_eq(
			meta_frame(bad_json, strlen(bad_json), &framed, &flen),
			0);
		put_named(dir, "__meta", framed, flen, NULL, key);
		break;
	case META_LEGACY:
		flen = sizeof(legacy);
		put_named(dir, "__meta", legacy, flen, NULL, key);
		break;
	case META_NONE:
		key[0] = '\0';
		break;
	}
	free(framed);
	if (key[0]) {
		snprintf(k->meta, sizeof(k->meta), "%s", key + rl);
		k->meta_len = flen;
	}

	if (o->info_bad_json)
		doc = strdup("{\"name\": \"broken");
	else
		doc = info_doc(label, o);
	ck_assert_ptr_nonnull(doc);
	snprintf(base, sizeof(base), "__info_%s", ts);
	put_named(dir, base, doc, strlen(doc),
		  o->info_bad_md5 ? "something else" : NULL, key);
	snprintf(k->info, sizeof(k->info), "%s", key + rl);
	k->info_len = strlen(doc);
	free(doc);

	snprintf(tdir, sizeof(tdir), "%s" TABLET_DIR, dir);
	put_named(tdir, "10015.hdr", hdr_data, strlen(hdr_data), NULL, key);
	snprintf(k->hdr, sizeof(k->hdr), "%s", key + rl);
	if (o->omit_hdr)
		ck_assert_int_eq(store_remove(st, key), 0);
	put_named(tdir, "x_0.dat", dat_data, strlen(dat_data), NULL, key);
	snprintf(k->dat, sizeof(k->dat), "%s", key + rl);
	if (o->omit_dat)
		ck_assert_int_eq(store_remove(st, key), 0);
}

/* ---- opening and loading helpers ---------------------------------------- */

/*
 * Open the Doris repository REPO: mode 0 through the temp directory
 * (root REPO), mode 1 through a store opened at REPO itself (root "").
 */
static struct repo *open_mode(int mode)
{
	char err[ERRLEN] = "";
	struct repo *r = NULL;
	int rc;

	if (mode == 0) {
		rc = repo_open(st, NULL, err, sizeof(err), &r);
	} else {
		rst = open_sub(REPO);
		rc = repo_open(rst, NULL, err, sizeof(err), &r);
	}
	ck_assert_msg(rc == 0, "repo_open: %d %s", rc, err);
	ck_assert_str_eq(repo_name(r), "x");
	ck_assert_str_eq(repo_root(r), mode == 0 ? REPO : "");
	return r;
}

/* Is @got the repository's root followed by @rel? */
static void expect_key(const struct repo *r, const char *got, const char *rel)
{
	char want[KEYLEN * 2];

	ck_assert_ptr_nonnull(got);
	snprintf(want, sizeof(want), "%s%s", repo_root(r), rel);
	ck_assert_str_eq(got, want);
}

static struct repo_label *load_label(struct repo *r, const char *dir)
{
	struct repo_label *l = NULL;

	ck_assert_int_eq(repo_label_load(r, dir, &l), 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_nonnull(l->status);
	return l;
}

static struct repo_snapshot *load_snapshot(struct repo *r,
					   const struct repo_label *l, size_t i)
{
	struct repo_snapshot *s = NULL;

	ck_assert_uint_lt(i, l->nts);
	ck_assert_int_eq(repo_snapshot_load(r, l, &l->ts[i], &s), 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(s->verdict);
	ck_assert_ptr_null(strchr(s->verdict, '\n'));
	return s;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- repo_open ---------------------------------------------------------- */

START_TEST(test_open_doris)
{
	struct snap_opts o = {0};
	struct snap_keys k;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = open_mode(0);
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_DORIS);
	ck_assert_str_eq(repo_flavor_name(repo_flavor(r)), "doris");
	ck_assert_ptr_eq(repo_store(r), st);
	ck_assert_ptr_nonnull(repo_create_time(r));
	ck_assert_str_eq(repo_create_time(r), CREATED);
	repo_close(r);
	repo_close(NULL);
}
END_TEST

START_TEST(test_open_starrocks)
{
	char err[ERRLEN] = "";
	struct repo *r = NULL;

	make_repo_info(SR_REPO, "y");
	put_str(SR_REPO "__ss_s/__meta", "m");
	put_str("unrelated/file", "u");
	put_str("__palo_repository_file", "not a directory");
	ck_assert_int_eq(repo_open(st, NULL, err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_name(r), "y");
	ck_assert_str_eq(repo_root(r), SR_REPO);
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_STARROCKS);
	ck_assert_str_eq(repo_flavor_name(repo_flavor(r)), "starrocks");
	ck_assert_str_eq(repo_create_time(r), CREATED);
	repo_close(r);
}
END_TEST

/* The URL names the repository directory itself. */
START_TEST(test_open_at_repo_dir)
{
	char err[ERRLEN] = "";
	struct store *s2;
	struct repo *r = NULL;

	make_repo_info(REPO, "x");
	put_str(REPO "__ss_snap1/__meta", "m");
	r = open_mode(1);
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_DORIS);
	ck_assert_ptr_eq(repo_store(r), rst);
	ck_assert_str_eq(repo_create_time(r), CREATED);
	repo_close(r);

	/* StarRocks, found by the directory's name alone (no __repo_info
	 * or __ss_ in it yet). */
	put_str(SR_REPO "other", "o");
	s2 = open_sub(SR_REPO);
	ck_assert_int_eq(repo_open(s2, NULL, err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_root(r), "");
	ck_assert_str_eq(repo_name(r), "y");
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_STARROCKS);
	ck_assert_ptr_null(repo_create_time(r));
	repo_close(r);
	store_close(s2);

	/* Any directory holding __ss_* is a repository root. */
	put_str("plain/__ss_snap/__meta", "m");
	s2 = open_sub("plain");
	ck_assert_int_eq(repo_open(s2, NULL, err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_root(r), "");
	ck_assert_str_eq(repo_name(r), "plain");
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_DORIS);
	repo_close(r);
	ck_assert_int_eq(repo_open(s2, "given", err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_name(r), "given");
	repo_close(r);
	store_close(s2);

	/* Or holding only __repo_info. */
	put_str("fresh/__repo_info", "{\"name\":\"fresh\"}");
	s2 = open_sub("fresh");
	ck_assert_int_eq(repo_open(s2, NULL, err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_root(r), "");
	ck_assert_str_eq(repo_name(r), "fresh");
	ck_assert_ptr_null(repo_create_time(r));
	repo_close(r);
	store_close(s2);
}
END_TEST

START_TEST(test_open_several)
{
	struct repo *sentinel = (struct repo *)&sentinel, *r = sentinel;
	char err[ERRLEN] = "";

	make_repo_info(REPO, "x");
	make_repo_info(SR_REPO, "y");
	ck_assert_int_eq(repo_open(st, NULL, err, sizeof(err), &r), -EINVAL);
	ck_assert_ptr_eq(r, sentinel);
	ck_assert_msg(strstr(err, "__palo_repository_x") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "__starrocks_repository_y") != NULL, "%s",
		      err);
	ck_assert_msg(strstr(err, "repo=NAME") != NULL, "%s", err);

	ck_assert_int_eq(repo_open(st, "y", err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_name(r), "y");
	ck_assert_str_eq(repo_root(r), SR_REPO);
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_STARROCKS);
	repo_close(r);

	ck_assert_int_eq(repo_open(st, "x", err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_name(r), "x");
	ck_assert_str_eq(repo_root(r), REPO);
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_DORIS);
	repo_close(r);

	/* Two Doris repositories whose names share a prefix. */
	make_repo_info("__palo_repository_xx/", "xx");
	ck_assert_int_eq(repo_open(st, "x", err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_root(r), REPO);
	repo_close(r);
	ck_assert_int_eq(repo_open(st, "xx", err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_root(r), "__palo_repository_xx/");
	repo_close(r);
	ck_assert_int_eq(repo_open(st, NULL, NULL, 0, &r), -EINVAL);
}
END_TEST

/* The same name under both prefixes: Doris' wins, as in StarRocks. */
START_TEST(test_open_same_name)
{
	char err[ERRLEN] = "";
	struct repo *r = NULL;

	make_repo_info("__palo_repository_z/", "z");
	make_repo_info("__starrocks_repository_z/", "z");
	ck_assert_int_eq(repo_open(st, "z", err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_root(r), "__palo_repository_z/");
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_DORIS);
	repo_close(r);
}
END_TEST

START_TEST(test_open_name_missing)
{
	struct repo *sentinel = (struct repo *)&sentinel, *r = sentinel;
	char err[ERRLEN] = "";

	make_repo_info(REPO, "x");
	ck_assert_int_eq(repo_open(st, "nosuch", err, sizeof(err), &r),
			 -ENOENT);
	ck_assert_ptr_eq(r, sentinel);
	ck_assert_msg(strstr(err, "nosuch") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "__palo_repository_x") != NULL, "%s", err);
}
END_TEST

START_TEST(test_open_empty)
{
	struct repo *sentinel = (struct repo *)&sentinel, *r = sentinel;
	char err[ERRLEN] = "";

	ck_assert_int_eq(repo_open(st, NULL, err, sizeof(err), &r), -ENOENT);
	ck_assert_ptr_eq(r, sentinel);
	ck_assert_msg(strstr(err, "no Doris/StarRocks repository") != NULL,
		      "%s", err);
	ck_assert_msg(strstr(err, st->url) != NULL, "%s", err);
	ck_assert_msg(strstr(err, "__palo_repository_") != NULL, "%s", err);

	/* Unrelated content is no better; a NULL err is allowed. */
	put_str("data/file.csv", "1,2,3");
	put_str("__ss_file", "an object, not a prefix");
	ck_assert_int_eq(repo_open(st, NULL, NULL, 0, &r), -ENOENT);
	err[0] = '\0';
	ck_assert_int_eq(repo_open(st, "x", err, sizeof(err), &r), -ENOENT);
	ck_assert_msg(strstr(err, "no Doris/StarRocks repository") != NULL,
		      "%s", err);
	ck_assert_ptr_eq(r, sentinel);
}
END_TEST

START_TEST(test_open_bad_repo_info)
{
	struct repo *r;

	put_str(REPO "__repo_info", "not json at all");
	put_str(REPO "__ss_a/__meta", "m");
	r = open_mode(0);
	ck_assert_ptr_null(repo_create_time(r));
	repo_close(r);

	/* JSON, but create_time of the wrong type. */
	put_str(REPO "__repo_info", "{\"name\":\"x\",\"create_time\":5}");
	r = open_mode(0);
	ck_assert_ptr_null(repo_create_time(r));
	repo_close(r);
}
END_TEST

/* ---- labels and timestamps ---------------------------------------------- */

struct labels {
	char text[1024];
	unsigned n, stop_at;
};

static int labels_cb(const struct repo_label_ref *ref, void *arg)
{
	struct labels *ls = arg;
	size_t used = strlen(ls->text);

	ck_assert_ptr_nonnull(ref->dir);
	ck_assert(starts_with(ref->dir, "__ss_"));
	ck_assert_ptr_nonnull(ref->label);
	ck_assert_str_eq(ref->label, ref->dir + 5);
	snprintf(ls->text + used, sizeof(ls->text) - used, "%s%s",
		 used ? "," : "", ref->label);
	ls->n++;
	return ls->n == ls->stop_at ? 7 : 0;
}

START_TEST(test_list_labels)
{
	struct labels ls = {0};
	struct snap_opts o = {0};
	struct snap_keys k;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap_b", &o, &k);
	make_snapshot(REPO, "snap_a", &o, &k);
	make_snapshot(REPO, "Snap_C", &o, &k);
	put_str(REPO "__ss_content/__db_1/x", "stray content dir");
	put_str(REPO "__ss_file", "an object, not a label");
	put_str(REPO "other/x", "o");
	r = open_mode(_i);

	ck_assert_int_eq(repo_list_labels(r, labels_cb, &ls), 0);
	ck_assert_str_eq(ls.text, "Snap_C,snap_a,snap_b");
	ck_assert_uint_eq(ls.n, 3);

	memset(&ls, 0, sizeof(ls));
	ls.stop_at = 2;
	ck_assert_int_eq(repo_list_labels(r, labels_cb, &ls), 7);
	ck_assert_str_eq(ls.text, "Snap_C,snap_a");
	repo_close(r);
}
END_TEST

START_TEST(test_list_labels_none)
{
	struct labels ls = {0};
	struct repo *r;

	make_repo_info(REPO, "x");
	r = open_mode(0);
	ck_assert_int_eq(repo_list_labels(r, labels_cb, &ls), 0);
	ck_assert_uint_eq(ls.n, 0);
	repo_close(r);
}
END_TEST

START_TEST(test_ts_valid)
{
	static const char *const good[] = {
		"2024-05-01-10-20-30",	   "1970-01-01-00-00-00",
		"9999-99-99-99-99-99", /* the shape, not the calendar */
		"2024-05-01-10-20-30-123", "2024-05-01-10-20-30-000",
	};
	static const char *const bad[] = {
		"",
		"2024",
		"2024-05-01",
		"2024-05-01-10-20-3",
		"2024-05-01-10-20-300",
		"2024-05-01-10-20-30-",
		"2024-05-01-10-20-30-1",
		"2024-05-01-10-20-30-12",
		"2024-05-01-10-20-30-1234",
		"2024-05-01-10-20-30.123",
		"2024-05-01-10-20-30_123",
		"2024-05-01-10-20-30-12a",
		"2024-05-01 10:20:30",
		"2024/05/01-10-20-30",
		"2024-05-01T10-20-30",
		"2024-05-01-10-20:30",
		"20240501-10-20-30-00",
		"abcd-05-01-10-20-30",
		"2024-5-01-10-20-300",
		"2024-05-1-10-20-300",
		"+024-05-01-10-20-30",
		" 024-05-01-10-20-30",
		"2024-05-01-10-20-3 ",
		"2024-05-01-10-20-3x",
		"2024--5-01-10-20-30",
		"---------------------",
		"2024-05-01-10-20-30-123-",
		"2024-05-01-10-20-30-123-456",
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(repo_ts_valid(good[i], strlen(good[i])),
			      "rejected \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!repo_ts_valid(bad[i], strlen(bad[i])),
			      "accepted \"%s\"", bad[i]);

	/* Only @len bytes count: a name's md5 suffix may follow. */
	ck_assert(repo_ts_valid(TS ".0123", 19));
	ck_assert(repo_ts_valid(TS_SR "xyz", 23));
	ck_assert(!repo_ts_valid(TS, 18));
	ck_assert(!repo_ts_valid(TS, 0));
	/* A NUL inside is not a digit. */
	memcpy(buf, TS, sizeof(TS));
	buf[12] = '\0';
	ck_assert(!repo_ts_valid(buf, 19));
}
END_TEST

/* ---- repo_label_load ---------------------------------------------------- */

START_TEST(test_label_good)
{
	struct snap_opts o = {0};
	struct snap_keys k;
	struct repo_label *l;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = open_mode(_i);
	l = load_label(r, "__ss_snap1");
	ck_assert_str_eq(l->status, "OK");
	ck_assert_str_eq(l->label, "snap1");
	ck_assert_str_eq(l->dir, "__ss_snap1");
	ck_assert_uint_eq(l->nts, 1);
	ck_assert_str_eq(l->ts[0].name, TS);
	ck_assert(l->ts[0].valid_name);
	ck_assert_ptr_null(l->ts[0].reason);
	expect_key(r, l->ts[0].info_key, k.info);
	ck_assert_uint_eq(l->ts[0].info_size, k.info_len);
	ck_assert_int_gt(l->ts[0].info_mtime, 0);
	expect_key(r, l->meta_key, k.meta);
	ck_assert_uint_eq(l->meta_size, k.meta_len);
	ck_assert_ptr_null(l->meta_problem);
	repo_label_free(l);
	repo_label_free(NULL);
	repo_close(r);
}
END_TEST

START_TEST(test_label_no_info)
{
	struct repo_label *l;
	struct repo *r;
	char key[KEYLEN];

	put_named(REPO "__ss_snap1/", "__meta", "m", 1, NULL, key);
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	ck_assert_msg(starts_with(l->status, "INCOMPLETE"), "%s", l->status);
	ck_assert_ptr_null(strchr(l->status, '\n'));
	ck_assert_uint_eq(l->nts, 0);
	ck_assert_ptr_nonnull(l->meta_key);
	ck_assert_ptr_null(l->meta_problem);
	repo_label_free(l);

	/* Nothing but tablet data: no info and no meta. */
	put_str(REPO "__ss_snap2/" TABLET_DIR "f", "d");
	l = load_label(r, "__ss_snap2");
	ck_assert_msg(starts_with(l->status, "INCOMPLETE"), "%s", l->status);
	ck_assert_ptr_null(l->meta_key);
	ck_assert_ptr_nonnull(l->meta_problem);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

START_TEST(test_label_bad_names)
{
	struct snap_opts o = {0};
	struct snap_keys k;
	char key[KEYLEN], hex[MD5_HEX_LEN + 1];
	struct repo_label *l;
	struct repo *r;
	size_t i;

	make_snapshot(REPO, "snap1", &o, &k);
	/* An interrupted upload of a second info. */
	snprintf(key, sizeof(key), REPO "%s.part", k.info);
	put_str(key, "{");
	/* Not an md5 suffix. */
	put_str(REPO "__ss_snap1/__info_" TS ".notanmd5", "{}");
	put_str(REPO "__ss_snap1/__info_" TS, "{}");
	/* An md5 suffix, but not a timestamp. */
	md5_of("{}", 2, hex);
	snprintf(key, sizeof(key), REPO "__ss_snap1/__info_20240501.%s", hex);
	put_str(key, "{}");
	/* A StarRocks timestamp is fine. */
	put_named(REPO "__ss_snap1/", "__info_" TS_SR, "{}", 2, NULL, key);

	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	ck_assert_str_eq(l->status, "OK");
	ck_assert_uint_eq(l->nts, 6);
	/* Sorted by name; valid names are their timestamp, others the
	 * object name. */
	ck_assert_str_eq(l->ts[0].name, TS);
	ck_assert(l->ts[0].valid_name);
	ck_assert_str_eq(l->ts[1].name, TS_SR);
	ck_assert(l->ts[1].valid_name);
	for (i = 1; i < l->nts; i++)
		ck_assert_str_lt(l->ts[i - 1].name, l->ts[i].name);
	for (i = 2; i < l->nts; i++) {
		const struct repo_ts *t = &l->ts[i];

		ck_assert(!t->valid_name);
		ck_assert_ptr_nonnull(t->reason);
		ck_assert(starts_with(t->name, "__info_"));
		ck_assert(starts_with(t->info_key, repo_root(r)));
		ck_assert_str_eq(strrchr(t->info_key, '/') + 1, t->name);
		ck_assert_ptr_nonnull(strstr(t->reason, t->name));
		if (strstr(t->name, ".part"))
			ck_assert_msg(strstr(t->reason, ".part") != NULL, "%s",
				      t->reason);
		else if (strstr(t->name, "__info_20240501."))
			ck_assert_msg(strstr(t->reason, "timestamp") != NULL,
				      "%s", t->reason);
		else
			ck_assert_msg(strstr(t->reason, "md5") != NULL, "%s",
				      t->reason);
	}
	repo_label_free(l);
	repo_close(r);
}
END_TEST

/* Only unusable info names: the label is not OK. */
START_TEST(test_label_only_bad_names)
{
	struct repo_label *l;
	struct repo *r;
	char key[KEYLEN];

	put_named(REPO "__ss_snap1/", "__meta", "m", 1, NULL, key);
	put_str(REPO "__ss_snap1/__info_" TS ".part", "{");
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	ck_assert_msg(starts_with(l->status, "INVALID"), "%s", l->status);
	ck_assert_uint_eq(l->nts, 1);
	ck_assert(!l->ts[0].valid_name);
	ck_assert_ptr_nonnull(strstr(l->ts[0].reason, ".part"));
	repo_label_free(l);
	repo_close(r);
}
END_TEST

START_TEST(test_label_two_meta)
{
	struct snap_opts o = {0};
	struct snap_keys k;
	struct repo_label *l;
	struct repo *r;
	char key[KEYLEN];

	make_snapshot(REPO, "snap1", &o, &k);
	snprintf(key, sizeof(key), REPO "%s.part", k.meta);
	put_str(key, "partial");
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	ck_assert_ptr_nonnull(l->meta_problem);
	ck_assert_msg(strstr(l->meta_problem, "2 __meta") != NULL, "%s",
		      l->meta_problem);
	ck_assert_str_eq(l->status, "OK"); /* the info is fine */
	repo_label_free(l);

	/* A second, differently named meta is a problem too. */
	ck_assert_int_eq(store_remove(st, key), 0);
	put_named(REPO "__ss_snap1/", "__meta", "other", 5, NULL, key);
	l = load_label(r, "__ss_snap1");
	ck_assert_ptr_nonnull(l->meta_problem);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

START_TEST(test_label_meta_no_md5)
{
	struct repo_label *l;
	struct repo *r;

	put_str(REPO "__ss_snap1/__meta", "m");
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	ck_assert_ptr_null(l->meta_key);
	ck_assert_ptr_nonnull(l->meta_problem);
	ck_assert_msg(strstr(l->meta_problem, "md5") != NULL, "%s",
		      l->meta_problem);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

START_TEST(test_label_missing)
{
	struct repo_label *sentinel = (struct repo_label *)&sentinel;
	struct repo_label *l = sentinel;
	struct snap_opts o = {0};
	struct snap_keys k;
	struct repo *r;

	make_snapshot(REPO, "snap1", &o, &k);
	r = open_mode(_i);
	ck_assert_int_eq(repo_label_load(r, "__ss_nosuch", &l), -ENOENT);
	ck_assert_int_eq(repo_label_load(r, "__ss_snap", &l), -ENOENT);
	ck_assert_ptr_eq(l, sentinel);
	repo_close(r);
}
END_TEST

/* ---- repo_snapshot_load ------------------------------------------------- */

/* Build one snapshot "snap1" as @o says, load it, return its label. */
static struct repo_snapshot *snapshot_with(const struct snap_opts *o,
					   struct repo **rp,
					   struct repo_label **lp,
					   struct snap_keys *k)
{
	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", o, k);
	*rp = open_mode(0);
	*lp = load_label(*rp, "__ss_snap1");
	ck_assert_uint_eq((*lp)->nts, 1);
	return load_snapshot(*rp, *lp, 0);
}

static void snapshot_done(struct repo_snapshot *s, struct repo_label *l,
			  struct repo *r)
{
	repo_snapshot_free(s);
	repo_label_free(l);
	repo_close(r);
}

START_TEST(test_snapshot_ok)
{
	struct snap_opts o = {0};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = open_mode(_i);
	l = load_label(r, "__ss_snap1");
	s = load_snapshot(r, l, 0);
	ck_assert_str_eq(s->verdict, "OK");
	ck_assert(s->ok);
	ck_assert_ptr_nonnull(s->ji);
	ck_assert_str_eq(s->ji->name, "snap1");
	ck_assert_str_eq(s->ji->database, "db1");
	ck_assert_int_eq(s->ji->db_id, 10004);
	ck_assert_int_eq(s->ji->meta_version, 140);
	ck_assert_uint_eq(s->ji->ntables, 1);
	ck_assert_int_eq(s->mtime, BACKUP_MS / 1000);
	ck_assert_str_eq(s->label, "snap1");
	ck_assert_str_eq(s->ts, TS);
	expect_key(r, s->info_key, k.info);
	ck_assert_uint_eq(s->info_size, k.info_len);
	expect_key(r, s->meta_key, k.meta);
	ck_assert_uint_eq(s->meta_size, k.meta_len);
	snapshot_done(s, l, r);
	repo_snapshot_free(NULL);
}
END_TEST

START_TEST(test_snapshot_bad_md5)
{
	struct snap_opts o = {.info_bad_md5 = true};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;

	s = snapshot_with(&o, &r, &l, &k);
	ck_assert_msg(starts_with(s->verdict, "INVALID"), "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, k.info) != NULL, "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, "MD5") != NULL, "%s", s->verdict);
	ck_assert(!s->ok);
	ck_assert_ptr_null(s->ji);
	snapshot_done(s, l, r);
}
END_TEST

START_TEST(test_snapshot_bad_json)
{
	struct snap_opts o = {.info_bad_json = true};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;

	s = snapshot_with(&o, &r, &l, &k);
	ck_assert_msg(starts_with(s->verdict, "INVALID"), "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, k.info) != NULL, "%s", s->verdict);
	ck_assert(!s->ok);
	ck_assert_ptr_null(s->ji);
	snapshot_done(s, l, r);
}
END_TEST

START_TEST(test_snapshot_failed)
{
	struct snap_opts o = {.result = "failed"};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;

	s = snapshot_with(&o, &r, &l, &k);
	ck_assert_msg(starts_with(s->verdict, "FAILED"), "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, "failed") != NULL, "%s", s->verdict);
	ck_assert(!s->ok);
	/* Sound but failed: still browsable. */
	ck_assert_ptr_nonnull(s->ji);
	snapshot_done(s, l, r);
}
END_TEST

START_TEST(test_snapshot_misnamed)
{
	struct snap_opts o = {.info_name = "other_label"};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;

	s = snapshot_with(&o, &r, &l, &k);
	ck_assert_msg(starts_with(s->verdict, "INVALID"), "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, "other_label") != NULL, "%s",
		      s->verdict);
	ck_assert_msg(strstr(s->verdict, "snap1") != NULL, "%s", s->verdict);
	ck_assert(!s->ok);
	ck_assert_ptr_null(s->ji);
	snapshot_done(s, l, r);
}
END_TEST

START_TEST(test_snapshot_no_meta)
{
	struct snap_opts o = {.meta = META_NONE};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;

	s = snapshot_with(&o, &r, &l, &k);
	ck_assert_msg(starts_with(s->verdict, "INCOMPLETE"), "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, "__meta") != NULL, "%s", s->verdict);
	ck_assert(!s->ok);
	ck_assert_ptr_null(s->meta_key);
	ck_assert_ptr_nonnull(s->ji);
	ck_assert_int_eq(s->mtime, BACKUP_MS / 1000);
	snapshot_done(s, l, r);
}
END_TEST

/* A StarRocks repository with a millisecond timestamp. */
START_TEST(test_snapshot_starrocks)
{
	struct snap_opts o = {.ts = TS_SR, .meta_version = 92};
	char err[ERRLEN] = "";
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r = NULL;

	make_repo_info(SR_REPO, "y");
	make_snapshot(SR_REPO, "sr_snap", &o, &k);
	ck_assert_int_eq(repo_open(st, NULL, err, sizeof(err), &r), 0);
	ck_assert_int_eq(repo_flavor(r), REPO_FLAVOR_STARROCKS);
	l = load_label(r, "__ss_sr_snap");
	ck_assert_str_eq(l->status, "OK");
	ck_assert_uint_eq(l->nts, 1);
	ck_assert_str_eq(l->ts[0].name, TS_SR);
	s = load_snapshot(r, l, 0);
	ck_assert_str_eq(s->verdict, "OK");
	ck_assert_str_eq(s->ts, TS_SR);
	ck_assert_str_eq(s->label, "sr_snap");
	expect_key(r, s->info_key, k.info);
	ck_assert_int_eq(s->ji->meta_version, 92);
	snapshot_done(s, l, r);
}
END_TEST

/* A timestamp entry with an invalid name is reported, not read. */
START_TEST(test_snapshot_bad_name)
{
	struct snap_opts o = {0};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char key[KEYLEN];

	make_snapshot(REPO, "snap1", &o, &k);
	snprintf(key, sizeof(key), REPO "%s.part", k.info);
	put_str(key, "{");
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	ck_assert_uint_eq(l->nts, 2);
	ck_assert(!l->ts[1].valid_name);
	s = load_snapshot(r, l, 1);
	ck_assert_msg(starts_with(s->verdict, "INVALID"), "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, ".part") != NULL, "%s", s->verdict);
	ck_assert(!s->ok);
	ck_assert_ptr_null(s->ji);
	snapshot_done(s, l, r);
}
END_TEST

/* The info object goes away between listing and reading. */
START_TEST(test_snapshot_vanished)
{
	struct snap_opts o = {0};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char key[KEYLEN];

	make_snapshot(REPO, "snap1", &o, &k);
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	snprintf(key, sizeof(key), REPO "%s", k.info);
	ck_assert_int_eq(store_remove(st, key), 0);
	s = load_snapshot(r, l, 0);
	ck_assert_msg(starts_with(s->verdict, "INVALID"), "%s", s->verdict);
	ck_assert_msg(strstr(s->verdict, k.info) != NULL, "%s", s->verdict);
	ck_assert(!s->ok);
	snapshot_done(s, l, r);
}
END_TEST

/* ---- repo_snapshot_meta_json -------------------------------------------- */

static void meta_json_of(const struct snap_opts *o, char **problem, char **json)
{
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	size_t len = 0;

	s = snapshot_with(o, &r, &l, &k);
	*problem = (char *)&len;
	*json = NULL;
	ck_assert_int_eq(repo_snapshot_meta_json(r, s, problem, json, &len), 0);
	ck_assert_ptr_nonnull(*json);
	ck_assert_uint_eq(strlen(*json), len);
	ck_assert_uint_gt(len, 2);
	ck_assert_int_eq((*json)[0], '{');
	ck_assert_int_eq((*json)[len - 1], '\n');
	if (*problem) {
		ck_assert_ptr_null(strchr(*problem, '\n'));
		ck_assert_msg(strstr(*json, "\"unusable\"") != NULL, "%s",
			      *json);
		if (k.meta[0])
			ck_assert_msg(strstr(*json, k.meta) != NULL, "%s",
				      *json);
	}
	snapshot_done(s, l, r);
}

START_TEST(test_meta_json)
{
	struct snap_opts o = {0};
	char *problem, *json;

	meta_json_of(&o, &problem, &json);
	ck_assert_ptr_null(problem);
	ck_assert_msg(strstr(json, "\"format\": \"json\"") != NULL, "%s", json);
	ck_assert_msg(strstr(json, "\"meta_version\": 140") != NULL, "%s",
		      json);
	ck_assert_msg(strstr(json, "\"t1\"") != NULL, "%s", json);
	free(json);
}
END_TEST

START_TEST(test_meta_legacy)
{
	struct snap_opts o = {.meta = META_LEGACY, .meta_version = 120};
	char *problem, *json;

	meta_json_of(&o, &problem, &json);
	ck_assert_ptr_null(problem);
	ck_assert_msg(strstr(json, "\"format\": \"legacy-binary\"") != NULL,
		      "%s", json);
	ck_assert_msg(strstr(json, "\"meta_version\": 120") != NULL, "%s",
		      json);
	ck_assert_msg(strstr(json, "\"table_count\": 2") != NULL, "%s", json);
	ck_assert_msg(strstr(json, "\"size\": 16") != NULL, "%s", json);
	free(json);
}
END_TEST

START_TEST(test_meta_bad_md5)
{
	struct snap_opts o = {.meta = META_BAD_MD5};
	char *problem, *json;

	meta_json_of(&o, &problem, &json);
	ck_assert_ptr_nonnull(problem);
	ck_assert_msg(strstr(problem, "MD5") != NULL, "%s", problem);
	ck_assert_msg(strstr(json, "MD5") != NULL, "%s", json);
	free(problem);
	free(json);
}
END_TEST

START_TEST(test_meta_bad_json)
{
	struct snap_opts o = {.meta = META_BAD_JSON};
	char *problem, *json;

	meta_json_of(&o, &problem, &json);
	ck_assert_ptr_nonnull(problem);
	ck_assert_msg(strstr(problem, "malformed") != NULL, "%s", problem);
	free(problem);
	free(json);
}
END_TEST

START_TEST(test_meta_none)
{
	struct snap_opts o = {.meta = META_NONE};
	char *problem, *json;

	meta_json_of(&o, &problem, &json);
	ck_assert_ptr_nonnull(problem);
	ck_assert_msg(strstr(json, problem) != NULL, "%s", json);
	free(problem);
	free(json);
}
END_TEST

/* The meta goes away after the label was listed. */
START_TEST(test_meta_vanished)
{
	struct snap_opts o = {0};
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char key[KEYLEN], *problem = NULL, *json = NULL;
	size_t len;

	s = snapshot_with(&o, &r, &l, &k);
	snprintf(key, sizeof(key), REPO "%s", k.meta);
	ck_assert_int_eq(store_remove(st, key), 0);
	ck_assert_int_eq(repo_snapshot_meta_json(r, s, &problem, &json, &len),
			 0);
	ck_assert_ptr_nonnull(problem);
	ck_assert_ptr_nonnull(strstr(json, "unusable"));
	free(problem);
	free(json);
	snapshot_done(s, l, r);
}
END_TEST

/* ---- repo_tablet_files -------------------------------------------------- */

static void tablet_files_of(struct repo *r, const struct repo_snapshot *s,
			    struct repo_file **files, size_t *n)
{
	const struct jobinfo_table *tbl;
	const struct jobinfo_index *idx;
	const struct jobinfo_tablet *tab;

	ck_assert_ptr_nonnull(s->ji);
	ck_assert_uint_eq(s->ji->ntables, 1);
	tbl = &s->ji->tables[0];
	ck_assert_uint_eq(tbl->npartitions, 1);
	ck_assert_uint_eq(tbl->partitions[0].nindexes, 1);
	idx = &tbl->partitions[0].indexes[0];
	ck_assert_uint_eq(idx->ntablets, 1);
	tab = &idx->tablets[0];
	ck_assert_int_eq(tab->id, 10015);
	ck_assert_int_eq(tab->part_id, 10012);
	ck_assert_int_eq(repo_tablet_files(r, s, tbl, idx, tab, files, n), 0);
}

START_TEST(test_tablet_files)
{
	struct snap_opts o = {.omit_dat = true};
	char hdr_md5[MD5_HEX_LEN + 1], dat_md5[MD5_HEX_LEN + 1];
	char key[KEYLEN], extra[KEYLEN];
	struct repo_snapshot *s;
	struct repo_file *files;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	size_t n, i;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	/* Not in the info: an object with an md5 name (a file of the
	 * tablet all the same: the BE restores the directory listing),
	 * one without (ignored), a sub-prefix (ignored), and a same-named
	 * file with another md5 (the info's version wins). */
	snprintf(key, sizeof(key), REPO "__ss_snap1/" TABLET_DIR);
	put_named(key, "extra.dat", "e", 1, NULL, extra);
	snprintf(extra, sizeof(extra), "%snotes.txt", key);
	put_str(extra, "not in the info");
	snprintf(extra, sizeof(extra), "%ssub/x", key);
	put_str(extra, "below");
	put_named(key, "x_0.dat", "other content", 13, NULL, extra);

	r = open_mode(_i);
	l = load_label(r, "__ss_snap1");
	s = load_snapshot(r, l, 0);
	ck_assert_str_eq(s->verdict, "OK");
	tablet_files_of(r, s, &files, &n);
	ck_assert_uint_eq(n, 3);
	md5_of(hdr_data, strlen(hdr_data), hdr_md5);
	md5_of(dat_data, strlen(dat_data), dat_md5);

	ck_assert_str_eq(files[0].name, "10015.hdr");
	ck_assert_str_eq(files[0].md5, hdr_md5);
	expect_key(r, files[0].key, k.hdr);
	ck_assert(files[0].present);
	ck_assert_uint_eq(files[0].size, strlen(hdr_data));
	ck_assert_int_gt(files[0].mtime, 0);

	ck_assert_str_eq(files[1].name, "x_0.dat");
	ck_assert_str_eq(files[1].md5, dat_md5);
	expect_key(r, files[1].key, k.dat);
	ck_assert(!files[1].present);
	ck_assert_uint_eq(files[1].size, 0);

	ck_assert_str_eq(files[2].name, "extra.dat");
	ck_assert(files[2].present);
	ck_assert_uint_eq(files[2].size, 1);
	for (i = 0; i < n; i++)
		ck_assert_ptr_null(strstr(files[i].name, "notes"));
	repo_files_free(files, n);

	/* With every file present. */
	snprintf(key, sizeof(key), REPO "%s", k.dat);
	put_str(key, dat_data);
	tablet_files_of(r, s, &files, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert(files[0].present);
	ck_assert(files[1].present);
	ck_assert_uint_eq(files[1].size, strlen(dat_data));
	repo_files_free(files, n);
	snapshot_done(s, l, r);
}
END_TEST

/* No data at all for the tablet (a METADATA_ONLY-like leftover). */
START_TEST(test_tablet_files_absent)
{
	struct snap_opts o = {.omit_hdr = true, .omit_dat = true};
	struct repo_snapshot *s;
	struct repo_file *files;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	size_t n;

	s = snapshot_with(&o, &r, &l, &k);
	tablet_files_of(r, s, &files, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(!files[0].present);
	ck_assert(!files[1].present);
	repo_files_free(files, n);
	snapshot_done(s, l, r);
}
END_TEST

/* ---- deleting snapshots ------------------------------------------------- */

/*
 * A store in front of the temp directory's that records every remove and
 * fails those whose key contains @fail_match: the order of deletion is
 * observable, and a delete can be cut short where a test wants. Listings
 * of a prefix containing @list_match fail with @list_rc (or, with
 * @list_empty, list nothing, as if the prefix had just been deleted), and
 * reads of a key containing @read_match fail with @read_rc, from offset
 * @read_from on.
 */
#define FAULT_LOG 32

struct fault_store {
	struct store base; /* first, as store.h asks */
	struct store *lower;
	const char *fail_match;
	int fail_rc;
	const char *list_match;
	int list_rc;
	bool list_empty;
	bool list_flat_only;   /* fail only listings without a delimiter */
	unsigned list_skip;    /* let this many matching listings through */
	const char *big_match; /* stat says these are too big to read */
	const char *read_match;
	int read_rc;
	uint64_t read_from;
	char removed[FAULT_LOG][KEYLEN]; /* removes attempted, in order */
	size_t nremoved;
};

static struct fault_store *fault_of(struct store *s)
{
	return (struct fault_store *)s;
}

static int fault_open(const char *url, const struct store_opts *o,
		      struct store **out)
{
	return -EINVAL; /* made by fault_init() only */
}

static void fault_close(struct store *s)
{
}

static int fault_list(struct store *s, const char *prefix, const char *delim,
		      store_list_cb cb, void *arg)
{
	struct fault_store *fs = fault_of(s);

	if (fs->list_match && strstr(prefix, fs->list_match) &&
	    (!fs->list_flat_only || !delim)) {
		if (fs->list_skip == 0)
			return fs->list_empty ? 0 : fs->list_rc;
		fs->list_skip--;
	}
	return store_list(fs->lower, prefix, delim, cb, arg);
}

static int fault_stat(struct store *s, const char *key, struct store_entry *out)
{
	struct fault_store *fs = fault_of(s);
	int rc = store_stat(fs->lower, key, out);

	if (rc == 0 && fs->big_match && strstr(key, fs->big_match))
		out->size = (uint64_t)REPO_MAX_INFO_SIZE + 1;
	return rc;
}

static int fault_read(struct store *s, const char *key, uint64_t off, void *buf,
		      size_t len, size_t *nread)
{
	struct fault_store *fs = fault_of(s);

	if (fs->read_match && strstr(key, fs->read_match) &&
	    off >= fs->read_from)
		return fs->read_rc;
	return store_read(fs->lower, key, off, buf, len, nread);
}

static int fault_put(struct store *s, const char *key, store_src_fn src,
		     void *arg, uint64_t size, unsigned flags)
{
	struct store *lower = fault_of(s)->lower;

	return lower->ops->put(lower, key, src, arg, size, flags);
}

static int fault_remove(struct store *s, const char *key)
{
	struct fault_store *fs = fault_of(s);

	ck_assert_uint_lt(fs->nremoved, FAULT_LOG);
	snprintf(fs->removed[fs->nremoved++], KEYLEN, "%s", key);
	if (fs->fail_match && strstr(key, fs->fail_match))
		return fs->fail_rc;
	return store_remove(fs->lower, key);
}

static const struct store_ops fault_ops = {
	.scheme = "fault",
	.caps = STORE_CAP_RANGE_READ | STORE_CAP_WRITE,
	.open = fault_open,
	.close = fault_close,
	.list = fault_list,
	.stat = fault_stat,
	.read = fault_read,
	.put = fault_put,
	.remove = fault_remove,
};

/* The same without STORE_CAP_WRITE: a read-only store. */
static const struct store_ops fault_ro_ops = {
	.scheme = "fault-ro",
	.caps = STORE_CAP_RANGE_READ,
	.open = fault_open,
	.close = fault_close,
	.list = fault_list,
	.stat = fault_stat,
	.read = fault_read,
};

/* @fs in front of @lower, answering to @url; nothing fails yet. */
static void fault_setup(struct fault_store *fs, const struct store_ops *ops,
			struct store *lower, const char *url)
{
	memset(fs, 0, sizeof(*fs));
	fs->base.ops = ops;
	fs->base.url = (char *)url;
	fs->lower = lower;
}

static struct repo *fault_init(struct fault_store *fs,
			       const struct store_ops *ops)
{
	char err[ERRLEN] = "";
	struct repo *r = NULL;

	fault_setup(fs, ops, st, st->url);
	ck_assert_msg(repo_open(&fs->base, NULL, err, sizeof(err), &r) == 0,
		      "%s", err);
	ck_assert_str_eq(repo_root(r), REPO);
	return r;
}

static int count_cb(const struct store_entry *e, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

/* Objects stored under @prefix (relative to the temp directory). */
static size_t count_under(const char *prefix)
{
	size_t n = 0;

	ck_assert_int_eq(store_list(st, prefix, NULL, count_cb, &n), 0);
	return n;
}

static bool exists(const char *rel_key)
{
	struct store_entry e;
	char key[KEYLEN * 2];

	snprintf(key, sizeof(key), REPO "%s", rel_key);
	return store_stat(st, key, &e) == 0;
}

/* One label, one timestamp: everything under the label goes. */
START_TEST(test_delete_one)
{
	struct snap_opts o = {0};
	struct snap_keys k, k2;
	char err[ERRLEN] = "", key[KEYLEN];
	struct repo_label *l, *l2 = NULL;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	make_snapshot(REPO, "snap2", &o, &k2);
	/* Leftovers go too: in the label dir and in a tablet dir. */
	put_str(REPO "__ss_snap1/notes.txt", "n");
	snprintf(key, sizeof(key), REPO "__ss_snap1/" TABLET_DIR "x.part");
	put_str(key, "p");
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 6);
	r = open_mode(_i);
	l = load_label(r, "__ss_snap1");
	ck_assert_int_eq(
		repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 0);
	ck_assert_int_eq(repo_label_load(r, "__ss_snap1", &l2), -ENOENT);
	ck_assert_ptr_null(l2);

	/* The other label and the repository stay. */
	ck_assert_uint_eq(count_under(REPO "__ss_snap2/"), 4);
	ck_assert(exists("__repo_info"));
	l2 = load_label(r, "__ss_snap2");
	ck_assert_str_eq(l2->status, "OK");
	repo_label_free(l2);

	/* Again: the info is gone already. */
	ck_assert_int_eq(
		repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err)),
		-ENOENT);
	ck_assert_msg(strstr(err, k.info) != NULL, "%s", err);
	ck_assert_uint_eq(count_under(REPO "__ss_snap2/"), 4);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

/* Two timestamps share the label's __meta and data. */
START_TEST(test_delete_two_ts)
{
	struct snap_opts o1 = {.ts = "2024-05-01-02-20-30"};
	struct snap_opts o2 = {.ts = "2024-05-02-02-20-30"};
	struct snap_keys k1, k2;
	char err[ERRLEN] = "";
	struct repo_snapshot *s;
	struct repo_file *files;
	struct repo_label *l;
	struct repo *r;
	size_t n;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o1, &k1);
	make_snapshot(REPO, "snap1", &o2, &k2);
	ck_assert_str_eq(k1.meta, k2.meta);
	r = open_mode(_i);
	l = load_label(r, "__ss_snap1");
	ck_assert_uint_eq(l->nts, 2);
	ck_assert_int_eq(repo_snapshot_delete(r, l, &l->ts[0], NULL, 0), 0);
	repo_label_free(l);

	/* Only the first info went. */
	ck_assert(!exists(k1.info));
	ck_assert(exists(k2.info));
	ck_assert(exists(k2.meta));
	ck_assert(exists(k2.hdr));
	ck_assert(exists(k2.dat));
	l = load_label(r, "__ss_snap1");
	ck_assert_str_eq(l->status, "OK");
	ck_assert_uint_eq(l->nts, 1);
	ck_assert_str_eq(l->ts[0].name, o2.ts);
	s = load_snapshot(r, l, 0);
	ck_assert_str_eq(s->verdict, "OK");
	tablet_files_of(r, s, &files, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(files[0].present && files[1].present);
	repo_files_free(files, n);
	repo_snapshot_free(s);

	/* The last one takes the label with it. */
	ck_assert_int_eq(
		repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err)), 0);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 0);
	ck_assert(exists("__repo_info"));
	repo_label_free(l);
	repo_close(r);
}
END_TEST

/*
 * The order, made visible: the fault store records the removes and
 * fails those of data objects. The info must be the first remove, and
 * after the failure the label must list as INCOMPLETE, never as a
 * complete snapshot; repo_label_purge() then finishes the job.
 */
START_TEST(test_delete_info_first)
{
	struct snap_opts o = {0};
	struct fault_store fs;
	struct snap_keys k;
	char err[ERRLEN] = "", want[KEYLEN * 2];
	struct repo_label *l, *l2;
	struct repo *r, *r2;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ops);
	fs.fail_match = "/__ss_content/";
	fs.fail_rc = -EIO;
	l = load_label(r, "__ss_snap1");
	ck_assert_int_eq(
		repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err)), -EIO);
	ck_assert_uint_eq(fs.nremoved, 2);
	snprintf(want, sizeof(want), REPO "%s", k.info);
	ck_assert_str_eq(fs.removed[0], want);
	ck_assert_msg(strstr(fs.removed[1], "/__ss_content/") != NULL, "%s",
		      fs.removed[1]);
	ck_assert_msg(strstr(err, fs.removed[1]) != NULL, "%s", err);
	/* Data before the label's own objects: the meta is still there. */
	ck_assert(!exists(k.info));
	ck_assert(exists(k.meta));
	ck_assert(exists(k.hdr));
	ck_assert(exists(k.dat));

	/* What a reader now sees, through the plain store. */
	r2 = open_mode(0);
	l2 = load_label(r2, "__ss_snap1");
	ck_assert_msg(starts_with(l2->status, "INCOMPLETE"), "%s", l2->status);
	ck_assert_uint_eq(l2->nts, 0);
	repo_label_free(l2);

	/* Finishing: the label has no snapshot left, so purge may go. */
	ck_assert_int_eq(repo_label_purge(r2, "__ss_snap1", err, sizeof(err)),
			 0);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 0);
	ck_assert_int_eq(repo_label_purge(r2, "__ss_snap1", err, sizeof(err)),
			 -ENOENT);
	repo_close(r2);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

/* A failing info remove stops everything: nothing else is touched. */
START_TEST(test_delete_info_fails)
{
	struct snap_opts o = {0};
	struct fault_store fs;
	struct snap_keys k;
	char err[ERRLEN] = "";
	struct repo_label *l;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ops);
	fs.fail_match = "__info_";
	fs.fail_rc = -EACCES;
	l = load_label(r, "__ss_snap1");
	ck_assert_int_eq(
		repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err)),
		-EACCES);
	ck_assert_uint_eq(fs.nremoved, 1);
	ck_assert_msg(strstr(err, k.info) != NULL, "%s", err);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 4);
	repo_label_free(l);
	l = load_label(r, "__ss_snap1");
	ck_assert_str_eq(l->status, "OK");
	repo_label_free(l);
	repo_close(r);
}
END_TEST

START_TEST(test_delete_read_only)
{
	struct snap_opts o = {0};
	struct fault_store fs;
	struct snap_keys k;
	char err[ERRLEN] = "";
	struct repo_label *l;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ro_ops);
	l = load_label(r, "__ss_snap1");
	ck_assert_int_eq(
		repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err)),
		-EROFS);
	ck_assert_msg(strstr(err, "read-only") != NULL, "%s", err);
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", NULL, 0), -EROFS);
	ck_assert_uint_eq(fs.nremoved, 0);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 4);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

/* A timestamp of another label, and directories that are no labels. */
START_TEST(test_delete_bad_args)
{
	struct snap_opts o = {0};
	struct snap_keys k;
	char err[ERRLEN] = "";
	struct repo_label *l1, *l2;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	make_snapshot(REPO, "snap2", &o, &k);
	r = open_mode(0);
	l1 = load_label(r, "__ss_snap1");
	l2 = load_label(r, "__ss_snap2");
	ck_assert_int_eq(
		repo_snapshot_delete(r, l1, &l2->ts[0], err, sizeof(err)),
		-EINVAL);
	ck_assert_msg(strstr(err, "not an info object") != NULL, "%s", err);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 4);
	ck_assert_uint_eq(count_under(REPO "__ss_snap2/"), 4);
	ck_assert_int_eq(repo_label_purge(r, "__ss_content", err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(repo_label_purge(r, "snap1", NULL, 0), -EINVAL);
	ck_assert_int_eq(repo_label_purge(r, "__ss_", NULL, 0), -EINVAL);
	ck_assert_int_eq(repo_label_purge(r, "__ss_a/b", NULL, 0), -EINVAL);
	/* A label holding a snapshot is not purged. */
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", err, sizeof(err)),
			 -ENOTEMPTY);
	ck_assert_msg(strstr(err, "__info_") != NULL, "%s", err);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 4);
	repo_label_free(l1);
	repo_label_free(l2);
	repo_close(r);
}
END_TEST

/* A .part leftover of an info keeps the data; purge removes it all. */
START_TEST(test_delete_part_leftover)
{
	struct snap_opts o = {0};
	struct snap_keys k;
	char key[KEYLEN];
	struct repo_label *l;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	snprintf(key, sizeof(key), REPO "__ss_snap1/__info_" TS ".part");
	put_str(key, "{");
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	ck_assert_uint_eq(l->nts, 2);
	ck_assert(l->ts[0].valid_name);
	ck_assert_int_eq(repo_snapshot_delete(r, l, &l->ts[0], NULL, 0), 0);
	repo_label_free(l);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 4);
	l = load_label(r, "__ss_snap1");
	ck_assert_msg(starts_with(l->status, "INVALID"), "%s", l->status);
	repo_label_free(l);
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", NULL, 0), 0);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 0);
	repo_close(r);
}
END_TEST

/* ---- retention ---------------------------------------------------------- */

#define DAY   86400LL
#define T0    (BACKUP_MS / 1000) /* 2024-05-01T02:20:30Z */
#define T_NOW (T0 + 4 * DAY)

static void set_mtime(const char *rel_key, long long t)
{
	struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/" REPO "%s", tmpdir, rel_key);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * Five snapshots: label a with three timestamps a day apart, b whose info
 * doesn't parse (so its age is its mtime, set a day before a's first), c
 * a day after a's last; and d, a label with no info at all.
 */
static struct repo *make_five(void)
{
	struct snap_opts o = {0};
	struct snap_keys k;

	make_repo_info(REPO, "x");
	o.ts = "2024-05-01-02-20-30";
	o.backup_ms = T0 * 1000;
	make_snapshot(REPO, "a", &o, &k);
	o.ts = "2024-05-02-02-20-30";
	o.backup_ms = (T0 + DAY) * 1000;
	make_snapshot(REPO, "a", &o, &k);
	o.ts = "2024-05-03-02-20-30";
	o.backup_ms = (T0 + 2 * DAY) * 1000;
	make_snapshot(REPO, "a", &o, &k);
	o.ts = "2024-04-30-02-20-30";
	o.info_bad_json = true;
	make_snapshot(REPO, "b", &o, &k);
	set_mtime(k.info, T0 - DAY);
	o.info_bad_json = false;
	o.ts = "2024-05-04-02-20-30";
	o.backup_ms = (T0 + 3 * DAY) * 1000;
	make_snapshot(REPO, "c", &o, &k);
	put_str(REPO "__ss_d/" TABLET_DIR "10015.hdr.part", "unfinished");
	return open_mode(0);
}

/* The dry-run text of a plan, checked for shape; caller frees. */
static char *plan_of(struct repo *r, int keep_last, long long older_than_s,
		     size_t *n)
{
	struct repo_plan *p = NULL;
	char *text = NULL;
	size_t len = 1, i, lines = 0;

	ck_assert_int_eq(
		repo_retention_plan(r, keep_last, older_than_s, T_NOW, &p), 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(repo_plan_text(p, &text, &len), 0);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	ck_assert_uint_eq(lines, p->n);
	for (i = 0; i < p->n; i++) {
		ck_assert(starts_with(p->items[i].info_key, REPO "__ss_"));
		ck_assert_str_eq(p->items[i].dir + 5, p->items[i].label);
		ck_assert_ptr_null(strchr(p->items[i].reason, '\n'));
	}
	*n = p->n;
	repo_plan_free(p);
	return text;
}

START_TEST(test_retention_keep_last)
{
	struct repo *r = make_five();
	char *text;
	size_t n;

	text = plan_of(r, 1, -1, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(text,
			 "a/2024-05-01-02-20-30  2024-05-01T02:20:30Z  "
			 "keep_last 1: complete snapshot #3 from the newest\n"
			 "a/2024-05-02-02-20-30  2024-05-02T02:20:30Z  "
			 "keep_last 1: complete snapshot #2 from the newest\n");
	free(text);

	/* keep_last 0 takes every snapshot, broken b too, but not d. */
	text = plan_of(r, 0, -1, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert_msg(strstr(text, "\nb/2024-04-30-02-20-30  "
				   "2024-04-30T02:20:30Z  keep_last 0: not "
				   "complete (INVALID: ") != NULL,
		      "%s", text);
	ck_assert_msg(strstr(text,
			     "\nc/2024-05-04-02-20-30  "
			     "2024-05-04T02:20:30Z  keep_last 0: "
			     "complete snapshot #1 from the newest\n") != NULL,
		      "%s", text);
	ck_assert_ptr_null(strstr(text, "d/"));
	free(text);

	/* No policy, nothing to delete. */
	text = plan_of(r, -1, -1, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(text, "");
	free(text);
	text = plan_of(r, 3, -1, &n);
	ck_assert_uint_eq(n, 0);
	free(text);
	repo_close(r);
}
END_TEST

START_TEST(test_retention_older_than)
{
	struct repo *r = make_five();
	char *text;
	size_t n;

	/* Cut at T0 + 1.5 days. */
	text = plan_of(r, -1, 60 * 60 * 60, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(text, "a/2024-05-01-02-20-30  2024-05-01T02:20:30Z  "
			       "older than 216000s (age 345600s)\n"
			       "a/2024-05-02-02-20-30  2024-05-02T02:20:30Z  "
			       "older than 216000s (age 259200s)\n"
			       "b/2024-04-30-02-20-30  2024-04-30T02:20:30Z  "
			       "older than 216000s (age 432000s, by the info "
			       "object's mtime: the info does not parse)\n");
	free(text);
	repo_close(r);
}
END_TEST

START_TEST(test_retention_both)
{
	struct repo_label *l;
	struct repo_plan *p = NULL;
	struct repo *r = make_five();
	char *text;
	size_t n, i, j;

	/* keep_last 2 takes a's first; older than 3.5 days takes it and b. */
	text = plan_of(r, 2, 84 * 60 * 60, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(text,
			 "a/2024-05-01-02-20-30  2024-05-01T02:20:30Z  "
			 "keep_last 2: complete snapshot #3 from the newest; "
			 "older than 302400s (age 345600s)\n"
			 "b/2024-04-30-02-20-30  2024-04-30T02:20:30Z  "
			 "older than 302400s (age 432000s, by the info "
			 "object's mtime: the info does not parse)\n");
	free(text);
	ck_assert_int_eq(repo_retention_plan(r, -2, -1, T_NOW, &p), -EINVAL);
	ck_assert_int_eq(repo_retention_plan(r, -1, -5, T_NOW, &p), -EINVAL);
	ck_assert_ptr_null(p);

	/* Applying a plan, as its caller does. */
	ck_assert_int_eq(repo_retention_plan(r, 1, -1, T_NOW, &p), 0);
	ck_assert_uint_eq(p->n, 2);
	for (i = 0; i < p->n; i++) {
		l = load_label(r, p->items[i].dir);
		for (j = 0; j < l->nts; j++)
			if (strcmp(l->ts[j].info_key, p->items[i].info_key) ==
			    0)
				break;
		ck_assert_uint_lt(j, l->nts);
		ck_assert_int_eq(repo_snapshot_delete(r, l, &l->ts[j], NULL, 0),
				 0);
		repo_label_free(l);
	}
	repo_plan_free(p);
	l = load_label(r, "__ss_a");
	ck_assert_uint_eq(l->nts, 1);
	ck_assert_str_eq(l->ts[0].name, "2024-05-03-02-20-30");
	ck_assert_str_eq(l->status, "OK");
	repo_label_free(l);
	text = plan_of(r, 1, -1, &n);
	ck_assert_uint_eq(n, 0);
	free(text);
	repo_close(r);
}
END_TEST

/* A broken snapshot newer than the kept ones stays for a human. */
START_TEST(test_retention_broken_newest)
{
	struct snap_opts o = {0};
	struct snap_keys k;
	struct repo *r;
	char *text;
	size_t n;

	make_repo_info(REPO, "x");
	o.ts = "2024-04-30-02-20-30";
	o.backup_ms = (T0 - DAY) * 1000;
	o.result = "failed";
	make_snapshot(REPO, "e", &o, &k);
	o.ts = "2024-05-01-02-20-30";
	o.backup_ms = T0 * 1000;
	o.result = NULL;
	make_snapshot(REPO, "e", &o, &k);
	o.ts = "2024-05-02-02-20-30";
	o.backup_ms = (T0 + DAY) * 1000;
	o.result = "failed";
	make_snapshot(REPO, "e", &o, &k);
	r = open_mode(0);
	text = plan_of(r, 1, -1, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(text, "e/2024-04-30-02-20-30  2024-04-30T02:20:30Z  "
			       "keep_last 1: not complete (FAILED: "
			       "backup_result is \"failed\"), older than the "
			       "1 newest complete\n");
	free(text);
	repo_close(r);
}
END_TEST

/* ---- verifying ---------------------------------------------------------- */

static struct repo_verify_report *verify_of(struct repo *r,
					    const struct repo_snapshot *s,
					    unsigned pct, uint64_t seed,
					    char **text)
{
	struct repo_verify_report *rep = NULL;
	size_t len = 0, i;

	ck_assert_int_eq(repo_snapshot_verify(r, s, pct, seed, &rep), 0);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(repo_verify_text(rep, text, &len), 0);
	ck_assert_uint_eq(strlen(*text), len);
	ck_assert_uint_eq(rep->nproblems, rep->missing + rep->size_mismatches +
						  rep->md5_mismatches +
						  rep->extra + rep->errors +
						  rep->invalid);
	for (i = 0; i < rep->nproblems; i++) {
		ck_assert_ptr_null(strchr(rep->problems[i], '\n'));
		ck_assert_msg(strstr(*text, rep->problems[i]) != NULL, "%s",
			      *text);
	}
	return rep;
}

START_TEST(test_verify_ok)
{
	struct snap_opts o = {0};
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char *text;

	s = snapshot_with(&o, &r, &l, &k);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->nproblems, 0);
	ck_assert_uint_eq(rep->objects, 4);
	ck_assert_uint_eq(rep->bytes, k.info_len + k.meta_len +
					      strlen(hdr_data) +
					      strlen(dat_data));
	ck_assert_uint_eq(rep->tablets, 1);
	ck_assert_uint_eq(rep->tablets_checked, 1);
	ck_assert_msg(starts_with(text, "OK\nsnapshot: snap1/" TS "\n"
					"tablets: 1 of 1 (all)\n"),
		      "%s", text);
	ck_assert_msg(strstr(text, "md5 mismatches: 0\n") != NULL, "%s", text);
	free(text);
	repo_verify_report_free(rep);
	repo_verify_report_free(NULL);
	ck_assert_int_eq(repo_snapshot_verify(r, s, 0, 0, &rep), -EINVAL);
	ck_assert_int_eq(repo_snapshot_verify(r, s, 101, 0, &rep), -EINVAL);
	snapshot_done(s, l, r);
}
END_TEST

/* Put @data at the repository-relative @rel_key, replacing it. */
static void replace(const char *rel_key, const void *data, size_t len)
{
	char key[KEYLEN * 2];

	snprintf(key, sizeof(key), REPO "%s", rel_key);
	put(key, data, len);
}

START_TEST(test_verify_flipped_byte)
{
	struct snap_opts o = {0};
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	char buf[sizeof(dat_data)], *text;
	struct repo *r;

	s = snapshot_with(&o, &r, &l, &k);
	memcpy(buf, dat_data, sizeof(buf));
	buf[7] ^= 0x01;
	replace(k.dat, buf, strlen(dat_data));
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->nproblems, 1);
	ck_assert_uint_eq(rep->md5_mismatches, 1);
	ck_assert_uint_eq(rep->size_mismatches, 0);
	ck_assert_uint_eq(rep->objects, 4);
	ck_assert_msg(starts_with(text, "FAILED: 1 problem\n"), "%s", text);
	ck_assert_msg(strstr(rep->problems[0], k.dat) != NULL, "%s",
		      rep->problems[0]);
	ck_assert(starts_with(rep->problems[0], "md5 mismatch: "));
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

START_TEST(test_verify_missing)
{
	struct snap_opts o = {.omit_hdr = true};
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char *text;

	s = snapshot_with(&o, &r, &l, &k);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->nproblems, 1);
	ck_assert_uint_eq(rep->missing, 1);
	ck_assert_uint_eq(rep->objects, 4);
	ck_assert(starts_with(rep->problems[0], "missing: "));
	ck_assert_msg(strstr(rep->problems[0], k.hdr) != NULL, "%s",
		      rep->problems[0]);
	ck_assert_msg(starts_with(text, "FAILED: 1 problem\n"), "%s", text);
	free(text);
	repo_verify_report_free(rep);

	/* The meta vanishing after the snapshot was loaded. */
	ck_assert_int_eq(store_remove(rst ? rst : st, s->meta_key), 0);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->missing, 2);
	ck_assert_msg(starts_with(text, "FAILED: 2 problems\n"), "%s", text);
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

START_TEST(test_verify_truncated)
{
	struct snap_opts o = {0};
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char *text;

	s = snapshot_with(&o, &r, &l, &k);
	/* Truncated before the tablet is listed: the content is wrong. */
	replace(k.dat, dat_data, 5);
	/* Truncated after the label was listed: the size is wrong too. */
	replace(k.meta, "\0\0\0", 3);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->nproblems, 3);
	ck_assert_uint_eq(rep->md5_mismatches, 2);
	ck_assert_uint_eq(rep->size_mismatches, 1);
	ck_assert_msg(strstr(text, "size mismatch: " REPO) != NULL, "%s", text);
	ck_assert_msg(strstr(text, " bytes, read 3\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "(5 bytes)") != NULL, "%s", text);
	ck_assert_msg(starts_with(text, "FAILED: 3 problems\n"), "%s", text);
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

START_TEST(test_verify_extra)
{
	struct snap_opts o = {0};
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	char dir[KEYLEN], key[KEYLEN], *text;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	snprintf(dir, sizeof(dir), REPO "__ss_snap1/" TABLET_DIR);
	put_named(dir, "x_1.dat", "e", 1, NULL, key);	  /* not in the info */
	put_named(dir, "x_0.dat", "older", 5, NULL, key); /* 2nd version */
	snprintf(key, sizeof(key), "%s10015.hdr.part", dir);
	put_str(key, "leftover");
	/* Ignored, as the BE does: no '.', and a sub-prefix. */
	snprintf(key, sizeof(key), "%s__starrocks_snapshot_manifest", dir);
	put_str(key, "10015.hdr\n");
	snprintf(key, sizeof(key), "%ssub/y.dat", dir);
	put_str(key, "below");
	r = open_mode(0);
	l = load_label(r, "__ss_snap1");
	s = load_snapshot(r, l, 0);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->extra, 3);
	ck_assert_uint_eq(rep->nproblems, 3);
	ck_assert_uint_eq(rep->objects, 4);
	ck_assert_msg(strstr(text, "x_1.dat.") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "10015.hdr.part") != NULL, "%s", text);
	ck_assert_ptr_null(strstr(text, "manifest"));
	ck_assert_ptr_null(strstr(text, "sub/"));
	ck_assert_msg(strstr(text, "extra objects: 3\n") != NULL, "%s", text);
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

/* A snapshot whose info doesn't parse: no tablet can be checked. */
START_TEST(test_verify_invalid)
{
	struct snap_opts o = {.info_bad_json = true};
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char *text;

	s = snapshot_with(&o, &r, &l, &k);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->invalid, 1);
	ck_assert_uint_eq(rep->nproblems, 1);
	ck_assert_uint_eq(rep->objects, 2);
	ck_assert_uint_eq(rep->tablets, 0);
	ck_assert(starts_with(rep->problems[0], "snapshot: "));
	ck_assert_msg(strstr(rep->problems[0], "INVALID") != NULL, "%s",
		      rep->problems[0]);
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

#define NTAB 8

/*
 * Label "multi": NTAB tablets 20000.., one file each, whose names carry
 * the wrong md5 when @corrupt (so every checked tablet is one problem
 * naming it). With @empty_lists the info lists no files (as StarRocks
 * writes) and tablet 20000's directory is left empty.
 */
static struct repo_snapshot *make_multi(bool corrupt, bool empty_lists,
					struct repo **rp,
					struct repo_label **lp)
{
	static const char meta_json[] = "{\"tables\":[\"t1\"]}";
	char dir[KEYLEN], key[KEYLEN], base[32], data[64];
	char hex[MD5_HEX_LEN + 1], tablets[NTAB * 80] = "", *doc, *framed, *p;
	size_t flen, used = 0;
	int i;

	make_repo_info(REPO, "x");
	for (i = 0; i < NTAB; i++) {
		snprintf(dir, sizeof(dir),
			 REPO "__ss_multi/__ss_content/__db_10004/__tbl_10013/"
			      "__part_10012/__idx_10014/__%d/",
			 20000 + i);
		snprintf(data, sizeof(data), "tablet %d", 20000 + i);
		snprintf(base, sizeof(base), "%d.hdr", 20000 + i);
		if (!(empty_lists && i == 0))
			put_named(dir, base, data, strlen(data),
				  corrupt ? "other" : NULL, key);
		md5_of(corrupt ? "other" : data,
		       strlen(corrupt ? "other" : data), hex);
		if (empty_lists)
			used += (size_t)snprintf(
				tablets + used, sizeof(tablets) - used,
				"%s'%d':[]", i ? "," : "", 20000 + i);
		else
			used += (size_t)snprintf(
				tablets + used, sizeof(tablets) - used,
				"%s'%d':['%d.hdr.%s']", i ? "," : "", 20000 + i,
				20000 + i, hex);
	}
	ck_assert_int_ge(
		asprintf(&doc,
			 "{'name':'multi','database':'db1','id':10004,"
			 "'backup_time':%lld,'backup_objects':{'t1':{"
			 "'id':10013,'partitions':{'p1':{'id':10012,"
			 "'version':3,'indexes':{'t1':{'id':10014,"
			 "'schema_hash':1,'tablets':{%s}}}}}}},"
			 "'backup_result':'succeed','meta_version':140}",
			 BACKUP_MS, tablets),
		0);
	for (p = doc; *p; p++)
		if (*p == '\'')
			*p = '"';
	put_named(REPO "__ss_multi/", "__info_" TS, doc, strlen(doc), NULL,
		  key);
	free(doc);
	ck_assert_int_eq(
		meta_frame(meta_json, strlen(meta_json), &framed, &flen), 0);
	put_named(REPO "__ss_multi/", "__meta", framed, flen, NULL, key);
	free(framed);
	*rp = open_mode(0);
	*lp = load_label(*rp, "__ss_multi");
	return load_snapshot(*rp, *lp, 0);
}

/* Which tablets a report names, as a bit mask. */
static unsigned tablets_named(const struct repo_verify_report *rep)
{
	char needle[32];
	unsigned mask = 0;
	size_t i;
	int t;

	for (i = 0; i < rep->nproblems; i++)
		for (t = 0; t < NTAB; t++) {
			snprintf(needle, sizeof(needle), "/__%d/", 20000 + t);
			if (strstr(rep->problems[i], needle))
				mask |= 1u << t;
		}
	return mask;
}

/* Verify a slice; returns the tablets it named, after checking counts. */
static unsigned slice(struct repo *r, const struct repo_snapshot *s,
		      unsigned pct, uint64_t seed)
{
	struct repo_verify_report *rep;
	unsigned mask;
	char *text, want[64];

	rep = verify_of(r, s, pct, seed, &text);
	mask = tablets_named(rep);
	ck_assert_uint_eq(rep->tablets, NTAB);
	ck_assert_uint_eq(rep->md5_mismatches, rep->tablets_checked);
	ck_assert_uint_eq((unsigned)__builtin_popcount(mask),
			  rep->tablets_checked);
	ck_assert_uint_eq(rep->objects, 2 + rep->tablets_checked);
	if (pct < 100) {
		snprintf(want, sizeof(want), "(sample %u%%, seed %llu)\n", pct,
			 (unsigned long long)seed);
		ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	}
	free(text);
	repo_verify_report_free(rep);
	return mask;
}

START_TEST(test_verify_sample)
{
	const unsigned all = (1u << NTAB) - 1;
	unsigned m0, m1, m2, m3, m, i;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct repo *r;

	s = make_multi(true, false, &r, &l);
	ck_assert_str_eq(s->verdict, "OK");
	ck_assert_uint_eq(slice(r, s, 100, 0), all);
	ck_assert_uint_eq(slice(r, s, 100, 12345), all);

	/* Seeds 0 and 1 at 50%: two different halves covering it all. */
	m0 = slice(r, s, 50, 0);
	m1 = slice(r, s, 50, 1);
	ck_assert_uint_ne(m0, 0);
	ck_assert_uint_ne(m1, 0);
	ck_assert_uint_eq(m0 & m1, 0);
	ck_assert_uint_eq(m0 | m1, all);
	/* Deterministic: the same seed, the same slice. */
	ck_assert_uint_eq(slice(r, s, 50, 0), m0);
	/* Seeds 2 and 3 cover everything again, grouped otherwise. */
	m2 = slice(r, s, 50, 2);
	m3 = slice(r, s, 50, 3);
	ck_assert_uint_eq(m2 & m3, 0);
	ck_assert_uint_eq(m2 | m3, all);
	ck_assert_uint_ne(m2, m0);
	/* 30%: n = 4 slices; seeds 0..3 cover it all. */
	for (m = 0, i = 0; i < 4; i++)
		m |= slice(r, s, 30, i);
	ck_assert_uint_eq(m, all);
	/* 1%: 100 slices. */
	for (m = 0, i = 0; i < 100; i++)
		m |= slice(r, s, 1, i);
	ck_assert_uint_eq(m, all);
	snapshot_done(s, l, r);
}
END_TEST

/* Empty file lists (StarRocks): the directory is the file list. */
START_TEST(test_verify_listed_only)
{
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	char dir[KEYLEN], key[KEYLEN * 2], *text;
	struct repo *r;

	s = make_multi(false, true, &r, &l);
	ck_assert_str_eq(s->verdict, "OK");
	/* Two versions of one name, and a leftover. */
	snprintf(dir, sizeof(dir),
		 REPO "__ss_multi/__ss_content/__db_10004/__tbl_10013/"
		      "__part_10012/__idx_10014/__20001/");
	put_named(dir, "20001.hdr", "zzz older", 9, NULL, key);
	snprintf(key, sizeof(key), "%s20001.hdr.part", dir);
	put_str(key, "p");
	rep = verify_of(r, s, 100, 0, &text);
	/* 20000's directory is empty: RESTORE would fail on it. */
	ck_assert_uint_eq(rep->missing, 1);
	ck_assert_msg(strstr(text, "/__20000/: tablet 20000 has no files") !=
			      NULL,
		      "%s", text);
	ck_assert_uint_eq(rep->extra, 2);
	ck_assert_uint_eq(rep->md5_mismatches, 0);
	ck_assert_uint_eq(rep->objects, 2 + NTAB - 1);
	ck_assert_uint_eq(rep->nproblems, 3);
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

/* ---- content listings --------------------------------------------------- */

/* The tablet's files from one flat listing equal those from its own. */
START_TEST(test_listing)
{
	struct snap_opts o = {.omit_dat = true};
	struct repo_file *a, *b;
	struct repo_listing *lst = NULL;
	const struct jobinfo_table *tbl;
	const struct jobinfo_index *idx;
	struct repo_snapshot *s;
	struct repo_label *l;
	char dir[KEYLEN], key[KEYLEN];
	struct snap_keys k;
	struct repo *r;
	size_t na, nb, i;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	snprintf(dir, sizeof(dir), REPO "__ss_snap1/" TABLET_DIR);
	put_named(dir, "extra.dat", "e", 1, NULL, key);
	put_named(dir, "x_0.dat", "other content", 13, NULL, key);
	snprintf(key, sizeof(key), "%snotes.txt", dir);
	put_str(key, "no md5");
	snprintf(key, sizeof(key), "%ssub/y.dat.%032d", dir, 0);
	put_str(key, "deeper: not the tablet's");
	/* A sibling whose name extends the tablet's: not under its prefix. */
	snprintf(key, sizeof(key),
		 REPO "__ss_snap1/__ss_content/__db_10004/__tbl_10013/"
		      "__part_10012/__idx_10014/__100150/z.dat.%032d",
		 0);
	put_str(key, "sibling");
	/* And another label, outside the listing. */
	make_snapshot(REPO, "snap2", &o, &k);

	r = open_mode(_i);
	l = load_label(r, "__ss_snap1");
	s = load_snapshot(r, l, 0);
	tbl = &s->ji->tables[0];
	idx = &tbl->partitions[0].indexes[0];
	ck_assert_int_eq(repo_listing_load(r, s, &lst), 0);
	ck_assert_ptr_nonnull(lst);
	ck_assert_int_eq(
		repo_tablet_files(r, s, tbl, idx, &idx->tablets[0], &a, &na),
		0);
	ck_assert_int_eq(repo_tablet_files_in(r, s, lst, tbl, idx,
					      &idx->tablets[0], &b, &nb),
			 0);
	ck_assert_uint_eq(na, 3);
	ck_assert_uint_eq(nb, na);
	for (i = 0; i < na; i++) {
		ck_assert_str_eq(b[i].name, a[i].name);
		ck_assert_str_eq(b[i].md5, a[i].md5);
		ck_assert_str_eq(b[i].key, a[i].key);
		ck_assert_int_eq(b[i].present, a[i].present);
		ck_assert_uint_eq(b[i].size, a[i].size);
		ck_assert_int_eq(b[i].mtime, a[i].mtime);
	}
	ck_assert(!b[1].present); /* x_0.dat: the info's version is absent */
	ck_assert_str_eq(b[2].name, "extra.dat");
	repo_files_free(a, na);
	repo_files_free(b, nb);
	repo_listing_free(lst);
	repo_listing_free(NULL);
	snapshot_done(s, l, r);
}
END_TEST

/* A copy of @s whose label makes every key longer than 4 KiB. */
static struct repo_snapshot long_label(const struct repo_snapshot *s)
{
	static char label[5000];
	struct repo_snapshot c = *s;

	memset(label, 'l', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	c.label = label;
	return c;
}

START_TEST(test_listing_errors)
{
	struct snap_opts o = {0};
	struct repo_listing *lst = NULL;
	const struct jobinfo_index *idx;
	struct repo_file *files = NULL;
	struct repo_snapshot *s, big;
	struct fault_store fs;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	size_t n = 7;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ops);
	l = load_label(r, "__ss_snap1");
	s = load_snapshot(r, l, 0);
	idx = &s->ji->tables[0].partitions[0].indexes[0];

	fs.list_match = "__ss_content/";
	fs.list_rc = -EIO;
	ck_assert_int_eq(repo_listing_load(r, s, &lst), -EIO);
	ck_assert_ptr_null(lst);
	ck_assert_int_eq(repo_tablet_files(r, s, &s->ji->tables[0], idx,
					   &idx->tablets[0], &files, &n),
			 -EIO);
	ck_assert_ptr_null(files);
	ck_assert_uint_eq(n, 7);
	fs.list_match = NULL;

	big = long_label(s);
	ck_assert_int_eq(repo_listing_load(r, &big, &lst), -ENAMETOOLONG);
	ck_assert_ptr_null(lst);
	ck_assert_int_eq(repo_tablet_files(r, &big, &s->ji->tables[0], idx,
					   &idx->tablets[0], &files, &n),
			 -ENAMETOOLONG);
	ck_assert_ptr_null(files);
	snapshot_done(s, l, r);
}
END_TEST

/* ---- the store failing -------------------------------------------------- */

START_TEST(test_open_list_fails)
{
	struct fault_store fs;
	char err[ERRLEN] = "";
	struct repo *r = NULL;

	make_repo_info(REPO, "x");
	fault_setup(&fs, &fault_ops, st, st->url);
	fs.list_match = "";
	fs.list_rc = -EIO;
	ck_assert_int_eq(repo_open(&fs.base, NULL, err, sizeof(err), &r), -EIO);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(err, "cannot list") && strstr(err, st->url), "%s",
		      err);
	/* Without an error buffer, the same answer. */
	ck_assert_int_eq(repo_open(&fs.base, NULL, NULL, 0, &r), -EIO);
}
END_TEST

/* __repo_info is only decoration: a failure to read it is no error. */
START_TEST(test_open_repo_info_unreadable)
{
	struct fault_store fs;
	struct store *s2;
	char err[ERRLEN] = "";
	struct repo *r;

	make_repo_info(REPO, "x");
	put_str(REPO "__ss_snap1/x", "x");
	r = fault_init(&fs, &fault_ops);
	ck_assert_str_eq(repo_create_time(r), CREATED);
	repo_close(r);

	fs.read_match = "__repo_info";
	fs.read_rc = -EIO;
	ck_assert_int_eq(repo_open(&fs.base, NULL, err, sizeof(err), &r), 0);
	ck_assert_ptr_null(repo_create_time(r));
	ck_assert_str_eq(repo_name(r), "x");
	repo_close(r);

	/* JSON, but not an object; and a store URL ending in '/'. */
	put_str(REPO "__repo_info", "[\"create_time\"]");
	s2 = open_sub(REPO);
	fault_setup(&fs, &fault_ops, s2, "fault://h/" REPO "/");
	ck_assert_int_eq(repo_open(&fs.base, NULL, err, sizeof(err), &r), 0);
	ck_assert_str_eq(repo_name(r), "x");
	ck_assert_str_eq(repo_root(r), "");
	ck_assert_ptr_null(repo_create_time(r));
	repo_close(r);
	store_close(s2);
}
END_TEST

START_TEST(test_label_list_fails)
{
	struct repo_label *l = NULL;
	struct snap_opts o = {0};
	struct fault_store fs;
	char dir[5000];
	struct snap_keys k;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ops);
	fs.list_match = "__ss_snap1/";
	fs.list_rc = -EIO;
	ck_assert_int_eq(repo_label_load(r, "__ss_snap1", &l), -EIO);
	ck_assert_ptr_null(l);
	fs.list_match = REPO "__ss_";
	ck_assert_int_eq(repo_list_labels(r, labels_cb, NULL), -EIO);

	memset(dir, 'd', sizeof(dir) - 1);
	dir[sizeof(dir) - 1] = '\0';
	memcpy(dir, "__ss_", 5);
	ck_assert_int_eq(repo_label_load(r, dir, &l), -ENAMETOOLONG);
	ck_assert_ptr_null(l);
	repo_close(r);
}
END_TEST

START_TEST(test_snapshot_read_fails)
{
	struct repo_snapshot *s = NULL;
	struct snap_opts o = {0};
	struct fault_store fs;
	struct repo_label *l;
	char *problem, *json = NULL;
	struct snap_keys k;
	struct repo *r;
	size_t len = 0;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ops);
	l = load_label(r, "__ss_snap1");

	/* The store failing is an error, not a verdict. */
	fs.read_match = "__info_";
	fs.read_rc = -EIO;
	ck_assert_int_eq(repo_snapshot_load(r, l, &l->ts[0], &s), -EIO);
	ck_assert_ptr_null(s);

	/* An info too large to read is a verdict. */
	fs.read_match = NULL;
	fs.big_match = "__info_";
	s = load_snapshot(r, l, 0);
	ck_assert_msg(starts_with(s->verdict, "INVALID: ") &&
			      strstr(s->verdict, k.info) &&
			      strstr(s->verdict, "is larger than"),
		      "%s", s->verdict);
	ck_assert(!s->ok);
	ck_assert_ptr_null(s->ji);
	repo_snapshot_free(s);

	/* meta.json: an unreadable __meta is an error, a huge one a
	 * problem. */
	fs.big_match = NULL;
	s = load_snapshot(r, l, 0);
	ck_assert_str_eq(s->verdict, "OK");
	fs.read_match = "__meta";
	ck_assert_int_eq(repo_snapshot_meta_json(r, s, &problem, &json, &len),
			 -EIO);
	ck_assert_ptr_null(json);
	fs.read_match = NULL;
	fs.big_match = "__meta";
	ck_assert_int_eq(repo_snapshot_meta_json(r, s, &problem, &json, &len),
			 0);
	ck_assert_ptr_nonnull(problem);
	ck_assert_msg(strstr(problem, "is larger than"), "%s", problem);
	ck_assert_msg(strstr(json, "\"unusable\""), "%s", json);
	free(problem);
	free(json);
	repo_snapshot_free(s);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

/* The info goes, then listing the label fails: the error says both. */
START_TEST(test_delete_list_fails)
{
	struct snap_opts o = {0};
	char err[ERRLEN] = "";
	struct fault_store fs;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ops);
	l = load_label(r, "__ss_snap1");
	fs.list_match = "__ss_snap1/";
	fs.list_rc = -EIO;
	ck_assert_int_eq(
		repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err)), -EIO);
	ck_assert_msg(starts_with(err, "deleted ") &&
			      strstr(err, "but cannot list"),
		      "%s", err);
	ck_assert(!exists(k.info));
	ck_assert(exists(k.meta));

	/* purge: the same listing fails. */
	err[0] = '\0';
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", err, sizeof(err)),
			 -EIO);
	ck_assert_msg(starts_with(err, "cannot list "), "%s", err);

	/* The first listing works, the flat one under it fails. */
	fs.list_flat_only = true;
	err[0] = '\0';
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", err, sizeof(err)),
			 -EIO);
	ck_assert_msg(starts_with(err, "cannot list "), "%s", err);
	ck_assert(exists(k.meta));
	ck_assert(exists(k.hdr));

	/* Then it works: the leftovers go. */
	fs.list_match = NULL;
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", err, sizeof(err)),
			 0);
	ck_assert_uint_eq(count_under(REPO "__ss_snap1/"), 0);
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", err, sizeof(err)),
			 -ENOENT);
	repo_label_free(l);
	repo_close(r);
}
END_TEST

START_TEST(test_purge_bad_args)
{
	char err[6000] = "", dir[5000];
	struct fault_store fs;
	struct repo *r;

	make_repo_info(REPO, "x");
	put_str(REPO "__ss_snap1/__meta.x", "m");
	r = fault_init(&fs, &fault_ops);
	ck_assert_int_eq(repo_label_purge(r, "snap1", err, sizeof(err)),
			 -EINVAL);
	ck_assert_msg(strstr(err, "not a snapshot label directory"), "%s", err);
	ck_assert_int_eq(repo_label_purge(r, "__ss_content", NULL, 0), -EINVAL);
	ck_assert_int_eq(repo_label_purge(r, "__ss_", NULL, 0), -EINVAL);
	ck_assert_int_eq(repo_label_purge(r, "__ss_a/b", NULL, 0), -EINVAL);
	memset(dir, 'd', sizeof(dir) - 1);
	dir[sizeof(dir) - 1] = '\0';
	memcpy(dir, "__ss_", 5);
	ck_assert_int_eq(repo_label_purge(r, dir, err, sizeof(err)),
			 -ENAMETOOLONG);
	ck_assert_msg(strstr(err, "key too long"), "%s", err);
	ck_assert(exists("__ss_snap1/__meta.x"));
	repo_close(r);

	r = fault_init(&fs, &fault_ro_ops);
	ck_assert_int_eq(repo_label_purge(r, "__ss_snap1", err, sizeof(err)),
			 -EROFS);
	ck_assert_msg(strstr(err, "read-only"), "%s", err);
	ck_assert(exists("__ss_snap1/__meta.x"));
	repo_close(r);
}
END_TEST

START_TEST(test_retention_errors)
{
	struct repo_plan *p = NULL;
	struct fault_store fs;
	struct repo *r;
	char *text;
	size_t n;

	repo_close(make_five());
	r = fault_init(&fs, &fault_ops);
	ck_assert_int_eq(repo_retention_plan(r, -2, -1, T_NOW, &p), -EINVAL);
	ck_assert_int_eq(repo_retention_plan(r, -1, -2, T_NOW, &p), -EINVAL);
	ck_assert_ptr_null(p);

	/* Listing the labels fails; then listing one label. */
	fs.list_match = REPO "__ss_";
	fs.list_rc = -EIO;
	fs.list_flat_only = false;
	ck_assert_int_eq(repo_retention_plan(r, 1, -1, T_NOW, &p), -EIO);
	ck_assert_ptr_null(p);
	fs.list_match = "__ss_a/";
	ck_assert_int_eq(repo_retention_plan(r, 1, -1, T_NOW, &p), -EIO);
	ck_assert_ptr_null(p);
	/* Reading an info fails. */
	fs.list_match = NULL;
	fs.read_match = "__ss_c/__info_";
	fs.read_rc = -EIO;
	ck_assert_int_eq(repo_retention_plan(r, 0, -1, T_NOW, &p), -EIO);
	ck_assert_ptr_null(p);
	fs.read_match = NULL;

	/* A label deleted between the listing and its load is skipped. */
	fs.list_match = "__ss_a/";
	fs.list_empty = true;
	text = plan_of(r, 0, -1, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_msg(strstr(text, "b/2024-04-30-02-20-30  ") &&
			      strstr(text, "c/2024-05-04-02-20-30  "),
		      "%s", text);
	free(text);
	repo_close(r);
}
END_TEST

/*
 * Two snapshots of one label with the same backup_time: the larger name
 * is the newer. An __info_ object with a bad name is no candidate.
 */
START_TEST(test_retention_ties)
{
	struct snap_opts o = {.backup_ms = T0 * 1000};
	struct snap_keys k;
	struct repo *r;
	char *text;
	size_t n;

	make_repo_info(REPO, "x");
	o.ts = "2024-05-01-02-20-30";
	make_snapshot(REPO, "a", &o, &k);
	o.ts = "2024-05-01-02-20-31";
	make_snapshot(REPO, "a", &o, &k);
	put_str(REPO "__ss_a/__info_garbage", "not a snapshot");
	put_str(REPO "__ss_a/__info_" TS ".part", "unfinished");
	r = open_mode(0);
	text = plan_of(r, 1, -1, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(text, "a/2024-05-01-02-20-30  2024-05-01T02:20:30Z  "
			       "keep_last 1: complete snapshot #2 from the "
			       "newest\n");
	free(text);
	/* Everything older than a second: both, by their info's time. */
	text = plan_of(r, -1, 1, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_msg(strstr(text, "older than 1s (age 345600s)\n"), "%s",
		      text);
	free(text);
	repo_close(r);
}
END_TEST

/* A time gmtime_r can't render is shown as @<seconds>. */
START_TEST(test_plan_text)
{
	struct repo_plan_item it = {
		.label = "a",
		.ts = TS,
		.backup_time = INT64_MAX,
		.reason = "why",
	};
	struct repo_plan p = {.items = &it, .n = 1};
	struct repo_plan empty = {0};
	char *text = NULL;
	size_t len = 99;

	ck_assert_int_eq(repo_plan_text(&p, &text, &len), 0);
	ck_assert_str_eq(text, "a/" TS "  @9223372036854775807  why\n");
	ck_assert_uint_eq(len, strlen(text));
	free(text);
	it.backup_time = 0;
	ck_assert_int_eq(repo_plan_text(&p, &text, &len), 0);
	ck_assert_str_eq(text, "a/" TS "  1970-01-01T00:00:00Z  why\n");
	free(text);
	ck_assert_int_eq(repo_plan_text(&empty, &text, &len), 0);
	ck_assert_str_eq(text, "");
	ck_assert_uint_eq(len, 0);
	free(text);
	repo_plan_free(NULL);
}
END_TEST

/* Store failures become "error:" problems; the report still comes. */
START_TEST(test_verify_store_errors)
{
	struct repo_verify_report *rep;
	struct repo_snapshot *s, big;
	struct snap_opts o = {0};
	struct fault_store fs;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char *text, want[KEYLEN * 2];

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	r = fault_init(&fs, &fault_ops);
	l = load_label(r, "__ss_snap1");
	s = load_snapshot(r, l, 0);

	/* A read fails. */
	fs.read_match = "x_0.dat";
	fs.read_rc = -EIO;
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->errors, 1);
	ck_assert_uint_eq(rep->nproblems, 1);
	snprintf(want, sizeof(want),
		 "error: " REPO "%s: read at 0: Input/output error", k.dat);
	ck_assert_str_eq(rep->problems[0], want);
	ck_assert_uint_eq(rep->objects, 4);
	ck_assert(starts_with(text, "FAILED: 1 problem\n"));
	ck_assert_msg(strstr(text, "store errors: 1\n"), "%s", text);
	free(text);
	repo_verify_report_free(rep);
	fs.read_match = NULL;

	/* Listing the tablet fails: nothing of it is checked. */
	fs.list_match = "/__10015/";
	fs.list_rc = -EIO;
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->errors, 1);
	ck_assert_uint_eq(rep->objects, 2);
	ck_assert_msg(starts_with(rep->problems[0],
				  "error: " REPO "__ss_snap1/" TABLET_DIR
				  ": list: "),
		      "%s", rep->problems[0]);
	free(text);
	repo_verify_report_free(rep);

	/* The files are read, then the listing for extras fails. */
	fs.list_skip = 1;
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->errors, 1);
	ck_assert_uint_eq(rep->objects, 4);
	ck_assert_uint_eq(rep->nproblems, 1);
	ck_assert_msg(strstr(rep->problems[0], ": list: "), "%s",
		      rep->problems[0]);
	free(text);
	repo_verify_report_free(rep);
	fs.list_match = NULL;

	/* No tablet key fits: an error per tablet, not a failed call. */
	big = long_label(s);
	rep = verify_of(r, &big, 100, 0, &text);
	ck_assert_uint_eq(rep->errors, 1);
	ck_assert_str_eq(rep->problems[0], "error: tablet 10015: key too long");
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

/*
 * A tablet with no files at all fails RESTORE, unless the backup holds
 * metadata only (_i = 1). Files the info lists are missing either way.
 */
START_TEST(test_verify_metadata_only)
{
	struct snap_opts o = {.omit_hdr = true, .omit_dat = true};
	struct repo_verify_report *rep;
	struct repo_snapshot *s;
	struct repo_label *l;
	struct snap_keys k;
	struct repo *r;
	char *text;

	o.content = _i ? "METADATA_ONLY" : "ALL";
	o.empty_list = true;
	s = snapshot_with(&o, &r, &l, &k);
	ck_assert_str_eq(s->verdict, "OK");
	ck_assert_str_eq(s->ji->content, o.content);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->missing, _i ? 0 : 1);
	ck_assert_uint_eq(rep->nproblems, _i ? 0 : 1);
	if (!_i)
		ck_assert_msg(strstr(rep->problems[0], "has no files"), "%s",
			      rep->problems[0]);
	ck_assert_uint_eq(rep->objects, 2);
	free(text);
	repo_verify_report_free(rep);
	repo_snapshot_free(s);
	repo_label_free(l);
	repo_close(r);

	/* Listed but absent: missing, METADATA_ONLY or not. */
	o.empty_list = false;
	make_snapshot(REPO, "snap2", &o, &k);
	r = open_mode(0);
	l = load_label(r, "__ss_snap2");
	s = load_snapshot(r, l, 0);
	rep = verify_of(r, s, 100, 0, &text);
	ck_assert_uint_eq(rep->missing, 2);
	ck_assert_uint_eq(rep->objects, 4);
	free(text);
	repo_verify_report_free(rep);
	snapshot_done(s, l, r);
}
END_TEST

/* ---- allocation failures ------------------------------------------------ */

/*
 * Call @step(arg, n) for n = 0, 1, ... until a run in which no allocation
 * failed. The step arms oom_arm(n) right before the call under test,
 * oom_disarm()s right after it, checks that the call either failed with
 * -ENOMEM or gave the answer it gives with memory to spare, and returns
 * oom_fired(). So every allocation the call makes fails once, in turn.
 * @return the number of runs that failed an allocation.
 */
static long oom_each(bool (*step)(void *arg, long n), void *arg)
{
	long n;

	for (n = 0; step(arg, n); n++)
		ck_assert_int_lt(n, 100000);
	return n;
}

/* The answer of a call that may have failed an allocation. */
static void oom_check(int rc, const char *got, const char *want)
{
	if (rc == 0) {
		ck_assert_str_eq(got, want);
		return;
	}
	ck_assert_msg(oom_fired(), "rc %d without an allocation failing", rc);
	ck_assert_int_eq(rc, -ENOMEM);
}

/* Append printf text to a fixed buffer. */
static void sig_add(char *sig, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sig_add(char *sig, size_t size, const char *fmt, ...)
{
	size_t used = strlen(sig);
	va_list ap;

	ck_assert_uint_lt(used, size - 1);
	va_start(ap, fmt);
	vsnprintf(sig + used, size - used, fmt, ap);
	va_end(ap);
}

#define SIGLEN 8192

static bool oom_open_step(void *arg, long n)
{
	char err[ERRLEN] = "";
	struct repo *r = NULL;
	int rc;

	oom_arm(n);
	rc = repo_open(st, NULL, err, sizeof(err), &r);
	oom_disarm();
	if (rc == 0) {
		ck_assert_str_eq(repo_name(r), "x");
		ck_assert_str_eq(repo_root(r), REPO);
		/* __repo_info is decoration: it may go missing. */
		if (!oom_fired() || repo_create_time(r))
			ck_assert_str_eq(repo_create_time(r), CREATED);
		repo_close(r);
	} else {
		oom_check(rc, NULL, NULL);
		ck_assert_ptr_null(r);
	}
	return oom_fired();
}

START_TEST(test_oom_open)
{
	repo_close(make_five());
	ck_assert_int_gt(oom_each(oom_open_step, NULL), 3);
}
END_TEST

/* Called while armed: no ck_assert here (see oom.h). */
static int sig_label_cb(const struct repo_label_ref *ref, void *arg)
{
	char *sig = arg;
	size_t used = strlen(sig);

	snprintf(sig + used, SIGLEN - used, "%s=%s;", ref->dir,
		 ref->label ? ref->label : "");
	return 0;
}

static void label_sig(const struct repo_label *l, char *sig)
{
	size_t i;

	sig[0] = '\0';
	sig_add(sig, SIGLEN, "%s %s %s %s %s %llu|", l->label, l->dir,
		l->status, l->meta_key ? l->meta_key : "-",
		l->meta_problem ? l->meta_problem : "-",
		(unsigned long long)l->meta_size);
	for (i = 0; i < l->nts; i++)
		sig_add(sig, SIGLEN, "%s %s %d %s|", l->ts[i].name,
			l->ts[i].info_key, l->ts[i].valid_name,
			l->ts[i].reason ? l->ts[i].reason : "-");
}

static void snapshot_sig(const struct repo_snapshot *s, char *sig)
{
	sig[0] = '\0';
	sig_add(sig, SIGLEN, "%s %s %s %s %d %lld %s %zu", s->label, s->ts,
		s->info_key, s->meta_key ? s->meta_key : "-", s->ok,
		(long long)s->mtime, s->verdict,
		s->ji ? jobinfo_tablet_count(s->ji) : 99);
}

/* A repository with labels of every kind test-repo builds. */
static struct repo *make_zoo(void)
{
	struct snap_opts o = {.ts = "2024-06-01-00-00-00"};
	struct snap_keys k;
	struct repo *r = make_five();

	repo_close(r);
	o.meta = META_BAD_MD5;
	make_snapshot(REPO, "badmeta", &o, &k);
	o.meta = META_NONE;
	make_snapshot(REPO, "nometa", &o, &k);
	o.meta = META_LEGACY;
	o.meta_version = 100;
	make_snapshot(REPO, "legacy", &o, &k);
	o.meta = META_JSON;
	o.meta_version = 0;
	o.info_bad_md5 = true;
	make_snapshot(REPO, "badinfo", &o, &k);
	o.info_bad_md5 = false;
	o.result = "failed";
	make_snapshot(REPO, "failed", &o, &k);
	o.result = NULL;
	o.info_name = "other";
	make_snapshot(REPO, "misnamed", &o, &k);
	put_str(REPO "__ss_a/__info_x.part", "leftover");
	put_str(REPO "__ss_a/__info_2024-13-01-00-00-00.0123", "bad md5");
	put_str(REPO "__ss_badmeta/__meta.part", "second meta");
	put_str(REPO "__ss_nometa/__meta", "no md5");
	return open_mode(0);
}

struct dirs {
	char v[16][64];
	size_t n;
};

static int dirs_cb(const struct repo_label_ref *ref, void *arg)
{
	struct dirs *d = arg;

	ck_assert_uint_lt(d->n, 16);
	snprintf(d->v[d->n++], sizeof(d->v[0]), "%s", ref->dir);
	return 0;
}

struct oom_labels {
	struct repo *r;
	struct dirs dirs;
	char want[16][SIGLEN];
	char want_list[SIGLEN];
};

static bool oom_labels_step(void *arg, long n)
{
	struct oom_labels *ol = arg;
	struct repo_label *l;
	char sig[SIGLEN];
	bool fired = false;
	size_t i;
	int rc;

	sig[0] = '\0';
	oom_arm(n);
	rc = repo_list_labels(ol->r, sig_label_cb, sig);
	oom_disarm();
	oom_check(rc, sig, ol->want_list);
	fired |= oom_fired();
	for (i = 0; i < ol->dirs.n; i++) {
		l = NULL;
		oom_arm(n);
		rc = repo_label_load(ol->r, ol->dirs.v[i], &l);
		oom_disarm();
		fired |= oom_fired();
		if (rc == 0)
			label_sig(l, sig);
		else
			ck_assert_ptr_null(l);
		oom_check(rc, sig, ol->want[i]);
		repo_label_free(l);
	}
	return fired;
}

START_TEST(test_oom_labels)
{
	static struct oom_labels ol;
	struct repo_label *l;
	size_t i;

	ol.r = make_zoo();
	ck_assert_int_eq(repo_list_labels(ol.r, dirs_cb, &ol.dirs), 0);
	ck_assert_uint_eq(ol.dirs.n, 10);
	ck_assert_int_eq(repo_list_labels(ol.r, sig_label_cb, ol.want_list), 0);
	for (i = 0; i < ol.dirs.n; i++) {
		l = load_label(ol.r, ol.dirs.v[i]);
		label_sig(l, ol.want[i]);
		repo_label_free(l);
	}
	ck_assert_int_gt(oom_each(oom_labels_step, &ol), 10);
	repo_close(ol.r);
}
END_TEST

/* Every snapshot of the zoo: loaded, and its meta.json. */
struct oom_snaps {
	struct repo *r;
	struct repo_label *l[16];
	size_t nl;
	char want[16][SIGLEN];
	char *want_json[16];
	char *want_problem[16];
};

static bool oom_snaps_step(void *arg, long n)
{
	struct oom_snaps *os = arg;
	struct repo_snapshot *s;
	char sig[SIGLEN], *problem, *json;
	bool fired = false;
	size_t i, len;
	int rc;

	for (i = 0; i < os->nl; i++) {
		if (os->l[i]->nts == 0)
			continue;
		s = NULL;
		oom_arm(n);
		rc = repo_snapshot_load(os->r, os->l[i], &os->l[i]->ts[0], &s);
		oom_disarm();
		fired |= oom_fired();
		if (rc == 0)
			snapshot_sig(s, sig);
		else
			ck_assert_ptr_null(s);
		oom_check(rc, sig, os->want[i]);
		if (!s)
			continue;
		problem = json = NULL;
		oom_arm(n);
		rc = repo_snapshot_meta_json(os->r, s, &problem, &json, &len);
		oom_disarm();
		fired |= oom_fired();
		oom_check(rc, json, os->want_json[i]);
		if (rc == 0) {
			ck_assert_uint_eq(len, strlen(json));
			oom_check(rc, problem ? problem : "-",
				  os->want_problem[i]);
		}
		free(problem);
		free(json);
		repo_snapshot_free(s);
	}
	return fired;
}

START_TEST(test_oom_snapshots)
{
	static struct oom_snaps os;
	struct repo_snapshot *s;
	struct dirs d = {0};
	char *problem;
	size_t i, len;

	os.r = make_zoo();
	ck_assert_int_eq(repo_list_labels(os.r, dirs_cb, &d), 0);
	for (i = 0; i < d.n; i++) {
		os.l[i] = load_label(os.r, d.v[i]);
		if (os.l[i]->nts == 0)
			continue;
		s = load_snapshot(os.r, os.l[i], 0);
		snapshot_sig(s, os.want[i]);
		ck_assert_int_eq(repo_snapshot_meta_json(os.r, s, &problem,
							 &os.want_json[i],
							 &len),
				 0);
		os.want_problem[i] = problem ? problem : strdup("-");
		repo_snapshot_free(s);
	}
	os.nl = d.n;
	ck_assert_int_gt(oom_each(oom_snaps_step, &os), 10);
	for (i = 0; i < os.nl; i++) {
		free(os.want_json[i]);
		free(os.want_problem[i]);
		repo_label_free(os.l[i]);
	}
	repo_close(os.r);
}
END_TEST

static void files_sig(const struct repo_file *f, size_t n, char *sig)
{
	size_t i;

	sig[0] = '\0';
	for (i = 0; i < n; i++)
		sig_add(sig, SIGLEN, "%s %s %s %llu %d|", f[i].name, f[i].md5,
			f[i].key, (unsigned long long)f[i].size, f[i].present);
}

struct oom_tablet {
	struct repo *r;
	struct repo_snapshot *s;
	char want[SIGLEN];
};

static bool oom_tablet_step(void *arg, long n)
{
	struct oom_tablet *ot = arg;
	const struct jobinfo_table *tbl = &ot->s->ji->tables[0];
	const struct jobinfo_index *idx = &tbl->partitions[0].indexes[0];
	struct repo_listing *lst = NULL;
	struct repo_file *files = NULL;
	char sig[SIGLEN] = "";
	bool fired;
	size_t nf = 0;
	int rc;

	oom_arm(n);
	rc = repo_tablet_files(ot->r, ot->s, tbl, idx, &idx->tablets[0], &files,
			       &nf);
	oom_disarm();
	fired = oom_fired();
	if (rc == 0)
		files_sig(files, nf, sig);
	oom_check(rc, sig, ot->want);
	repo_files_free(files, nf);

	files = NULL;
	nf = 0;
	oom_arm(n);
	rc = repo_listing_load(ot->r, ot->s, &lst);
	if (rc == 0)
		rc = repo_tablet_files_in(ot->r, ot->s, lst, tbl, idx,
					  &idx->tablets[0], &files, &nf);
	oom_disarm();
	fired |= oom_fired();
	if (rc == 0)
		files_sig(files, nf, sig);
	oom_check(rc, sig, ot->want);
	repo_files_free(files, nf);
	repo_listing_free(lst);
	return fired;
}

START_TEST(test_oom_tablet)
{
	static struct oom_tablet ot;
	struct snap_opts o = {.omit_dat = true};
	const struct jobinfo_index *idx;
	struct repo_file *files;
	struct repo_label *l;
	char dir[KEYLEN], key[KEYLEN];
	struct snap_keys k;
	size_t nf;

	make_repo_info(REPO, "x");
	make_snapshot(REPO, "snap1", &o, &k);
	snprintf(dir, sizeof(dir), REPO "__ss_snap1/" TABLET_DIR);
	put_named(dir, "extra.dat", "e", 1, NULL, key);
	put_named(dir, "x_0.dat", "other", 5, NULL, key);
	ot.r = open_mode(0);
	l = load_label(ot.r, "__ss_snap1");
	ot.s = load_snapshot(ot.r, l, 0);
	idx = &ot.s->ji->tables[0].partitions[0].indexes[0];
	ck_assert_int_eq(repo_tablet_files(ot.r, ot.s, &ot.s->ji->tables[0],
					   idx, &idx->tablets[0], &files, &nf),
			 0);
	ck_assert_uint_eq(nf, 3);
	files_sig(files, nf, ot.want);
	repo_files_free(files, nf);
	ck_assert_int_gt(oom_each(oom_tablet_step, &ot), 5);
	snapshot_done(ot.s, l, ot.r);
}
END_TEST

struct oom_plan {
	struct repo *r;
	char *want[3];
};

static const struct {
	int keep_last;
	long long older_than_s;
} oom_policies[3] = {{1, -1}, {-1, 2 * DAY}, {0, 0}};

static bool oom_plan_step(void *arg, long n)
{
	struct oom_plan *op = arg;
	struct repo_plan *p;
	char *text;
	bool fired = false;
	size_t i, len;
	int rc;

	for (i = 0; i < 3; i++) {
		p = NULL;
		text = NULL;
		oom_arm(n);
		rc = repo_retention_plan(op->r, oom_policies[i].keep_last,
					 oom_policies[i].older_than_s, T_NOW,
					 &p);
		if (rc == 0)
			rc = repo_plan_text(p, &text, &len);
		else
			ck_assert_ptr_null(p);
		oom_disarm();
		fired |= oom_fired();
		oom_check(rc, text, op->want[i]);
		free(text);
		repo_plan_free(p);
	}
	return fired;
}

START_TEST(test_oom_retention)
{
	static struct oom_plan op;
	size_t i, n;

	op.r = make_zoo();
	for (i = 0; i < 3; i++)
		op.want[i] = plan_of(op.r, oom_policies[i].keep_last,
				     oom_policies[i].older_than_s, &n);
	ck_assert_uint_gt(strlen(op.want[2]), 100);
	ck_assert_int_gt(oom_each(oom_plan_step, &op), 10);
	for (i = 0; i < 3; i++)
		free(op.want[i]);
	repo_close(op.r);
}
END_TEST

struct oom_verify {
	struct repo *r;
	struct repo_snapshot *s[2];
	char *want[2];
};

static bool oom_verify_step(void *arg, long n)
{
	struct oom_verify *ov = arg;
	struct repo_verify_report *rep;
	char *text;
	bool fired = false;
	size_t i, len;
	int rc;

	for (i = 0; i < 2; i++) {
		rep = NULL;
		text = NULL;
		oom_arm(n);
		rc = repo_snapshot_verify(ov->r, ov->s[i], i ? 50 : 100, 1,
					  &rep);
		if (rc == 0)
			rc = repo_verify_text(rep, &text, &len);
		else
			ck_assert_ptr_null(rep);
		oom_disarm();
		fired |= oom_fired();
		oom_check(rc, text, ov->want[i]);
		free(text);
		repo_verify_report_free(rep);
	}
	return fired;
}

/* A snapshot with one of each problem, and a sampled one. */
START_TEST(test_oom_verify)
{
	static struct oom_verify ov;
	struct snap_opts o = {.omit_hdr = true};
	struct repo_verify_report *rep;
	struct repo_label *l[2];
	char dir[KEYLEN], key[KEYLEN];
	struct snap_keys k;

	ov.s[1] = make_multi(true, false, &ov.r, &l[1]);
	make_snapshot(REPO, "snap1", &o, &k);
	snprintf(dir, sizeof(dir), REPO "__ss_snap1/" TABLET_DIR);
	put_named(dir, "extra.dat", "e", 1, NULL, key);
	replace(k.dat, "flipped", 7);
	l[0] = load_label(ov.r, "__ss_snap1");
	ov.s[0] = load_snapshot(ov.r, l[0], 0);
	rep = verify_of(ov.r, ov.s[0], 100, 1, &ov.want[0]);
	ck_assert_uint_eq(rep->missing, 1);
	ck_assert_uint_eq(rep->extra, 1);
	ck_assert_uint_eq(rep->md5_mismatches, 1);
	ck_assert_uint_eq(rep->nproblems, 3);
	repo_verify_report_free(rep);
	rep = verify_of(ov.r, ov.s[1], 50, 1, &ov.want[1]);
	ck_assert_uint_gt(rep->md5_mismatches, 0);
	repo_verify_report_free(rep);
	ck_assert_int_gt(oom_each(oom_verify_step, &ov), 10);
	free(ov.want[0]);
	free(ov.want[1]);
	repo_snapshot_free(ov.s[0]);
	repo_label_free(l[0]);
	snapshot_done(ov.s[1], l[1], ov.r);
}
END_TEST

/*
 * Deleting with allocation n failing, each run on a label of its own:
 * -ENOMEM leaves either the snapshot whole, or its info gone and the rest
 * for repo_label_purge(), as the contract says.
 */
static bool oom_delete_step(void *arg, long n)
{
	struct repo *r = arg;
	struct snap_opts o = {0};
	struct repo_label *l;
	char label[32], dir[64], prefix[KEYLEN], err[ERRLEN];
	struct snap_keys k;
	size_t before;
	int rc;

	snprintf(label, sizeof(label), "d%ld", n);
	snprintf(dir, sizeof(dir), "__ss_%s", label);
	snprintf(prefix, sizeof(prefix), REPO "%s/", dir);
	make_snapshot(REPO, label, &o, &k);
	put_str(REPO "__ss_keep/x", "another label");
	before = count_under(prefix);
	l = load_label(r, dir);
	oom_arm(n);
	rc = repo_snapshot_delete(r, l, &l->ts[0], err, sizeof(err));
	oom_disarm();
	repo_label_free(l);
	if (rc == 0) {
		ck_assert_uint_eq(count_under(prefix), 0);
	} else {
		oom_check(rc, NULL, NULL);
		if (exists(k.info)) {
			ck_assert_uint_eq(count_under(prefix), before);
		} else {
			rc = repo_label_purge(r, dir, err, sizeof(err));
			ck_assert_msg(rc == 0 || rc == -ENOENT, "%d %s", rc,
				      err);
			ck_assert_uint_eq(count_under(prefix), 0);
		}
	}
	ck_assert(exists("__ss_keep/x"));
	return oom_fired();
}

/* The same for purging a label's leftovers. */
static bool oom_purge_step(void *arg, long n)
{
	struct repo *r = arg;
	char dir[64], prefix[KEYLEN], key[KEYLEN * 2], err[ERRLEN];
	int rc;

	snprintf(dir, sizeof(dir), "__ss_p%ld", n);
	snprintf(prefix, sizeof(prefix), REPO "%s/", dir);
	snprintf(key, sizeof(key), "%s__meta.%032d", prefix, 0);
	put_str(key, "m");
	snprintf(key, sizeof(key), "%s" TABLET_DIR "a.dat.%032d", prefix, 0);
	put_str(key, "a");
	oom_arm(n);
	rc = repo_label_purge(r, dir, err, sizeof(err));
	oom_disarm();
	if (rc < 0) {
		oom_check(rc, NULL, NULL);
		rc = repo_label_purge(r, dir, err, sizeof(err));
		ck_assert_msg(rc == 0 || rc == -ENOENT, "%d %s", rc, err);
	}
	ck_assert_uint_eq(count_under(prefix), 0);
	return oom_fired();
}

START_TEST(test_oom_delete)
{
	struct repo *r;

	make_repo_info(REPO, "x");
	r = open_mode(0);
	ck_assert_int_gt(oom_each(oom_delete_step, r), 5);
	ck_assert_int_gt(oom_each(oom_purge_step, r), 3);
	repo_close(r);
}
END_TEST

static Suite *repo_suite(void)
{
	Suite *s = suite_create("repo");
	TCase *tc = tcase_create("open");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_doris);
	tcase_add_test(tc, test_open_starrocks);
	tcase_add_test(tc, test_open_at_repo_dir);
	tcase_add_test(tc, test_open_several);
	tcase_add_test(tc, test_open_same_name);
	tcase_add_test(tc, test_open_name_missing);
	tcase_add_test(tc, test_open_empty);
	tcase_add_test(tc, test_open_bad_repo_info);
	suite_add_tcase(s, tc);

	/* Loop tests run with _i = 0 (root REPO) and 1 (root ""). */
	tc = tcase_create("labels");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_list_labels, 0, 2);
	tcase_add_test(tc, test_list_labels_none);
	tcase_add_test(tc, test_ts_valid);
	tcase_add_loop_test(tc, test_label_good, 0, 2);
	tcase_add_test(tc, test_label_no_info);
	tcase_add_test(tc, test_label_bad_names);
	tcase_add_test(tc, test_label_only_bad_names);
	tcase_add_test(tc, test_label_two_meta);
	tcase_add_test(tc, test_label_meta_no_md5);
	tcase_add_loop_test(tc, test_label_missing, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("snapshot");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_snapshot_ok, 0, 2);
	tcase_add_test(tc, test_snapshot_bad_md5);
	tcase_add_test(tc, test_snapshot_bad_json);
	tcase_add_test(tc, test_snapshot_failed);
	tcase_add_test(tc, test_snapshot_misnamed);
	tcase_add_test(tc, test_snapshot_no_meta);
	tcase_add_test(tc, test_snapshot_starrocks);
	tcase_add_test(tc, test_snapshot_bad_name);
	tcase_add_test(tc, test_snapshot_vanished);
	suite_add_tcase(s, tc);

	tc = tcase_create("meta");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_meta_json);
	tcase_add_test(tc, test_meta_legacy);
	tcase_add_test(tc, test_meta_bad_md5);
	tcase_add_test(tc, test_meta_bad_json);
	tcase_add_test(tc, test_meta_none);
	tcase_add_test(tc, test_meta_vanished);
	suite_add_tcase(s, tc);

	tc = tcase_create("tablet");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_tablet_files, 0, 2);
	tcase_add_test(tc, test_tablet_files_absent);
	suite_add_tcase(s, tc);

	tc = tcase_create("delete");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_delete_one, 0, 2);
	tcase_add_loop_test(tc, test_delete_two_ts, 0, 2);
	tcase_add_test(tc, test_delete_info_first);
	tcase_add_test(tc, test_delete_info_fails);
	tcase_add_test(tc, test_delete_read_only);
	tcase_add_test(tc, test_delete_bad_args);
	tcase_add_test(tc, test_delete_part_leftover);
	suite_add_tcase(s, tc);

	tc = tcase_create("retention");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_retention_keep_last);
	tcase_add_test(tc, test_retention_older_than);
	tcase_add_test(tc, test_retention_both);
	tcase_add_test(tc, test_retention_broken_newest);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_verify_ok);
	tcase_add_test(tc, test_verify_flipped_byte);
	tcase_add_test(tc, test_verify_missing);
	tcase_add_test(tc, test_verify_truncated);
	tcase_add_test(tc, test_verify_extra);
	tcase_add_test(tc, test_verify_invalid);
	tcase_add_test(tc, test_verify_sample);
	tcase_add_test(tc, test_verify_listed_only);
	tcase_add_test(tc, test_verify_store_errors);
	tcase_add_loop_test(tc, test_verify_metadata_only, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("listing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_listing, 0, 2);
	tcase_add_test(tc, test_listing_errors);
	suite_add_tcase(s, tc);

	/* The store failing, through the fault store. */
	tc = tcase_create("store errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_list_fails);
	tcase_add_test(tc, test_open_repo_info_unreadable);
	tcase_add_test(tc, test_label_list_fails);
	tcase_add_test(tc, test_snapshot_read_fails);
	tcase_add_test(tc, test_delete_list_fails);
	tcase_add_test(tc, test_purge_bad_args);
	tcase_add_test(tc, test_retention_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("retention text");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_retention_ties);
	tcase_add_test(tc, test_plan_text);
	suite_add_tcase(s, tc);

	/* Every allocation failing in turn (oom.h). */
	tc = tcase_create("oom");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_oom_open);
	tcase_add_test(tc, test_oom_labels);
	tcase_add_test(tc, test_oom_snapshots);
	tcase_add_test(tc, test_oom_tablet);
	tcase_add_test(tc, test_oom_retention);
	tcase_add_test(tc, test_oom_verify);
	tcase_add_test(tc, test_oom_delete);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(repo_suite)
