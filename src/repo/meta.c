/* SPDX-License-Identifier: MIT */
/*
 * meta.c - recognise the framing of a __meta object and describe it as
 * JSON for the mount's meta.json; frame JSON as a __meta object.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meta.h"

#include "base/banned.h"

/* A first int32 above this is not taken for a legacy table count. */
#define META_MAX_TABLE_COUNT 1000000

#define META_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER)

__attribute__((format(printf, 3, 4))) static void
meta_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Java's DataOutputStream.writeInt: big-endian, two's complement. */
static int32_t be32_get(const unsigned char *p)
{
	uint32_t u = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		     ((uint32_t)p[2] << 8) | (uint32_t)p[3];

	return (int32_t)u;
}

static void be32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Set @key to a new value; a NULL @v means jansson ran out of memory. */
static int set_new(json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v) < 0)
		return -ENOMEM;
	return 0;
}

static json_t *version_value(int64_t meta_version)
{
	return meta_version < 0 ? json_null() : json_integer(meta_version);
}

/* Serialise @root, plus a final newline, into a malloc'd buffer. */
static int dump(const json_t *root, char **out, size_t *outlen)
{
	size_t need, got;
	char *text;

	/* A sizing pass first, so the result is ours to free() whatever
	 * allocator jansson was configured with. */
	need = json_dumpb(root, NULL, 0, META_DUMP_FLAGS);
	if (need == 0)
		return -ENOMEM;
	text = malloc(need + 2);
	if (!text)
		return -ENOMEM;
	got = json_dumpb(root, text, need, META_DUMP_FLAGS);
	if (got != need) {
		free(text);
		return -ENOMEM;
	}
	text[need] = '\n';
	text[need + 1] = '\0';
	*out = text;
	*outlen = need + 1;
	return 0;
}

static int describe_json(json_t *meta, size_t payload_len, int64_t meta_version,
			 json_t **out)
{
	json_t *root;
	int rc = -ENOMEM;

	root = json_object();
	if (!root)
		goto out;
	if (set_new(root, "format", json_string("json")) < 0 ||
	    set_new(root, "meta_version", version_value(meta_version)) < 0 ||
	    set_new(root, "length", json_integer((json_int_t)payload_len)) <
		    0 ||
	    json_object_set(root, "meta", meta) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		json_decref(root);
		return rc;
	}
	*out = root;
	return 0;
}

static int describe_legacy(const unsigned char *p, size_t len,
			   int64_t meta_version, const char *reason,
			   json_t **out)
{
	json_t *root;
	int32_t count;
	int rc = -ENOMEM;

	root = json_object();
	if (!root)
		goto out;
	if (set_new(root, "format", json_string("legacy-binary")) < 0 ||
	    set_new(root, "meta_version", version_value(meta_version)) < 0 ||
	    set_new(root, "size", json_integer((json_int_t)len)) < 0 ||
	    set_new(root, "decoded", json_false()) < 0)
		goto out;
	/* Legacy metas start with int32be table_count. */
	if (len >= 4) {
		count = be32_get(p);
		if (count >= 0 && count <= META_MAX_TABLE_COUNT &&
		    set_new(root, "table_count", json_integer(count)) < 0)
			goto out;
	}
	if (set_new(root, "reason", json_string(reason)) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		json_decref(root);
		return rc;
	}
	*out = root;
	return 0;
}

int meta_to_json(const void *buf, size_t len, int64_t meta_version, char *err,
		 size_t errlen, enum meta_format *fmt, char **out,
		 size_t *outlen)
{
	const unsigned char *p = buf;
	enum meta_format f = META_FORMAT_LEGACY;
	json_t *meta = NULL, *root = NULL;
	char reason[160];
	json_error_t jerr;
	int32_t flen = -1;
	int rc;

	if (len >= 4)
		flen = be32_get(p);

	if (len < 4) {
		snprintf(reason, sizeof(reason),
			 "%zu bytes is too short for any framing", len);
	} else if (flen >= 0 && (uint64_t)flen == len - 4 && len > 4 &&
		   p[4] == '{') {
		/*
		 * JSON_ALLOW_NUL: \u0000 is valid JSON and survives dumping.
		 * jansson fails its lexer set-up on ENOMEM without filling in
		 * the error, hence the zeroed one and the empty-text check.
		 */
		memset(&jerr, 0, sizeof(jerr));
		meta = json_loadb((const char *)p + 4, (size_t)flen,
				  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
				  &jerr);
		if (!meta) {
			if (json_error_code(&jerr) ==
				    json_error_out_of_memory ||
			    jerr.text[0] == '\0') {
				rc = -ENOMEM;
				goto out;
			}
			meta_err(err, errlen,
				 "meta: JSON payload of %" PRId32
				 " bytes is malformed at line %d, column %d: "
				 "%s",
				 flen, jerr.line, jerr.column, jerr.text);
			rc = -EINVAL;
			goto out;
		}
		f = META_FORMAT_JSON;
	} else if (meta_version >= 0 && meta_version < META_JSON_MIN_VERSION) {
		snprintf(reason, sizeof(reason),
			 "meta_version %" PRId64 " < %d: Java Writable binary, "
			 "decodable only by Java",
			 meta_version, META_JSON_MIN_VERSION);
	} else if (flen >= 0 && (uint64_t)flen == len - 4) {
		snprintf(reason, sizeof(reason),
			 "length field matches but the payload is not a JSON "
			 "object");
	} else {
		snprintf(reason, sizeof(reason),
			 "length field %" PRId32
			 " does not match the size less 4 (%zu): not JSON "
			 "framing",
			 flen, len - 4);
	}

	if (f == META_FORMAT_JSON)
		rc = describe_json(meta, (size_t)flen, meta_version, &root);
	else
		rc = describe_legacy(p, len, meta_version, reason, &root);
	if (rc < 0)
		goto out;
	rc = dump(root, out, outlen);
	if (rc < 0)
		goto out;
	if (fmt)
		*fmt = f;
out:
	json_decref(root);
	json_decref(meta);
	return rc;
}

int meta_frame(const char *json, size_t jsonlen, char **out, size_t *outlen)
{
	unsigned char *buf;

	if (jsonlen > INT32_MAX)
		return -EFBIG;
	buf = malloc(jsonlen + 4);
	if (!buf)
		return -ENOMEM;
	be32_put(buf, (uint32_t)jsonlen);
	if (jsonlen > 0)
		memcpy(buf + 4, json, jsonlen);
	*out = (char *)buf;
	*outlen = jsonlen + 4;
	return 0;
}
