/* SPDX-License-Identifier: MIT */
/*
 * s3_int.h - what the files of the s3:// backend share: the instance, one
 * request and its answer. store_s3.c has the ops and open/close, s3req.c
 * sends one request (signing, the handle pool, statuses to errnos),
 * s3put.c writes objects (single PUT or multipart upload).
 */
#ifndef SNAPFS_S3_INT_H
#define SNAPFS_S3_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "s3cred_int.h"
#include "store_int.h"

#define S3_DEFAULT_PART_SIZE (8ULL << 20)
#define S3_MIN_PART_SIZE     (5ULL << 20) /* S3's minimum but for the last */
#define S3_MAX_PART_SIZE     (5ULL << 30)
#define S3_MAX_PARTS	     10000

struct s3_store {
	struct store base; /* must be first */
	/* Read-only after s3_open(). */
	char *bucket;
	char *prefix;	/* "" or "a/b/" */
	char *base_url; /* "http://host:port" (+ "/bucket" for path style) */
	char *sigv4;	/* "aws:amz:REGION:s3" */
	struct s3_creds creds;
	bool insecure;
	char *ca_file; /* NULL: the system's CA bundle */
	/* For the requests of a put and the probe at open, which this
	 * backend retries itself (see retry.c); the rest is the retry
	 * layer's. */
	struct store_retry_policy retry;
	unsigned timeout, list_page;
	uint64_t part_size;

	bool req_ready; /* s3req_init() ran: the locks below exist */
	CURLSH *share;
	/* One per curl_lock_data: curl takes them through share_lock(). */
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];

	/* Idle easy handles, each keeping its connection alive. pool_lock
	 * guards idle, nidle and nlive; pool_cv waits for a free handle. */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cv;
	CURL **idle;
	unsigned nidle, nlive, max_conns;
};

/* One query parameter; arrays of these are given in sorted name order. */
struct s3_param {
	const char *name;
	const char *value; /* "" for a valueless parameter */
};

struct s3_req {
	const char *method; /* GET HEAD PUT POST DELETE */
	const char *key;    /* full key (prefix included); NULL: bucket */
	const struct s3_param *params; /* sorted by name, at most 8 */
	size_t nparams;
	const char *range; /* "FIRST-LAST" or NULL */
	const void *body;  /* PUT/POST payload */
	size_t body_len;
	const char *copy_source; /* x-amz-copy-source value, encoded */
	const char *content_type;
	const char *shown; /* object named in messages, if not key */
	char *dst;	   /* GET: the caller's buffer ... */
	size_t dst_cap;
	bool collect; /* ... or collect the body into resp->body */
};

struct s3_resp {
	long status;
	char *body; /* collected body (also for any non-2xx answer) */
	size_t len, cap;
	size_t nread; /* bytes put into req->dst */
	bool overflow;
	uint64_t length;
	int64_t mtime;
	char etag[160];
	char code[64]; /* S3 error code, "" if none */
	char msg[200]; /* S3 error message */
	char cerr[CURL_ERROR_SIZE];
};

static inline struct s3_store *s3_from_store(struct store *st)
{
	if (st->ops != &store_s3_ops)
		abort();
	return (struct s3_store *)st;
}

/* ---- s3req.c ------------------------------------------------------------ */

/** Set up the handle pool and the shared DNS/TLS cache of @s.
 * @return 0; -ENOMEM. */
int s3req_init(struct s3_store *s);

/** Release what s3req_init() made; safe on a partly made @s. */
void s3req_release(struct s3_store *s);

/**
 * Send @rq once. On failure, record "s3: METHOD bucket/key: REASON" with
 * store_set_error() and mark it transient (timeouts, broken or refused
 * connections, 5xx, 429, SlowDown) for the retry loop. Thread-safe.
 * @param quiet_status a status that is an expected answer, not an error
 *        worth logging (404 for HEAD), or 0.
 * @return 0 on a 2xx answer (rs filled), else the negative errno (rs
 *         holds the answer, e.g. its status).
 */
int s3req_do(struct s3_store *s, const struct s3_req *rq, struct s3_resp *rs,
	     long quiet_status);

/** s3req_do() under store_retry_run() with s->retry: for the requests of
 * a put and the probe at open, which no layer above can repeat. */
int s3req_do_retry(struct s3_store *s, const struct s3_req *rq,
		   struct s3_resp *rs, long quiet_status);

/** Free what @rs holds and zero it. */
void s3req_resp_reset(struct s3_resp *rs);

/** RFC 3986-encode @s, keeping '/' when @keep_slash. @return malloc'd or
 * NULL. */
char *s3req_encode(const char *s, bool keep_slash);

/** vasprintf() that returns the string, or NULL. */
char *s3req_asprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/** The full key (prefix included) of store key @key: malloc'd or NULL. */
char *s3req_full_key(struct s3_store *s, const char *key);

/* ---- s3put.c ------------------------------------------------------------ */

/** The put op of s3:// (see store_ops.put) for store_s3.c's slot, which
 * downcasts; multipart above part_size. Takes the s3_store itself so that
 * this file never names store_s3_ops (no s3put.c <-> store_s3.c circle). */
int s3put_object(struct s3_store *s, const char *key, store_src_fn src,
		 void *arg, uint64_t size, unsigned flags);

#endif
