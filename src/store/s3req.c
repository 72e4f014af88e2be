/* SPDX-License-Identifier: MIT */
/*
 * s3req.c - one S3 request: its URL and headers, the pool of curl handles
 * that send it, and what its answer means.
 *
 * Requests are signed by libcurl itself (CURLOPT_AWS_SIGV4); this file only
 * builds what curl 7.88 leaves to the caller (see
 * shared/reference/test-servers.md):
 *   - the query string in canonical form: parameters sorted by name,
 *     names and values RFC 3986-encoded, valueless ones written "name=";
 *   - every path segment RFC 3986-encoded, '/' kept between segments;
 *   - x-amz-content-sha256 on every request (the real SHA-256 of the
 *     body; Swift checks it), Content-MD5 on every body;
 *   - no "Expect:" suppression header (curl signs but drops it).
 *
 * Each thread takes a curl handle from a pool and gives it back, so
 * connections stay open across requests; DNS and TLS sessions are shared.
 * A transfer in which no byte moves for s3_timeout seconds is aborted by
 * the progress callback (the stall watchdog).
 *
 * HTTP statuses, S3 error codes and curl errors become an errno in exactly
 * one place, s3_errno(), and whether they may pass in s3_transient(); the
 * retrying itself is the retry layer's (retry.c). Credentials never
 * appear in the URL, the display URL, a log line or an error message.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "s3_int.h"
#include "s3xml_int.h"

#include "base/banned.h"

#define MAX_RESPONSE (64U << 20) /* largest body we collect */

/* SHA-256 of the empty string, the payload hash of a body-less request. */
static const char EMPTY_SHA256[] =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

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

/* ---- the only place statuses become errnos ----------------------------- */

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

char *s3req_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

char *s3req_encode(const char *s, bool keep_slash)
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
		path = s3req_encode(rq->key, true);
		if (!path)
			return NULL;
	}
	if (rq->nparams) {
		/* The signature covers the query exactly as written. */
		char *parts[8];

		if (rq->nparams > 8)
			abort();
		for (i = 0; i < rq->nparams; i++) {
			char *n = s3req_encode(rq->params[i].name, false);
			char *v = s3req_encode(rq->params[i].value, false);

			parts[i] =
				n && v ? s3req_asprintf("%s=%s", n, v) : NULL;
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
	url = s3req_asprintf("%s%s%s%s%s", s->base_url, path ? "/" : "",
			     path ? path : "", query ? "?" : "",
			     query ? query : "");
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

void s3req_resp_reset(struct s3_resp *rs)
{
	free(rs->body);
	memset(rs, 0, sizeof(*rs));
}

/* The headers of @rq: payload hash and MD5, type, copy source, token.
 * @return the list, or NULL when out of memory. */
static struct curl_slist *s3_headers(struct s3_store *s,
				     const struct s3_req *rq)
{
	struct curl_slist *hdrs = NULL, *t = NULL;
	char sha[SHA256_HEX_LEN + 1], md5[MD5_B64_LEN + 1], line[512];
	char *hl;

	if (rq->body) {
		if (sha256_hex(rq->body, rq->body_len, sha) < 0 ||
		    md5_base64(rq->body, rq->body_len, md5) < 0)
			return NULL;
	} else {
		memcpy(sha, EMPTY_SHA256, sizeof(EMPTY_SHA256));
	}
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s", sha);
	if (!(hdrs = curl_slist_append(hdrs, line)))
		return NULL;
	if (rq->body) {
		snprintf(line, sizeof(line), "Content-MD5: %s", md5);
		if (!(t = curl_slist_append(hdrs, line)))
			goto fail;
	}
	if (rq->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 rq->content_type);
		if (!(t = curl_slist_append(hdrs, line)))
			goto fail;
	}
	if (rq->copy_source) {
		hl = s3req_asprintf("x-amz-copy-source: %s", rq->copy_source);
		t = hl ? curl_slist_append(hdrs, hl) : NULL;
		free(hl);
		if (!t)
			goto fail;
	}
	if (s->creds.session_token) {
		hl = s3req_asprintf("x-amz-security-token: %s",
				    s->creds.session_token);
		t = hl ? curl_slist_append(hdrs, hl) : NULL;
		if (hl) {
			explicit_bzero(hl, strlen(hl));
			free(hl);
		}
		if (!t)
			goto fail;
	}
	return hdrs;
fail:
	curl_slist_free_all(hdrs);
	return NULL;
}

/* Set up handle @h for @rq: URL, signing, TLS, callbacks, method. */
static void s3_setopts(struct s3_store *s, CURL *h, const struct s3_req *rq,
		       const char *url, struct curl_slist *hdrs, struct xfer *x)
{
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
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->rs->cerr);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)s->timeout);
	/* curl's LOW_SPEED check averages over seconds, so a small upload
	 * followed by a dead server takes far longer than the timeout to
	 * notice; the progress callback measures the stall itself. */
	x->timeout = s->timeout;
	clock_gettime(CLOCK_MONOTONIC, &x->last_move);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->insecure ? 0L : 2L);
	if (s->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (rq->range)
		curl_easy_setopt(h, CURLOPT_RANGE, rq->range);
	if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	} else if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
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
}

static CURLcode s3_perform(struct s3_store *s, CURL *h, const struct s3_req *rq,
			   struct s3_resp *rs)
{
	struct curl_slist *hdrs;
	struct xfer x = {.h = h, .rq = rq, .rs = rs};
	char *url = s3_url(s, rq);
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	curl_off_t len = -1, ft = -1;

	if (!url)
		return CURLE_OUT_OF_MEMORY;
	hdrs = s3_headers(s, rq);
	if (!hdrs)
		goto out;
	s3_setopts(s, h, rq, url, hdrs, &x);
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

int s3req_do(struct s3_store *s, const struct s3_req *rq, struct s3_resp *rs,
	     long quiet_status)
{
	char reason[400];
	CURL *h = handle_get(s);
	CURLcode cc;
	int rc;

	s3req_resp_reset(rs);
	if (!h)
		return -ENOMEM;
	cc = s3_perform(s, h, rq, rs);
	/* A handle whose transfer broke may hold a dead connection. */
	handle_put(s, h, cc == CURLE_OK);
	rc = s3_errno(cc, rs);
	if (rc == 0)
		return 0;
	s3_reason(cc, rs, reason, sizeof(reason));
	store_set_error(rc, "s3: %s %s/%s: %s", rq->method, s->bucket,
			key_or_bucket(rq), reason);
	if (s3_transient(cc, rs))
		store_set_transient(rc);
	if (rs->status != quiet_status)
		snap_log(LOG_DEBUG, "%s", store_strerror(rc));
	return rc;
}

struct do_call {
	struct s3_store *s;
	const struct s3_req *rq;
	struct s3_resp *rs;
	long quiet_status;
};

static int do_attempt(void *arg)
{
	struct do_call *c = arg;

	return s3req_do(c->s, c->rq, c->rs, c->quiet_status);
}

int s3req_do_retry(struct s3_store *s, const struct s3_req *rq,
		   struct s3_resp *rs, long quiet_status)
{
	struct do_call c = {s, rq, rs, quiet_status};

	return store_retry_run(&s->retry, do_attempt, &c);
}

char *s3req_full_key(struct s3_store *s, const char *key)
{
	return s3req_asprintf("%s%s", s->prefix, key);
}

static void init_curl_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int s3req_init(struct s3_store *s)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	unsigned i;

	pthread_once(&once, init_curl_once);
	s->req_ready = true;
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_cond_init(&s->pool_cv, NULL);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->share_lock[i], NULL);
	s->idle = calloc(s->max_conns, sizeof(*s->idle));
	s->share = curl_share_init();
	if (!s->idle || !s->share)
		return -ENOMEM;
	curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
	curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(s->share, CURLSHOPT_SHARE,
			  CURL_LOCK_DATA_SSL_SESSION);
	return 0;
}

void s3req_release(struct s3_store *s)
{
	unsigned i;

	if (!s->req_ready)
		return;
	for (i = 0; i < s->nidle; i++)
		curl_easy_cleanup(s->idle[i]);
	if (s->share)
		curl_share_cleanup(s->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->share_lock[i]);
	pthread_mutex_destroy(&s->pool_lock);
	pthread_cond_destroy(&s->pool_cv);
	free(s->idle);
}
