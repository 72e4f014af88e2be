/* SPDX-License-Identifier: MIT */
/*
 * test-jobinfo.c - the job-info parser on Doris and StarRocks documents and
 * on hostile input: truncation, wrong types, out-of-range ids, unsafe
 * names, duplicate keys, bad file names, bad tablets_order.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base.h"
#include "repo/jobinfo.h"
#include "unit.h"

#include "base/banned.h"

#define ERRLEN 512
#define M1     "1833ecb7c31c0cd099cc28da30d389f0"
#define M2     "a102397f803a5f18c8582ba673b0239a"
#define M3     "00112233445566778899aabbccddeeff"
#define SEG    "0200000000000003b0400c3870adc1c7d4e9f04c07630c99"

/* Documents are written with ' for " and converted by jq(). */

/* The Doris example of doris-repository-format.md section 2.1. */
static const char doris_doc[] =
	"{'name':'snap1','database':'db1','id':10004,"
	"'backup_time':1714530030000,"
	"'content':'ALL',"
	"'backup_objects':{'t1':{'id':10013,'partitions':{'t1':{'id':10012,"
	"'version':3,"
	"'indexes':{'t1':{'id':10014,'schema_hash':791565523,"
	"'tablets':{'10015':['" SEG "_0.dat." M2 "',"
	"'10015.hdr." M1 "']},"
	"'tablets_order':[10015]}}}}}},"
	"'new_backup_objects':{'views':[{'id':10020,'name':'v1'}],"
	"'odbc_tables':[],'odbc_resources':[]},"
	"'backup_result':'succeed','meta_version':140,"
	"'major_version':3,'minor_version':0,'patch_version':3,"
	"'tablet_be_map':{'10015':10001},"
	"'tablet_snapshot_path_map':{'10015':"
	"'/data/be/storage/snapshot/20240501102030.7.86400'},"
	"'table_commit_seq_map':{'10013':2576}}";

/*
 * Doris, several tables, partitions, a rollup; JSON order differs from
 * name order, one tablets_order is not numeric, one index has none and
 * ids whose string order differs from their numeric order.
 */
static const char doris_multi[] =
	"{'name':'snap2','database':'shop','id':10004,"
	"'backup_time':1714530030000,'content':'METADATA_ONLY',"
	"'backup_objects':{"
	"'sales':{'id':10100,'partitions':{"
	"'p2024':{'id':10110,'version':5,'indexes':{"
	"'sales':{'id':10120,'schema_hash':1,"
	"'tablets':{'10130':[],'10131':[],'10132':[]},"
	"'tablets_order':[10132,10130,10131]},"
	"'r1':{'id':10121,'schema_hash':2,"
	"'tablets':{'100':[],'9':[],'10':[]}}}},"
	"'p2023':{'id':10111,'version':4,'indexes':{"
	"'sales':{'id':10120,'schema_hash':1,"
	"'tablets':{'10140':[]},'tablets_order':[]}}}}},"
	"'a_tbl':{'id':10200,'partitions':{'a_tbl':{'id':10210,'version':2,"
	"'indexes':{'a_tbl':{'id':10220,'schema_hash':-7,"
	"'tablets':{'10230':['10230.hdr." M1 "']}}}}}}},"
	"'meta_version':136}";

/*
 * StarRocks, as its FE writes it: string tablets_order, version_hash,
 * autoIncrementId, empty "indexes" next to subPartitions, a view without
 * partitions, backup_result and both meta versions, no content.
 */
static const char sr_doc[] =
	"{'name':'sr_snap','database':'srdb','id':20001,"
	"'backup_time':1714530030123,"
	"'backup_objects':{"
	"'v1':{'id':20099,'partitions':{}},"
	"'orders':{'id':20010,'autoIncrementId':5,'partitions':{"
	"'p1':{'id':20011,'version':7,'version_hash':0,'indexes':{},"
	"'subPartitions':{"
	"'20031':{'id':20031,'version':4,'indexes':{'orders':{'id':20012,"
	"'schema_hash':-12345,"
	"'tablets':{'20041':['20041.hdr." M1 "','x_0.dat." M2 "'],"
	"'20040':['20040.hdr." M1 "']},"
	"'tablets_order':['20041','20040']}}},"
	"'20011':{'id':20011,'version':7,'indexes':{'orders':{'id':20012,"
	"'schema_hash':-12345,"
	"'tablets':{'20021':[],'20020':[]},"
	"'tablets_order':['20020','20021']}}}}},"
	"'p2':{'id':20050,'version':2,'version_hash':0,'indexes':{"
	"'orders':{'id':20012,'schema_hash':-12345,"
	"'tablets':{'20060':[],'20061':[]},"
	"'tablets_order':['20061','20060']}},'subPartitions':{}}}}},"
	"'meta_version':92,'starrocks_meta_version':1,"
	"'backup_result':'succeed'}";

/* Smallest valid document; the path of its only file is the one the
 * error-message example of the contract uses. */
static const char min_doc[] =
	"{'name':'snap1','database':'db1','id':10004,"
	"'backup_time':1714530030000,"
	"'backup_objects':{'t1':{'id':10013,'partitions':{'p1':{'id':10012,"
	"'version':3,'indexes':{'t1':{'id':10014,'schema_hash':791565523,"
	"'tablets':{'10015':['10015.hdr." M1 "']}}}}}}}}";

#define IDX_PATH "backup_objects.t1.partitions.p1.indexes.t1"

static char *jq(const char *s)
{
	char *d = strdup(s), *p;

	ck_assert_ptr_nonnull(d);
	for (p = d; *p; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return d;
}

/* Parse from a heap copy with no NUL after it, so an over-read shows. */
static int parse_len(const char *buf, size_t len, char *err,
		     struct jobinfo **out)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, len);
	rc = jobinfo_parse(copy, len, err, err ? ERRLEN : 0, out);
	free(copy);
	return rc;
}

static int parse_json(const char *json, char *err, struct jobinfo **out)
{
	return parse_len(json, strlen(json), err, out);
}

/* A parse that must fail with -EINVAL and a message starting @prefix. */
static void expect_einval(const char *json, const char *prefix)
{
	struct jobinfo *sentinel = (struct jobinfo *)&sentinel, *ji = sentinel;
	char err[ERRLEN] = "";
	int rc;

	rc = parse_json(json, err, &ji);
	ck_assert_msg(rc == -EINVAL, "rc %d for %s", rc, json);
	ck_assert_ptr_eq(ji, sentinel);
	ck_assert_msg(err[0] != '\0', "no message for %s", json);
	if (prefix)
		ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
			      "message \"%s\" does not start with \"%s\"", err,
			      prefix);
}

static void expect_einval_q(const char *q, const char *prefix)
{
	char *json = jq(q);

	expect_einval(json, prefix);
	free(json);
}

static struct jobinfo *expect_ok(const char *json)
{
	struct jobinfo *ji = NULL;
	char err[ERRLEN] = "";
	int rc;

	rc = parse_json(json, err, &ji);
	ck_assert_msg(rc == 0, "rc %d (%s) for %s", rc, err, json);
	ck_assert_ptr_nonnull(ji);
	return ji;
}

static struct jobinfo *expect_ok_q(const char *q)
{
	char *json = jq(q);
	struct jobinfo *ji = expect_ok(json);

	free(json);
	return ji;
}

/* min_doc with the body of index t1 replaced (jq-style quotes). */
static char *doc_index(const char *body)
{
	char *s = NULL, *q;

	ck_assert_int_ge(
		asprintf(
			&s,
			"{'name':'snap1','database':'db1','id':10004,"
			"'backup_time':1714530030000,'backup_objects':{'t1':{"
			"'id':10013,'partitions':{'p1':{'id':10012,'version':3,"
			"'indexes':{'t1':{'id':10014,'schema_hash':791565523,"
			"%s}}}}}}}",
			body),
		0);
	q = jq(s);
	free(s);
	return q;
}

/* min_doc with the names replaced; each is raw JSON string content. */
static char *doc_names(const char *label, const char *db, const char *tbl,
		       const char *part, const char *idx)
{
	char *s = NULL;

	ck_assert_int_ge(
		asprintf(&s,
			 "{\"name\":\"%s\",\"database\":\"%s\",\"id\":1,"
			 "\"backup_time\":1,\"backup_objects\":{\"%s\":{"
			 "\"id\":2,\"partitions\":{\"%s\":{\"id\":3,"
			 "\"indexes\":{\"%s\":{\"id\":4,\"schema_hash\":5,"
			 "\"tablets\":{\"6\":[]}}}}}}}}",
			 label, db, tbl, part, idx),
		0);
	return s;
}

/* Load @q, set the key at @path (NULL-terminated) to @val, or delete it
 * when @val is NULL, and return the compact JSON text; free() it. */
static char *mutate(const char *q, const char *const *path, json_t *val)
{
	char *json = jq(q), *text;
	json_t *root, *obj;
	size_t i;

	root = json_loads(json, 0, NULL);
	free(json);
	ck_assert_ptr_nonnull(root);
	obj = root;
	for (i = 0; path[i + 1]; i++) {
		obj = json_object_get(obj, path[i]);
		ck_assert_ptr_nonnull(obj);
	}
	if (val)
		ck_assert_int_eq(json_object_set_new(obj, path[i], val), 0);
	else
		json_object_del(obj, path[i]); /* may be absent already */
	text = json_dumps(root, JSON_COMPACT);
	ck_assert_ptr_nonnull(text);
	json_decref(root);
	return text;
}

static const struct jobinfo_index *find_index(const struct jobinfo *ji,
					      size_t t, size_t p, size_t i)
{
	ck_assert_uint_gt(ji->ntables, t);
	ck_assert_uint_gt(ji->tables[t].npartitions, p);
	ck_assert_uint_gt(ji->tables[t].partitions[p].nindexes, i);
	return &ji->tables[t].partitions[p].indexes[i];
}

START_TEST(test_doris_example)
{
	const struct jobinfo_partition *p;
	const struct jobinfo_index *ix;
	const struct jobinfo_tablet *tb;
	struct jobinfo *ji;

	ji = expect_ok_q(doris_doc);
	ck_assert_str_eq(ji->name, "snap1");
	ck_assert_str_eq(ji->database, "db1");
	ck_assert_int_eq(ji->db_id, 10004);
	ck_assert_int_eq(ji->backup_time_ms, 1714530030000LL);
	ck_assert_str_eq(ji->content, "ALL");
	ck_assert_str_eq(ji->backup_result, "succeed");
	ck_assert_int_eq(ji->meta_version, 140);
	ck_assert_int_eq(ji->sr_meta_version, -1);
	ck_assert_uint_eq(ji->nviews, 1);
	ck_assert_str_eq(ji->views[0], "v1");

	ck_assert_uint_eq(ji->ntables, 1);
	ck_assert_str_eq(ji->tables[0].name, "t1");
	ck_assert_int_eq(ji->tables[0].id, 10013);
	ck_assert_uint_eq(ji->tables[0].npartitions, 1);
	p = &ji->tables[0].partitions[0];
	ck_assert_str_eq(p->name, "t1");
	ck_assert_int_eq(p->id, 10012);
	ck_assert_int_eq(p->version, 3);
	ck_assert_uint_eq(p->nindexes, 1);
	ix = &p->indexes[0];
	ck_assert_str_eq(ix->name, "t1");
	ck_assert_int_eq(ix->id, 10014);
	ck_assert_int_eq(ix->schema_hash, 791565523);
	ck_assert_uint_eq(ix->ntablets, 1);
	tb = &ix->tablets[0];
	ck_assert_int_eq(tb->id, 10015);
	ck_assert_int_eq(tb->part_id, 10012);
	ck_assert_uint_eq(tb->nfiles, 2);
	/* strcmp order: '0' < '1'. */
	ck_assert_str_eq(tb->files[0], SEG "_0.dat." M2);
	ck_assert_str_eq(tb->files[1], "10015.hdr." M1);
	ck_assert_uint_eq(jobinfo_tablet_count(ji), 1);
	jobinfo_free(ji);
}
END_TEST

START_TEST(test_doris_multi_order)
{
	const struct jobinfo_index *ix;
	struct jobinfo *ji;

	ji = expect_ok_q(doris_multi);
	ck_assert_str_eq(ji->content, "METADATA_ONLY");
	ck_assert_int_eq(ji->meta_version, 136);
	ck_assert_uint_eq(ji->nviews, 0);
	ck_assert_ptr_null(ji->views);

	/* Tables, partitions and indexes come back sorted by name. */
	ck_assert_uint_eq(ji->ntables, 2);
	ck_assert_str_eq(ji->tables[0].name, "a_tbl");
	ck_assert_str_eq(ji->tables[1].name, "sales");
	ck_assert_uint_eq(ji->tables[1].npartitions, 2);
	ck_assert_str_eq(ji->tables[1].partitions[0].name, "p2023");
	ck_assert_str_eq(ji->tables[1].partitions[1].name, "p2024");
	ck_assert_int_eq(ji->tables[1].partitions[1].version, 5);
	ck_assert_uint_eq(ji->tables[1].partitions[1].nindexes, 2);

	/* No tablets_order: numeric, not string, order. */
	ix = find_index(ji, 1, 1, 0);
	ck_assert_str_eq(ix->name, "r1");
	ck_assert_int_eq(ix->schema_hash, 2);
	ck_assert_uint_eq(ix->ntablets, 3);
	ck_assert_int_eq(ix->tablets[0].id, 9);
	ck_assert_int_eq(ix->tablets[1].id, 10);
	ck_assert_int_eq(ix->tablets[2].id, 100);
	ck_assert_uint_eq(ix->tablets[0].nfiles, 0);

	/* tablets_order is the bucket order. */
	ix = find_index(ji, 1, 1, 1);
	ck_assert_str_eq(ix->name, "sales");
	ck_assert_uint_eq(ix->ntablets, 3);
	ck_assert_int_eq(ix->tablets[0].id, 10132);
	ck_assert_int_eq(ix->tablets[1].id, 10130);
	ck_assert_int_eq(ix->tablets[2].id, 10131);
	ck_assert_int_eq(ix->tablets[2].part_id, 10110);

	/* An empty tablets_order means numeric order. */
	ix = find_index(ji, 1, 0, 0);
	ck_assert_uint_eq(ix->ntablets, 1);
	ck_assert_int_eq(ix->tablets[0].part_id, 10111);

	ix = find_index(ji, 0, 0, 0);
	ck_assert_int_eq(ix->schema_hash, -7);
	ck_assert_uint_eq(jobinfo_tablet_count(ji), 8);
	jobinfo_free(ji);
}
END_TEST

START_TEST(test_starrocks)
{
	const struct jobinfo_partition *p;
	const struct jobinfo_index *ix;
	struct jobinfo *ji;

	ji = expect_ok_q(sr_doc);
	ck_assert_str_eq(ji->name, "sr_snap");
	ck_assert_str_eq(ji->database, "srdb");
	ck_assert_int_eq(ji->db_id, 20001);
	ck_assert_int_eq(ji->backup_time_ms, 1714530030123LL);
	ck_assert_str_eq(ji->content, "ALL");
	ck_assert_str_eq(ji->backup_result, "succeed");
	ck_assert_int_eq(ji->meta_version, 92);
	ck_assert_int_eq(ji->sr_meta_version, 1);

	ck_assert_uint_eq(ji->ntables, 2);
	ck_assert_str_eq(ji->tables[0].name, "orders");
	ck_assert_str_eq(ji->tables[1].name, "v1");
	ck_assert_int_eq(ji->tables[1].id, 20099);
	ck_assert_uint_eq(ji->tables[1].npartitions, 0);

	p = &ji->tables[0].partitions[0];
	ck_assert_str_eq(p->name, "p1");
	ck_assert_int_eq(p->id, 20011);
	ck_assert_int_eq(p->version, 7);
	ck_assert_uint_eq(p->nindexes, 1);
	ix = &p->indexes[0];
	ck_assert_str_eq(ix->name, "orders");
	ck_assert_int_eq(ix->id, 20012);
	ck_assert_int_eq(ix->schema_hash, -12345);
	/* Physical partitions in id order, each in its tablets_order. */
	ck_assert_uint_eq(ix->ntablets, 4);
	ck_assert_int_eq(ix->tablets[0].id, 20020);
	ck_assert_int_eq(ix->tablets[0].part_id, 20011);
	ck_assert_int_eq(ix->tablets[1].id, 20021);
	ck_assert_int_eq(ix->tablets[1].part_id, 20011);
	ck_assert_int_eq(ix->tablets[2].id, 20041);
	ck_assert_int_eq(ix->tablets[2].part_id, 20031);
	ck_assert_uint_eq(ix->tablets[2].nfiles, 2);
	ck_assert_str_eq(ix->tablets[2].files[0], "20041.hdr." M1);
	ck_assert_str_eq(ix->tablets[2].files[1], "x_0.dat." M2);
	ck_assert_int_eq(ix->tablets[3].id, 20040);
	ck_assert_int_eq(ix->tablets[3].part_id, 20031);

	p = &ji->tables[0].partitions[1];
	ck_assert_str_eq(p->name, "p2");
	ck_assert_uint_eq(p->nindexes, 1);
	ix = &p->indexes[0];
	ck_assert_uint_eq(ix->ntablets, 2);
	ck_assert_int_eq(ix->tablets[0].id, 20061);
	ck_assert_int_eq(ix->tablets[0].part_id, 20050);
	ck_assert_int_eq(ix->tablets[1].id, 20060);
	ck_assert_uint_eq(jobinfo_tablet_count(ji), 6);
	jobinfo_free(ji);
}
END_TEST

/* Sub-partition tablets join the partition's index of the same name, and
 * a name only a sub-partition has becomes a new index. */
START_TEST(test_starrocks_merge)
{
	const struct jobinfo_partition *p;
	struct jobinfo *ji;

	ji = expect_ok_q(
		"{'name':'s','database':'d','id':1,'backup_time':1,"
		"'backup_result':'succeed','backup_objects':{'t':{'id':2,"
		"'partitions':{'p':{'id':3,'version':1,"
		"'indexes':{'t':{'id':4,'schema_hash':5,'tablets':{'30':[]}}},"
		"'subPartitions':{"
		"'7':{'id':7,'version':1,'indexes':{"
		"'t':{'id':4,'schema_hash':5,'tablets':{'20':[],'21':[]},"
		"'tablets_order':['21','20']},"
		"'mv':{'id':8,'schema_hash':9,'tablets':{'40':[]}}}},"
		"'6':{'id':6,'indexes':{'t':{'id':4,'schema_hash':5,"
		"'tablets':{'10':[]}}}}}}}}}}");
	p = &ji->tables[0].partitions[0];
	ck_assert_uint_eq(p->nindexes, 2);
	ck_assert_str_eq(p->indexes[0].name, "mv");
	ck_assert_int_eq(p->indexes[0].id, 8);
	ck_assert_uint_eq(p->indexes[0].ntablets, 1);
	ck_assert_int_eq(p->indexes[0].tablets[0].part_id, 7);
	ck_assert_str_eq(p->indexes[1].name, "t");
	ck_assert_uint_eq(p->indexes[1].ntablets, 4);
	ck_assert_int_eq(p->indexes[1].tablets[0].id, 30);
	ck_assert_int_eq(p->indexes[1].tablets[0].part_id, 3);
	ck_assert_int_eq(p->indexes[1].tablets[1].id, 10);
	ck_assert_int_eq(p->indexes[1].tablets[1].part_id, 6);
	ck_assert_int_eq(p->indexes[1].tablets[2].id, 21);
	ck_assert_int_eq(p->indexes[1].tablets[2].part_id, 7);
	ck_assert_int_eq(p->indexes[1].tablets[3].id, 20);
	ck_assert_uint_eq(jobinfo_tablet_count(ji), 5);
	jobinfo_free(ji);

	/* indexes may be absent when subPartitions is there. */
	ji = expect_ok_q("{'name':'s','database':'d','id':1,'backup_time':1,"
			 "'backup_objects':{'t':{'id':2,'partitions':{'p':{"
			 "'id':3,'subPartitions':{'6':{'id':6,'indexes':{"
			 "'t':{'id':4,'schema_hash':5,'tablets':{'10':[]}}}}}"
			 "}}}}}");
	ck_assert_int_eq(ji->tables[0].partitions[0].version, 0);
	ck_assert_uint_eq(ji->tables[0].partitions[0].nindexes, 1);
	ck_assert_int_eq(
		ji->tables[0].partitions[0].indexes[0].tablets[0].part_id, 6);
	jobinfo_free(ji);
}
END_TEST

START_TEST(test_starrocks_bad_subpartitions)
{
	static const char head[] =
		"{'name':'s','database':'d','id':1,'backup_time':1,"
		"'backup_objects':{'t':{'id':2,'partitions':{'p':{'id':3,";
	static const char *const bad[][2] = {
		/* same index name, other id */
		{"'indexes':{'t':{'id':4,'schema_hash':5,'tablets':{}}},"
		 "'subPartitions':{'6':{'id':6,'indexes':{'t':{'id':9,"
		 "'schema_hash':5,'tablets':{}}}}}",
		 "backup_objects.t.partitions.p.subPartitions.6.indexes.t: "},
		/* same index name, other schema hash */
		{"'indexes':{'t':{'id':4,'schema_hash':5,'tablets':{}}},"
		 "'subPartitions':{'6':{'id':6,'indexes':{'t':{'id':4,"
		 "'schema_hash':6,'tablets':{}}}}}",
		 "backup_objects.t.partitions.p.subPartitions.6.indexes.t: "},
		/* one tablet in two physical partitions */
		{"'indexes':{'t':{'id':4,'schema_hash':5,'tablets':{'10':[]}}},"
		 "'subPartitions':{'6':{'id':6,'indexes':{'t':{'id':4,"
		 "'schema_hash':5,'tablets':{'10':[]}}}}}",
		 "backup_objects.t.partitions.p: "},
		/* key and id disagree */
		{"'subPartitions':{'6':{'id':7,'indexes':{}}}",
		 "backup_objects.t.partitions.p.subPartitions.6: "},
		/* key not an id */
		{"'subPartitions':{'x':{'id':7,'indexes':{}}}",
		 "backup_objects.t.partitions.p.subPartitions.x: "},
		/* no indexes */
		{"'subPartitions':{'6':{'id':6}}",
		 "backup_objects.t.partitions.p.subPartitions.6.indexes: "
		 "missing"},
		/* not an object */
		{"'subPartitions':{'6':[]}",
		 "backup_objects.t.partitions.p.subPartitions.6: "},
		{"'subPartitions':[]",
		 "backup_objects.t.partitions.p.subPartitions: "},
		{"'subPartitions':{'6':{'id':6,'version':'1','indexes':{}}}",
		 "backup_objects.t.partitions.p.subPartitions.6.version: "},
		/* neither indexes nor subPartitions */
		{"'version':1",
		 "backup_objects.t.partitions.p.indexes: missing"},
	};
	char *s = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_ge(asprintf(&s, "%s%s}}}}}", head, bad[i][0]), 0);
		expect_einval_q(s, bad[i][1]);
		free(s);
	}
}
END_TEST

START_TEST(test_defaults)
{
	struct jobinfo *ji;

	ji = expect_ok_q(min_doc);
	ck_assert_str_eq(ji->content, "ALL");
	ck_assert_str_eq(ji->backup_result, "succeed");
	ck_assert_int_eq(ji->meta_version, -1);
	ck_assert_int_eq(ji->sr_meta_version, -1);
	ck_assert_uint_eq(ji->nviews, 0);
	ck_assert_int_eq(ji->tables[0].partitions[0].version, 3);
	jobinfo_free(ji);

	ji = expect_ok_q("{'name':'a','database':'b','id':0,'backup_time':0,"
			 "'content':'METADATA_ONLY','backup_result':'failed',"
			 "'backup_objects':{}}");
	ck_assert_str_eq(ji->content, "METADATA_ONLY");
	ck_assert_str_eq(ji->backup_result, "failed");
	ck_assert_uint_eq(ji->ntables, 0);
	ck_assert_ptr_null(ji->tables);
	ck_assert_uint_eq(jobinfo_tablet_count(ji), 0);
	jobinfo_free(ji);

	/* Partition version defaults to 0. */
	ji = expect_ok_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			 "'backup_objects':{'t':{'id':2,'partitions':{'p':{"
			 "'id':3,'indexes':{}}}}}}");
	ck_assert_int_eq(ji->tables[0].partitions[0].version, 0);
	ck_assert_uint_eq(ji->tables[0].partitions[0].nindexes, 0);
	jobinfo_free(ji);
}
END_TEST

enum kind { K_STR, K_INT, K_OBJ, K_ARR };

struct keyspec {
	const char *path[9];
	enum kind kind;
	const char *errpath;
};

#define IDX_KEYS "backup_objects", "t1", "partitions", "p1", "indexes", "t1"

static const struct keyspec required_keys[] = {
	{{"name", NULL}, K_STR, "name"},
	{{"database", NULL}, K_STR, "database"},
	{{"id", NULL}, K_INT, "id"},
	{{"backup_time", NULL}, K_INT, "backup_time"},
	{{"backup_objects", NULL}, K_OBJ, "backup_objects"},
	{{"backup_objects", "t1", "id", NULL}, K_INT, "backup_objects.t1.id"},
	{{"backup_objects", "t1", "partitions", NULL},
	 K_OBJ,
	 "backup_objects.t1.partitions"},
	{{"backup_objects", "t1", "partitions", "p1", "id", NULL},
	 K_INT,
	 "backup_objects.t1.partitions.p1.id"},
	{{"backup_objects", "t1", "partitions", "p1", "indexes", NULL},
	 K_OBJ,
	 "backup_objects.t1.partitions.p1.indexes"},
	{{IDX_KEYS, "id", NULL}, K_INT, IDX_PATH ".id"},
	{{IDX_KEYS, "schema_hash", NULL}, K_INT, IDX_PATH ".schema_hash"},
	{{IDX_KEYS, "tablets", NULL}, K_OBJ, IDX_PATH ".tablets"},
};

static const struct keyspec optional_keys[] = {
	{{"content", NULL}, K_STR, "content"},
	{{"backup_result", NULL}, K_STR, "backup_result"},
	{{"meta_version", NULL}, K_INT, "meta_version"},
	{{"starrocks_meta_version", NULL}, K_INT, "starrocks_meta_version"},
	{{"new_backup_objects", NULL}, K_OBJ, "new_backup_objects"},
	{{"backup_objects", "t1", "partitions", "p1", "version", NULL},
	 K_INT,
	 "backup_objects.t1.partitions.p1.version"},
	{{"backup_objects", "t1", "partitions", "p1", "subPartitions", NULL},
	 K_OBJ,
	 "backup_objects.t1.partitions.p1.subPartitions"},
	{{IDX_KEYS, "tablets_order", NULL}, K_ARR, IDX_PATH ".tablets_order"},
};

#define NKINDS 7

/* The i-th value of every JSON type; wrong_kind(i) says which it is. */
static json_t *wrong_value(int i)
{
	switch (i) {
	case 0:
		return json_string("10004");
	case 1:
		return json_integer(1);
	case 2:
		return json_real(1.5);
	case 3:
		return json_null();
	case 4:
		return json_true();
	case 5:
		return json_array();
	default:
		return json_object();
	}
}

static int right_value(enum kind k, int i)
{
	return (k == K_STR && i == 0) || (k == K_INT && i == 1) ||
	       (k == K_ARR && i == 5) || (k == K_OBJ && i == 6);
}

static void check_wrong_types(const struct keyspec *ks, bool required)
{
	char prefix[256];
	char *json;
	int i;

	for (i = 0; i < NKINDS; i++) {
		if (right_value(ks->kind, i))
			continue;
		json = mutate(min_doc, ks->path, wrong_value(i));
		snprintf(prefix, sizeof(prefix), "%s: expected", ks->errpath);
		expect_einval(json, prefix);
		free(json);
	}
	json = mutate(min_doc, ks->path, NULL);
	if (required) {
		snprintf(prefix, sizeof(prefix), "%s: missing", ks->errpath);
		expect_einval(json, prefix);
	} else {
		jobinfo_free(expect_ok(json));
	}
	free(json);
}

START_TEST(test_required_wrong_type)
{
	check_wrong_types(&required_keys[_i], true);
}
END_TEST

START_TEST(test_optional_wrong_type)
{
	check_wrong_types(&optional_keys[_i], false);
}
END_TEST

START_TEST(test_truncated)
{
	const char *docs[] = {doris_doc, doris_multi, sr_doc, min_doc};
	struct jobinfo *sentinel = (struct jobinfo *)&sentinel, *ji;
	char err[ERRLEN];
	size_t d, len, n;
	char *json;
	int rc;

	for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
		json = jq(docs[d]);
		len = strlen(json);
		for (n = 0; n < len; n++) {
			ji = sentinel;
			err[0] = '\0';
			rc = parse_len(json, n, err, &ji);
			ck_assert_msg(rc == -EINVAL,
				      "doc %zu prefix %zu: rc %d", d, n, rc);
			ck_assert_ptr_eq(ji, sentinel);
			ck_assert(err[0] != '\0');
		}
		/* The whole document parses. */
		ji = NULL;
		ck_assert_int_eq(parse_len(json, len, err, &ji), 0);
		jobinfo_free(ji);
		free(json);
	}
}
END_TEST

/* Every byte replaced by every troublesome byte: no crash, no leak, and a
 * success still yields a complete document. */
START_TEST(test_byte_mutations)
{
	static const char subst[] = {'\0', '"',	 '}', ']', '1', '-',	   '.',
				     '/',  '\\', ',', ':', 'e', (char)0xff};
	const char *docs[] = {doris_doc, sr_doc};
	struct jobinfo *ji;
	size_t d, i, k, len;
	char *json, orig;
	int rc;

	for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
		json = jq(docs[d]);
		len = strlen(json);
		for (i = 0; i < len; i++) {
			orig = json[i];
			for (k = 0; k < sizeof(subst); k++) {
				json[i] = subst[k];
				ji = NULL;
				rc = parse_len(json, len, NULL, &ji);
				ck_assert(rc == 0 || rc == -EINVAL);
				if (rc == 0) {
					ck_assert_ptr_nonnull(ji->name);
					ck_assert(name_ok(ji->name));
					jobinfo_free(ji);
				}
			}
			json[i] = orig;
		}
		free(json);
	}
}
END_TEST

START_TEST(test_not_a_document)
{
	static const char *const bad[] = {
		"",
		" ",
		"[]",
		"[{}]",
		"1",
		"\"x\"",
		"null",
		"{",
		"{}",
		"{} x",
		"{}{}",
		"\xef\xbb\xbf{}",
		"{'name':'a'",
		"{'name'}",
	};
	struct jobinfo *ji = NULL;
	char err[ERRLEN];
	size_t i;
	char *q;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q = jq(bad[i]);
		expect_einval(q, NULL);
		free(q);
	}
	/* A NUL inside the stated length is not the end of the document. */
	q = jq(min_doc);
	ck_assert_int_eq(jobinfo_parse(q, strlen(q) + 1, err, sizeof(err), &ji),
			 -EINVAL);
	free(q);
	expect_einval("[]", "(document): expected a JSON object");
}
END_TEST

START_TEST(test_ids_int64)
{
	const char *ppath[] = {"id", NULL};
	struct jobinfo *ji;
	char *json;

	/* int64 limits are exact, not rounded through a double. */
	json = mutate(min_doc, ppath, json_integer(INT64_MAX));
	ji = expect_ok(json);
	ck_assert(ji->db_id == INT64_MAX);
	jobinfo_free(ji);
	free(json);
	expect_einval_q("{'name':'a','database':'b','id':9223372036854775808,"
			"'backup_time':1,'backup_objects':{}}",
			NULL);
	expect_einval_q("{'name':'a','database':'b',"
			"'id':99999999999999999999999,'backup_time':1,"
			"'backup_objects':{}}",
			NULL);
	expect_einval_q("{'name':'a','database':'b',"
			"'id':-9223372036854775809,'backup_time':1,"
			"'backup_objects':{}}",
			NULL);
	expect_einval_q("{'name':'a','database':'b','id':-1,'backup_time':1,"
			"'backup_objects':{}}",
			"id: -1 is out of range");
	expect_einval_q("{'name':'a','database':'b','id':1e3,'backup_time':1,"
			"'backup_objects':{}}",
			"id: expected an integer");
	expect_einval_q("{'name':'a','database':'b','id':10.0,'backup_time':1,"
			"'backup_objects':{}}",
			"id: expected an integer");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':-1,"
			"'backup_objects':{}}",
			"backup_time: -1 is out of range");

	/* 2^53 + 1 is the first integer a double can't hold. */
	json = doc_index("'tablets':{'9007199254740993':[],"
			 "'9223372036854775807':[]},"
			 "'tablets_order':[9007199254740993]");
	ji = expect_ok(json);
	ck_assert(ji->tables[0].partitions[0].indexes[0].tablets[0].id ==
		  9007199254740993LL);
	ck_assert(ji->tables[0].partitions[0].indexes[0].tablets[1].id ==
		  INT64_MAX);
	jobinfo_free(ji);
	free(json);

	json = doc_index("'tablets':{'9223372036854775808':[]}");
	expect_einval(json, IDX_PATH ".tablets.9223372036854775808: not a "
				     "tablet id");
	free(json);
	json = doc_index("'tablets':{'1':[]},"
			 "'tablets_order':['9223372036854775808']");
	expect_einval(json, IDX_PATH ".tablets_order[0]: expected a tablet id");
	free(json);

	/* schema_hash is an int32. */
	expect_einval_q(
		"{'name':'a','database':'b','id':1,'backup_time':1,"
		"'backup_objects':{'t':{'id':2,'partitions':{'p':{'id':3,"
		"'indexes':{'i':{'id':4,'schema_hash':2147483648,'tablets':{}"
		"}}}}}}}",
		"backup_objects.t.partitions.p.indexes.i.schema_hash: "
		"2147483648 is out of range");
	expect_einval_q(
		"{'name':'a','database':'b','id':1,'backup_time':1,"
		"'backup_objects':{'t':{'id':2,'partitions':{'p':{'id':3,"
		"'indexes':{'i':{'id':4,'schema_hash':-2147483649,'tablets':{}"
		"}}}}}}}",
		"backup_objects.t.partitions.p.indexes.i.schema_hash: ");
	ji = expect_ok_q(
		"{'name':'a','database':'b','id':1,'backup_time':1,"
		"'backup_objects':{'t':{'id':2,'partitions':{'p':{'id':3,"
		"'indexes':{'i':{'id':4,'schema_hash':-2147483648,'tablets':{}}"
		","
		"'j':{'id':5,'schema_hash':2147483647,'tablets':{}}}}}}}}");
	ck_assert_int_eq(ji->tables[0].partitions[0].indexes[0].schema_hash,
			 INT32_MIN);
	ck_assert_int_eq(ji->tables[0].partitions[0].indexes[1].schema_hash,
			 INT32_MAX);
	jobinfo_free(ji);
}
END_TEST

START_TEST(test_tablet_keys)
{
	static const char *const bad[] = {
		"",	"+10015", " 10015", "10015 ", "010015", "-5", "-0",
		"0x10", "1e3",	  "abc",    "10015a", "1.0",	"00",
	};
	struct jobinfo *ji;
	char *body = NULL, *json;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_ge(asprintf(&body, "'tablets':{'%s':[]}", bad[i]),
				 0);
		json = doc_index(body);
		expect_einval(json, IDX_PATH ".tablets.");
		free(json);
		free(body);
	}
	json = doc_index("'tablets':{'0':[]}");
	ji = expect_ok(json);
	ck_assert_int_eq(ji->tables[0].partitions[0].indexes[0].tablets[0].id,
			 0);
	jobinfo_free(ji);
	free(json);
}
END_TEST

START_TEST(test_name_ok)
{
	char name[300];

	ck_assert_int_eq(name_ok(NULL), 0);
	ck_assert_int_eq(name_ok(""), 0);
	ck_assert_int_eq(name_ok("."), 0);
	ck_assert_int_eq(name_ok(".."), 0);
	ck_assert_int_eq(name_ok("/"), 0);
	ck_assert_int_eq(name_ok("a/b"), 0);
	ck_assert_int_eq(name_ok("../x"), 0);
	ck_assert_int_eq(name_ok("x/"), 0);
	ck_assert_int_eq(name_ok("t1"), 1);
	ck_assert_int_eq(name_ok("..."), 1);
	ck_assert_int_eq(name_ok(".hidden"), 1);
	ck_assert_int_eq(name_ok("a..b"), 1);
	ck_assert_int_eq(name_ok("p 2024"), 1);
	ck_assert_int_eq(name_ok("\xe8\xa1\xa8"), 1);
	memset(name, 'a', sizeof(name));
	name[255] = '\0';
	ck_assert_int_eq(name_ok(name), 1);
	name[255] = 'a';
	name[256] = '\0';
	ck_assert_int_eq(name_ok(name), 0);
}
END_TEST

START_TEST(test_unsafe_names)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "/", "..\\/x", "a\\u0000b", "\\u0000",
	};
	static const char *const where[] = {
		"name: ",
		"database: ",
		"backup_objects.",
		"backup_objects.t.partitions.",
		"backup_objects.t.partitions.p.indexes.",
	};
	char long_name[300];
	const char *n[5];
	size_t i, w;
	char *json;

	memset(long_name, 'x', sizeof(long_name));
	long_name[256] = '\0';
	for (w = 0; w < 5; w++) {
		for (i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
			n[0] = "s";
			n[1] = "d";
			n[2] = "t";
			n[3] = "p";
			n[4] = "i";
			n[w] = i < sizeof(bad) / sizeof(bad[0]) ? bad[i]
								: long_name;
			json = doc_names(n[0], n[1], n[2], n[3], n[4]);
			/* jansson itself refuses NUL in keys; no prefix then.
			 */
			expect_einval(json, (w >= 2 && strstr(n[w], "u0000"))
						    ? NULL
						    : where[w]);
			free(json);
		}
	}
	/* 255 bytes is fine everywhere. */
	long_name[255] = '\0';
	json = doc_names(long_name, long_name, long_name, long_name, long_name);
	jobinfo_free(expect_ok(json));
	free(json);
}
END_TEST

START_TEST(test_nul_in_values)
{
	struct jobinfo *ji;

	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'content':'AL\\u0000L','backup_objects':{}}",
			"content: contains a NUL byte");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_result':'\\u0000','backup_objects':{}}",
			"backup_result: contains a NUL byte");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_objects':{},'new_backup_objects':{'views':["
			"{'name':'v\\u0000'}]}}",
			"new_backup_objects.views[0].name: contains a NUL");
	/* A NUL in a value nobody uses is harmless. */
	ji = expect_ok_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			 "'tablet_snapshot_path_map':{'1':'/x\\u0000y'},"
			 "'backup_objects':{}}");
	jobinfo_free(ji);
}
END_TEST

/* A failed parse whose message mentions @what. */
static void expect_einval_about(const char *q, const char *what)
{
	struct jobinfo *ji = NULL;
	char err[ERRLEN] = "";
	char *json = jq(q);

	ck_assert_int_eq(parse_json(json, err, &ji), -EINVAL);
	ck_assert_ptr_null(ji);
	ck_assert_msg(strstr(err, what), "\"%s\" does not mention \"%s\"", err,
		      what);
	free(json);
}

START_TEST(test_duplicate_keys)
{
	expect_einval_about("{'name':'a','name':'b','database':'b','id':1,"
			    "'backup_time':1,'backup_objects':{}}",
			    "duplicate");
	expect_einval_about("{'name':'a','database':'b','id':1,'backup_time':1,"
			    "'backup_objects':{'t':{'id':1,'partitions':{}},"
			    "'t':{'id':2,'partitions':{}}}}",
			    "duplicate");
	expect_einval_about("{'name':'a','database':'b','id':1,'backup_time':1,"
			    "'backup_objects':{'t':{'id':1,'partitions':{'p':{"
			    "'id':2,'indexes':{'i':{'id':3,'schema_hash':4,"
			    "'tablets':{'10015':[],'10015':[]}}}}}}}}",
			    "duplicate");
	/* Duplicates in ignored parts are refused too: the document is
	 * ambiguous. */
	expect_einval_about(
		"{'name':'a','database':'b','id':1,'backup_time':1,"
		"'backup_objects':{},'tablet_be_map':{'1':2,'1':3}}",
		"duplicate");
}
END_TEST

START_TEST(test_file_names)
{
	static const char *const bad[] = {
		"10015.hdr",
		"10015.hdr.part",
		"10015.hdr.1833ECB7C31C0CD099CC28DA30D389F0",
		"10015.hdr.1833ecb7c31c0cd099cc28da30d389f",
		"10015.hdr.1833ecb7c31c0cd099cc28da30d389f00",
		"10015.hdr." M1 ".part",
		"." M1,
		".." M1,
		"..." M1,
		"a/b." M1,
		"../a." M1,
		"a\\u0000." M1,
		M1,
		"",
	};
	char *body = NULL, *json;
	struct jobinfo *ji;
	char err[ERRLEN];
	size_t i;

	/* The contract's example message, exactly. */
	json = doc_index("'tablets':{'10015':['x.dat']}");
	ji = NULL;
	ck_assert_int_eq(parse_json(json, err, &ji), -EINVAL);
	ck_assert_str_eq(err, IDX_PATH ".tablets.10015[0]: \"x.dat\" has no "
				       "md5 suffix");
	free(json);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_ge(asprintf(&body,
					  "'tablets':{'10015':['10015.hdr." M1
					  "','%s']}",
					  bad[i]),
				 0);
		json = doc_index(body);
		expect_einval(json, IDX_PATH ".tablets.10015[1]: ");
		free(json);
		free(body);
	}

	/* Not an array, not strings. */
	json = doc_index("'tablets':{'10015':'10015.hdr." M1 "'}");
	expect_einval(json, IDX_PATH ".tablets.10015: expected an array");
	free(json);
	json = doc_index("'tablets':{'10015':[1]}");
	expect_einval(json, IDX_PATH ".tablets.10015[0]: expected a string");
	free(json);
	json = doc_index("'tablets':{'10015':[['a." M1 "']]}");
	expect_einval(json, IDX_PATH ".tablets.10015[0]: expected a string");
	free(json);

	/* One logical name twice would be one path in the mount. */
	json = doc_index("'tablets':{'10015':['a.dat." M1 "','b.dat." M1
			 "','a.dat." M2 "']}");
	expect_einval(json, IDX_PATH ".tablets.10015: file \"a.dat\" is listed "
				     "twice");
	free(json);
	json = doc_index("'tablets':{'10015':['a.dat." M1 "','a.dat." M1 "']}");
	expect_einval(json, IDX_PATH ".tablets.10015: ");
	free(json);

	/* Sorted by strcmp, dots inside logical names are fine. */
	json = doc_index("'tablets':{'10015':['b." M3 "','a.b." M1 "','a." M2
			 "','B." M1 "']}");
	ji = expect_ok(json);
	{
		const struct jobinfo_tablet *t =
			&ji->tables[0].partitions[0].indexes[0].tablets[0];

		ck_assert_uint_eq(t->nfiles, 4);
		ck_assert_str_eq(t->files[0], "B." M1);
		ck_assert_str_eq(t->files[1], "a." M2);
		ck_assert_str_eq(t->files[2], "a.b." M1);
		ck_assert_str_eq(t->files[3], "b." M3);
	}
	jobinfo_free(ji);
	free(json);
}
END_TEST

START_TEST(test_tablets_order)
{
	const struct jobinfo_index *ix;
	struct jobinfo *ji;
	char *json;

	json = doc_index("'tablets':{'1':[],'2':[]},'tablets_order':[3]");
	expect_einval(json, IDX_PATH ".tablets_order[0]: tablet 3 is not in "
				     "tablets");
	free(json);
	json = doc_index("'tablets':{'1':[],'2':[]},'tablets_order':['2','3']");
	expect_einval(json, IDX_PATH ".tablets_order[1]: tablet 3 is not in "
				     "tablets");
	free(json);
	json = doc_index("'tablets':{},'tablets_order':[1]");
	expect_einval(json, IDX_PATH ".tablets_order[0]: tablet 1 is not in");
	free(json);
	json = doc_index("'tablets':{'1':[]},'tablets_order':[-1]");
	expect_einval(json, IDX_PATH ".tablets_order[0]: ");
	free(json);
	json = doc_index("'tablets':{'1':[],'2':[]},'tablets_order':[1,'1']");
	expect_einval(json, IDX_PATH ".tablets_order[1]: tablet 1 is listed "
				     "twice");
	free(json);

	/* Entries must be ids. */
	json = doc_index("'tablets':{'1':[]},'tablets_order':['01']");
	expect_einval(json, IDX_PATH ".tablets_order[0]: expected a tablet id");
	free(json);
	json = doc_index("'tablets':{'1':[]},'tablets_order':[1.0]");
	expect_einval(json, IDX_PATH ".tablets_order[0]: expected a tablet id");
	free(json);
	json = doc_index("'tablets':{'1':[]},'tablets_order':[true]");
	expect_einval(json, IDX_PATH ".tablets_order[0]: expected a tablet id");
	free(json);
	json = doc_index("'tablets':{'1':[]},'tablets_order':[null]");
	expect_einval(json, IDX_PATH ".tablets_order[0]: expected a tablet id");
	free(json);
	json = doc_index("'tablets':{'1':[]},'tablets_order':['1\\u0000']");
	expect_einval(json, IDX_PATH ".tablets_order[0]: expected a tablet id");
	free(json);
	json = doc_index("'tablets':{'1':[]},'tablets_order':{'1':1}");
	expect_einval(json, IDX_PATH ".tablets_order: expected an array");
	free(json);

	/* A partial order: the rest follows in numeric order; numbers and
	 * strings mix. */
	json = doc_index("'tablets':{'5':[],'100':[],'20':[],'3':[],'7':[]},"
			 "'tablets_order':['20',5]");
	ji = expect_ok(json);
	ix = &ji->tables[0].partitions[0].indexes[0];
	ck_assert_uint_eq(ix->ntablets, 5);
	ck_assert_int_eq(ix->tablets[0].id, 20);
	ck_assert_int_eq(ix->tablets[1].id, 5);
	ck_assert_int_eq(ix->tablets[2].id, 3);
	ck_assert_int_eq(ix->tablets[3].id, 7);
	ck_assert_int_eq(ix->tablets[4].id, 100);
	jobinfo_free(ji);
	free(json);
}
END_TEST

START_TEST(test_unknown_keys)
{
	struct jobinfo *ji;

	ji = expect_ok_q(
		"{'x':[1,{'y':null}],'name':'a','database':'b','id':1,"
		"'backup_time':1,'manifest_version':1,"
		"'digest_algorithm':'sha256','is_force_replication_allocation':"
		"false,'tblalias':{},'extra_info':{'token':'t'},"
		"'backup_objects':{'t':{'id':2,'autoIncrementId':null,"
		"'partitions':{'p':{'id':3,'version':1,'version_hash':0,"
		"'indexes':{'i':{'id':4,'schema_hash':5,'tablets':{'6':[]},"
		"'tablet_manifests':{'6':{'files':[],'root':'00'}}}}}}}},"
		"'new_backup_objects':{'odbc_tables':[{'id':1}]}}");
	ck_assert_uint_eq(jobinfo_tablet_count(ji), 1);
	ck_assert_uint_eq(ji->nviews, 0);
	jobinfo_free(ji);
}
END_TEST

START_TEST(test_views)
{
	struct jobinfo *ji;

	ji = expect_ok_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			 "'backup_objects':{},'new_backup_objects':{'views':["
			 "{'id':1,'name':'v2'},{'id':2,'name':'v1'}]}}");
	ck_assert_uint_eq(ji->nviews, 2);
	ck_assert_str_eq(ji->views[0], "v2");
	ck_assert_str_eq(ji->views[1], "v1");
	jobinfo_free(ji);

	expect_einval_q(
		"{'name':'a','database':'b','id':1,'backup_time':1,"
		"'backup_objects':{},'new_backup_objects':{'views':{}}}",
		"new_backup_objects.views: expected an array");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_objects':{},'new_backup_objects':{'views':["
			"{'id':1}]}}",
			"new_backup_objects.views[0].name: missing");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_objects':{},'new_backup_objects':{'views':["
			"'v1']}}",
			"new_backup_objects.views[0]: expected an object");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_objects':{},'new_backup_objects':{'views':["
			"{'name':'a/b'}]}}",
			"new_backup_objects.views[0].name: ");
}
END_TEST

START_TEST(test_bad_nesting_types)
{
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_objects':{'t':[]}}",
			"backup_objects.t: expected an object");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_objects':{'t':{'id':1,'partitions':{'p':1}}}}",
			"backup_objects.t.partitions.p: expected an object");
	expect_einval_q("{'name':'a','database':'b','id':1,'backup_time':1,"
			"'backup_objects':{'t':{'id':1,'partitions':{'p':{"
			"'id':1,'indexes':{'i':'x'}}}}}}",
			"backup_objects.t.partitions.p.indexes.i: expected an "
			"object");
}
END_TEST

START_TEST(test_deep_nesting)
{
	size_t depth = 100000, i;
	char *json, *p;

	json = malloc(2 * depth + 64);
	ck_assert_ptr_nonnull(json);
	p = json + snprintf(json, 64, "{\"x\":");
	for (i = 0; i < depth; i++)
		*p++ = '[';
	for (i = 0; i < depth; i++)
		*p++ = ']';
	*p++ = '}';
	*p = '\0';
	expect_einval(json, NULL);
	free(json);
}
END_TEST

START_TEST(test_err_buffer)
{
	struct jobinfo *ji = NULL;
	char err[ERRLEN], small[8];
	char *bad = jq("{'name':'a'}"), *good = jq(min_doc);

	/* NULL / zero-sized buffers are allowed. */
	ck_assert_int_eq(jobinfo_parse(bad, strlen(bad), NULL, 0, &ji),
			 -EINVAL);
	ck_assert_int_eq(jobinfo_parse(bad, strlen(bad), err, 0, &ji), -EINVAL);
	ck_assert_ptr_null(ji);

	/* A small buffer is truncated and terminated. */
	memset(small, 'Z', sizeof(small));
	ck_assert_int_eq(
		jobinfo_parse(bad, strlen(bad), small, sizeof(small), &ji),
		-EINVAL);
	ck_assert_uint_eq(strnlen(small, sizeof(small)), sizeof(small) - 1);

	/* Untouched on success. */
	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(
		jobinfo_parse(good, strlen(good), err, sizeof(err), &ji), 0);
	ck_assert_int_eq(err[0], 'Z');
	ck_assert_int_eq(err[sizeof(err) - 1], 'Z');
	jobinfo_free(ji);
	ji = NULL;
	ck_assert_int_eq(jobinfo_parse(good, strlen(good), NULL, 0, &ji), 0);
	jobinfo_free(ji);
	free(bad);
	free(good);
	jobinfo_free(NULL);
}
END_TEST

static Suite *jobinfo_suite(void)
{
	Suite *s = suite_create("jobinfo");
	TCase *tc;

	tc = tcase_create("documents");
	tcase_add_test(tc, test_doris_example);
	tcase_add_test(tc, test_doris_multi_order);
	tcase_add_test(tc, test_starrocks);
	tcase_add_test(tc, test_starrocks_merge);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_views);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(
		tc, test_required_wrong_type, 0,
		(int)(sizeof(required_keys) / sizeof(required_keys[0])));
	tcase_add_loop_test(
		tc, test_optional_wrong_type, 0,
		(int)(sizeof(optional_keys) / sizeof(optional_keys[0])));
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_byte_mutations);
	tcase_add_test(tc, test_not_a_document);
	tcase_add_test(tc, test_ids_int64);
	tcase_add_test(tc, test_tablet_keys);
	tcase_add_test(tc, test_unsafe_names);
	tcase_add_test(tc, test_nul_in_values);
	tcase_add_test(tc, test_duplicate_keys);
	tcase_add_test(tc, test_file_names);
	tcase_add_test(tc, test_tablets_order);
	tcase_add_test(tc, test_starrocks_bad_subpartitions);
	tcase_add_test(tc, test_bad_nesting_types);
	tcase_add_test(tc, test_deep_nesting);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, test_name_ok);
	tcase_add_test(tc, test_err_buffer);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(jobinfo_suite)
