/* SPDX-License-Identifier: MIT */
/*
 * test-readahead.c - the read-ahead layer over fault(spy(mem://)), where
 * "spy" (defined here) records every read that reaches the store below:
 * sequential readers get growing windows and background fetches, jumps
 * start over small, many readers at once get the right bytes, errors of
 * the lower store (sync and background) and short lower reads, big reads
 * straight through, writes through the layer forget stale windows.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "unit.h"

#include "base/banned.h"

#define KiB	 1024u
#define MIN_WIN	 (64 * KiB)
#define MAX_WIN	 (512 * KiB)
#define OBJ_SIZE (3 * 1024 * KiB + 1234)
#define MAX_LOG	 4096

/* ---- spy: a store that logs the reads reaching it ----------------------- */

struct spy_read {
	uint64_t off;
	size_t len;
};

struct spy {
	struct store base;
	struct store *lower;
	pthread_mutex_t lock;
	struct spy_read log[MAX_LOG];
	unsigned n;
};

static int spy_list(struct store *s, const char *prefix, const char *delim,
		    store_list_cb cb, void *arg)
{
	return store_list(((struct spy *)s)->lower, prefix, delim, cb, arg);
}

static int spy_stat(struct store *s, const char *key, struct store_entry *out)
{
	return store_stat(((struct spy *)s)->lower, key, out);
}

static int spy_read(struct store *s, const char *key, uint64_t off, void *buf,
		    size_t len, size_t *nread)
{
	struct spy *sp = (struct spy *)s;

	pthread_mutex_lock(&sp->lock);
	if (sp->n < MAX_LOG)
		sp->log[sp->n++] = (struct spy_read){off, len};
	pthread_mutex_unlock(&sp->lock);
	return store_read(sp->lower, key, off, buf, len, nread);
}

static int spy_put(struct store *s, const char *key, store_src_fn src,
		   void *arg, uint64_t size, unsigned flags)
{
	return store_put(((struct spy *)s)->lower, key, src, arg, size, flags);
}

static int spy_remove(struct store *s, const char *key)
{
	return store_remove(((struct spy *)s)->lower, key);
}

static int spy_rename(struct store *s, const char *from, const char *to)
{
	return store_rename(((struct spy *)s)->lower, from, to);
}

static void spy_close(struct store *s)
{
	struct spy *sp = (struct spy *)s;

	store_close(sp->lower);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}

static const struct store_ops spy_ops = {
	.scheme = "spy",
	.close = spy_close,
	.list = spy_list,
	.stat = spy_stat,
	.read = spy_read,
	.put = spy_put,
	.remove = spy_remove,
	.rename = spy_rename,
};

/* ---- fixture ------------------------------------------------------------ */

static struct spy *spy;
static struct store *fault, *st;
static char *ref; /* the bytes of "obj" */

static unsigned spy_count(void)
{
	unsigned n;

	pthread_mutex_lock(&spy->lock);
	n = spy->n;
	pthread_mutex_unlock(&spy->lock);
	return n;
}

static void setup(void)
{
	struct store_readahead_opts o = {
		.min_window = MIN_WIN, .max_window = MAX_WIN, .max_streams = 8};
	struct store *mem = NULL;
	size_t i;

	ref = malloc(OBJ_SIZE);
	ck_assert_ptr_nonnull(ref);
	for (i = 0; i < OBJ_SIZE; i++)
		ref[i] = (char)((i * 2654435761u) >> 13);
	ck_assert_int_eq(store_open("mem://ra", NULL, &mem), 0);
	ck_assert_int_eq(store_put_buf(mem, "obj", ref, OBJ_SIZE, 0), 0);
	ck_assert_int_eq(store_put_buf(mem, "small", "tiny", 4, 0), 0);
	spy = calloc(1, sizeof(*spy));
	ck_assert_ptr_nonnull(spy);
	spy->base.ops = &spy_ops;
	spy->base.url = "mem://ra";
	spy->base.caps = mem->caps;
	spy->lower = mem;
	pthread_mutex_init(&spy->lock, NULL);
	ck_assert_int_eq(store_fault_wrap(&spy->base, "remote", &fault), 0);
	ck_assert_int_eq(store_readahead_wrap(fault, &o, &st), 0);
}

static void teardown(void)
{
	store_close(st);
	st = fault = NULL;
	spy = NULL;
	free(ref);
	store_mem_clear("ra");
}

/* Read [off, off + len) through the layer and compare with ref. */
static void read_check(uint64_t off, size_t len)
{
	char *buf = malloc(len ? len : 1);
	size_t n = 12345, want;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(store_read(st, "obj", off, buf, len, &n), 0);
	want = off >= OBJ_SIZE	      ? 0
	       : OBJ_SIZE - off < len ? (size_t)(OBJ_SIZE - off)
				      : len;
	ck_assert_uint_eq(n, want);
	ck_assert_msg(memcmp(buf, ref + off, n) == 0, "bytes at %llu+%zu",
		      (unsigned long long)off, len);
	free(buf);
}

/* Wait for background fetches to reach the spy (the lower reads are
 * delayed 20 ms at most). */
static void settle(void)
{
	unsigned a, b = spy_count();

	do {
		a = b;
		usleep(150000);
		b = spy_count();
	} while (a != b);
}

START_TEST(test_wrap)
{
	struct store_readahead_opts bad = {.min_window = 2 * MAX_WIN,
					   .max_window = MAX_WIN};
	struct store *w = (struct store *)&w;
	struct store_entry e;

	ck_assert_str_eq(st->url, "mem://ra");
	ck_assert(store_can(st, STORE_CAP_REMOTE | STORE_CAP_WRITE));
	ck_assert_int_eq(store_stat(st, "obj", &e), 0);
	ck_assert_uint_eq(e.size, OBJ_SIZE);
	ck_assert_int_eq(store_readahead_wrap(fault, &bad, &w), -EINVAL);
	ck_assert_ptr_eq(w, (struct store *)&w);
}
END_TEST

START_TEST(test_sequential)
{
	uint64_t off, expect_off = 0;
	size_t chunk = 16 * KiB, expect = MIN_WIN;
	unsigned i, n;

	for (off = 0; off < OBJ_SIZE + chunk; off += chunk)
		read_check(off, chunk);
	settle();
	n = spy_count();
	/* 64K, 128K, ... 512K, 512K ...: few reads, each where the last
	 * ended, none twice. 3 MiB in 16 KiB reads would be 194. */
	ck_assert_uint_eq(n, 10);
	for (i = 0; i < n - 1; i++) {
		ck_assert_uint_eq(spy->log[i].off, expect_off);
		ck_assert_uint_eq(spy->log[i].len, expect);
		expect_off += spy->log[i].len;
		expect = expect * 2 > MAX_WIN ? MAX_WIN : expect * 2;
	}
	ck_assert_uint_ge(expect_off, OBJ_SIZE);
	/* The last window came back short and started no fetch; the read
	 * that asked past the end looked there once, and ... */
	ck_assert_uint_eq(spy->log[n - 1].off, OBJ_SIZE);
	/* ... reading on past the end asks nothing more. */
	read_check(OBJ_SIZE, chunk);
	ck_assert_uint_eq(spy_count(), n);
}
END_TEST

START_TEST(test_background)
{
	unsigned before;

	/* Slow lower reads: the window after the current one is fetched
	 * while the reader works, so the in-order read that needs it
	 * finds it ready (no new lower read in its own thread). */
	ck_assert_int_eq(store_fault_set(fault, "delay=read:20"), 0);
	read_check(0, 16 * KiB);       /* 64K at 0 */
	read_check(MIN_WIN, 16 * KiB); /* 128K at 64K, then 256K after */
	ck_assert_uint_ge(spy_count(), 2);
	settle();
	ck_assert_uint_eq(spy_count(), 3);
	ck_assert_uint_eq(spy->log[2].off, MIN_WIN + 2 * MIN_WIN);
	ck_assert_uint_eq(spy->log[2].len, 4 * MIN_WIN);
	before = spy_count();
	read_check(3 * MIN_WIN, 16 * KiB); /* served by the fetched window */
	settle();
	/* ... and its successor is on its way: 512K at 448K. */
	ck_assert_uint_eq(spy_count(), before + 1);
	ck_assert_uint_eq(spy->log[before].off, 7 * MIN_WIN);
	ck_assert_uint_eq(spy->log[before].len, MAX_WIN);
}
END_TEST

START_TEST(test_jumps)
{
	uint64_t offs[] = {1000000, 5, 3000000, 2999990};
	unsigned i, n0;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		read_check(offs[i], 3000);
	settle();
	/* A jump fetches the small window, nothing in the background. */
	ck_assert_uint_eq(spy_count(), 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(spy->log[i].off, offs[i]);
		ck_assert_uint_eq(spy->log[i].len, MIN_WIN);
	}
	/* Reads inside a window already held ask nothing. */
	read_check(1000000 + 100, 1000);
	read_check(2999990 + 20, 40);
	read_check(5, 3000);
	ck_assert_uint_eq(spy_count(), 4);
	/* A read across a window's end fetches on from there, in order:
	 * a doubled window, and the one after it in the background. */
	n0 = spy_count();
	read_check(1000000 + MIN_WIN - 100, 4000);
	settle();
	ck_assert_uint_eq(spy_count(), n0 + 2);
	ck_assert_uint_eq(spy->log[n0].off, 1000000 + MIN_WIN);
	ck_assert_uint_eq(spy->log[n0].len, 2 * MIN_WIN);
	ck_assert_uint_eq(spy->log[n0 + 1].off, 1000000 + 3 * MIN_WIN);
	/* At and past the end. */
	read_check(OBJ_SIZE - 10, 3000);
	read_check(OBJ_SIZE + 5, 10);
	read_check(OBJ_SIZE, 10);
	/* Pseudo-random offsets and lengths, all compared. */
	srand(42);
	for (i = 0; i < 300; i++)
		read_check((uint64_t)rand() % (OBJ_SIZE + 100),
			   (size_t)rand() % (200 * KiB));
}
END_TEST

START_TEST(test_big_and_zero_reads)
{
	size_t n = 9;
	char c;

	read_check(100, MAX_WIN);
	ck_assert_uint_eq(spy_count(), 1);
	ck_assert_uint_eq(spy->log[0].len, MAX_WIN); /* straight through */
	ck_assert_int_eq(store_read(st, "obj", 5, &c, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* Small objects and missing ones. */
	{
		char buf[64] = "";

		ck_assert_int_eq(store_read(st, "small", 0, buf, 64, &n), 0);
		ck_assert_uint_eq(n, 4);
		ck_assert_str_eq(buf, "tiny");
		ck_assert_int_eq(store_read(st, "small", 2, buf, 64, &n), 0);
		ck_assert_uint_eq(n, 2);
		n = 9;
		ck_assert_int_eq(store_read(st, "nope", 0, buf, 64, &n),
				 -ENOENT);
		ck_assert_int_eq(store_read(st, "../x", 0, buf, 64, &n),
				 -EINVAL);
		ck_assert_uint_eq(n, 9);
	}
}
END_TEST

START_TEST(test_lower_errors)
{
	char buf[16];
	size_t n;
	uint64_t off;

	/* A failing window read is the caller's error, with its message. */
	ck_assert_int_eq(store_fault_set(fault, "fail=read:1:EIO"), 0);
	ck_assert_int_eq(store_read(st, "obj", 0, buf, 16, &n), -EIO);
	ck_assert_str_eq(store_strerror(-EIO),
			 "fault: read obj: injected EIO (call 1)");
	read_check(0, 16); /* and the next read works */

	/* A failing background fetch is read again by the reader. */
	ck_assert_int_eq(store_fault_set(fault, "fail=read:3:ECONNRESET"), 0);
	for (off = 0; off < 2 * MAX_WIN; off += 8 * KiB)
		read_check(off, 8 * KiB);
	ck_assert_uint_ge(store_fault_calls(fault, "read"), 4);

	/* Every read failing: each caller read fails, none hangs. */
	ck_assert_int_eq(store_fault_set(fault, "fail=read:1-:ETIMEDOUT"), 0);
	for (off = 0; off < 4 * MIN_WIN; off += MIN_WIN)
		ck_assert_int_eq(store_read(st, "obj", off, buf, 16, &n),
				 -ETIMEDOUT);
}
END_TEST

START_TEST(test_short_lower_reads)
{
	uint64_t off;

	/* The lower store answers at most 1000 bytes a call: the layer
	 * still returns whole reads. */
	ck_assert_int_eq(store_fault_set(fault, "short=1000"), 0);
	for (off = 0; off < 300 * KiB; off += 20 * KiB)
		read_check(off, 20 * KiB);
	read_check(OBJ_SIZE - 5000, 20 * KiB);
	read_check(OBJ_SIZE, 100);
}
END_TEST

START_TEST(test_write_forgets)
{
	char buf[8] = "";
	size_t n;

	read_check(0, 100);
	ck_assert_int_eq(store_put_buf(st, "obj", "NEWDATA", 7, 0), 0);
	ck_assert_int_eq(store_read(st, "obj", 0, buf, 7, &n), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_str_eq(buf, "NEWDATA");
	ck_assert_int_eq(store_remove(st, "obj"), 0);
	ck_assert_int_eq(store_read(st, "obj", 0, buf, 7, &n), -ENOENT);
}
END_TEST

static int count_cb(const struct store_entry *e, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

START_TEST(test_other_ops_forget)
{
	const char *keys[] = {"c2", "small"};
	char buf[8] = "";
	unsigned n = 0;
	size_t got;

	ck_assert_int_eq(store_list(st, "", NULL, count_cb, &n), 0);
	ck_assert_uint_eq(n, 2);
	/* Windows held for the targets, then each op changes them. */
	ck_assert_int_eq(store_put_buf(st, "c", "COPY", 4, 0), 0);
	ck_assert_int_eq(store_put_buf(st, "c2", "old!", 4, 0), 0);
	ck_assert_int_eq(store_read(st, "c2", 0, buf, 4, &got), 0);
	ck_assert_int_eq(store_copy(st, "c", "c2"), 0);
	ck_assert_int_eq(store_read(st, "c2", 0, buf, 4, &got), 0);
	ck_assert(memcmp(buf, "COPY", 4) == 0);
	ck_assert_int_eq(store_put_buf(st, "r", "RENM", 4, 0), 0);
	ck_assert_int_eq(store_read(st, "small", 0, buf, 4, &got), 0);
	ck_assert_int_eq(store_rename(st, "r", "small"), 0);
	ck_assert_int_eq(store_read(st, "small", 0, buf, 4, &got), 0);
	ck_assert(memcmp(buf, "RENM", 4) == 0);
	ck_assert_int_eq(store_read(st, "r", 0, buf, 4, &got), -ENOENT);
	ck_assert_int_eq(store_remove_many(st, keys, 2), 0);
	ck_assert_int_eq(store_read(st, "small", 0, buf, 4, &got), -ENOENT);
	ck_assert_int_eq(store_read(st, "c2", 0, buf, 4, &got), -ENOENT);
}
END_TEST

/* ---- many readers ------------------------------------------------------- */

struct reader {
	uint64_t start;
	size_t chunk;
	bool ok;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	char *buf = malloc(r->chunk);
	uint64_t off;
	size_t n;

	r->ok = buf != NULL;
	for (off = r->start; r->ok && off < OBJ_SIZE; off += r->chunk) {
		size_t want = OBJ_SIZE - off < r->chunk
				      ? (size_t)(OBJ_SIZE - off)
				      : r->chunk;

		if (store_read(st, "obj", off, buf, r->chunk, &n) != 0 ||
		    n != want || memcmp(buf, ref + off, n) != 0)
			r->ok = false;
	}
	free(buf);
	return NULL;
}

START_TEST(test_concurrent)
{
	struct reader r[12];
	pthread_t th[12];
	unsigned i;

	/* More sequential readers of one object than streams per object and
	 * in the table (8), at different places, with different chunks. */
	for (i = 0; i < 12; i++) {
		r[i] = (struct reader){.start = (uint64_t)i * 200 * KiB,
				       .chunk = (4 + i) * KiB};
		ck_assert_int_eq(
			pthread_create(&th[i], NULL, reader_thread, &r[i]), 0);
	}
	for (i = 0; i < 12; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(r[i].ok, "reader %u", i);
	}
}
END_TEST

static Suite *readahead_suite(void)
{
	Suite *s = suite_create("readahead");
	TCase *tc = tcase_create("readahead");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_sequential);
	tcase_add_test(tc, test_background);
	tcase_add_test(tc, test_jumps);
	tcase_add_test(tc, test_big_and_zero_reads);
	tcase_add_test(tc, test_lower_errors);
	tcase_add_test(tc, test_short_lower_reads);
	tcase_add_test(tc, test_write_forgets);
	tcase_add_test(tc, test_other_ops_forget);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(readahead_suite)
