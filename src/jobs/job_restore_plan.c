/* SPDX-License-Identifier: MIT */
/*
 * job_restore_plan.c - RESTORE at submission: find the snapshot, pick its
 * tables, plan every restored table as it will be after the commit (ids,
 * replicas on the backends, the current replica to link unchanged files
 * from), record the plan in the job and register it.
 *
 * Unlike Doris, an overwrite never touches the table's current data: new
 * replica generations are written beside it and the commit swaps the
 * catalog to them, so a failure or cancel at any point leaves the table
 * exactly as it was.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/base.h"
#include "cluster/cluster.h"
#include "job_restore_int.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "spec.h"

#include "base/banned.h"

/* ---- helpers ------------------------------------------------------------- */

static const struct jobinfo_table *ji_table(const struct jobinfo *ji,
					    const char *name)
{
	size_t i;

	for (i = 0; i < ji->ntables; i++)
		if (strcmp(ji->tables[i].name, name) == 0)
			return &ji->tables[i];
	return NULL;
}

static const struct jobinfo_partition *
ji_partition(const struct jobinfo_table *t, const char *name)
{
	size_t i; /* Partition names compare without case, as in Doris. */
	for (i = 0; i < t->npartitions; i++)
		if (strcasecmp(t->partitions[i].name, name) == 0)
			return &t->partitions[i];
	return NULL;
}

int job_restore_plan_load(struct repo *repo, const char *label, const char *ts,
			  struct repo_label **lp, struct repo_snapshot **sp,
			  char *err, size_t errlen)
{
	struct repo_label *l = NULL;
	struct repo_snapshot *s = NULL;
	char dir[300], avail[256] = "";
	size_t i;
	int rc;

	snprintf(dir, sizeof(dir), "__ss_%s", label);
	rc = repo_label_load(repo, dir, &l);
	if (rc == -ENOENT)
		return job_errf(
			err, errlen, rc,
			"snapshot \"%s\" not found in repository \"%s\"", label,
			repo_name(repo));
	if (rc < 0)
		return job_errf(err, errlen, rc,
				"cannot list snapshot \"%s\": %s", label,
				strerror(-rc));
	for (i = 0; i < l->nts; i++) {
		if (!l->ts[i].valid_name)
			continue;
		if (strcmp(l->ts[i].name, ts) == 0)
			break;
		if (strlen(avail) + strlen(l->ts[i].name) + 3 < sizeof(avail)) {
			if (avail[0])
				strncat(avail, ", ", sizeof(avail) - 1);
			strncat(avail, l->ts[i].name, sizeof(avail) - 1);
		}
	}
	if (i == l->nts) {
		rc = job_errf(err, errlen, -ENOENT,
			      "snapshot \"%s\" has no backup_timestamp \"%s\" "
			      "(it has: %s)",
			      label, ts, avail[0] ? avail : "none");
		goto out;
	}
	rc = repo_snapshot_load(repo, l, &l->ts[i], &s);
	if (rc < 0) {
		job_errf(err, errlen, rc, "cannot read snapshot %s/%s: %s",
			 label, ts, strerror(-rc));
		goto out;
	}
	if (!s->ok || !s->ji) {
		rc = job_errf(err, errlen, -EINVAL,
			      "snapshot %s/%s is not usable: %s", label, ts,
			      s->verdict);
		goto out;
	}
out:
	if (rc < 0) {
		repo_snapshot_free(s);
		repo_label_free(l);
		return rc;
	}
	*lp = l;
	*sp = s;
	return 0;
}

/* ---- the plan --------------------------------------------------------------
 */

struct ids {
	struct catalog_txn *t;
	int64_t next, end;
};

static int next_id(struct ids *ids, int64_t *out)
{
	int rc;

	if (ids->next == ids->end) {
		rc = catalog_alloc_ids(ids->t, 1024, &ids->next);
		if (rc < 0)
			return rc;
		ids->end = ids->next + 1024;
	}
	*out = ids->next++;
	return 0;
}

/*
 * Does the existing partition @ep have the structure of the snapshot's
 * @sp (same index names, schema hashes and tablet counts)?
 */
static bool same_partition(json_t *ep, const struct jobinfo_partition *sp,
			   char *why, size_t wlen)
{
	json_t *eidx = json_object_get(ep, "indexes");
	size_t i;

	if (json_array_size(eidx) != sp->nindexes) {
		snprintf(why, wlen,
			 "partition %s has %zu indexes, the snapshot %zu",
			 sp->name, json_array_size(eidx), sp->nindexes);
		return false;
	}
	for (i = 0; i < sp->nindexes; i++) {
		const struct jobinfo_index *si = &sp->indexes[i];
		json_t *ei = catalog_find_named(eidx, si->name, false);

		if (!ei) {
			snprintf(why, wlen, "index %s is not in partition %s",
				 si->name, sp->name);
			return false;
		}
		if (json_integer_value(json_object_get(ei, "schema_hash")) !=
		    si->schema_hash) {
			snprintf(why, wlen, "index %s has another schema hash",
				 si->name);
			return false;
		}
		if (json_array_size(json_object_get(ei, "tablets")) !=
		    si->ntablets) {
			snprintf(
				why, wlen,
				"index %s has %zu tablets in %s, the "
				"snapshot %zu",
				si->name,
				json_array_size(json_object_get(ei, "tablets")),
				sp->name, si->ntablets);
			return false;
		}
	}
	return true;
}

struct pick {
	const struct jobinfo_table *st;
	const char *dst;
	char **parts; /* NULL: every partition */
	size_t nparts;
};

/* Is partition @name of the snapshot table one the statement restores? */
static bool pick_wants(const struct pick *pk, const char *name)
{
	size_t k;

	if (!pk->parts)
		return true;
	for (k = 0; k < pk->nparts; k++)
		if (strcasecmp(pk->parts[k], name) == 0)
			return true;
	return false;
}

/* What the planned tablets of one table share. */
struct tplan {
	struct ids *ids;
	const struct spec *sp;
	unsigned nbe; /* backends in the cluster */
	int64_t gen;  /* replica generation: the job's id */
	const struct jobinfo_table *st;
	json_t *index_ids; /* index name -> id, per table */
	size_t seed;	   /* spreads replicas over the backends */
};

/* Replicas on replication_num distinct backends, spread by the seed. */
static int new_replicas(struct tplan *tp, json_t **out)
{
	json_t *arr = json_array();
	size_t seed = tp->seed++;
	unsigned k;
	int64_t id;
	int rc = arr ? 0 : -ENOMEM;

	for (k = 0; rc == 0 && k < tp->sp->replication_num; k++) {
		rc = next_id(tp->ids, &id);
		if (rc == 0 &&
		    json_array_append_new(
			    arr,
			    json_pack("{s:I, s:i, s:I}", "id", (json_int_t)id,
				      "backend", (int)((seed + k) % tp->nbe),
				      "gen", (json_int_t)tp->gen)) < 0)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* One tablet: its id (@otab's, or new), new replicas, where it comes from
 * in the snapshot, and the current replica to link unchanged files from. */
static int plan_tablet(struct tplan *tp, const struct jobinfo_index *si,
		       const struct jobinfo_tablet *stab, json_t *otab,
		       json_t **out)
{
	json_t *reps = NULL, *tab, *orep;
	int64_t id;
	int rc = 0;

	if (otab)
		id = json_integer_value(json_object_get(otab, "id"));
	else
		rc = next_id(tp->ids, &id);
	if (rc == 0)
		rc = new_replicas(tp, &reps);
	if (rc < 0)
		return rc;
	tab = json_pack("{s:I, s:o, s:{s:s, s:I, s:I, s:s, s:I, s:I}}", "id",
			(json_int_t)id, "replicas", reps, "src", "table",
			tp->st->name, "table_id", (json_int_t)tp->st->id,
			"part_id", (json_int_t)stab->part_id, "index", si->name,
			"index_id", (json_int_t)si->id, "tablet",
			(json_int_t)stab->id);
	if (!tab)
		return -ENOMEM;
	/* The current replica: files with the same MD5 are linked from it
	 * instead of downloaded. */
	orep = otab ? json_array_get(json_object_get(otab, "replicas"), 0)
		    : NULL;
	if (orep)
		json_object_set(tab, "old", orep);
	*out = tab;
	return 0;
}

/* One index of a partition, with its tablets (@oix: the current one). */
static int plan_index(struct tplan *tp, const struct jobinfo_index *si,
		      json_t *oix, json_t **out)
{
	json_t *iid = json_object_get(tp->index_ids, si->name), *ix, *tab;
	json_t *tabs = json_array();
	int64_t id;
	size_t k;
	int rc = 0;

	if (!iid) {
		rc = next_id(tp->ids, &id);
		if (rc < 0) {
			json_decref(tabs);
			return rc;
		}
		iid = json_integer(id);
		json_object_set_new(tp->index_ids, si->name, iid);
	}
	ix = json_pack("{s:s, s:O, s:i, s:o}", "name", si->name, "id", iid,
		       "schema_hash", (int)si->schema_hash, "tablets", tabs);
	if (!ix)
		return -ENOMEM;
	for (k = 0; rc == 0 && k < si->ntablets; k++) {
		rc = plan_tablet(
			tp, si, &si->tablets[k],
			oix ? json_array_get(json_object_get(oix, "tablets"), k)
			    : NULL,
			&tab);
		if (rc == 0 && json_array_append_new(tabs, tab) < 0)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		json_decref(ix);
		return rc;
	}
	*out = ix;
	return 0;
}

/*
 * Build the committed form of one restored partition. Ids come from @old
 * (same structure: keep them) or are new.
 */
static int plan_partition(struct tplan *tp,
			  const struct jobinfo_partition *spart, json_t *old,
			  json_t **out)
{
	json_t *p, *idxs = json_array(), *ix;
	int64_t id;
	size_t i;
	int rc = 0;

	p = json_pack("{s:s, s:I, s:o}", "name", spart->name, "version",
		      (json_int_t)spart->version, "indexes", idxs);
	if (!p)
		return -ENOMEM;
	if (old)
		id = json_integer_value(json_object_get(old, "id"));
	else
		rc = next_id(tp->ids, &id);
	if (rc == 0)
		json_object_set_new(p, "id", json_integer(id));
	for (i = 0; rc == 0 && i < spart->nindexes; i++) {
		rc = plan_index(tp, &spart->indexes[i],
				old ? catalog_find_named(
					      json_object_get(old, "indexes"),
					      spart->indexes[i].name, false)
				    : NULL,
				&ix);
		if (rc == 0 && json_array_append_new(idxs, ix) < 0)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		json_decref(p);
		return rc;
	}
	json_object_set_new(p, "restored", json_true());
	*out = p;
	return 0;
}

/* Does @existing have the structure of the snapshot's table, in every
 * partition the statement restores? If not, @why says where it differs. */
static bool same_table(const struct pick *pk, json_t *existing, char *why,
		       size_t wlen)
{
	json_t *old;
	size_t i;

	for (i = 0; i < pk->st->npartitions; i++) {
		const struct jobinfo_partition *spart = &pk->st->partitions[i];

		if (!pick_wants(pk, spart->name))
			continue;
		old = catalog_find_named(
			json_object_get(existing, "partitions"), spart->name,
			false);
		if (old && !same_partition(old, spart, why, wlen))
			return false;
	}
	return true;
}

/* The table's record before its restored partitions go in: a copy of
 * @existing (@keep) with its index ids, or a new table. */
static int table_base(struct tplan *tp, const char *db, const char *dst,
		      json_t *existing, bool keep, json_t **out)
{
	json_t *tbl, *p, *ix;
	size_t i, k;
	int64_t id;
	int rc;

	if (!keep) {
		rc = next_id(tp->ids, &id);
		if (rc < 0)
			return rc;
		tbl = json_pack("{s:I, s:s, s:s, s:[]}", "id", (json_int_t)id,
				"name", dst, "db", db, "partitions");
		*out = tbl;
		return tbl ? 0 : -ENOMEM;
	}
	tbl = json_deep_copy(existing);
	if (!tbl)
		return -ENOMEM;
	/* Index ids are per table: reuse the existing ones. */
	json_array_foreach (json_object_get(tbl, "partitions"), i, p)
		json_array_foreach (json_object_get(p, "indexes"), k, ix)
			json_object_set(
				tp->index_ids,
				json_string_value(json_object_get(ix, "name")),
				json_object_get(ix, "id"));
	*out = tbl;
	return 0;
}

/* Put planned partition @p into @parts, in place of the one of its name. */
static void put_partition(json_t *parts, json_t *p, const char *name)
{
	json_t *old = catalog_find_named(parts, name, false), *v;
	size_t pos;

	json_array_foreach (parts, pos, v)
		if (v == old) {
			json_array_set_new(parts, pos, p);
			return;
		}
	json_array_append_new(parts, p);
}

/*
 * Plan one table: the record it will have after the commit. @existing is
 * the current record or NULL.
 */
static int plan_table(struct ids *ids, const struct spec *sp, unsigned nbe,
		      int64_t gen, const char *db, const struct pick *pk,
		      json_t *existing, json_t **out, char *err, size_t errlen)
{
	struct tplan tp = {.ids = ids,
			   .sp = sp,
			   .nbe = nbe,
			   .gen = gen,
			   .st = pk->st,
			   .index_ids = json_object()};
	json_t *tbl = NULL, *parts, *p;
	char why[256] = "";
	size_t i;
	/* Same structure: overwrite in place (keeping ids); different:
	 * only with force_replace, as a new table replacing the old. */
	bool keep = existing && same_table(pk, existing, why, sizeof(why));
	int rc;

	if (existing && !keep && !sp->force_replace)
		rc = job_errf(err, errlen, -EEXIST,
			      "table %s.%s exists with a different structure "
			      "(%s); add \"force_replace\" = \"true\" to "
			      "replace it",
			      db, pk->dst, why);
	else
		rc = tp.index_ids ? table_base(&tp, db, pk->dst, existing, keep,
					       &tbl)
				  : -ENOMEM;
	if (rc < 0)
		goto out;
	json_object_set_new(tbl, "state", json_string("NORMAL"));
	json_object_set_new(tbl, "source_table", json_string(pk->st->name));
	parts = json_object_get(tbl, "partitions");
	for (i = 0; rc == 0 && i < pk->st->npartitions; i++) {
		const struct jobinfo_partition *spart = &pk->st->partitions[i];

		if (!pick_wants(pk, spart->name))
			continue;
		rc = plan_partition(
			&tp, spart,
			keep ? catalog_find_named(parts, spart->name, false)
			     : NULL,
			&p);
		if (rc == 0)
			put_partition(parts, p, spart->name);
	}
out:
	json_decref(tp.index_ids);
	if (rc < 0) {
		json_decref(tbl);
		return rc;
	}
	*out = tbl;
	return 0;
}

void job_restore_plan_table_key(const char *db, const char *table, char *buf,
				size_t len)
{
	snprintf(buf, len, "table/%s/%s", db, table);
}

static int pick_tables(const struct spec *sp, const struct jobinfo *ji,
		       struct pick **out, size_t *nout, char *err,
		       size_t errlen)
{
	struct pick *pk;
	size_t i, j, n = 0;
	char have[256] = "";

	pk = calloc(ji->ntables + sp->ntables + 1, sizeof(*pk));
	if (!pk)
		return -ENOMEM;
	for (i = 0; i < ji->ntables; i++)
		if (strlen(have) + strlen(ji->tables[i].name) + 3 <
		    sizeof(have)) {
			if (have[0])
				strncat(have, ", ", sizeof(have) - 1);
			strncat(have, ji->tables[i].name, sizeof(have) - 1);
		}
	for (i = 0; i < sp->ntables; i++) {
		const struct spec_table *t = &sp->tables[i];
		const struct jobinfo_table *st = ji_table(ji, t->name);

		if (!st) {
			free(pk);
			return job_errf(
				err, errlen, -ENOENT,
				"table \"%s\" is not in snapshot %s (it "
				"holds: %s)",
				t->name, ji->name, have);
		}
		for (j = 0; j < t->npartitions; j++)
			if (!ji_partition(st, t->partitions[j])) {
				free(pk);
				return job_errf(
					err, errlen, -ENOENT,
					"partition \"%s\" is not in table "
					"\"%s\" of snapshot %s",
					t->partitions[j], t->name, ji->name);
			}
		pk[n].st = st;
		pk[n].dst = t->alias ? t->alias : t->name;
		pk[n].parts = t->partitions;
		pk[n].nparts = t->npartitions;
		n++;
	}
	if (sp->ntables == 0 || sp->all_tables)
		for (i = 0; i < ji->ntables; i++) {
			for (j = 0; j < sp->ntables; j++)
				if (strcmp(sp->tables[j].name,
					   ji->tables[i].name) == 0)
					break;
			if (j < sp->ntables)
				continue;
			pk[n].st = &ji->tables[i];
			pk[n].dst = ji->tables[i].name;
			n++;
		}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(pk[i].dst, pk[j].dst) == 0) {
				job_errf(err, errlen, -EINVAL,
					 "two tables would be restored as "
					 "\"%s\"",
					 pk[i].dst);
				free(pk);
				return -EINVAL;
			}
	*out = pk;
	*nout = n;
	return 0;
}

/* Find the snapshot's jobinfo objects a plan tablet came from. */
int job_restore_plan_source(const struct jobinfo *ji, json_t *src,
			    const struct jobinfo_table **tp,
			    const struct jobinfo_index **ip,
			    const struct jobinfo_tablet **bp)
{
	const char *tname = json_string_value(json_object_get(src, "table"));
	const char *iname = json_string_value(json_object_get(src, "index"));
	int64_t part = json_integer_value(json_object_get(src, "part_id"));
	int64_t tab = json_integer_value(json_object_get(src, "tablet"));
	const struct jobinfo_table *t = tname ? ji_table(ji, tname) : NULL;
	size_t i, k, m;

	for (i = 0; t && i < t->npartitions; i++)
		for (k = 0; k < t->partitions[i].nindexes; k++) {
			const struct jobinfo_index *ix =
				&t->partitions[i].indexes[k];

			if (strcmp(ix->name, iname) != 0)
				continue;
			for (m = 0; m < ix->ntablets; m++)
				if (ix->tablets[m].id == tab &&
				    ix->tablets[m].part_id == part) {
					*tp = t;
					*ip = ix;
					*bp = &ix->tablets[m];
					return 0;
				}
		}
	return -ENOENT;
}

/* The job, with its record as PENDING and an empty plan. */
static int new_job(struct jobs *eng, struct catalog_txn *t,
		   const struct spec *sp, const char *db, const char *src_db,
		   struct job **out)
{
	json_t *rec;
	char now[32];
	int64_t id;
	int rc;

	rc = catalog_alloc_ids(t, 1, &id);
	if (rc < 0)
		return rc;
	job_now(now, sizeof(now));
	rec = json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:[], s:s, s:n, "
		"s:n, s:n, s:n, s:i, s:s, s:s, s:s, s:I, s:I, s:[], s:s, s:s}",
		"JobId", (json_int_t)id, "Label", sp->label, "Timestamp",
		sp->backup_timestamp, "DbName", db, "SrcDbName", src_db,
		"State", "PENDING", "AllowLoad", sp->allow_load,
		"ReplicationNum", (int)sp->replication_num, "RestoreObjs",
		"CreateTime", now, "MetaPreparedTime", "SnapshotFinishedTime",
		"DownloadFinishedTime", "FinishedTime", "UnfinishedTasks", 0,
		"Progress", "0/0 files", "TaskErrMsg", "", "Status", "[OK]",
		"Timeout", (json_int_t)sp->timeout_s, "created_at",
		(json_int_t)time(NULL), "plan", "Repository",
		repo_name(eng->repo), "Type", "RESTORE");
	if (!rec)
		return -ENOMEM;
	*out = job_new(eng, id, rec);
	return *out ? 0 : -ENOMEM;
}

/* The database's record, made if this restore creates the database. */
static int ensure_db(struct catalog_txn *t, const char *db)
{
	json_t *dbrec = NULL;
	char key[300];
	int64_t dbid;
	int rc;

	snprintf(key, sizeof(key), "db/%s", db);
	rc = catalog_get(t, key, &dbrec);
	if (rc != -ENOENT) {
		json_decref(dbrec);
		return rc;
	}
	rc = catalog_alloc_ids(t, 1, &dbid);
	if (rc < 0)
		return rc;
	dbrec = json_pack("{s:I, s:s}", "id", (json_int_t)dbid, "name", db);
	rc = dbrec ? catalog_put(t, key, dbrec) : -ENOMEM;
	json_decref(dbrec);
	return rc;
}

/* "t1" or "t1 AS t1copy", as SHOW RESTORE lists RestoreObjs. */
static json_t *restore_obj(const struct pick *pk)
{
	bool as = strcmp(pk->st->name, pk->dst) != 0;

	return json_sprintf("%s%s%s", pk->st->name, as ? " AS " : "",
			    as ? pk->dst : "");
}

/*
 * Plan one picked table into the job's record. A table the job creates
 * appears at once as a shell in state RESTORE: visible, not accessible
 * until the commit.
 */
static int plan_pick(struct ids *ids, const struct spec *sp, struct job *jb,
		     const struct pick *pk, char *err, size_t errlen)
{
	json_t *existing = NULL, *tbl = NULL, *shell;
	unsigned nbe = cluster_nbackends(jb->eng->cl);
	char key[600];
	int rc;

	job_restore_plan_table_key(jb->db, pk->dst, key, sizeof(key));
	rc = catalog_get(ids->t, key, &existing);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = plan_table(ids, sp, nbe, jb->id, jb->db, pk, existing, &tbl, err,
			errlen);
	if (rc < 0)
		goto out;
	rc = json_array_append_new(json_object_get(jb->rec, "plan"),
				   json_pack("{s:s, s:b, s:b, s:o}", "dst",
					     pk->dst, "new", existing == NULL,
					     "whole", pk->parts == NULL,
					     "table", tbl));
	if (rc == 0)
		rc = json_array_append_new(
			json_object_get(jb->rec, "RestoreObjs"),
			restore_obj(pk));
	if (rc < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (existing)
		goto out;
	shell = json_pack("{s:O, s:s, s:s, s:s, s:I, s:[]}", "id",
			  json_object_get(tbl, "id"), "name", pk->dst, "db",
			  jb->db, "state", "RESTORE", "job_id",
			  (json_int_t)jb->id, "partitions");
	rc = shell ? catalog_put(ids->t, key, shell) : -ENOMEM;
	json_decref(shell);
out:
	json_decref(existing);
	return rc;
}

/* The remaining properties, recorded for the status and the commit.
 * Every restore here is atomic (see the file comment), so atomic_restore
 * changes nothing. */
static int set_properties(struct job *jb, const struct spec *sp)
{
	json_t *p = json_pack(
		"{s:b, s:b, s:b, s:b, s:b, s:I}", "atomic_restore",
		sp->atomic_restore, "force_replace", sp->force_replace,
		"clean_tables", sp->clean_tables, "clean_partitions",
		sp->clean_partitions, "reserve_replica", sp->reserve_replica,
		"meta_version", (json_int_t)sp->meta_version);

	return json_object_set_new(jb->rec, "Properties", p) < 0 ? -ENOMEM : 0;
}

/* Plan @jb (holding @w's snapshot) in @t. */
static int plan_job(struct catalog_txn *t, const struct spec *sp,
		    struct job *jb, char *err, size_t errlen)
{
	struct restore_work *w = jb->work;
	struct ids ids = {.t = t};
	struct pick *pk = NULL;
	size_t npk = 0, i;
	int rc;

	/* Say so first if the database is busy (checked again, atomically
	 * with the registration, in job_register()). */
	rc = job_check_busy(jb, err, errlen);
	if (rc == 0)
		rc = pick_tables(sp, w->snap->ji, &pk, &npk, err, errlen);
	if (rc == 0)
		rc = ensure_db(t, jb->db);
	for (i = 0; rc == 0 && i < npk; i++)
		rc = plan_pick(&ids, sp, jb, &pk[i], err, errlen);
	if (rc == 0)
		rc = set_properties(jb, sp);
	free(pk);
	return rc;
}

int job_restore_plan_submit(struct jobs *eng, const struct spec *sp, char *err,
			    size_t errlen, int64_t *job_id)
{
	unsigned nbe = cluster_nbackends(eng->cl);
	struct restore_work *w;
	struct catalog_txn *t = NULL;
	struct job *jb = NULL;
	const char *db;
	int64_t id;
	int rc;

	if (sp->replication_num > nbe)
		return job_errf(err, errlen, -EINVAL,
				"replication_num %u needs %u backends; this "
				"cluster has %u (mount with -o backends=N)",
				sp->replication_num, sp->replication_num, nbe);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	rc = job_restore_plan_load(eng->repo, sp->label, sp->backup_timestamp,
				   &w->label, &w->snap, err, errlen);
	if (rc < 0)
		goto out;
	if (sp->src_db && strcmp(sp->src_db, w->snap->ji->database) != 0) {
		rc = job_errf(err, errlen, -ENOENT,
			      "snapshot %s holds database \"%s\", not \"%s\"",
			      sp->label, w->snap->ji->database, sp->src_db);
		goto out;
	}
	db = sp->db ? sp->db : w->snap->ji->database;
	/* One running job per database, as in Doris: job_register() checks
	 * and registers under one hold of eng->lock. */
	rc = catalog_begin(cluster_catalog(eng->cl), true, &t);
	if (rc == 0)
		rc = new_job(eng, t, sp, db, w->snap->ji->database, &jb);
	if (rc < 0)
		goto out;
	jb->work = w;
	w = NULL;
	rc = plan_job(t, sp, jb, err, errlen);
	if (rc < 0)
		goto out;
	id = jb->id;
	rc = job_register(jb, t, err, errlen);
	jb = NULL;
	t = NULL;
	if (rc < 0)
		goto out;
	snap_log(LOG_INFO, "job %" PRId64 ": RESTORE %s/%s into %s", id,
		 sp->label, sp->backup_timestamp, db);
	if (job_id)
		*job_id = id;
out:
	catalog_abort(t);
	job_free(jb);
	if (w) {
		repo_snapshot_free(w->snap);
		repo_label_free(w->label);
		free(w);
	}
	return rc;
}
