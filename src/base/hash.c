/* SPDX-License-Identifier: MIT */
/*
 * hash.c - MD5 through OpenSSL's EVP interface (the MD5_* functions are
 * deprecated in OpenSSL 3) and xxh3 through libxxhash.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "hash.h"

#include "banned.h"

struct md5 {
	EVP_MD_CTX *ctx;
	bool finished; /* md5_final_hex() ran; further updates are a bug */
};

static const char hex_digits[] = "0123456789abcdef";

int md5_new(struct md5 **out)
{
	struct md5 *m;
	int rc = 0;

	m = calloc(1, sizeof(*m));
	if (!m) {
		rc = -ENOMEM;
		goto out;
	}
	m->ctx = EVP_MD_CTX_new();
	if (!m->ctx) {
		rc = -ENOMEM;
		goto out;
	}
	/*
	 * Init fails only when OpenSSL can't allocate or refuses MD5 (a
	 * FIPS-only provider); without MD5 nothing in a repository can be
	 * verified, so both are reported as the resource being unavailable.
	 */
	if (EVP_DigestInit_ex(m->ctx, EVP_md5(), NULL) != 1)
		rc = -ENOMEM;
out:
	if (rc < 0) {
		md5_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void md5_update(struct md5 *m, const void *buf, size_t len)
{
	assert(!m->finished);
	/* EVP_DigestUpdate() can't fail for MD5 once the init succeeded. */
	if (len > 0)
		EVP_DigestUpdate(m->ctx, buf, len);
}

void md5_final_hex(struct md5 *m, char hex[MD5_HEX_LEN + 1])
{
	/* Zeroed so a failing final (never seen) fails every comparison. */
	unsigned char md[EVP_MAX_MD_SIZE] = {0};
	unsigned int mdlen = 0;
	unsigned int i;

	assert(!m->finished);
	m->finished = true;
	EVP_DigestFinal_ex(m->ctx, md, &mdlen);
	assert(mdlen == MD5_HEX_LEN / 2);
	for (i = 0; i < MD5_HEX_LEN / 2; i++) {
		hex[2 * i] = hex_digits[md[i] >> 4];
		hex[2 * i + 1] = hex_digits[md[i] & 0xf];
	}
	hex[MD5_HEX_LEN] = '\0';
}

void md5_free(struct md5 *m)
{
	if (!m)
		return;
	EVP_MD_CTX_free(m->ctx);
	free(m);
}

int md5_hex(const void *buf, size_t len, char hex[MD5_HEX_LEN + 1])
{
	struct md5 *m;
	int rc;

	rc = md5_new(&m);
	if (rc < 0)
		return rc;
	md5_update(m, buf, len);
	md5_final_hex(m, hex);
	md5_free(m);
	return 0;
}

int sha256_hex(const void *buf, size_t len, char hex[SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = hex_digits[md[i] >> 4];
		hex[2 * i + 1] = hex_digits[md[i] & 0xf];
	}
	hex[2 * mdlen] = '\0';
	return 0;
}

int md5_base64(const void *buf, size_t len, char b64[MD5_B64_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_md5(), NULL) != 1)
		return -ENOMEM;
	EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	return 0;
}

bool md5_is_hex(const char *s, size_t len)
{
	size_t i;

	if (len != MD5_HEX_LEN)
		return false;
	/* Uppercase is refused: the BE compares md5 strings byte for byte. */
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

int md5_split_name(const char *name, size_t *logical_len)
{
	const char *dot;
	size_t len;

	len = strlen(name);
	dot = strrchr(name, '.');
	if (!dot || dot == name)
		return -EINVAL;
	if (!md5_is_hex(dot + 1, len - (size_t)(dot + 1 - name)))
		return -EINVAL;
	*logical_len = (size_t)(dot - name);
	return 0;
}

uint64_t hash_xxh3(const void *buf, size_t len)
{
	return XXH3_64bits(buf, len);
}
