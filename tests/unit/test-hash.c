/* SPDX-License-Identifier: MIT */
/*
 * test-hash.c - MD5 against the RFC 1321 test suite, streaming against
 * one-shot, the md5 name-suffix helpers, and xxh3.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "base/hash.h"
#include "unit.h"

#include "base/banned.h"

#define MD5_A "0cc175b9c0f1b6a831c399e269772661"

/* RFC 1321, appendix A.5. */
static const struct {
	const char *in;
	const char *md5;
} rfc1321[] = {
	{"", "d41d8cd98f00b204e9800998ecf8427e"},
	{"a", "0cc175b9c0f1b6a831c399e269772661"},
	{"abc", "900150983cd24fb0d6963f7d28e17f72"},
	{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
	{"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
	{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	 "d174ab98d277d9f5a5611c2c9f419d9f"},
	{"1234567890123456789012345678901234567890"
	 "1234567890123456789012345678901234567890",
	 "57edf4a22be3c955ac49da2e2107b67a"},
};

#define NVEC (sizeof(rfc1321) / sizeof(rfc1321[0]))

START_TEST(test_md5_rfc1321_oneshot)
{
	char hex[MD5_HEX_LEN + 1];
	const char *in = rfc1321[_i].in;

	memset(hex, 'X', sizeof(hex));
	ck_assert_int_eq(md5_hex(in, strlen(in), hex), 0);
	ck_assert_str_eq(hex, rfc1321[_i].md5);
	ck_assert_uint_eq(strlen(hex), MD5_HEX_LEN);
}
END_TEST

START_TEST(test_md5_rfc1321_bytewise)
{
	char hex[MD5_HEX_LEN + 1];
	const char *in = rfc1321[_i].in;
	struct md5 *m = NULL;
	size_t i;

	ck_assert_int_eq(md5_new(&m), 0);
	ck_assert_ptr_nonnull(m);
	for (i = 0; in[i]; i++)
		md5_update(m, in + i, 1);
	md5_final_hex(m, hex);
	md5_free(m);
	ck_assert_str_eq(hex, rfc1321[_i].md5);
}
END_TEST

START_TEST(test_md5_empty_updates)
{
	char hex[MD5_HEX_LEN + 1];
	struct md5 *m;

	ck_assert_int_eq(md5_new(&m), 0);
	md5_update(m, "", 0);
	md5_update(m, "a", 1);
	md5_update(m, NULL, 0);
	md5_final_hex(m, hex);
	md5_free(m);
	ck_assert_str_eq(hex, MD5_A);

	ck_assert_int_eq(md5_hex(NULL, 0, hex), 0);
	ck_assert_str_eq(hex, rfc1321[0].md5);
}
END_TEST

/* Uneven chunks over a buffer that crosses many 64-byte blocks. */
START_TEST(test_md5_stream_equals_oneshot)
{
	static const size_t chunks[] = {1, 63, 64, 65, 127, 4096, 7, 100000};
	size_t len = 1 << 20, off = 0, k = 0, n;
	char a[MD5_HEX_LEN + 1], b[MD5_HEX_LEN + 1];
	unsigned char *buf;
	struct md5 *m;
	size_t i;

	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	ck_assert_int_eq(md5_hex(buf, len, a), 0);

	ck_assert_int_eq(md5_new(&m), 0);
	while (off < len) {
		n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];
		if (n > len - off)
			n = len - off;
		md5_update(m, buf + off, n);
		off += n;
	}
	md5_final_hex(m, b);
	md5_free(m);
	ck_assert_str_eq(a, b);

	/* One flipped bit changes the digest. */
	buf[len / 2] ^= 1;
	ck_assert_int_eq(md5_hex(buf, len, b), 0);
	ck_assert_str_ne(a, b);
	free(buf);
}
END_TEST

/*
 * Every "out:" path frees what it holds, NULL included, and a stream given
 * up half way (a failed read) is freed without md5_final_hex(): both must
 * be quiet and leave nothing behind for the next stream.
 */
START_TEST(test_md5_free_null)
{
	char hex[MD5_HEX_LEN + 1];
	struct md5 *m = NULL;

	errno = EAGAIN;
	md5_free(NULL);
	ck_assert_int_eq(errno, EAGAIN);

	ck_assert_int_eq(md5_new(&m), 0);
	ck_assert_ptr_nonnull(m);
	md5_update(m, "abc", 3);
	md5_free(m);

	m = NULL;
	ck_assert_int_eq(md5_new(&m), 0);
	md5_update(m, "a", 1);
	md5_final_hex(m, hex);
	md5_free(m);
	ck_assert_str_eq(hex, MD5_A);
}
END_TEST

START_TEST(test_md5_is_hex)
{
	char buf[40];

	ck_assert(md5_is_hex(MD5_A, 32));
	ck_assert(md5_is_hex("0123456789abcdef0123456789abcdef", 32));
	/* Only the first 32 bytes are looked at. */
	memcpy(buf, MD5_A "zzz", 36);
	ck_assert(md5_is_hex(buf, 32));

	ck_assert(!md5_is_hex(MD5_A, 31));
	ck_assert(!md5_is_hex(MD5_A "0", 33));
	ck_assert(!md5_is_hex("", 0));
	ck_assert(!md5_is_hex("0CC175B9C0F1B6A831C399E269772661", 32));
	ck_assert(!md5_is_hex("0cc175b9c0f1b6a831c399e26977266g", 32));
	ck_assert(!md5_is_hex("0cc175b9c0f1b6a831c399e26977266 ", 32));
	memcpy(buf, MD5_A, 32);
	buf[5] = '\0';
	ck_assert(!md5_is_hex(buf, 32));
}
END_TEST

START_TEST(test_md5_split_name_ok)
{
	size_t n = 999;

	ck_assert_int_eq(md5_split_name("10015.hdr." MD5_A, &n), 0);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(md5_split_name("x." MD5_A, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(
		md5_split_name(
			"0200000000000003b0400c3870adc1c7d4e9f04c07630c99"
			"_0.dat." MD5_A,
			&n),
		0);
	ck_assert_uint_eq(n, 54);
	/* The split is at the last dot. */
	ck_assert_int_eq(md5_split_name("a." MD5_A "." MD5_A, &n), 0);
	ck_assert_uint_eq(n, 34);
	ck_assert_int_eq(md5_split_name("a.." MD5_A, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(
		md5_split_name("__info_2024-05-01-10-20-30." MD5_A, &n), 0);
	ck_assert_uint_eq(n, 26);
}
END_TEST

START_TEST(test_md5_split_name_bad)
{
	static const char *const bad[] = {
		"",
		".",
		"x.",
		MD5_A,
		"." MD5_A,
		"x.part",
		"x.dat",
		"x." MD5_A ".part",
		"x.0CC175B9C0F1B6A831C399E269772661",
		"x.0cc175b9c0f1b6a831c399e26977266",
		"x.0cc175b9c0f1b6a831c399e2697726611",
		"x.0cc175b9c0f1b6a831c399e26977266g",
		"x." MD5_A " ",
		"x-" MD5_A,
	};
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 12345;
		ck_assert_msg(md5_split_name(bad[i], &n) == -EINVAL,
			      "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(n, 12345);
	}
}
END_TEST

START_TEST(test_xxh3)
{
	static const char text[] = "snapfs xxh3 check";
	char copy[sizeof(text)];

	/* xxHash's published XXH3_64bits value for empty input. */
	ck_assert_uint_eq(hash_xxh3(NULL, 0), 0x2D06800538D394C2ULL);
	ck_assert_uint_eq(hash_xxh3("", 0), 0x2D06800538D394C2ULL);
	ck_assert_uint_eq(hash_xxh3(text, strlen(text)),
			  XXH3_64bits_withSeed(text, strlen(text), 0));

	memcpy(copy, text, sizeof(text));
	ck_assert_uint_eq(hash_xxh3(text, strlen(text)),
			  hash_xxh3(copy, strlen(copy)));
	copy[3] ^= 0x20;
	ck_assert_uint_ne(hash_xxh3(text, strlen(text)),
			  hash_xxh3(copy, strlen(copy)));
	ck_assert_uint_ne(hash_xxh3(text, strlen(text)),
			  hash_xxh3(text, strlen(text) - 1));
}
END_TEST

/* FIPS 180-2 vectors; base64 MD5 as Content-MD5 carries it (RFC 1864). */
START_TEST(test_sha256_and_md5_base64)
{
	char hex[SHA256_HEX_LEN + 1], b64[MD5_B64_LEN + 1];

	ck_assert_int_eq(sha256_hex("abc", 3, hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(sha256_hex("", 0, hex), 0);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			      "27ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(md5_base64("", 0, b64), 0);
	ck_assert_str_eq(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
	ck_assert_int_eq(md5_base64("abc", 3, b64), 0);
	ck_assert_str_eq(b64, "kAFQmDzST7DWlj99KOF/cg==");
}
END_TEST

static Suite *hash_suite(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("md5");

	tcase_add_loop_test(tc, test_md5_rfc1321_oneshot, 0, (int)NVEC);
	tcase_add_loop_test(tc, test_md5_rfc1321_bytewise, 0, (int)NVEC);
	tcase_add_test(tc, test_md5_empty_updates);
	tcase_add_test(tc, test_md5_stream_equals_oneshot);
	tcase_add_test(tc, test_md5_free_null);
	tcase_add_test(tc, test_md5_is_hex);
	tcase_add_test(tc, test_md5_split_name_ok);
	tcase_add_test(tc, test_md5_split_name_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("sha256");
	tcase_add_test(tc, test_sha256_and_md5_base64);
	suite_add_tcase(s, tc);

	tc = tcase_create("xxh3");
	tcase_add_test(tc, test_xxh3);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(hash_suite)
