/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c - one snapshot (a label and a timestamp): its info object
 * read, verified against its name and parsed into a verdict, and its
 * __meta described as meta.json.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base.h"
#include "jobinfo.h"
#include "meta.h"
#include "repo.h"
#include "repo_int.h"
#include "store/store.h"

#include "base/banned.h"

/*
 * Read an object and compare its MD5 with the one its name carries.
 * @return 0 with *buf; -EBADMSG on mismatch and -EFBIG if it is too large
 *         to read, both with *problem (a verdict, not an error); -ENOMEM
 *         (also when *problem can't be made: a verdict without its
 *         reason would be wrong); else -errno from the store.
 */
static int read_verified(struct repo *r, const char *key, char **buf,
			 size_t *len, char **problem)
{
	char hex[MD5_HEX_LEN + 1];
	const char *base = strrchr(key, '/');
	size_t lnlen;
	char *b = NULL;
	int rc;

	base = base ? base + 1 : key;
	rc = store_read_all(r->st, key, REPO_MAX_INFO_SIZE, &b, len);
	if (rc < 0) {
		if (rc == -EFBIG &&
		    asprintf(problem, "%s is larger than %u bytes", key,
			     REPO_MAX_INFO_SIZE) < 0) {
			*problem = NULL;
			rc = -ENOMEM;
		}
		return rc;
	}
	rc = md5_hex(b, *len, hex);
	if (rc < 0)
		goto out;
	if (md5_split_name(base, &lnlen) == 0 &&
	    strcmp(base + lnlen + 1, hex) != 0) {
		snap_log(LOG_ERR, "%s: content MD5 %s does not match its name",
			 key, hex);
		rc = -EBADMSG;
		if (asprintf(problem, "%s: content MD5 is %s, the name says %s",
			     key, hex, base + lnlen + 1) < 0) {
			*problem = NULL;
			rc = -ENOMEM;
		}
	}
out:
	if (rc < 0) {
		free(b);
		return rc;
	}
	*buf = b;
	return 0;
}

int repo_snapshot_load(struct repo *r, const struct repo_label *l,
		       const struct repo_ts *t, struct repo_snapshot **out)
{
	struct repo_snapshot *s;
	char perr[256], *buf = NULL, *problem = NULL;
	size_t len;
	int rc = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->label = strdup(l->label);
	s->ts = strdup(t->name);
	s->info_key = strdup(t->info_key);
	s->info_size = t->info_size;
	s->mtime = t->info_mtime;
	if (l->meta_key) {
		s->meta_key = strdup(l->meta_key);
		s->meta_size = l->meta_size;
	}
	if (!s->label || !s->ts || !s->info_key ||
	    (l->meta_key && !s->meta_key)) {
		rc = -ENOMEM;
		goto out;
	}
	if (!t->valid_name) {
		rc = asprintf(&s->verdict, "INVALID: %s", t->reason);
		goto verdict;
	}
	rc = read_verified(r, t->info_key, &buf, &len, &problem);
	if (rc == -EBADMSG || rc == -EFBIG) {
		rc = asprintf(&s->verdict, "INVALID: %s",
			      problem ? problem : "unreadable info");
		goto verdict;
	}
	if (rc == -ENOENT) {
		rc = asprintf(&s->verdict,
			      "INVALID: %s disappeared while reading it",
			      t->info_key);
		goto verdict;
	}
	if (rc < 0)
		goto out;
	rc = jobinfo_parse(buf, len, perr, sizeof(perr), &s->ji);
	if (rc == -EINVAL) {
		rc = asprintf(&s->verdict, "INVALID: %s: %s", t->info_key,
			      perr);
		goto verdict;
	}
	if (rc < 0)
		goto out;
	s->mtime = s->ji->backup_time_ms / 1000;
	if (strcmp(s->ji->name, l->label) != 0)
		rc = asprintf(&s->verdict,
			      "INVALID: %s names snapshot \"%s\", but it is "
			      "stored under label \"%s\" (RESTORE would not "
			      "find its __meta)",
			      t->info_key, s->ji->name, l->label);
	else if (strcmp(s->ji->backup_result, "succeed") != 0)
		rc = asprintf(&s->verdict, "FAILED: backup_result is \"%s\"",
			      s->ji->backup_result);
	else if (l->meta_problem)
		rc = asprintf(&s->verdict, "INCOMPLETE: %s", l->meta_problem);
	else {
		rc = asprintf(&s->verdict, "OK");
		s->ok = true;
	}
verdict:
	if (rc < 0) {
		s->verdict = NULL;
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
	if (!s->ok && s->ji) {
		/* Keep the parsed tree browsable only if it is sound. */
		if (strncmp(s->verdict, "INVALID", 7) == 0) {
			jobinfo_free(s->ji);
			s->ji = NULL;
		}
	}
out:
	free(buf);
	free(problem);
	if (rc < 0) {
		repo_snapshot_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void repo_snapshot_free(struct repo_snapshot *s)
{
	if (!s)
		return;
	free(s->label);
	free(s->ts);
	free(s->info_key);
	free(s->meta_key);
	jobinfo_free(s->ji);
	free(s->verdict);
	free(s);
}

int repo_snapshot_meta_json(struct repo *r, const struct repo_snapshot *s,
			    char **problem, char **json, size_t *len)
{
	char perr[256], *buf = NULL, *prob = NULL, *text = NULL;
	int64_t mv = s->ji ? s->ji->meta_version : -1;
	enum meta_format fmt;
	size_t blen, tlen;
	int rc;

	if (!s->meta_key) {
		if (asprintf(&prob, "no usable __meta object") < 0)
			return -ENOMEM;
		goto describe;
	}
	rc = read_verified(r, s->meta_key, &buf, &blen, &prob);
	if (rc == -EBADMSG || rc == -EFBIG || rc == -ENOENT) {
		if (!prob &&
		    asprintf(&prob, "%s: %s", s->meta_key, strerror(-rc)) < 0)
			return -ENOMEM;
		goto describe;
	}
	if (rc < 0)
		return rc;
	rc = meta_to_json(buf, blen, mv, perr, sizeof(perr), &fmt, &text,
			  &tlen);
	free(buf);
	if (rc == -EINVAL) {
		if (asprintf(&prob, "%s: %s", s->meta_key, perr) < 0)
			return -ENOMEM;
		goto describe;
	}
	if (rc < 0)
		return rc;
	*problem = NULL;
	*json = text;
	*len = tlen;
	return 0;
describe : {
	json_t *o = json_pack("{s:s, s:s?, s:s}", "format", "unusable",
			      "object", s->meta_key, "problem", prob);

	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!text) {
		free(prob);
		return -ENOMEM;
	}
	tlen = strlen(text);
	/* json_dumps has no trailing newline; text files want one */
	buf = realloc(text, tlen + 2);
	if (!buf) {
		free(text);
		free(prob);
		return -ENOMEM;
	}
	buf[tlen++] = '\n';
	buf[tlen] = '\0';
	*problem = prob;
	*json = buf;
	*len = tlen;
	return 0;
}
}
