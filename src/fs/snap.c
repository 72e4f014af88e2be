/* SPDX-License-Identifier: MIT */
/*
 * snap.c - a snapshot timestamp directory's state, loaded lazily: the
 * info object when the directory is first listed or stat'ed, the meta
 * when status or meta.json is first asked for. Also the labels the snaps
 * come from, and the status and meta.json files.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_int.h"
#include "repo/repo.h"

#include "base/banned.h"

/* ---- labels ------------------------------------------------------------ */

int label_load(struct snapfs *fs, const char *dir, struct label **out)
{
	struct label *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -ENOMEM;
	rc = repo_label_load(fs->repo, dir, &l->rl);
	if (rc < 0) {
		free(l);
		return rc;
	}
	l->refs = 1;
	*out = l;
	return 0;
}

/* Snaps point into their label's timestamps: it lives as long as any
 * snap made from it, whatever re-lists of the label load since. */
void label_put(struct label *l)
{
	if (l && __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		repo_label_free(l->rl);
		free(l);
	}
}

/* ---- snaps ------------------------------------------------------------- */

struct snap *snap_new(struct label *l, size_t ti)
{
	struct snap *sn = calloc(1, sizeof(*sn));

	if (!sn)
		return NULL;
	pthread_mutex_init(&sn->lock, NULL);
	__atomic_add_fetch(&l->refs, 1, __ATOMIC_ACQ_REL);
	sn->label = l;
	sn->ti = ti;
	return sn;
}

void snap_free(void *arg)
{
	struct snap *sn = arg;

	if (!sn)
		return;
	pthread_mutex_destroy(&sn->lock);
	repo_snapshot_free(sn->s);
	free(sn->status);
	free(sn->meta_json);
	label_put(sn->label);
	free(sn);
}

/* Caller holds sn->lock. */
static int snap_load_locked(struct snapfs *fs, struct snap *sn)
{
	struct repo_label *rl = sn->label->rl;

	if (sn->s)
		return 0;
	return repo_snapshot_load(fs->repo, rl, &rl->ts[sn->ti], &sn->s);
}

int snap_load(struct snapfs *fs, struct snap *sn, struct repo_snapshot **out)
{
	int rc;

	pthread_mutex_lock(&sn->lock);
	rc = snap_load_locked(fs, sn);
	pthread_mutex_unlock(&sn->lock);
	if (rc == 0)
		*out = sn->s; /* immutable once loaded */
	return rc;
}

static char *fmt_time_ms(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%F %T UTC", &tm))
		snprintf(buf, len, "%" PRId64, ms);
	return buf;
}

static char *status_text(const struct repo_snapshot *s, const char *verdict)
{
	char when[64];

	if (!s->ji)
		return text_printf("%s\nlabel: %s\ninfo: %s\n", verdict,
				   s->label, s->info_key);
	return text_printf(
		"%s\n"
		"label: %s\ntimestamp: %s\ndatabase: %s\n"
		"backup_time: %s\ncontent: %s\nbackup_result: %s\n"
		"meta_version: %" PRId64 "\ntables: %zu\n"
		"tablets: %zu\ninfo: %s\nmeta: %s\n",
		verdict, s->label, s->ts, s->ji->database,
		fmt_time_ms(s->ji->backup_time_ms, when, sizeof(when)),
		s->ji->content, s->ji->backup_result, s->ji->meta_version,
		s->ji->ntables, jobinfo_tablet_count(s->ji), s->info_key,
		s->meta_key ? s->meta_key : "(none)");
}

/* Build status and meta.json together: both need the meta read once.
 * Caller holds sn->lock. */
static int snap_texts_locked(struct snapfs *fs, struct snap *sn)
{
	struct repo_snapshot *s;
	char *problem = NULL, *bad = NULL;
	const char *verdict;
	int rc;

	if (sn->status)
		return 0;
	rc = snap_load_locked(fs, sn);
	if (rc < 0)
		return rc;
	s = sn->s;
	rc = repo_snapshot_meta_json(fs->repo, s, &problem, &sn->meta_json,
				     &sn->meta_json_len);
	if (rc < 0)
		return rc;
	verdict = s->verdict;
	if (s->ok && problem) {
		/* The meta broke an otherwise sound snapshot. */
		bad = text_printf("INVALID: %s", problem);
		if (!bad) {
			rc = -ENOMEM;
			goto out;
		}
		verdict = bad;
	}
	sn->status = status_text(s, verdict);
	if (!sn->status)
		rc = -ENOMEM;
out:
	free(bad);
	free(problem);
	if (rc < 0) {
		free(sn->meta_json);
		sn->meta_json = NULL;
	}
	return rc;
}

bool snap_ok(struct snapfs *fs, struct snap *sn)
{
	bool ok;

	pthread_mutex_lock(&sn->lock);
	ok = snap_texts_locked(fs, sn) == 0 &&
	     strncmp(sn->status, "OK\n", 3) == 0;
	pthread_mutex_unlock(&sn->lock);
	return ok;
}

/* ---- status and meta.json ---------------------------------------------- */

/* node->sub: 1 for meta.json, 0 for status. */
static int snaptext_getattr(struct snapfs *fs, struct node *n)
{
	struct snap *sn = n->snap;
	int rc;

	pthread_mutex_lock(&sn->lock);
	rc = snap_texts_locked(fs, sn);
	if (rc == 0) {
		pthread_mutex_lock(&fs->lock);
		n->size = n->sub ? sn->meta_json_len : strlen(sn->status);
		n->ready = true;
		pthread_mutex_unlock(&fs->lock);
	}
	pthread_mutex_unlock(&sn->lock);
	return rc;
}

static int snaptext_open(struct snapfs *fs, struct node *n, int flags,
			 struct snapfs_file **out)
{
	struct snapfs_file *f;
	int rc;

	if (open_wants_write(flags))
		return -EROFS;
	rc = snaptext_getattr(fs, n);
	if (rc < 0)
		return rc;
	f = file_new(sizeof(*f));
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

static int snaptext_read(struct snapfs *fs, struct snapfs_file *f, char *buf,
			 size_t size, uint64_t off, size_t *n)
{
	const struct snap *sn = f->node->snap;

	/* Immutable once made, and made before the open returned. */
	if (f->node->sub)
		*n = text_copy(sn->meta_json, sn->meta_json_len, buf, size,
			       off);
	else
		*n = text_copy(sn->status, strlen(sn->status), buf, size, off);
	return 0;
}

static int snaptext_release(struct snapfs *fs, struct snapfs_file *f)
{
	file_free(f);
	return 0;
}

static const struct node_ops snaptext_ops = {
	.mode = S_IFREG | 0444,
	.getattr = snaptext_getattr,
	.open = snaptext_open,
	.read = snaptext_read,
	.release = snaptext_release,
};

struct proto *snap_text_proto(struct protolist *pl, struct snap *sn, bool meta,
			      int64_t mtime)
{
	struct proto *p =
		proto_add(pl, meta ? "meta.json" : "status", &snaptext_ops);

	if (p) {
		p->snap = sn;
		p->sub = meta;
		p->ready = false;
		p->mtime = mtime;
	}
	return p;
}
