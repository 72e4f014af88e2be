/* SPDX-License-Identifier: MIT */
/*
 * s3cred.c - find S3 credentials in the password file, the AWS shared
 * credentials file or the environment, in the order s3cred.h gives.
 *
 * Files are read whole into a buffer that is wiped before it is freed.
 * Error messages are built from paths, line numbers, profile and bucket
 * names and fixed words only, never from the content of a line, so no
 * secret can end up in one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3cred_int.h"

#include "base/banned.h"

/* Credential files are a few lines; anything bigger is not one. */
#define CRED_FILE_MAX (1u << 20)
#define ETC_PASSWD    "/etc/passwd-s3fs"

struct cerr {
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int cfail(struct cerr *ce, int rc,
						       const char *fmt, ...)
{
	va_list ap;

	if (!ce->err || ce->errlen == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(ce->err, ce->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* An environment variable, with "" taken as unset (as the AWS CLI does). */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

static void wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	explicit_bzero(s, len);
	free(s);
}

static void wipe_free_str(char *s)
{
	if (s)
		wipe_free(s, strlen(s));
}

/*
 * Read @path (a @what, for messages) into a NUL-terminated buffer. With
 * @private, group and others must have no access to it. Returns 0,
 * -ENOENT it does not exist (*missing set, no message), -EACCES, -EINVAL
 * or -ENOMEM. Free *buf with wipe_free(*buf, *len + 1).
 */
static int read_file(struct cerr *ce, const char *what, const char *path,
		     bool private, bool *missing, char **buf, size_t *len)
{
	size_t n = 0, cap;
	struct stat sb;
	char *b = NULL;
	ssize_t r;
	int fd, rc = 0;

	*missing = false;
	/* O_NONBLOCK: a FIFO must not hang us; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*missing = true;
			return -ENOENT;
		}
		if (errno == ENOMEM)
			return cfail(ce, -ENOMEM, "%s %s: %s", what, path,
				     strerror(errno));
		return cfail(ce, -EACCES, "%s %s: cannot open: %s", what, path,
			     strerror(errno));
	}
	if (fstat(fd, &sb) < 0) {
		rc = cfail(ce, -EACCES, "%s %s: %s", what, path,
			   strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = cfail(ce, -EINVAL, "%s %s: not a regular file", what,
			   path);
		goto out;
	}
	if (private && (sb.st_mode & 077)) {
		rc = cfail(ce, -EACCES,
			   "%s %s: group or others have access (mode %04o); "
			   "run chmod 600 %s",
			   what, path, (unsigned)(sb.st_mode & 07777), path);
		goto out;
	}
	if (sb.st_size > (off_t)CRED_FILE_MAX) {
		rc = cfail(ce, -EINVAL, "%s %s: larger than %u bytes", what,
			   path, CRED_FILE_MAX);
		goto out;
	}
	cap = (size_t)sb.st_size + 1;
	b = malloc(cap);
	if (!b) {
		rc = cfail(ce, -ENOMEM, "%s %s: out of memory", what, path);
		goto out;
	}
	/* The size may change under us; read to EOF within the buffer. */
	for (;;) {
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cfail(ce, -EACCES, "%s %s: read: %s", what, path,
				   strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			rc = cfail(ce, -EINVAL, "%s %s: grew while read", what,
				   path);
			goto out;
		}
	}
	b[n] = '\0';
	if (memchr(b, '\0', n)) {
		rc = cfail(ce, -EINVAL, "%s %s: contains a NUL byte", what,
			   path);
		goto out;
	}
out:
	close(fd);
	if (rc < 0) {
		if (b)
			wipe_free(b, cap);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* Cut the next line off *cur (in place), without its "\n" or "\r\n". */
static char *next_line(char **cur)
{
	char *line = *cur, *nl;
	size_t len;

	if (!line || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		*cur = NULL;
	}
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\r')
		line[len - 1] = '\0';
	return line;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *trim(char *s)
{
	size_t len;

	while (is_blank(*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_blank(s[len - 1]))
		s[--len] = '\0';
	return s;
}

static int set_creds(struct cerr *ce, const char *key, const char *secret,
		     const char *token, struct s3_creds *out)
{
	memset(out, 0, sizeof(*out));
	out->access_key = strdup(key);
	out->secret_key = strdup(secret);
	if (token)
		out->session_token = strdup(token);
	if (!out->access_key || !out->secret_key ||
	    (token && !out->session_token)) {
		s3_creds_free(out);
		return cfail(ce, -ENOMEM, "credentials: out of memory");
	}
	return 0;
}

/* ---- s3fs password file ------------------------------------------------ */

/*
 * Credentials for @bucket (may be NULL) from the password file @path.
 * Returns 0; -ENOENT with *missing set if the file does not exist, or
 * without if it has no entry that applies; -EACCES; -EINVAL; -ENOMEM.
 */
static int load_passwd(struct cerr *ce, const char *path, const char *bucket,
		       bool *missing, struct s3_creds *out)
{
	const char *what = "password file";
	char *buf = NULL, *cur, *line, *first, *last;
	const char *dkey = NULL, *dsec = NULL, *bkey = NULL, *bsec = NULL;
	unsigned lineno = 0;
	size_t len = 0;
	int rc;

	rc = read_file(ce, what, path, true, missing, &buf, &len);
	if (rc < 0)
		return rc;
	cur = buf;
	while ((line = next_line(&cur)) != NULL) {
		lineno++;
		line = trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (line[0] == '[') {
			rc = cfail(ce, -EINVAL,
				   "%s %s line %u: a [section] header; entries "
				   "are KEY:SECRET or BUCKET:KEY:SECRET",
				   what, path, lineno);
			goto out;
		}
		if (strpbrk(line, " \t")) {
			rc = cfail(ce, -EINVAL,
				   "%s %s line %u: blank inside an entry", what,
				   path, lineno);
			goto out;
		}
		last = strrchr(line, ':');
		if (!last) {
			rc = cfail(ce, -EINVAL,
				   "%s %s line %u: expected KEY:SECRET or "
				   "BUCKET:KEY:SECRET",
				   what, path, lineno);
			goto out;
		}
		*last = '\0';
		first = strchr(line, ':');
		if (first)
			*first = '\0';
		if (last[1] == '\0' || line[0] == '\0' ||
		    (first && first[1] == '\0')) {
			rc = cfail(ce, -EINVAL, "%s %s line %u: empty %s", what,
				   path, lineno,
				   last[1] == '\0'	      ? "secret"
				   : first && line[0] == '\0' ? "bucket"
							      : "access key");
			goto out;
		}
		if (!first) {
			if (dkey) {
				rc = cfail(ce, -EINVAL,
					   "%s %s line %u: a second default "
					   "entry",
					   what, path, lineno);
				goto out;
			}
			dkey = line;
			dsec = last + 1;
		} else if (bucket && strcmp(line, bucket) == 0) {
			if (bkey) {
				rc = cfail(ce, -EINVAL,
					   "%s %s line %u: a second entry for "
					   "bucket %s",
					   what, path, lineno, bucket);
				goto out;
			}
			bkey = first + 1;
			bsec = last + 1;
		}
	}
	if (bkey)
		rc = set_creds(ce, bkey, bsec, NULL, out);
	else if (dkey)
		rc = set_creds(ce, dkey, dsec, NULL, out);
	else if (bucket)
		rc = cfail(ce, -ENOENT,
			   "%s %s: no entry for bucket %s and no default "
			   "entry",
			   what, path, bucket);
	else
		rc = cfail(ce, -ENOENT, "%s %s: no default entry", what, path);
	if (rc == 0)
		snprintf(out->source, sizeof(out->source), "%s %s", what, path);
out:
	wipe_free(buf, len + 1);
	return rc;
}

/* ---- AWS shared credentials file ------------------------------------- */

static const char *const ini_keys[] = {
	"aws_access_key_id",
	"aws_secret_access_key",
	"aws_session_token",
};

/*
 * Credentials of @profile in the credentials file @path. Returns 0;
 * -ENOENT with *missing set if the file does not exist, or without if the
 * profile is not in it; -EACCES; -EINVAL; -ENOMEM.
 */
/* Reading one credentials file for one profile, a line at a time. */
struct ini_scan {
	struct cerr *ce;
	const char *path, *profile;
	const char *vals[3]; /* of ini_keys, pointing into the file */
	bool in_section, in_target, seen_target;
	bool have_opt, opt_ours; /* the last key = value, and if ours */
	unsigned lineno;
};

#define INI_WHAT "credentials file"

/* A "[name]" header, in place. */
static int ini_section(struct ini_scan *sc, char *t)
{
	char *end = strrchr(t, ']');

	if (!end || end[1] != '\0')
		return cfail(sc->ce, -EINVAL,
			     INI_WHAT " %s line %u: bad [section] header",
			     sc->path, sc->lineno);
	*end = '\0';
	sc->in_section = true;
	sc->in_target = strcmp(trim(t + 1), sc->profile) == 0;
	if (sc->in_target && sc->seen_target)
		return cfail(sc->ce, -EINVAL,
			     INI_WHAT " %s line %u: profile %s appears twice",
			     sc->path, sc->lineno, sc->profile);
	sc->seen_target |= sc->in_target;
	sc->have_opt = false;
	return 0;
}

/* A "key = value" line (trimmed @t), in place. */
static int ini_option(struct ini_scan *sc, char *t)
{
	char *delim = strpbrk(t, "=:"), *key, *val;
	size_t i;

	if (!sc->in_section)
		return cfail(sc->ce, -EINVAL,
			     INI_WHAT " %s line %u: a value before any "
				      "[profile] header",
			     sc->path, sc->lineno);
	if (!delim || delim == t)
		return cfail(sc->ce, -EINVAL,
			     INI_WHAT " %s line %u: expected key = value",
			     sc->path, sc->lineno);
	*delim = '\0';
	key = trim(t);
	val = trim(delim + 1);
	sc->have_opt = true;
	sc->opt_ours = false;
	if (!sc->in_target)
		return 0;
	for (i = 0; i < sizeof(ini_keys) / sizeof(ini_keys[0]); i++) {
		if (strcasecmp(key, ini_keys[i]) != 0)
			continue;
		if (sc->vals[i])
			return cfail(sc->ce, -EINVAL,
				     INI_WHAT " %s line %u: profile %s: %s "
					      "given twice",
				     sc->path, sc->lineno, sc->profile,
				     ini_keys[i]);
		sc->vals[i] = val;
		sc->opt_ours = true;
	}
	return 0;
}

/* One line of the file, in place. */
static int ini_line(struct ini_scan *sc, char *line)
{
	char *t = trim(line);

	sc->lineno++;
	if (t[0] == '\0' || t[0] == '#' || t[0] == ';')
		return 0;
	/* An indented line continues the value above it. */
	if (is_blank(line[0]) && sc->have_opt) {
		if (sc->opt_ours)
			return cfail(sc->ce, -EINVAL,
				     INI_WHAT " %s line %u: profile %s: a "
					      "value continued on another line",
				     sc->path, sc->lineno, sc->profile);
		return 0;
	}
	if (t[0] == '[')
		return ini_section(sc, t);
	return ini_option(sc, t);
}

static int load_profile(struct cerr *ce, const char *path, const char *profile,
			bool *missing, struct s3_creds *out)
{
	struct ini_scan sc = {.ce = ce, .path = path, .profile = profile};
	char *buf = NULL, *cur, *line;
	size_t len = 0, i;
	int rc;

	rc = read_file(ce, INI_WHAT, path, false, missing, &buf, &len);
	if (rc < 0)
		return rc;
	cur = buf;
	while (rc == 0 && (line = next_line(&cur)) != NULL)
		rc = ini_line(&sc, line);
	if (rc < 0)
		goto out;
	if (!sc.seen_target) {
		rc = cfail(ce, -ENOENT, INI_WHAT " %s: no profile %s", path,
			   profile);
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (!sc.vals[i] || sc.vals[i][0] == '\0') {
			rc = cfail(ce, -EINVAL,
				   INI_WHAT " %s: profile %s has no %s", path,
				   profile, ini_keys[i]);
			goto out;
		}
	}
	rc = set_creds(ce, sc.vals[0], sc.vals[1],
		       sc.vals[2] && sc.vals[2][0] ? sc.vals[2] : NULL, out);
	if (rc == 0)
		snprintf(out->source, sizeof(out->source), "profile %s in %s",
			 profile, path);
out:
	wipe_free(buf, len + 1);
	return rc;
}

/*
 * The shared credentials file: $AWS_SHARED_CREDENTIALS_FILE (with "~/"
 * expanded), else $HOME/.aws/credentials. Returns 0, -ENOENT there is
 * none (no HOME), -EINVAL the path is too long.
 */
static int cred_file_path(struct cerr *ce, char *buf, size_t buflen)
{
	const char *f = env("AWS_SHARED_CREDENTIALS_FILE");
	const char *home = env("HOME");
	int n;

	if (f && strncmp(f, "~/", 2) == 0 && home)
		n = snprintf(buf, buflen, "%s/%s", home, f + 2);
	else if (f)
		n = snprintf(buf, buflen, "%s", f);
	else if (home)
		n = snprintf(buf, buflen, "%s/.aws/credentials", home);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= buflen)
		return cfail(ce, -EINVAL, "credentials file path too long");
	return 0;
}

/* ---- the search ----------------------------------------------------- */

static int load_env(struct cerr *ce, struct s3_creds *out)
{
	const char *ak = env("AWS_ACCESS_KEY_ID");
	const char *sk = env("AWS_SECRET_ACCESS_KEY");
	int rc;

	if (!ak && !sk)
		return -ENOENT;
	if (!ak || !sk)
		return cfail(
			ce, -EINVAL, "environment: %s is set but %s is not",
			ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	rc = set_creds(ce, ak, sk, env("AWS_SESSION_TOKEN"), out);
	if (rc == 0)
		snprintf(out->source, sizeof(out->source),
			 "environment (AWS_ACCESS_KEY_ID)");
	return rc;
}

static int search(const struct s3_creds_opts *o, struct cerr *ce,
		  struct s3_creds *out)
{
	char cpath[PATH_MAX], ppath[PATH_MAX];
	const char *home = env("HOME"), *profile;
	bool missing, have_cpath;
	int rc;

	if (o->passwd_file) {
		rc = load_passwd(ce, o->passwd_file, o->bucket, &missing, out);
		if (rc == -ENOENT && missing)
			cfail(ce, rc, "password file %s: does not exist",
			      o->passwd_file);
		return rc;
	}

	rc = cred_file_path(ce, cpath, sizeof(cpath));
	if (rc < 0 && rc != -ENOENT)
		return rc;
	have_cpath = rc == 0;

	if (o->profile) {
		if (o->profile[0] == '\0')
			return cfail(ce, -EINVAL, "profile= is empty");
		if (!have_cpath)
			return cfail(ce, -ENOENT,
				     "profile %s: no credentials file (neither "
				     "AWS_SHARED_CREDENTIALS_FILE nor HOME is "
				     "set)",
				     o->profile);
		rc = load_profile(ce, cpath, o->profile, &missing, out);
		if (rc == -ENOENT && missing)
			cfail(ce, rc,
			      "profile %s: credentials file %s does not exist",
			      o->profile, cpath);
		return rc;
	}

	rc = load_env(ce, out);
	if (rc != -ENOENT)
		return rc;

	profile = env("AWS_PROFILE");
	if (have_cpath) {
		rc = load_profile(ce, cpath, profile ? profile : "default",
				  &missing, out);
		/* A missing "default" is no error; a named one is. */
		if (rc != -ENOENT || (profile && !missing))
			return rc;
	}

	if (home) {
		if (snprintf(ppath, sizeof(ppath), "%s/.passwd-s3fs", home) >=
		    (int)sizeof(ppath))
			return cfail(ce, -EINVAL, "HOME is too long");
		rc = load_passwd(ce, ppath, o->bucket, &missing, out);
		if (rc != -ENOENT)
			return rc;
	}
	rc = load_passwd(ce, ETC_PASSWD, o->bucket, &missing, out);
	if (rc != -ENOENT)
		return rc;

	return cfail(ce, -ENOENT,
		     "no S3 credentials: AWS_ACCESS_KEY_ID is not set and "
		     "none were found in %s%s%s%s",
		     have_cpath ? cpath : "", have_cpath ? ", " : "",
		     home ? ppath : "", home ? ", " ETC_PASSWD : ETC_PASSWD);
}

int s3_creds_load(const struct s3_creds_opts *o, char *err, size_t errlen,
		  struct s3_creds *out)
{
	static const struct s3_creds_opts none = {0};
	struct cerr ce = {.err = err, .errlen = errlen};
	struct s3_creds c;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	memset(&c, 0, sizeof(c));
	rc = search(o ? o : &none, &ce, &c);
	if (rc < 0)
		return rc;
	/* Messages of sources passed over are no longer true. */
	if (err && errlen)
		err[0] = '\0';
	*out = c;
	return 0;
}

void s3_creds_free(struct s3_creds *c)
{
	if (!c)
		return;
	wipe_free_str(c->access_key);
	wipe_free_str(c->secret_key);
	wipe_free_str(c->session_token);
	explicit_bzero(c, sizeof(*c));
}
