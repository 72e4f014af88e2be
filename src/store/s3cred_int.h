/* SPDX-License-Identifier: MIT */
/*
 * s3cred_int.h - where S3 credentials come from.
 *
 * Credentials are never taken from the command line or the URL. Sources,
 * first match wins:
 *   1. passwd_file= (s3fs format, below), if given;
 *   2. profile= in the AWS shared credentials file, if given;
 *   3. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *   4. the profile named by AWS_PROFILE, else "default", in the shared
 *      credentials file ($AWS_SHARED_CREDENTIALS_FILE, else
 *      $HOME/.aws/credentials), if the file exists;
 *   5. $HOME/.passwd-s3fs, then /etc/passwd-s3fs, if they exist.
 *
 * Password file: one entry per line, '#' starts a comment line, blank
 * lines are ignored. "KEY:SECRET" is the default entry; "BUCKET:KEY:SECRET"
 * applies to that bucket only and wins over the default. The secret is
 * everything after the last ':'. A key that itself contains ':' (Swift's
 * "account:user") must be written in the bucket form, e.g.
 * "mybucket:test:tester:testing". The file must not be readable or
 * writable by group or others (as s3fs demands).
 *
 * Credentials file: INI with [profile] sections and aws_access_key_id,
 * aws_secret_access_key, aws_session_token keys ('#' and ';' comments,
 * spaces around '=' allowed).
 *
 * Error messages name the source and the problem, never a secret.
 */
#ifndef SNAPFS_S3CRED_H
#define SNAPFS_S3CRED_H

#include <stddef.h>

struct s3_creds {
	char *access_key;
	char *secret_key;
	char *session_token; /**< NULL if none */
	char source[160];    /**< e.g. "environment (AWS_ACCESS_KEY_ID)",
				"profile test in /root/.aws/credentials",
				"password file /etc/passwd-s3fs" */
};

struct s3_creds_opts {
	const char *passwd_file; /**< NULL: not given */
	const char *profile;	 /**< NULL: not given */
	const char *bucket;	 /**< for bucket-specific passwd entries */
};

/**
 * Find credentials. Reads the environment (getenv) and files only.
 * @param[out] err message naming the source and the problem; no secrets.
 * @param[out] out free with s3_creds_free(); set only on success.
 * @return 0; -ENOENT no source has credentials (or the named profile /
 *         bucket entry is missing); -EACCES the password file is readable
 *         by others, or unreadable; -EINVAL a malformed file; -ENOMEM.
 */
int s3_creds_load(const struct s3_creds_opts *o, char *err, size_t errlen,
		  struct s3_creds *out);

/** Wipe (explicit_bzero) and free the strings; the struct is zeroed. */
void s3_creds_free(struct s3_creds *c);

#endif
