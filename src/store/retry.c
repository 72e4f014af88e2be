/* SPDX-License-Identifier: MIT */
/*
 * retry.c - the retry layer, and the one retry policy of src/store.
 *
 * Who decides what. A backend makes one attempt per call and says whether
 * its failure may pass (store_set_transient()): only it knows what an HTTP
 * 503, a curl timeout or a refused connection means. Whether to try again
 * and how long to wait is decided here alone, by store_retry_run() with
 * the policy of -o retries= and retry_base_ms= (5 retries, 200 ms).
 *
 * What can be made again:
 *   - stat, read, remove, remove_many, copy and rename are idempotent: the
 *     layer makes the same call again.
 *   - A listing may fail after delivering entries. Listings come in byte
 *     order, so a retried listing skips every key up to and including the
 *     last one delivered: none is delivered twice and none is lost. (It
 *     starts the listing over; a backend-neutral layer has no continuation
 *     token to resume from.)
 *   - put pulls its bytes from a stream (store_src_fn) that cannot be
 *     rewound. We did not make sources positional or rewindable: that
 *     changes the put interface every writer above uses, and buffering a
 *     whole object here would double the memory of multi-GiB puts. So the
 *     layer retries a put only if its source was not called at all (a
 *     failure before the first byte: a refused connection, an injected
 *     fault). The s3:// backend holds every body it sends in memory anyway
 *     (one object up to part_size, or one part), so it retries each request
 *     of a put itself by calling store_retry_run() with the same policy:
 *     the conditional HEAD, the single PUT, the start of a multipart
 *     upload, each part, the completion. A failed part is sent again
 *     rather than the upload started over, as before this layer existed.
 * A loop that gives up clears the transient mark, so nested loops (the
 * backend's inside a put, this layer around it) never multiply attempts.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "store_int.h"

#include "base/banned.h"

/* Read-only after store_retry_wrap(): no lock. */
struct retry_store {
	struct store base; /* must be first */
	struct store *lower;
	struct store_retry_policy pol;
};

static const struct store_ops retry_ops;

static struct retry_store *retry_from_store(struct store *st)
{
	if (st->ops != &retry_ops)
		abort();
	return (struct retry_store *)st;
}

/* ---- the policy --------------------------------------------------------- */

void store_retry_policy_init(struct store_retry_policy *p,
			     const struct store_opts *o)
{
	p->retries =
		o && o->retries_set ? o->retries : STORE_RETRY_DEFAULT_RETRIES;
	p->base_ms = o && o->retry_base_ms ? o->retry_base_ms
					   : STORE_RETRY_DEFAULT_BASE_MS;
}

unsigned store_retry_delay_ms(const struct store_retry_policy *p,
			      unsigned attempt)
{
	/* "Equal jitter": half the step is fixed, half random, so waits
	 * still grow while retries of many threads spread out. */
	uint64_t step = (uint64_t)p->base_ms << (attempt > 20 ? 20 : attempt);

	if (attempt > 20 || step > STORE_RETRY_CAP_MS)
		step = STORE_RETRY_CAP_MS;
	return (unsigned)(step / 2) +
	       arc4random_uniform((uint32_t)(step / 2) + 1);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int store_retry_run(const struct store_retry_policy *p, store_attempt_fn fn,
		    void *arg)
{
	char msg[512];
	unsigned attempt, ms;
	int rc;

	for (attempt = 0;; attempt++) {
		store_clear_error();
		rc = fn(arg);
		if (rc >= 0)
			return rc;
		if (!store_error_transient(rc) || attempt >= p->retries)
			break;
		ms = store_retry_delay_ms(p, attempt);
		snap_log(LOG_WARNING, "%s; retry %u/%u in %u ms",
			 store_strerror(rc), attempt + 1, p->retries, ms);
		sleep_ms(ms);
	}
	if (attempt > 0) {
		snprintf(msg, sizeof(msg), "%s", store_strerror(rc));
		/* store_set_error() also clears the transient mark. */
		store_set_error(rc, "%s after %u attempts", msg, attempt + 1);
		snap_log(LOG_ERR, "%s", store_strerror(rc));
	} else {
		store_clear_transient();
	}
	return rc;
}

/* ---- the layer's calls -------------------------------------------------- */

/* One call's arguments, for the attempt functions. */
struct retry_call {
	struct store *lower;
	const char *key, *key2;
	uint64_t off;
	void *buf;
	size_t len, *nread;
	struct store_entry *ent;
	const char *const *keys;
};

static int stat_attempt(void *arg)
{
	struct retry_call *c = arg;

	return c->lower->ops->stat(c->lower, c->key, c->ent);
}

static int retry_stat(struct store *st, const char *key,
		      struct store_entry *out)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_call c = {.lower = r->lower, .key = key, .ent = out};

	return store_retry_run(&r->pol, stat_attempt, &c);
}

static int read_attempt(void *arg)
{
	struct retry_call *c = arg;

	return c->lower->ops->read(c->lower, c->key, c->off, c->buf, c->len,
				   c->nread);
}

static int retry_read(struct store *st, const char *key, uint64_t off,
		      void *buf, size_t len, size_t *nread)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_call c = {.lower = r->lower,
			       .key = key,
			       .off = off,
			       .buf = buf,
			       .len = len,
			       .nread = nread};

	return store_retry_run(&r->pol, read_attempt, &c);
}

static int remove_attempt(void *arg)
{
	struct retry_call *c = arg;

	return c->lower->ops->remove(c->lower, c->key);
}

static int retry_remove(struct store *st, const char *key)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_call c = {.lower = r->lower, .key = key};

	return store_retry_run(&r->pol, remove_attempt, &c);
}

static int remove_many_attempt(void *arg)
{
	struct retry_call *c = arg;

	return store_remove_many(c->lower, c->keys, c->len);
}

static int retry_remove_many(struct store *st, const char *const *keys,
			     size_t n)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_call c = {.lower = r->lower, .keys = keys, .len = n};

	return store_retry_run(&r->pol, remove_many_attempt, &c);
}

static int copy_attempt(void *arg)
{
	struct retry_call *c = arg;

	/* The lower store's own copy, or its read-and-put: both can be
	 * made again from the start. */
	return store_copy(c->lower, c->key, c->key2);
}

static int retry_copy(struct store *st, const char *from, const char *to)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_call c = {.lower = r->lower, .key = from, .key2 = to};

	return store_retry_run(&r->pol, copy_attempt, &c);
}

static int rename_attempt(void *arg)
{
	struct retry_call *c = arg;

	return store_rename(c->lower, c->key, c->key2);
}

static int retry_rename(struct store *st, const char *from, const char *to)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_call c = {.lower = r->lower, .key = from, .key2 = to};

	return store_retry_run(&r->pol, rename_attempt, &c);
}

/* ---- list: never deliver an entry twice --------------------------------- */

struct retry_list {
	struct store *lower;
	const char *prefix, *delim;
	store_list_cb cb;
	void *arg;
	char *last; /* last key delivered, "" before the first */
	size_t cap;
	bool stopped; /* the caller's callback returned non-zero */
};

static int list_filter(const struct store_entry *e, void *arg)
{
	struct retry_list *l = arg;
	size_t n = strlen(e->key) + 1;
	int rc;

	if (l->last[0] && strcmp(e->key, l->last) <= 0)
		return 0; /* delivered by an earlier attempt */
	rc = l->cb(e, l->arg);
	if (rc != 0) {
		l->stopped = true;
		return rc;
	}
	if (n > l->cap) {
		char *b = realloc(l->last, n);

		if (!b) {
			l->stopped = true;
			return -ENOMEM;
		}
		l->last = b;
		l->cap = n;
	}
	memcpy(l->last, e->key, n);
	return 0;
}

static int list_attempt(void *arg)
{
	struct retry_list *l = arg;
	int rc = l->lower->ops->list(l->lower, l->prefix, l->delim, list_filter,
				     l);

	/* The callback's answer is the caller's, never a reason to retry,
	 * even if it passes on a transient failure of its own. */
	if (l->stopped)
		store_clear_transient();
	return rc;
}

static int retry_list(struct store *st, const char *prefix, const char *delim,
		      store_list_cb cb, void *arg)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_list l = {.lower = r->lower,
			       .prefix = prefix,
			       .delim = delim,
			       .cb = cb,
			       .arg = arg,
			       .cap = 256};
	int rc;

	l.last = calloc(1, l.cap);
	if (!l.last)
		return -ENOMEM;
	rc = store_retry_run(&r->pol, list_attempt, &l);
	free(l.last);
	return rc;
}

/* ---- put: only while the source is untouched ----------------------------- */

struct retry_put {
	struct store *lower;
	const char *key;
	store_src_fn src;
	void *arg;
	uint64_t size;
	unsigned flags;
	bool touched; /* the source was called: it cannot be replayed */
};

static ssize_t put_src(void *arg, void *buf, size_t len)
{
	struct retry_put *p = arg;

	p->touched = true;
	return p->src(p->arg, buf, len);
}

static int put_attempt(void *arg)
{
	struct retry_put *p = arg;
	int rc = p->lower->ops->put(p->lower, p->key, put_src, p, p->size,
				    p->flags);

	if (rc < 0 && p->touched)
		store_clear_transient();
	return rc;
}

static int retry_put(struct store *st, const char *key, store_src_fn src,
		     void *arg, uint64_t size, unsigned flags)
{
	struct retry_store *r = retry_from_store(st);
	struct retry_put p = {.lower = r->lower,
			      .key = key,
			      .src = src,
			      .arg = arg,
			      .size = size,
			      .flags = flags};

	return store_retry_run(&r->pol, put_attempt, &p);
}

/* ---- life --------------------------------------------------------------- */

static void retry_close(struct store *st)
{
	struct retry_store *r = retry_from_store(st);

	store_close(r->lower);
	free(r->base.url);
	free(r);
}

/* Every slot is set: the lower store's capabilities (in base.caps) keep
 * callers from the calls it cannot do, and copy and remove_many go
 * through the generic helpers, which handle a lower store without them. */
static const struct store_ops retry_ops = {
	.scheme = "retry",
	.close = retry_close,
	.list = retry_list,
	.stat = retry_stat,
	.read = retry_read,
	.put = retry_put,
	.remove = retry_remove,
	.remove_many = retry_remove_many,
	.copy = retry_copy,
	.rename = retry_rename,
};

int store_retry_wrap(struct store *lower, const struct store_opts *o,
		     struct store **out)
{
	struct retry_store *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->base.url = strdup(lower->url);
	if (!r->base.url) {
		free(r);
		return -ENOMEM;
	}
	r->base.ops = &retry_ops;
	r->base.caps = store_caps_of(lower);
	r->lower = lower;
	store_retry_policy_init(&r->pol, o);
	*out = &r->base;
	return 0;
}
