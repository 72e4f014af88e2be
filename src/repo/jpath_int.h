/* SPDX-License-Identifier: MIT */
/*
 * jpath_int.h - checked reads of JSON values, for jobinfo.c.
 *
 * The job-info document is hostile input. Each reader here checks the
 * type (and range, for integers) of one value and, on failure, writes a
 * message naming the value's key path into the struct jpath and returns
 * -EINVAL; an allocation failure is -ENOMEM with "out of memory". The
 * readers are pure (no I/O, no globals) and may run in any thread on
 * distinct struct jpath.
 */
#ifndef SNAPFS_REPO_JPATH_INT_H
#define SNAPFS_REPO_JPATH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Enough for any sane key path; longer ones are truncated in messages. */
#define JPATH_LEN 512

/* Where a failed read leaves its message. */
struct jpath {
	char *err;     /* may be NULL: then messages are dropped */
	size_t errlen; /* bytes at err */
};

/*
 * Write "<path>: <fmt ...>" into pc->err (when there is one).
 * @return @rc, so that a caller can `return jpath_err(pc, -EINVAL, ...)`.
 */
int jpath_err(struct jpath *pc, int rc, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* jpath_err(pc, -ENOMEM, path, "out of memory"). @return -ENOMEM. */
int jpath_oom(struct jpath *pc, const char *path);

/*
 * @dst (JPATH_LEN bytes) = "<parent>.<key>", or "<key>" when @parent is
 * empty; truncated to fit.
 */
void jpath_key(char *dst, const char *parent, const char *key);

/* @dst (JPATH_LEN bytes) = "<parent>[<i>]"; truncated to fit. */
void jpath_elem(char *dst, const char *parent, size_t i);

/*
 * An id used as a map key, in the canonical decimal form of a non-negative
 * int64 (no sign, blanks or leading zeros). Writes no message.
 * @return 0 with *out set; -EINVAL (*out untouched).
 */
int jpath_id_str(const char *s, int64_t *out);

/*
 * Integer @key of @obj (whose path is @path) into *out, within [min, max].
 * @return 0; -EINVAL if missing and @required, not an integer or out of
 *         range. An absent optional key leaves *out alone (the caller's
 *         default stands).
 */
int jpath_int(struct jpath *pc, const json_t *obj, const char *path,
	      const char *key, bool required, int64_t min, int64_t max,
	      int64_t *out);

/* Required "id" of @obj, 0..INT64_MAX. @return as jpath_int(). */
int jpath_id(struct jpath *pc, const json_t *obj, const char *path,
	     int64_t *out);

/*
 * String @key of @obj into *out, caller-owned (free()). Strings holding a
 * NUL byte are refused (C code downstream would cut them); with @is_name
 * the value must be a safe path component (name_ok_n()).
 * @return 0; -EINVAL if missing and @required, not a string, with a NUL,
 *         or not a safe name; -ENOMEM. An absent optional key leaves *out
 *         alone.
 */
int jpath_str(struct jpath *pc, const json_t *obj, const char *path,
	      const char *key, bool required, bool is_name, char **out);

/*
 * jpath_str() of an optional key, with a copy of @def when it is absent.
 * @return 0 with *out caller-owned; -EINVAL; -ENOMEM.
 */
int jpath_str_default(struct jpath *pc, const json_t *obj, const char *path,
		      const char *key, const char *def, char **out);

/*
 * Object-valued @key of @obj. *out borrows from @obj.
 * @return 0 (*out NULL if optional and absent); -EINVAL if missing and
 *         @required, or not an object.
 */
int jpath_obj(struct jpath *pc, const json_t *obj, const char *path,
	      const char *key, bool required, json_t **out);

#endif
