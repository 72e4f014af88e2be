/* SPDX-License-Identifier: MIT */
/*
 * readahead.c - read-ahead for remote stores, per open object: one
 * window fetched in one request, and the window after it fetched in the
 * background while the reader works through this one. To be replaced by a
 * read-ahead store layer; nothing else in src/fs knows how it works.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fs_int.h"
#include "store/store.h"

#include "base/banned.h"

#define RA_MIN (256U << 10)
#define RA_MAX (8U << 20)

/* Guarded by the file's lock (the caller holds it). */
struct readahead {
	char *buf;
	uint64_t off; /* object offset of buf[0] */
	size_t len;   /* valid bytes in buf */
	size_t win;   /* next window size: grows while reads are in order */
	/* The window after it, fetched in the background; joined before
	 * use or at free. */
	struct {
		pthread_t th;
		bool running; /* started and not joined yet */
		struct store *st;
		const char *key; /* the node's: the handle holds the node */
		char *buf;	 /* RA_MAX bytes */
		uint64_t off;
		size_t want, got;
		int rc;
	} pf;
};

static void *prefetch_thread(void *arg)
{
	struct readahead *ra = arg;

	ra->pf.rc = store_read(ra->pf.st, ra->pf.key, ra->pf.off, ra->pf.buf,
			       ra->pf.want, &ra->pf.got);
	return NULL;
}

/* Wait for the background fetch, if any. */
static void prefetch_join(struct readahead *ra)
{
	if (ra->pf.running) {
		pthread_join(ra->pf.th, NULL);
		ra->pf.running = false;
	}
}

/* Start fetching the window after the current one. */
static void prefetch_start(struct readahead *ra, struct store *st,
			   const char *key, uint64_t objsize)
{
	uint64_t next = ra->off + ra->len;
	size_t win = ra->win >= RA_MAX ? RA_MAX : ra->win * 2;

	if (next >= objsize)
		return;
	if (!ra->pf.buf && !(ra->pf.buf = malloc(RA_MAX)))
		return;
	ra->pf.st = st;
	ra->pf.key = key;
	ra->pf.off = next;
	ra->pf.want = objsize - next < win ? (size_t)(objsize - next) : win;
	ra->pf.got = 0;
	ra->pf.rc = 0;
	ra->pf.running =
		pthread_create(&ra->pf.th, NULL, prefetch_thread, ra) == 0;
}

/* Take the prefetched window if it is the next one. */
static bool prefetch_take(struct readahead *ra, uint64_t off, size_t size)
{
	char *t;

	prefetch_join(ra);
	if (ra->pf.off != off || ra->pf.rc != 0 || ra->pf.got < size)
		return false;
	t = ra->buf;
	ra->buf = ra->pf.buf;
	ra->pf.buf = t;
	ra->off = off;
	ra->len = ra->pf.got;
	ra->pf.got = 0;
	return true;
}

/* Fetch a new window at @off for a read of @size. */
static int refill(struct readahead *ra, struct store *st, const char *key,
		  uint64_t objsize, uint64_t off, size_t size)
{
	size_t want = ra->win > size ? ra->win : size;
	size_t got;
	int rc;

	if (want > objsize - off)
		want = (size_t)(objsize - off);
	if (!ra->buf) {
		ra->buf = malloc(RA_MAX > size ? RA_MAX : size);
		if (!ra->buf)
			return -ENOMEM;
	} else if (want > RA_MAX) {
		want = RA_MAX; /* size <= max_read < RA_MAX */
	}
	ra->len = 0;
	rc = store_read(st, key, off, ra->buf, want, &got);
	if (rc < 0)
		return rc;
	ra->off = off;
	ra->len = got;
	return 0;
}

/*
 * The window doubles (RA_MIN to RA_MAX) while reads continue where the
 * last one ended, and falls back to RA_MIN on a jump, so a sequential
 * copy makes few round trips and random reads fetch little extra. While
 * reads are in order, the next window is fetched in the background, so
 * the round trip overlaps the reader's work on this one.
 */
int readahead_read(struct readahead **rap, struct store *st, const char *key,
		   uint64_t objsize, uint64_t off, char *buf, size_t size,
		   size_t *n)
{
	struct readahead *ra = *rap;
	size_t got;
	int rc;

	if (!ra) {
		ra = calloc(1, sizeof(*ra));
		if (!ra)
			return -ENOMEM;
		*rap = ra;
	}
	if (!ra->buf || off < ra->off || off >= ra->off + ra->len ||
	    (off + size > ra->off + ra->len && ra->off + ra->len < objsize)) {
		bool in_order = ra->buf && off == ra->off + ra->len;

		ra->win = !in_order	      ? RA_MIN
			  : ra->win >= RA_MAX ? RA_MAX
					      : ra->win * 2;
		if (!(in_order && prefetch_take(ra, off, size))) {
			prefetch_join(ra);
			rc = refill(ra, st, key, objsize, off, size);
			if (rc < 0)
				return rc;
		}
		if (in_order)
			prefetch_start(ra, st, key, objsize);
	}
	got = (size_t)(ra->off + ra->len - off);
	*n = got < size ? got : size;
	memcpy(buf, ra->buf + (off - ra->off), *n);
	return 0;
}

void readahead_free(struct readahead *ra)
{
	if (!ra)
		return;
	prefetch_join(ra);
	free(ra->pf.buf);
	free(ra->buf);
	free(ra);
}
