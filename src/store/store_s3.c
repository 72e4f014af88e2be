/* SPDX-License-Identifier: MIT */
/*
 * store_s3.c - the s3:// backend: any S3-compatible object store.
 *
 * URL form: s3://BUCKET[/PREFIX]. Keys of the store are relative to
 * PREFIX/. Requests are signed by libcurl itself (CURLOPT_AWS_SIGV4); this
 * file only builds what curl 7.88 leaves to the caller (see
 * shared/reference/test-servers.md):
 *   - the query string in canonical form: parameters sorted by name,
 *     names and values RFC 3986-encoded, valueless ones written "name=";
 *   - every path segment RFC 3986-encoded, '/' kept between segments;
 *   - x-amz-content-sha256 on every request (the real SHA-256 of the
 *     body; Swift checks it), Content-MD5 on every body;
 *   - no "Expect:" suppression header (curl signs but drops it).
 *
 * Every body this backend sends is in memory (one object up to part_size,
 * or one part), so a failed request can be sent again. Failures are
 * retried with exponential backoff and jitter when they can be transient:
 * timeouts, broken or refused connections, 5xx, 429 and SlowDown. Each
 * thread takes a curl handle from a pool and gives it back, so connections
 * stay open across requests; DNS and TLS sessions are shared.
 *
 * HTTP statuses, S3 error codes and curl errors become an errno in exactly
 * one place, s3_errno(). The reason a call failed (object, method, status,
 * S3 code, attempts) is left with store_set_error(). Credentials never
 * appear in the URL, the display URL, a log line or an error message.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "s3cred_int.h"
#include "s3xml_int.h"
#include "store.h"

#include "base/banned.h"

#define DEFAULT_CONNECTIONS   16
#define DEFAULT_PART_SIZE     (8ULL << 20)
#define MIN_PART_SIZE	      (5ULL << 20) /* S3's minimum but for the last */
#define MAX_PART_SIZE	      (5ULL << 30)
#define MAX_PARTS	      10000
#define DEFAULT_LIST_PAGE     1000
#define DEFAULT_RETRIES	      5
#define DEFAULT_RETRY_BASE_MS 200
#define RETRY_CAP_MS	      20000
#define DEFAULT_TIMEOUT	      30
#define MAX_RESPONSE	      (64U << 20) /* largest body we collect */

/* SHA-256 of the empty string, the payload hash of a body-less request. */
static const char EMPTY_SHA256[] =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct s3_store {
	struct store base; /* must be first */
	char *bucket;
	char *prefix;	/* "" or "a/b/" */
	char *base_url; /* "http://host:port" (+ "/bucket" for path style) */
	char *sigv4;	/* "aws:amz:REGION:s3" */
	struct s3_creds creds;
	bool insecure;
	char *ca_file; /* NULL: the system's CA bundle */
	unsigned retries, retry_base_ms, timeout, list_page;
	uint64_t part_size;

	CURLSH *share;
	pthread_mutex_t share_lock[CURL_LOCK_DATA_LAST];

	/* Idle easy handles, each keeping its connection alive. */
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
	const struct s3_param *params; /* sorted by name */
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

/* What one transfer needs in its curl callbacks. */
struct xfer {
	CURL *h;
	const struct s3_req *rq;
	struct s3_resp *rs;
	size_t sent; /* upload position in rq->body */
	/* Stall watchdog: when a byte last moved either way. */
	curl_off_t last_dl, last_ul;
	struct timespec last_move;
	unsigned timeout; /* seconds */
	bool stalled;
};

static struct s3_store *s3_from_store(struct store *st)
{
	if (st->ops != &store_s3_ops)
		abort();
	return (struct s3_store *)st;
}

/* ---- errno and retry policy: the only place statuses become errnos ---- */

static bool code_is(const struct s3_resp *rs, const char *code)
{
	return strcmp(rs->code, code) == 0;
}

/* @return 0 for success, else the negative errno for this outcome. */
static int s3_errno(CURLcode cc, const struct s3_resp *rs)
{
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return -EPROTO;
	default:
		return -EIO;
	}
	if (rs->status >= 200 && rs->status < 300)
		return 0;
	switch (rs->status) {
	case 400:
		if (code_is(rs, "EntityTooLarge"))
			return -EFBIG;
		if (code_is(rs, "RequestTimeout"))
			return -ETIMEDOUT;
		if (code_is(rs, "BadDigest") || code_is(rs, "InvalidDigest"))
			return -EIO;
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 405:
	case 501:
		return -EOPNOTSUPP;
	case 409:
		return -EBUSY;
	case 412:
		return -EEXIST;
	case 429:
		return -EAGAIN;
	case 503:
		return code_is(rs, "SlowDown") ? -EAGAIN : -EIO;
	case 507:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

/* Can the same request succeed if sent again later? */
static bool s3_transient(CURLcode cc, const struct s3_resp *rs)
{
	switch (cc) {
	case CURLE_OK:
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
	if (rs->status >= 500 || rs->status == 429)
		return true;
	return code_is(rs, "SlowDown") || code_is(rs, "RequestTimeout") ||
	       code_is(rs, "InternalError");
}

/* "HTTP 403 SignatureDoesNotMatch" or the curl error, for messages. */
static void s3_reason(CURLcode cc, const struct s3_resp *rs, char *buf,
		      size_t len)
{
	if (cc != CURLE_OK)
		snprintf(buf, len, "%s",
			 rs->cerr[0] ? rs->cerr : curl_easy_strerror(cc));
	else if (rs->code[0] && rs->msg[0])
		snprintf(buf, len, "HTTP %ld %s (%s)", rs->status, rs->code,
			 rs->msg);
	else if (rs->code[0])
		snprintf(buf, len, "HTTP %ld %s", rs->status, rs->code);
	else
		snprintf(buf, len, "HTTP %ld", rs->status);
}

/* ---- small helpers ------------------------------------------------------ */

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* RFC 3986-encode @s, keeping '/' as it is when @keep_slash. */
static char *s3_encode(const char *s, bool keep_slash)
{
	size_t cap = strlen(s) * 3 + 1, o = 0;
	char *out = malloc(cap);
	const char *p = s, *e;

	if (!out)
		return NULL;
	for (;;) {
		char *enc;

		e = keep_slash ? strchr(p, '/') : NULL;
		if (!e)
			e = p + strlen(p);
		enc = curl_easy_escape(NULL, p, (int)(e - p));
		if (!enc) {
			free(out);
			return NULL;
		}
		memcpy(out + o, enc, strlen(enc));
		o += strlen(enc);
		curl_free(enc);
		if (*e == '\0')
			break;
		out[o++] = '/';
		p = e + 1;
	}
	out[o] = '\0';
	return out;
}

static char *s3_url(struct s3_store *s, const struct s3_req *rq)
{
	char *path = NULL, *query = NULL, *url;
	size_t i, qlen = 0;

	if (rq->key) {
		path = s3_encode(rq->key, true);
		if (!path)
			return NULL;
	}
	if (rq->nparams) {
		/* The signature covers the query exactly as written. */
		char *parts[8];

		if (rq->nparams > 8)
			abort();
		for (i = 0; i < rq->nparams; i++) {
			char *n = s3_encode(rq->params[i].name, false);
			char *v = s3_encode(rq->params[i].value, false);

			parts[i] = n && v ? xasprintf("%s=%s", n, v) : NULL;
			free(n);
			free(v);
			if (!parts[i]) {
				while (i--)
					free(parts[i]);
				free(path);
				return NULL;
			}
			qlen += strlen(parts[i]) + 1;
		}
		query = malloc(qlen + 1);
		if (query) {
			size_t o = 0, k;

			for (i = 0; i < rq->nparams; i++) {
				if (i)
					query[o++] = '&';
				k = strlen(parts[i]);
				memcpy(query + o, parts[i], k);
				o += k;
			}
			query[o] = '\0';
		}
		for (i = 0; i < rq->nparams; i++)
			free(parts[i]);
		if (!query) {
			free(path);
			return NULL;
		}
	}
	url = xasprintf("%s%s%s%s%s", s->base_url, path ? "/" : "",
			path ? path : "", query ? "?" : "", query ? query : "");
	free(path);
	free(query);
	return url;
}

/* ---- the handle pool ---------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a,
		       void *arg)
{
	struct s3_store *s = arg;

	pthread_mutex_lock(&s->share_lock[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
	struct s3_store *s = arg;

	pthread_mutex_unlock(&s->share_lock[data]);
}

static CURL *handle_get(struct s3_store *s)
{
	CURL *h = NULL;

	pthread_mutex_lock(&s->pool_lock);
	while (s->nidle == 0 && s->nlive >= s->max_conns)
		pthread_cond_wait(&s->pool_cv, &s->pool_lock);
	if (s->nidle) {
		h = s->idle[--s->nidle];
	} else {
		s->nlive++;
		h = curl_easy_init();
		if (!h)
			s->nlive--;
	}
	pthread_mutex_unlock(&s->pool_lock);
	return h;
}

static void handle_put(struct s3_store *s, CURL *h, bool keep)
{
	pthread_mutex_lock(&s->pool_lock);
	if (keep) {
		s->idle[s->nidle++] = h;
	} else {
		curl_easy_cleanup(h);
		s->nlive--;
	}
	pthread_cond_signal(&s->pool_cv);
	pthread_mutex_unlock(&s->pool_lock);
}

/* ---- one request -------------------------------------------------------- */

static bool resp_append(struct s3_resp *rs, const char *p, size_t n)
{
	if (rs->len + n + 1 > rs->cap) {
		size_t cap = rs->cap ? rs->cap : 4096;
		char *b;

		while (cap < rs->len + n + 1)
			cap *= 2;
		if (cap > MAX_RESPONSE)
			return false;
		b = realloc(rs->body, cap);
		if (!b)
			return false;
		rs->body = b;
		rs->cap = cap;
	}
	memcpy(rs->body + rs->len, p, n);
	rs->len += n;
	rs->body[rs->len] = '\0';
	return true;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300 && x->rq->dst) {
		size_t room = x->rq->dst_cap - x->rs->nread;

		if (n > room) {
			/* More than asked for (a server ignoring Range):
			 * keep what fits and stop the transfer. */
			memcpy(x->rq->dst + x->rs->nread, p, room);
			x->rs->nread += room;
			x->rs->overflow = true;
			return 0;
		}
		memcpy(x->rq->dst + x->rs->nread, p, n);
		x->rs->nread += n;
		return n;
	}
	return resp_append(x->rs, p, n) ? n : 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, k;

	if (n > 5 && strncasecmp(p, "etag:", 5) == 0) {
		const char *v = p + 5;

		while (*v == ' ' || *v == '\t')
			v++;
		k = n - (size_t)(v - p);
		while (k && (v[k - 1] == '\r' || v[k - 1] == '\n' ||
			     v[k - 1] == ' '))
			k--;
		if (k < sizeof(x->rs->etag)) {
			memcpy(x->rs->etag, v, k);
			x->rs->etag[k] = '\0';
		}
	}
	return n;
}

static size_t on_upload(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, left = x->rq->body_len - x->sent;

	if (n > left)
		n = left;
	memcpy(buf, (const char *)x->rq->body + x->sent, n);
	x->sent += n;
	return n;
}

static int on_seek(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > x->rq->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->sent = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* Abort a transfer in which no byte moved for x->timeout seconds. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (dlnow != x->last_dl || ulnow != x->last_ul) {
		x->last_dl = dlnow;
		x->last_ul = ulnow;
		x->last_move = now;
		return 0;
	}
	if (now.tv_sec - x->last_move.tv_sec >= (time_t)x->timeout) {
		x->stalled = true;
		return 1;
	}
	return 0;
}

static void resp_reset(struct s3_resp *rs)
{
	free(rs->body);
	memset(rs, 0, sizeof(*rs));
}

static CURLcode s3_perform(struct s3_store *s, CURL *h, const struct s3_req *rq,
			   struct s3_resp *rs)
{
	struct curl_slist *hdrs = NULL, *t;
	struct xfer x = {.h = h, .rq = rq, .rs = rs};
	char sha[SHA256_HEX_LEN + 1], md5[MD5_B64_LEN + 1], line[512];
	char *url = s3_url(s, rq), *hl;
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	curl_off_t len = -1, ft = -1;

	if (!url)
		return CURLE_OUT_OF_MEMORY;
	if (rq->body) {
		if (sha256_hex(rq->body, rq->body_len, sha) < 0 ||
		    md5_base64(rq->body, rq->body_len, md5) < 0)
			goto out;
	} else {
		memcpy(sha, EMPTY_SHA256, sizeof(EMPTY_SHA256));
	}
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", sha);
	if (!(hdrs = curl_slist_append(hdrs, line)))
		goto out;
	if (rq->body) {
		snprintf(line, sizeof(line), "Content-MD5: %s", md5);
		if (!(t = curl_slist_append(hdrs, line)))
			goto out;
	}
	if (rq->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 rq->content_type);
		if (!(t = curl_slist_append(hdrs, line)))
			goto out;
	}
	if (rq->copy_source) {
		hl = xasprintf("x-amz-copy-source: %s", rq->copy_source);
		t = hl ? curl_slist_append(hdrs, hl) : NULL;
		free(hl);
		if (!t)
			goto out;
	}
	if (s->creds.session_token) {
		hl = xasprintf("x-amz-security-token: %s",
			       s->creds.session_token);
		t = hl ? curl_slist_append(hdrs, hl) : NULL;
		if (hl) {
			explicit_bzero(hl, strlen(hl));
			free(hl);
		}
		if (!t)
			goto out;
	}

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SHARE, s->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->creds.access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->creds.secret_key);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, rs->cerr);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)s->timeout);
	/* curl's LOW_SPEED check averages over seconds, so a small upload
	 * followed by a dead server takes far longer than the timeout to
	 * notice; the progress callback measures the stall itself. */
	x.timeout = s->timeout;
	clock_gettime(CLOCK_MONOTONIC, &x.last_move);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->insecure ? 0L : 2L);
	if (s->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	if (rq->range)
		curl_easy_setopt(h, CURLOPT_RANGE, rq->range);
	if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	} else if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(h, CURLOPT_READDATA, &x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, &x);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)rq->body_len);
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
				 rq->body ? (const char *)rq->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)rq->body_len);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}

	cc = curl_easy_perform(h);
	if (cc == CURLE_ABORTED_BY_CALLBACK && x.stalled) {
		cc = CURLE_OPERATION_TIMEDOUT;
		snprintf(rs->cerr, sizeof(rs->cerr),
			 "no data moved for %u s (s3_timeout)", s->timeout);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	if (cc == CURLE_WRITE_ERROR && rs->overflow && rs->status >= 200 &&
	    rs->status < 300)
		cc = CURLE_OK;
	if (cc == CURLE_OK) {
		if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
				      &len) == CURLE_OK &&
		    len >= 0)
			rs->length = (uint64_t)len;
		if (curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft) ==
			    CURLE_OK &&
		    ft >= 0)
			rs->mtime = (int64_t)ft;
		if ((rs->status < 200 || rs->status >= 300) && rs->len)
			s3xml_parse_error(rs->body, rs->len, rs->code,
					  sizeof(rs->code), rs->msg,
					  sizeof(rs->msg));
	}
out:
	curl_slist_free_all(hdrs);
	free(url);
	return cc;
}

static const char *key_or_bucket(const struct s3_req *rq)
{
	return rq->shown ? rq->shown : rq->key ? rq->key : "";
}

/*
 * Send @rq, again after a backoff while the failure is transient, until
 * s->retries more attempts have failed.
 * @param quiet_status a status that is an expected answer, not an error
 *        worth logging (404 for HEAD), or 0.
 * @return 0 on a 2xx answer (rs filled), else the negative errno, with the
 *         reason left for store_strerror().
 */
static int s3_do(struct s3_store *s, const struct s3_req *rq,
		 struct s3_resp *rs, long quiet_status)
{
	char reason[400];
	unsigned attempt;
	int rc = -EIO;

	for (attempt = 0;; attempt++) {
		CURL *h = handle_get(s);
		CURLcode cc;
		bool transient;

		resp_reset(rs);
		if (!h)
			return -ENOMEM;
		cc = s3_perform(s, h, rq, rs);
		/* A handle whose transfer broke may hold a dead connection. */
		handle_put(s, h, cc == CURLE_OK);
		rc = s3_errno(cc, rs);
		if (rc == 0)
			return 0;
		transient = s3_transient(cc, rs);
		s3_reason(cc, rs, reason, sizeof(reason));
		if (!transient || attempt >= s->retries) {
			if (attempt > 0) {
				store_set_error(
					rc,
					"s3: %s %s/%s: %s after %u attempts",
					rq->method, s->bucket,
					key_or_bucket(rq), reason, attempt + 1);
				snap_log(rs->status == quiet_status ? LOG_DEBUG
								    : LOG_ERR,
					 "%s", store_strerror(rc));
			} else {
				store_set_error(rc, "s3: %s %s/%s: %s",
						rq->method, s->bucket,
						key_or_bucket(rq), reason);
				if (rs->status != quiet_status)
					snap_log(LOG_DEBUG, "%s",
						 store_strerror(rc));
			}
			return rc;
		}
		{
			/* Exponential backoff with "equal jitter": half the
			 * step is fixed, half random, so waits still grow. */
			uint64_t step = (uint64_t)s->retry_base_ms << attempt;
			unsigned ms;
			struct timespec ts;

			if (attempt > 20 || step > RETRY_CAP_MS)
				step = RETRY_CAP_MS;
			ms = (unsigned)(step / 2) +
			     arc4random_uniform((uint32_t)(step / 2) + 1);
			snap_log(LOG_WARNING,
				 "s3: %s %s/%s: %s; retry %u/%u in %u ms",
				 rq->method, s->bucket, key_or_bucket(rq),
				 reason, attempt + 1, s->retries, ms);
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (long)(ms % 1000) * 1000000L;
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
}

/* The full key of a store key. @return malloc'd, or NULL. */
static char *full_key(struct s3_store *s, const char *key)
{
	return xasprintf("%s%s", s->prefix, key);
}

/* ---- ops ---------------------------------------------------------------- */

static int s3_list_full(struct s3_store *s, const char *full, const char *delim,
			unsigned page, store_list_cb cb, void *arg)
{
	size_t plen = strlen(s->prefix), i;
	char *token = NULL, maxkeys[16], shown[1100];
	int rc = 0;

	snprintf(shown, sizeof(shown), "?list-type=2&prefix=%s", full);
	snprintf(maxkeys, sizeof(maxkeys), "%u", page);
	for (;;) {
		struct s3_param p[5];
		struct s3_req rq = {.method = "GET",
				    .params = p,
				    .collect = true,
				    .shown = shown};
		struct s3_resp rs = {0};
		struct s3_list_page pg;
		size_t n = 0;

		/* Sorted by name: the signature covers this order. */
		if (token)
			p[n++] = (struct s3_param){"continuation-token", token};
		if (delim && *delim)
			p[n++] = (struct s3_param){"delimiter", delim};
		p[n++] = (struct s3_param){"list-type", "2"};
		p[n++] = (struct s3_param){"max-keys", maxkeys};
		if (*full)
			p[n++] = (struct s3_param){"prefix", full};
		rq.nparams = n;
		rc = s3_do(s, &rq, &rs, 0);
		if (rc == 0) {
			rc = s3xml_parse_list(rs.body ? rs.body : "", rs.len,
					      &pg);
			if (rc < 0)
				store_set_error(rc,
						"s3: GET %s/?list-type=2: "
						"malformed ListBucketResult",
						s->bucket);
		}
		resp_reset(&rs);
		free(token);
		token = NULL;
		if (rc < 0)
			return rc;
		for (i = 0; i < pg.n && rc == 0; i++) {
			struct store_entry e = {
				.size = pg.items[i].size,
				.mtime = pg.items[i].mtime,
				.is_prefix = pg.items[i].is_prefix,
			};

			if (strncmp(pg.items[i].key, s->prefix, plen) != 0 ||
			    pg.items[i].key[plen] == '\0')
				continue;
			e.key = pg.items[i].key + plen;
			rc = cb(&e, arg);
		}
		if (rc == 0 && pg.truncated && pg.next_token) {
			token = pg.next_token;
			pg.next_token = NULL;
		}
		s3xml_list_free(&pg);
		if (rc != 0 || !token)
			return rc;
	}
}

static int s3_list(struct store *st, const char *prefix, const char *delim,
		   store_list_cb cb, void *arg)
{
	struct s3_store *s = s3_from_store(st);
	char *full = full_key(s, prefix);
	int rc;

	if (!full)
		return -ENOMEM;
	rc = s3_list_full(s, full, delim, s->list_page, cb, arg);
	free(full);
	return rc;
}

static int s3_stat(struct store *st, const char *key, struct store_entry *out)
{
	struct s3_store *s = s3_from_store(st);
	struct s3_resp rs = {0};
	struct s3_req rq = {.method = "HEAD"};
	char *full = full_key(s, key);
	int rc;

	if (!full)
		return -ENOMEM;
	rq.key = full;
	rc = s3_do(s, &rq, &rs, 404);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		out->size = rs.length;
		out->mtime = rs.mtime > 0 ? rs.mtime : 0;
	}
	resp_reset(&rs);
	free(full);
	return rc;
}

static int s3_read(struct store *st, const char *key, uint64_t off, void *buf,
		   size_t len, size_t *nread)
{
	struct s3_store *s = s3_from_store(st);
	struct s3_resp rs = {0};
	struct s3_req rq = {.method = "GET", .dst = buf, .dst_cap = len};
	char range[48], *full;
	int rc;

	if (len == 0) {
		*nread = 0;
		return 0;
	}
	full = full_key(s, key);
	if (!full)
		return -ENOMEM;
	snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off,
		 off + len - 1);
	rq.key = full;
	rq.range = range;
	rc = s3_do(s, &rq, &rs, 416);
	if (rc == 0 && rs.status == 200 && off > 0) {
		/* The whole object came back: the server ignored Range. */
		rc = -EIO;
		store_set_error(rc, "s3: GET %s/%s: server ignored Range",
				s->bucket, full);
	} else if (rc < 0 && rs.status == 416) {
		rc = 0; /* at or past the end */
		rs.nread = 0;
	}
	if (rc == 0)
		*nread = rs.nread;
	resp_reset(&rs);
	free(full);
	return rc;
}

/* Fill @buf with exactly @len bytes from @src. */
static int pull(store_src_fn src, void *arg, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = src(arg, buf + got, len - got);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO; /* the source is shorter than promised */
		got += (size_t)n;
	}
	return 0;
}

static int s3_abort_upload(struct s3_store *s, const char *full,
			   const char *upload_id)
{
	struct s3_param p[] = {{"uploadId", upload_id}};
	struct s3_req rq = {
		.method = "DELETE", .key = full, .params = p, .nparams = 1};
	struct s3_resp rs = {0};
	int rc = s3_do(s, &rq, &rs, 0);

	resp_reset(&rs);
	if (rc < 0)
		snap_log(LOG_WARNING,
			 "s3: abort of multipart upload of %s/%s: %s "
			 "(a lifecycle rule must clean it up)",
			 s->bucket, full, store_strerror(rc));
	return rc;
}

/* Send @size bytes from @src as a multipart upload of @full. */
static int s3_put_multipart(struct s3_store *s, const char *full,
			    store_src_fn src, void *arg, uint64_t size)
{
	uint64_t part = s->part_size, done = 0;
	struct s3_param pinit[] = {{"uploads", ""}};
	struct s3_req rq = {.method = "POST",
			    .key = full,
			    .params = pinit,
			    .nparams = 1,
			    .collect = true,
			    .content_type = "application/octet-stream"};
	struct s3_resp rs = {0};
	char *upload_id = NULL, *buf = NULL, *body = NULL, **etags = NULL;
	size_t nparts, i, blen;
	int rc;

	if ((size + part - 1) / part > MAX_PARTS)
		part = (size + MAX_PARTS - 1) / MAX_PARTS;
	nparts = (size_t)((size + part - 1) / part);
	rc = s3_do(s, &rq, &rs, 0);
	if (rc == 0 && s3xml_parse_upload_id(rs.body ? rs.body : "", rs.len,
					     &upload_id) < 0) {
		rc = -EIO;
		store_set_error(rc,
				"s3: POST %s/%s?uploads: no UploadId "
				"in the answer",
				s->bucket, full);
	}
	resp_reset(&rs);
	if (rc < 0)
		return rc;
	buf = malloc(part);
	etags = calloc(nparts, sizeof(*etags));
	if (!buf || !etags) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < nparts; i++, done += blen) {
		char num[16];
		struct s3_param pp[] = {{"partNumber", num},
					{"uploadId", upload_id}};
		struct s3_req prq = {.method = "PUT",
				     .key = full,
				     .params = pp,
				     .nparams = 2,
				     .body = buf};

		blen = (size_t)(size - done < part ? size - done : part);
		rc = pull(src, arg, buf, blen);
		if (rc < 0) {
			store_set_error(rc,
					"s3: %s/%s: reading the source "
					"for part %zu: %s",
					s->bucket, full, i + 1, strerror(-rc));
			goto fail;
		}
		snprintf(num, sizeof(num), "%zu", i + 1);
		prq.body_len = blen;
		rc = s3_do(s, &prq, &rs, 0);
		if (rc == 0 && !rs.etag[0]) {
			rc = -EIO;
			store_set_error(rc, "s3: PUT %s/%s part %zu: no ETag",
					s->bucket, full, i + 1);
		}
		if (rc == 0 && !(etags[i] = strdup(rs.etag)))
			rc = -ENOMEM;
		resp_reset(&rs);
		if (rc < 0)
			goto fail;
	}
	rc = s3xml_complete_body((const char *const *)etags, nparts, &body,
				 &blen);
	if (rc == 0) {
		struct s3_param pc[] = {{"uploadId", upload_id}};
		struct s3_req crq = {.method = "POST",
				     .key = full,
				     .params = pc,
				     .nparams = 1,
				     .body = body,
				     .body_len = blen,
				     .collect = true,
				     .content_type = "application/xml"};

		rc = s3_do(s, &crq, &rs, 0);
		/* A 200 may still carry an <Error> (S3 sends it late). */
		if (rc == 0 && rs.len &&
		    s3xml_parse_error(rs.body, rs.len, rs.code, sizeof(rs.code),
				      rs.msg, sizeof(rs.msg)) == 0) {
			rc = -EIO;
			store_set_error(rc, "s3: POST %s/%s?uploadId: %s %s",
					s->bucket, full, rs.code, rs.msg);
		}
		resp_reset(&rs);
	}
	if (rc < 0)
		goto fail;
	goto out;
fail : {
	/* Keep the reason for the caller across the abort. */
	char why[512];

	snprintf(why, sizeof(why), "%s", store_strerror(rc));
	s3_abort_upload(s, full, upload_id);
	store_set_error(rc, "%s", why);
}
out:
	if (etags)
		for (i = 0; i < nparts; i++)
			free(etags[i]);
	free(etags);
	free(body);
	free(buf);
	free(upload_id);
	return rc;
}

static int s3_put(struct store *st, const char *key, store_src_fn src,
		  void *arg, uint64_t size, unsigned flags)
{
	struct s3_store *s = s3_from_store(st);
	struct s3_resp rs = {0};
	char *full = full_key(s, key), *buf = NULL;
	int rc;

	if (!full)
		return -ENOMEM;
	if (flags & STORE_PUT_IF_ABSENT) {
		/* Not atomic: the servers here lack If-None-Match on PUT. */
		struct s3_req hrq = {.method = "HEAD", .key = full};

		rc = s3_do(s, &hrq, &rs, 404);
		resp_reset(&rs);
		if (rc == 0) {
			rc = -EEXIST;
			goto out;
		}
		if (rc != -ENOENT)
			goto out;
	}
	if (size > s->part_size) {
		rc = s3_put_multipart(s, full, src, arg, size);
		goto out;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	rc = pull(src, arg, buf, size);
	if (rc < 0) {
		store_set_error(rc, "s3: %s/%s: reading the source: %s",
				s->bucket, full, strerror(-rc));
	} else {
		struct s3_req rq = {.method = "PUT",
				    .key = full,
				    .body = buf,
				    .body_len = size};

		rc = s3_do(s, &rq, &rs, 0);
		resp_reset(&rs);
	}
out:
	free(buf);
	free(full);
	return rc;
}

static int s3_remove(struct store *st, const char *key)
{
	struct s3_store *s = s3_from_store(st);
	struct s3_resp rs = {0};
	struct s3_req rq = {.method = "DELETE"};
	int rc;

	rq.key = full_key(s, key);
	if (!rq.key)
		return -ENOMEM;
	rc = s3_do(s, &rq, &rs, 404);
	resp_reset(&rs);
	free((char *)rq.key);
	return rc;
}

static int s3_remove_many(struct store *st, const char *const *keys, size_t n)
{
	struct s3_store *s = s3_from_store(st);
	struct s3_delete_error *errs = NULL;
	struct s3_resp rs = {0};
	char **full = calloc(n ? n : 1, sizeof(*full)), *body = NULL;
	size_t i, blen, nerr = 0;
	int rc = 0;

	if (!full)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++)
		if (!(full[i] = full_key(s, keys[i])))
			rc = -ENOMEM;
	if (rc == 0)
		rc = s3xml_delete_body((const char *const *)full, n, &body,
				       &blen);
	if (rc == 0) {
		struct s3_param p[] = {{"delete", ""}};
		struct s3_req rq = {.method = "POST",
				    .params = p,
				    .nparams = 1,
				    .body = body,
				    .body_len = blen,
				    .collect = true,
				    .content_type = "application/xml"};

		rc = s3_do(s, &rq, &rs, 0);
		if (rc == 0 &&
		    s3xml_parse_delete_result(rs.body ? rs.body : "", rs.len,
					      &errs, &nerr) < 0) {
			rc = -EIO;
			store_set_error(rc,
					"s3: POST %s/?delete: malformed "
					"DeleteResult",
					s->bucket);
		}
		for (i = 0; rc == 0 && i < nerr; i++) {
			if (strcmp(errs[i].code, "NoSuchKey") == 0)
				continue;
			rc = strcmp(errs[i].code, "AccessDenied") == 0 ? -EACCES
								       : -EIO;
			store_set_error(rc, "s3: delete %s/%s: %s %s",
					s->bucket, errs[i].key, errs[i].code,
					errs[i].message);
		}
		s3xml_delete_errors_free(errs, nerr);
		resp_reset(&rs);
	}
	for (i = 0; i < n; i++)
		free(full[i]);
	free(full);
	free(body);
	return rc;
}

static int s3_copy(struct store *st, const char *from, const char *to)
{
	struct s3_store *s = s3_from_store(st);
	struct s3_resp rs = {0};
	struct s3_req rq = {.method = "PUT", .collect = true};
	char *src = full_key(s, from), *dst = full_key(s, to), *b = NULL;
	char *enc = NULL;
	int rc = -ENOMEM;

	if (!src || !dst)
		goto out;
	b = xasprintf("%s/%s", s->bucket, src);
	enc = b ? s3_encode(b, true) : NULL;
	if (!enc)
		goto out;
	rq.key = dst;
	rq.copy_source = enc;
	rc = s3_do(s, &rq, &rs, 0);
	if (rc == 0 && rs.len &&
	    s3xml_parse_error(rs.body, rs.len, rs.code, sizeof(rs.code), rs.msg,
			      sizeof(rs.msg)) == 0) {
		rc = strcmp(rs.code, "NoSuchKey") == 0 ? -ENOENT : -EIO;
		store_set_error(rc, "s3: copy %s/%s to %s: %s %s", s->bucket,
				src, dst, rs.code, rs.msg);
	}
	/* A missing source is 404 NoSuchKey: -ENOENT as promised. */
	resp_reset(&rs);
out:
	free(enc);
	free(b);
	free(src);
	free(dst);
	return rc;
}

/* ---- open and close ------------------------------------------------------ */

static void s3_close(struct store *st)
{
	struct s3_store *s;
	unsigned i;

	if (!st)
		return;
	s = s3_from_store(st);
	for (i = 0; i < s->nidle; i++)
		curl_easy_cleanup(s->idle[i]);
	if (s->share)
		curl_share_cleanup(s->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->share_lock[i]);
	pthread_mutex_destroy(&s->pool_lock);
	pthread_cond_destroy(&s->pool_cv);
	s3_creds_free(&s->creds);
	free(s->idle);
	free(s->bucket);
	free(s->prefix);
	free(s->base_url);
	free(s->sigv4);
	free(s->ca_file);
	free(s->base.url);
	free(s);
}

static bool all_chars(const char *s, const char *ok)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(ok, *s))
			return false;
	return true;
}

/* DNS-compatible bucket names can go in the host name. */
static bool bucket_dns_ok(const char *b)
{
	const char *p;

	for (p = b; *p; p++)
		if (isupper((unsigned char)*p) || *p == '_')
			return false;
	return strlen(b) >= 3 && strlen(b) <= 63 && !strstr(b, "..");
}

static bool host_is_ip_or_local(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || host[0] == '[' ||
	       strcmp(host, "localhost") == 0;
}

static void init_curl_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Record "URL: why" for store_strerror() and free @s. */
static int open_fail(struct s3_store *s, const char *url, int rc,
		     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int open_fail(struct s3_store *s, const char *url, int rc,
		     const char *fmt, ...)
{
	char msg[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	store_set_error(rc, "%s: %s", url, msg);
	s3_close(&s->base);
	return rc;
}

/* Parse "s3://BUCKET[/PREFIX]" into s->bucket and s->prefix. */
static int parse_url(struct s3_store *s, const char *url)
{
	const char *b = url + 5, *slash = strchr(b, '/');
	size_t blen = slash ? (size_t)(slash - b) : strlen(b);
	const char *p = slash ? slash : "";
	char *prefix, *seg, *save = NULL, *work;
	size_t o = 0;

	s->bucket = strndup(b, blen);
	if (!s->bucket)
		return -ENOMEM;
	if (strchr(s->bucket, '@') || strchr(s->bucket, ':')) {
		store_set_error(-EINVAL, "credentials or a port in the URL "
					 "are not accepted; use endpoint= and "
					 "the AWS environment or a credentials "
					 "file (see snapfs(1))");
		return -EINVAL;
	}
	if (blen == 0 || blen > 255 || !all_chars(s->bucket, "-._")) {
		store_set_error(-EINVAL, "\"%s\" is not a valid bucket name",
				s->bucket);
		return -EINVAL;
	}
	work = strdup(p);
	prefix = malloc(strlen(p) + 2);
	if (!work || !prefix) {
		free(work);
		free(prefix);
		return -ENOMEM;
	}
	for (seg = strtok_r(work, "/", &save); seg;
	     seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0) {
			free(work);
			free(prefix);
			store_set_error(-EINVAL,
					"'.' and '..' are not allowed in "
					"the prefix");
			return -EINVAL;
		}
		memcpy(prefix + o, seg, strlen(seg));
		o += strlen(seg);
		prefix[o++] = '/';
	}
	prefix[o] = '\0';
	free(work);
	s->prefix = prefix;
	return 0;
}

/* Settle endpoint and addressing into s->base_url. */
static int setup_endpoint(struct s3_store *s, const struct store_opts *o,
			  const char *region)
{
	const char *ep = o && o->endpoint ? o->endpoint : NULL;
	const char *mode = o && o->addressing ? o->addressing : "auto";
	char *dflt = NULL, *host, *end, *scheme_end;
	bool is_virtual;
	size_t hl;

	if (!ep)
		ep = getenv("AWS_ENDPOINT_URL_S3");
	if (!ep)
		ep = getenv("AWS_ENDPOINT_URL");
	if (!ep) {
		dflt = xasprintf("https://s3.%s.amazonaws.com", region);
		if (!dflt)
			return -ENOMEM;
		ep = dflt;
	}
	if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0) {
		store_set_error(-EINVAL,
				"endpoint=%s: must start with "
				"http:// or https://",
				ep);
		free(dflt);
		return -EINVAL;
	}
	scheme_end = strstr(ep, "://") + 3;
	hl = strcspn(scheme_end, "/?#");
	if (hl == 0 || memchr(scheme_end, '@', hl) ||
	    strspn(scheme_end + hl, "/") != strlen(scheme_end + hl)) {
		store_set_error(-EINVAL,
				"endpoint=%s: give only "
				"scheme://host[:port], with no path, "
				"query or user name",
				ep);
		free(dflt);
		return -EINVAL;
	}
	host = strndup(scheme_end, hl);
	if (!host) {
		free(dflt);
		return -ENOMEM;
	}
	/* The host without a port, for the auto rule. */
	end = host[0] == '[' ? strchr(host, ']') : strrchr(host, ':');
	if (end && host[0] != '[')
		*end = '\0';
	if (strcmp(mode, "path") == 0) {
		is_virtual = false;
	} else if (strcmp(mode, "virtual") == 0) {
		is_virtual = true;
	} else if (strcmp(mode, "auto") == 0) {
		is_virtual = !host_is_ip_or_local(host) &&
			     bucket_dns_ok(s->bucket) &&
			     !(strncmp(ep, "https", 5) == 0 &&
			       strchr(s->bucket, '.'));
	} else {
		store_set_error(-EINVAL,
				"addressing=%s: use path, virtual "
				"or auto",
				mode);
		free(host);
		free(dflt);
		return -EINVAL;
	}
	free(host);
	if (is_virtual && !bucket_dns_ok(s->bucket)) {
		store_set_error(-EINVAL,
				"addressing=virtual: bucket name %s "
				"cannot be part of a host name; use "
				"addressing=path",
				s->bucket);
		free(dflt);
		return -EINVAL;
	}
	if (is_virtual)
		s->base_url = xasprintf("%.*s%s.%.*s", (int)(scheme_end - ep),
					ep, s->bucket, (int)hl, scheme_end);
	else
		s->base_url = xasprintf("%.*s/%s", (int)(scheme_end - ep + hl),
					ep, s->bucket);
	free(dflt);
	return s->base_url ? 0 : -ENOMEM;
}

static int first_key(const struct store_entry *e, void *arg)
{
	return 1;
}

static int s3_open(const char *url, const struct store_opts *o,
		   struct store **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct s3_creds_opts co = {0};
	struct s3_store *s;
	const char *region;
	char err[400] = "";
	unsigned i;
	int rc;

	if (strncmp(url, "s3://", 5) != 0)
		return -EINVAL;
	pthread_once(&once, init_curl_once);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &store_s3_ops;
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_cond_init(&s->pool_cv, NULL);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->share_lock[i], NULL);
	rc = parse_url(s, url);
	if (rc < 0) {
		char why[480];

		snprintf(why, sizeof(why), "%s", store_strerror(rc));
		return open_fail(s, url, rc, "%s", why);
	}
	/* Display form, like file:// URLs: no trailing slash. */
	s->base.url = xasprintf(
		"s3://%s%s%.*s", s->bucket, *s->prefix ? "/" : "",
		(int)(*s->prefix ? strlen(s->prefix) - 1 : 0), s->prefix);
	if (!s->base.url)
		return open_fail(s, url, -ENOMEM, "out of memory");

	region = o && o->region ? o->region : getenv("AWS_REGION");
	if (!region)
		region = getenv("AWS_DEFAULT_REGION");
	if (!region || !*region)
		region = "us-east-1";
	if (!all_chars(region, "-_"))
		return open_fail(s, url, -EINVAL,
				 "region=%s: not a region name", region);
	s->sigv4 = xasprintf("aws:amz:%s:s3", region);
	if (!s->sigv4)
		return open_fail(s, url, -ENOMEM, "out of memory");
	rc = setup_endpoint(s, o, region);
	if (rc < 0) {
		char why[480];

		snprintf(why, sizeof(why), "%s", store_strerror(rc));
		return open_fail(s, url, rc, "%s", why);
	}

	s->insecure = o && o->no_check_certificate;
	if (o && o->ca_file) {
		if (access(o->ca_file, R_OK) < 0)
			return open_fail(s, url, -errno, "ca_file=%s: %s",
					 o->ca_file, strerror(errno));
		if (!(s->ca_file = strdup(o->ca_file)))
			return open_fail(s, url, -ENOMEM, "out of memory");
	}
	s->max_conns =
		o && o->connections ? o->connections : DEFAULT_CONNECTIONS;
	s->part_size = o && o->part_size ? o->part_size : DEFAULT_PART_SIZE;
	if (s->part_size < MIN_PART_SIZE || s->part_size > MAX_PART_SIZE)
		return open_fail(s, url, -EINVAL,
				 "part_size=%" PRIu64 ": must be between "
				 "5 MiB and 5 GiB (S3's limits)",
				 s->part_size);
	s->list_page = o && o->list_page ? o->list_page : DEFAULT_LIST_PAGE;
	if (s->list_page > 1000)
		return open_fail(s, url, -EINVAL,
				 "list_page=%u: S3 returns at most 1000 keys "
				 "per page",
				 s->list_page);
	s->retries = o && o->retries_set ? o->retries : DEFAULT_RETRIES;
	s->retry_base_ms = o && o->retry_base_ms ? o->retry_base_ms
						 : DEFAULT_RETRY_BASE_MS;
	s->timeout = o && o->timeout ? o->timeout : DEFAULT_TIMEOUT;
	s->idle = calloc(s->max_conns, sizeof(*s->idle));
	s->share = curl_share_init();
	if (!s->idle || !s->share)
		return open_fail(s, url, -ENOMEM, "out of memory");
	curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
	curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(s->share, CURLSHOPT_SHARE,
			  CURL_LOCK_DATA_SSL_SESSION);

	co.passwd_file = o ? o->passwd_file : NULL;
	co.profile = o ? o->profile : NULL;
	co.bucket = s->bucket;
	rc = s3_creds_load(&co, err, sizeof(err), &s->creds);
	if (rc < 0)
		return open_fail(s, url, rc, "credentials: %s", err);

	/* One small listing proves the endpoint, bucket and credentials. */
	rc = s3_list_full(s, s->prefix, "/", 1, first_key, NULL);
	if (rc < 0) {
		char why[480];

		snprintf(why, sizeof(why), "%s", store_strerror(rc));
		if (rc == -EACCES)
			return open_fail(s, url, rc,
					 "authentication failed (credentials "
					 "from %s): %s",
					 s->creds.source, why);
		if (rc == -ENOENT)
			return open_fail(s, url, rc, "no such bucket: %s", why);
		return open_fail(s, url, rc, "%s", why);
	}
	snap_log(LOG_INFO, "s3: %s via %s, credentials from %s", s->base.url,
		 s->base_url, s->creds.source);
	*out = &s->base;
	return 0;
}

const struct store_ops store_s3_ops = {
	.scheme = "s3",
	.caps = STORE_CAP_RANGE_READ | STORE_CAP_WRITE | STORE_CAP_REMOTE |
		STORE_CAP_SERVER_COPY,
	.open = s3_open,
	.close = s3_close,
	.list = s3_list,
	.stat = s3_stat,
	.read = s3_read,
	.put = s3_put,
	.remove = s3_remove,
	.remove_many = s3_remove_many,
	.copy = s3_copy,
};
