/* SPDX-License-Identifier: MIT */
/*
 * test-fault.c - the fault layer over mem:// and file://: each knob does
 * what store.h says (fail the Nth call with an errno, transient or not,
 * by key; delay; corrupt a byte; short reads; ENOSPC after N bytes;
 * remote), the counts, the strict parser with its messages, and
 * SNAPFS_STORE_FAULTS through store_open().
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "unit.h"

#include "base/banned.h"

static struct store *st; /* fault layer over mem://fault */

static void setup(void)
{
	struct store *mem = NULL;

	ck_assert_int_eq(store_open("mem://fault", NULL, &mem), 0);
	ck_assert_int_eq(store_put_buf(mem, "a/obj", "0123456789", 10, 0), 0);
	ck_assert_int_eq(store_put_buf(mem, "b/obj", "abcdefghij", 10, 0), 0);
	ck_assert_int_eq(store_fault_wrap(mem, "", &st), 0);
}

static void teardown(void)
{
	store_close(st);
	st = NULL;
	store_mem_clear("fault");
	unsetenv("SNAPFS_STORE_FAULTS");
}

static int set(const char *spec)
{
	return store_fault_set(st, spec);
}

/* @buf holds 16 bytes. */
static int read_at(const char *key, uint64_t off, char *buf, size_t len,
		   size_t *n)
{
	memset(buf, 0, 16);
	return store_read(st, key, off, buf, len, n);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

START_TEST(test_passthrough_and_counts)
{
	struct store_entry e;
	char buf[16];
	size_t n;

	ck_assert_str_eq(st->url, "mem://fault");
	ck_assert(store_can(st, STORE_CAP_WRITE | STORE_CAP_RENAME));
	ck_assert(!store_can(st, STORE_CAP_REMOTE));
	ck_assert_int_eq(read_at("a/obj", 2, buf, 3, &n), 0);
	ck_assert_str_eq(buf, "234");
	ck_assert_int_eq(store_stat(st, "b/obj", &e), 0);
	ck_assert_uint_eq(e.size, 10);
	ck_assert_int_eq(store_put_buf(st, "c", "x", 1, 0), 0);
	ck_assert_int_eq(store_rename(st, "c", "d"), 0);
	ck_assert_int_eq(store_copy(st, "d", "e"), 0);
	ck_assert_int_eq(store_remove(st, "d"), 0);
	/* The copy (mem:// has none of its own) is a stat, a put and reads
	 * through this layer: the data, then the end. */
	ck_assert_uint_eq(store_fault_calls(st, "read"), 3);
	ck_assert_uint_eq(store_fault_calls(st, "stat"), 2);
	ck_assert_uint_eq(store_fault_calls(st, "put"), 2);
	ck_assert_uint_eq(store_fault_calls(st, "rename"), 1);
	ck_assert_uint_eq(store_fault_calls(st, "copy"), 1);
	ck_assert_uint_eq(store_fault_calls(st, "remove"), 1);
	ck_assert_uint_eq(store_fault_calls(st, "any"), 10);
	ck_assert_uint_eq(store_fault_calls(st, "bogus"), 0);
	ck_assert_int_eq(set(""), 0);
	ck_assert_uint_eq(store_fault_calls(st, "any"), 0);
}
END_TEST

START_TEST(test_fail_nth)
{
	char buf[16];
	size_t n;
	int i;

	ck_assert_int_eq(set("fail=read:3:EIO"), 0);
	for (i = 1; i <= 5; i++) {
		int rc = read_at("a/obj", 0, buf, 4, &n);

		if (i == 3) {
			ck_assert_int_eq(rc, -EIO);
			ck_assert_str_eq(store_strerror(rc),
					 "fault: read a/obj: injected EIO "
					 "(call 3)");
			ck_assert(!store_error_transient(rc));
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(buf, "0123");
		}
	}
	/* A range, other ops untouched. */
	ck_assert_int_eq(set("fail=stat:2-3:ENOENT"), 0);
	ck_assert_int_eq(store_stat(st, "a/obj", &(struct store_entry){0}), 0);
	ck_assert_int_eq(store_stat(st, "a/obj", &(struct store_entry){0}),
			 -ENOENT);
	ck_assert_int_eq(store_stat(st, "a/obj", &(struct store_entry){0}),
			 -ENOENT);
	ck_assert_int_eq(store_stat(st, "a/obj", &(struct store_entry){0}), 0);
	ck_assert_int_eq(read_at("a/obj", 0, buf, 4, &n), 0);
	/* From N on, any op, by number. */
	ck_assert_int_eq(set("fail=any:2-:28"), 0);
	ck_assert_int_eq(read_at("a/obj", 0, buf, 4, &n), 0);
	ck_assert_int_eq(store_put_buf(st, "x", "1", 1, 0), -ENOSPC);
	ck_assert_int_eq(store_remove(st, "a/obj"), -ENOSPC);
	ck_assert_int_eq(store_list(st, "", NULL, NULL, NULL), -ENOSPC);
	ck_assert_uint_eq(store_fault_calls(st, "any"), 4);
	/* The lower store was not touched by the failed calls. */
	ck_assert_int_eq(set(""), 0);
	ck_assert_int_eq(store_stat(st, "x", &(struct store_entry){0}),
			 -ENOENT);
	ck_assert_int_eq(store_stat(st, "a/obj", &(struct store_entry){0}), 0);
}
END_TEST

START_TEST(test_fail_transient_and_key)
{
	char buf[16];
	size_t n;

	ck_assert_int_eq(set("fail=read:1-:EAGAIN:transient:key=b/"), 0);
	ck_assert_int_eq(read_at("a/obj", 0, buf, 4, &n), 0);
	ck_assert_int_eq(read_at("b/obj", 0, buf, 4, &n), -EAGAIN);
	ck_assert(store_error_transient(-EAGAIN));
	ck_assert(!store_error_transient(-EIO));
	ck_assert(strstr(store_strerror(-EAGAIN), "b/obj") != NULL);
	ck_assert_int_eq(read_at("b/obj", 0, buf, 4, &n), -EAGAIN);
	/* Calls are counted per item among the calls it matches. */
	ck_assert_int_eq(set("fail=read:2:EIO:key=b/,fail=read:1:EPERM:"
			     "key=a/"),
			 0);
	ck_assert_int_eq(read_at("b/obj", 0, buf, 4, &n), 0);
	ck_assert_int_eq(read_at("a/obj", 0, buf, 4, &n), -EPERM);
	ck_assert_int_eq(read_at("a/obj", 0, buf, 4, &n), 0);
	ck_assert_int_eq(read_at("b/obj", 0, buf, 4, &n), -EIO);
	ck_assert_int_eq(read_at("b/obj", 0, buf, 4, &n), 0);
}
END_TEST

START_TEST(test_delay)
{
	struct store_entry e;
	double t0;
	char buf[16];
	size_t n;

	ck_assert_int_eq(set("delay=read:60"), 0);
	t0 = now_ms();
	ck_assert_int_eq(store_stat(st, "a/obj", &e), 0);
	ck_assert_double_lt(now_ms() - t0, 50);
	t0 = now_ms();
	ck_assert_int_eq(read_at("a/obj", 0, buf, 4, &n), 0);
	ck_assert_double_ge(now_ms() - t0, 59);
	ck_assert_int_eq(set("delay=30"), 0);
	t0 = now_ms();
	ck_assert_int_eq(store_stat(st, "a/obj", &e), 0);
	ck_assert_double_ge(now_ms() - t0, 29);
}
END_TEST

START_TEST(test_corrupt)
{
	char buf[16], *all;
	size_t n;

	ck_assert_int_eq(set("corrupt=a/obj@4"), 0);
	ck_assert_int_eq(read_at("a/obj", 0, buf, 10, &n), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(buf[4], (char)('4' ^ 0xff));
	ck_assert(memcmp(buf, "0123", 4) == 0);
	ck_assert(memcmp(buf + 5, "56789", 5) == 0);
	/* Only in reads that return the byte, at its place. */
	ck_assert_int_eq(read_at("a/obj", 3, buf, 3, &n), 0);
	ck_assert_int_eq(buf[0], '3');
	ck_assert_int_eq(buf[1], (char)('4' ^ 0xff));
	ck_assert_int_eq(read_at("a/obj", 5, buf, 5, &n), 0);
	ck_assert(memcmp(buf, "56789", 5) == 0);
	ck_assert_int_eq(read_at("b/obj", 0, buf, 10, &n), 0);
	ck_assert(memcmp(buf, "abcdefghij", 10) == 0);
	ck_assert_int_eq(store_read_all(st, "a/obj", 100, &all, &n), 0);
	ck_assert(memcmp(all, "0123", 4) == 0 && all[4] != '4');
	free(all);
}
END_TEST

START_TEST(test_short)
{
	char buf[16], *all;
	size_t n;

	ck_assert_int_eq(set("short=3"), 0);
	ck_assert_int_eq(read_at("a/obj", 0, buf, 10, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(buf, "012");
	ck_assert_int_eq(read_at("a/obj", 8, buf, 10, &n), 0);
	ck_assert_uint_eq(n, 2);
	/* store_read_all() reads on until the size it stat'ed. */
	ck_assert_int_eq(store_read_all(st, "a/obj", 100, &all, &n), 0);
	ck_assert_uint_eq(n, 10);
	ck_assert_str_eq(all, "0123456789");
	free(all);
}
END_TEST

START_TEST(test_enospc)
{
	struct store_entry e;

	ck_assert_int_eq(set("enospc=10"), 0);
	ck_assert_int_eq(store_put_buf(st, "p1", "123456", 6, 0), 0);
	ck_assert_int_eq(store_put_buf(st, "p2", "12345", 5, 0), -ENOSPC);
	ck_assert(strstr(store_strerror(-ENOSPC), "enospc=10") != NULL);
	ck_assert_int_eq(store_stat(st, "p2", &e), -ENOENT);
	ck_assert_int_eq(store_put_buf(st, "p3", "1234", 4, 0), 0);
	ck_assert_int_eq(store_put_buf(st, "p4", "", 0, 0), 0);
	ck_assert_int_eq(store_put_buf(st, "p5", "1", 1, 0), -ENOSPC);
	/* A failed put gives its bytes back. */
	ck_assert_int_eq(set("enospc=4,fail=put:1:EIO"), 0);
	ck_assert_int_eq(store_put_buf(st, "q1", "1234", 4, 0), -EIO);
	ck_assert_int_eq(store_put_buf(st, "q1", "1234", 4, 0), 0);
	ck_assert_int_eq(store_put_buf(st, "q2", "1", 1, 0), -ENOSPC);
}
END_TEST

START_TEST(test_remote_and_file)
{
	char dir[PATH_MAX], url[PATH_MAX + 16], buf[8];
	struct store *f = NULL, *w = NULL;
	size_t n;

	ck_assert_int_eq(store_fault_set(st, "remote"), 0);
	ck_assert(!store_can(st, STORE_CAP_REMOTE)); /* only at wrap */
	snprintf(dir, sizeof(dir), "/tmp/snapfs-test-fault.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(url, sizeof(url), "file://%s", dir);
	ck_assert_int_eq(store_open(url, NULL, &f), 0);
	ck_assert_int_eq(store_fault_wrap(f, "remote,fail=read:1:EIO", &w), 0);
	ck_assert(store_can(w, STORE_CAP_REMOTE | STORE_CAP_RENAME));
	ck_assert_int_eq(store_put_buf(w, "k", "vv", 2, 0), 0);
	ck_assert_int_eq(store_read(w, "k", 0, buf, 2, &n), -EIO);
	ck_assert_int_eq(store_read(w, "k", 0, buf, 2, &n), 0);
	ck_assert_int_eq(store_remove(w, "k"), 0);
	store_close(w);
	snprintf(url, sizeof(url), "%s/.snapfs-tmp-staging", dir);
	rmdir(url);
	ck_assert_int_eq(rmdir(dir), 0);
	/* Not a fault layer. */
	ck_assert_int_eq(store_open("mem://fault", NULL, &f), 0);
	ck_assert_int_eq(store_fault_set(f, ""), -EINVAL);
	ck_assert_uint_eq(store_fault_calls(f, "any"), 0);
	store_close(f);
}
END_TEST

static const struct {
	const char *spec, *says;
} bad_specs[] = {
	{"bogus", "expected fail=, delay="},
	{"fail=read", "expected fail=OP:CALLS:ERR"},
	{"fail=read:1", "expected fail=OP:CALLS:ERR"},
	{"fail=reed:1:EIO", "expected an op"},
	{"fail=read:0:EIO", "expected calls"},
	{"fail=read:3-2:EIO", "expected calls"},
	{"fail=read:x:EIO", "expected calls"},
	{"fail=read:1:EWHAT", "expected an errno"},
	{"fail=read:1:EIO:sometimes", "\"transient\" or \"key=TEXT\""},
	{"fail=read:1:EIO:", "\"transient\" or \"key=TEXT\""},
	{"fail=read:1:EIO:transient:transient", "\"transient\" or"},
	{"delay=", "expected delay="},
	{"delay=read:", "expected delay="},
	{"delay=x:5", "expected an op"},
	{"delay=-5", "expected delay="},
	{"corrupt=key", "expected corrupt=KEY@OFFSET"},
	{"corrupt=@3", "expected corrupt=KEY@OFFSET"},
	{"corrupt=k@x", "expected corrupt=KEY@OFFSET"},
	{"short=0", "expected short=N"},
	{"short=", "expected short=N"},
	{"enospc=1k", "expected enospc=BYTES"},
	{"remote,", "empty item"},
	{",remote", "empty item"},
	{"remote,,short=1", "empty item"},
	{"Remote", "expected fail=, delay="},
};

START_TEST(test_bad_specs)
{
	struct store *w = (struct store *)&w, *mem = NULL;
	const char *msg;

	ck_assert_int_eq(set("short=5"), 0);
	ck_assert_int_eq(set(bad_specs[_i].spec), -EINVAL);
	msg = store_strerror(-EINVAL);
	ck_assert_msg(strstr(msg, bad_specs[_i].says) != NULL, "%s: %s",
		      bad_specs[_i].spec, msg);
	ck_assert_msg(strstr(msg, "fault spec") != NULL, "%s", msg);
	/* The old knobs stay. */
	{
		char buf[16];
		size_t n;

		ck_assert_int_eq(read_at("a/obj", 0, buf, 10, &n), 0);
		ck_assert_uint_eq(n, 5);
	}
	ck_assert_int_eq(store_open("mem://fault", NULL, &mem), 0);
	ck_assert_int_eq(store_fault_wrap(mem, bad_specs[_i].spec, &w),
			 -EINVAL);
	ck_assert_ptr_eq(w, (struct store *)&w);
	store_close(mem);
}
END_TEST

START_TEST(test_env)
{
	struct store *s2 = NULL;
	char buf[16];
	size_t n;

	setenv("SNAPFS_STORE_FAULTS", "fail=read:1:EIO,short=4", 1);
	ck_assert_int_eq(store_open("mem://fault", NULL, &s2), 0);
	ck_assert_int_eq(store_read(s2, "a/obj", 0, buf, 10, &n), -EIO);
	ck_assert_int_eq(store_read(s2, "a/obj", 0, buf, 10, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(store_fault_calls(s2, "read"), 2);
	store_close(s2);

	setenv("SNAPFS_STORE_FAULTS", "fail=read:1:EIO,shrt=4", 1);
	s2 = NULL;
	ck_assert_int_eq(store_open("mem://fault", NULL, &s2), -EINVAL);
	ck_assert_ptr_null(s2);
	ck_assert(strstr(store_strerror(-EINVAL),
			 "SNAPFS_STORE_FAULTS: fault spec") != NULL);
	ck_assert(strstr(store_strerror(-EINVAL), "\"shrt=4\"") != NULL);

	/* "remote" makes the store look remote, so store_open() stacks the
	 * retry layer above the faults: a transient injected failure is
	 * retried, a plain one is not. */
	setenv("SNAPFS_STORE_FAULTS", "remote,fail=read:1:EIO:transient", 1);
	s2 = NULL;
	ck_assert_int_eq(store_open("mem://fault", NULL, &s2), 0);
	ck_assert(store_can(s2, STORE_CAP_REMOTE));
	ck_assert_ptr_ne(s2->ops, &store_mem_ops);
	ck_assert_int_eq(store_read(s2, "a/obj", 0, buf, 10, &n), 0);
	ck_assert_uint_eq(n, 10);
	store_close(s2);
	setenv("SNAPFS_STORE_FAULTS", "remote,fail=read:1:EIO", 1);
	s2 = NULL;
	ck_assert_int_eq(store_open("mem://fault", NULL, &s2), 0);
	ck_assert_int_eq(store_read(s2, "a/obj", 0, buf, 10, &n), -EIO);
	store_close(s2);

	/* Empty: no layer. */
	setenv("SNAPFS_STORE_FAULTS", "", 1);
	ck_assert_int_eq(store_open("mem://fault", NULL, &s2), 0);
	ck_assert_ptr_eq(s2->ops, &store_mem_ops);
	store_close(s2);
}
END_TEST

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("knobs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_passthrough_and_counts);
	tcase_add_test(tc, test_fail_nth);
	tcase_add_test(tc, test_fail_transient_and_key);
	tcase_add_test(tc, test_delay);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_short);
	tcase_add_test(tc, test_enospc);
	tcase_add_test(tc, test_remote_and_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad_specs, 0,
			    (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
	tcase_add_test(tc, test_env);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(fault_suite)
