/* SPDX-License-Identifier: MIT */
/*
 * s3put.c - writing an object to s3://: one PUT up to part_size, else a
 * multipart upload (start, parts, complete; abort on failure).
 *
 * Each request here is retried by this backend, with the retry layer's
 * policy (s3req_do_retry()): the body of each is in memory (the object,
 * or one part), so it can be sent again, while the caller's source could
 * not be read again by a layer above. See retry.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "s3_int.h"
#include "s3xml_int.h"

#include "base/banned.h"

/* One multipart upload in progress. */
struct upload {
	struct s3_store *s;
	const char *full;
	char *id; /* UploadId */
	char **etags;
	size_t nparts;
	uint64_t part; /* bytes per part but the last */
};

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
	int rc = s3req_do_retry(s, &rq, &rs, 0);

	s3req_resp_reset(&rs);
	if (rc < 0)
		snap_log(LOG_WARNING,
			 "s3: abort of multipart upload of %s/%s: %s "
			 "(a lifecycle rule must clean it up)",
			 s->bucket, full, store_strerror(rc));
	return rc;
}

/* Start the upload of @size bytes: choose the part size, get the id. */
static int upload_start(struct upload *u, uint64_t size)
{
	struct s3_param pinit[] = {{"uploads", ""}};
	struct s3_req rq = {.method = "POST",
			    .key = u->full,
			    .params = pinit,
			    .nparams = 1,
			    .collect = true,
			    .content_type = "application/octet-stream"};
	struct s3_resp rs = {0};
	int rc;

	u->part = u->s->part_size;
	if ((size + u->part - 1) / u->part > S3_MAX_PARTS)
		u->part = (size + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
	u->nparts = (size_t)((size + u->part - 1) / u->part);
	rc = s3req_do_retry(u->s, &rq, &rs, 0);
	if (rc == 0 &&
	    s3xml_parse_upload_id(rs.body ? rs.body : "", rs.len, &u->id) < 0) {
		rc = -EIO;
		store_set_error(rc,
				"s3: POST %s/%s?uploads: no UploadId "
				"in the answer",
				u->s->bucket, u->full);
	}
	s3req_resp_reset(&rs);
	if (rc == 0) {
		u->etags = calloc(u->nparts, sizeof(*u->etags));
		if (!u->etags)
			rc = -ENOMEM;
	}
	return rc;
}

/* Send part @i (from 0) of @blen bytes in @buf; keep its ETag. */
static int upload_part(struct upload *u, size_t i, const char *buf, size_t blen)
{
	char num[16];
	struct s3_param pp[] = {{"partNumber", num}, {"uploadId", u->id}};
	struct s3_req prq = {.method = "PUT",
			     .key = u->full,
			     .params = pp,
			     .nparams = 2,
			     .body = buf,
			     .body_len = blen};
	struct s3_resp rs = {0};
	int rc;

	snprintf(num, sizeof(num), "%zu", i + 1);
	rc = s3req_do_retry(u->s, &prq, &rs, 0);
	if (rc == 0 && !rs.etag[0]) {
		rc = -EIO;
		store_set_error(rc, "s3: PUT %s/%s part %zu: no ETag",
				u->s->bucket, u->full, i + 1);
	}
	if (rc == 0 && !(u->etags[i] = strdup(rs.etag)))
		rc = -ENOMEM;
	s3req_resp_reset(&rs);
	return rc;
}

/* Complete the upload from the parts' ETags. */
static int upload_complete(struct upload *u)
{
	struct s3_param pc[] = {{"uploadId", u->id}};
	struct s3_req crq = {.method = "POST",
			     .key = u->full,
			     .params = pc,
			     .nparams = 1,
			     .collect = true,
			     .content_type = "application/xml"};
	struct s3_resp rs = {0};
	char *body = NULL;
	size_t blen;
	int rc;

	rc = s3xml_complete_body((const char *const *)u->etags, u->nparts,
				 &body, &blen);
	if (rc < 0)
		return rc;
	crq.body = body;
	crq.body_len = blen;
	rc = s3req_do_retry(u->s, &crq, &rs, 0);
	/* A 200 may still carry an <Error> (S3 sends it late). */
	if (rc == 0 && rs.len &&
	    s3xml_parse_error(rs.body, rs.len, rs.code, sizeof(rs.code), rs.msg,
			      sizeof(rs.msg)) == 0) {
		rc = -EIO;
		store_set_error(rc, "s3: POST %s/%s?uploadId: %s %s",
				u->s->bucket, u->full, rs.code, rs.msg);
	}
	s3req_resp_reset(&rs);
	free(body);
	return rc;
}

/* Send @size bytes from @src as a multipart upload of @full. */
static int s3_put_multipart(struct s3_store *s, const char *full,
			    store_src_fn src, void *arg, uint64_t size)
{
	struct upload u = {.s = s, .full = full};
	uint64_t done = 0;
	char *buf = NULL;
	size_t i, blen;
	int rc;

	rc = upload_start(&u, size);
	if (rc < 0 && !u.id)
		return rc;
	if (rc == 0 && !(buf = malloc(u.part)))
		rc = -ENOMEM;
	for (i = 0; rc == 0 && i < u.nparts; i++, done += blen) {
		blen = (size_t)(size - done < u.part ? size - done : u.part);
		rc = pull(src, arg, buf, blen);
		if (rc < 0)
			store_set_error(rc,
					"s3: %s/%s: reading the source "
					"for part %zu: %s",
					s->bucket, full, i + 1, strerror(-rc));
		else
			rc = upload_part(&u, i, buf, blen);
	}
	if (rc == 0)
		rc = upload_complete(&u);
	if (rc < 0) {
		/* Keep the reason for the caller across the abort. */
		struct store_error_state e;

		store_error_save(&e);
		s3_abort_upload(s, full, u.id);
		store_error_restore(&e);
	}
	if (u.etags)
		for (i = 0; i < u.nparts; i++)
			free(u.etags[i]);
	free(u.etags);
	free(buf);
	free(u.id);
	return rc;
}

int s3put_object(struct s3_store *s, const char *key, store_src_fn src,
		 void *arg, uint64_t size, unsigned flags)
{
	struct s3_resp rs = {0};
	char *full = s3req_full_key(s, key), *buf = NULL;
	int rc;

	if (!full)
		return -ENOMEM;
	if (flags & STORE_PUT_IF_ABSENT) {
		/* Not atomic: the servers here lack If-None-Match on PUT. */
		struct s3_req hrq = {.method = "HEAD", .key = full};

		rc = s3req_do_retry(s, &hrq, &rs, 404);
		s3req_resp_reset(&rs);
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

		rc = s3req_do_retry(s, &rq, &rs, 0);
		s3req_resp_reset(&rs);
	}
out:
	free(buf);
	free(full);
	return rc;
}
