/* SPDX-License-Identifier: MIT */
/*
 * readahead.c - the read-ahead layer: sequential readers of a remote store
 * get large windows, and the next window is fetched in the background.
 *
 * The layer sees only store_read(key, off, len), not open files, so it
 * follows "streams": a stream is one reader's position in one object. A
 * read goes to the stream of its key that expects it (the read starts
 * where the stream's last one ended), else to one whose window holds the
 * offset, else to a new stream; an object gets at most RA_PER_KEY streams
 * (a random reader then reuses its own, starting over small), and the
 * table holds at most max_streams, the least recently used unused one
 * making room. Streams idle for RA_IDLE_SEC release their memory.
 *
 * Per stream the window doubles from min_window to max_window while reads
 * continue where the last one ended, and falls back to min_window on a
 * jump, so a sequential copy makes few round trips and random reads fetch
 * little extra. While reads are in order, the window after the current
 * one is fetched by a background thread, so its round trip overlaps the
 * reader's work on this one; it is joined before its bytes are used, and
 * a failed background fetch is simply read again by the reader, so errors
 * and their messages arise in the reader's thread.
 *
 * Ends of objects: by the store contract a short count means the object
 * ends there, and a window that came back short starts no background
 * fetch. But the layer does not stop at it: a read that wants bytes past a
 * short window asks the lower store again, and only an answer of 0 bytes
 * ends it. So a lower store that answers in short pieces still reads
 * whole, at the price of one lower read past the end when a caller asks
 * for bytes there (callers that know the size do not); the stream then
 * remembers where the object ends.
 *
 * Lock order: ra->lock, then no other; a stream's lock is taken without
 * ra->lock held, after the stream was pinned (users > 0) under ra->lock.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#include "base/banned.h"

#define RA_MIN_DEFAULT	   (256U << 10)
#define RA_MAX_DEFAULT	   (8U << 20)
#define RA_STREAMS_DEFAULT 64
#define RA_PER_KEY	   4 /* streams of one object */
#define RA_IDLE_SEC	   5 /* unused streams older than this are freed */

struct ra_stream {
	/* Set once at creation: */
	char *key;
	struct store *lower;
	/* Guarded by ra->lock: */
	unsigned users;	   /* threads between stream_get and stream_put */
	bool dead;	   /* out of the table (a write): last user frees */
	uint64_t next;	   /* where an in-order read would start */
	uint64_t lo, hi;   /* copy of the window's range, for matching */
	uint64_t end_seen; /* copy of end */
	uint64_t last_use; /* ra->tick of the last use */
	time_t used_at;	   /* monotonic seconds of the last use */
	struct ra_stream *gc_next; /* on a list of streams to free */
	/* Guarded by lock: */
	pthread_mutex_t lock;
	char *win; /* the current window: win_len bytes from win_off */
	size_t win_cap, win_len;
	uint64_t win_off;
	bool win_valid;
	bool short_win; /* the window came back short: likely the end */
	uint64_t end;	/* where a lower read found nothing: the end */
	size_t grow;	/* window size now: doubles while reads are in order */
	/* The background fetch: while running, only its thread touches
	 * pf_buf, pf_got and pf_rc; joined before anyone reads them. */
	pthread_t th;
	bool running, pf_valid;
	char *pf_buf;
	size_t pf_cap, pf_want, pf_got;
	uint64_t pf_off;
	int pf_rc;
};

struct ra_store {
	struct store base; /* must be first */
	struct store *lower;
	size_t min, max; /* read-only */
	unsigned max_streams;
	/* Guards tab, n, tick and the streams' fields so marked. */
	pthread_mutex_t lock;
	struct ra_stream **tab;
	unsigned n;
	uint64_t tick;
};

static const struct store_ops ra_ops;

static struct ra_store *ra_from_store(struct store *st)
{
	if (st->ops != &ra_ops)
		abort();
	return (struct ra_store *)st;
}

static time_t now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- streams: finding, making, forgetting ------------------------------- */

/* Join a background fetch, if any. Under s->lock, or with s unreachable. */
static void stream_join(struct ra_stream *s)
{
	if (s->running) {
		pthread_join(s->th, NULL);
		s->running = false;
	}
}

/* Free streams on a gc list. Without ra->lock: joining may take a while. */
static void stream_free_list(struct ra_stream *s)
{
	struct ra_stream *nx;

	for (; s; s = nx) {
		nx = s->gc_next;
		stream_join(s);
		pthread_mutex_destroy(&s->lock);
		free(s->win);
		free(s->pf_buf);
		free(s->key);
		free(s);
	}
}

/* Take tab[i] out of the table onto @gc. Under ra->lock, users == 0. */
static void tab_drop(struct ra_store *ra, unsigned i, struct ra_stream **gc)
{
	struct ra_stream *s = ra->tab[i];

	ra->tab[i] = ra->tab[--ra->n];
	s->gc_next = *gc;
	*gc = s;
}

/* Drop unused streams idle too long. Under ra->lock. */
static void tab_sweep(struct ra_store *ra, time_t now, struct ra_stream **gc)
{
	unsigned i = 0;

	while (i < ra->n) {
		if (ra->tab[i]->users == 0 &&
		    now - ra->tab[i]->used_at >= RA_IDLE_SEC)
			tab_drop(ra, i, gc);
		else
			i++;
	}
}

/* The least recently used unused stream (of @key if not NULL), as an
 * index, or -1. Under ra->lock. */
static int tab_lru(struct ra_store *ra, const char *key)
{
	int best = -1;
	unsigned i;

	for (i = 0; i < ra->n; i++) {
		struct ra_stream *s = ra->tab[i];

		if (s->users || (key && strcmp(s->key, key) != 0))
			continue;
		if (best < 0 || s->last_use < ra->tab[best]->last_use)
			best = (int)i;
	}
	return best;
}

/* The stream that should serve a read of @key at @off. Under ra->lock. */
static struct ra_stream *tab_match(struct ra_store *ra, const char *key,
				   uint64_t off, unsigned *same_key)
{
	struct ra_stream *within = NULL;
	unsigned i;

	*same_key = 0;
	for (i = 0; i < ra->n; i++) {
		struct ra_stream *s = ra->tab[i];

		if (strcmp(s->key, key) != 0)
			continue;
		(*same_key)++;
		if (s->next == off || off >= s->end_seen)
			return s; /* expected here, or knows this is the end */
		/* In the window, or right after it: fs reads of a file
		 * may skip within a window and still be in order. */
		if (!within && off >= s->lo && off <= s->hi && s->hi > s->lo)
			within = s;
	}
	return within;
}

static struct ra_stream *stream_new(struct ra_store *ra, const char *key)
{
	struct ra_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->key = strdup(key);
	if (!s->key) {
		free(s);
		return NULL;
	}
	s->lower = ra->lower;
	s->next = UINT64_MAX;
	s->end_seen = UINT64_MAX;
	s->end = UINT64_MAX;
	s->grow = ra->min;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

/*
 * Pin the stream for a read of @key at @off, making room as needed.
 * @return the stream (users counted), or NULL to read straight through
 *         (every stream busy, or out of memory).
 */
static struct ra_stream *stream_get(struct ra_store *ra, const char *key,
				    uint64_t off)
{
	struct ra_stream *s, *gc = NULL;
	time_t now = now_sec();
	unsigned same;
	int i;

	pthread_mutex_lock(&ra->lock);
	tab_sweep(ra, now, &gc);
	s = tab_match(ra, key, off, &same);
	if (!s && same >= RA_PER_KEY && (i = tab_lru(ra, key)) >= 0)
		s = ra->tab[i]; /* this reader's own, starting over */
	if (!s) { /* a new reader, or the object's streams all busy */
		if (ra->n == ra->max_streams && (i = tab_lru(ra, NULL)) >= 0)
			tab_drop(ra, (unsigned)i, &gc);
		if (ra->n < ra->max_streams && (s = stream_new(ra, key)))
			ra->tab[ra->n++] = s;
	}
	if (s) {
		s->users++;
		s->last_use = ++ra->tick;
		s->used_at = now;
	}
	pthread_mutex_unlock(&ra->lock);
	stream_free_list(gc);
	return s;
}

/* What stream_put() copies for matching: the stream's state after a
 * read, taken under its lock. */
struct ra_seen {
	uint64_t next, lo, hi, end;
};

/* Unpin @s after a read; @seen is its state then. */
static void stream_put(struct ra_store *ra, struct ra_stream *s,
		       const struct ra_seen *seen)
{
	bool free_it;

	pthread_mutex_lock(&ra->lock);
	s->next = seen->next;
	s->lo = seen->lo;
	s->hi = seen->hi;
	s->end_seen = seen->end;
	s->used_at = now_sec();
	free_it = --s->users == 0 && s->dead;
	pthread_mutex_unlock(&ra->lock);
	if (free_it) {
		s->gc_next = NULL;
		stream_free_list(s);
	}
}

/* Forget the streams of @key: its object changed through this layer. */
static void ra_forget(struct ra_store *ra, const char *key)
{
	struct ra_stream *gc = NULL;
	unsigned i = 0;

	pthread_mutex_lock(&ra->lock);
	while (i < ra->n) {
		struct ra_stream *s = ra->tab[i];

		if (strcmp(s->key, key) != 0) {
			i++;
		} else if (s->users == 0) {
			tab_drop(ra, i, &gc);
		} else {
			s->dead = true; /* its last user frees it */
			ra->tab[i] = ra->tab[--ra->n];
		}
	}
	pthread_mutex_unlock(&ra->lock);
	stream_free_list(gc);
}

/* ---- reading ------------------------------------------------------------ */

static void *prefetch_thread(void *arg)
{
	struct ra_stream *s = arg;

	s->pf_rc = s->lower->ops->read(s->lower, s->key, s->pf_off, s->pf_buf,
				       s->pf_want, &s->pf_got);
	return NULL;
}

/* Make *buf hold at least @want bytes. */
static int reserve(char **buf, size_t *cap, size_t want)
{
	char *b;

	if (*cap >= want)
		return 0;
	b = realloc(*buf, want);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = want;
	return 0;
}

/* Start fetching the window after the current one. Under s->lock, with
 * no fetch running. */
static void prefetch_start(struct ra_store *ra, struct ra_stream *s)
{
	size_t want = s->grow >= ra->max / 2 ? ra->max : s->grow * 2;

	s->pf_valid = false;
	if (reserve(&s->pf_buf, &s->pf_cap, want) < 0)
		return;
	s->pf_off = s->win_off + s->win_len;
	s->pf_want = want;
	s->pf_got = 0;
	s->pf_rc = 0;
	s->running = pthread_create(&s->th, NULL, prefetch_thread, s) == 0;
	s->pf_valid = s->running;
}

/* Make the window start at @pos, the background fetch's if it has it.
 * Under s->lock. @return 0 (win_len 0 at the end); else -errno. */
static int refill(struct ra_store *ra, struct ra_stream *s, uint64_t pos,
		  size_t need)
{
	bool in_order = s->win_valid && pos == s->win_off + s->win_len;
	size_t want, got, cap;
	char *t;
	int rc;

	s->grow = !in_order		   ? ra->min
		  : s->grow >= ra->max / 2 ? ra->max
					   : s->grow * 2;
	/* A jump reads into the window, not the background buffer, so it
	 * need not wait for a fetch it will not use; the next in-order
	 * refill joins it (and finds it stale: pf_valid is false). */
	if (in_order)
		stream_join(s);
	if (in_order && s->pf_valid && s->pf_off == pos && s->pf_rc == 0) {
		t = s->win; /* the fetched window is next: swap buffers */
		cap = s->win_cap;
		s->win = s->pf_buf;
		s->win_cap = s->pf_cap;
		s->pf_buf = t;
		s->pf_cap = cap;
		s->win_off = pos;
		s->win_len = s->pf_got;
		s->short_win = s->pf_got < s->pf_want;
		s->pf_valid = false;
	} else {
		s->pf_valid = false;
		want = s->grow > need ? s->grow : need;
		s->win_valid = false;
		rc = reserve(&s->win, &s->win_cap, want);
		if (rc == 0)
			rc = ra->lower->ops->read(ra->lower, s->key, pos,
						  s->win, want, &got);
		if (rc < 0)
			return rc;
		s->win_off = pos;
		s->win_len = got;
		s->short_win = got < want;
	}
	s->win_valid = true;
	if (s->win_len == 0)
		s->end = pos;
	if (in_order && !s->short_win && s->win_len)
		prefetch_start(ra, s);
	return 0;
}

/* Serve [off, off + len) from @s's windows. Under s->lock. */
static int stream_serve(struct ra_store *ra, struct ra_stream *s, uint64_t off,
			char *buf, size_t len, size_t *nread)
{
	size_t done = 0, n;
	uint64_t pos;
	int rc;

	while (done < len) {
		pos = off + done;
		if (s->win_valid && pos >= s->win_off &&
		    pos < s->win_off + s->win_len) {
			n = (size_t)(s->win_off + s->win_len - pos);
			n = n < len - done ? n : len - done;
			memcpy(buf + done, s->win + (pos - s->win_off), n);
			done += n;
			continue;
		}
		if (pos >= s->end)
			break; /* known to be past the end */
		rc = refill(ra, s, pos, len - done);
		if (rc < 0)
			return rc;
		if (s->win_len == 0)
			break; /* the end of the object */
	}
	*nread = done;
	return 0;
}

/*
 * The reader of @s has had the last bytes of a window that came back short
 * (the object ends there): its buffers go now. Idle streams are otherwise
 * only swept when a later read comes, so after a copy of many large
 * objects they would keep 2 * max_window each until then. Under s->lock;
 * no background fetch runs after a short window.
 */
static void stream_drop_at_end(struct ra_stream *s, uint64_t next)
{
	if (!s->short_win || !s->win_valid || s->running ||
	    next < s->win_off + s->win_len)
		return;
	free(s->win);
	s->win = NULL;
	s->win_cap = s->win_len = 0;
	s->win_valid = false;
	free(s->pf_buf);
	s->pf_buf = NULL;
	s->pf_cap = 0;
	s->pf_valid = false;
}

static int ra_read(struct store *st, const char *key, uint64_t off, void *buf,
		   size_t len, size_t *nread)
{
	struct ra_store *ra = ra_from_store(st);
	struct ra_stream *s = NULL;
	struct ra_seen seen = {.next = UINT64_MAX};
	int rc;

	if (len > 0 && len < ra->max)
		s = stream_get(ra, key, off);
	if (!s)
		return ra->lower->ops->read(ra->lower, key, off, buf, len,
					    nread);
	pthread_mutex_lock(&s->lock);
	rc = stream_serve(ra, s, off, buf, len, nread);
	if (rc == 0)
		seen.next = off + *nread;
	if (rc == 0)
		stream_drop_at_end(s, seen.next);
	if (s->win_valid) {
		seen.lo = s->win_off;
		seen.hi = s->win_off + s->win_len;
	}
	seen.end = s->end;
	pthread_mutex_unlock(&s->lock);
	stream_put(ra, s, &seen);
	return rc;
}

/* ---- the other calls: straight down, forgetting what they change -------- */

static int ra_list(struct store *st, const char *prefix, const char *delim,
		   store_list_cb cb, void *arg)
{
	struct ra_store *ra = ra_from_store(st);

	return ra->lower->ops->list(ra->lower, prefix, delim, cb, arg);
}

static int ra_stat(struct store *st, const char *key, struct store_entry *out)
{
	struct ra_store *ra = ra_from_store(st);

	return ra->lower->ops->stat(ra->lower, key, out);
}

static int ra_put(struct store *st, const char *key, store_src_fn src,
		  void *arg, uint64_t size, unsigned flags)
{
	struct ra_store *ra = ra_from_store(st);
	int rc = ra->lower->ops->put(ra->lower, key, src, arg, size, flags);

	ra_forget(ra, key);
	return rc;
}

static int ra_remove(struct store *st, const char *key)
{
	struct ra_store *ra = ra_from_store(st);
	int rc = ra->lower->ops->remove(ra->lower, key);

	ra_forget(ra, key);
	return rc;
}

static int ra_remove_many(struct store *st, const char *const *keys, size_t n)
{
	struct ra_store *ra = ra_from_store(st);
	int rc = store_remove_many(ra->lower, keys, n);
	size_t i;

	for (i = 0; i < n; i++)
		ra_forget(ra, keys[i]);
	return rc;
}

static int ra_copy(struct store *st, const char *from, const char *to)
{
	struct ra_store *ra = ra_from_store(st);
	int rc = store_copy(ra->lower, from, to);

	ra_forget(ra, to);
	return rc;
}

static int ra_rename(struct store *st, const char *from, const char *to)
{
	struct ra_store *ra = ra_from_store(st);
	int rc = store_rename(ra->lower, from, to);

	ra_forget(ra, from);
	ra_forget(ra, to);
	return rc;
}

static void ra_close(struct store *st)
{
	struct ra_store *ra = ra_from_store(st);
	struct ra_stream *gc = NULL;

	while (ra->n)
		tab_drop(ra, 0, &gc);
	stream_free_list(gc);
	pthread_mutex_destroy(&ra->lock);
	store_close(ra->lower);
	free(ra->tab);
	free(ra->base.url);
	free(ra);
}

static const struct store_ops ra_ops = {
	.scheme = "readahead",
	.close = ra_close,
	.list = ra_list,
	.stat = ra_stat,
	.read = ra_read,
	.put = ra_put,
	.remove = ra_remove,
	.remove_many = ra_remove_many,
	.copy = ra_copy,
	.rename = ra_rename,
};

int store_readahead_wrap(struct store *lower,
			 const struct store_readahead_opts *o,
			 struct store **out)
{
	struct ra_store *ra;

	ra = calloc(1, sizeof(*ra));
	if (!ra)
		return -ENOMEM;
	ra->min = o && o->min_window ? o->min_window : RA_MIN_DEFAULT;
	ra->max = o && o->max_window ? o->max_window : RA_MAX_DEFAULT;
	ra->max_streams =
		o && o->max_streams ? o->max_streams : RA_STREAMS_DEFAULT;
	if (ra->min > ra->max) {
		free(ra);
		return -EINVAL;
	}
	ra->tab = calloc(ra->max_streams, sizeof(*ra->tab));
	ra->base.url = strdup(lower->url);
	if (!ra->tab || !ra->base.url) {
		free(ra->tab);
		free(ra->base.url);
		free(ra);
		return -ENOMEM;
	}
	pthread_mutex_init(&ra->lock, NULL);
	ra->base.ops = &ra_ops;
	ra->base.caps = store_caps_of(lower);
	ra->lower = lower;
	*out = &ra->base;
	return 0;
}
