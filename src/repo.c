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

#include <jansson.h>

#include "hash.h"
#include "jobinfo.h"
#include "log.h"
#include "meta.h"
#include "repo.h"
#include "store.h"

#include "banned.h"

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
	ref.label = jobinfo_name_ok(label) ? label : NULL;
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

int repo_tablet_files(struct repo *r, const struct repo_snapshot *s,
		      const struct jobinfo_table *tbl,
		      const struct jobinfo_index *idx,
		      const struct jobinfo_tablet *tab,
		      struct repo_file **files, size_t *nfiles)
{
	struct tablet_scan ts = {0};
	char prefix[4096];
	size_t i, lnlen;
	int rc = 0;

	ts.prefix_len = (size_t)snprintf(
		prefix, sizeof(prefix),
		"%s__ss_%s/__ss_content/__db_%" PRId64 "/__tbl_%" PRId64
		"/__part_%" PRId64 "/__idx_%" PRId64 "/__%" PRId64 "/",
		r->root, s->label, s->ji->db_id, tbl->id, tab->part_id, idx->id,
		tab->id);
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
