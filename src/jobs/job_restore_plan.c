/* SPDX-License-Identifier: MIT */
/*
 * job_restore_plan.c - RESTORE at submission: find the snapshot, pick its
 * tables, plan every restored table as it will be after the commit (ids,
 * replicas on the backends, the current replica to link unchanged files
 * from), record the plan in the job and register it. The plan's tables
 * are typed records (record.h), kept in the job's record in their PLAN
 * form; a job reads them back when it starts (job_restore_plan_read()).
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

/*
 * The mount calls a snapshot INVALID when its label's __meta does not
 * check out (missing, not matching the MD5 in its name, malformed), and
 * shows no latest for it; a restore refuses it the same way, with the
 * same words, instead of restoring from a snapshot the mount says is bad.
 */
static int meta_ok(struct repo *repo, const struct repo_snapshot *s, char *err,
		   size_t errlen)
{
	char *problem = NULL, *json = NULL;
	size_t len = 0;
	int rc;

	rc = repo_snapshot_meta_json(repo, s, &problem, &json, &len);
	if (rc < 0)
		job_errf(err, errlen, rc,
			 "cannot read the meta of snapshot %s/%s: %s", s->label,
			 s->ts, strerror(-rc));
	else if (problem)
		rc = job_errf(err, errlen, -EINVAL,
			      "snapshot %s/%s is not usable: INVALID: %s",
			      s->label, s->ts, problem);
	free(problem);
	free(json);
	return rc;
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
	rc = meta_ok(repo, s, err, errlen);
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

/* ---- one table -------------------------------------------------------------
 * The plan of one table is a typed catalog record (record.h): the table
 * as it will be after the commit, with ids (kept where the structure is
 * the same, else new), replicas spread over the backends in a new
 * generation, where each tablet comes from in the snapshot, and the
 * current replica to link unchanged files from.
 */

/* Where a plan's new ids come from: catalog ids, taken 1024 at a time. */
struct restore_ids {
	struct catalog_txn *t;
	int64_t next, end;
};

/* A table of the snapshot chosen by the statement, and its name here. */
struct restore_pick {
	const struct jobinfo_table *st;
	const char *dst;
	char **parts; /* NULL: every partition */
	size_t nparts;
};

static int next_id(struct restore_ids *ids, int64_t *out)
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
static bool same_partition(const struct record_partition *ep,
			   const struct jobinfo_partition *sp, char *why,
			   size_t wlen)
{
	const struct record_index *ei;
	size_t i;

	if (ep->nindexes != sp->nindexes) {
		snprintf(why, wlen,
			 "partition %s has %zu indexes, the snapshot %zu",
			 sp->name, ep->nindexes, sp->nindexes);
		return false;
	}
	for (i = 0; i < sp->nindexes; i++) {
		const struct jobinfo_index *si = &sp->indexes[i];

		ei = record_index_find(ep, si->name);
		if (!ei) {
			snprintf(why, wlen, "index %s is not in partition %s",
				 si->name, sp->name);
			return false;
		}
		if (ei->schema_hash != si->schema_hash) {
			snprintf(why, wlen, "index %s has another schema hash",
				 si->name);
			return false;
		}
		if (ei->ntablets != si->ntablets) {
			snprintf(why, wlen,
				 "index %s has %zu tablets in %s, the "
				 "snapshot %zu",
				 si->name, ei->ntablets, sp->name,
				 si->ntablets);
			return false;
		}
	}
	return true;
}

/* Is partition @name of the snapshot table one the statement restores? */
static bool pick_wants(const struct restore_pick *pk, const char *name)
{
	size_t k;

	if (!pk->parts)
		return true;
	for (k = 0; k < pk->nparts; k++)
		if (strcasecmp(pk->parts[k], name) == 0)
			return true;
	return false;
}

/* Does @existing have the structure of the snapshot's table, in every
 * partition the statement restores? If not, @why says where it differs. */
static bool same_table(const struct restore_pick *pk,
		       const struct record_table *existing, char *why,
		       size_t wlen)
{
	const struct record_partition *old;
	size_t i;

	for (i = 0; i < pk->st->npartitions; i++) {
		const struct jobinfo_partition *spart = &pk->st->partitions[i];

		if (!pick_wants(pk, spart->name))
			continue;
		old = record_partition_find(existing, spart->name, false);
		if (old && !same_partition(old, spart, why, wlen))
			return false;
	}
	return true;
}

/* What the planned tablets of one table share. */
struct tplan {
	struct restore_ids *ids;
	const struct spec *sp;
	unsigned nbe; /* backends in the cluster */
	int64_t gen;  /* replica generation: the job's id */
	const struct jobinfo_table *st;
	json_t *index_ids; /* index name -> id, per table */
	size_t seed;	   /* spreads replicas over the backends */
};

/* Replicas on replication_num distinct backends, spread by the seed. */
static int new_replicas(struct tplan *tp, struct record_tablet *tab)
{
	size_t seed = tp->seed++;
	unsigned k;
	int64_t id;
	int rc = 0;

	for (k = 0; rc == 0 && k < tp->sp->replication_num; k++) {
		rc = next_id(tp->ids, &id);
		if (rc == 0 &&
		    !record_tablet_add_replica(
			    tab, id, (unsigned)((seed + k) % tp->nbe), tp->gen))
			rc = -ENOMEM;
	}
	return rc;
}

/* One tablet of @ix: its id (@otab's, or new), new replicas, where it
 * comes from in the snapshot, and the current replica to link unchanged
 * files from. */
static int plan_tablet(struct tplan *tp, const struct jobinfo_index *si,
		       const struct jobinfo_tablet *stab,
		       const struct record_tablet *otab,
		       struct record_index *ix)
{
	/* Copied by record_tablet_set_src(); the casts only let the
	 * snapshot's strings be named there. */
	const struct record_tablet_src src = {
		.table = (char *)tp->st->name,
		.table_id = tp->st->id,
		.part_id = stab->part_id,
		.index = (char *)si->name,
		.index_id = si->id,
		.tablet = stab->id,
	};
	struct record_tablet *tab;
	int64_t id = otab ? otab->id : 0;
	int rc = otab ? 0 : next_id(tp->ids, &id);

	if (rc < 0)
		return rc;
	tab = record_index_add_tablet(ix, id);
	if (!tab)
		return -ENOMEM;
	rc = new_replicas(tp, tab);
	if (rc == 0)
		rc = record_tablet_set_src(tab, &src);
	/* The current replica: files with the same MD5 are linked from it
	 * instead of downloaded. */
	if (rc == 0 && otab && otab->nreplicas > 0)
		rc = record_tablet_set_old(tab, &otab->replicas[0]);
	return rc;
}

/* One index of partition @p, with its tablets (@oix: the current one). */
static int plan_index(struct tplan *tp, const struct jobinfo_index *si,
		      const struct record_index *oix,
		      struct record_partition *p)
{
	json_t *iid = json_object_get(tp->index_ids, si->name);
	struct record_index *ix;
	int64_t id = json_integer_value(iid);
	size_t k;
	int rc = 0;

	if (!iid) {
		rc = next_id(tp->ids, &id);
		if (rc == 0 && json_object_set_new(tp->index_ids, si->name,
						   json_integer(id)) < 0)
			rc = -ENOMEM;
		if (rc < 0)
			return rc;
	}
	ix = record_partition_add_index(p, id, si->name, si->schema_hash);
	if (!ix)
		return -ENOMEM;
	for (k = 0; rc == 0 && k < si->ntablets; k++)
		rc = plan_tablet(
			tp, si, &si->tablets[k],
			oix && k < oix->ntablets ? &oix->tablets[k] : NULL, ix);
	return rc;
}

/*
 * The committed form of one restored partition, built on its own into
 * @p. Ids come from @old (same structure: keep them) or are new.
 */
static int plan_partition(struct tplan *tp,
			  const struct jobinfo_partition *spart,
			  const struct record_partition *old,
			  struct record_partition *p)
{
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = record_set_str(&p->name, spart->name);
	p->version = spart->version;
	p->restored = true;
	if (rc == 0 && old)
		p->id = old->id;
	else if (rc == 0)
		rc = next_id(tp->ids, &p->id);
	for (i = 0; rc == 0 && i < spart->nindexes; i++)
		rc = plan_index(
			tp, &spart->indexes[i],
			old ? record_index_find(old, spart->indexes[i].name)
			    : NULL,
			p);
	if (rc < 0)
		record_partition_release(p);
	return rc;
}

/* The table before its restored partitions go in: @existing, taken over
 * with its index ids (@keep), or a new table. */
static int table_base(struct tplan *tp, const char *db, const char *dst,
		      struct record_table *existing, bool keep,
		      struct record_table *out)
{
	const struct record_index *ix;
	size_t i, k;
	int64_t id;
	int rc;

	if (!keep) {
		rc = next_id(tp->ids, &id);
		return rc < 0 ? rc : record_table_init(out, id, db, dst);
	}
	*out = *existing;
	memset(existing, 0, sizeof(*existing));
	/* Index ids are per table: reuse the existing ones. */
	for (i = 0; i < out->nparts; i++)
		for (k = 0; k < out->parts[i].nindexes; k++) {
			ix = &out->parts[i].indexes[k];
			if (json_object_set_new(tp->index_ids, ix->name,
						json_integer(ix->id)) < 0) {
				record_table_release(out);
				return -ENOMEM;
			}
		}
	return 0;
}

/* Plan every partition of the snapshot's table that the statement
 * restores into @tbl, each in place of the one of its name. */
static int plan_partitions(struct tplan *tp, const struct restore_pick *pk,
			   bool keep, struct record_table *tbl)
{
	struct record_partition p, *cur;
	size_t i, pos;
	int rc = 0;

	for (i = 0; rc == 0 && i < pk->st->npartitions; i++) {
		const struct jobinfo_partition *spart = &pk->st->partitions[i];

		if (!pick_wants(pk, spart->name))
			continue;
		cur = record_partition_find(tbl, spart->name, false);
		pos = cur ? (size_t)(cur - tbl->parts) : tbl->nparts;
		rc = plan_partition(tp, spart, keep ? cur : NULL, &p);
		if (rc == 0) {
			rc = record_table_set_partition(tbl, pos, &p);
			if (rc < 0)
				record_partition_release(&p);
		}
	}
	return rc;
}

/*
 * Plan one table: the record it will have after the commit, with the
 * plan marks (the partitions it restores; each tablet's current replica).
 * Same structure as @existing (the current record, or NULL): overwritten
 * in place, keeping ids, and @existing is taken over (left zeroed);
 * different: only with force_replace, as a new table.
 * @return 0 and *out; -EEXIST a different structure (err says where);
 *         -ENOMEM; -errno from the catalog's id allocation.
 */
static int plan_table(struct restore_ids *ids, const struct spec *sp,
		      unsigned nbe, int64_t gen, const char *db,
		      const struct restore_pick *pk,
		      struct record_table *existing, struct record_table *out,
		      char *err, size_t errlen)
{
	struct tplan tp = {.ids = ids,
			   .sp = sp,
			   .nbe = nbe,
			   .gen = gen,
			   .st = pk->st,
			   .index_ids = json_object()};
	struct record_table tbl = {0};
	char why[256] = "";
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
	tbl.state = RECORD_TABLE_NORMAL;
	rc = record_set_str(&tbl.source_table, pk->st->name);
	if (rc == 0)
		rc = plan_partitions(&tp, pk, keep, &tbl);
out:
	json_decref(tp.index_ids);
	if (rc < 0) {
		record_table_release(&tbl);
		return rc;
	}
	*out = tbl;
	return 0;
}

/* ---- the plan --------------------------------------------------------------
 */

static int pick_tables(const struct spec *sp, const struct jobinfo *ji,
		       struct restore_pick **out, size_t *nout, char *err,
		       size_t errlen)
{
	struct restore_pick *pk;
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
int job_restore_plan_source(const struct jobinfo *ji,
			    const struct record_tablet_src *src,
			    const struct jobinfo_table **tp,
			    const struct jobinfo_index **ip,
			    const struct jobinfo_tablet **bp)
{
	const struct jobinfo_table *t = src ? ji_table(ji, src->table) : NULL;
	size_t i, k, m;

	for (i = 0; t && i < t->npartitions; i++)
		for (k = 0; k < t->partitions[i].nindexes; k++) {
			const struct jobinfo_index *ix =
				&t->partitions[i].indexes[k];

			if (strcmp(ix->name, src->index) != 0)
				continue;
			for (m = 0; m < ix->ntablets; m++)
				if (ix->tablets[m].id == src->tablet &&
				    ix->tablets[m].part_id == src->part_id) {
					*tp = t;
					*ip = ix;
					*bp = &ix->tablets[m];
					return 0;
				}
		}
	return -ENOENT;
}

/* ---- the plan in the job's record ------------------------------------------
 */

int job_restore_plan_read(struct job *jb)
{
	struct restore_work *w = jb->work;
	json_t *plan, *pt;
	char what[64];
	size_t i, n;
	int rc = 0;

	if (w->plan)
		return 0;
	snprintf(what, sizeof(what), "the plan of job %" PRId64, jb->id);
	pthread_mutex_lock(&jb->eng->lock);
	plan = json_object_get(jb->rec, "plan");
	n = json_array_size(plan);
	w->plan = calloc(n ? n : 1, sizeof(*w->plan));
	if (!w->plan)
		rc = -ENOMEM;
	json_array_foreach (plan, i, pt) {
		if (rc < 0)
			break;
		rc = record_table_from_json(json_object_get(pt, "table"), what,
					    &w->plan[i].tbl);
		if (rc == 0) {
			w->plan[i].whole =
				json_is_true(json_object_get(pt, "whole"));
			w->nplan++;
		}
	}
	pthread_mutex_unlock(&jb->eng->lock);
	return rc;
}

int job_restore_plan_write(struct job *jb)
{
	struct restore_work *w = jb->work;
	json_t **tables = calloc(w->nplan ? w->nplan : 1, sizeof(*tables));
	json_t *plan;
	size_t i;
	int rc = tables ? 0 : -ENOMEM;

	/* Encoded first, so the record changes all at once or not at all. */
	for (i = 0; rc == 0 && i < w->nplan; i++)
		rc = record_table_to_json(&w->plan[i].tbl, RECORD_JSON_PLAN,
					  &tables[i]);
	pthread_mutex_lock(&jb->eng->lock);
	plan = json_object_get(jb->rec, "plan");
	for (i = 0; rc == 0 && i < w->nplan; i++) {
		json_object_set_new(json_array_get(plan, i), "table",
				    tables[i]);
		tables[i] = NULL;
	}
	pthread_mutex_unlock(&jb->eng->lock);
	for (i = 0; tables && i < w->nplan; i++)
		json_decref(tables[i]);
	free(tables);
	return rc;
}

void job_restore_plan_free(struct restore_work *w)
{
	size_t i;

	for (i = 0; i < w->nplan; i++)
		record_table_release(&w->plan[i].tbl);
	free(w->plan);
	w->plan = NULL;
	w->nplan = 0;
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
	struct record_db rec = {0};
	int rc;

	rc = record_db_get(t, db, &rec);
	record_db_release(&rec);
	if (rc != -ENOENT)
		return rc;
	rc = catalog_alloc_ids(t, 1, &rec.id);
	if (rc < 0)
		return rc;
	rc = record_set_str(&rec.name, db);
	if (rc == 0)
		rc = record_db_put(t, &rec);
	record_db_release(&rec);
	return rc;
}

/* "t1" or "t1 AS t1copy", as SHOW RESTORE lists RestoreObjs. */
static json_t *restore_obj(const struct restore_pick *pk)
{
	bool as = strcmp(pk->st->name, pk->dst) != 0;

	return json_sprintf("%s%s%s", pk->st->name, as ? " AS " : "",
			    as ? pk->dst : "");
}

/* A new table's shell: visible in state RESTORE, not accessible until
 * the commit, and known as this job's (job_id) so a cancel drops it. */
static int put_shell(struct catalog_txn *t, const struct job *jb,
		     const struct record_table *tbl)
{
	struct record_table shell;
	int rc = record_table_init(&shell, tbl->id, jb->db, tbl->name);

	if (rc < 0)
		return rc;
	shell.state = RECORD_TABLE_RESTORE;
	shell.job_id = jb->id;
	rc = record_table_put(t, &shell);
	record_table_release(&shell);
	return rc;
}

/*
 * Plan one picked table into the job's record: the plan entry is the
 * job's own {"dst", "new", "whole"} around the table in record.h's PLAN
 * form. A table the job creates appears at once as a shell.
 */
static int plan_pick(struct restore_ids *ids, const struct spec *sp,
		     struct job *jb, const struct restore_pick *pk, char *err,
		     size_t errlen)
{
	struct record_table existing = {0}, tbl = {0};
	unsigned nbe = cluster_nbackends(jb->eng->cl);
	json_t *j = NULL;
	bool exists;
	int rc;

	rc = record_table_get(ids->t, jb->db, pk->dst, &existing);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	exists = rc == 0;
	rc = plan_table(ids, sp, nbe, jb->id, jb->db, pk,
			exists ? &existing : NULL, &tbl, err, errlen);
	if (rc == 0)
		rc = record_table_to_json(&tbl, RECORD_JSON_PLAN, &j);
	if (rc < 0)
		goto out;
	rc = json_array_append_new(json_object_get(jb->rec, "plan"),
				   json_pack("{s:s, s:b, s:b, s:o}", "dst",
					     pk->dst, "new", !exists, "whole",
					     pk->parts == NULL, "table", j));
	if (rc == 0)
		rc = json_array_append_new(
			json_object_get(jb->rec, "RestoreObjs"),
			restore_obj(pk));
	if (rc < 0)
		rc = -ENOMEM;
	else if (!exists)
		rc = put_shell(ids->t, jb, &tbl);
out:
	record_table_release(&tbl);
	record_table_release(&existing);
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
	struct restore_ids ids = {.t = t};
	struct restore_pick *pk = NULL;
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
