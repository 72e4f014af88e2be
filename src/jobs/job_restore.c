/* SPDX-License-Identifier: MIT */
/*
 * job_restore.c - RESTORE: the plan made at submission, then
 * SNAPSHOTING (empty replica directories), DOWNLOAD (list what to fetch),
 * DOWNLOADING (fetch and MD5-check, in parallel), COMMIT/COMMITTING (one
 * catalog transaction switches every restored table and marks FINISHED).
 *
 * Unlike Doris, an overwrite never touches the table's current data: new
 * replica generations are written beside it and the commit swaps the
 * catalog to them, so a failure or cancel at any point leaves the table
 * exactly as it was.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "base/base.h"
#include "jobs_int.h"
#include "repo/repo.h"
#include "spec.h"
#include "store/store.h"

#include "base/banned.h"

/* One tablet to download, flattened out of the plan. */
struct rtab {
	json_t *tablet;		 /* borrowed from the plan */
	struct repo_file *files; /* from one listing of the repo tablet */
	size_t nfiles;
};

struct restore_work {
	struct repo_label *label;
	struct repo_snapshot *snap;
	struct rtab *tabs;
	size_t ntabs;
	atomic_size_t next; /* next tablet for a download thread */
};

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

static int load_snapshot(struct repo *repo, const char *label, const char *ts,
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

/* Replicas on @n distinct backends, spread by @seed. */
static json_t *new_replicas(struct ids *ids, unsigned n, unsigned nbe,
			    size_t seed, int64_t gen)
{
	json_t *arr = json_array();
	unsigned k;
	int64_t id;

	for (k = 0; arr && k < n; k++) {
		if (next_id(ids, &id) < 0) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_pack("{s:I, s:i, s:I}", "id",
						     (json_int_t)id, "backend",
						     (int)((seed + k) % nbe),
						     "gen", (json_int_t)gen));
	}
	return arr;
}

/*
 * Build the committed form of one restored partition. Ids come from @old
 * (same structure: keep them) or are new.
 */
static json_t *plan_partition(struct ids *ids, const struct spec *sp,
			      unsigned nbe, int64_t gen,
			      const struct jobinfo_table *st,
			      const struct jobinfo_partition *spart,
			      json_t *old, json_t *index_ids, size_t *seed)
{
	json_t *p, *idxs, *ix, *tabs, *tab, *oix, *otab;
	int64_t id;
	size_t i, k;

	idxs = json_array();
	p = json_pack("{s:s, s:I, s:o}", "name", spart->name, "version",
		      (json_int_t)spart->version, "indexes", idxs);
	if (!p)
		return NULL;
	if (old)
		id = json_integer_value(json_object_get(old, "id"));
	else if (next_id(ids, &id) < 0)
		goto fail;
	json_object_set_new(p, "id", json_integer(id));
	for (i = 0; i < spart->nindexes; i++) {
		const struct jobinfo_index *si = &spart->indexes[i];
		json_t *iid = json_object_get(index_ids, si->name);

		oix = old ? catalog_find_named(json_object_get(old, "indexes"),
					       si->name, false)
			  : NULL;
		if (!iid) {
			if (next_id(ids, &id) < 0)
				goto fail;
			iid = json_integer(id);
			json_object_set_new(index_ids, si->name, iid);
		}
		tabs = json_array();
		ix = json_pack("{s:s, s:O, s:i, s:o}", "name", si->name, "id",
			       iid, "schema_hash", (int)si->schema_hash,
			       "tablets", tabs);
		if (!ix || json_array_append_new(idxs, ix) < 0)
			goto fail;
		for (k = 0; k < si->ntablets; k++) {
			const struct jobinfo_tablet *stab = &si->tablets[k];
			json_t *reps;

			otab = oix ? json_array_get(
					     json_object_get(oix, "tablets"), k)
				   : NULL;
			if (otab)
				id = json_integer_value(
					json_object_get(otab, "id"));
			else if (next_id(ids, &id) < 0)
				goto fail;
			reps = new_replicas(ids, sp->replication_num, nbe,
					    (*seed)++, gen);
			tab = json_pack(
				"{s:I, s:o, s:{s:s, s:I, s:I, s:s, s:I, s:I}}",
				"id", (json_int_t)id, "replicas", reps, "src",
				"table", st->name, "table_id",
				(json_int_t)st->id, "part_id",
				(json_int_t)stab->part_id, "index", si->name,
				"index_id", (json_int_t)si->id, "tablet",
				(json_int_t)stab->id);
			if (!tab)
				goto fail;
			/* The current replica: files with the same MD5 are
			 * linked from it instead of downloaded. */
			if (otab) {
				json_t *orep = json_array_get(
					json_object_get(otab, "replicas"), 0);

				if (orep)
					json_object_set(tab, "old", orep);
			}
			if (json_array_append_new(tabs, tab) < 0)
				goto fail;
		}
	}
	return p;
fail:
	json_decref(p);
	return NULL;
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

/*
 * Plan one table: the record it will have after the commit. @existing is
 * the current record or NULL.
 */
static int plan_table(struct ids *ids, const struct spec *sp, unsigned nbe,
		      int64_t gen, const char *db, const struct pick *pk,
		      json_t *existing, json_t **out, char *err, size_t errlen)
{
	json_t *tbl = NULL, *parts, *index_ids, *p, *old;
	char why[256];
	size_t i, seed = 0;
	int64_t id;
	bool keep = existing != NULL;
	int rc = 0;

	/* Same structure: overwrite in place (keeping ids); different:
	 * only with force_replace, as a new table replacing the old. */
	if (existing) {
		for (i = 0; i < pk->st->npartitions && keep; i++) {
			const struct jobinfo_partition *spart =
				&pk->st->partitions[i];
			if (!pick_wants(pk, spart->name))
				continue;
			old = catalog_find_named(
				json_object_get(existing, "partitions"),
				spart->name, false);
			if (old &&
			    !same_partition(old, spart, why, sizeof(why)))
				keep = false;
		}
		if (!keep && !sp->force_replace)
			return job_errf(
				err, errlen, -EEXIST,
				"table %s.%s exists with a different "
				"structure (%s); add \"force_replace\" = "
				"\"true\" to replace it",
				db, pk->dst, why);
	}
	if (keep) {
		tbl = json_deep_copy(existing);
		index_ids = json_object();
		/* Index ids are per table: reuse the existing ones. */
		json_array_foreach (json_object_get(tbl, "partitions"), i, p) {
			json_t *ix;
			size_t k;

			json_array_foreach (json_object_get(p, "indexes"), k,
					    ix)
				json_object_set(
					index_ids,
					json_string_value(
						json_object_get(ix, "name")),
					json_object_get(ix, "id"));
		}
	} else {
		if (next_id(ids, &id) < 0)
			return -ENOMEM;
		tbl = json_pack("{s:I, s:s, s:s, s:[]}", "id", (json_int_t)id,
				"name", pk->dst, "db", db, "partitions");
		index_ids = json_object();
	}
	if (!tbl || !index_ids) {
		rc = -ENOMEM;
		goto out;
	}
	json_object_set_new(tbl, "state", json_string("NORMAL"));
	json_object_set_new(tbl, "source_table", json_string(pk->st->name));
	parts = json_object_get(tbl, "partitions");
	for (i = 0; i < pk->st->npartitions; i++) {
		const struct jobinfo_partition *spart = &pk->st->partitions[i];
		size_t pos;

		if (!pick_wants(pk, spart->name))
			continue;
		old = keep ? catalog_find_named(parts, spart->name, false)
			   : NULL;
		p = plan_partition(ids, sp, nbe, gen, pk->st, spart, old,
				   index_ids, &seed);
		if (!p) {
			rc = -ENOMEM;
			goto out;
		}
		json_object_set_new(p, "restored", json_true());
		if (old) {
			json_array_foreach (parts, pos, old)
				if (old == catalog_find_named(
						   parts, spart->name, false))
					break;
			json_array_set_new(parts, pos, p);
		} else {
			json_array_append_new(parts, p);
		}
	}
out:
	json_decref(index_ids);
	if (rc < 0) {
		json_decref(tbl);
		return rc;
	}
	*out = tbl;
	return 0;
}

static void table_key(const char *db, const char *table, char *buf, size_t len)
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

int job_restore_submit(struct jobs *eng, const struct spec *sp, char *err,
		       size_t errlen, int64_t *job_id)
{
	struct repo_label *l = NULL;
	struct repo_snapshot *s = NULL;
	struct catalog_txn *t = NULL;
	struct ids ids = {0};
	struct pick *pk = NULL;
	json_t *rec = NULL, *plan, *objs, *existing, *tbl = NULL, *dbrec = NULL;
	const char *db;
	char key[600], now[32];
	struct job *jb = NULL, *other;
	unsigned nbe = cluster_nbackends(eng->cl);
	size_t npk = 0, i;
	int64_t id;
	int rc;

	if (strcmp(sp->repo, repo_name(eng->repo)) != 0)
		return job_errf(
			err, errlen, -ENOENT,
			"repository \"%s\" is not the mounted repository "
			"\"%s\"",
			sp->repo, repo_name(eng->repo));
	if (sp->replication_num > nbe)
		return job_errf(err, errlen, -EINVAL,
				"replication_num %u needs %u backends; this "
				"cluster has %u (mount with -o backends=N)",
				sp->replication_num, sp->replication_num, nbe);
	rc = load_snapshot(eng->repo, sp->label, sp->backup_timestamp, &l, &s,
			   err, errlen);
	if (rc < 0)
		return rc;
	if (sp->src_db && strcmp(sp->src_db, s->ji->database) != 0) {
		rc = job_errf(err, errlen, -ENOENT,
			      "snapshot %s holds database \"%s\", not \"%s\"",
			      sp->label, s->ji->database, sp->src_db);
		goto out;
	}
	db = sp->db ? sp->db : s->ji->database;
	/* Say so first if the database is busy (checked again, atomically
	 * with the registration, below). */
	pthread_mutex_lock(&eng->lock);
	other = job_running_for_db_locked(eng, db);
	if (other)
		rc = job_errf(
			err, errlen, -EBUSY,
			"database \"%s\" has a running job %" PRId64
			" (%s, state %s); wait for it or CANCEL RESTORE "
			"FROM %s",
			db, other->id,
			json_string_value(json_object_get(other->rec, "Label")),
			job_state_name(other->state), db);
	pthread_mutex_unlock(&eng->lock);
	if (rc < 0)
		goto out;
	rc = pick_tables(sp, s->ji, &pk, &npk, err, errlen);
	if (rc < 0)
		goto out;

	/* One running job per database, as in Doris. The check and the
	 * job's registration happen under one hold of eng->lock below. */
	rc = catalog_begin(cluster_catalog(eng->cl), true, &t);
	if (rc < 0)
		goto out;
	ids.t = t;
	rc = catalog_alloc_ids(t, 1, &id);
	if (rc < 0)
		goto out;
	plan = json_array();
	objs = json_array();
	job_now(now, sizeof(now));
	rec = json_pack(
		"{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:o, s:s, s:n, "
		"s:n, s:n, s:n, s:i, s:s, s:s, s:s, s:I, s:I, s:o, s:s, s:s}",
		"JobId", (json_int_t)id, "Label", sp->label, "Timestamp",
		sp->backup_timestamp, "DbName", db, "SrcDbName",
		s->ji->database, "State", "PENDING", "AllowLoad",
		sp->allow_load, "ReplicationNum", (int)sp->replication_num,
		"RestoreObjs", objs, "CreateTime", now, "MetaPreparedTime",
		"SnapshotFinishedTime", "DownloadFinishedTime", "FinishedTime",
		"UnfinishedTasks", 0, "Progress", "0/0 files", "TaskErrMsg", "",
		"Status", "[OK]", "Timeout", (json_int_t)sp->timeout_s,
		"created_at", (json_int_t)time(NULL), "plan", plan,
		"Repository", repo_name(eng->repo), "Type", "RESTORE");
	if (!rec || !plan || !objs) {
		rc = -ENOMEM;
		goto out;
	}
	jb = job_new(eng, id, json_incref(rec));
	if (!jb) {
		json_decref(rec);
		rc = -ENOMEM;
		goto out;
	}
	jb->holds = calloc(npk + 1, sizeof(char *));
	if (!jb->holds) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(key, sizeof(key), "db/%s", db);
	if (catalog_get(t, key, &dbrec) == -ENOENT) {
		int64_t dbid;

		rc = catalog_alloc_ids(t, 1, &dbid);
		if (rc < 0)
			goto out;
		dbrec = json_pack("{s:I, s:s}", "id", (json_int_t)dbid, "name",
				  db);
		rc = dbrec ? catalog_put(t, key, dbrec) : -ENOMEM;
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < npk; i++) {
		existing = NULL;
		table_key(db, pk[i].dst, key, sizeof(key));
		rc = catalog_get(t, key, &existing);
		if (rc < 0 && rc != -ENOENT)
			goto out;
		rc = plan_table(&ids, sp, nbe, id, db, &pk[i], existing, &tbl,
				err, errlen);
		if (rc < 0) {
			json_decref(existing);
			goto out;
		}
		json_array_append_new(plan, json_pack("{s:s, s:b, s:b, s:o}",
						      "dst", pk[i].dst, "new",
						      existing == NULL, "whole",
						      pk[i].parts == NULL,
						      "table", tbl));
		json_array_append_new(
			objs,
			json_sprintf(
				"%s%s%s", pk[i].st->name,
				strcmp(pk[i].st->name, pk[i].dst) ? " AS " : "",
				strcmp(pk[i].st->name, pk[i].dst) ? pk[i].dst
								  : ""));
		if (!existing) {
			/* Visible at once, not accessible until commit. */
			json_t *shell = json_pack(
				"{s:O, s:s, s:s, s:s, s:I, s:[]}", "id",
				json_object_get(tbl, "id"), "name", pk[i].dst,
				"db", db, "state", "RESTORE", "job_id",
				(json_int_t)id, "partitions");
			rc = shell ? catalog_put(t, key, shell) : -ENOMEM;
			json_decref(shell);
			if (rc < 0)
				goto out;
		}
		/* Held until the job ends: no hand-made writes into it. */
		jb->holds[jb->nholds] = strdup(pk[i].dst);
		if (!jb->holds[jb->nholds++]) {
			rc = -ENOMEM;
			goto out;
		}
		json_decref(existing);
	} /* The remaining properties, recorded for the status and the commit.
	   * Every restore here is atomic (see the file comment), so
	   * atomic_restore changes nothing. */
	json_object_set_new(
		rec, "Properties",
		json_pack("{s:b, s:b, s:b, s:b, s:b, s:I}", "atomic_restore",
			  sp->atomic_restore, "force_replace",
			  sp->force_replace, "clean_tables", sp->clean_tables,
			  "clean_partitions", sp->clean_partitions,
			  "reserve_replica", sp->reserve_replica,
			  "meta_version", (json_int_t)sp->meta_version));
	job_key(id, key, sizeof(key));
	rc = catalog_put(t, key, rec);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&eng->lock);
	other = job_running_for_db_locked(eng, db);
	if (other) {
		rc = job_errf(
			err, errlen, -EBUSY,
			"database \"%s\" has a running job %" PRId64
			" (%s, state %s); wait for it or CANCEL RESTORE "
			"FROM %s",
			db, other->id,
			json_string_value(json_object_get(other->rec, "Label")),
			job_state_name(other->state), db);
		pthread_mutex_unlock(&eng->lock);
		goto out;
	}
	rc = catalog_commit(t);
	t = NULL;
	if (rc == 0) {
		/* Registered under the same hold as the check above. */
		jb->next = eng->list;
		eng->list = jb;
		jb->linked = true;
		jb->running = true;
	}
	pthread_mutex_unlock(&eng->lock);
	if (rc < 0)
		goto out;
	jb->work = calloc(1, sizeof(*jb->work));
	if (jb->work) {
		jb->work->label = l;
		jb->work->snap = s;
		l = NULL;
		s = NULL;
	}
	snap_log(LOG_INFO, "job %" PRId64 ": RESTORE %s/%s into %s", id,
		 sp->label, sp->backup_timestamp, db);
	if (job_id)
		*job_id = id;
	rc = job_spawn(jb); /* on failure it stays linked, not running */
	jb = NULL;
out:
	catalog_abort(t);
	json_decref(rec);
	json_decref(dbrec);
	free(pk);
	repo_snapshot_free(s);
	repo_label_free(l);
	if (jb) {
		json_decref(jb->rec);
		job_restore_release(jb);
		free(jb);
	}
	return rc;
}

/* ---- running ------------------------------------------------------------- */

void job_restore_release(struct job *jb)
{
	struct restore_work *w = jb->work;
	size_t i;

	for (i = 0; i < jb->nholds; i++)
		free(jb->holds[i]);
	free(jb->holds);
	jb->holds = NULL;
	if (!w)
		return;
	for (i = 0; i < w->ntabs; i++)
		repo_files_free(w->tabs[i].files, w->tabs[i].nfiles);
	free(w->tabs);
	repo_snapshot_free(w->snap);
	repo_label_free(w->label);
	free(w);
	jb->work = NULL;
}

bool job_restore_holds_locked(const struct job *jb, const char *table)
{
	size_t i;

	if (jb->state == JOB_FINISHED || jb->state == JOB_CANCELLED)
		return false;
	for (i = 0; i < jb->nholds; i++)
		if (strcmp(jb->holds[i], table) == 0)
			return true;
	return false;
}

void job_progress_to_rec_locked(struct job *jb)
{
	uint64_t fd = atomic_load(&jb->files_done);
	uint64_t bd = atomic_load(&jb->bytes_done);

	if (jb->files_total == 0 && jb->state < JOB_DOWNLOADING)
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
		jb->rec,
		jb->kind == JOB_KIND_BACKUP ? "FilesUploaded"
					    : "FilesDownloaded",
		json_integer((json_int_t)atomic_load(&jb->files_fetched)));
	json_object_set_new(
		jb->rec, "FilesReused",
		json_integer((json_int_t)atomic_load(&jb->files_reused)));
	if (jb->kind == JOB_KIND_BACKUP)
		json_object_set_new(jb->rec, "FilesCopied",
				    json_integer((json_int_t)atomic_load(
					    &jb->files_copied)));
}

/* Every tablet of the plan, in plan order. */
static int flatten(struct job *jb)
{
	struct restore_work *w = jb->work;
	json_t *pt, *p, *ix, *tab;
	size_t a, b, c, d, n = 0, cap = 0;

	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt)
		json_array_foreach (
			json_object_get(json_object_get(pt, "table"),
					"partitions"),
			b, p) {
			if (!json_is_true(json_object_get(p, "restored")))
				continue;
			json_array_foreach (json_object_get(p, "indexes"), c,
					    ix)
				json_array_foreach (
					json_object_get(ix, "tablets"), d,
					tab) {
					if (n == cap) {
						struct rtab *v;

						cap = cap ? cap * 2 : 64;
						v = realloc(w->tabs,
							    cap * sizeof(*v));
						if (!v)
							return -ENOMEM;
						w->tabs = v;
					}
					w->tabs[n++] =
						(struct rtab){.tablet = tab};
					w->ntabs = n;
				}
		}
	return 0;
}

static int replica_dir(struct job *jb, json_t *rep, int64_t tablet, char *buf,
		       size_t len)
{
	return cluster_replica_dir(
		jb->eng->cl,
		(unsigned)json_integer_value(json_object_get(rep, "backend")),
		tablet, json_integer_value(json_object_get(rep, "id")),
		json_integer_value(json_object_get(rep, "gen")), buf, len);
}

static int do_snapshoting(struct job *jb)
{
	struct restore_work *w = jb->work;
	char dir[PATH_MAX];
	json_t *rep;
	size_t i, k;
	int rc;

	for (i = 0; i < w->ntabs; i++) {
		json_t *tab = w->tabs[i].tablet;
		int64_t tid = json_integer_value(json_object_get(tab, "id"));

		json_array_foreach (json_object_get(tab, "replicas"), k, rep) {
			rc = replica_dir(jb, rep, tid, dir, sizeof(dir));
			if (rc == 0)
				rc = cluster_make_replica(
					jb->eng->cl,
					(unsigned)json_integer_value(
						json_object_get(rep,
								"backend")),
					tid,
					json_integer_value(
						json_object_get(rep, "id")),
					json_integer_value(
						json_object_get(rep, "gen")));
			if (rc < 0) {
				snap_log(LOG_ERR,
					 "job %" PRId64 ": mkdir %s: %s",
					 jb->id, dir, strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

/* Find the snapshot's jobinfo objects a plan tablet came from. */
static int src_of(const struct jobinfo *ji, json_t *src,
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

/* Objects in a snapshot's __ss_content/, counted from its info (files
 * the info doesn't list, as StarRocks writes, count as 3 per tablet). */
static size_t snapshot_files(const struct jobinfo *ji)
{
	size_t n = 0, a, b, c, d;

	for (a = 0; a < ji->ntables; a++)
		for (b = 0; b < ji->tables[a].npartitions; b++)
			for (c = 0; c < ji->tables[a].partitions[b].nindexes;
			     c++) {
				const struct jobinfo_index *ix =
					&ji->tables[a].partitions[b].indexes[c];

				for (d = 0; d < ix->ntablets; d++)
					n += ix->tablets[d].nfiles
						     ? ix->tablets[d].nfiles
						     : 3;
			}
	return n;
}

static int do_download_list(struct job *jb)
{
	struct restore_work *w = jb->work;
	const struct jobinfo_table *t;
	const struct jobinfo_index *ix;
	const struct jobinfo_tablet *tb;
	struct repo_listing *l = NULL;
	uint64_t files = 0, bytes = 0;
	size_t i, k;
	int rc = 0;

	/* Remote: one flat listing of the snapshot (a request per 1000
	 * objects) where that is fewer requests than one per tablet. */
	if (store_can(repo_store(jb->eng->repo), STORE_CAP_REMOTE) &&
	    w->ntabs > 1 && w->ntabs * 1000 > snapshot_files(w->snap->ji)) {
		rc = repo_listing_load(jb->eng->repo, w->snap, &l);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < w->ntabs; i++) {
		rc = src_of(w->snap->ji,
			    json_object_get(w->tabs[i].tablet, "src"), &t, &ix,
			    &tb);
		if (rc < 0) {
			job_request_cancel(jb, "error",
					   "a planned tablet is not in the "
					   "snapshot any more");
			break;
		}
		rc = repo_tablet_files_in(jb->eng->repo, w->snap, l, t, ix, tb,
					  &w->tabs[i].files,
					  &w->tabs[i].nfiles);
		if (rc < 0)
			break;
		for (k = 0; k < w->tabs[i].nfiles; k++) {
			files++;
			bytes += w->tabs[i].files[k].size;
		}
		if (job_should_stop(jb)) {
			rc = -ECANCELED;
			break;
		}
	}
	repo_listing_free(l);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&jb->eng->lock);
	jb->files_total = files;
	jb->bytes_total = bytes;
	pthread_mutex_unlock(&jb->eng->lock);
	return 0;
}

/* Copy a local file (replicas on different filesystems). */
/* Is @name with @md5 in the old replica's file list? */
static bool old_has(json_t *old, const char *name, const char *md5)
{
	json_t *f;
	size_t i;

	json_array_foreach (json_object_get(old, "files"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "name")),
			   name) == 0 &&
		    strcmp(json_string_value(json_object_get(f, "md5")), md5) ==
			    0)
			return true;
	}
	return false;
}

/* Download one object into @path, checking its MD5 as it streams. */
static int fetch(struct job *jb, const struct repo_file *f, const char *path)
{
	struct store *st = repo_store(jb->eng->repo);
	char tmp[PATH_MAX], hex[MD5_HEX_LEN + 1], msg[1024];
	/* Remote: one request per file up to 8 MiB. */
	const size_t chunk =
		store_can(st, STORE_CAP_REMOTE) ? 8 << 20 : 1 << 20;
	struct md5 *m = NULL;
	uint64_t off = 0;
	char *buf;
	size_t n;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.part", path);
	buf = malloc(chunk);
	rc = buf ? md5_new(&m) : -ENOMEM;
	if (rc < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		rc = store_read(st, f->key, off, buf, chunk, &n);
		if (rc < 0) {
			/* Name the object and what the store said. */
			char what[1024];

			snprintf(what, sizeof(what), "download %s", f->key);
			store_explain(rc, what, msg, sizeof(msg));
			snap_log(LOG_ERR, "job %" PRId64 ": %s", jb->id, msg);
			job_request_cancel(jb, "error", msg);
			break;
		}
		if (n == 0)
			break;
		md5_update(m, buf, n);
		if (write(fd, buf, n) != (ssize_t)n) {
			rc = -EIO;
			break;
		}
		off += n;
		atomic_fetch_add(&jb->bytes_done, n);
		if (job_should_stop(jb)) {
			rc = -ECANCELED;
			break;
		}
		if (n < chunk || (f->present && off >= f->size))
			break; /* the end of the object: don't ask past it */
	} /* On disk before it gets its final name: the commit may follow. */
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		goto out;
	md5_final_hex(m, hex);
	if (strcmp(hex, f->md5) != 0) {
		snprintf(msg, sizeof(msg),
			 "file %s: content MD5 %s does not match %s in its "
			 "object name",
			 f->key, hex, f->md5);
		snap_log(LOG_ERR, "job %" PRId64 ": %s", jb->id, msg);
		job_request_cancel(jb, "error", msg);
		rc = -EBADMSG;
		goto out;
	}
	if (rename(tmp, path) < 0)
		rc = -errno;
out:
	if (rc < 0)
		unlink(tmp);
	md5_free(m);
	free(buf);
	return rc;
}

/*
 * The name a file gets in the local tablet: as the Doris BE does on
 * restore, the tablet meta "<source tablet>.hdr" becomes
 * "<local tablet>.hdr"; data files keep their names.
 */
static void local_name(const char *name, int64_t src_tid, int64_t tid,
		       char *buf, size_t len)
{
	char hdr[40];

	snprintf(hdr, sizeof(hdr), "%" PRId64 ".hdr", src_tid);
	if (strcmp(name, hdr) == 0)
		snprintf(buf, len, "%" PRId64 ".hdr", tid);
	else
		snprintf(buf, len, "%s", name);
}

static int download_tablet(struct job *jb, struct rtab *rt)
{
	json_t *tab = rt->tablet, *reps = json_object_get(tab, "replicas");
	json_t *old = json_object_get(tab, "old"), *files;
	int64_t tid = json_integer_value(json_object_get(tab, "id"));
	int64_t src_tid = json_integer_value(
		json_object_get(json_object_get(tab, "src"), "tablet"));
	char d0[PATH_MAX], di[PATH_MAX], p0[PATH_MAX], pi[PATH_MAX];
	char lname[NAME_MAX + 1];
	char od[PATH_MAX], po[PATH_MAX], msg[600];
	struct stat sb;
	size_t i, k;
	int rc;

	rc = replica_dir(jb, json_array_get(reps, 0), tid, d0, sizeof(d0));
	if (rc < 0)
		return rc;
	if (old && replica_dir(jb, old, tid, od, sizeof(od)) < 0)
		old = NULL;
	files = json_array();
	if (!files)
		return -ENOMEM;
	for (i = 0; i < rt->nfiles; i++) {
		const struct repo_file *f = &rt->files[i];

		if (!f->present) {
			snprintf(msg, sizeof(msg),
				 "file %s is listed in the snapshot but "
				 "missing from the repository",
				 f->key);
			job_request_cancel(jb, "error", msg);
			rc = -ENOENT;
			goto out;
		}
		local_name(f->name, src_tid, tid, lname, sizeof(lname));
		snprintf(p0, sizeof(p0), "%s/%s", d0, lname);
		if (old)
			snprintf(po, sizeof(po), "%s/%s", od, lname);
		/* Already here from before a restart: it was renamed into
		 * place only after its MD5 checked out. */
		if (stat(p0, &sb) == 0 && (uint64_t)sb.st_size == f->size) {
			atomic_fetch_add(&jb->bytes_done, f->size);
			atomic_fetch_add(&jb->files_reused, 1);
		} else if (old && old_has(old, lname, f->md5) &&
			   cluster_link_or_copy(po, p0) == 0) {
			/* The table already has this exact file. */
			atomic_fetch_add(&jb->bytes_done, f->size);
			atomic_fetch_add(&jb->files_reused, 1);
		} else {
			rc = fetch(jb, f, p0);
			if (rc < 0)
				goto out;
			atomic_fetch_add(&jb->files_fetched, 1);
		}
		for (k = 1; k < json_array_size(reps); k++) {
			rc = replica_dir(jb, json_array_get(reps, k), tid, di,
					 sizeof(di));
			if (rc < 0)
				goto out;
			snprintf(pi, sizeof(pi), "%s/%s", di, lname);
			rc = cluster_link_or_copy(p0, pi);
			if (rc < 0) {
				snap_log(LOG_ERR, "job %" PRId64 ": %s: %s",
					 jb->id, pi, strerror(-rc));
				goto out;
			}
		}
		json_array_append_new(files,
				      json_pack("{s:s, s:s, s:I}", "name",
						lname, "md5", f->md5, "size",
						(json_int_t)f->size));
		atomic_fetch_add(&jb->files_done, 1);
		job_test_pause(jb, "SNAPFS_TEST_FILE_DELAY_MS");
		if (job_should_stop(jb)) {
			rc = -ECANCELED;
			goto out;
		}
	}
	/* Every replica lists the files it holds; the commit stores it. */
	pthread_mutex_lock(&jb->eng->lock);
	json_array_foreach (reps, k, old)
		json_object_set(old, "files", files);
	pthread_mutex_unlock(&jb->eng->lock);
out:
	json_decref(files);
	return rc;
}

static void *download_thread(void *arg)
{
	struct job *jb = arg;
	struct restore_work *w = jb->work;
	size_t i;
	int rc;

	while (!job_should_stop(jb)) {
		i = atomic_fetch_add(&w->next, 1);
		if (i >= w->ntabs)
			break;
		rc = download_tablet(jb, &w->tabs[i]);
		if (rc < 0 && rc != -ECANCELED && !atomic_load(&jb->cancel)) {
			char msg[128];

			snprintf(msg, sizeof(msg), "download failed: %s",
				 strerror(-rc)); /* unless fetch() named it */
			job_request_cancel(jb, "error", msg);
		}
	}
	return NULL;
}

static int do_downloading(struct job *jb)
{
	unsigned n = jb->eng->threads, i, started = 0;
	pthread_t th[32];

	if (n > 32)
		n = 32;
	atomic_store(&jb->work->next, 0);
	atomic_store(&jb->files_done, 0);
	atomic_store(&jb->bytes_done, 0);
	atomic_store(&jb->files_fetched, 0);
	atomic_store(&jb->files_reused, 0);
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, download_thread, jb) == 0)
			started++;
	if (started == 0)
		download_thread(jb);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	return job_should_stop(jb) ? -ECANCELED : 0;
}

struct names {
	char **v;
	size_t n;
};

static int collect_key(const char *key, json_t *val, void *arg)
{
	struct names *nm = arg;
	char **v = realloc(nm->v, (nm->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	nm->v = v;
	v[nm->n] = strdup(key);
	return v[nm->n++] ? 0 : -ENOMEM;
}

/* clean_tables: drop the database's tables this restore didn't touch. */
static int clean_tables(struct job *jb, struct catalog_txn *t)
{
	struct names nm = {0};
	char prefix[300];
	json_t *pt;
	size_t i, a;
	int rc;

	snprintf(prefix, sizeof(prefix), "table/%s/", jb->db);
	rc = catalog_scan(t, prefix, collect_key, &nm);
	for (i = 0; rc == 0 && i < nm.n; i++) {
		bool keep = false;

		json_array_foreach (json_object_get(jb->rec, "plan"), a, pt)
			keep |= strcmp(json_string_value(
					       json_object_get(pt, "dst")),
				       nm.v[i] + strlen(prefix)) == 0;
		if (!keep) {
			snap_log(LOG_INFO,
				 "job %" PRId64 ": clean_tables drops %s",
				 jb->id, nm.v[i] + strlen("table/"));
			rc = catalog_del(t, nm.v[i]);
		}
	}
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	return rc;
}

/* The commit: every restored table in its final form, in the same
 * transaction as FINISHED. */
static int commit_tables(struct job *jb, struct catalog_txn *t)
{
	json_t *pt, *tbl, *p, *ix, *tab, *props;
	const char *db = jb->db;
	char key[600];
	size_t a, b, c, d;
	int rc;

	props = json_object_get(jb->rec, "Properties");
	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt) {
		tbl = json_deep_copy(json_object_get(pt, "table"));
		if (!tbl)
			return -ENOMEM;
		/* clean_partitions: a table restored whole keeps only the
		 * snapshot's partitions. */
		if (json_is_true(json_object_get(props, "clean_partitions")) &&
		    json_is_true(json_object_get(pt, "whole"))) {
			json_t *parts = json_object_get(tbl, "partitions");

			for (b = json_array_size(parts); b-- > 0;)
				if (!json_is_true(json_object_get(
					    json_array_get(parts, b),
					    "restored")))
					json_array_remove(parts, b);
		}
		json_array_foreach (json_object_get(tbl, "partitions"), b, p) {
			json_object_del(p, "restored");
			json_array_foreach (json_object_get(p, "indexes"), c,
					    ix)
				json_array_foreach (
					json_object_get(ix, "tablets"), d, tab)
					json_object_del(tab, "old");
		}
		json_object_set_new(tbl, "state", json_string("NORMAL"));
		json_object_set_new(tbl, "restored_by",
				    json_integer((json_int_t)jb->id));
		table_key(db, json_string_value(json_object_get(pt, "dst")),
			  key, sizeof(key));
		rc = catalog_put(t, key, tbl);
		json_decref(tbl);
		if (rc < 0)
			return rc;
	}
	if (json_is_true(json_object_get(props, "clean_tables")))
		return clean_tables(jb, t);
	return 0;
}

/* Cancel: drop the tables this job created; existing ones were never
 * touched. Same transaction as CANCELLED. */
static int drop_created(struct job *jb, struct catalog_txn *t)
{
	json_t *pt, *cur;
	char key[600];
	size_t a;
	int rc;

	json_array_foreach (json_object_get(jb->rec, "plan"), a, pt) {
		if (!json_is_true(json_object_get(pt, "new")))
			continue;
		table_key(jb->db, json_string_value(json_object_get(pt, "dst")),
			  key, sizeof(key));
		if (catalog_get(t, key, &cur) < 0)
			continue;
		/* Only the shell this job made, never a table since then. */
		if (json_integer_value(json_object_get(cur, "job_id")) ==
			    jb->id &&
		    strcmp(json_string_value(json_object_get(cur, "state")),
			   "RESTORE") == 0) {
			rc = catalog_del(t, key);
			if (rc < 0) {
				json_decref(cur);
				return rc;
			}
		}
		json_decref(cur);
	}
	return 0;
}

static void cancel(struct job *jb)
{
	char why[600];

	pthread_mutex_lock(&jb->eng->lock);
	snprintf(why, sizeof(why), "%s",
		 jb->cancel_msg[0] ? jb->cancel_msg : "cancelled");
	if (!jb->cancel_by[0])
		snprintf(jb->cancel_by, sizeof(jb->cancel_by), "error");
	pthread_mutex_unlock(&jb->eng->lock);
	if (job_set_state(jb, JOB_CANCELLED, drop_created, why) == 0)
		cluster_gc(jb->eng->cl);
}

void job_restore_run(struct job *jb)
{
	char err[512];
	const char *label, *ts;
	int rc = 0;

	if (!jb->work) {
		jb->work = calloc(1, sizeof(*jb->work));
		if (!jb->work)
			return; /* resumes at the next start */
	}
	if (jb->resumed &&
	    strcmp(json_string_value(json_object_get(jb->rec, "Repository"))
			   ?: "",
		   repo_name(jb->eng->repo)) != 0 &&
	    jb->state < JOB_COMMITTING) {
		snprintf(err, sizeof(err),
			 "resumed with repository \"%s\" mounted, not \"%s\"",
			 repo_name(jb->eng->repo),
			 json_string_value(
				 json_object_get(jb->rec, "Repository")));
		job_request_cancel(jb, "error", err);
		cancel(jb);
		return;
	}
	if (!jb->work->snap) {
		label = json_string_value(json_object_get(jb->rec, "Label"));
		ts = json_string_value(json_object_get(jb->rec, "Timestamp"));
		rc = load_snapshot(jb->eng->repo, label, ts, &jb->work->label,
				   &jb->work->snap, err, sizeof(err));
		if (rc < 0 && jb->state < JOB_COMMIT) {
			job_request_cancel(jb, "error", err);
			cancel(jb);
			return;
		}
	}
	if (flatten(jb) < 0)
		return;
	while (jb->state != JOB_FINISHED && jb->state != JOB_CANCELLED) {
		if (jb->eng->stopping)
			return; /* unmount: resume next time */
		job_test_pause(jb, "SNAPFS_TEST_STATE_DELAY_MS");
		if (jb->state < JOB_COMMITTING && job_should_stop(jb)) {
			if (jb->eng->stopping)
				return;
			cancel(jb);
			return;
		}
		switch (jb->state) {
		case JOB_PENDING:
			rc = job_set_state(jb, JOB_SNAPSHOTING, NULL, NULL);
			break;
		case JOB_SNAPSHOTING:
			rc = do_snapshoting(jb);
			if (rc == 0)
				rc = job_set_state(jb, JOB_DOWNLOAD, NULL,
						   NULL);
			break;
		case JOB_DOWNLOAD:
			rc = do_download_list(jb);
			if (rc == 0)
				rc = job_set_state(jb, JOB_DOWNLOADING, NULL,
						   NULL);
			break;
		case JOB_DOWNLOADING:
			if (jb->files_total == 0 && jb->work->ntabs > 0 &&
			    !jb->work->tabs[0].files)
				rc = do_download_list(jb); /* resumed */
			if (rc == 0)
				rc = do_downloading(jb);
			if (rc == 0)
				rc = job_set_state(jb, JOB_COMMIT, NULL, NULL);
			break;
		case JOB_COMMIT:
			rc = job_set_state(jb, JOB_COMMITTING, NULL, NULL);
			break;
		case JOB_COMMITTING:
			if (jb->work->ntabs > 0 &&
			    !json_object_get(
				    json_array_get(
					    json_object_get(
						    jb->work->tabs[0].tablet,
						    "replicas"),
					    0),
				    "files")) {
				/* Resumed: the replicas' file lists. */
				rc = do_download_list(jb);
				if (rc == 0)
					rc = do_downloading(jb);
			}
			if (rc == 0)
				rc = job_set_state(jb, JOB_FINISHED,
						   commit_tables, NULL);
			if (rc == 0)
				cluster_gc(jb->eng->cl);
			break;
		default:
			return;
		}
		if (rc < 0) {
			if (jb->eng->stopping)
				return;
			if (!atomic_load(&jb->cancel)) {
				snprintf(err, sizeof(err), "%s failed: %s",
					 job_state_name(jb->state),
					 strerror(-rc));
				job_request_cancel(jb, "error", err);
			}
			if (jb->state >= JOB_COMMITTING)
				return; /* retried at the next start */
			cancel(jb);
			return;
		}
	}
}
