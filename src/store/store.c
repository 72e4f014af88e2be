/* SPDX-License-Identifier: MIT */
/*
 * store.c - the thread's error state and the helpers shared by every
 * backend and layer. Opening by scheme is store_open.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#include "base/banned.h"

/* Why this thread's last store call failed; see store_strerror(). Each
 * thread has its own, so no lock. */
static __thread struct store_error_state last_error;

void store_set_error(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error.msg, sizeof(last_error.msg), fmt, ap);
	va_end(ap);
	last_error.rc = rc;
	last_error.transient = false;
}

void store_set_transient(int rc)
{
	if (last_error.rc != rc)
		last_error.msg[0] = '\0';
	last_error.rc = rc;
	last_error.transient = true;
}

void store_clear_transient(void)
{
	last_error.transient = false;
}

void store_clear_error(void)
{
	last_error.rc = 0;
	last_error.transient = false;
	last_error.msg[0] = '\0';
}

bool store_error_transient(int rc)
{
	return rc < 0 && last_error.rc == rc && last_error.transient;
}

void store_error_save(struct store_error_state *out)
{
	*out = last_error;
}

void store_error_restore(const struct store_error_state *e)
{
	last_error = *e;
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

bool store_key_ok(const char *key, bool dir)
{
	const char *p = key, *slash;
	size_t n;

	if (*key == '\0')
		return false;
	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!slash || (dir && slash[1] == '\0'))
			return true;
		p = slash + 1;
	}
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
				store_clear_error();
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

int store_copy_generic(struct store *st, const char *from, const char *to)
{
	struct store_entry e;
	struct copy_src c = {.st = st, .key = from};
	int rc;

	rc = store_stat(st, from, &e);
	if (rc < 0)
		return rc;
	return st->ops->put(st, to, copy_src_read, &c, e.size, 0);
}

int store_copy(struct store *st, const char *from, const char *to)
{
	if (!store_can(st, STORE_CAP_WRITE))
		return -EROFS;
	if (st->ops->copy)
		return st->ops->copy(st, from, to);
	return store_copy_generic(st, from, to);
}

int store_rename(struct store *st, const char *from, const char *to)
{
	if (!store_can(st, STORE_CAP_RENAME))
		return -EOPNOTSUPP;
	return st->ops->rename(st, from, to);
}
