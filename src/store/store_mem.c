/* SPDX-License-Identifier: MIT */
/*
 * store_mem.c - the mem:// backend: objects in this process's memory, the
 * test double for everything above the store.
 *
 * URL form: mem://NAME[/PREFIX]. NAME ([A-Za-z0-9._-]+) names a namespace
 * shared by every store opened on it in this process, so a test can fill
 * one through store_put() (or store_import_dir()) and hand the URL to the
 * code under test. A namespace lives until the process ends; its objects
 * until store_mem_clear(NAME). Keys are relative to PREFIX/ and follow the
 * rules of file:// (no empty, "." or ".." components), so the two
 * backends answer alike; listings take any delimiter, as S3 does.
 *
 * A plain backend: failures, delays, short reads and the like are the
 * fault layer's (fault.c), which wraps mem:// and file:// alike.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "store_int.h"

#include "base/banned.h"

struct mem_obj {
	char *key; /* full key: the namespace's, prefix included */
	char *data;
	size_t size;
	int64_t mtime;
};

struct mem_space {
	char *name;		/* read-only */
	struct mem_space *next; /* guarded by spaces_lock */
	/* Guards objs, n and cap, and the objects' contents. */
	pthread_rwlock_t lock;
	struct mem_obj *objs; /* sorted by key, strcmp order */
	size_t n, cap;
};

/* Every namespace made in this process; never freed. */
static pthread_mutex_t spaces_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mem_space *spaces; /* guarded by spaces_lock */

/* Read-only after mem_open(). */
struct mem_store {
	struct store base; /* must be first */
	struct mem_space *sp;
	char *prefix; /* "" or "a/b/" */
};

static struct mem_store *mem_from_store(struct store *st)
{
	if (st->ops != &store_mem_ops)
		abort();
	return (struct mem_store *)st;
}

/* The namespace @name, made if @create and absent. NULL if absent or out
 * of memory. */
static struct mem_space *space_get(const char *name, bool create)
{
	struct mem_space *sp;

	pthread_mutex_lock(&spaces_lock);
	for (sp = spaces; sp; sp = sp->next)
		if (strcmp(sp->name, name) == 0)
			break;
	if (!sp && create && (sp = calloc(1, sizeof(*sp)))) {
		sp->name = strdup(name);
		if (!sp->name) {
			free(sp);
			sp = NULL;
		} else {
			pthread_rwlock_init(&sp->lock, NULL);
			sp->next = spaces;
			spaces = sp;
		}
	}
	pthread_mutex_unlock(&spaces_lock);
	return sp;
}

void store_mem_clear(const char *name)
{
	struct mem_space *sp = space_get(name, false);
	size_t i;

	if (!sp)
		return;
	pthread_rwlock_wrlock(&sp->lock);
	for (i = 0; i < sp->n; i++) {
		free(sp->objs[i].key);
		free(sp->objs[i].data);
	}
	free(sp->objs);
	sp->objs = NULL;
	sp->n = sp->cap = 0;
	pthread_rwlock_unlock(&sp->lock);
}

/* Index of the first object whose key is >= @key. Under sp->lock. */
static size_t space_find(const struct mem_space *sp, const char *key)
{
	size_t lo = 0, hi = sp->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sp->objs[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The object @key, or NULL. Under sp->lock. */
static struct mem_obj *space_get_obj(struct mem_space *sp, const char *key)
{
	size_t i = space_find(sp, key);

	return i < sp->n && strcmp(sp->objs[i].key, key) == 0 ? &sp->objs[i]
							      : NULL;
}

/* Put @o (taking its key and data) in place of or beside its key. Under
 * sp->lock for writing. @return 0; -ENOMEM (nothing taken). */
static int space_insert(struct mem_space *sp, struct mem_obj *o)
{
	size_t i = space_find(sp, o->key);

	if (i < sp->n && strcmp(sp->objs[i].key, o->key) == 0) {
		free(sp->objs[i].key);
		free(sp->objs[i].data);
		sp->objs[i] = *o;
		return 0;
	}
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 64;
		struct mem_obj *v = realloc(sp->objs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sp->objs = v;
		sp->cap = cap;
	}
	memmove(&sp->objs[i + 1], &sp->objs[i], (sp->n - i) * sizeof(*o));
	sp->objs[i] = *o;
	sp->n++;
	return 0;
}

/* Drop object @i. Under sp->lock for writing. */
static void space_erase(struct mem_space *sp, size_t i)
{
	free(sp->objs[i].key);
	free(sp->objs[i].data);
	memmove(&sp->objs[i], &sp->objs[i + 1],
		(sp->n - i - 1) * sizeof(sp->objs[0]));
	sp->n--;
}

/* The full key of @key, if @key is a valid key. malloc'd, or NULL with
 * *rc set. */
static char *full_key(struct mem_store *m, const char *key, int *rc)
{
	char *full;

	if (!store_key_ok(key, false)) {
		*rc = -EINVAL;
		return NULL;
	}
	if (asprintf(&full, "%s%s", m->prefix, key) < 0) {
		*rc = -ENOMEM;
		return NULL;
	}
	return full;
}

/* ---- list --------------------------------------------------------------- */

struct mem_listing {
	struct store_entry *v;
	size_t n, cap;
};

static int listing_push(struct mem_listing *l, const char *key, size_t klen,
			const struct mem_obj *o)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct store_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].key = strndup(key, klen);
	if (!l->v[l->n].key)
		return -ENOMEM;
	l->v[l->n].size = o ? o->size : 0;
	l->v[l->n].mtime = o ? o->mtime : 0;
	l->v[l->n].is_prefix = o == NULL;
	l->n++;
	return 0;
}

static void listing_release(struct mem_listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free((char *)l->v[i].key);
	free(l->v);
}

/* Collect the entries under full prefix @full, keys made relative to the
 * store's prefix (@skip bytes). Under sp->lock. */
static int collect(struct mem_space *sp, const char *full, size_t skip,
		   const char *delim, struct mem_listing *l)
{
	size_t flen = strlen(full), dlen = delim ? strlen(delim) : 0, i;
	const char *last = NULL; /* last rolled-up prefix, full key */
	size_t last_len = 0;
	int rc = 0;

	for (i = space_find(sp, full); i < sp->n && rc == 0; i++) {
		const struct mem_obj *o = &sp->objs[i];
		const char *d;

		if (strncmp(o->key, full, flen) != 0)
			break;
		d = dlen ? strstr(o->key + flen, delim) : NULL;
		if (!d) {
			rc = listing_push(l, o->key + skip,
					  strlen(o->key) - skip, o);
			continue;
		}
		if (last && (size_t)(d + dlen - o->key) == last_len &&
		    strncmp(o->key, last, last_len) == 0)
			continue; /* same common prefix as the last one */
		last = o->key;
		last_len = (size_t)(d + dlen - o->key);
		rc = listing_push(l, o->key + skip, last_len - skip, NULL);
	}
	return rc;
}

static int mem_list(struct store *st, const char *prefix, const char *delim,
		    store_list_cb cb, void *arg)
{
	struct mem_store *m = mem_from_store(st);
	struct mem_listing l = {0};
	const char *slash = strrchr(prefix, '/');
	char *full = NULL, *dir;
	size_t i;
	int rc;

	if (delim && !*delim)
		return -EINVAL;
	dir = strndup(prefix, slash ? (size_t)(slash - prefix) + 1 : 0);
	if (!dir)
		return -ENOMEM;
	rc = *dir && !store_key_ok(dir, true) ? -EINVAL : 0;
	free(dir);
	if (rc < 0)
		return rc;
	if (asprintf(&full, "%s%s", m->prefix, prefix) < 0)
		return -ENOMEM;
	/* Callbacks run without the lock: they may call the store. */
	pthread_rwlock_rdlock(&m->sp->lock);
	rc = collect(m->sp, full, strlen(m->prefix), delim, &l);
	pthread_rwlock_unlock(&m->sp->lock);
	for (i = 0; rc == 0 && i < l.n; i++)
		rc = cb(&l.v[i], arg);
	listing_release(&l);
	free(full);
	return rc;
}

/* ---- objects ------------------------------------------------------------ */

static int mem_stat(struct store *st, const char *key, struct store_entry *out)
{
	struct mem_store *m = mem_from_store(st);
	const struct mem_obj *o;
	int rc = 0;
	char *full = full_key(m, key, &rc);

	if (!full)
		return rc;
	pthread_rwlock_rdlock(&m->sp->lock);
	o = space_get_obj(m->sp, full);
	if (o)
		*out = (struct store_entry){.size = o->size, .mtime = o->mtime};
	else
		rc = -ENOENT;
	pthread_rwlock_unlock(&m->sp->lock);
	free(full);
	return rc;
}

static int mem_read(struct store *st, const char *key, uint64_t off, void *buf,
		    size_t len, size_t *nread)
{
	struct mem_store *m = mem_from_store(st);
	const struct mem_obj *o;
	int rc = 0;
	char *full = full_key(m, key, &rc);

	if (!full)
		return rc;
	pthread_rwlock_rdlock(&m->sp->lock);
	o = space_get_obj(m->sp, full);
	if (!o) {
		rc = -ENOENT;
	} else if (off >= o->size) {
		*nread = 0;
	} else {
		size_t n = o->size - off < len ? (size_t)(o->size - off) : len;

		memcpy(buf, o->data + off, n);
		*nread = n;
	}
	pthread_rwlock_unlock(&m->sp->lock);
	free(full);
	return rc;
}

/* Pull exactly @size bytes from @src into a new buffer. */
static int pull_all(store_src_fn src, void *arg, uint64_t size, char **out)
{
	char *buf = malloc(size ? size : 1), extra[64];
	uint64_t done = 0;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (done < size)
			n = src(arg, buf + done, (size_t)(size - done));
		else
			n = src(arg, extra, sizeof(extra));
		if (n < 0 || (n > 0 && done >= size))
			break; /* failed, or longer than promised */
		if (n == 0) {
			if (done == size) {
				*out = buf;
				return 0;
			}
			break; /* shorter than promised */
		}
		done += (uint64_t)n;
	}
	free(buf);
	return n < 0 ? (int)n : -EIO;
}

static int mem_put(struct store *st, const char *key, store_src_fn src,
		   void *arg, uint64_t size, unsigned flags)
{
	struct mem_store *m = mem_from_store(st);
	struct mem_obj o = {.size = (size_t)size, .mtime = time(NULL)};
	int rc = 0;

	o.key = full_key(m, key, &rc);
	if (!o.key)
		return rc;
	rc = pull_all(src, arg, size, &o.data);
	if (rc < 0) {
		free(o.key);
		return rc;
	}
	pthread_rwlock_wrlock(&m->sp->lock);
	if ((flags & STORE_PUT_IF_ABSENT) && space_get_obj(m->sp, o.key))
		rc = -EEXIST;
	else
		rc = space_insert(m->sp, &o);
	pthread_rwlock_unlock(&m->sp->lock);
	if (rc < 0) {
		free(o.key);
		free(o.data);
	}
	return rc;
}

static int mem_remove(struct store *st, const char *key)
{
	struct mem_store *m = mem_from_store(st);
	int rc = 0;
	char *full = full_key(m, key, &rc);
	size_t i;

	if (!full)
		return rc;
	pthread_rwlock_wrlock(&m->sp->lock);
	i = space_find(m->sp, full);
	if (i < m->sp->n && strcmp(m->sp->objs[i].key, full) == 0)
		space_erase(m->sp, i);
	else
		rc = -ENOENT;
	pthread_rwlock_unlock(&m->sp->lock);
	free(full);
	return rc;
}

static int mem_rename(struct store *st, const char *from, const char *to)
{
	struct mem_store *m = mem_from_store(st);
	struct mem_obj o = {0}, *src;
	int rc = 0;
	char *f = full_key(m, from, &rc), *t = f ? full_key(m, to, &rc) : NULL;

	if (!t) {
		free(f);
		return rc;
	}
	pthread_rwlock_wrlock(&m->sp->lock);
	src = space_get_obj(m->sp, f);
	if (!src) {
		rc = -ENOENT;
	} else if (strcmp(f, t) != 0) {
		o = (struct mem_obj){.key = t,
				     .size = src->size,
				     .mtime = src->mtime,
				     .data = src->data};
		/* Insert first: on -ENOMEM nothing has changed. */
		rc = space_insert(m->sp, &o);
		if (rc == 0) {
			src = space_get_obj(m->sp, f);
			src->data = NULL;
			space_erase(m->sp, (size_t)(src - m->sp->objs));
			t = NULL; /* now the object's */
		}
	}
	pthread_rwlock_unlock(&m->sp->lock);
	free(f);
	free(t);
	return rc;
}

/* ---- open and close ----------------------------------------------------- */

static void mem_close(struct store *st)
{
	struct mem_store *m = mem_from_store(st);

	free(m->prefix);
	free(m->base.url);
	free(m);
}

/* "a//b/" -> "a/b/"; -EINVAL for "." or ".." segments. */
static int parse_prefix(const char *p, char **out)
{
	char *prefix = malloc(strlen(p) + 2);
	size_t o = 0, n;

	if (!prefix)
		return -ENOMEM;
	while (*p) {
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			free(prefix);
			return -EINVAL;
		}
		if (n) {
			memcpy(prefix + o, p, n);
			o += n;
			prefix[o++] = '/';
		}
		p += n + (p[n] == '/');
	}
	prefix[o] = '\0';
	*out = prefix;
	return 0;
}

static int mem_open(const char *url, const struct store_opts *o,
		    struct store **out)
{
	const char *name = url + 6, *slash;
	struct mem_store *m;
	char *nm = NULL;
	size_t nlen, i;
	int rc;

	if (strncmp(url, "mem://", 6) != 0)
		return -EINVAL;
	slash = strchr(name, '/');
	nlen = slash ? (size_t)(slash - name) : strlen(name);
	for (i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			break;
	if (nlen == 0 || i < nlen) {
		store_set_error(-EINVAL,
				"%s: a mem URL is mem://NAME[/PREFIX], NAME "
				"of letters, digits, '.', '_' and '-'",
				url);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	nm = strndup(name, nlen);
	rc = m && nm ? parse_prefix(slash ? slash : "", &m->prefix) : -ENOMEM;
	if (rc == -EINVAL)
		store_set_error(rc,
				"%s: '.' and '..' are not allowed in the "
				"prefix",
				url);
	if (rc == 0 && !(m->sp = space_get(nm, true)))
		rc = -ENOMEM;
	if (rc == 0 &&
	    asprintf(&m->base.url, "mem://%s%s%.*s", nm, *m->prefix ? "/" : "",
		     (int)(*m->prefix ? strlen(m->prefix) - 1 : 0),
		     m->prefix) < 0) {
		m->base.url = NULL;
		rc = -ENOMEM;
	}
	free(nm);
	if (rc < 0) {
		if (m)
			free(m->prefix);
		free(m);
		return rc;
	}
	m->base.ops = &store_mem_ops;
	m->base.caps = store_mem_ops.caps;
	*out = &m->base;
	return 0;
}

const struct store_ops store_mem_ops = {
	.scheme = "mem",
	.caps = STORE_CAP_RENAME | STORE_CAP_RANGE_READ | STORE_CAP_WRITE,
	.open = mem_open,
	.close = mem_close,
	.list = mem_list,
	.stat = mem_stat,
	.read = mem_read,
	.put = mem_put,
	.remove = mem_remove,
	.rename = mem_rename,
};
