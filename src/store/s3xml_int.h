/* SPDX-License-Identifier: MIT */
/*
 * s3xml_int.h - the S3 REST XML documents snapfs reads and writes.
 *
 * Parsing is expat; nothing here does I/O or knows about HTTP. Every parser
 * takes a byte buffer that need not be NUL-terminated, treats hostile input
 * (truncated, deeply nested, oversized, wrong root element) as -EBADMSG and
 * never reads outside it. Element names are matched without namespace.
 */
#ifndef SNAPFS_S3XML_H
#define SNAPFS_S3XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One key or common prefix of a ListObjectsV2 page. */
struct s3_list_item {
	char *key;     /**< full key (Key or CommonPrefixes/Prefix) */
	uint64_t size; /**< Size; 0 for a prefix */
	int64_t mtime; /**< LastModified as seconds since the epoch; 0 if absent
			*/
	bool is_prefix; /**< from CommonPrefixes */
};

/** One ListObjectsV2 response (ListBucketResult). */
struct s3_list_page {
	struct s3_list_item *items; /**< Contents and CommonPrefixes merged in
				       ascending byte order of key */
	size_t n;
	bool truncated;	  /**< IsTruncated was "true" */
	char *next_token; /**< NextContinuationToken, or NULL */
};

/**
 * Parse a ListBucketResult.
 * @param[out] out free with s3xml_list_free(); set only on success.
 * @return 0; -EBADMSG malformed or not a ListBucketResult; -ENOMEM.
 */
int s3xml_parse_list(const char *xml, size_t len, struct s3_list_page *out);
void s3xml_list_free(struct s3_list_page *p);

/**
 * If the document's root element is <Error>, copy its Code and Message
 * (truncated to fit, always NUL-terminated; "" when absent).
 * @return 0 it is an Error document; -ENOENT it is well-formed XML with
 *         another root (e.g. CopyObjectResult); -EBADMSG not XML.
 */
int s3xml_parse_error(const char *xml, size_t len, char *code, size_t codelen,
		      char *msg, size_t msglen);

/**
 * UploadId of an InitiateMultipartUploadResult.
 * @param[out] upload_id caller frees.
 * @return 0; -EBADMSG malformed, other root, or no UploadId; -ENOMEM.
 */
int s3xml_parse_upload_id(const char *xml, size_t len, char **upload_id);

/** One <Error> of a DeleteResult. */
struct s3_delete_error {
	char *key;
	char *code;
	char *message;
};

/**
 * The <Error> entries of a DeleteResult (Quiet mode lists only failures).
 * @param[out] errs caller frees with s3xml_delete_errors_free(); NULL if n==0.
 * @return 0; -EBADMSG malformed or another root; -ENOMEM.
 */
int s3xml_parse_delete_result(const char *xml, size_t len,
			      struct s3_delete_error **errs, size_t *n);
void s3xml_delete_errors_free(struct s3_delete_error *errs, size_t n);

/**
 * Body of a DeleteObjects request in Quiet mode:
 * <Delete><Quiet>true</Quiet><Object><Key>..</Key></Object>...</Delete>,
 * keys XML-escaped.
 * @param[out] body caller frees; @len its length.
 * @return 0; -EINVAL n == 0, n > 1000, or a key that XML 1.0 cannot carry
 *         (control characters other than tab/newline/CR); -ENOMEM.
 */
int s3xml_delete_body(const char *const *keys, size_t n, char **body,
		      size_t *len);

/**
 * Body of CompleteMultipartUpload for parts 1..n with the given ETags
 * (as the server sent them, quotes included), XML-escaped.
 * @return 0; -EINVAL n == 0 or n > 10000; -ENOMEM.
 */
int s3xml_complete_body(const char *const *etags, size_t n, char **body,
			size_t *len);

/**
 * Parse an ISO 8601 UTC time as S3 writes it ("2026-11-22T04:16:22.000Z",
 * fraction optional) into seconds since the epoch.
 * @return 0; -EINVAL.
 */
int s3xml_parse_time(const char *s, int64_t *out);

#endif
