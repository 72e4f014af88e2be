/* SPDX-License-Identifier: MIT */
/*
 * fs.c - the mount tree: nodes, lazy listings, reads with MD5 checks.
 *
 * Every name the kernel has seen is a struct node, created on first sight
 * and kept until unmount, so inode numbers are stable (ino = index + 1 in
 * fs->nodes). A directory's children are produced by a fill function for
 * its kind; fills do store I/O without fs->lock held and then merge their
 * result under the lock, matching existing children by name so a re-list
 * keeps their inode numbers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "fs.h"
#include "base/base.h"
#include "jobs/jobs.h"
#include "repo/repo.h"
#include "store/store.h"

#include "base/banned.h"

enum node_kind {
	N_ROOT,
	N_TEXT,	     /* generated text: README, repository, status */
	N_SNAPSHOTS, /* snapshots/ */
	N_LABEL,     /* snapshots/<label>/ */
	N_LINK,	     /* snapshots/<label>/latest */
	N_TS,	     /* snapshots/<label>/<ts>/ */
	N_OBJECT,    /* a stored object: info, meta, tablet file, raw file */
	N_SNAP_TEXT, /* <ts>/status and <ts>/meta.json: need the meta */
	N_DB,
	N_TABLE,
	N_PART,
	N_INDEX,
	N_TABLET,
	N_RAW_DIR, /* raw/ and below: a key prefix */
	/* Every kind from here on changes under jobs (snapfs_node_ttl). */
	N_CONTROL, /* control/ */
	N_CTL,	   /* control/restore, backup, cancel: sub = jobs_control */
	N_DYN,	   /* text made on every open: sub = enum dyn_kind */
	N_JOBS,	   /* jobs/ */
	N_JOB,	   /* jobs/<id>/ */
	N_CLUSTER, /* cluster/ */
	N_CDB,	   /* cluster/<db>/ */
	N_CTABLE,
	N_CPART,
	N_CINDEX,
	N_CTABLET,
	N_LOCAL, /* a file of the local cluster: key = absolute path */
};

enum dyn_kind {
	DYN_LAST_ERROR,
	DYN_STATUS,
	DYN_STATUS_JSON,
	DYN_SHOW_RESTORE,
	DYN_SHOW_BACKUP,
	DYN_LAST_REPORT,
};

/* A snapshot timestamp directory's lazily loaded state. */
struct snap {
	pthread_mutex_t lock;	 /* guards everything below */
	struct repo_label *rl;	 /* shared, owned by fs->retired */
	size_t ti;		 /* index in rl->ts */
	struct repo_snapshot *s; /* NULL until loaded */
	char *status;		 /* status file text, once the meta is read */
	char *meta_json;
	size_t meta_json_len;
};

struct node {
	uint64_t ino;
	struct node *parent;
	char *name;
	enum node_kind kind;
	/* Attributes: set before the node is published, or under fs->lock. */
	uint64_t size;
	int64_t mtime;
	bool ready; /* attributes known (lazy kinds compute them once) */
	bool is_dir;
	/* Children, sorted by name; guarded by fs->lock. */
	struct node **kids;
	size_t nkids;
	bool listed;
	time_t listed_at;
	/* Kind-specific payload, set at creation and then read-only. */
	char *key;		   /* object key / prefix / label dir */
	char md5[MD5_HEX_LEN + 1]; /* "" if the name carries none */
	bool missing;		   /* listed in the info, absent in store */
	bool corrupt;		   /* failed an MD5 check (under lock) */
	unsigned writers;  /* N_LOCAL: handles still writing it (under lock) */
	unsigned repo_gen; /* jobs_repo_generation() when last listed */
	char *text;	   /* N_TEXT content, N_LINK target */
	struct snap *snap; /* N_TS and everything below it */
	const void *ref;   /* jobinfo table/partition/index/tablet */
	bool snap_text_is_meta; /* N_SNAP_TEXT: meta.json, else status */
	int sub;		/* N_CTL, N_DYN: which one */
};

struct snapfs {
	struct store *st;
	struct repo *repo;
	struct snapfs_opts o;
	char *url;
	char *mountpoint;
	time_t mounted_at;
	pthread_mutex_t lock; /* guards nodes[], every node's kids, attrs,
				 corrupt and retired[]; never held across
				 store I/O; taken after snap->lock */
	struct node **nodes;
	size_t nnodes, cap;
	struct repo_label **retired; /* labels replaced by a re-list */
	size_t nretired;
	struct cluster *cl;	/* read-only after snapfs_new */
	struct jobs *jobs;	/* read-only after snapfs_new */
	char last_error[1024];	/* under lock */
	char *last_report;	/* under lock; NULL if none yet */
	pthread_cond_t written; /* with lock: a new file was named */
};

struct snapfs_dir {
	size_t n;
	struct {
		char *name;
		uint64_t ino;
		mode_t mode;
	} * e;
};

struct snapfs_file {
	struct node *node;
	pthread_mutex_t lock; /* guards the fields below */
	struct md5 *md5;      /* NULL once the pass is not sequential */
	uint64_t next;	      /* offset the sequential pass has reached */
	int fd;		      /* N_LOCAL: the open data file, else -1 */
	char *text;	      /* N_DYN: the text as it was at open */
	size_t text_len;
	char *wbuf; /* N_CTL: statement text not yet submitted */
	size_t wlen;
	/* A new file of a hand-made tablet: written to tmp, then named. */
	char *tmp;	  /* the temporary path, NULL unless writing */
	struct md5 *wmd5; /* NULL once the writes were not sequential */
	uint64_t wnext;	  /* bytes written in order so far */
	uint64_t wsize;	  /* highest offset written */
	/* Read-ahead for remote stores: one window of the object. */
	char *ra;
	uint64_t ra_off; /* object offset of ra[0] */
	size_t ra_len;	 /* valid bytes in ra */
	size_t ra_win;	 /* next window size: grows while reads are in order */
	/* The window after it, fetched in the background while the reader
	 * works through this one; joined before use or at release. */
	struct {
		pthread_t th;
		bool running; /* started and not joined yet */
		struct store *st;
		const char *key; /* the node's: nodes live until unmount */
		char *buf;	 /* RA_MAX bytes */
		uint64_t off;
		size_t want, got;
		int rc;
	} pf;
};

#define RA_MIN (256U << 10)
#define RA_MAX (8U << 20)

/* A child as a fill function describes it, before the merge. */
struct proto {
	char *name;
	enum node_kind kind;
	bool is_dir, ready, missing;
	uint64_t size;
	int64_t mtime;
	char *key, *text;
	char md5[MD5_HEX_LEN + 1];
	struct snap *snap;
	const void *ref;
	bool snap_text_is_meta;
	int sub;
};

struct protolist {
	struct proto *v;
	size_t n, cap;
};

static struct proto *proto_add(struct protolist *pl, const char *name,
			       enum node_kind kind)
{
	struct proto *p;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 16;
		struct proto *v = realloc(pl->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		pl->v = v;
		pl->cap = cap;
	}
	p = &pl->v[pl->n];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (!p->name)
		return NULL;
	p->kind = kind;
	p->ready = true;
	pl->n++;
	return p;
}

static void protolist_release(struct protolist *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		free(pl->v[i].name);
		free(pl->v[i].key);
		free(pl->v[i].text);
	}
	free(pl->v);
}

static int node_cmp(const void *a, const void *b)
{
	const struct node *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static struct node *kid_find(const struct node *dir, const char *name)
{
	size_t lo = 0, hi = dir->nkids;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, dir->kids[mid]->name);

		if (c == 0)
			return dir->kids[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Put @n among @dir's children, replacing a same-named one. Caller holds
 * fs->lock. */
static int kid_insert_locked(struct node *dir, struct node *n)
{
	struct node **v;
	size_t pos = 0;

	while (pos < dir->nkids && strcmp(dir->kids[pos]->name, n->name) < 0)
		pos++;
	if (pos < dir->nkids && strcmp(dir->kids[pos]->name, n->name) == 0) {
		dir->kids[pos] = n;
		return 0;
	}
	v = realloc(dir->kids, (dir->nkids + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memmove(v + pos + 1, v + pos, (dir->nkids - pos) * sizeof(*v));
	v[pos] = n;
	dir->kids = v;
	dir->nkids++;
	return 0;
}

/* Caller holds fs->lock. Takes ownership of p's strings on success. */
static struct node *node_new_locked(struct snapfs *fs, struct node *parent,
				    struct proto *p)
{
	struct node *n;

	if (fs->nnodes == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 1024;
		struct node **v = realloc(fs->nodes, cap * sizeof(*v));

		if (!v)
			return NULL;
		fs->nodes = v;
		fs->cap = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->ino = fs->nnodes + 1;
	n->parent = parent;
	n->name = p->name;
	n->kind = p->kind;
	n->is_dir = p->is_dir;
	n->ready = p->ready;
	n->size = p->size;
	n->mtime = p->mtime;
	n->key = p->key;
	n->text = p->text;
	n->missing = p->missing;
	memcpy(n->md5, p->md5, sizeof(n->md5));
	n->snap = p->snap;
	n->ref = p->ref;
	n->snap_text_is_meta = p->snap_text_is_meta;
	n->sub = p->sub;
	p->name = p->key = p->text = NULL;
	fs->nodes[fs->nnodes++] = n;
	return n;
}

/*
 * Replace @dir's children with @pl, keeping the node (and inode number)
 * of every name that was there before. Attributes of kept nodes are
 * refreshed, except for lazily computed ones already known.
 */
static int merge(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct node **kids;
	size_t i;
	int rc = 0;

	kids = calloc(pl->n ? pl->n : 1, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	pthread_mutex_lock(&fs->lock);
	for (i = 0; i < pl->n; i++) {
		struct proto *p = &pl->v[i];
		struct node *n = kid_find(dir, p->name);

		/* A local file whose path changed (a restore committed a new
		 * generation) is another file: it gets a new node, so no
		 * reader ever sees a node's path or MD5 change under it. */
		if (n && n->kind == N_LOCAL &&
		    (!n->key || !p->key || strcmp(n->key, p->key) != 0))
			n = NULL;
		/* Likewise a "latest" link that now points elsewhere: the
		 * kernel caches link targets per inode. */
		if (n && n->kind == N_LINK && p->kind == N_LINK &&
		    (!n->text || !p->text || strcmp(n->text, p->text) != 0))
			n = NULL;
		if (n && n->kind == p->kind) {
			if (p->ready && n->kind != N_TS) {
				n->size = p->size;
				n->mtime = p->mtime;
			}
			if (p->kind == N_TEXT || p->kind == N_LINK) {
				free(n->text);
				n->text = p->text;
				p->text = NULL;
			}
			kids[i] = n;
			continue;
		}
		n = node_new_locked(fs, dir, p);
		if (!n) {
			rc = -ENOMEM;
			break;
		}
		kids[i] = n;
	}
	if (rc == 0) {
		qsort(kids, pl->n, sizeof(*kids), node_cmp);
		free(dir->kids);
		dir->kids = kids;
		dir->nkids = pl->n;
		dir->listed = true;
		dir->listed_at = time(NULL);
		dir->repo_gen = jobs_repo_generation(fs->jobs);
		kids = NULL;
	}
	pthread_mutex_unlock(&fs->lock);
	free(kids);
	return rc;
}

/* ---- generated text --------------------------------------------------- */

static char *text_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *text_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static struct proto *proto_text(struct protolist *pl, const char *name,
				char *text, int64_t mtime)
{
	struct proto *p;

	if (!text)
		return NULL;
	p = proto_add(pl, name, N_TEXT);
	if (!p) {
		free(text);
		return NULL;
	}
	p->text = text;
	p->size = strlen(text);
	p->mtime = mtime;
	return p;
}

static char *readme_text(struct snapfs *fs)
{
	const char *mnt = fs->mountpoint ? fs->mountpoint : "MNT";

	return text_printf(
		"snapfs: %s backup repository \"%s\"\n"
		"mounted from %s\n"
		"\n"
		"What is here\n"
		"  snapshots/<label>/<timestamp>/   one directory per backup "
		"snapshot\n"
		"      info                         the __info_ job-info "
		"object, byte for byte\n"
		"      meta                         the __meta object, byte "
		"for byte\n"
		"      meta.json                    the meta decoded, or why "
		"it cannot be\n"
		"      status                       OK, or why the snapshot "
		"is incomplete/invalid\n"
		"      <db>/<table>/<partition>/<index>/<tablet_id>/<file>\n"
		"                                   the data files, without "
		"their .<md5> suffix;\n"
		"                                   the MD5 is in xattr "
		"user.snapfs.md5\n"
		"  snapshots/<label>/latest         symlink to the newest "
		"complete timestamp\n"
		"  snapshots/<label>/status         OK, or why the label has "
		"no complete snapshot\n"
		"  raw/                             the repository's objects "
		"exactly as stored\n"
		"  repository                       URL, flavor, name, "
		"create_time\n"
		"  control/restore, backup, cancel  write a RESTORE, BACKUP or "
		"CANCEL statement;\n"
		"                                   a rejected one fails with "
		"EINVAL, and\n"
		"  control/last_error               says why\n"
		"  jobs/<id>/status, status.json    one job, as SHOW RESTORE "
		"shows it\n"
		"  control/snapshots, last_report   DROP, CLEAN or VERIFY "
		"SNAPSHOT, and the result\n"
		"  jobs/restore, jobs/backup        SHOW RESTORE / SHOW BACKUP "
		"over all databases\n"
		"  cluster/<db>/<table>/...         the local cluster the "
		"restores went to\n"
		"\n"
		"Try\n"
		"  ls %s/snapshots\n"
		"  cat %s/snapshots/<label>/latest/status\n"
		"  ls -R %s/snapshots/<label>/latest\n"
		"  getfattr -n user.snapfs.md5 %s/snapshots/<label>/latest/"
		"<db>/<table>/.../<file>\n"
		"  rsync -a %s/snapshots/<label>/latest/ /path/to/copy/\n"
		"  rsync -a %s/raw/ /path/to/repository-copy/\n"
		"  echo 'RESTORE SNAPSHOT db.<label> FROM %s PROPERTIES "
		"(\"backup_timestamp\" = \"<ts>\")' > %s/control/restore\n"
		"  cat %s/jobs/restore\n"
		"\n"
		"Every full read is checked: a file whose content does not "
		"match the MD5 in\n"
		"its object name fails with EIO (Input/output error), and the "
		"log names it.\n"
		"Writable: the control files, cluster/ (mkdir, new files in "
		"tablets, each\n"
		"written once) and rmdir of snapshots/<label>/<ts> (drops that "
		"snapshot);\n"
		"everything else answers EROFS.\n"
		"Unmount with: fusermount3 -u %s\n"
		"Manual: man snapfs\n",
		repo_flavor(fs->repo) == REPO_FLAVOR_STARROCKS ? "StarRocks"
							       : "Doris",
		repo_name(fs->repo), fs->url, mnt, mnt, mnt, mnt, mnt, mnt,
		repo_name(fs->repo), mnt, mnt, mnt);
}

static char *repository_text(struct snapfs *fs)
{
	const char *ct = repo_create_time(fs->repo);

	return text_printf("url: %s\nflavor: %s\nname: %s\ncreate_time: %s\n"
			   "root: %s\n",
			   fs->url, repo_flavor_name(repo_flavor(fs->repo)),
			   repo_name(fs->repo), ct ? ct : "unknown",
			   *repo_root(fs->repo) ? repo_root(fs->repo) : "/");
}

/* ---- snapshots -------------------------------------------------------- */

static struct snap *snap_new(struct repo_label *rl, size_t ti)
{
	struct snap *sn = calloc(1, sizeof(*sn));

	if (!sn)
		return NULL;
	pthread_mutex_init(&sn->lock, NULL);
	sn->rl = rl;
	sn->ti = ti;
	return sn;
}

static void snap_free(struct snap *sn)
{
	if (!sn)
		return;
	pthread_mutex_destroy(&sn->lock);
	repo_snapshot_free(sn->s);
	free(sn->status);
	free(sn->meta_json);
	free(sn);
}

/* Load the info object once. Caller holds sn->lock. */
static int snap_load_locked(struct snapfs *fs, struct snap *sn)
{
	if (sn->s)
		return 0;
	return repo_snapshot_load(fs->repo, sn->rl, &sn->rl->ts[sn->ti],
				  &sn->s);
}

static int snap_load(struct snapfs *fs, struct snap *sn,
		     struct repo_snapshot **out)
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

/* Build status and meta.json together: both need the meta read once. */
static int snap_texts_locked(struct snapfs *fs, struct snap *sn)
{
	struct repo_snapshot *s;
	char *problem = NULL, *bad = NULL, when[64];
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
	if (s->ji)
		sn->status = text_printf(
			"%s\n"
			"label: %s\ntimestamp: %s\ndatabase: %s\n"
			"backup_time: %s\ncontent: %s\nbackup_result: %s\n"
			"meta_version: %" PRId64 "\ntables: %zu\n"
			"tablets: %zu\ninfo: %s\nmeta: %s\n",
			verdict, s->label, s->ts, s->ji->database,
			fmt_time_ms(s->ji->backup_time_ms, when, sizeof(when)),
			s->ji->content, s->ji->backup_result,
			s->ji->meta_version, s->ji->ntables,
			jobinfo_tablet_count(s->ji), s->info_key,
			s->meta_key ? s->meta_key : "(none)");
	else
		sn->status = text_printf("%s\nlabel: %s\ninfo: %s\n", verdict,
					 s->label, s->info_key);
	if (!sn->status)
		rc = -ENOMEM;
out:
	free(bad);
	free(problem);
	if (rc < 0) {
		free(sn->meta_json);
		sn->meta_json = NULL;
		free(sn->status);
		sn->status = NULL;
	}
	return rc;
}

/* ---- fills: one per directory kind ------------------------------------ */

static struct proto *proto_dir(struct protolist *pl, const char *name,
			       enum node_kind kind, int64_t mtime);

static int fill_root(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct proto *p;

	if (!proto_text(pl, "README", readme_text(fs), fs->mounted_at) ||
	    !proto_text(pl, "repository", repository_text(fs), fs->mounted_at))
		return -ENOMEM;
	p = proto_add(pl, "snapshots", N_SNAPSHOTS);
	if (!p)
		return -ENOMEM;
	p->is_dir = true;
	p->mtime = fs->mounted_at;
	p = proto_add(pl, "raw", N_RAW_DIR);
	if (!p || !(p->key = strdup(repo_root(fs->repo))))
		return -ENOMEM;
	p->is_dir = true;
	p->mtime = fs->mounted_at;
	if (!fs->jobs)
		return 0;
	if (!proto_dir(pl, "control", N_CONTROL, fs->mounted_at) ||
	    !proto_dir(pl, "jobs", N_JOBS, fs->mounted_at) ||
	    !proto_dir(pl, "cluster", N_CLUSTER, fs->mounted_at))
		return -ENOMEM;
	return 0;
}

static struct proto *proto_dir(struct protolist *pl, const char *name,
			       enum node_kind kind, int64_t mtime)
{
	struct proto *p = proto_add(pl, name, kind);

	if (p) {
		p->is_dir = true;
		p->mtime = mtime;
	}
	return p;
}

static struct proto *proto_sub(struct protolist *pl, const char *name,
			       enum node_kind kind, int sub, int64_t mtime)
{
	struct proto *p = proto_add(pl, name, kind);

	if (p) {
		p->sub = sub;
		p->ready = false; /* size computed when asked */
		p->mtime = mtime;
	}
	return p;
}

static int fill_control(struct snapfs *fs, struct node *dir,
			struct protolist *pl)
{
	if (!proto_sub(pl, "restore", N_CTL, JOBS_CONTROL_RESTORE,
		       fs->mounted_at) ||
	    !proto_sub(pl, "backup", N_CTL, JOBS_CONTROL_BACKUP,
		       fs->mounted_at) ||
	    !proto_sub(pl, "cancel", N_CTL, JOBS_CONTROL_CANCEL,
		       fs->mounted_at) ||
	    !proto_sub(pl, "last_error", N_DYN, DYN_LAST_ERROR,
		       fs->mounted_at) ||
	    !proto_sub(pl, "snapshots", N_CTL, JOBS_CONTROL_SNAPSHOTS,
		       fs->mounted_at) ||
	    !proto_sub(pl, "last_report", N_DYN, DYN_LAST_REPORT,
		       fs->mounted_at))
		return -ENOMEM;
	return 0;
}

static int fill_jobs(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	int64_t *ids = NULL;
	size_t i, n = 0;
	char name[32];
	int rc;

	if (!proto_sub(pl, "restore", N_DYN, DYN_SHOW_RESTORE,
		       fs->mounted_at) ||
	    !proto_sub(pl, "backup", N_DYN, DYN_SHOW_BACKUP, fs->mounted_at))
		return -ENOMEM;
	rc = jobs_list(fs->jobs, &ids, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%" PRId64, ids[i]);
		if (!proto_dir(pl, name, N_JOB, fs->mounted_at)) {
			rc = -ENOMEM;
			break;
		}
	}
	free(ids);
	return rc;
}

static int fill_job(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	if (!proto_sub(pl, "status", N_DYN, DYN_STATUS, fs->mounted_at) ||
	    !proto_sub(pl, "status.json", N_DYN, DYN_STATUS_JSON,
		       fs->mounted_at))
		return -ENOMEM;
	return 0;
}

struct scan_names {
	struct protolist *pl;
	enum node_kind kind;
	size_t skip; /* key prefix length */
	int64_t mtime;
};

static int scan_names_cb(const char *key, json_t *val, void *arg)
{
	struct scan_names *sn = arg;

	return proto_dir(sn->pl, key + sn->skip, sn->kind, sn->mtime) ? 0
								      : -ENOMEM;
}

static int cluster_scan(struct snapfs *fs, const char *prefix,
			enum node_kind kind, struct protolist *pl)
{
	struct scan_names sn = {pl, kind, strlen(prefix), fs->mounted_at};
	struct catalog_txn *t;
	int rc;

	rc = catalog_begin(cluster_catalog(fs->cl), false, &t);
	if (rc < 0)
		return rc;
	rc = catalog_scan(t, prefix, scan_names_cb, &sn);
	catalog_abort(t);
	return rc;
}

/* The catalog record of the table a cluster node is in. */
static int ctable_of(struct snapfs *fs, struct node *n, json_t **out)
{
	struct catalog_txn *t;
	char key[1024];
	int rc;

	while (n && n->kind != N_CTABLE)
		n = n->parent;
	if (!n)
		return -ENOENT;
	snprintf(key, sizeof(key), "table/%s/%s", n->parent->name, n->name);
	rc = catalog_begin(cluster_catalog(fs->cl), false, &t);
	if (rc < 0)
		return rc;
	rc = catalog_get(t, key, out);
	catalog_abort(t);
	return rc;
}

/* The element of @arr whose "name" (or, for tablets, "id") is @name. */
static json_t *element(json_t *arr, const char *name, bool by_id)
{
	char id[32];
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v) {
		const char *nm = json_string_value(json_object_get(v, "name"));

		if (by_id) {
			snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(v, "id")));
			nm = id;
		}
		if (nm && strcmp(nm, name) == 0)
			return v;
	}
	return NULL;
}

/* Keep files still being written (not in the catalog yet) listed. */
static int keep_writing(struct snapfs *fs, struct node *dir,
			struct protolist *pl)
{
	struct proto *p;
	size_t i, k;
	int rc = 0;

	pthread_mutex_lock(&fs->lock);
	for (i = 0; i < dir->nkids && rc == 0; i++) {
		struct node *n = dir->kids[i];

		if (n->kind != N_LOCAL || n->writers == 0)
			continue;
		for (k = 0; k < pl->n; k++)
			if (strcmp(pl->v[k].name, n->name) == 0)
				break;
		if (k < pl->n)
			continue;
		p = proto_add(pl, n->name, N_LOCAL);
		if (!p || !(p->key = strdup(n->key))) {
			rc = -ENOMEM;
			break;
		}
		p->size = n->size;
		p->mtime = n->mtime;
	}
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static int fill_ctablet(struct snapfs *fs, struct node *dir, json_t *reps,
			struct protolist *pl)
{
	json_t *rep = json_array_get(reps, 0), *f;
	char rdir[4096];
	size_t i;
	int rc;

	/* Every replica holds the same files: show the first. */
	rc = cluster_replica_dir(
		fs->cl,
		(unsigned)json_integer_value(json_object_get(rep, "backend")),
		strtoll(dir->name, NULL, 10),
		json_integer_value(json_object_get(rep, "id")),
		json_integer_value(json_object_get(rep, "gen")), rdir,
		sizeof(rdir));
	if (rc < 0)
		return rc;
	json_array_foreach (json_object_get(rep, "files"), i, f) {
		const char *name =
			json_string_value(json_object_get(f, "name"));
		struct proto *p = name ? proto_add(pl, name, N_LOCAL) : NULL;

		if (!p)
			return -ENOMEM;
		if (asprintf(&p->key, "%s/%s", rdir, name) < 0) {
			p->key = NULL;
			return -ENOMEM;
		}
		p->size = (uint64_t)json_integer_value(
			json_object_get(f, "size"));
		p->mtime = fs->mounted_at;
		snprintf(p->md5, sizeof(p->md5), "%s",
			 json_string_value(json_object_get(f, "md5")) ?: "");
	}
	return keep_writing(fs, dir, pl);
}

static int fill_cluster(struct snapfs *fs, struct node *dir,
			struct protolist *pl)
{
	struct node *path[4], *n;
	json_t *tbl = NULL, *arr, *v;
	const char *state;
	char prefix[600];
	size_t i, depth = 0;
	int rc = 0;

	if (dir->kind == N_CLUSTER)
		return cluster_scan(fs, "db/", N_CDB, pl);
	if (dir->kind == N_CDB) {
		snprintf(prefix, sizeof(prefix), "table/%s/", dir->name);
		return cluster_scan(fs, prefix, N_CTABLE, pl);
	}
	rc = ctable_of(fs, dir, &tbl);
	if (rc < 0)
		return rc;
	/* Created by a restore and not committed yet: visible, not
	 * accessible. */
	state = json_string_value(json_object_get(tbl, "state"));
	if (!state || strcmp(state, "NORMAL") != 0) {
		rc = -EBUSY;
		goto out;
	}
	/* Walk down the record from the table to this directory. */
	for (n = dir; n->kind != N_CTABLE && depth < 4; n = n->parent)
		path[depth++] = n;
	arr = json_object_get(tbl, "partitions");
	while (depth-- > 0) {
		n = path[depth];
		v = element(arr, n->name, n->kind == N_CTABLET);
		if (!v) {
			rc = -ENOENT;
			goto out;
		}
		arr = json_object_get(v, n->kind == N_CPART    ? "indexes"
					 : n->kind == N_CINDEX ? "tablets"
							       : "replicas");
	}
	if (dir->kind == N_CTABLET) {
		rc = fill_ctablet(fs, dir, arr, pl);
		goto out;
	}
	json_array_foreach (arr, i, v) {
		char id[32];
		const char *name =
			json_string_value(json_object_get(v, "name"));

		if (dir->kind == N_CINDEX) {
			snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(v, "id")));
			name = id;
		}
		if (!name || !proto_dir(pl, name,
					dir->kind == N_CTABLE  ? N_CPART
					: dir->kind == N_CPART ? N_CINDEX
							       : N_CTABLET,
					fs->mounted_at)) {
			rc = -ENOMEM;
			goto out;
		}
	}
out:
	json_decref(tbl);
	return rc;
}

static int label_cb(const struct repo_label_ref *ref, void *arg)
{
	void **a = arg;
	struct snapfs *fs = a[0];
	struct protolist *pl = a[1];
	struct proto *p;

	/* An unsafe label is shown under its stored name, never hidden. */
	p = proto_add(pl, ref->label ? ref->label : ref->dir, N_LABEL);
	if (!p || !(p->key = strdup(ref->dir)))
		return -ENOMEM;
	p->is_dir = true;
	p->mtime = fs->mounted_at;
	return 0;
}

static int fill_snapshots(struct snapfs *fs, struct node *dir,
			  struct protolist *pl)
{
	void *a[2] = {fs, pl};

	return repo_list_labels(fs->repo, label_cb, a);
}

static void retire_label(struct snapfs *fs, struct repo_label *rl)
{
	struct repo_label **v;

	pthread_mutex_lock(&fs->lock);
	v = realloc(fs->retired, (fs->nretired + 1) * sizeof(*v));
	if (v) {
		fs->retired = v;
		fs->retired[fs->nretired++] = rl;
	}
	pthread_mutex_unlock(&fs->lock);
	if (!v)
		snap_log(LOG_ERR, "out of memory keeping label %s", rl->label);
}

static int fill_label(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct repo_label *rl = NULL;
	const char *latest = NULL;
	struct proto *p;
	size_t i;
	int rc;

	rc = repo_label_load(fs->repo, dir->key, &rl);
	if (rc < 0)
		return rc;
	/* Nodes keep pointers into rl: it lives until unmount. */
	retire_label(fs, rl);
	for (i = 0; i < rl->nts; i++) {
		struct node *old;
		struct snap *sn = NULL;

		pthread_mutex_lock(&fs->lock);
		old = kid_find(dir, rl->ts[i].name);
		if (old && old->kind == N_TS)
			sn = old->snap;
		pthread_mutex_unlock(&fs->lock);
		if (!sn) {
			sn = snap_new(rl, i);
			if (!sn)
				return -ENOMEM;
		}
		p = proto_add(pl, rl->ts[i].name, N_TS);
		if (!p) {
			if (!old)
				snap_free(sn);
			return -ENOMEM;
		}
		p->snap = sn;
		p->is_dir = true;
		p->ready = false;
		p->mtime = rl->ts[i].info_mtime;
	}
	/* latest: the newest timestamp whose snapshot is complete, its
	 * meta included. Older ones are not read. */
	for (i = pl->n; i-- > 0;) {
		struct snap *sn = pl->v[i].snap;
		bool ok;

		pthread_mutex_lock(&sn->lock);
		ok = snap_texts_locked(fs, sn) == 0 &&
		     strncmp(sn->status, "OK\n", 3) == 0;
		pthread_mutex_unlock(&sn->lock);
		if (ok) {
			latest = pl->v[i].name;
			break;
		}
	}
	if (latest) {
		p = proto_add(pl, "latest", N_LINK);
		if (!p || !(p->text = strdup(latest)))
			return -ENOMEM;
		p->size = strlen(latest);
		p->mtime = fs->mounted_at;
	}
	if (!proto_text(pl, "status",
			text_printf("%s\nlabel: %s\ntimestamps: %zu\nlatest: "
				    "%s\n",
				    latest || rl->nts == 0
					    ? rl->status
					    : "INVALID: no timestamp holds a "
					      "complete snapshot",
				    rl->label, rl->nts,
				    latest ? latest : "(none)"),
			fs->mounted_at))
		return -ENOMEM;
	return 0;
}

static int fill_ts(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct repo_snapshot *s;
	struct proto *p;
	int rc;

	rc = snap_load(fs, dir->snap, &s);
	if (rc < 0)
		return rc;
	p = proto_add(pl, "info", N_OBJECT);
	if (!p || !(p->key = strdup(s->info_key)))
		return -ENOMEM;
	p->size = s->info_size;
	p->mtime = s->mtime;
	if (md5_split_name(strrchr(s->info_key, '/') + 1, &(size_t){0}) == 0)
		memcpy(p->md5, s->info_key + strlen(s->info_key) - MD5_HEX_LEN,
		       MD5_HEX_LEN + 1);
	p = proto_add(pl, "status", N_SNAP_TEXT);
	if (!p)
		return -ENOMEM;
	p->snap = dir->snap;
	p->ready = false;
	p->mtime = s->mtime;
	if (s->meta_key) {
		p = proto_add(pl, "meta", N_OBJECT);
		if (!p || !(p->key = strdup(s->meta_key)))
			return -ENOMEM;
		p->size = s->meta_size;
		p->mtime = s->mtime;
		memcpy(p->md5, s->meta_key + strlen(s->meta_key) - MD5_HEX_LEN,
		       MD5_HEX_LEN + 1);
	}
	if (s->ji) {
		p = proto_add(pl, "meta.json", N_SNAP_TEXT);
		if (!p)
			return -ENOMEM;
		p->snap = dir->snap;
		p->ready = false;
		p->snap_text_is_meta = true;
		p->mtime = s->mtime;
		p = proto_add(pl, s->ji->database, N_DB);
		if (!p)
			return -ENOMEM;
		p->is_dir = true;
		p->snap = dir->snap;
		p->mtime = s->mtime;
	}
	return 0;
}

/* Children of db/table/partition/index directories come from the info. */
static int fill_info_level(struct snapfs *fs, struct node *dir,
			   struct protolist *pl)
{
	const struct jobinfo *ji = dir->snap->s->ji;
	int64_t mtime = dir->snap->s->mtime;
	struct proto *p = NULL;
	size_t i;
	char idbuf[32];

	switch (dir->kind) {
	case N_DB:
		for (i = 0; i < ji->ntables; i++) {
			p = proto_add(pl, ji->tables[i].name, N_TABLE);
			if (!p)
				return -ENOMEM;
			p->ref = &ji->tables[i];
			p->is_dir = true;
			p->snap = dir->snap;
			p->mtime = mtime;
		}
		break;
	case N_TABLE: {
		const struct jobinfo_table *t = dir->ref;

		for (i = 0; i < t->npartitions; i++) {
			p = proto_add(pl, t->partitions[i].name, N_PART);
			if (!p)
				return -ENOMEM;
			p->ref = &t->partitions[i];
			p->is_dir = true;
			p->snap = dir->snap;
			p->mtime = mtime;
		}
		break;
	}
	case N_PART: {
		const struct jobinfo_partition *pt = dir->ref;

		for (i = 0; i < pt->nindexes; i++) {
			p = proto_add(pl, pt->indexes[i].name, N_INDEX);
			if (!p)
				return -ENOMEM;
			p->ref = &pt->indexes[i];
			p->is_dir = true;
			p->snap = dir->snap;
			p->mtime = mtime;
		}
		break;
	}
	case N_INDEX: {
		const struct jobinfo_index *ix = dir->ref;

		for (i = 0; i < ix->ntablets; i++) {
			snprintf(idbuf, sizeof(idbuf), "%" PRId64,
				 ix->tablets[i].id);
			p = proto_add(pl, idbuf, N_TABLET);
			if (!p)
				return -ENOMEM;
			p->ref = &ix->tablets[i];
			p->is_dir = true;
			p->snap = dir->snap;
			p->mtime = mtime;
		}
		break;
	}
	default:
		return -ENOTDIR;
	}
	return 0;
}

static int fill_tablet(struct snapfs *fs, struct node *dir,
		       struct protolist *pl)
{
	const struct jobinfo_tablet *tab = dir->ref;
	const struct jobinfo_index *ix = dir->parent->ref;
	const struct jobinfo_table *tbl = dir->parent->parent->parent->ref;
	struct repo_file *files = NULL;
	size_t i, n = 0;
	int rc;

	rc = repo_tablet_files(fs->repo, dir->snap->s, tbl, ix, tab, &files,
			       &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		struct proto *p = proto_add(pl, files[i].name, N_OBJECT);

		if (!p) {
			rc = -ENOMEM;
			break;
		}
		p->key = files[i].key;
		files[i].key = NULL;
		p->size = files[i].size;
		p->mtime = dir->snap->s->mtime;
		p->missing = !files[i].present;
		memcpy(p->md5, files[i].md5, sizeof(p->md5));
		if (p->missing)
			snap_log(LOG_WARNING,
				 "%s: listed in %s but not in the repository",
				 p->key, dir->snap->s->info_key);
	}
	repo_files_free(files, n);
	return rc;
}

static int raw_cb(const struct store_entry *e, void *arg)
{
	void **a = arg;
	struct protolist *pl = a[0];
	size_t plen = *(size_t *)a[1];
	const char *name = e->key + plen;
	char *nm;
	size_t lnlen;
	struct proto *p;

	nm = strndup(name, e->is_prefix ? strlen(name) - 1 : strlen(name));
	if (!nm)
		return -ENOMEM;
	p = proto_add(pl, nm, e->is_prefix ? N_RAW_DIR : N_OBJECT);
	free(nm);
	if (!p || !(p->key = strdup(e->key)))
		return -ENOMEM;
	p->is_dir = e->is_prefix;
	p->size = e->size;
	/* Object stores have no directory times: use the mount's. */
	p->mtime = e->is_prefix ? *(int64_t *)a[2] : e->mtime;
	if (!e->is_prefix && md5_split_name(name, &lnlen) == 0)
		memcpy(p->md5, name + lnlen + 1, sizeof(p->md5));
	return 0;
}

static int fill_raw(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	size_t plen = strlen(dir->key);
	int64_t when = fs->mounted_at;
	void *a[3] = {pl, &plen, &when};

	return store_list(fs->st, dir->key, "/", raw_cb, a);
}

/* Is the directory's listing due? Immutable snapshot levels never are. */
static bool needs_fill(struct snapfs *fs, struct node *dir)
{
	bool due;

	pthread_mutex_lock(&fs->lock);
	due = !dir->listed;
	if (!due && (dir->kind == N_SNAPSHOTS || dir->kind == N_LABEL ||
		     dir->kind == N_RAW_DIR))
		due = time(NULL) - dir->listed_at >=
		      (time_t)fs->o.cache_ttl; /* A backup through this mount
						  changed the repository. */
	if (!due &&
	    (dir->kind == N_SNAPSHOTS || dir->kind == N_LABEL ||
	     dir->kind == N_RAW_DIR) &&
	    dir->repo_gen != jobs_repo_generation(fs->jobs))
		due = true;
	/* The catalog is local and changes under jobs: always fresh. */
	if (dir->kind == N_JOBS ||
	    (dir->kind >= N_CLUSTER && dir->kind <= N_CTABLET))
		due = true;
	pthread_mutex_unlock(&fs->lock);
	return due;
}

static int fill(struct snapfs *fs, struct node *dir)
{
	struct protolist pl = {0};
	int rc;

	if (!needs_fill(fs, dir))
		return 0;
	snap_log(LOG_DEBUG, "list %s%s", dir->name[0] ? dir->name : "/",
		 dir->key ? dir->key : "");
	switch (dir->kind) {
	case N_ROOT:
		rc = fill_root(fs, dir, &pl);
		break;
	case N_SNAPSHOTS:
		rc = fill_snapshots(fs, dir, &pl);
		break;
	case N_LABEL:
		rc = fill_label(fs, dir, &pl);
		break;
	case N_TS:
		rc = fill_ts(fs, dir, &pl);
		break;
	case N_DB:
	case N_TABLE:
	case N_PART:
	case N_INDEX:
		rc = fill_info_level(fs, dir, &pl);
		break;
	case N_TABLET:
		rc = fill_tablet(fs, dir, &pl);
		break;
	case N_RAW_DIR:
		rc = fill_raw(fs, dir, &pl);
		break;
	case N_CONTROL:
		rc = fill_control(fs, dir, &pl);
		break;
	case N_JOBS:
		rc = fill_jobs(fs, dir, &pl);
		break;
	case N_JOB:
		rc = fill_job(fs, dir, &pl);
		break;
	case N_CLUSTER:
	case N_CDB:
	case N_CTABLE:
	case N_CPART:
	case N_CINDEX:
	case N_CTABLET:
		rc = fill_cluster(fs, dir, &pl);
		break;
	default:
		rc = -ENOTDIR;
		break;
	}
	if (rc == 0)
		rc = merge(fs, dir, &pl);
	else if (rc == -ENOENT && dir->kind == N_LABEL)
		rc = merge(fs, dir, &pl); /* the label went away: empty */
	protolist_release(&pl);
	if (rc < 0 && rc != -ENOMEM && rc != -ENOTDIR && rc != -EBUSY) {
		snap_log(LOG_ERR, "listing %s \"%s\": %s",
			 dir->key ? dir->key : "directory", dir->name,
			 strerror(-rc));
		rc = -EIO;
	}
	return rc;
}

/* The current text of an N_DYN file. */
static int dyn_text(struct snapfs *fs, struct node *n, char **text, size_t *len)
{
	int64_t id = n->parent ? strtoll(n->parent->name, NULL, 10) : 0;

	switch (n->sub) {
	case DYN_LAST_ERROR:
		pthread_mutex_lock(&fs->lock);
		*text = text_printf("%s%s", fs->last_error,
				    fs->last_error[0] ? "\n" : "");
		pthread_mutex_unlock(&fs->lock);
		if (!*text)
			return -ENOMEM;
		*len = strlen(*text);
		return 0;
	case DYN_STATUS:
		return jobs_status(fs->jobs, id, false, text, len);
	case DYN_STATUS_JSON:
		return jobs_status(fs->jobs, id, true, text, len);
	case DYN_SHOW_RESTORE:
		return jobs_show(fs->jobs, JOB_KIND_RESTORE, text, len);
	case DYN_SHOW_BACKUP:
		return jobs_show(fs->jobs, JOB_KIND_BACKUP, text, len);
	case DYN_LAST_REPORT:
		pthread_mutex_lock(&fs->lock);
		*text = strdup(fs->last_report ? fs->last_report : "");
		pthread_mutex_unlock(&fs->lock);
		if (!*text)
			return -ENOMEM;
		*len = strlen(*text);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Compute the attributes of lazily sized nodes. */
static int materialize(struct snapfs *fs, struct node *n)
{
	char *text;
	size_t len;

	struct repo_snapshot *s;
	int rc = 0;

	if (n->ready)
		return 0;
	switch (n->kind) {
	case N_TS:
		rc = snap_load(fs, n->snap, &s);
		if (rc == 0) {
			pthread_mutex_lock(&fs->lock);
			n->mtime = s->mtime;
			n->ready = true;
			pthread_mutex_unlock(&fs->lock);
		}
		break;
	case N_SNAP_TEXT:
		pthread_mutex_lock(&n->snap->lock);
		rc = snap_texts_locked(fs, n->snap);
		if (rc == 0) {
			pthread_mutex_lock(&fs->lock);
			n->size = n->snap_text_is_meta
					  ? n->snap->meta_json_len
					  : strlen(n->snap->status);
			n->ready = true;
			pthread_mutex_unlock(&fs->lock);
		}
		pthread_mutex_unlock(&n->snap->lock);
		break;
	case N_DYN:
		/* Always recomputed: the size is the text's as of now. */
		rc = dyn_text(fs, n, &text, &len);
		if (rc == 0) {
			pthread_mutex_lock(&fs->lock);
			n->size = len;
			pthread_mutex_unlock(&fs->lock);
			free(text);
		}
		return rc;
	default:
		n->ready = true;
		break;
	}
	return rc < 0 && rc != -ENOMEM ? -EIO : rc;
}

static struct node *node_get(struct snapfs *fs, uint64_t ino)
{
	struct node *n = NULL;

	pthread_mutex_lock(&fs->lock);
	if (ino >= 1 && ino <= fs->nnodes)
		n = fs->nodes[ino - 1];
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static void node_stat(struct snapfs *fs, struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&fs->lock);
	st->st_ino = n->ino;
	if (n->is_dir) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (n->kind == N_LINK) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
	} else if (n->kind == N_CTL) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
	}
	st->st_size = (off_t)n->size;
	st->st_blksize = 128 * 1024;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_mtim.tv_sec = n->mtime;
	st->st_ctim.tv_sec = n->mtime;
	st->st_atim.tv_sec = n->mtime;
	st->st_uid = fs->o.uid;
	st->st_gid = fs->o.gid;
	pthread_mutex_unlock(&fs->lock);
}

/* ---- public API --------------------------------------------------------- */

int snapfs_new(const struct snapfs_opts *o, char *err, size_t errlen,
	       struct snapfs **out)
{
	struct snapfs *fs;
	struct proto root = {.kind = N_ROOT, .is_dir = true, .ready = true};
	int rc;

	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->written, NULL);
	fs->o = *o;
	fs->mounted_at = time(NULL);
	fs->mountpoint = o->mountpoint ? strdup(o->mountpoint) : NULL;
	rc = store_open(o->url, &o->store, &fs->st);
	if (rc < 0) {
		store_explain(rc, o->url, err, errlen);
		goto out;
	}
	fs->url = strdup(fs->st->url);
	rc = repo_open(fs->st, o->repo, err, errlen, &fs->repo);
	if (rc < 0)
		goto out;
	if (o->data_dir) {
		struct cluster_opts co = {
			.data_dir = o->data_dir,
			.nbackends = o->backends ? o->backends : 3,
			.backend_paths = o->backend_paths,
			.npaths = o->nbackend_paths,
		};

		rc = cluster_open(&co, err, errlen, &fs->cl);
		if (rc < 0)
			goto out;
		rc = jobs_start(fs->repo, fs->cl,
				o->download_threads ? o->download_threads : 4,
				&fs->jobs);
		if (rc < 0) {
			snprintf(err, errlen, "starting jobs: %s",
				 strerror(-rc));
			goto out;
		}
	}
	root.name = strdup("");
	root.mtime = fs->mounted_at;
	if (!fs->url || !root.name) {
		rc = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&fs->lock);
	if (!node_new_locked(fs, NULL, &root))
		rc = -ENOMEM;
	pthread_mutex_unlock(&fs->lock);
	free(root.name);
out:
	if (rc < 0) {
		snapfs_free(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

void snapfs_free(struct snapfs *fs)
{
	size_t i;
	if (!fs)
		return;
	/* Workers first: they use the repository and the cluster. */
	jobs_stop(fs->jobs);
	cluster_close(fs->cl);
	for (i = 0; i < fs->nnodes; i++) {
		struct node *n = fs->nodes[i];

		if (n->kind == N_TS)
			snap_free(n->snap);
		free(n->name);
		free(n->kids);
		free(n->key);
		free(n->text);
		free(n);
	}
	free(fs->nodes);
	for (i = 0; i < fs->nretired; i++)
		repo_label_free(fs->retired[i]);
	free(fs->retired);
	repo_close(fs->repo);
	store_close(fs->st);
	pthread_mutex_destroy(&fs->lock);
	pthread_cond_destroy(&fs->written);
	free(fs->last_report);
	free(fs->url);
	free(fs->mountpoint);
	free(fs);
}

double snapfs_ttl(const struct snapfs *fs)
{
	return fs->o.cache_ttl;
}

double snapfs_node_ttl(struct snapfs *fs, uint64_t ino)
{
	struct node *n = node_get(fs, ino);

	/* The local cluster, jobs and control files change under jobs:
	 * the kernel must ask again every time. */
	if (n && n->kind >= N_CONTROL)
		return 0;
	return fs->o.cache_ttl;
}

int snapfs_lookup(struct snapfs *fs, uint64_t parent, const char *name,
		  struct stat *out)
{
	struct node *dir = node_get(fs, parent), *n;
	int rc;

	if (!dir)
		return -ENOENT;
	if (!dir->is_dir)
		return -ENOTDIR;
	rc = fill(fs, dir);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&fs->lock);
	n = kid_find(dir, name);
	pthread_mutex_unlock(&fs->lock);
	if (!n)
		return -ENOENT;
	rc = materialize(fs, n);
	if (rc < 0)
		return rc;
	node_stat(fs, n, out);
	return 0;
}

int snapfs_getattr(struct snapfs *fs, uint64_t ino, struct stat *out)
{
	struct node *n = node_get(fs, ino);
	int rc;

	if (!n)
		return -ENOENT;
	rc = materialize(fs, n);
	if (rc < 0)
		return rc;
	node_stat(fs, n, out);
	return 0;
}

int snapfs_readlink(struct snapfs *fs, uint64_t ino, char *buf, size_t size)
{
	struct node *n = node_get(fs, ino);
	int rc = 0;

	if (!n)
		return -ENOENT;
	if (n->kind != N_LINK)
		return -EINVAL;
	pthread_mutex_lock(&fs->lock);
	if (strlen(n->text) >= size)
		rc = -ENAMETOOLONG;
	else
		memcpy(buf, n->text, strlen(n->text) + 1);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

int snapfs_opendir(struct snapfs *fs, uint64_t ino, struct snapfs_dir **out)
{
	struct node *dir = node_get(fs, ino);
	struct snapfs_dir *d;
	size_t i;
	int rc;

	if (!dir)
		return -ENOENT;
	if (!dir->is_dir)
		return -ENOTDIR;
	rc = fill(fs, dir);
	if (rc < 0)
		return rc;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_lock(&fs->lock);
	d->e = calloc(dir->nkids + 2, sizeof(*d->e));
	if (!d->e) {
		rc = -ENOMEM;
		goto unlock;
	}
	d->e[0].name = strdup(".");
	d->e[0].ino = dir->ino;
	d->e[0].mode = S_IFDIR;
	d->e[1].name = strdup("..");
	d->e[1].ino = dir->parent ? dir->parent->ino : dir->ino;
	d->e[1].mode = S_IFDIR;
	d->n = 2;
	for (i = 0; i < dir->nkids; i++) {
		struct node *k = dir->kids[i];

		d->e[d->n].name = strdup(k->name);
		d->e[d->n].ino = k->ino;
		d->e[d->n].mode = k->is_dir	      ? S_IFDIR
				  : k->kind == N_LINK ? S_IFLNK
						      : S_IFREG;
		d->n++;
	}
	for (i = 0; i < d->n; i++)
		if (!d->e[i].name)
			rc = -ENOMEM;
unlock:
	pthread_mutex_unlock(&fs->lock);
	if (rc < 0) {
		snapfs_releasedir(d);
		return rc;
	}
	*out = d;
	return 0;
}

size_t snapfs_dir_count(const struct snapfs_dir *d)
{
	return d->n;
}

const char *snapfs_dir_entry(const struct snapfs_dir *d, size_t i,
			     struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = d->e[i].ino;
	st->st_mode = d->e[i].mode;
	return d->e[i].name;
}

void snapfs_releasedir(struct snapfs_dir *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; d->e && i < d->n; i++)
		free(d->e[i].name);
	free(d->e);
	free(d);
}

int snapfs_open(struct snapfs *fs, uint64_t ino, int flags,
		struct snapfs_file **out)
{
	struct node *n = node_get(fs, ino);
	struct snapfs_file *f;
	bool bad;
	int rc;

	if (!n)
		return -ENOENT;
	if (n->is_dir)
		return -EISDIR;
	if (((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) &&
	    n->kind != N_CTL) {
		if (n->kind == N_LOCAL) {
			snap_log(LOG_INFO,
				 "%s: files in tablets are written once",
				 n->name);
			return -EPERM;
		}
		return -EROFS;
	}
	rc = materialize(fs, n);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&fs->lock);
	/* A file still being written is named when its writer lets go,
	 * just after the writer's close() returns: wait for that. */
	if (n->writers > 0) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (n->writers > 0 &&
		       pthread_cond_timedwait(&fs->written, &fs->lock,
					      &until) == 0)
			;
	}
	bad = n->corrupt;
	pthread_mutex_unlock(&fs->lock);
	if (bad || n->missing) {
		snap_log(LOG_ERR, "open %s: object %s", n->key,
			 bad ? "failed its MD5 check" : "is missing");
		return -EIO;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	snap_log(LOG_DEBUG, "open %s", n->key ? n->key : n->name);
	f->node = n;
	f->fd = -1;
	pthread_mutex_init(&f->lock, NULL);
	if (n->kind == N_DYN) {
		rc = dyn_text(fs, n, &f->text, &f->text_len);
		if (rc < 0) {
			snapfs_release(fs, f);
			return rc;
		}
	}
	if (n->kind == N_LOCAL) {
		f->fd = open(n->key, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0) {
			rc = -errno;
			snap_log(LOG_ERR, "open %s: %s", n->key, strerror(-rc));
			snapfs_release(fs, f);
			return rc == -ENOENT ? -EIO : rc;
		}
	}
	if (fs->o.verify && (n->kind == N_OBJECT || n->kind == N_LOCAL) &&
	    n->md5[0]) {
		rc = md5_new(&f->md5);
		if (rc < 0) {
			free(f);
			return rc;
		}
	}
	*out = f;
	return 0;
}

/*
 * Feed the MD5 of a sequential pass. Reads that overlap what was hashed
 * hash only the new part; a read past the hashed end ends verification for
 * this handle (the kernel's readahead is in order with async reads off).
 * @return -EIO if this read completed the pass and the MD5 is wrong.
 */
static int verify_feed(struct snapfs *fs, struct snapfs_file *f,
		       const char *buf, size_t n, uint64_t off)
{
	struct node *node = f->node;
	char hex[MD5_HEX_LEN + 1];
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	if (!f->md5)
		goto out;
	if (off > f->next) {
		md5_free(f->md5);
		f->md5 = NULL;
		goto out;
	}
	if (off + n > f->next) {
		md5_update(f->md5, buf + (f->next - off),
			   (size_t)(off + n - f->next));
		f->next = off + n;
	}
	if (f->next < node->size && n > 0)
		goto out;
	if (f->next != node->size)
		goto out; /* short object: store_read reported EOF early */
	md5_final_hex(f->md5, hex);
	md5_free(f->md5);
	f->md5 = NULL;
	if (strcmp(hex, node->md5) != 0) {
		snap_log(LOG_ERR,
			 "%s: content MD5 is %s, the name says %s: "
			 "returning EIO",
			 node->key, hex, node->md5);
		pthread_mutex_lock(&fs->lock);
		node->corrupt = true;
		pthread_mutex_unlock(&fs->lock);
		rc = -EIO;
	}
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/*
 * Serve a read of a remote object from a window fetched in one request.
 * The window doubles (RA_MIN to RA_MAX) while reads continue where the
 * last one ended, and falls back to RA_MIN on a jump, so a sequential
 * copy makes few round trips and random reads fetch little extra.
 */
static void *prefetch_thread(void *arg)
{
	struct snapfs_file *f = arg;

	f->pf.rc = store_read(f->pf.st, f->pf.key, f->pf.off, f->pf.buf,
			      f->pf.want, &f->pf.got);
	return NULL;
}

/* Wait for the background fetch, if any. Under f->lock. */
static void prefetch_join(struct snapfs_file *f)
{
	if (f->pf.running) {
		pthread_join(f->pf.th, NULL);
		f->pf.running = false;
	}
}

/* Start fetching the window after the current one. Under f->lock. */
static void prefetch_start(struct snapfs *fs, struct snapfs_file *f,
			   const struct node *node)
{
	uint64_t next = f->ra_off + f->ra_len;
	size_t win = f->ra_win >= RA_MAX ? RA_MAX : f->ra_win * 2;

	if (next >= node->size)
		return;
	if (!f->pf.buf && !(f->pf.buf = malloc(RA_MAX)))
		return;
	f->pf.st = fs->st;
	f->pf.key = node->key;
	f->pf.off = next;
	f->pf.want =
		node->size - next < win ? (size_t)(node->size - next) : win;
	f->pf.got = 0;
	f->pf.rc = 0;
	f->pf.running =
		pthread_create(&f->pf.th, NULL, prefetch_thread, f) == 0;
}

/*
 * Serve a read of a remote object from a window fetched in one request.
 * The window doubles (RA_MIN to RA_MAX) while reads continue where the
 * last one ended, and falls back to RA_MIN on a jump, so a sequential
 * copy makes few round trips and random reads fetch little extra. While
 * reads are in order, the next window is fetched in the background, so
 * the round trip overlaps the reader's work on this one.
 */
static int read_ahead(struct snapfs *fs, struct snapfs_file *f,
		      const struct node *node, uint64_t off, char *buf,
		      size_t size, size_t *n)
{
	size_t want, got;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	if (!f->ra || off < f->ra_off || off >= f->ra_off + f->ra_len ||
	    (off + size > f->ra_off + f->ra_len &&
	     f->ra_off + f->ra_len < node->size)) {
		bool in_order = f->ra && off == f->ra_off + f->ra_len;

		f->ra_win = !in_order		  ? RA_MIN
			    : f->ra_win >= RA_MAX ? RA_MAX
						  : f->ra_win * 2;
		prefetch_join(f);
		if (in_order && f->pf.off == off && f->pf.rc == 0 &&
		    f->pf.got >= size) {
			char *t = f->ra; /* the prefetched window is next */

			f->ra = f->pf.buf;
			f->pf.buf = t;
			f->ra_off = off;
			f->ra_len = f->pf.got;
			f->pf.got = 0;
			goto refilled;
		}
		want = f->ra_win > size ? f->ra_win : size;
		if (want > node->size - off)
			want = (size_t)(node->size - off);
		if (!f->ra) {
			f->ra = malloc(RA_MAX > size ? RA_MAX : size);
			if (!f->ra) {
				rc = -ENOMEM;
				goto out;
			}
		} else if (want > RA_MAX) {
			want = RA_MAX; /* size <= max_read < RA_MAX */
		}
		f->ra_len = 0;
		rc = store_read(fs->st, node->key, off, f->ra, want, &got);
		if (rc < 0)
			goto out;
		f->ra_off = off;
		f->ra_len = got;
	refilled:
		if (in_order)
			prefetch_start(fs, f, node);
	}
	got = (size_t)(f->ra_off + f->ra_len - off);
	*n = got < size ? got : size;
	memcpy(buf, f->ra + (off - f->ra_off), *n);
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int snapfs_read(struct snapfs *fs, struct snapfs_file *f, char *buf,
		size_t size, uint64_t off, size_t *n)
{
	struct node *node = f->node;
	const char *text = NULL;
	size_t len = 0;
	int rc;

	switch (node->kind) {
	case N_TEXT:
		pthread_mutex_lock(&fs->lock);
		len = strlen(node->text);
		if (off < len) {
			len = len - off < size ? len - off : size;
			memcpy(buf, node->text + off, len);
		} else {
			len = 0;
		}
		pthread_mutex_unlock(&fs->lock);
		*n = len;
		return 0;
	case N_SNAP_TEXT:
		/* Immutable once computed by materialize(). */
		text = node->snap_text_is_meta ? node->snap->meta_json
					       : node->snap->status;
		len = node->snap_text_is_meta ? node->snap->meta_json_len
					      : strlen(text);
		if (off >= len) {
			*n = 0;
			return 0;
		}
		len = len - off < size ? len - off : size;
		memcpy(buf, text + off, len);
		*n = len;
		return 0;
	case N_OBJECT:
		/* Once a pass has proven the object corrupt, every read of it
		 * fails: the kernel retries failed readahead page by page and
		 * must not get the bad bytes that way. */
		pthread_mutex_lock(&fs->lock);
		rc = node->corrupt ? -EIO : 0;
		pthread_mutex_unlock(&fs->lock);
		if (rc < 0)
			return rc;
		if (off >= node->size) {
			*n = 0;
			return verify_feed(fs, f, buf, 0, off);
		}
		if (size > node->size - off)
			size = (size_t)(node->size - off);
		if (store_can(fs->st, STORE_CAP_REMOTE))
			rc = read_ahead(fs, f, node, off, buf, size, &len);
		else
			rc = store_read(fs->st, node->key, off, buf, size,
					&len);
		if (rc < 0) {
			snap_log(LOG_ERR, "read %s at %" PRIu64 ": %s",
				 node->key, off, store_strerror(rc));
			return -EIO;
		}
		rc = verify_feed(fs, f, buf, len, off);
		if (rc < 0)
			return rc;
		*n = len;
		return 0;
	case N_DYN:
		if (off >= f->text_len) {
			*n = 0;
			return 0;
		}
		len = f->text_len - off < size ? f->text_len - off : size;
		memcpy(buf, f->text + off, len);
		*n = len;
		return 0;
	case N_LOCAL: {
		ssize_t got = pread(f->fd, buf, size, (off_t)off);

		if (got < 0) {
			snap_log(LOG_ERR, "read %s: %s", node->key,
				 strerror(errno));
			return -EIO;
		}
		rc = verify_feed(fs, f, buf, (size_t)got, off);
		if (rc < 0)
			return rc;
		*n = (size_t)got;
		return 0;
	}
	case N_CTL:
		*n = 0;
		return 0;
	default:
		return -EISDIR;
	}
}

/* Submit the statement collected in a control file handle. */
static int ctl_submit(struct snapfs *fs, struct snapfs_file *f, bool final)
{
	char err[sizeof(fs->last_error) - 64];
	int64_t id = 0;
	size_t i;
	int rc;

	for (i = 0; i < f->wlen; i++)
		if (f->wbuf[i] != ' ' && f->wbuf[i] != '\n' &&
		    f->wbuf[i] != '\t' && f->wbuf[i] != '\r')
			break;
	if (i == f->wlen) {
		f->wlen = 0; /* only whitespace: nothing to do */
		return 0;
	}
	err[0] = '\0';
	if (f->node->sub == JOBS_CONTROL_SNAPSHOTS) {
		char *report = NULL;

		rc = jobs_manage(fs->jobs, f->wbuf, f->wlen, err, sizeof(err),
				 &report);
		if (rc == -EINVAL && !final && !report &&
		    strstr(err, "end of input"))
			rc = -EAGAIN;
		if (report) {
			pthread_mutex_lock(&fs->lock);
			free(fs->last_report);
			fs->last_report = report;
			pthread_mutex_unlock(&fs->lock);
		}
	} else {
		rc = jobs_submit(fs->jobs, (enum jobs_control)f->node->sub,
				 f->wbuf, f->wlen, err, sizeof(err), &id);
	}
	if (rc == -EAGAIN && !final)
		return rc; /* keep the text: the statement goes on */
	if (rc == -EAGAIN)
		rc = -EINVAL;
	f->wlen = 0;
	pthread_mutex_lock(&fs->lock);
	if (rc < 0)
		snprintf(fs->last_error, sizeof(fs->last_error),
			 "control/%s: %s", f->node->name,
			 err[0] ? err : strerror(-rc));
	else
		fs->last_error[0] = '\0';
	pthread_mutex_unlock(&fs->lock);
	if (rc < 0)
		snap_log(LOG_INFO, "control/%s: rejected: %s", f->node->name,
			 err[0] ? err : strerror(-rc));
	return rc;
}

int snapfs_write(struct snapfs *fs, struct snapfs_file *f, const char *buf,
		 size_t size, uint64_t off, size_t *n)
{
	char *nb;
	int rc = 0;
	if (f->tmp) {
		ssize_t w;

		pthread_mutex_lock(&f->lock);
		w = pwrite(f->fd, buf, size, (off_t)off);
		if (w < 0) {
			rc = -errno;
		} else {
			if (f->wmd5 && off == f->wnext) {
				md5_update(f->wmd5, buf, (size_t)w);
				f->wnext += (uint64_t)w;
			} else if (f->wmd5) {
				md5_free(f->wmd5);
				f->wmd5 = NULL; /* hashed again at close */
			}
			if (off + (uint64_t)w > f->wsize)
				f->wsize = off + (uint64_t)w;
			*n = (size_t)w;
		}
		pthread_mutex_unlock(&f->lock);
		return rc;
	}
	if (f->node->kind != N_CTL)
		return -EROFS;
	pthread_mutex_lock(&f->lock);
	if (f->wlen + size > 1 << 20) {
		rc = -EFBIG; /* no statement is that long */
		goto out;
	}
	nb = realloc(f->wbuf, f->wlen + size + 1);
	if (!nb) {
		rc = -ENOMEM;
		goto out;
	}
	f->wbuf = nb;
	memcpy(f->wbuf + f->wlen, buf, size);
	f->wlen += size;
	f->wbuf[f->wlen] = '\0';
	/* echo writes the statement and its newline at once: submit now,
	 * so that a rejected statement fails this write. */
	if (size > 0 && (buf[size - 1] == '\n' || buf[size - 1] == ';')) {
		rc = ctl_submit(fs, f, false);
		if (rc == -EAGAIN)
			rc = 0; /* incomplete: wait for the rest, or close */
	}
out:
	pthread_mutex_unlock(&f->lock);
	if (rc == 0)
		*n = size;
	/* Everything a statement can be refused for reads as EINVAL to a
	 * shell; last_error has the precise reason. */
	return rc < 0 && rc != -ENOMEM && rc != -EFBIG ? -EINVAL : rc;
}

/* The names of a cluster/ tablet directory: db, table, partition, index. */
static int tablet_names(struct node *tab, const char *names[4],
			int64_t *tablet_id)
{
	struct node *n = tab;
	int i;

	if (tab->kind != N_CTABLET)
		return -EINVAL;
	*tablet_id = strtoll(tab->name, NULL, 10);
	for (i = 3; i >= 0; i--) {
		n = n->parent;
		names[i] = n->name;
	}
	return 0;
}

int snapfs_rmdir(struct snapfs *fs, uint64_t parent, const char *name)
{
	struct node *dir = node_get(fs, parent), *n;
	char err[512] = "";
	int rc;

	if (!dir)
		return -ENOENT;
	if (!fs->jobs || dir->kind != N_LABEL)
		return -EROFS;
	rc = fill(fs, dir);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&fs->lock);
	n = kid_find(dir, name);
	pthread_mutex_unlock(&fs->lock);
	if (!n)
		return -ENOENT;
	if (n->kind != N_TS)
		return n->is_dir ? -EROFS : -ENOTDIR;
	rc = jobs_drop_snapshot(fs->jobs, dir->key + strlen("__ss_"), name, err,
				sizeof(err));
	pthread_mutex_lock(&fs->lock);
	if (rc < 0)
		snprintf(fs->last_error, sizeof(fs->last_error),
			 "rmdir snapshots/%s/%s: %s", dir->name, name,
			 err[0] ? err : strerror(-rc));
	else
		fs->last_error[0] = '\0';
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

int snapfs_mkdir(struct snapfs *fs, uint64_t parent, const char *name,
		 struct stat *out)
{
	struct node *dir = node_get(fs, parent), *n;
	char *end;
	long long id;
	int rc;

	if (!dir)
		return -ENOENT;
	if (!fs->cl || dir->kind < N_CLUSTER || dir->kind > N_CINDEX)
		return -EROFS;
	switch (dir->kind) {
	case N_CLUSTER:
		rc = cluster_create_db(fs->cl, name);
		break;
	case N_CDB:
		rc = cluster_create_table(fs->cl, dir->name, name);
		break;
	case N_CTABLE:
	case N_CPART:
	case N_CINDEX:
		n = dir;
		while (n->kind != N_CTABLE)
			n = n->parent;
		if (jobs_table_busy(fs->jobs, n->parent->name, n->name))
			return -EBUSY;
		if (dir->kind == N_CTABLE) {
			rc = cluster_create_partition(fs->cl, n->parent->name,
						      n->name, name);
		} else if (dir->kind == N_CPART) {
			rc = cluster_create_index(fs->cl, n->parent->name,
						  n->name, dir->name, name);
		} else {
			/* A tablet directory is named by its id. */
			errno = 0;
			id = strtoll(name, &end, 10);
			if (*end || errno || id <= 0) {
				snap_log(LOG_INFO,
					 "mkdir %s: tablet directories are "
					 "named by tablet id (a number)",
					 name);
				return -EINVAL;
			}
			rc = cluster_create_tablet(fs->cl, n->parent->name,
						   n->name, dir->parent->name,
						   dir->name, id);
		}
		break;
	default:
		rc = -EROFS;
	}
	if (rc < 0)
		return rc;
	return snapfs_lookup(fs, parent, name, out);
}

int snapfs_create(struct snapfs *fs, uint64_t parent, const char *name,
		  int flags, struct stat *out, struct snapfs_file **fp)
{
	struct node *dir = node_get(fs, parent), *n;
	struct proto p = {0};
	struct snapfs_file *f = NULL;
	const char *names[4];
	char rdir[4096];
	int64_t tid;
	int rc, fd;

	if (!dir)
		return -ENOENT;
	if (!fs->cl || dir->kind != N_CTABLET)
		return -EROFS;
	if (!name_ok(name) || name[0] == '.')
		return -EINVAL;
	rc = tablet_names(dir, names, &tid);
	if (rc < 0)
		return rc;
	if (jobs_table_busy(fs->jobs, names[0], names[1]))
		return -EBUSY;
	rc = cluster_tablet_dir(fs->cl, names[0], names[1], names[2], names[3],
				tid, name, rdir, sizeof(rdir));
	if (rc == -EEXIST) {
		snap_log(LOG_INFO,
			 "create %s: files in tablets are written once; write "
			 "a new version under a new name",
			 name);
		return -EEXIST;
	}
	if (rc < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->fd = -1;
	if (asprintf(&f->tmp, "%s/.%s.part", rdir, name) < 0 ||
	    asprintf(&p.key, "%s/%s", rdir, name) < 0) {
		f->tmp = NULL;
		p.key = NULL;
		rc = -ENOMEM;
		goto out;
	}
	rc = md5_new(&f->wmd5);
	if (rc < 0)
		goto out;
	fd = open(f->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	f->fd = fd;
	/* A provisional node, kept by name when the catalog lists it. */
	p.name = strdup(name);
	p.kind = N_LOCAL;
	p.ready = true;
	p.mtime = time(NULL);
	if (!p.name) {
		rc = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&fs->lock);
	n = kid_find(dir, name);
	if (!n || n->kind != N_LOCAL || strcmp(n->key, p.key) != 0) {
		n = node_new_locked(fs, dir, &p);
		if (n && kid_insert_locked(dir, n) < 0)
			n = NULL;
	}
	if (n)
		n->writers++;
	pthread_mutex_unlock(&fs->lock);
	if (!n) {
		rc = -ENOMEM;
		goto out;
	}
	f->node = n;
	node_stat(fs, n, out);
	out->st_mode = S_IFREG | 0644;
out:
	free(p.name);
	free(p.key);
	if (rc < 0) {
		if (f->fd >= 0) {
			close(f->fd);
			unlink(f->tmp);
		}
		md5_free(f->wmd5);
		free(f->tmp);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return rc;
	}
	(void)flags;
	*fp = f;
	return 0;
}

/* Name a finished new file and record it in the catalog. */
static int finish_new_file(struct snapfs *fs, struct snapfs_file *f)
{
	const char *names[4];
	char hex[MD5_HEX_LEN + 1], buf[1 << 16];
	struct md5 *m = NULL;
	int64_t tid;
	ssize_t got;
	off_t off = 0;
	int rc;

	rc = tablet_names(f->node->parent, names, &tid);
	if (rc < 0)
		goto out;
	if (fsync(f->fd) < 0) {
		rc = -errno;
		goto out;
	}
	if (f->wmd5 && f->wnext == f->wsize) {
		md5_final_hex(f->wmd5, hex);
	} else {
		/* Written out of order: hash what is on disk. */
		rc = md5_new(&m);
		while (rc == 0 &&
		       (got = pread(f->fd, buf, sizeof(buf), off)) > 0) {
			md5_update(m, buf, (size_t)got);
			off += got;
		}
		if (rc == 0)
			md5_final_hex(m, hex);
		md5_free(m);
		if (rc < 0)
			goto out;
	}
	if (rename(f->tmp, f->node->key) < 0) {
		rc = -errno;
		goto out;
	}
	rc = cluster_add_file(fs->cl, names[0], names[1], names[2], names[3],
			      tid, f->node->name, hex, f->wsize);
	if (rc < 0) {
		unlink(f->node->key);
		goto out;
	}
	pthread_mutex_lock(&fs->lock);
	f->node->size = f->wsize;
	memcpy(f->node->md5, hex, sizeof(hex));
	pthread_mutex_unlock(&fs->lock);
out:
	if (rc < 0) {
		snap_log(LOG_ERR, "new file %s: %s", f->node->key,
			 strerror(-rc));
		unlink(f->tmp);
	}
	pthread_mutex_lock(&fs->lock);
	f->node->writers--;
	pthread_cond_broadcast(&fs->written);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

int snapfs_flush(struct snapfs *fs, struct snapfs_file *f)
{
	int rc = 0; /* A new file is named at RELEASE, when its last descriptor
		     * is gone (shells dup and close, so FLUSH comes too early);
		     * opens wait for that (snapfs_open). */
	if (f->tmp)
		return 0;
	if (f->node->kind != N_CTL)
		return 0;
	pthread_mutex_lock(&f->lock);
	if (f->wlen > 0)
		rc = ctl_submit(fs, f, true);
	pthread_mutex_unlock(&f->lock);
	return rc < 0 && rc != -ENOMEM ? -EINVAL : rc;
}

int snapfs_truncate(struct snapfs *fs, uint64_t ino)
{
	struct node *n = node_get(fs, ino);

	if (!n)
		return -ENOENT;
	return n->kind == N_CTL ? 0 : -EROFS;
}

int snapfs_release(struct snapfs *fs, struct snapfs_file *f)
{
	int rc = 0;

	if (!f)
		return 0;
	if (f->node->kind == N_CTL && f->wlen > 0)
		rc = ctl_submit(fs, f, true);
	if (f->tmp)
		rc = finish_new_file(fs, f);
	if (f->fd >= 0)
		close(f->fd);
	md5_free(f->md5);
	md5_free(f->wmd5);
	free(f->tmp);
	free(f->text);
	free(f->wbuf);
	prefetch_join(f);
	free(f->pf.buf);
	free(f->ra);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return rc < 0 ? -EINVAL : 0;
}

bool snapfs_file_direct(const struct snapfs_file *f)
{
	return f->node->kind == N_DYN || f->node->kind == N_CTL;
}

static int xattr_value(struct node *n, const char *name, const char **val)
{
	if (n->kind != N_OBJECT && n->kind != N_LOCAL)
		return -ENODATA;
	if (strcmp(name, SNAPFS_XATTR_MD5) == 0 && n->md5[0]) {
		*val = n->md5;
		return 0;
	}
	if (strcmp(name, SNAPFS_XATTR_OBJECT) == 0) {
		*val = n->key;
		return 0;
	}
	return -ENODATA;
}

int snapfs_getxattr(struct snapfs *fs, uint64_t ino, const char *name,
		    char *buf, size_t size, size_t *len)
{
	struct node *n = node_get(fs, ino);
	const char *val;
	size_t vlen;
	int rc;

	if (!n)
		return -ENOENT;
	rc = xattr_value(n, name, &val);
	if (rc < 0)
		return rc;
	vlen = strlen(val);
	if (size > 0) {
		if (size < vlen)
			return -ERANGE;
		memcpy(buf, val, vlen);
	}
	*len = vlen;
	return 0;
}

int snapfs_listxattr(struct snapfs *fs, uint64_t ino, char *buf, size_t size,
		     size_t *len)
{
	static const char *const names[] = {SNAPFS_XATTR_MD5,
					    SNAPFS_XATTR_OBJECT};
	struct node *n = node_get(fs, ino);
	const char *val;
	size_t i, need = 0;

	if (!n)
		return -ENOENT;
	for (i = 0; i < 2; i++)
		if (xattr_value(n, names[i], &val) == 0) {
			size_t l = strlen(names[i]) + 1;

			if (size > 0) {
				if (need + l > size)
					return -ERANGE;
				memcpy(buf + need, names[i], l);
			}
			need += l;
		}
	*len = need;
	return 0;
}

int snapfs_statfs(struct snapfs *fs, struct statvfs *out)
{
	memset(out, 0, sizeof(*out));
	out->f_bsize = 128 * 1024;
	out->f_frsize = 4096;
	pthread_mutex_lock(&fs->lock);
	out->f_files = fs->nnodes;
	pthread_mutex_unlock(&fs->lock);
	out->f_namemax = 255;
	out->f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	return 0;
}
