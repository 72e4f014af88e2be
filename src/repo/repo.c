/* SPDX-License-Identifier: MIT */
/*
 * repo.c - opening a repository: root discovery, __repo_info, the
 * accessors, and the helpers the folder shares (repo_int.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/base.h"
#include "repo.h"
#include "repo_int.h"
#include "store/store.h"

#include "base/banned.h"

struct store *repo_store(const struct repo *r)
{
	return r->st;
}

const char *repo_name(const struct repo *r)
{
	return r->name;
}

const char *repo_root(const struct repo *r)
{
	return r->root;
}

enum repo_flavor repo_flavor(const struct repo *r)
{
	return r->flavor;
}

const char *repo_flavor_name(enum repo_flavor f)
{
	return f == REPO_FLAVOR_STARROCKS ? "starrocks" : "doris";
}

const char *repo_create_time(const struct repo *r)
{
	return r->create_time;
}

void repo_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int repo_memstream_done(FILE *f, char **buf, size_t *blen, char **text,
			size_t *len)
{
	int rc = ferror(f) ? -ENOMEM : 0;

	if (fclose(f) != 0)
		rc = -ENOMEM;
	if (rc < 0) {
		free(*buf);
		return rc;
	}
	*text = *buf;
	*len = *blen;
	return 0;
}

/* ---- root discovery --------------------------------------------------- */

struct root_scan {
	const char *want; /* name asked for, or NULL */
	char *doris;	  /* prefix of the chosen/first Doris repo */
	char *starrocks;  /* same for StarRocks */
	unsigned ndoris, nstarrocks;
	bool repo_here;	 /* __repo_info or __ss_* at the store root */
	char names[512]; /* candidates, for the error message */
};

static int root_scan_cb(const struct store_entry *e, void *arg)
{
	struct root_scan *rs = arg;
	const char *k = e->key;
	size_t plen;
	char **slot;
	unsigned *count;

	if (!e->is_prefix) {
		if (strcmp(k, "__repo_info") == 0)
			rs->repo_here = true;
		return 0;
	}
	if (strncmp(k, "__ss_", 5) == 0) {
		rs->repo_here = true;
		return 0;
	}
	if (strncmp(k, REPO_PREFIX_DORIS, strlen(REPO_PREFIX_DORIS)) == 0) {
		plen = strlen(REPO_PREFIX_DORIS);
		slot = &rs->doris;
		count = &rs->ndoris;
	} else if (strncmp(k, REPO_PREFIX_STARROCKS,
			   strlen(REPO_PREFIX_STARROCKS)) == 0) {
		plen = strlen(REPO_PREFIX_STARROCKS);
		slot = &rs->starrocks;
		count = &rs->nstarrocks;
	} else {
		return 0;
	}
	if (strlen(rs->names) + strlen(k) + 3 < sizeof(rs->names)) {
		if (rs->names[0])
			strncat(rs->names, ", ", sizeof(rs->names) - 1);
		strncat(rs->names, k, sizeof(rs->names) - 1);
	}
	if (rs->want) {
		/* k is "<prefix><name>/" */
		size_t nlen = strlen(k) - plen - 1;

		if (nlen != strlen(rs->want) ||
		    strncmp(k + plen, rs->want, nlen) != 0)
			return 0;
	}
	(*count)++;
	if (!*slot) {
		*slot = strdup(k);
		if (!*slot)
			return -ENOMEM;
	}
	return 0;
}

/* Last path component of the store URL, without trailing slashes. */
static char *url_basename(const char *url)
{
	size_t n = strlen(url);
	const char *b;

	while (n > 0 && url[n - 1] == '/')
		n--;
	b = url + n;
	while (b > url && b[-1] != '/')
		b--;
	return strndup(b, (size_t)(url + n - b));
}

static void load_repo_info(struct repo *r)
{
	char key[4096], *buf = NULL;
	size_t len;
	json_t *doc = NULL, *v;
	json_error_t jerr;
	int rc;

	snprintf(key, sizeof(key), "%s__repo_info", r->root);
	rc = store_read_all(r->st, key, 1 << 20, &buf, &len);
	if (rc < 0) {
		if (rc != -ENOENT)
			snap_log(LOG_WARNING, "%s: %s", key, strerror(-rc));
		return;
	}
	doc = json_loadb(buf, len, 0, &jerr);
	if (!doc) {
		snap_log(LOG_WARNING, "%s: not a JSON object (line %d: %s)",
			 key, jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(doc)) {
		snap_log(LOG_WARNING, "%s: not a JSON object", key);
		goto out;
	}
	v = json_object_get(doc, "create_time");
	if (json_is_string(v))
		r->create_time = strdup(json_string_value(v));
	v = json_object_get(doc, "name");
	if (json_is_string(v) && strcmp(json_string_value(v), r->name) != 0)
		snap_log(LOG_WARNING,
			 "%s names repository \"%s\", the path says \"%s\"",
			 key, json_string_value(v), r->name);
out:
	json_decref(doc);
	free(buf);
}

int repo_open(struct store *st, const char *name, char *err, size_t errlen,
	      struct repo **out)
{
	struct root_scan rs = {.want = name};
	struct repo *r = NULL;
	char *base = NULL;
	int rc;

	rc = store_list(st, "", "/", root_scan_cb, &rs);
	if (rc < 0) {
		repo_set_err(err, errlen, "cannot list %s: %s", st->url,
			     strerror(-rc));
		goto out;
	}
	r = calloc(1, sizeof(*r));
	base = url_basename(st->url);
	if (!r || !base) {
		rc = -ENOMEM;
		goto out;
	}
	r->st = st;
	if (rs.doris || rs.starrocks) {
		bool doris = rs.doris != NULL;
		const char *k = doris ? rs.doris : rs.starrocks;
		size_t plen = strlen(doris ? REPO_PREFIX_DORIS
					   : REPO_PREFIX_STARROCKS);

		if (!name && rs.ndoris + rs.nstarrocks > 1) {
			repo_set_err(
				err, errlen,
				"%s holds several repositories (%s); choose "
				"one with -o repo=NAME",
				st->url, rs.names);
			rc = -EINVAL;
			goto out;
		}
		r->flavor = doris ? REPO_FLAVOR_DORIS : REPO_FLAVOR_STARROCKS;
		r->root = strdup(k);
		r->name = strndup(k + plen, strlen(k) - plen - 1);
	} else if (rs.repo_here ||
		   strncmp(base, REPO_PREFIX_DORIS,
			   strlen(REPO_PREFIX_DORIS)) == 0 ||
		   strncmp(base, REPO_PREFIX_STARROCKS,
			   strlen(REPO_PREFIX_STARROCKS)) == 0) {
		bool sr = strncmp(base, REPO_PREFIX_STARROCKS,
				  strlen(REPO_PREFIX_STARROCKS)) == 0;
		bool dr = strncmp(base, REPO_PREFIX_DORIS,
				  strlen(REPO_PREFIX_DORIS)) == 0;
		const char *nm = base;

		if (dr)
			nm += strlen(REPO_PREFIX_DORIS);
		else if (sr)
			nm += strlen(REPO_PREFIX_STARROCKS);
		r->flavor = sr ? REPO_FLAVOR_STARROCKS : REPO_FLAVOR_DORIS;
		r->root = strdup("");
		r->name = strdup(name ? name : nm);
	} else {
		if (name && rs.names[0])
			repo_set_err(
				err, errlen,
				"no repository named \"%s\" at %s (found %s)",
				name, st->url, rs.names);
		else
			repo_set_err(
				err, errlen,
				"no Doris/StarRocks repository at %s: expected "
				"a __palo_repository_<name>/ or "
				"__starrocks_repository_<name>/ directory, or "
				"a repository root holding __repo_info",
				st->url);
		rc = -ENOENT;
		goto out;
	}
	if (!r->root || !r->name) {
		rc = -ENOMEM;
		goto out;
	}
	load_repo_info(r);
out:
	free(rs.doris);
	free(rs.starrocks);
	free(base);
	if (rc < 0) {
		repo_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void repo_close(struct repo *r)
{
	if (!r)
		return;
	free(r->root);
	free(r->name);
	free(r->create_time);
	free(r);
}
