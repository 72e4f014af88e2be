/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the fault layer: a store that wraps any store (mem://,
 * file://, s3://) and injects what its knobs say: failures of chosen calls,
 * delays, a corrupt byte, short reads, running out of space. The syntax of
 * the knobs is in store.h (store_fault_wrap()); store_open() reads the
 * same syntax from SNAPFS_STORE_FAULTS, so shell tests and a real mount
 * can inject faults too.
 *
 * A layer rather than knobs inside mem://: the same faults then apply to
 * the file:// repositories of the shell tests, and mem:// stays a plain
 * backend that answers like file://.
 *
 * An injected failure happens before the lower store is called, so the
 * lower store is unchanged by it, and is recorded like a backend's (a
 * message for store_strerror(), optionally the transient mark). copy and
 * remove_many count as one call each, of copy and remove.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "store_int.h"

#include "base/banned.h"

#define FAULT_MAX	16   /* items of one kind */
#define FAULT_KEY_MAX	1024 /* bytes of a key in corrupt= */
#define FAULT_MATCH_MAX 256  /* bytes of TEXT in fail=...:key=TEXT */

enum fault_op {
	F_LIST,
	F_STAT,
	F_READ,
	F_PUT,
	F_REMOVE,
	F_COPY,
	F_RENAME,
	F_NOPS,
	F_ANY = F_NOPS, /* in a knob: every op */
};

static const char *const fault_op_names[F_NOPS + 1] = {
	"list", "stat", "read", "put", "remove", "copy", "rename", "any",
};

struct fault_fail {
	int op;			   /* enum fault_op, F_ANY for all */
	unsigned long first, last; /* calls, from 1; last ULONG_MAX: on */
	int err;		   /* negative errno */
	bool transient;
	char match[FAULT_MATCH_MAX]; /* "" or text the key must contain */
	unsigned long seen;	     /* matching calls so far */
};

struct fault_delay {
	int op;
	unsigned ms;
};

struct fault_corrupt {
	char key[FAULT_KEY_MAX];
	uint64_t off;
};

struct fault_knobs {
	struct fault_fail fail[FAULT_MAX];
	struct fault_delay delay[FAULT_MAX];
	struct fault_corrupt corrupt[FAULT_MAX];
	size_t nfail, ndelay, ncorrupt;
	size_t short_max; /* 0: off */
	uint64_t enospc;  /* UINT64_MAX: off */
	bool remote;
};

struct fault_store {
	struct store base; /* must be first */
	struct store *lower;
	/* Guards k (knobs and their counts), calls and written. Never held
	 * across a call of the lower store. */
	pthread_mutex_t lock;
	struct fault_knobs *k;
	unsigned long calls[F_NOPS];
	uint64_t written; /* bytes of puts, reserved before they are sent */
};

static const struct store_ops fault_ops;

static struct fault_store *fault_from_store(struct store *st)
{
	if (st->ops != &fault_ops)
		abort();
	return (struct fault_store *)st;
}

/* ---- parsing ------------------------------------------------------------ */

static const struct {
	const char *name;
	int err;
} fault_errnos[] = {
	{"EIO", EIO},
	{"ENOENT", ENOENT},
	{"ENOSPC", ENOSPC},
	{"EAGAIN", EAGAIN},
	{"ETIMEDOUT", ETIMEDOUT},
	{"ECONNRESET", ECONNRESET},
	{"ECONNREFUSED", ECONNREFUSED},
	{"EHOSTUNREACH", EHOSTUNREACH},
	{"EACCES", EACCES},
	{"EPERM", EPERM},
	{"EROFS", EROFS},
	{"EEXIST", EEXIST},
	{"EBUSY", EBUSY},
	{"ENOMEM", ENOMEM},
	{"EINVAL", EINVAL},
	{"EFBIG", EFBIG},
	{"EPROTO", EPROTO},
	{"EOPNOTSUPP", EOPNOTSUPP},
	{"EDQUOT", EDQUOT},
	{"EINTR", EINTR},
};

static const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(fault_errnos) / sizeof(fault_errnos[0]); i++)
		if (fault_errnos[i].err == err)
			return fault_errnos[i].name;
	return "errno";
}

/* Decimal digits only, the whole of @s. */
static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static int parse_op(const char *s)
{
	int i;

	for (i = 0; i <= F_NOPS; i++)
		if (strcmp(s, fault_op_names[i]) == 0)
			return i;
	return -1;
}

static bool parse_err(const char *s, int *err)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(fault_errnos) / sizeof(fault_errnos[0]); i++)
		if (strcmp(s, fault_errnos[i].name) == 0) {
			*err = -fault_errnos[i].err;
			return true;
		}
	if (!parse_u64(s, &v) || v == 0 || v > 4095)
		return false;
	*err = -(int)v;
	return true;
}

/* "N", "N-M" or "N-": calls counted from 1. */
static bool parse_calls(const char *s, struct fault_fail *f)
{
	char buf[64], *dash;
	uint64_t a, b = ULONG_MAX;

	if (strlen(s) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash) {
		*dash = '\0';
		if (dash[1] && !parse_u64(dash + 1, &b))
			return false;
	}
	if (!parse_u64(buf, &a) || a == 0 || a > ULONG_MAX || b < a ||
	    b > ULONG_MAX)
		return false;
	f->first = (unsigned long)a;
	f->last = dash ? (unsigned long)b : f->first;
	return true;
}

/* OP:CALLS:ERR[:transient][:key=TEXT], in place in @v. */
static const char *parse_fail(struct fault_knobs *k, char *v)
{
	struct fault_fail *f = &k->fail[k->nfail];
	char *tok;
	int field = 0;

	if (k->nfail == FAULT_MAX)
		return "too many fail= items";
	memset(f, 0, sizeof(*f));
	for (; (tok = strsep(&v, ":")) != NULL; field++) {
		if (field == 0 && (f->op = parse_op(tok)) < 0)
			return "expected an op (list, stat, read, put, remove, "
			       "copy, rename or any)";
		if (field == 1 && !parse_calls(tok, f))
			return "expected calls N, N-M or N- (from 1)";
		if (field == 2 && !parse_err(tok, &f->err))
			return "expected an errno name (EIO, ENOSPC, ...) or "
			       "number";
		if (field < 3)
			continue;
		if (strcmp(tok, "transient") == 0 && !f->transient)
			f->transient = true;
		else if (strncmp(tok, "key=", 4) == 0 && tok[4] &&
			 strlen(tok + 4) < sizeof(f->match) && !f->match[0])
			snprintf(f->match, sizeof(f->match), "%s", tok + 4);
		else
			return "expected \"transient\" or \"key=TEXT\" after "
			       "the errno";
	}
	if (field < 3)
		return "expected fail=OP:CALLS:ERR[:transient][:key=TEXT]";
	k->nfail++;
	return NULL;
}

static const char *parse_delay(struct fault_knobs *k, char *v)
{
	char *colon = strchr(v, ':');
	uint64_t ms;
	int op = F_ANY;

	if (k->ndelay == FAULT_MAX)
		return "too many delay= items";
	if (colon) {
		*colon = '\0';
		if ((op = parse_op(v)) < 0)
			return "expected an op before ':'";
		v = colon + 1;
	}
	if (!parse_u64(v, &ms) || ms > 600000)
		return "expected delay=[OP:]MS, MS at most 600000";
	k->delay[k->ndelay++] = (struct fault_delay){op, (unsigned)ms};
	return NULL;
}

static const char *parse_corrupt(struct fault_knobs *k, char *v)
{
	char *at = strrchr(v, '@');
	uint64_t off;

	if (k->ncorrupt == FAULT_MAX)
		return "too many corrupt= items";
	if (!at || at == v || !parse_u64(at + 1, &off))
		return "expected corrupt=KEY@OFFSET";
	*at = '\0';
	if (strlen(v) >= FAULT_KEY_MAX)
		return "key too long";
	snprintf(k->corrupt[k->ncorrupt].key, FAULT_KEY_MAX, "%s", v);
	k->corrupt[k->ncorrupt++].off = off;
	return NULL;
}

/* One item, in place. @return NULL, or what was expected. */
static const char *parse_item(struct fault_knobs *k, char *item)
{
	char *eq = strchr(item, '=');
	uint64_t n;

	if (strcmp(item, "remote") == 0) {
		k->remote = true;
		return NULL;
	}
	if (!eq)
		return "expected fail=, delay=, corrupt=, short=, enospc= or "
		       "remote";
	*eq = '\0';
	if (strcmp(item, "fail") == 0)
		return parse_fail(k, eq + 1);
	if (strcmp(item, "delay") == 0)
		return parse_delay(k, eq + 1);
	if (strcmp(item, "corrupt") == 0)
		return parse_corrupt(k, eq + 1);
	if (strcmp(item, "short") == 0) {
		if (!parse_u64(eq + 1, &n) || n == 0 || n > SIZE_MAX)
			return "expected short=N, N > 0";
		k->short_max = (size_t)n;
		return NULL;
	}
	if (strcmp(item, "enospc") == 0) {
		if (!parse_u64(eq + 1, &n))
			return "expected enospc=BYTES";
		k->enospc = n;
		return NULL;
	}
	return "expected fail=, delay=, corrupt=, short=, enospc= or remote";
}

/* Parse @spec into new knobs. @return 0; -EINVAL (recorded); -ENOMEM. */
static int fault_parse(const char *spec, struct fault_knobs **out)
{
	struct fault_knobs *k = calloc(1, sizeof(*k));
	char *copy = strdup(spec), *p, *comma, item[2048];
	const char *why = NULL;

	if (!k || !copy) {
		free(k);
		free(copy);
		return -ENOMEM;
	}
	k->enospc = UINT64_MAX;
	for (p = copy; *spec && !why; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		snprintf(item, sizeof(item), "%s", p);
		why = *p ? parse_item(k, p) : "empty item";
		if (!comma)
			break;
	}
	free(copy);
	if (why) {
		store_set_error(-EINVAL, "fault spec \"%s\": item \"%s\": %s",
				spec, item, why);
		free(k);
		return -EINVAL;
	}
	*out = k;
	return 0;
}

/* ---- injecting ---------------------------------------------------------- */

static bool keys_match(const char *match, const char *const *keys, size_t n)
{
	size_t i;

	if (!match[0])
		return true;
	for (i = 0; i < n; i++)
		if (keys[i] && strstr(keys[i], match))
			return true;
	return false;
}

/*
 * Before a call of @op on @keys: count it, sleep the delays, and decide
 * whether it fails. @return 0 to go on to the lower store, or the
 * injected -errno (recorded for store_strerror()).
 */
static int fault_enter(struct fault_store *f, int op, const char *const *keys,
		       size_t nkeys)
{
	unsigned long nth = 0;
	bool transient = false;
	unsigned ms = 0;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	f->calls[op]++;
	for (i = 0; i < f->k->ndelay; i++)
		if (f->k->delay[i].op == F_ANY || f->k->delay[i].op == op)
			ms += f->k->delay[i].ms;
	for (i = 0; i < f->k->nfail; i++) {
		struct fault_fail *fl = &f->k->fail[i];

		if ((fl->op != F_ANY && fl->op != op) ||
		    !keys_match(fl->match, keys, nkeys))
			continue;
		fl->seen++;
		if (rc == 0 && fl->seen >= fl->first && fl->seen <= fl->last) {
			rc = fl->err;
			transient = fl->transient;
			nth = fl->seen;
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (ms) {
		struct timespec ts = {.tv_sec = ms / 1000,
				      .tv_nsec = (long)(ms % 1000) * 1000000L};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (rc < 0) {
		store_set_error(rc, "fault: %s %s: injected %s (call %lu)",
				fault_op_names[op], nkeys ? keys[0] : "",
				errno_name(-rc), nth);
		if (transient)
			store_set_transient(rc);
	}
	return rc;
}

static int fault_list(struct store *st, const char *prefix, const char *delim,
		      store_list_cb cb, void *arg)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_LIST, &prefix, 1);

	return rc < 0 ? rc
		      : f->lower->ops->list(f->lower, prefix, delim, cb, arg);
}

static int fault_stat(struct store *st, const char *key,
		      struct store_entry *out)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_STAT, &key, 1);

	return rc < 0 ? rc : f->lower->ops->stat(f->lower, key, out);
}

/* Flip the corrupt bytes of @key that fall in [off, off + n). */
static void corrupt_bytes(struct fault_store *f, const char *key, uint64_t off,
			  char *buf, size_t n)
{
	size_t i;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->k->ncorrupt; i++) {
		const struct fault_corrupt *c = &f->k->corrupt[i];

		if (c->off >= off && c->off - off < n &&
		    strcmp(c->key, key) == 0)
			buf[c->off - off] ^= (char)0xff;
	}
	pthread_mutex_unlock(&f->lock);
}

static int fault_read(struct store *st, const char *key, uint64_t off,
		      void *buf, size_t len, size_t *nread)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_READ, &key, 1);
	size_t max;

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&f->lock);
	max = f->k->short_max;
	pthread_mutex_unlock(&f->lock);
	if (max && len > max)
		len = max;
	rc = f->lower->ops->read(f->lower, key, off, buf, len, nread);
	if (rc == 0)
		corrupt_bytes(f, key, off, buf, *nread);
	return rc;
}

static int fault_put(struct store *st, const char *key, store_src_fn src,
		     void *arg, uint64_t size, unsigned flags)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_PUT, &key, 1);
	uint64_t limit, written;

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&f->lock);
	limit = f->k->enospc;
	written = f->written;
	if (limit != UINT64_MAX &&
	    (f->written > limit || size > limit - f->written))
		rc = -ENOSPC;
	else
		f->written += size; /* reserved; given back on failure */
	pthread_mutex_unlock(&f->lock);
	if (rc < 0) {
		store_set_error(rc,
				"fault: put %s: no space (%llu bytes written "
				"of enospc=%llu)",
				key, (unsigned long long)written,
				(unsigned long long)limit);
		return rc;
	}
	rc = f->lower->ops->put(f->lower, key, src, arg, size, flags);
	if (rc < 0) {
		/* store_fault_set() may have reset the count meanwhile: never
		 * give back more than is there. */
		pthread_mutex_lock(&f->lock);
		f->written = f->written > size ? f->written - size : 0;
		pthread_mutex_unlock(&f->lock);
	}
	return rc;
}

static int fault_remove(struct store *st, const char *key)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_REMOVE, &key, 1);

	return rc < 0 ? rc : f->lower->ops->remove(f->lower, key);
}

static int fault_remove_many(struct store *st, const char *const *keys,
			     size_t n)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_REMOVE, keys, n);

	return rc < 0 ? rc : store_remove_many(f->lower, keys, n);
}

static int fault_copy(struct store *st, const char *from, const char *to)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_COPY, &from, 1);

	if (rc < 0)
		return rc;
	if (f->lower->ops->copy)
		return f->lower->ops->copy(f->lower, from, to);
	/* Through this layer's read and put, so their knobs apply. */
	return store_copy_generic(st, from, to);
}

static int fault_rename(struct store *st, const char *from, const char *to)
{
	struct fault_store *f = fault_from_store(st);
	int rc = fault_enter(f, F_RENAME, &from, 1);

	return rc < 0 ? rc : store_rename(f->lower, from, to);
}

/* ---- life --------------------------------------------------------------- */

static void fault_close(struct store *st)
{
	struct fault_store *f = fault_from_store(st);

	store_close(f->lower);
	pthread_mutex_destroy(&f->lock);
	free(f->k);
	free(f->base.url);
	free(f);
}

static const struct store_ops fault_ops = {
	.scheme = "fault",
	.close = fault_close,
	.list = fault_list,
	.stat = fault_stat,
	.read = fault_read,
	.put = fault_put,
	.remove = fault_remove,
	.remove_many = fault_remove_many,
	.copy = fault_copy,
	.rename = fault_rename,
};

int store_fault_wrap(struct store *lower, const char *spec, struct store **out)
{
	struct fault_store *f;
	struct fault_knobs *k;
	int rc = fault_parse(spec, &k);

	if (rc < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->base.url = strdup(lower->url))) {
		free(f);
		free(k);
		return -ENOMEM;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->base.ops = &fault_ops;
	f->base.caps =
		store_caps_of(lower) | (k->remote ? STORE_CAP_REMOTE : 0);
	f->lower = lower;
	f->k = k;
	*out = &f->base;
	return 0;
}

int store_fault_set(struct store *st, const char *spec)
{
	struct fault_store *f;
	struct fault_knobs *k, *old;
	int rc;

	if (st->ops != &fault_ops)
		return -EINVAL;
	f = fault_from_store(st);
	rc = fault_parse(spec, &k);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&f->lock);
	old = f->k;
	f->k = k;
	memset(f->calls, 0, sizeof(f->calls));
	f->written = 0;
	pthread_mutex_unlock(&f->lock);
	free(old);
	return 0;
}

unsigned long store_fault_calls(struct store *st, const char *op)
{
	struct fault_store *f;
	unsigned long n = 0;
	int i, o = op ? parse_op(op) : -1;

	if (st->ops != &fault_ops || o < 0)
		return 0;
	f = fault_from_store(st);
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < F_NOPS; i++)
		if (o == F_ANY || o == i)
			n += f->calls[i];
	pthread_mutex_unlock(&f->lock);
	return n;
}
