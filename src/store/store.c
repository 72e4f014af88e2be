/* SPDX-License-Identifier: MIT */
/*
 * store.c - scheme dispatch and helpers shared by every backend.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#include "base/banned.h"

static const struct store_ops *const store_backends[] = {
	&store_file_ops,
	&store_s3_ops,
};

/* Why this thread's last store call failed; see store_strerror(). */
static __thread struct {
	int rc;
	char msg[512];
} last_error;

void store_set_error(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error.msg, sizeof(last_error.msg), fmt, ap);
	va_end(ap);
	last_error.rc = rc;
}

const char *store_strerror(int rc)
{
	if (rc < 0 && last_error.rc == rc && last_error.msg[0])
		return last_error.msg;
	return strerror(rc < 0 ? -rc : rc);
}

const char *store_explain(int rc, const char *what, char *buf, size_t len)
{
	if (rc < 0 && last_error.rc == rc && last_error.msg[0])
		snprintf(buf, len, "%s", last_error.msg);
	else
		snprintf(buf, len, "%s: %s", what, strerror(rc < 0 ? -rc : rc));
	return buf;
}

const struct store_ops *store_ops_by_scheme(const char *scheme)
{
	size_t i;

	for (i = 0; i < sizeof(store_backends) / sizeof(store_backends[0]); i++)
		if (strcmp(store_backends[i]->scheme, scheme) == 0)
			return store_backends[i];
	return NULL;
}

int store_open(const char *url, const struct store_opts *o, struct store **out)
{
	const struct store_ops *ops;
	const char *sep = strstr(url, "://");
	char scheme[16];
	size_t n;

	if (!sep)
		return store_file_ops.open(url, o, out);
	n = (size_t)(sep - url);
	if (n == 0 || n >= sizeof(scheme))
		goto unknown;
	memcpy(scheme, url, n);
	scheme[n] = '\0';
	ops = store_ops_by_scheme(scheme);
	if (!ops)
		goto unknown;
	last_error.rc = 0;
	return ops->open(url, o, out);
unknown:
	store_set_error(
		-EPROTONOSUPPORT,
		"%s: unsupported URL scheme (supported: file://, s3://)", url);
	return -EPROTONOSUPPORT;
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

int store_read_all(struct store *st, const char *key, size_t max, char **buf,
		   size_t *len)
{
	struct store_entry e;
	char *b = NULL;
	size_t got = 0, n;
	int rc;

	rc = store_stat(st, key, &e);
	if (rc < 0)
		return rc;
	if (e.size > max)
		return -EFBIG;
	b = malloc(e.size + 1);
	if (!b)
		return -ENOMEM;
	/* Read until a short count: the object may differ from its stat. */
	for (;;) {
		rc = store_read(st, key, got, b + got, e.size - got, &n);
		if (rc < 0)
			goto out;
		got += n;
		if (n == 0 || got == e.size)
			break;
	}
	b[got] = '\0';
out:
	if (rc < 0) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = got;
	return 0;
}

struct buf_src {
	const char *p;
	size_t left;
};

static ssize_t buf_src_read(void *arg, void *dst, size_t len)
{
	struct buf_src *s = arg;
	size_t n = len < s->left ? len : s->left;

	memcpy(dst, s->p, n);
	s->p += n;
	s->left -= n;
	return (ssize_t)n;
}

int store_put_buf(struct store *st, const char *key, const void *buf,
		  size_t len, unsigned flags)
{
	struct buf_src src = {.p = buf, .left = len};

	if (!store_can(st, STORE_CAP_WRITE))
		return -EROFS;
	return st->ops->put(st, key, buf_src_read, &src, len, flags);
}

int store_remove(struct store *st, const char *key)
{
	if (!store_can(st, STORE_CAP_WRITE))
		return -EROFS;
	return st->ops->remove(st, key);
}

int store_remove_many(struct store *st, const char *const *keys, size_t n)
{
	size_t i, k;
	int rc;

	if (!store_can(st, STORE_CAP_WRITE))
		return -EROFS;
	for (i = 0; i < n; i += k) {
		k = n - i < STORE_BATCH_MAX ? n - i : STORE_BATCH_MAX;
		if (st->ops->remove_many) {
			rc = st->ops->remove_many(st, keys + i, k);
		} else {
			size_t j;

			for (j = 0, rc = 0; j < k && rc == 0; j++) {
				last_error.rc = 0;
				rc = st->ops->remove(st, keys[i + j]);
				if (rc == -ENOENT)
					rc = 0;
				else if (rc < 0 && last_error.rc != rc)
					store_set_error(rc, "delete %s: %s",
							keys[i + j],
							strerror(-rc));
			}
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct copy_src {
	struct store *st;
	const char *key;
	uint64_t off;
};

static ssize_t copy_src_read(void *arg, void *buf, size_t len)
{
	struct copy_src *c = arg;
	size_t n;
	int rc = store_read(c->st, c->key, c->off, buf, len, &n);

	if (rc < 0)
		return rc;
	c->off += n;
	return (ssize_t)n;
}

int store_copy(struct store *st, const char *from, const char *to)
{
	struct store_entry e;
	struct copy_src c = {.st = st, .key = from};
	int rc;

	if (!store_can(st, STORE_CAP_WRITE))
		return -EROFS;
	if (st->ops->copy)
		return st->ops->copy(st, from, to);
	rc = store_stat(st, from, &e);
	if (rc < 0)
		return rc;
	return st->ops->put(st, to, copy_src_read, &c, e.size, 0);
}

int store_rename(struct store *st, const char *from, const char *to)
{
	if (!store_can(st, STORE_CAP_RENAME))
		return -EOPNOTSUPP;
	return st->ops->rename(st, from, to);
}
