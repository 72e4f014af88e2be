/* SPDX-License-Identifier: MIT */
/*
 * test-retry.c - the retry layer over fault(mem://) and over a "flaky"
 * store defined here (a listing or put that fails part way): gives up
 * after the configured attempts with " after N attempts", retries only
 * transient failures, honours retry_base_ms, never delivers a listed
 * entry twice, replays a put only while its source is untouched, and
 * nested loops do not multiply attempts.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/store_int.h"
#include "unit.h"

#include "base/banned.h"

static struct store *fault; /* fault layer over mem://retry */
static struct store *st;    /* retry layer over it */

static void open_stack(const struct store_opts *o)
{
	struct store *mem = NULL;

	ck_assert_int_eq(store_open("mem://retry", NULL, &mem), 0);
	ck_assert_int_eq(store_put_buf(mem, "a/obj", "0123456789", 10, 0), 0);
	ck_assert_int_eq(store_put_buf(mem, "a/two", "2", 1, 0), 0);
	ck_assert_int_eq(store_fault_wrap(mem, "", &fault), 0);
	ck_assert_int_eq(store_retry_wrap(fault, o, &st), 0);
}

static void setup(void)
{
	struct store_opts o = {
		.retries = 2, .retries_set = true, .retry_base_ms = 1};

	open_stack(&o);
}

static void teardown(void)
{
	store_close(st);
	st = fault = NULL;
	store_mem_clear("retry");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

START_TEST(test_wrap)
{
	struct store *w = NULL, *mem = NULL;

	ck_assert_str_eq(st->url, "mem://retry");
	ck_assert(store_can(st, STORE_CAP_WRITE | STORE_CAP_RENAME));
	ck_assert(!store_can(st, STORE_CAP_REMOTE));
	ck_assert_int_eq(store_open("mem://retry", NULL, &mem), 0);
	ck_assert_int_eq(store_fault_wrap(mem, "remote", &w), 0);
	ck_assert_int_eq(store_retry_wrap(w, NULL, &mem), 0);
	ck_assert(store_can(mem, STORE_CAP_REMOTE | STORE_CAP_WRITE));
	store_close(mem);
}
END_TEST

START_TEST(test_gives_up)
{
	char buf[16];
	size_t n;
	int rc;

	ck_assert_int_eq(
		store_fault_set(fault, "fail=read:1-:EAGAIN:transient"), 0);
	rc = store_read(st, "a/obj", 0, buf, 4, &n);
	ck_assert_int_eq(rc, -EAGAIN);
	ck_assert_uint_eq(store_fault_calls(fault, "read"), 3);
	ck_assert_str_eq(store_strerror(rc), "fault: read a/obj: injected "
					     "EAGAIN (call 3) after 3 "
					     "attempts");
	/* Given up on: not transient any more, for layers above. */
	ck_assert(!store_error_transient(rc));
}
END_TEST

START_TEST(test_default_retries)
{
	struct store_opts o = {.retry_base_ms = 1}; /* retries not set */
	struct store_entry e;
	int rc;

	teardown();
	open_stack(&o);
	ck_assert_int_eq(
		store_fault_set(fault, "fail=stat:1-:ETIMEDOUT:transient"), 0);
	rc = store_stat(st, "a/obj", &e);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_uint_eq(store_fault_calls(fault, "stat"), 6);
	ck_assert(strstr(store_strerror(rc), "after 6 attempts") != NULL);

	/* retries=0: one attempt, the message as the backend left it. */
	teardown();
	o = (struct store_opts){.retries = 0, .retries_set = true};
	open_stack(&o);
	ck_assert_int_eq(
		store_fault_set(fault, "fail=stat:1-:ETIMEDOUT:transient"), 0);
	rc = store_stat(st, "a/obj", &e);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_uint_eq(store_fault_calls(fault, "stat"), 1);
	ck_assert_str_eq(store_strerror(rc),
			 "fault: stat a/obj: injected ETIMEDOUT (call 1)");
}
END_TEST

START_TEST(test_only_transient)
{
	struct store_entry e;
	char buf[16];
	size_t n;
	int rc;

	/* Not transient: one call, the message untouched. */
	ck_assert_int_eq(store_fault_set(fault, "fail=read:1:EIO"), 0);
	rc = store_read(st, "a/obj", 0, buf, 4, &n);
	ck_assert_int_eq(rc, -EIO);
	ck_assert_uint_eq(store_fault_calls(fault, "read"), 1);
	ck_assert_str_eq(store_strerror(rc),
			 "fault: read a/obj: injected EIO (call 1)");
	/* Transient twice, then fine: the caller sees the data. */
	ck_assert_int_eq(
		store_fault_set(fault, "fail=read:1-2:ECONNRESET:transient"),
		0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(store_read(st, "a/obj", 2, buf, 4, &n), 0);
	ck_assert_str_eq(buf, "2345");
	ck_assert_uint_eq(store_fault_calls(fault, "read"), 3);
	/* Transient, then a hard failure: stops there, says how many. */
	ck_assert_int_eq(store_fault_set(fault, "fail=stat:1:EAGAIN:transient,"
						"fail=stat:2:EACCES"),
			 0);
	rc = store_stat(st, "a/obj", &e);
	ck_assert_int_eq(rc, -EACCES);
	ck_assert_uint_eq(store_fault_calls(fault, "stat"), 2);
	ck_assert(strstr(store_strerror(rc), "after 2 attempts") != NULL);
	/* ENOENT is an answer, not a failure to retry. */
	ck_assert_int_eq(store_fault_set(fault, ""), 0);
	ck_assert_int_eq(store_stat(st, "nope", &e), -ENOENT);
	ck_assert_uint_eq(store_fault_calls(fault, "stat"), 1);
}
END_TEST

START_TEST(test_other_ops)
{
	const char *keys[] = {"a/two"};
	char *buf;
	size_t n;

	ck_assert_int_eq(store_fault_set(fault,
					 "fail=remove:1:EAGAIN:transient,"
					 "fail=copy:1:EAGAIN:transient,"
					 "fail=rename:1:EAGAIN:transient,"
					 "fail=put:1:EAGAIN:transient"),
			 0);
	ck_assert_int_eq(store_put_buf(st, "p", "pp", 2, 0), 0);
	ck_assert_uint_eq(store_fault_calls(fault, "put"), 2);
	ck_assert_int_eq(store_copy(st, "p", "q"), 0);
	ck_assert_uint_eq(store_fault_calls(fault, "put"), 3); /* the copy's */
	ck_assert_int_eq(store_rename(st, "q", "r"), 0);
	ck_assert_int_eq(store_read_all(st, "r", 10, &buf, &n), 0);
	ck_assert_str_eq(buf, "pp");
	free(buf);
	ck_assert_int_eq(store_remove(st, "r"), 0);
	ck_assert_int_eq(store_remove_many(st, keys, 1), 0);
	ck_assert_uint_eq(store_fault_calls(fault, "copy"), 2);
	ck_assert_uint_eq(store_fault_calls(fault, "rename"), 2);
	ck_assert_uint_eq(store_fault_calls(fault, "remove"), 3);
}
END_TEST

START_TEST(test_backoff_base)
{
	struct store_opts o = {
		.retries = 2, .retries_set = true, .retry_base_ms = 40};
	struct store_retry_policy p;
	struct store_entry e;
	double t0, dt;
	unsigned a, i, d;

	teardown();
	open_stack(&o);
	ck_assert_int_eq(
		store_fault_set(fault, "fail=stat:1-:EAGAIN:transient"), 0);
	t0 = now_ms();
	ck_assert_int_eq(store_stat(st, "a/obj", &e), -EAGAIN);
	dt = now_ms() - t0;
	/* Waits of 20..40 ms, then 40..80 ms. */
	ck_assert_msg(dt >= 60 && dt < 400, "%.1f ms", dt);

	/* The policy: equal jitter around base << attempt, capped. */
	store_retry_policy_init(&p, &o);
	ck_assert_uint_eq(p.retries, 2);
	ck_assert_uint_eq(p.base_ms, 40);
	for (a = 0; a < 30; a++) {
		unsigned step = a > 20 || (40u << a) > STORE_RETRY_CAP_MS
					? STORE_RETRY_CAP_MS
					: 40u << a;

		for (i = 0; i < 20; i++) {
			d = store_retry_delay_ms(&p, a);
			ck_assert_uint_ge(d, step / 2);
			ck_assert_uint_le(d, step);
		}
	}
	store_retry_policy_init(&p, NULL);
	ck_assert_uint_eq(p.retries, STORE_RETRY_DEFAULT_RETRIES);
	ck_assert_uint_eq(p.base_ms, STORE_RETRY_DEFAULT_BASE_MS);
}
END_TEST

START_TEST(test_nested)
{
	struct store_opts o = {
		.retries = 2, .retries_set = true, .retry_base_ms = 1};
	struct store *outer = NULL;
	char buf[4];
	size_t n;

	ck_assert_int_eq(store_retry_wrap(st, &o, &outer), 0);
	ck_assert_int_eq(
		store_fault_set(fault, "fail=read:1-:EAGAIN:transient"), 0);
	ck_assert_int_eq(store_read(outer, "a/obj", 0, buf, 4, &n), -EAGAIN);
	ck_assert_uint_eq(store_fault_calls(fault, "read"), 3);
	ck_assert(strstr(store_strerror(-EAGAIN), "after 3 attempts") != NULL);
	st = outer; /* closed by teardown, with what it wraps */
}
END_TEST

/* ---- a store that fails part way through a listing or a put ---------- */

struct flaky {
	struct store base;
	struct store *lower;
	unsigned cut_after; /* entries delivered before the cut */
	unsigned cuts_left; /* attempts that are cut */
	unsigned lists, puts;
	unsigned delivered;
};

static int flaky_cb_rc;
static store_list_cb flaky_cb;
static void *flaky_arg;

static int flaky_filter(const struct store_entry *e, void *arg)
{
	struct flaky *f = arg;

	if (f->cuts_left && f->delivered == f->cut_after)
		return -ECONNRESET;
	f->delivered++;
	flaky_cb_rc = flaky_cb(e, flaky_arg);
	return flaky_cb_rc;
}

static int flaky_list(struct store *st2, const char *prefix, const char *delim,
		      store_list_cb cb, void *arg)
{
	struct flaky *f = (struct flaky *)st2;
	int rc;

	f->lists++;
	f->delivered = 0;
	flaky_cb = cb;
	flaky_arg = arg;
	rc = store_list(f->lower, prefix, delim, flaky_filter, f);
	if (rc == -ECONNRESET && f->cuts_left) {
		f->cuts_left--;
		store_set_error(rc, "flaky: list cut after %u", f->cut_after);
		store_set_transient(rc);
	}
	return rc;
}

static int flaky_stat(struct store *st2, const char *key,
		      struct store_entry *out)
{
	return store_stat(((struct flaky *)st2)->lower, key, out);
}

static int flaky_read(struct store *st2, const char *key, uint64_t off,
		      void *buf, size_t len, size_t *nread)
{
	return store_read(((struct flaky *)st2)->lower, key, off, buf, len,
			  nread);
}

/* Reads a byte of the source, then fails transiently. */
static int flaky_put(struct store *st2, const char *key, store_src_fn src,
		     void *arg, uint64_t size, unsigned flags)
{
	struct flaky *f = (struct flaky *)st2;
	char b;

	f->puts++;
	if (src(arg, &b, 1) < 0)
		return -EIO;
	store_set_error(-EAGAIN, "flaky: put %s cut", key);
	store_set_transient(-EAGAIN);
	return -EAGAIN;
}

static void flaky_close(struct store *st2)
{
	store_close(((struct flaky *)st2)->lower);
	free(st2);
}

static const struct store_ops flaky_ops = {
	.scheme = "flaky",
	.close = flaky_close,
	.list = flaky_list,
	.stat = flaky_stat,
	.read = flaky_read,
	.put = flaky_put,
};

static struct flaky *flaky_over_mem(void)
{
	struct flaky *f = calloc(1, sizeof(*f));
	char key[16];
	int i;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(store_open("mem://retry", NULL, &f->lower), 0);
	store_mem_clear("retry");
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ck_assert_int_eq(store_put_buf(f->lower, key, "v", 1, 0), 0);
	}
	f->base.ops = &flaky_ops;
	f->base.url = "flaky://";
	f->base.caps = STORE_CAP_WRITE;
	return f;
}

struct seen {
	char keys[512];
	unsigned n, stop_at;
	int stop_rc;
};

static int seen_cb(const struct store_entry *e, void *arg)
{
	struct seen *s = arg;
	size_t used = strlen(s->keys);

	snprintf(s->keys + used, sizeof(s->keys) - used, "%s%s",
		 used ? "," : "", e->key);
	if (++s->n == s->stop_at) {
		if (s->stop_rc < 0) { /* a failure of its own, transient */
			store_set_error(s->stop_rc, "callback");
			store_set_transient(s->stop_rc);
		}
		return s->stop_rc;
	}
	return 0;
}

START_TEST(test_list_not_twice)
{
	struct store_opts o = {
		.retries = 5, .retries_set = true, .retry_base_ms = 1};
	struct flaky *f = flaky_over_mem();
	struct store *r = NULL;
	struct seen s = {0};

	ck_assert_int_eq(store_retry_wrap(&f->base, &o, &r), 0);
	/* Each attempt is cut after its first 3 entries, three times; the
	 * retries see k0..k2 again and must not pass them on twice. */
	f->cut_after = 3;
	f->cuts_left = 3;
	ck_assert_int_eq(store_list(r, "", NULL, seen_cb, &s), 0);
	ck_assert_str_eq(s.keys, "k0,k1,k2,k3,k4,k5,k6,k7,k8,k9");
	ck_assert_uint_eq(s.n, 10);
	ck_assert_uint_eq(f->lists, 4);

	/* Cut more often than the retries allow: fails, no duplicates. */
	memset(&s, 0, sizeof(s));
	f->lists = 0;
	f->cut_after = 5;
	f->cuts_left = 10;
	ck_assert_int_eq(store_list(r, "", NULL, seen_cb, &s), -ECONNRESET);
	ck_assert_str_eq(s.keys, "k0,k1,k2,k3,k4");
	ck_assert_uint_eq(f->lists, 6);
	ck_assert(strstr(store_strerror(-ECONNRESET),
			 "flaky: list cut after 5 after 6 attempts") != NULL);

	/* The callback's own stop is never retried. */
	memset(&s, 0, sizeof(s));
	f->lists = 0;
	f->cuts_left = 0;
	s.stop_at = 2;
	s.stop_rc = 7;
	ck_assert_int_eq(store_list(r, "", NULL, seen_cb, &s), 7);
	ck_assert_uint_eq(f->lists, 1);
	memset(&s, 0, sizeof(s));
	f->lists = 0;
	s.stop_at = 4;
	s.stop_rc = -EAGAIN;
	ck_assert_int_eq(store_list(r, "", NULL, seen_cb, &s), -EAGAIN);
	ck_assert_uint_eq(f->lists, 1);
	ck_assert_str_eq(s.keys, "k0,k1,k2,k3");
	store_close(r);
	store_mem_clear("retry");
}
END_TEST

START_TEST(test_put_source_read)
{
	struct store_opts o = {
		.retries = 5, .retries_set = true, .retry_base_ms = 1};
	struct flaky *f = flaky_over_mem();
	struct store *r = NULL;

	ck_assert_int_eq(store_retry_wrap(&f->base, &o, &r), 0);
	/* The source was read: a replay would send other bytes. */
	ck_assert_int_eq(store_put_buf(r, "x", "abc", 3, 0), -EAGAIN);
	ck_assert_uint_eq(f->puts, 1);
	ck_assert(!store_error_transient(-EAGAIN));
	ck_assert_str_eq(store_strerror(-EAGAIN), "flaky: put x cut");
	store_close(r);
	store_mem_clear("retry");
}
END_TEST

static Suite *retry_suite(void)
{
	Suite *s = suite_create("retry");
	TCase *tc = tcase_create("retry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_gives_up);
	tcase_add_test(tc, test_default_retries);
	tcase_add_test(tc, test_only_transient);
	tcase_add_test(tc, test_other_ops);
	tcase_add_test(tc, test_backoff_base);
	tcase_add_test(tc, test_nested);
	suite_add_tcase(s, tc);

	tc = tcase_create("partial");
	tcase_add_test(tc, test_list_not_twice);
	tcase_add_test(tc, test_put_source_read);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(retry_suite)
