/* SPDX-License-Identifier: MIT */
/*
 * repo.c - repository layout: root discovery, labels, timestamps, info and
 * meta objects, tablet directories.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/base.h"
#include "jobinfo.h"
#include "meta.h"
#include "repo.h"
#include "store/store.h"

#include "base/banned.h"

struct repo {
	struct store *st;
	char *root; /* "" or "<prefix><name>/" */
	char *name;
	char *create_time;
	enum repo_flavor flavor;
};

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

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
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
	if (!doc || !json_is_object(doc)) {
		snap_log(LOG_WARNING, "%s: not a JSON object (line %d: %s)",
			 key, jerr.line, jerr.text);
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
		set_err(err, errlen, "cannot list %s: %s", st->url,
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
			set_err(err, errlen,
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
			set_err(err, errlen,
				"no repository named \"%s\" at %s (found %s)",
				name, st->url, rs.names);
		else
			set_err(err, errlen,
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

/* ---- labels ----------------------------------------------------------- */

struct label_scan {
	struct repo *r;
	int (*cb)(const struct repo_label_ref *ref, void *arg);
	void *arg;
};

static int label_scan_cb(const struct store_entry *e, void *arg)
{
	struct label_scan *ls = arg;
	const char *name = e->key + strlen(ls->r->root);
	struct repo_label_ref ref;
	char dir[1024], label[1024];
	size_t n;

	if (!e->is_prefix || strncmp(name, "__ss_", 5) != 0)
		return 0;
	n = strlen(name) - 1; /* drop the '/' */
	if (n >= sizeof(dir))
		return 0;
	memcpy(dir, name, n);
	dir[n] = '\0';
	if (strcmp(dir, "__ss_content") == 0)
		return 0; /* not a label: a stray content dir at the root */
	memcpy(label, dir + 5, n - 5 + 1);
	ref.dir = dir;
	ref.label = name_ok(label) ? label : NULL;
	return ls->cb(&ref, ls->arg);
}

int repo_list_labels(struct repo *r,
		     int (*cb)(const struct repo_label_ref *ref, void *arg),
		     void *arg)
{
	struct label_scan ls = {.r = r, .cb = cb, .arg = arg};
	char prefix[4096];

	snprintf(prefix, sizeof(prefix), "%s__ss_", r->root);
	return store_list(r->st, prefix, "/", label_scan_cb, &ls);
}

static bool digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool repo_ts_valid(const char *ts, size_t len)
{
	/* yyyy-MM-dd-HH-mm-ss[-SSS] */
	static const size_t dash[] = {4, 7, 10, 13, 16, 19};
	size_t i, ndash;

	if (len != 19 && len != 23)
		return false;
	ndash = len == 19 ? 5 : 6;
	for (i = 0; i < ndash; i++)
		if (ts[dash[i]] != '-')
			return false;
	return digits(ts, 4) && digits(ts + 5, 2) && digits(ts + 8, 2) &&
	       digits(ts + 11, 2) && digits(ts + 14, 2) && digits(ts + 17, 2) &&
	       (len == 19 || digits(ts + 20, 3));
}

struct label_load {
	struct repo_label *l;
	size_t prefix_len;
	size_t nmeta, cap;
	bool any;
};

static int ts_cmp(const void *a, const void *b)
{
	const struct repo_ts *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int add_ts(struct label_load *ll, const struct store_entry *e,
		  const char *name)
{
	struct repo_label *l = ll->l;
	const char *rest = name + strlen("__info_");
	struct repo_ts *t;
	size_t lnlen;
	int rc;

	if (l->nts == ll->cap) {
		size_t cap = ll->cap ? ll->cap * 2 : 4;
		struct repo_ts *v = realloc(l->ts, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->ts = v;
		ll->cap = cap;
	}
	t = &l->ts[l->nts];
	memset(t, 0, sizeof(*t));
	t->info_key = strdup(e->key);
	t->info_size = e->size;
	t->info_mtime = e->mtime;
	if (!t->info_key)
		return -ENOMEM;
	rc = md5_split_name(rest, &lnlen);
	if (rc == 0 && repo_ts_valid(rest, lnlen)) {
		t->valid_name = true;
		t->name = strndup(rest, lnlen);
	} else {
		const char *dot = strrchr(name, '.');

		t->name = strdup(name);
		if (dot && strcmp(dot, ".part") == 0)
			rc = asprintf(&t->reason,
				      "%s is the leftover of an interrupted "
				      "upload (.part), not a finished info "
				      "file",
				      name);
		else if (rc < 0)
			rc = asprintf(&t->reason,
				      "%s does not end in .<32 hex digit "
				      "md5>",
				      name);
		else
			rc = asprintf(&t->reason,
				      "%s: \"%.*s\" is not a timestamp "
				      "(yyyy-MM-dd-HH-mm-ss[-SSS])",
				      name, (int)lnlen, rest);
		if (rc < 0)
			t->reason = NULL;
		if (!t->reason) {
			free(t->name);
			t->name = NULL;
		}
	}
	if (!t->name) {
		free(t->info_key);
		return -ENOMEM;
	}
	l->nts++;
	return 0;
}

static int label_load_cb(const struct store_entry *e, void *arg)
{
	struct label_load *ll = arg;
	const char *name = e->key + ll->prefix_len;
	size_t lnlen;

	ll->any = true;
	if (e->is_prefix)
		return 0;
	if (strncmp(name, "__info_", 7) == 0)
		return add_ts(ll, e, name);
	if (strncmp(name, "__meta", 6) == 0) {
		ll->nmeta++;
		if (md5_split_name(name, &lnlen) == 0 && lnlen == 6 &&
		    !ll->l->meta_key) {
			ll->l->meta_key = strdup(e->key);
			ll->l->meta_size = e->size;
			if (!ll->l->meta_key)
				return -ENOMEM;
		}
	}
	return 0;
}

int repo_label_load(struct repo *r, const char *dir, struct repo_label **out)
{
	struct label_load ll = {0};
	struct repo_label *l;
	char prefix[4096];
	size_t i;
	int rc, valid = 0;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	ll.l = l;
	l->dir = strdup(dir);
	l->label = strdup(strncmp(dir, "__ss_", 5) == 0 ? dir + 5 : dir);
	if (!l->dir || !l->label) {
		rc = -ENOMEM;
		goto out;
	}
	ll.prefix_len =
		(size_t)snprintf(prefix, sizeof(prefix), "%s%s/", r->root, dir);
	if (ll.prefix_len >= sizeof(prefix)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	rc = store_list(r->st, prefix, "/", label_load_cb, &ll);
	if (rc < 0)
		goto out;
	if (!ll.any) {
		rc = -ENOENT;
		goto out;
	}
	if (l->nts > 1)
		qsort(l->ts, l->nts, sizeof(l->ts[0]), ts_cmp);
	if (ll.nmeta == 0)
		rc = asprintf(&l->meta_problem, "no __meta object in %s/", dir);
	else if (ll.nmeta > 1)
		rc = asprintf(&l->meta_problem,
			      "%zu __meta objects in %s/ (expected exactly "
			      "one; a .part leftover makes RESTORE fail)",
			      ll.nmeta, dir);
	else if (!l->meta_key)
		rc = asprintf(&l->meta_problem,
			      "the __meta object in %s/ has no .<md5> suffix",
			      dir);
	if (rc < 0) {
		l->meta_problem = NULL;
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l->nts; i++)
		valid += l->ts[i].valid_name;
	if (l->nts == 0)
		rc = asprintf(&l->status,
			      "INCOMPLETE: no info file found in %s/ (an "
			      "unfinished or cancelled backup)",
			      dir);
	else if (valid == 0)
		rc = asprintf(&l->status,
			      "INVALID: no valid __info_<timestamp>.<md5> "
			      "object in %s/",
			      dir);
	else
		rc = asprintf(&l->status, "OK");
	if (rc < 0) {
		l->status = NULL;
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		repo_label_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void repo_label_free(struct repo_label *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nts; i++) {
		free(l->ts[i].name);
		free(l->ts[i].info_key);
		free(l->ts[i].reason);
	}
	free(l->ts);
	free(l->label);
	free(l->dir);
	free(l->meta_key);
	free(l->meta_problem);
	free(l->status);
	free(l);
}

/* ---- snapshots -------------------------------------------------------- */

/*
 * Read an object and compare its MD5 with the one its name carries.
 * @return 0 with *buf; -EBADMSG on mismatch (with *problem); -errno.
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
			     REPO_MAX_INFO_SIZE) < 0)
			*problem = NULL;
		return rc;
	}
	rc = md5_hex(b, *len, hex);
	if (rc < 0)
		goto out;
	if (md5_split_name(base, &lnlen) == 0 &&
	    strcmp(base + lnlen + 1, hex) != 0) {
		if (asprintf(problem, "%s: content MD5 is %s, the name says %s",
			     key, hex, base + lnlen + 1) < 0)
			*problem = NULL;
		snap_log(LOG_ERR, "%s: content MD5 %s does not match its name",
			 key, hex);
		rc = -EBADMSG;
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

/* ---- tablets ---------------------------------------------------------- */

struct tablet_scan {
	struct repo_file *files;
	size_t n, cap;
	size_t prefix_len;
};

static int tablet_scan_cb(const struct store_entry *e, void *arg)
{
	struct tablet_scan *ts = arg;
	const char *name = e->key + ts->prefix_len;
	size_t i, lnlen;

	struct repo_file *f;
	bool same_name = false;

	if (e->is_prefix || md5_split_name(name, &lnlen) < 0)
		return 0;
	for (i = 0; i < ts->n; i++) {
		f = &ts->files[i];
		if (strlen(f->name) != lnlen ||
		    strncmp(f->name, name, lnlen) != 0)
			continue;
		same_name = true;
		if (!f->present && strcmp(f->md5, name + lnlen + 1) == 0) {
			f->present = true;
			f->size = e->size;
			f->mtime = e->mtime;
		}
	}
	/*
	 * The BE restores what the tablet directory holds, not what the
	 * info lists (StarRocks writes empty lists), so an object the info
	 * doesn't name is a file of the tablet too, unless the info names
	 * another version of it.
	 */
	if (same_name)
		return 0;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 8;

		f = realloc(ts->files, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		ts->files = f;
		ts->cap = cap;
	}
	f = &ts->files[ts->n];
	memset(f, 0, sizeof(*f));
	f->name = strndup(name, lnlen);
	f->key = strdup(e->key);
	if (!f->name || !f->key) {
		free(f->name);
		free(f->key);
		return -ENOMEM;
	}
	memcpy(f->md5, name + lnlen + 1, MD5_HEX_LEN + 1);
	f->size = e->size;
	f->mtime = e->mtime;
	f->present = true;
	ts->n++;
	return 0;
}

/* The tablet's directory key; a result >= @size means it didn't fit. */
static size_t tablet_prefix(const struct repo *r, const struct repo_snapshot *s,
			    const struct jobinfo_table *tbl,
			    const struct jobinfo_index *idx,
			    const struct jobinfo_tablet *tab, char *buf,
			    size_t size)
{
	return (size_t)snprintf(buf, size,
				"%s__ss_%s/__ss_content/__db_%" PRId64
				"/__tbl_%" PRId64 "/__part_%" PRId64
				"/__idx_%" PRId64 "/__%" PRId64 "/",
				r->root, s->label, s->ji->db_id, tbl->id,
				tab->part_id, idx->id, tab->id);
}

struct repo_listing {
	struct store_entry *v; /* keys owned, in byte order */
	size_t n, cap;
};

static int listing_cb(const struct store_entry *e, void *arg)
{
	struct repo_listing *l = arg;

	if (e->is_prefix)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		struct store_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n] = *e;
	l->v[l->n].key = strdup(e->key);
	if (!l->v[l->n].key)
		return -ENOMEM;
	l->n++;
	return 0;
}

void repo_listing_free(struct repo_listing *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		free((char *)l->v[i].key);
	free(l->v);
	free(l);
}

int repo_listing_load(struct repo *r, const struct repo_snapshot *s,
		      struct repo_listing **out)
{
	struct repo_listing *l = calloc(1, sizeof(*l));
	char prefix[4096];
	int rc;

	if (!l)
		return -ENOMEM;
	if ((size_t)snprintf(prefix, sizeof(prefix), "%s__ss_%s/__ss_content/",
			     r->root, s->label) >= sizeof(prefix)) {
		free(l);
		return -ENAMETOOLONG;
	}
	rc = store_list(r->st, prefix, NULL, listing_cb, l);
	if (rc < 0) {
		repo_listing_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* Feed the objects directly under @prefix in @l to tablet_scan_cb. */
static int listing_scan(const struct repo_listing *l, const char *prefix,
			struct tablet_scan *ts)
{
	size_t lo = 0, hi = l->n, plen = strlen(prefix);
	int rc;

	while (lo < hi) { /* first key >= prefix */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->v[mid].key, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < l->n && strncmp(l->v[lo].key, prefix, plen) == 0; lo++) {
		if (strchr(l->v[lo].key + plen, '/'))
			continue; /* deeper: a delimited listing hides it */
		rc = tablet_scan_cb(&l->v[lo], ts);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int repo_tablet_files(struct repo *r, const struct repo_snapshot *s,
		      const struct jobinfo_table *tbl,
		      const struct jobinfo_index *idx,
		      const struct jobinfo_tablet *tab,
		      struct repo_file **files, size_t *nfiles)
{
	return repo_tablet_files_in(r, s, NULL, tbl, idx, tab, files, nfiles);
}

int repo_tablet_files_in(struct repo *r, const struct repo_snapshot *s,
			 const struct repo_listing *l,
			 const struct jobinfo_table *tbl,
			 const struct jobinfo_index *idx,
			 const struct jobinfo_tablet *tab,
			 struct repo_file **files, size_t *nfiles)
{
	struct tablet_scan ts = {0};
	char prefix[4096];
	size_t i, lnlen;
	int rc = 0;

	ts.prefix_len =
		tablet_prefix(r, s, tbl, idx, tab, prefix, sizeof(prefix));
	if (ts.prefix_len >= sizeof(prefix))
		return -ENAMETOOLONG;
	ts.cap = tab->nfiles ? tab->nfiles : 1;
	ts.files = calloc(ts.cap, sizeof(*ts.files));
	if (!ts.files)
		return -ENOMEM;
	for (i = 0; i < tab->nfiles; i++) {
		struct repo_file *f = &ts.files[i];
		const char *fn = tab->files[i];

		/* jobinfo_parse already checked the md5 suffix */
		if (md5_split_name(fn, &lnlen) < 0) {
			rc = -EINVAL;
			goto out;
		}
		f->name = strndup(fn, lnlen);
		memcpy(f->md5, fn + lnlen + 1, MD5_HEX_LEN + 1);
		if (asprintf(&f->key, "%s%s", prefix, fn) < 0)
			f->key = NULL;
		ts.n++;
		if (!f->name || !f->key) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (l)
		rc = listing_scan(l, prefix, &ts);
	else
		rc = store_list(r->st, prefix, "/", tablet_scan_cb, &ts);
out:
	if (rc < 0) {
		repo_files_free(ts.files, ts.n);
		return rc;
	}
	*files = ts.files;
	*nfiles = ts.n;
	return 0;
}

void repo_files_free(struct repo_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].key);
	}
	free(files);
}

/* ---- deleting --------------------------------------------------------- */

/* One listed level of a prefix, copied out of the listing callback. */
struct key_vec {
	struct key_ent {
		char *key;
		bool is_prefix;
	} * v;
	size_t n, cap;
};

static void key_vec_release(struct key_vec *kv)
{
	size_t i;

	for (i = 0; i < kv->n; i++)
		free(kv->v[i].key);
	free(kv->v);
	memset(kv, 0, sizeof(*kv));
}

static int key_vec_cb(const struct store_entry *e, void *arg)
{
	struct key_vec *kv = arg;

	if (kv->n == kv->cap) {
		size_t cap = kv->cap ? kv->cap * 2 : 16;
		struct key_ent *v = realloc(kv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		kv->v = v;
		kv->cap = cap;
	}
	kv->v[kv->n].key = strdup(e->key);
	if (!kv->v[kv->n].key)
		return -ENOMEM;
	kv->v[kv->n].is_prefix = e->is_prefix;
	kv->n++;
	return 0;
}

/* "__ss_<label>" as one key component, and not the stray content dir. */
static bool label_dir_ok(const char *dir)
{
	return strncmp(dir, "__ss_", 5) == 0 && dir[5] != '\0' &&
	       !strchr(dir, '/') && strcmp(dir, "__ss_content") != 0;
}

static int label_prefix(const struct repo *r, const char *dir, char *buf,
			size_t size, char *err, size_t errlen)
{
	if (!label_dir_ok(dir)) {
		set_err(err, errlen, "\"%s\" is not a snapshot label directory",
			dir);
		return -EINVAL;
	}
	if ((size_t)snprintf(buf, size, "%s%s/", r->root, dir) >= size) {
		set_err(err, errlen, "%s%s: key too long", r->root, dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

/*
 * Delete the listed objects (not prefixes) that lie under @prefix, in
 * batches (one S3 DeleteObjects request per STORE_BATCH_MAX keys). Keys
 * outside @prefix are never touched, whatever the store answered; an
 * object that vanished meanwhile is no error.
 */
static int remove_objects(struct repo *r, const char *prefix,
			  const struct key_vec *kv, size_t *nremoved, char *err,
			  size_t errlen)
{
	size_t i, n = 0, plen = strlen(prefix);
	const char **keys = calloc(kv->n ? kv->n : 1, sizeof(*keys));
	int rc;

	if (!keys)
		return -ENOMEM;
	for (i = 0; i < kv->n; i++)
		if (!kv->v[i].is_prefix &&
		    strncmp(kv->v[i].key, prefix, plen) == 0)
			keys[n++] = kv->v[i].key;
	rc = store_remove_many(r->st, keys, n);
	if (rc < 0) {
		set_err(err, errlen, "cannot delete under %s: %s", prefix,
			store_strerror(rc));
		snap_log(LOG_ERR, "delete under %s: %s", prefix,
			 store_strerror(rc));
	} else {
		*nremoved += n;
	}
	free(keys);
	return rc;
}

/*
 * Remove everything under @prefix from one flat listing: the deeper
 * objects first, then the level's own, so @prefix stays listed until its
 * last object goes. A flat listing also finds what a delimited one may
 * hide: s3rver leaves out a prefix that holds only deeper prefixes.
 */
static int remove_prefix(struct repo *r, const char *prefix, size_t *nremoved,
			 char *err, size_t errlen)
{
	struct key_vec flat = {0}, deep = {0}, level = {0};
	size_t i, plen = strlen(prefix);
	int rc;

	rc = store_list(r->st, prefix, NULL, key_vec_cb, &flat);
	if (rc < 0) {
		set_err(err, errlen, "cannot list %s: %s", prefix,
			store_strerror(rc));
		goto out;
	}
	/* Split without copying: the vectors borrow flat's keys. */
	deep.v = calloc(flat.n ? flat.n : 1, sizeof(*deep.v));
	level.v = calloc(flat.n ? flat.n : 1, sizeof(*level.v));
	if (!deep.v || !level.v) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < flat.n; i++) {
		const char *k = flat.v[i].key;

		if (strncmp(k, prefix, plen) != 0)
			continue;
		if (strchr(k + plen, '/'))
			deep.v[deep.n++] = flat.v[i];
		else
			level.v[level.n++] = flat.v[i];
	}
	rc = remove_objects(r, prefix, &deep, nremoved, err, errlen);
	if (rc == 0)
		rc = remove_objects(r, prefix, &level, nremoved, err, errlen);
out:
	free(deep.v);
	free(level.v);
	key_vec_release(&flat);
	return rc;
}

static bool is_info_name(const char *prefix, const char *key)
{
	return strncmp(key + strlen(prefix), "__info_", 7) == 0;
}

int repo_snapshot_delete(struct repo *r, const struct repo_label *l,
			 const struct repo_ts *t, char *err, size_t errlen)
{
	struct key_vec kv = {0};
	char prefix[4096];
	size_t i, plen, nremoved = 0;
	const char *other = NULL;
	int rc;

	if (!store_can(r->st, STORE_CAP_WRITE)) {
		set_err(err, errlen, "%s is read-only: cannot delete %s",
			r->st->url, t->info_key);
		return -EROFS;
	}
	rc = label_prefix(r, l->dir, prefix, sizeof(prefix), err, errlen);
	if (rc < 0)
		return rc;
	plen = strlen(prefix);
	if (strncmp(t->info_key, prefix, plen) != 0 ||
	    !is_info_name(prefix, t->info_key) ||
	    strchr(t->info_key + plen, '/')) {
		set_err(err, errlen, "%s is not an info object of %s/",
			t->info_key, prefix);
		return -EINVAL;
	}

	/* First, so that a half-deleted snapshot never looks complete. */
	rc = store_remove(r->st, t->info_key);
	if (rc == -ENOENT) {
		set_err(err, errlen, "%s is gone already", t->info_key);
		return rc;
	}
	if (rc < 0) {
		set_err(err, errlen, "cannot delete %s: %s", t->info_key,
			strerror(-rc));
		snap_log(LOG_ERR, "delete %s: %s", t->info_key, strerror(-rc));
		return rc;
	}
	snap_log(LOG_NOTICE, "deleted %s", t->info_key);

	/* The label's data is shared by its timestamps: look afresh. */
	rc = store_list(r->st, prefix, "/", key_vec_cb, &kv);
	if (rc < 0) {
		set_err(err, errlen, "deleted %s, but cannot list %s: %s",
			t->info_key, prefix, strerror(-rc));
		goto out;
	}
	for (i = 0; i < kv.n && !other; i++)
		if (!kv.v[i].is_prefix && is_info_name(prefix, kv.v[i].key))
			other = kv.v[i].key;
	if (other) {
		snap_log(LOG_INFO, "%s still holds %s: its data stays", prefix,
			 other);
		goto out;
	}
	rc = remove_prefix(r, prefix, &nremoved, err, errlen);
	if (rc == 0)
		snap_log(LOG_NOTICE, "deleted %zu more objects under %s",
			 nremoved, prefix);
out:
	key_vec_release(&kv);
	return rc;
}

int repo_label_purge(struct repo *r, const char *dir, char *err, size_t errlen)
{
	struct key_vec kv = {0};
	char prefix[4096];
	size_t i, lnlen, nremoved = 0;
	int rc;

	if (!store_can(r->st, STORE_CAP_WRITE)) {
		set_err(err, errlen, "%s is read-only: cannot delete %s",
			r->st->url, dir);
		return -EROFS;
	}
	rc = label_prefix(r, dir, prefix, sizeof(prefix), err, errlen);
	if (rc < 0)
		return rc;
	rc = store_list(r->st, prefix, "/", key_vec_cb, &kv);
	if (rc < 0) {
		set_err(err, errlen, "cannot list %s: %s", prefix,
			strerror(-rc));
		goto out;
	}
	if (kv.n == 0) {
		set_err(err, errlen, "nothing is stored under %s", prefix);
		rc = -ENOENT;
		goto out;
	}
	for (i = 0; i < kv.n; i++) {
		const char *k = kv.v[i].key;

		if (!kv.v[i].is_prefix && is_info_name(prefix, k) &&
		    md5_split_name(k + strlen(prefix), &lnlen) == 0) {
			set_err(err, errlen,
				"%s still holds the snapshot %s: delete it "
				"first",
				prefix, k);
			rc = -ENOTEMPTY;
			goto out;
		}
	}
	rc = remove_prefix(r, prefix, &nremoved, err, errlen);
	if (rc == 0)
		snap_log(LOG_NOTICE, "purged %zu objects under %s", nremoved,
			 prefix);
out:
	key_vec_release(&kv);
	return rc;
}

/* ---- retention -------------------------------------------------------- */

/* One candidate timestamp of a label while its fate is decided. */
struct cand {
	size_t i; /* index in l->ts */
	int64_t time;
	bool ok, from_mtime;
	char *verdict;
	char *reason;
};

/* Newest first: larger time, then larger name. */
static int cand_cmp_ctx(const struct cand *a, const struct cand *b,
			const struct repo_label *l)
{
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return -strcmp(l->ts[a->i].name, l->ts[b->i].name);
}

static void cands_sort(struct cand *c, size_t n, const struct repo_label *l)
{
	size_t i, j;
	struct cand tmp;

	/* Insertion sort: few timestamps per label, and no qsort context. */
	for (i = 1; i < n; i++) {
		tmp = c[i];
		for (j = i; j > 0 && cand_cmp_ctx(&tmp, &c[j - 1], l) < 0; j--)
			c[j] = c[j - 1];
		c[j] = tmp;
	}
}

static int cand_idx_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->i < y->i ? -1 : x->i > y->i;
}

/* Append ";"-separated text to *reason. */
static int reason_add(char **reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int reason_add(char **reason, const char *fmt, ...)
{
	char *part = NULL, *joined = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&part, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	if (!*reason) {
		*reason = part;
		return 0;
	}
	rc = asprintf(&joined, "%s; %s", *reason, part);
	free(part);
	if (rc < 0)
		return -ENOMEM;
	free(*reason);
	*reason = joined;
	return 0;
}

static int plan_push(struct repo_plan *p, size_t *cap,
		     const struct repo_label *l, const struct cand *c)
{
	const struct repo_ts *t = &l->ts[c->i];
	struct repo_plan_item *it;

	if (p->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		it = realloc(p->items, ncap * sizeof(*it));
		if (!it)
			return -ENOMEM;
		p->items = it;
		*cap = ncap;
	}
	it = &p->items[p->n];
	memset(it, 0, sizeof(*it));
	it->label = strdup(l->label);
	it->dir = strdup(l->dir);
	it->ts = strdup(t->name);
	it->info_key = strdup(t->info_key);
	it->reason = strdup(c->reason);
	it->backup_time = c->time;
	it->time_from_mtime = c->from_mtime;
	p->n++; /* freed with the plan even if a strdup failed */
	if (!it->label || !it->dir || !it->ts || !it->info_key || !it->reason)
		return -ENOMEM;
	return 0;
}

static int plan_label(struct repo *r, const char *dir, int keep_last,
		      int64_t older_than_s, int64_t now, struct repo_plan *p,
		      size_t *cap)
{
	struct repo_label *l = NULL;
	struct cand *c = NULL;
	size_t i, n = 0, nok = 0;
	int rc;

	rc = repo_label_load(r, dir, &l);
	if (rc == -ENOENT)
		return 0; /* went away since the listing */
	if (rc < 0)
		return rc;
	c = calloc(l->nts ? l->nts : 1, sizeof(*c));
	if (!c) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < l->nts; i++) {
		struct repo_snapshot *s;

		/* An invalid name is a leftover, not a snapshot. */
		if (!l->ts[i].valid_name)
			continue;
		rc = repo_snapshot_load(r, l, &l->ts[i], &s);
		if (rc < 0)
			goto out;
		c[n].i = i;
		c[n].time = s->mtime;
		c[n].ok = s->ok;
		c[n].from_mtime = !s->ji && s->mtime == l->ts[i].info_mtime;
		c[n].verdict = s->verdict;
		s->verdict = NULL;
		repo_snapshot_free(s);
		n++;
	}
	cands_sort(c, n, l);
	for (i = 0; i < n; i++) {
		struct cand *x = &c[i];

		rc = 0;
		if (keep_last >= 0 && x->ok && ++nok > (size_t)keep_last)
			rc = reason_add(&x->reason,
					"keep_last %d: complete snapshot #%zu "
					"from the newest",
					keep_last, nok);
		else if (keep_last >= 0 && !x->ok && nok >= (size_t)keep_last)
			rc = reason_add(&x->reason,
					"keep_last %d: not complete (%s), "
					"older than the %d newest complete",
					keep_last, x->verdict, keep_last);
		if (rc == 0 && older_than_s >= 0 &&
		    x->time < now - older_than_s)
			rc = reason_add(&x->reason,
					"older than %" PRId64 "s (age %" PRId64
					"s%s)",
					older_than_s, now - x->time,
					x->from_mtime ? ", by the info "
							"object's mtime: the "
							"info does not parse"
						      : "");
		if (rc < 0)
			goto out;
	}
	/* Report in timestamp order, as the label lists them. */
	qsort(c, n, sizeof(*c), cand_idx_cmp);
	for (i = 0; i < n; i++) {
		if (!c[i].reason)
			continue;
		rc = plan_push(p, cap, l, &c[i]);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		free(c[i].verdict);
		free(c[i].reason);
	}
	free(c);
	repo_label_free(l);
	return rc;
}

struct dir_list {
	char **v;
	size_t n, cap;
};

static int dir_list_cb(const struct repo_label_ref *ref, void *arg)
{
	struct dir_list *dl = arg;

	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 16;
		char **v = realloc(dl->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		dl->v = v;
		dl->cap = cap;
	}
	dl->v[dl->n] = strdup(ref->dir);
	if (!dl->v[dl->n])
		return -ENOMEM;
	dl->n++;
	return 0;
}

int repo_retention_plan(struct repo *r, int keep_last, int64_t older_than_s,
			int64_t now, struct repo_plan **out)
{
	struct dir_list dl = {0};
	struct repo_plan *p = NULL;
	size_t i, cap = 0;
	int rc;

	if (keep_last < -1 || older_than_s < -1)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	/* Labels first, so no listing runs inside another's callback. */
	rc = repo_list_labels(r, dir_list_cb, &dl);
	if (rc < 0)
		goto out;
	for (i = 0; i < dl.n; i++) {
		rc = plan_label(r, dl.v[i], keep_last, older_than_s, now, p,
				&cap);
		if (rc < 0)
			goto out;
	}
out:
	for (i = 0; i < dl.n; i++)
		free(dl.v[i]);
	free(dl.v);
	if (rc < 0) {
		repo_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void repo_plan_free(struct repo_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->items[i].label);
		free(p->items[i].dir);
		free(p->items[i].ts);
		free(p->items[i].info_key);
		free(p->items[i].reason);
	}
	free(p->items);
	free(p);
}

static void format_utc(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "@%" PRId64, t);
}

/*
 * Finish an open_memstream() text: *buf and *blen are only valid after
 * fclose().
 */
static int memstream_done(FILE *f, char **buf, size_t *blen, char **text,
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

int repo_plan_text(const struct repo_plan *p, char **text, size_t *len)
{
	char *buf = NULL, when[32];
	size_t blen = 0, i;
	FILE *f;

	f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < p->n; i++) {
		const struct repo_plan_item *it = &p->items[i];

		format_utc(it->backup_time, when);
		fprintf(f, "%s/%s  %s  %s\n", it->label, it->ts, when,
			it->reason);
	}
	return memstream_done(f, &buf, &blen, text, len);
}

/* ---- verifying -------------------------------------------------------- */

#define VERIFY_CHUNK (1u << 20)

struct verify {
	struct repo *r;
	struct repo_verify_report *rep;
	unsigned char *buf; /* VERIFY_CHUNK bytes */
};

static int problem(struct repo_verify_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int problem(struct repo_verify_report *rep, const char *fmt, ...)
{
	char **v, *line = NULL;
	va_list ap;
	int rc;

	v = realloc(rep->problems, (rep->nproblems + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rep->problems = v;
	va_start(ap, fmt);
	rc = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rep->problems[rep->nproblems++] = line;
	return 0;
}

/*
 * Read @key whole: compare the bytes read with @listed and the content's
 * MD5 with @want (unless NULL). Findings go into the report.
 * @return 0; -ENOMEM.
 */
static int verify_object(struct verify *v, const char *key, uint64_t listed,
			 const char *want)
{
	struct repo_verify_report *rep = v->rep;
	char hex[MD5_HEX_LEN + 1];
	struct md5 *m = NULL;
	uint64_t off = 0;
	size_t n;
	int rc;

	rep->objects++;
	rc = md5_new(&m);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = store_read(v->r->st, key, off, v->buf, VERIFY_CHUNK, &n);
		if (rc < 0)
			break;
		md5_update(m, v->buf, n);
		off += n;
		/* A short count is the end of the object. */
		if (n < VERIFY_CHUNK)
			break;
	}
	rep->bytes += off;
	if (rc == -ENOENT) {
		rep->missing++;
		rc = problem(rep, "missing: %s", key);
		goto out;
	}
	if (rc == -ENOMEM)
		goto out;
	if (rc < 0) {
		rep->errors++;
		rc = problem(rep, "error: %s: read at %" PRIu64 ": %s", key,
			     off, strerror(-rc));
		goto out;
	}
	md5_final_hex(m, hex);
	if (off != listed) {
		rep->size_mismatches++;
		rc = problem(rep,
			     "size mismatch: %s: listed %" PRIu64
			     " bytes, read %" PRIu64,
			     key, listed, off);
		if (rc < 0)
			goto out;
	}
	if (want && strcmp(hex, want) != 0) {
		rep->md5_mismatches++;
		rc = problem(rep,
			     "md5 mismatch: %s: content MD5 is %s (%" PRIu64
			     " bytes), the name says %s",
			     key, hex, off, want);
	}
out:
	md5_free(m);
	return rc;
}

/* The MD5 a key's last component carries, or NULL. */
static const char *name_md5(const char *key)
{
	const char *base = strrchr(key, '/');
	size_t lnlen;

	base = base ? base + 1 : key;
	return md5_split_name(base, &lnlen) == 0 ? base + lnlen + 1 : NULL;
}

/*
 * Each tablet id falls in a bucket 0..99 (hashed with the salt s / n);
 * seed s takes the window of @pct buckets starting at (s mod n) * @pct.
 */
static bool tablet_sampled(int64_t id, unsigned pct, uint64_t seed)
{
	unsigned char b[16];
	uint64_t nslices, slice, salt, u = (uint64_t)id, bucket, start;
	int i;

	if (pct >= 100)
		return true;
	nslices = (100 + pct - 1) / pct;
	slice = seed % nslices;
	salt = seed / nslices;
	for (i = 0; i < 8; i++) {
		b[i] = (unsigned char)(salt >> (8 * i));
		b[8 + i] = (unsigned char)(u >> (8 * i));
	}
	bucket = hash_xxh3(b, sizeof(b)) % 100;
	start = slice * pct;
	return (bucket + 100 - start) % 100 < pct;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct extra_scan {
	struct verify *v;
	const char **keys; /* the tablet's expected keys, sorted */
	size_t nkeys;
	size_t plen;
	bool listed_only; /* the info lists no files */
};

static int extra_scan_cb(const struct store_entry *e, void *arg)
{
	struct extra_scan *xs = arg;
	const char *key = e->key;

	/* The BE lists one level and skips names without a '.'. */
	if (e->is_prefix || !strchr(key + xs->plen, '.'))
		return 0;
	if (bsearch(&key, xs->keys, xs->nkeys, sizeof(*xs->keys), str_ptr_cmp))
		return 0;
	xs->v->rep->extra++;
	return problem(xs->v->rep, "extra: %s: %s", key,
		       xs->listed_only
			       ? "not a <name>.<md5> file, or a second "
				 "version of one (the BE would fail on it or "
				 "restore it)"
			       : "in the tablet directory, not in the info "
				 "(the BE would restore it or fail on it)");
}

static int verify_tablet(struct verify *v, const struct repo_snapshot *s,
			 const struct jobinfo_table *tbl,
			 const struct jobinfo_index *idx,
			 const struct jobinfo_tablet *tab)
{
	struct repo_verify_report *rep = v->rep;
	struct extra_scan xs = {.v = v};
	struct repo_file *files = NULL;
	size_t i, n = 0, nexp;
	char prefix[4096];
	int rc;

	xs.plen = tablet_prefix(v->r, s, tbl, idx, tab, prefix, sizeof(prefix));
	if (xs.plen >= sizeof(prefix)) {
		rep->errors++;
		return problem(rep, "error: tablet %" PRId64 ": key too long",
			       tab->id);
	}
	rc = repo_tablet_files(v->r, s, tbl, idx, tab, &files, &n);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		rep->errors++;
		return problem(rep, "error: %s: list: %s", prefix,
			       strerror(-rc));
	}
	/*
	 * repo_tablet_files() puts the info's files first; objects it adds
	 * after them are files of the tablet only when the info lists none.
	 */
	xs.listed_only = tab->nfiles == 0;
	nexp = xs.listed_only ? n : tab->nfiles;
	if (n == 0 && strcmp(s->ji->content, "METADATA_ONLY") != 0) {
		rep->missing++;
		rc = problem(rep,
			     "missing: %s: tablet %" PRId64 " has no files "
			     "(RESTORE fails on an empty directory)",
			     prefix, tab->id);
		goto out;
	}
	xs.keys = calloc(nexp ? nexp : 1, sizeof(*xs.keys));
	if (!xs.keys) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nexp; i++) {
		const struct repo_file *f = &files[i];

		xs.keys[xs.nkeys++] = f->key;
		if (f->present) {
			rc = verify_object(v, f->key, f->size, f->md5);
		} else {
			rep->objects++;
			rep->missing++;
			rc = problem(rep, "missing: %s", f->key);
		}
		if (rc < 0)
			goto out;
	}
	qsort(xs.keys, xs.nkeys, sizeof(*xs.keys), str_ptr_cmp);
	rc = store_list(v->r->st, prefix, "/", extra_scan_cb, &xs);
	if (rc < 0 && rc != -ENOMEM) {
		rep->errors++;
		rc = problem(rep, "error: %s: list: %s", prefix, strerror(-rc));
	}
out:
	free(xs.keys);
	repo_files_free(files, n);
	return rc;
}

static int verify_tablets(struct verify *v, const struct repo_snapshot *s,
			  unsigned pct, uint64_t seed)
{
	const struct jobinfo *ji = s->ji;
	size_t a, b, c, d;
	int rc;

	for (a = 0; a < ji->ntables; a++) {
		const struct jobinfo_table *tbl = &ji->tables[a];

		for (b = 0; b < tbl->npartitions; b++) {
			const struct jobinfo_partition *part =
				&tbl->partitions[b];

			for (c = 0; c < part->nindexes; c++) {
				const struct jobinfo_index *idx =
					&part->indexes[c];

				for (d = 0; d < idx->ntablets; d++) {
					const struct jobinfo_tablet *tab =
						&idx->tablets[d];

					v->rep->tablets++;
					if (!tablet_sampled(tab->id, pct, seed))
						continue;
					v->rep->tablets_checked++;
					rc = verify_tablet(v, s, tbl, idx, tab);
					if (rc < 0)
						return rc;
				}
			}
		}
	}
	return 0;
}

int repo_snapshot_verify(struct repo *r, const struct repo_snapshot *s,
			 unsigned sample_percent, uint64_t seed,
			 struct repo_verify_report **out)
{
	struct repo_verify_report *rep = NULL;
	struct verify v = {.r = r};
	int rc;

	if (sample_percent == 0 || sample_percent > 100)
		return -EINVAL;
	rep = calloc(1, sizeof(*rep));
	v.buf = malloc(VERIFY_CHUNK);
	if (!rep || !v.buf) {
		rc = -ENOMEM;
		goto out;
	}
	v.rep = rep;
	rep->sample_percent = sample_percent;
	rep->seed = seed;
	rep->label = strdup(s->label);
	rep->ts = strdup(s->ts);
	if (!rep->label || !rep->ts) {
		rc = -ENOMEM;
		goto out;
	}
	if (!s->ok) {
		rep->invalid++;
		rc = problem(rep, "snapshot: %s: %s%s", s->info_key, s->verdict,
			     s->ji ? "" : " (no tablet can be checked)");
		if (rc < 0)
			goto out;
	}
	rc = verify_object(&v, s->info_key, s->info_size,
			   name_md5(s->info_key));
	if (rc < 0)
		goto out;
	if (s->meta_key) {
		rc = verify_object(&v, s->meta_key, s->meta_size,
				   name_md5(s->meta_key));
		if (rc < 0)
			goto out;
	}
	if (s->ji)
		rc = verify_tablets(&v, s, sample_percent, seed);
out:
	free(v.buf);
	if (rc < 0) {
		repo_verify_report_free(rep);
		return rc;
	}
	*out = rep;
	return 0;
}

void repo_verify_report_free(struct repo_verify_report *rep)
{
	size_t i;

	if (!rep)
		return;
	for (i = 0; i < rep->nproblems; i++)
		free(rep->problems[i]);
	free(rep->problems);
	free(rep->label);
	free(rep->ts);
	free(rep);
}

int repo_verify_text(const struct repo_verify_report *rep, char **text,
		     size_t *len)
{
	char *buf = NULL;
	size_t blen = 0, i;
	FILE *f;

	f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	if (rep->nproblems == 0)
		fprintf(f, "OK\n");
	else
		fprintf(f, "FAILED: %zu problem%s\n", rep->nproblems,
			rep->nproblems == 1 ? "" : "s");
	fprintf(f, "snapshot: %s/%s\n", rep->label, rep->ts);
	if (rep->sample_percent >= 100)
		fprintf(f, "tablets: %zu of %zu (all)\n", rep->tablets_checked,
			rep->tablets);
	else
		fprintf(f,
			"tablets: %zu of %zu (sample %u%%, seed %" PRIu64 ")\n",
			rep->tablets_checked, rep->tablets, rep->sample_percent,
			rep->seed);
	fprintf(f,
		"objects: %" PRIu64 " checked, %" PRIu64 " bytes read\n"
		"missing: %" PRIu64 "\n"
		"size mismatches: %" PRIu64 "\n"
		"md5 mismatches: %" PRIu64 "\n"
		"extra objects: %" PRIu64 "\n"
		"store errors: %" PRIu64 "\n"
		"snapshot problems: %" PRIu64 "\n",
		rep->objects, rep->bytes, rep->missing, rep->size_mismatches,
		rep->md5_mismatches, rep->extra, rep->errors, rep->invalid);
	for (i = 0; i < rep->nproblems; i++)
		fprintf(f, "%s\n", rep->problems[i]);
	return memstream_done(f, &buf, &blen, text, len);
}
