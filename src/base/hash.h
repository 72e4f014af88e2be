/* SPDX-License-Identifier: MIT */
/*
 * hash.h - MD5 (the repository's content names) and SHA-256 (S3 request
 * signing), via OpenSSL; xxh3 (fast internal checks, via xxHash).
 */
#ifndef SNAPFS_HASH_H
#define SNAPFS_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD5_HEX_LEN 32

struct md5;

/**
 * Start a streaming MD5.
 * @param[out] out caller-owned; free with md5_free().
 * @return 0; -ENOMEM.
 */
int md5_new(struct md5 **out);
void md5_update(struct md5 *m, const void *buf, size_t len);
/** Finish into 32 lowercase hex digits plus NUL. The context can't be
 * updated afterwards. */
void md5_final_hex(struct md5 *m, char hex[MD5_HEX_LEN + 1]);
void md5_free(struct md5 *m);

/** MD5 of a buffer in one call. @return 0; -ENOMEM. */
int md5_hex(const void *buf, size_t len, char hex[MD5_HEX_LEN + 1]);

#define SHA256_HEX_LEN 64
#define MD5_B64_LEN    24

/** SHA-256 of a buffer as 64 lowercase hex digits plus NUL (S3's
 * x-amz-content-sha256). @return 0; -ENOMEM. */
int sha256_hex(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1]);

/** MD5 of a buffer in base64 (24 chars plus NUL), as the Content-MD5
 * header carries it. @return 0; -ENOMEM. */
int md5_base64(const void *buf, size_t len, char b64[MD5_B64_LEN + 1]);

/** True if @s is exactly 32 lowercase hex digits (then @s[32] is ignored). */
bool md5_is_hex(const char *s, size_t len);

/**
 * Split "<logical>.<md5>" at the last '.'.
 * @param[out] logical_len length of the logical name.
 * @return 0 if the suffix is a 32-char lowercase md5 and the logical name
 *         is non-empty; -EINVAL otherwise.
 */
int md5_split_name(const char *name, size_t *logical_len);

/** xxh3-64 of a buffer. */
uint64_t hash_xxh3(const void *buf, size_t len);

#endif
