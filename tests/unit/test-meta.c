/* SPDX-License-Identifier: MIT */
/*
 * test-meta.c - __meta framing: JSON metas are decoded and re-emitted in
 * their own key order, anything else is described as legacy binary, and
 * hostile lengths never lead outside the buffer.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "repo/meta.h"
#include "unit.h"

#include "base/banned.h"

#define ERRLEN 256

/* Key order deliberately not alphabetical: it must survive. */
static const char meta_json[] =
	"{\"tblNameMap\":{\"t1\":{\"clazz\":\"OlapTable\",\"id\":10013,"
	"\"zeta\":1,\"alpha\":[1,2.5,\"x\"],\"bfFpp\":0.05}},"
	"\"resourceNameMap\":{},\"db\":\"db1\"}";

/* Run meta_to_json on a heap copy of exactly @len bytes. */
static int to_json(const void *buf, size_t len, int64_t ver, char *err,
		   enum meta_format *fmt, char **out, size_t *outlen)
{
	void *copy = malloc(len ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	if (len)
		memcpy(copy, buf, len);
	rc = meta_to_json(copy, len, ver, err, err ? ERRLEN : 0, fmt, out,
			  outlen);
	free(copy);
	return rc;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* [u32be @field][@payload] in a new buffer of 4 + @plen bytes. */
static unsigned char *frame_raw(uint32_t field, const void *payload,
				size_t plen)
{
	unsigned char *b = malloc(plen + 4);

	ck_assert_ptr_nonnull(b);
	put_be32(b, field);
	if (plen)
		memcpy(b + 4, payload, plen);
	return b;
}

/* Check the text is one JSON object plus '\n', and return it decoded. */
static json_t *check_output(const char *out, size_t outlen)
{
	json_error_t jerr;
	json_t *j;

	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), outlen);
	ck_assert_uint_gt(outlen, 2);
	ck_assert_int_eq(out[outlen - 1], '\n');
	ck_assert_int_ne(out[outlen - 2], '\n');
	j = json_loads(out, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	ck_assert_msg(j != NULL, "output is not JSON: %s", jerr.text);
	ck_assert(json_is_object(j));
	return j;
}

/* The keys of @obj must be exactly @keys, in that order. */
static void check_key_order(json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	json_object_foreach (obj, k, v) {
		ck_assert_ptr_nonnull(keys[i]);
		ck_assert_str_eq(k, keys[i]);
		i++;
	}
	ck_assert_ptr_null(keys[i]);
}

static void check_legacy(const void *buf, size_t len, int64_t ver,
			 long long count)
{
	static const char *const with_count[] = {
		"format",      "meta_version", "size", "decoded",
		"table_count", "reason",       NULL};
	static const char *const no_count[] = {
		"format", "meta_version", "size", "decoded", "reason", NULL};
	enum meta_format fmt = META_FORMAT_JSON;
	size_t outlen = 0;
	char *out = NULL;
	json_t *j;

	ck_assert_int_eq(to_json(buf, len, ver, NULL, &fmt, &out, &outlen), 0);
	ck_assert_int_eq(fmt, META_FORMAT_LEGACY);
	j = check_output(out, outlen);
	check_key_order(j, count >= 0 ? with_count : no_count);
	ck_assert_str_eq(json_string_value(json_object_get(j, "format")),
			 "legacy-binary");
	if (ver < 0)
		ck_assert(json_is_null(json_object_get(j, "meta_version")));
	else
		ck_assert_int_eq(
			json_integer_value(json_object_get(j, "meta_version")),
			ver);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "size")),
			 (long long)len);
	ck_assert(json_is_false(json_object_get(j, "decoded")));
	if (count >= 0)
		ck_assert_int_eq(
			json_integer_value(json_object_get(j, "table_count")),
			count);
	ck_assert_uint_gt(json_string_length(json_object_get(j, "reason")), 0);
	json_decref(j);
	free(out);
}

START_TEST(test_json_meta)
{
	static const char *const top[] = {"format", "meta_version", "length",
					  "meta", NULL};
	static const char *const meta_keys[] = {"tblNameMap", "resourceNameMap",
						"db", NULL};
	static const char *const tbl_keys[] = {"clazz", "id",	 "zeta",
					       "alpha", "bfFpp", NULL};
	enum meta_format fmt = META_FORMAT_LEGACY;
	char *framed = NULL, *out = NULL;
	size_t flen = 0, outlen = 0;
	json_t *j, *orig;
	char err[ERRLEN];

	ck_assert_int_eq(
		meta_frame(meta_json, strlen(meta_json), &framed, &flen), 0);
	ck_assert_uint_eq(flen, strlen(meta_json) + 4);
	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(to_json(framed, flen, 140, err, &fmt, &out, &outlen),
			 0);
	ck_assert_int_eq(err[0], 'Z'); /* untouched on success */
	ck_assert_int_eq(fmt, META_FORMAT_JSON);

	/* Pretty printed with a two-space indent. */
	ck_assert_int_eq(strncmp(out, "{\n  \"format\": \"json\",\n", 22), 0);
	ck_assert_ptr_nonnull(strstr(out, "\n    \"tblNameMap\": {\n"));

	j = check_output(out, outlen);
	check_key_order(j, top);
	check_key_order(json_object_get(j, "meta"), meta_keys);
	check_key_order(
		json_object_get(json_object_get(json_object_get(j, "meta"),
						"tblNameMap"),
				"t1"),
		tbl_keys);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "meta_version")),
			 140);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "length")),
			 (long long)strlen(meta_json));
	orig = json_loads(meta_json, 0, NULL);
	ck_assert(json_equal(orig, json_object_get(j, "meta")));
	json_decref(orig);
	json_decref(j);
	free(out);
	free(framed);
}
END_TEST

/* The shape decides, not meta_version; an unknown version is null. */
START_TEST(test_json_meta_any_version)
{
	static const int64_t versions[] = {-1, 0, 100, 135, 136, 141};
	char *framed = NULL, *out = NULL;
	size_t flen = 0, outlen = 0, i;
	enum meta_format fmt;
	json_t *j;

	ck_assert_int_eq(meta_frame("{}", 2, &framed, &flen), 0);
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		fmt = META_FORMAT_LEGACY;
		ck_assert_int_eq(to_json(framed, flen, versions[i], NULL, &fmt,
					 &out, &outlen),
				 0);
		ck_assert_int_eq(fmt, META_FORMAT_JSON);
		j = check_output(out, outlen);
		if (versions[i] < 0)
			ck_assert(json_is_null(
				json_object_get(j, "meta_version")));
		else
			ck_assert_int_eq(json_integer_value(json_object_get(
						 j, "meta_version")),
					 versions[i]);
		ck_assert_int_eq(
			json_integer_value(json_object_get(j, "length")), 2);
		ck_assert_uint_eq(json_object_size(json_object_get(j, "meta")),
				  0);
		json_decref(j);
		free(out);
		out = NULL;
	}
	free(framed);
}
END_TEST

START_TEST(test_json_meta_nul_and_unicode)
{
	static const char payload[] =
		"{\"name\":\"a\\u0000b\",\"zh\":\"\xe8\xa1\xa8\"}";
	char *framed = NULL, *out = NULL;
	size_t flen = 0, outlen = 0;
	json_t *j, *meta;

	ck_assert_int_eq(meta_frame(payload, strlen(payload), &framed, &flen),
			 0);
	ck_assert_int_eq(to_json(framed, flen, 140, NULL, NULL, &out, &outlen),
			 0);
	/* The NUL stays escaped, so the text has no NUL before its end. */
	ck_assert_ptr_nonnull(strstr(out, "a\\u0000b"));
	j = check_output(out, outlen);
	meta = json_object_get(j, "meta");
	ck_assert_uint_eq(json_string_length(json_object_get(meta, "name")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(meta, "zh")),
			 "\xe8\xa1\xa8");
	json_decref(j);
	free(out);
	free(framed);
}
END_TEST

START_TEST(test_legacy)
{
	/* int32be table_count = 2, then "OLAP" as a Text and some fields. */
	static const unsigned char legacy[] = {
		0,   0, 0, 2, 0, 0, 0, 4,    'O',  'L', 'A',
		'P', 0, 0, 0, 0, 0, 0, 0x27, 0x1d, 0xff};
	unsigned char b[4];

	check_legacy(legacy, sizeof(legacy), 120, 2);
	check_legacy(legacy, sizeof(legacy), -1, 2);
	/* A JSON meta_version does not make binary decodable. */
	check_legacy(legacy, sizeof(legacy), 140, 2);

	/* table_count only when plausible: 0 ... 1,000,000. */
	put_be32(b, 0);
	check_legacy(b, 4, 120, 0);
	put_be32(b, 1000000);
	check_legacy(b, 4, 120, 1000000);
	put_be32(b, 1000001);
	check_legacy(b, 4, 120, -1);
	put_be32(b, 0xffffffffu);
	check_legacy(b, 4, 120, -1);
	put_be32(b, 0x80000000u);
	check_legacy(b, 4, 120, -1);
}
END_TEST

START_TEST(test_too_short)
{
	static const unsigned char b[3] = {'{', '}', 0};

	char *out = NULL;
	size_t outlen = 0;

	check_legacy(NULL, 0, -1, -1);
	check_legacy(b, 1, 140, -1);
	/* No bytes at all, not even a buffer. */
	ck_assert_int_eq(
		meta_to_json(NULL, 0, -1, NULL, 0, NULL, &out, &outlen), 0);
	json_decref(check_output(out, outlen));
	free(out);
	check_legacy(b, 3, 140, -1);
}
END_TEST

/* The length field decides; a wrong one makes a JSON meta legacy. */
START_TEST(test_wrong_length_field)
{
	size_t plen = strlen(meta_json);
	unsigned char *b;

	/* Off by one either way. */
	b = frame_raw((uint32_t)plen - 1, meta_json, plen);
	check_legacy(b, plen + 4, 140, (long long)plen - 1);
	free(b);
	b = frame_raw((uint32_t)plen + 1, meta_json, plen);
	check_legacy(b, plen + 4, 140, (long long)plen + 1);
	free(b);
	/* Far larger than the buffer, or negative. */
	b = frame_raw(0x7fffffffu, meta_json, plen);
	check_legacy(b, plen + 4, 140, -1);
	free(b);
	b = frame_raw(0xffffffffu, meta_json, plen);
	check_legacy(b, plen + 4, 140, -1);
	free(b);
	b = frame_raw(0x80000000u, meta_json, plen);
	check_legacy(b, plen + 4, -1, -1);
	free(b);
	/* Little-endian length, as a careless writer would produce. */
	b = frame_raw(__builtin_bswap32((uint32_t)plen), meta_json, plen);
	check_legacy(b, plen + 4, 140, -1);
	free(b);
	/* Trailing bytes after a complete frame. */
	b = malloc(plen + 5);
	ck_assert_ptr_nonnull(b);
	put_be32(b, (uint32_t)plen);
	memcpy(b + 4, meta_json, plen);
	b[plen + 4] = '\n';
	check_legacy(b, plen + 5, 140, (long long)plen);
	free(b);
}
END_TEST

/* Length matches but the payload is not an object: not JSON framing. */
START_TEST(test_matching_length_not_object)
{
	static const char *const payloads[] = {"[1,2]", " {}", "\"x\"",
					       "1",	"",    "\n{}"};
	unsigned char *b;
	size_t i, n;

	for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		n = strlen(payloads[i]);
		b = frame_raw((uint32_t)n, payloads[i], n);
		check_legacy(b, n + 4, 140, (long long)n);
		free(b);
	}
}
END_TEST

static void expect_bad_json(const char *payload, size_t n)
{
	char *out = (char *)&out, err[ERRLEN] = "";
	enum meta_format fmt = (enum meta_format)42;
	size_t outlen = 4242;
	unsigned char *b;

	b = frame_raw((uint32_t)n, payload, n);
	ck_assert_int_eq(to_json(b, n + 4, 140, err, &fmt, &out, &outlen),
			 -EINVAL);
	ck_assert_ptr_eq(out, (char *)&out);
	ck_assert_uint_eq(outlen, 4242);
	ck_assert_int_eq(fmt, 42);
	ck_assert_msg(err[0] != '\0', "no message for %.*s", (int)n, payload);
	free(b);
}

/* Framing claims JSON ('{' and a matching length) but it is broken. */
START_TEST(test_malformed_json)
{
	static const char *const bad[] = {
		"{",
		"{\"a\":",
		"{\"a\":1,\"a\":2}",
		"{\"a\":1} x",
		"{\"a\":1}{}",
		"{\"a\":\"\xff\"}",
		"{\"a\":99999999999999999999}",
		"{\"a\":1e999}",
		"{\"a\\u0000\":1}",
		"{'a':1}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_json(bad[i], strlen(bad[i]));
	/* A NUL inside the stated length. */
	expect_bad_json("{\"a\":1}\0", 8);
}
END_TEST

/* Every prefix of a valid payload, correctly framed, is refused; the
 * empty one is not JSON framing at all. Every prefix of the framed
 * object, keeping its length field, is legacy. */
START_TEST(test_truncated)
{
	size_t plen = strlen(meta_json), n;
	char *framed = NULL, *out = NULL;
	size_t flen = 0, outlen = 0;
	enum meta_format fmt;

	for (n = 1; n < plen; n++)
		expect_bad_json(meta_json, n);
	check_legacy("\0\0\0\0", 4, 140, 0);

	ck_assert_int_eq(meta_frame(meta_json, plen, &framed, &flen), 0);
	for (n = 0; n < flen; n++) {
		fmt = META_FORMAT_JSON;
		out = NULL;
		ck_assert_int_eq(
			to_json(framed, n, 140, NULL, &fmt, &out, &outlen), 0);
		ck_assert_int_eq(fmt, META_FORMAT_LEGACY);
		json_decref(check_output(out, outlen));
		free(out);
	}
	free(framed);
}
END_TEST

START_TEST(test_deep_nesting)
{
	size_t depth = 100000, i, n;
	char *payload, *p;

	payload = malloc(2 * depth + 16);
	ck_assert_ptr_nonnull(payload);
	p = payload;
	memcpy(p, "{\"x\":", 5);
	p += 5;
	for (i = 0; i < depth; i++)
		*p++ = '[';
	for (i = 0; i < depth; i++)
		*p++ = ']';
	*p++ = '}';
	n = (size_t)(p - payload);
	expect_bad_json(payload, n);
	free(payload);
}
END_TEST

START_TEST(test_frame)
{
	char *out = NULL, *keep;
	size_t outlen = 0;
	unsigned char *u;
	char *big;

	ck_assert_int_eq(meta_frame("{\"a\":1}", 7, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 11);
	u = (unsigned char *)out;
	ck_assert_int_eq(u[0], 0);
	ck_assert_int_eq(u[1], 0);
	ck_assert_int_eq(u[2], 0);
	ck_assert_int_eq(u[3], 7);
	ck_assert_int_eq(memcmp(out + 4, "{\"a\":1}", 7), 0);
	free(out);

	/* Big-endian byte order for a multi-byte length. */
	big = malloc(0x10203);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', 0x10203);
	big[0] = '{';
	big[0x10202] = '}';
	ck_assert_int_eq(meta_frame(big, 0x10203, &out, &outlen), 0);
	u = (unsigned char *)out;
	ck_assert_int_eq(u[0], 0);
	ck_assert_int_eq(u[1], 1);
	ck_assert_int_eq(u[2], 2);
	ck_assert_int_eq(u[3], 3);
	ck_assert_uint_eq(outlen, 0x10207);
	/* And it reads back as JSON. */
	keep = out;
	out = NULL;
	ck_assert_int_eq(
		meta_to_json(keep, outlen, 140, NULL, 0, NULL, &out, &outlen),
		0);
	json_decref(check_output(out, outlen));
	free(out);
	free(keep);
	free(big);

	ck_assert_int_eq(meta_frame(NULL, 0, &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 4);
	ck_assert_int_eq(memcmp(out, "\0\0\0\0", 4), 0);
	free(out);

	/* Too long for a signed 32-bit length; nothing is read. */
	out = (char *)&out;
	outlen = 99;
	ck_assert_int_eq(meta_frame("", (size_t)INT32_MAX + 1, &out, &outlen),
			 -EFBIG);
	ck_assert_ptr_eq(out, (char *)&out);
	ck_assert_uint_eq(outlen, 99);
}
END_TEST

START_TEST(test_optional_outputs)
{
	char *framed = NULL, *out = NULL;
	size_t flen = 0, outlen = 0;

	/* fmt and err may be NULL, on success and on failure. */
	ck_assert_int_eq(meta_frame("{}", 2, &framed, &flen), 0);
	ck_assert_int_eq(
		meta_to_json(framed, flen, -1, NULL, 0, NULL, &out, &outlen),
		0);
	free(out);
	free(framed);
	ck_assert_int_eq(meta_frame("{", 1, &framed, &flen), 0);
	out = NULL;
	ck_assert_int_eq(
		meta_to_json(framed, flen, -1, NULL, 0, NULL, &out, &outlen),
		-EINVAL);
	ck_assert_ptr_null(out);
	free(framed);
}
END_TEST

static Suite *meta_suite(void)
{
	Suite *s = suite_create("meta");
	TCase *tc;

	tc = tcase_create("json");
	tcase_add_test(tc, test_json_meta);
	tcase_add_test(tc, test_json_meta_any_version);
	tcase_add_test(tc, test_json_meta_nul_and_unicode);
	suite_add_tcase(s, tc);

	tc = tcase_create("legacy");
	tcase_add_test(tc, test_legacy);
	tcase_add_test(tc, test_too_short);
	tcase_add_test(tc, test_wrong_length_field);
	tcase_add_test(tc, test_matching_length_not_object);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_malformed_json);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_deep_nesting);
	suite_add_tcase(s, tc);

	tc = tcase_create("frame");
	tcase_add_test(tc, test_frame);
	tcase_add_test(tc, test_optional_outputs);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(meta_suite)
