/* SPDX-License-Identifier: MIT */
/*
 * store_s3.c - the s3:// backend: any S3-compatible object store.
 *
 * URL form: s3://BUCKET[/PREFIX]. Keys of the store are relative to
 * PREFIX/. This file has the ops but put (s3put.c) and opening: URL,
 * endpoint and addressing, credentials, and a first listing that proves
 * them. One request is s3req.c's.
 *
 * Each op makes one attempt and leaves the reason for a failure, marked
 * transient when it may pass, with store_set_error(); store_open() puts
 * the retry layer (retry.c) on top. The requests of a put and the probe
 * at open are retried here, with the same policy, as no layer above can
 * repeat them (see retry.c).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "s3_int.h"
#include "s3xml_int.h"

#include "base/banned.h"

#define DEFAULT_CONNECTIONS 16
#define DEFAULT_LIST_PAGE   1000
#define DEFAULT_TIMEOUT	    30

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
		rc = s3req_do(s, &rq, &rs, 0);
		if (rc == 0) {
			rc = s3xml_parse_list(rs.body ? rs.body : "", rs.len,
					      &pg);
			if (rc < 0)
				store_set_error(rc,
						"s3: GET %s/?list-type=2: "
						"malformed ListBucketResult",
						s->bucket);
		}
		s3req_resp_reset(&rs);
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
	char *full = s3req_full_key(s, prefix);
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
	char *full = s3req_full_key(s, key);
	int rc;

	if (!full)
		return -ENOMEM;
	rq.key = full;
	rc = s3req_do(s, &rq, &rs, 404);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		out->size = rs.length;
		out->mtime = rs.mtime > 0 ? rs.mtime : 0;
	}
	s3req_resp_reset(&rs);
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
	full = s3req_full_key(s, key);
	if (!full)
		return -ENOMEM;
	snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off,
		 off + len - 1);
	rq.key = full;
	rq.range = range;
	rc = s3req_do(s, &rq, &rs, 416);
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
	s3req_resp_reset(&rs);
	free(full);
	return rc;
}

static int s3_remove(struct store *st, const char *key)
{
	struct s3_store *s = s3_from_store(st);
	struct s3_resp rs = {0};
	struct s3_req rq = {.method = "DELETE"};
	int rc;

	rq.key = s3req_full_key(s, key);
	if (!rq.key)
		return -ENOMEM;
	rc = s3req_do(s, &rq, &rs, 404);
	s3req_resp_reset(&rs);
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
		if (!(full[i] = s3req_full_key(s, keys[i])))
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

		rc = s3req_do(s, &rq, &rs, 0);
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
		s3req_resp_reset(&rs);
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
	char *src = s3req_full_key(s, from), *dst = s3req_full_key(s, to),
	     *b = NULL;
	char *enc = NULL;
	int rc = -ENOMEM;

	if (!src || !dst)
		goto out;
	b = s3req_asprintf("%s/%s", s->bucket, src);
	enc = b ? s3req_encode(b, true) : NULL;
	if (!enc)
		goto out;
	rq.key = dst;
	rq.copy_source = enc;
	rc = s3req_do(s, &rq, &rs, 0);
	if (rc == 0 && rs.len &&
	    s3xml_parse_error(rs.body, rs.len, rs.code, sizeof(rs.code), rs.msg,
			      sizeof(rs.msg)) == 0) {
		rc = strcmp(rs.code, "NoSuchKey") == 0 ? -ENOENT : -EIO;
		store_set_error(rc, "s3: copy %s/%s to %s: %s %s", s->bucket,
				src, dst, rs.code, rs.msg);
	}
	/* A missing source is 404 NoSuchKey: -ENOENT as promised. */
	s3req_resp_reset(&rs);
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

	if (!st)
		return;
	s = s3_from_store(st);
	s3req_release(s);
	s3_creds_free(&s->creds);
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
		dflt = s3req_asprintf("https://s3.%s.amazonaws.com", region);
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
		s->base_url =
			s3req_asprintf("%.*s%s.%.*s", (int)(scheme_end - ep),
				       ep, s->bucket, (int)hl, scheme_end);
	else
		s->base_url = s3req_asprintf(
			"%.*s/%s", (int)(scheme_end - ep + hl), ep, s->bucket);
	free(dflt);
	return s->base_url ? 0 : -ENOMEM;
}

static int first_key(const struct store_entry *e, void *arg)
{
	return 1;
}

static int probe_attempt(void *arg)
{
	struct s3_store *s = arg;

	return s3_list_full(s, s->prefix, "/", 1, first_key, NULL);
}

/* Region, endpoint, TLS and the numeric settings of @o into @s. */
static int open_settings(struct s3_store *s, const char *url,
			 const struct store_opts *o)
{
	const char *region;
	int rc;

	region = o && o->region ? o->region : getenv("AWS_REGION");
	if (!region)
		region = getenv("AWS_DEFAULT_REGION");
	if (!region || !*region)
		region = "us-east-1";
	if (!all_chars(region, "-_"))
		return open_fail(s, url, -EINVAL,
				 "region=%s: not a region name", region);
	s->sigv4 = s3req_asprintf("aws:amz:%s:s3", region);
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
	s->part_size = o && o->part_size ? o->part_size : S3_DEFAULT_PART_SIZE;
	if (s->part_size < S3_MIN_PART_SIZE || s->part_size > S3_MAX_PART_SIZE)
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
	store_retry_policy_init(&s->retry, o);
	s->timeout = o && o->timeout ? o->timeout : DEFAULT_TIMEOUT;
	return 0;
}

/* Credentials, then one small listing that proves the endpoint, bucket
 * and credentials. */
static int open_connect(struct s3_store *s, const char *url,
			const struct store_opts *o)
{
	struct s3_creds_opts co = {0};
	char err[400] = "", why[480];
	int rc;

	co.passwd_file = o ? o->passwd_file : NULL;
	co.profile = o ? o->profile : NULL;
	co.bucket = s->bucket;
	rc = s3_creds_load(&co, err, sizeof(err), &s->creds);
	if (rc < 0)
		return open_fail(s, url, rc, "credentials: %s", err);
	rc = store_retry_run(&s->retry, probe_attempt, s);
	if (rc >= 0)
		return 0;
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

static int s3_open(const char *url, const struct store_opts *o,
		   struct store **out)
{
	struct s3_store *s;
	int rc;

	if (strncmp(url, "s3://", 5) != 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &store_s3_ops;
	s->base.caps = store_s3_ops.caps;
	rc = parse_url(s, url);
	if (rc < 0) {
		char why[480];

		snprintf(why, sizeof(why), "%s", store_strerror(rc));
		return open_fail(s, url, rc, "%s", why);
	}
	/* Display form, like file:// URLs: no trailing slash. */
	s->base.url = s3req_asprintf(
		"s3://%s%s%.*s", s->bucket, *s->prefix ? "/" : "",
		(int)(*s->prefix ? strlen(s->prefix) - 1 : 0), s->prefix);
	if (!s->base.url)
		return open_fail(s, url, -ENOMEM, "out of memory");
	rc = open_settings(s, url, o);
	if (rc < 0)
		return rc;
	if (s3req_init(s) < 0)
		return open_fail(s, url, -ENOMEM, "out of memory");
	rc = open_connect(s, url, o);
	if (rc < 0)
		return rc;
	snap_log(LOG_INFO, "s3: %s via %s, credentials from %s", s->base.url,
		 s->base_url, s->creds.source);
	*out = &s->base;
	return 0;
}

static int s3_put(struct store *st, const char *key, store_src_fn src,
		  void *arg, uint64_t size, unsigned flags)
{
	return s3put_object(s3_from_store(st), key, src, arg, size, flags);
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
