/* SPDX-License-Identifier: MIT */
/*
 * jpath.c - checked reads of JSON values for the job-info parser: each
 * value is type- and range-checked, and each error names its key path
 * ("backup_objects.t1.partitions.p1.id: expected an integer").
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base.h"
#include "jpath_int.h"

#include "base/banned.h"

/* Ids go through json_integer_value(), which must not narrow them. */
_Static_assert(sizeof(json_int_t) == sizeof(int64_t),
	       "json_int_t must be 64 bits");

int jpath_err(struct jpath *pc, int rc, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!pc->err || pc->errlen == 0)
		return rc;
	n = snprintf(pc->err, pc->errlen, "%s: ", path);
	if (n >= 0 && (size_t)n < pc->errlen) {
		va_start(ap, fmt);
		vsnprintf(pc->err + n, pc->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int jpath_oom(struct jpath *pc, const char *path)
{
	return jpath_err(pc, -ENOMEM, path, "out of memory");
}

void jpath_key(char *dst, const char *parent, const char *key)
{
	if (parent[0])
		snprintf(dst, JPATH_LEN, "%s.%s", parent, key);
	else
		snprintf(dst, JPATH_LEN, "%s", key);
}

void jpath_elem(char *dst, const char *parent, size_t i)
{
	snprintf(dst, JPATH_LEN, "%s[%zu]", parent, i);
}

/*
 * Ids used as map keys are written by Java's Long.toString, so only the
 * canonical decimal form of a non-negative int64 is accepted: no sign, no
 * blanks, no leading zeros. Anything else could alias another key.
 */
int jpath_id_str(const char *s, int64_t *out)
{
	char canon[32];
	long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	snprintf(canon, sizeof(canon), "%lld", v);
	if (strcmp(canon, s) != 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * Read integer @key of @obj into *out, checking [min, max]. An absent
 * optional key leaves *out alone so the caller's default stands.
 */
int jpath_int(struct jpath *pc, const json_t *obj, const char *path,
	      const char *key, bool required, int64_t min, int64_t max,
	      int64_t *out)
{
	char kp[JPATH_LEN];
	json_t *v;
	int64_t n;

	jpath_key(kp, path, key);
	v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return jpath_err(pc, -EINVAL, kp, "missing");
		return 0;
	}
	if (!json_is_integer(v))
		return jpath_err(pc, -EINVAL, kp, "expected an integer");
	n = json_integer_value(v);
	if (n < min || n > max)
		return jpath_err(pc, -EINVAL, kp, "%" PRId64 " is out of range",
				 n);
	*out = n;
	return 0;
}

int jpath_id(struct jpath *pc, const json_t *obj, const char *path,
	     int64_t *out)
{
	return jpath_int(pc, obj, path, "id", true, 0, INT64_MAX, out);
}

/*
 * Copy string @key of @obj into *out (malloc'd). Strings with a NUL byte
 * are refused: C code downstream would silently cut them. With @is_name
 * the value must also pass the path-component check. An absent optional
 * key leaves *out alone.
 */
int jpath_str(struct jpath *pc, const json_t *obj, const char *path,
	      const char *key, bool required, bool is_name, char **out)
{
	char kp[JPATH_LEN];
	const char *s;
	json_t *v;
	size_t len;
	char *copy;

	jpath_key(kp, path, key);
	v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return jpath_err(pc, -EINVAL, kp, "missing");
		return 0;
	}
	if (!json_is_string(v))
		return jpath_err(pc, -EINVAL, kp, "expected a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (memchr(s, '\0', len))
		return jpath_err(pc, -EINVAL, kp, "contains a NUL byte");
	if (is_name && !name_ok_n(s, len))
		return jpath_err(pc, -EINVAL, kp, "\"%s\" is not a safe name",
				 s);
	copy = strndup(s, len);
	if (!copy)
		return jpath_oom(pc, kp);
	*out = copy;
	return 0;
}

/* Like jpath_str() with a default when the key is absent. */
int jpath_str_default(struct jpath *pc, const json_t *obj, const char *path,
		      const char *key, const char *def, char **out)
{
	char *s = NULL;
	int rc;

	rc = jpath_str(pc, obj, path, key, false, false, &s);
	if (rc < 0)
		return rc;
	if (!s) {
		s = strdup(def);
		if (!s)
			return jpath_oom(pc, key);
	}
	*out = s;
	return 0;
}

/* An object-valued key; NULL in *out (and 0) if optional and absent. */
int jpath_obj(struct jpath *pc, const json_t *obj, const char *path,
	      const char *key, bool required, json_t **out)
{
	char kp[JPATH_LEN];
	json_t *v;

	jpath_key(kp, path, key);
	v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return jpath_err(pc, -EINVAL, kp, "missing");
		*out = NULL;
		return 0;
	}
	if (!json_is_object(v))
		return jpath_err(pc, -EINVAL, kp, "expected an object");
	*out = v;
	return 0;
}
