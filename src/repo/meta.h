/* SPDX-License-Identifier: MIT */
/*
 * meta.h - the __meta.<md5> object: Java DataOutputStream framing.
 *
 * Writers with FeMetaVersion >= 136 (Doris 3.x, newest StarRocks) write one
 * Text string: a 4-byte big-endian signed length and that many bytes of
 * UTF-8 JSON, nothing after. Older writers use Java Writable binary that
 * only the matching Java code can decode; snapfs keeps it as opaque bytes.
 */
#ifndef SNAPFS_META_H
#define SNAPFS_META_H

#include <stddef.h>
#include <stdint.h>

#define META_JSON_MIN_VERSION 136

enum meta_format {
	META_FORMAT_JSON,   /**< [u32be len][JSON] decoded */
	META_FORMAT_LEGACY, /**< binary Writable, kept opaque */
};

/**
 * Describe a __meta object as JSON text for the mount's meta.json.
 *
 * JSON framing is recognised by its shape (the length equals the size
 * minus 4 and the payload parses as a JSON object), whatever
 * @meta_version says; anything else is legacy binary.
 *
 * The output is one pretty-printed JSON object ending in '\n':
 *   {"format": "json", "meta_version": N|null, "length": L, "meta": {...}}
 *   {"format": "legacy-binary", "meta_version": N|null, "size": S,
 *    "decoded": false, "table_count": C (when the first int32 is a
 *    plausible count), "reason": "..."}
 *
 * @param[in] meta_version the job-info meta_version, or -1 if unknown.
 * @param[out] fmt which of the two forms was produced. May be NULL.
 * @param[out] out caller-owned NUL-terminated text; free().
 * @param[out] outlen its length.
 * @return 0; -EINVAL if the framing claims JSON (length field == size-4,
 *         payload starts with '{') but the JSON is malformed, with a
 *         message in @err; -ENOMEM.
 */
int meta_to_json(const void *buf, size_t len, int64_t meta_version, char *err,
		 size_t errlen, enum meta_format *fmt, char **out,
		 size_t *outlen);

/**
 * Frame a JSON document as a __meta object ([u32be len][json]).
 * @param[out] out caller-owned; free(). @param[out] outlen its size.
 * @return 0; -EFBIG if longer than INT32_MAX; -ENOMEM.
 */
int meta_frame(const char *json, size_t jsonlen, char **out, size_t *outlen);

#endif
