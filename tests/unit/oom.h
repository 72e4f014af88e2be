/* SPDX-License-Identifier: MIT */
/*
 * oom.h - make the Nth allocation fail, for unit tests of error paths.
 *
 * A test program linked with OOM_LDFLAGS (src/repo/local.mk:
 * -Wl,--wrap=malloc,...) has every call to the functions below, from its
 * own objects and from libsnapfs.a, go through the __wrap_ versions here.
 * Calls made inside shared libraries (libc's opendir, jansson) are not
 * wrapped. jansson could be, with json_set_alloc_funcs(), but its lexer
 * ignores a failure to grow its string buffer (lex_save() drops the
 * result of strbuffer_append_byte()), so json_loadb() can succeed with a
 * character missing from a string: no caller could notice that, and a
 * test would only see jansson's defect.
 *
 * Check itself allocates in ck_assert_*() (to report the mark point to
 * the parent), and its static library is wrapped too: assert nothing
 * between oom_arm() and oom_disarm(), in callbacks included.
 *
 * Disarmed (the default) the wrappers only pass the call on. oom_arm(n)
 * lets n allocations through and fails the next one, once, with ENOMEM;
 * oom_fired() then says whether the code under test got that far. So a
 * loop n = 0, 1, ... that stops at the first run where nothing fired has
 * failed every allocation of the call in turn.
 *
 * Include in exactly one .c file of a test program: it defines functions.
 * Not thread-safe: arm, call, disarm in one thread. Check runs each test
 * in its own process, so the state never leaks into another test.
 */
#ifndef SNAPFS_UNIT_OOM_H
#define SNAPFS_UNIT_OOM_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **out, const char *fmt, va_list ap);
FILE *__real_open_memstream(char **buf, size_t *len);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap);
int __wrap_asprintf(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
FILE *__wrap_open_memstream(char **buf, size_t *len);

static long oom_left = -1; /* allocations to let through; -1: disarmed */
static bool oom_hit;

/* Should this allocation fail? Counts it when armed. */
static bool oom_now(void)
{
	if (oom_left < 0)
		return false;
	if (oom_left-- > 0)
		return false;
	oom_left = -1;
	oom_hit = true;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return oom_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return oom_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return oom_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return oom_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return oom_now() ? NULL : __real_strndup(s, n);
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	return oom_now() ? -1 : __real_vasprintf(out, fmt, ap);
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (oom_now())
		return -1;
	va_start(ap, fmt);
	rc = __real_vasprintf(out, fmt, ap);
	va_end(ap);
	return rc;
}

FILE *__wrap_open_memstream(char **buf, size_t *len)
{
	return oom_now() ? NULL : __real_open_memstream(buf, len);
}

/* Let @n allocations through, then fail one. */
static inline void oom_arm(long n)
{
	oom_hit = false;
	oom_left = n;
}

/* Stop failing; call right after the call under test. */
static inline void oom_disarm(void)
{
	oom_left = -1;
}

/* Did the armed allocation fail since oom_arm()? */
static inline bool oom_fired(void)
{
	return oom_hit;
}

#endif
