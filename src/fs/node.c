/* SPDX-License-Identifier: MIT */
/*
 * node.c - the inode table: nodes by inode number, their listings, the
 * merge of a fill's result, and lifetime by lookup count (fs_int.h says
 * how and why).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_int.h"
#include "jobs/jobs.h"

#include "base/banned.h"

#define HTAB_MIN 1024

static bool node_live(const struct node *n)
{
	return n->fixed || n->nlookup > 0 || n->nref > 0 || n->nlive > 0;
}

/* ---- protos ------------------------------------------------------------ */

struct proto *proto_add(struct protolist *pl, const char *name,
			const struct node_ops *ops)
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
	p->ops = ops;
	p->ready = true;
	pl->n++;
	return p;
}

struct proto *proto_dir(struct protolist *pl, const char *name,
			const struct node_ops *ops, int64_t mtime)
{
	struct proto *p = proto_add(pl, name, ops);

	if (p)
		p->mtime = mtime;
	return p;
}

static void proto_release(struct proto *p)
{
	free(p->name);
	free(p->key);
	free(p->text);
	if (p->priv && p->ops->free)
		p->ops->free(p->priv);
}

void protolist_release(struct protolist *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		proto_release(&pl->v[i]);
	free(pl->v);
}

/* ---- the table --------------------------------------------------------- */

int node_table_init(struct snapfs *fs)
{
	fs->htab = calloc(HTAB_MIN, sizeof(*fs->htab));
	if (!fs->htab)
		return -ENOMEM;
	fs->hsize = HTAB_MIN;
	fs->next_ino = SNAPFS_ROOT_INO;
	return 0;
}

static size_t slot_of(const struct snapfs *fs, uint64_t ino)
{
	return (size_t)(ino * 0x9E3779B97F4A7C15ULL >> 16) & (fs->hsize - 1);
}

/* Double the table when it is full; a failure only makes chains longer. */
static void htab_grow_locked(struct snapfs *fs)
{
	size_t i, old = fs->hsize;
	struct node **oldtab = fs->htab, **t;

	if (fs->count < fs->hsize)
		return;
	t = calloc(old * 2, sizeof(*t));
	if (!t)
		return;
	fs->htab = t;
	fs->hsize = old * 2;
	for (i = 0; i < old; i++) {
		struct node *n = oldtab[i], *next;

		for (; n; n = next) {
			size_t s = slot_of(fs, n->ino);

			next = n->hnext;
			n->hnext = t[s];
			t[s] = n;
		}
	}
	free(oldtab);
}

static void htab_remove_locked(struct snapfs *fs, struct node *n)
{
	struct node **pp = &fs->htab[slot_of(fs, n->ino)];

	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	fs->count--;
}

static struct node *htab_find_locked(const struct snapfs *fs, uint64_t ino)
{
	struct node *n = fs->htab[slot_of(fs, ino)];

	while (n && n->ino != ino)
		n = n->hnext;
	return n;
}

struct node *node_new_locked(struct snapfs *fs, struct node *parent,
			     struct proto *p)
{
	struct node *n = calloc(1, sizeof(*n));
	size_t s;

	if (!n)
		return NULL;
	htab_grow_locked(fs);
	n->ino = fs->next_ino++;
	n->ops = p->ops;
	n->parent = parent;
	n->name = p->name;
	n->fixed = p->fixed;
	n->ready = p->ready;
	n->size = p->size;
	n->mtime = p->mtime;
	n->key = p->key;
	n->text = p->text;
	n->missing = p->missing;
	memcpy(n->md5, p->md5, sizeof(n->md5));
	n->snap = p->snap;
	n->ref = p->ref;
	n->sub = p->sub;
	n->priv = p->priv;
	p->name = p->key = p->text = NULL;
	p->priv = NULL;
	s = slot_of(fs, n->ino);
	n->hnext = fs->htab[s];
	fs->htab[s] = n;
	fs->count++;
	if (n->fixed && parent)
		parent->nlive++; /* the parent is fixed too: nothing else */
	return n;
}

static void node_free_locked(struct snapfs *fs, struct node *n);

/* Free @n's listing: every child, none of them live. */
static void drop_listing_locked(struct snapfs *fs, struct node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		node_free_locked(fs, n->kids[i]);
	free(n->kids);
	n->kids = NULL;
	n->nkids = 0;
	n->listed = false;
}

static void node_free_locked(struct snapfs *fs, struct node *n)
{
	drop_listing_locked(fs, n);
	htab_remove_locked(fs, n);
	if (n->priv && n->ops->free)
		n->ops->free(n->priv);
	free(n->name);
	free(n->key);
	free(n->text);
	free(n);
}

/*
 * @n's counts changed and it was live (@was) before: if that flipped,
 * drop its listing (and itself, if orphaned) or not, and tell the parent,
 * whose liveness may flip in turn.
 */
static void settle_locked(struct snapfs *fs, struct node *n, bool was)
{
	while (n) {
		struct node *p = n->parent;
		bool now = node_live(n);

		if (now == was)
			return;
		if (!now) {
			drop_listing_locked(fs, n);
			if (n->orphan)
				node_free_locked(fs, n);
		}
		if (!p)
			return;
		was = node_live(p);
		if (now)
			p->nlive++;
		else
			p->nlive--;
		n = p;
	}
}

struct node *node_get(struct snapfs *fs, uint64_t ino)
{
	struct node *n;

	pthread_mutex_lock(&fs->lock);
	n = htab_find_locked(fs, ino);
	if (n)
		node_hold_locked(n);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

void node_hold_locked(struct node *n)
{
	/* Holding never frees anything: settle only matters for parents. */
	bool was = node_live(n);
	struct node *p;

	n->nref++;
	for (p = n->parent; !was && p; p = p->parent) {
		was = node_live(p);
		p->nlive++;
	}
}

void node_put_locked(struct snapfs *fs, struct node *n)
{
	bool was = node_live(n);

	n->nref--;
	settle_locked(fs, n, was);
}

void node_put(struct snapfs *fs, struct node *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&fs->lock);
	node_put_locked(fs, n);
	pthread_mutex_unlock(&fs->lock);
}

void node_lookup_count(struct snapfs *fs, struct node *n)
{
	pthread_mutex_lock(&fs->lock);
	n->nlookup++; /* n is held: it was live, nothing flips */
	pthread_mutex_unlock(&fs->lock);
}

int node_forget(struct snapfs *fs, uint64_t ino, uint64_t nlookup)
{
	struct node *n;
	bool was;
	int rc = 0;

	pthread_mutex_lock(&fs->lock);
	n = htab_find_locked(fs, ino);
	if (!n) {
		rc = -ENOENT;
		goto out;
	}
	was = node_live(n);
	if (nlookup > n->nlookup) {
		snap_log(LOG_WARNING,
			 "forget %s: %llu lookups, the kernel forgets %llu",
			 n->name, (unsigned long long)n->nlookup,
			 (unsigned long long)nlookup);
		nlookup = n->nlookup;
	}
	n->nlookup -= nlookup;
	settle_locked(fs, n, was);
out:
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

size_t node_count(struct snapfs *fs)
{
	size_t n;

	pthread_mutex_lock(&fs->lock);
	n = fs->count;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

void node_table_free(struct snapfs *fs)
{
	size_t i;

	for (i = 0; fs->htab && i < fs->hsize; i++) {
		struct node *n = fs->htab[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			if (n->priv && n->ops->free)
				n->ops->free(n->priv);
			free(n->name);
			free(n->key);
			free(n->text);
			free(n->kids);
			free(n);
		}
	}
	free(fs->htab);
	fs->htab = NULL;
}

/* ---- listings ---------------------------------------------------------- */

static int node_cmp(const void *a, const void *b)
{
	const struct node *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

struct node *node_kid_find(const struct node *dir, const char *name)
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

/* @n left its parent's listing: an orphan lives while held, else goes. */
static void orphan_locked(struct snapfs *fs, struct node *n)
{
	if (node_live(n))
		n->orphan = true;
	else
		node_free_locked(fs, n);
}

int node_kid_insert_locked(struct snapfs *fs, struct node *dir, struct node *n)
{
	struct node **v;
	size_t pos = 0;

	while (pos < dir->nkids && strcmp(dir->kids[pos]->name, n->name) < 0)
		pos++;
	if (pos < dir->nkids && strcmp(dir->kids[pos]->name, n->name) == 0) {
		orphan_locked(fs, dir->kids[pos]);
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

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/*
 * Is the listed @n still what @p describes? A key that changed is
 * another object or file (a restore committed a new generation), and a
 * link target that changed is another link: the kernel caches pages and
 * targets per inode, so these get a new node and no reader sees a node's
 * content change under it.
 */
static bool node_same(const struct node *n, const struct proto *p)
{
	if (n->ops != p->ops || !same_str(n->key, p->key))
		return false;
	return !(n->ops->flags & NODE_TEXT_ID) || same_str(n->text, p->text);
}

/* Refresh a kept node from its new description. */
static void node_refresh_locked(struct node *n, struct proto *p)
{
	if (p->ready) {
		n->size = p->size;
		n->mtime = p->mtime;
	}
	if (p->text) {
		free(n->text);
		n->text = p->text;
		p->text = NULL;
	}
}

/* A fill that describes one listed thing twice must not list its node
 * twice (it would be freed twice): drop repeated pointers from the
 * name-sorted @kids. @return the new count. */
static size_t dedupe(struct node **kids, size_t n)
{
	size_t i, j, out = 0;

	for (i = 0; i < n; i++) {
		for (j = out; j > 0 && node_cmp(&kids[j - 1], &kids[i]) == 0;
		     j--)
			if (kids[j - 1] == kids[i])
				break;
		if (j > 0 && kids[j - 1] == kids[i])
			continue;
		kids[out++] = kids[i];
	}
	return out;
}

/*
 * Replace @dir's listing with @pl, which a fill made from what it read
 * starting at time @at, when the repository generation was @gen (taken
 * before the fill read anything, so a change that lands during the fill
 * leaves the listing due). Caller holds fs->lock.
 */
static int merge_locked(struct snapfs *fs, struct node *dir,
			struct protolist *pl, time_t at, unsigned gen)
{
	struct node **kids, *n;
	size_t i, nkids;

	kids = calloc(pl->n ? pl->n : 1, sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	for (i = 0; i < pl->n; i++) {
		struct proto *p = &pl->v[i];

		n = node_kid_find(dir, p->name);
		if (n && node_same(n, p)) {
			node_refresh_locked(n, p);
			kids[i] = n;
			continue;
		}
		kids[i] = node_new_locked(fs, dir, p);
		if (!kids[i])
			goto nomem;
	}
	qsort(kids, pl->n, sizeof(*kids), node_cmp);
	nkids = dedupe(kids, pl->n);
	/* Old children not kept leave the listing. */
	for (i = 0; i < dir->nkids; i++) {
		struct node **k;

		n = dir->kids[i];
		k = bsearch(&n, kids, nkids, sizeof(*kids), node_cmp);
		/* Same-named entries are adjacent: look at all of them. */
		while (k && k > kids && node_cmp(k - 1, &n) == 0)
			k--;
		while (k && k < kids + nkids && *k != n && node_cmp(k, &n) == 0)
			k++;
		if (!k || k == kids + nkids || *k != n)
			orphan_locked(fs, n);
	}
	free(dir->kids);
	dir->kids = kids;
	dir->nkids = nkids;
	dir->listed = true;
	dir->listed_at = at;
	dir->repo_gen = gen;
	return 0;
nomem:
	/* New nodes made so far are in no listing and not live. */
	while (i-- > 0) {
		n = kids[i];
		if (node_kid_find(dir, n->name) == n)
			continue;
		if (n->fixed)
			dir->nlive--;
		node_free_locked(fs, n);
	}
	free(kids);
	return -ENOMEM;
}

void node_fill_wait_locked(struct snapfs *fs, struct node *dir)
{
	while (dir->filling)
		pthread_cond_wait(&fs->filled, &fs->lock);
}

static bool fill_due_locked(struct snapfs *fs, const struct node *dir)
{
	if (!dir->listed)
		return true;
	return dir->ops->due && dir->ops->due(fs, dir);
}

int node_fill(struct snapfs *fs, struct node *dir)
{
	struct protolist pl = {0};
	unsigned gen;
	time_t at;
	int rc;

	if (!dir->ops->fill)
		return -ENOTDIR;
	pthread_mutex_lock(&fs->lock);
	node_fill_wait_locked(fs, dir);
	if (!fill_due_locked(fs, dir)) {
		pthread_mutex_unlock(&fs->lock);
		return 0;
	}
	dir->filling = true;
	at = time(NULL);
	gen = jobs_repo_generation(fs->jobs);
	pthread_mutex_unlock(&fs->lock);
	snap_log(LOG_DEBUG, "list %s%s", dir->name[0] ? dir->name : "/",
		 dir->key ? dir->key : "");
	rc = dir->ops->fill(fs, dir, &pl);
	pthread_mutex_lock(&fs->lock);
	if (rc == 0)
		rc = merge_locked(fs, dir, &pl, at, gen);
	dir->filling = false;
	pthread_cond_broadcast(&fs->filled);
	pthread_mutex_unlock(&fs->lock);
	protolist_release(&pl);
	if (rc < 0 && rc != -ENOMEM && rc != -EBUSY)
		snap_log(LOG_ERR, "listing %s \"%s\": %s",
			 dir->key ? dir->key : "directory", dir->name,
			 strerror(-rc));
	return rc;
}

int node_lookup_default(struct snapfs *fs, struct node *dir, const char *name,
			struct node **out)
{
	struct node *n;
	int rc = node_fill(fs, dir);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&fs->lock);
	n = node_kid_find(dir, name);
	if (n)
		node_hold_locked(n);
	pthread_mutex_unlock(&fs->lock);
	if (!n)
		return -ENOENT;
	*out = n;
	return 0;
}

bool node_due_ttl(struct snapfs *fs, const struct node *dir)
{
	/* A backup or drop through this mount changed the repository. */
	return time(NULL) - dir->listed_at >= (time_t)fs->o.cache_ttl ||
	       dir->repo_gen != jobs_repo_generation(fs->jobs);
}

bool node_due_always(struct snapfs *fs, const struct node *dir)
{
	return true;
}

bool open_wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

void *file_new(size_t size)
{
	struct snapfs_file *f = calloc(1, size);

	if (f)
		pthread_mutex_init(&f->lock, NULL);
	return f;
}

void file_free(struct snapfs_file *f)
{
	pthread_mutex_destroy(&f->lock);
	free(f);
}
