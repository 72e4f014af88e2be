/* SPDX-License-Identifier: MIT */
/*
 * spec_props.c - PROPERTIES ( "key" = "value", ... ) of the statements
 * (spec_int.h): which keys each statement takes, and the checks and
 * defaults of every value. Values are checked here, where the position of
 * the bad one is known, so last_error can point at it.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_int.h"

#include "base/banned.h"

#define REPLICATION_MAX	    32767 /* Doris keeps it in a short */
#define RESTORE_TIMEOUT_MIN 600	  /* as Doris and StarRocks enforce */
/* Java int seconds; also keeps timeout * 1000 far from int64 overflow. */
#define TIMEOUT_MAX	 INT32_MAX
#define META_VERSION_MAX INT32_MAX
#define KEEP_LAST_MAX	 1000000
/* older_than, in seconds: some 68 years, and now - it can't overflow. */
#define OLDER_THAN_MAX INT32_MAX

static const char *const prop_names[] = {
	[P_BACKUP_TIMESTAMP] = "backup_timestamp",
	[P_REPLICATION_NUM] = "replication_num",
	[P_REPLICATION_ALLOCATION] = "replication_allocation",
	[P_TIMEOUT] = "timeout",
	[P_ALLOW_LOAD] = "allow_load",
	[P_RESERVE_REPLICA] = "reserve_replica",
	[P_ATOMIC_RESTORE] = "atomic_restore",
	[P_FORCE_REPLACE] = "force_replace",
	[P_CLEAN_TABLES] = "clean_tables",
	[P_CLEAN_PARTITIONS] = "clean_partitions",
	[P_META_VERSION] = "meta_version",
	[P_TYPE] = "type",
	[P_CONTENT] = "content",
	[P_KEEP_LAST] = "keep_last",
	[P_OLDER_THAN] = "older_than",
	[P_DRY_RUN] = "dry_run",
	[P_LABEL] = "label",
	[P_SAMPLE_PERCENT] = "sample_percent",
	[P_SEED] = "seed",
};

static const enum spec_prop restore_props[] = {
	P_BACKUP_TIMESTAMP, P_REPLICATION_NUM, P_REPLICATION_ALLOCATION,
	P_TIMEOUT,	    P_ALLOW_LOAD,      P_RESERVE_REPLICA,
	P_ATOMIC_RESTORE,   P_FORCE_REPLACE,   P_CLEAN_TABLES,
	P_CLEAN_PARTITIONS, P_META_VERSION,
};

static const enum spec_prop backup_props[] = {P_TYPE, P_TIMEOUT, P_CONTENT};

static const enum spec_prop drop_props[] = {P_BACKUP_TIMESTAMP};

static const enum spec_prop clean_props[] = {P_KEEP_LAST, P_OLDER_THAN,
					     P_DRY_RUN, P_LABEL};

static const enum spec_prop verify_props[] = {P_BACKUP_TIMESTAMP,
					      P_SAMPLE_PERCENT, P_SEED};

/* --- PROPERTIES ( ... ) ------------------------------------------------- */

/*
 * A decimal integer in [min, max]: optional sign, digits, nothing else.
 * -EINVAL if it isn't one, -ERANGE if it is out of range.
 */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	int64_t r;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		/* Saturate: anything past 2^62 is out of every range. */
		if (v < ((uint64_t)1 << 62))
			v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v >= ((uint64_t)1 << 62))
		return -ERANGE;
	r = neg ? -(int64_t)v : (int64_t)v;
	if (r < min || r > max)
		return -ERANGE;
	*out = r;
	return 0;
}

/* parse_int for the whole uint64 range ("-0" is 0, as there). */
static int parse_u64(const char *s, uint64_t *out)
{
	bool neg = false, over = false;
	uint64_t v = 0, d;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true; /* keep looking for a bad character */
		else
			v = v * 10 + d;
	}
	if (over || (neg && v != 0))
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * A duration: digits, then at most one unit letter (s, m, h, d, w; none
 * means seconds), in seconds up to OLDER_THAN_MAX. Units are lower case
 * only, so that "M" is not read as minutes by someone who meant months.
 * -EINVAL if it isn't one, -ERANGE if it is too long.
 */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {
		{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
	};
	const char *e = s;
	int64_t mul = 1;
	uint64_t v = 0;
	size_t i;

	for (; *e >= '0' && *e <= '9'; e++)
		if (v < ((uint64_t)1 << 62)) /* saturate, as parse_int */
			v = v * 10 + (uint64_t)(*e - '0');
	if (e == s)
		return -EINVAL;
	if (*e) {
		if (e[1])
			return -EINVAL;
		for (i = 0; i < SPEC_NELEM(units); i++)
			if (units[i].unit == *e)
				break;
		if (i == SPEC_NELEM(units))
			return -EINVAL;
		mul = units[i].secs;
	}
	if (v > (uint64_t)(OLDER_THAN_MAX / mul))
		return -ERANGE;
	*out = (int64_t)v * mul;
	return 0;
}

static int bad_value(struct spec_parser *p, const struct spec_pos *at,
		     const char *key, const char *val, const char *must)
{
	char vbuf[SPEC_SHOW_BUF];

	return spec_fail(p, at, "\"%s\" must be %s, got \"%s\"", key, must,
			 spec_show(vbuf, sizeof(vbuf), val, strlen(val), true));
}

static int prop_bool(struct spec_parser *p, const struct spec_pos *at,
		     const char *key, const char *val, bool *out)
{
	if (spec_ascii_eq(val, "true"))
		*out = true;
	else if (spec_ascii_eq(val, "false"))
		*out = false;
	else
		return bad_value(p, at, key, val, "\"true\" or \"false\"");
	return 0;
}

static int prop_replicas(struct spec_parser *p, const struct spec_pos *at,
			 const char *key, const char *val, struct spec *sp)
{
	int64_t n;

	if (parse_int(val, 1, REPLICATION_MAX, &n) < 0)
		return bad_value(p, at, key, val, "an integer from 1 to 32767");
	sp->replication_num = (unsigned)n;
	return 0;
}

/*
 * Doris writes replica counts as "tag.location.<tag>: N[, ...]". Only the
 * default tag means something here.
 */
static int prop_allocation(struct spec_parser *p, const struct spec_pos *at,
			   const char *val, struct spec *sp)
{
	static const char tag[] = "tag.location.default";
	const char *must = "\"tag.location.default: N\" with N from 1 to "
			   "32767";
	const char *s = val, *e, *colon;
	char num[16];
	int64_t n;
	size_t len;

	colon = strchr(s, ':');
	if (!colon || strchr(s, ','))
		return bad_value(p, at, "replication_allocation", val, must);
	while (*s == ' ' || *s == '\t')
		s++;
	e = colon;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (!spec_ascii_eq_n(s, (size_t)(e - s), tag, sizeof(tag) - 1))
		return bad_value(p, at, "replication_allocation", val, must);
	s = colon + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(num))
		return bad_value(p, at, "replication_allocation", val, must);
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_int(num, 1, REPLICATION_MAX, &n) < 0)
		return bad_value(p, at, "replication_allocation", val, must);
	sp->replication_num = (unsigned)n;
	return 0;
}

static int prop_timeout(struct spec_parser *p, const struct spec_pos *at,
			const char *val, int64_t min, struct spec *sp)
{
	char vbuf[SPEC_SHOW_BUF];
	int64_t n = 0;
	int rc;

	rc = parse_int(val, INT64_MIN, INT64_MAX, &n);
	if (rc == -EINVAL)
		return bad_value(p, at, "timeout", val,
				 "a whole number of seconds");
	/* Out of int64 range only when |n| is huge: the sign tells which. */
	if (rc == -ERANGE)
		n = val[0] == '-' ? INT64_MIN : INT64_MAX;
	if (n < min)
		return spec_fail(
			p, at,
			"\"timeout\" must be at least %lld second%s, got "
			"\"%s\"",
			(long long)min, min == 1 ? "" : "s",
			spec_show(vbuf, sizeof(vbuf), val, strlen(val), true));
	if (n > TIMEOUT_MAX)
		return bad_value(p, at, "timeout", val,
				 "at most 2147483647 seconds");
	sp->timeout_s = n;
	return 0;
}

static int prop_duration(struct spec_parser *p, const struct spec_pos *at,
			 const char *key, const char *val, int64_t *out)
{
	int rc = parse_duration(val, out);

	if (rc == -ERANGE)
		return bad_value(p, at, key, val,
				 "at most 2147483647 seconds (24855d)");
	if (rc < 0)
		return bad_value(p, at, key, val,
				 "a whole number followed by s, m, h, d or w, "
				 "or by nothing for seconds (e.g. \"90d\")");
	return 0;
}

/* The value names a snapshot label, so it follows the rules of names. */
static int prop_label(struct spec_parser *p, const struct spec_pos *at,
		      const char *key, const char *val, struct spec *sp)
{
	char vbuf[SPEC_SHOW_BUF];
	const char *why = spec_name_problem(val);

	if (why)
		return spec_fail(
			p, at, "bad snapshot label \"%s\" in \"%s\": %s",
			spec_show(vbuf, sizeof(vbuf), val, strlen(val), true),
			key, why);
	sp->only_label = strdup(val);
	if (!sp->only_label)
		return spec_oom(p, at);
	return 0;
}

static int apply_prop(struct spec_parser *p, struct spec *sp, enum spec_prop id,
		      const struct spec_pos *at, const char *val)
{
	const char *key = prop_names[id];
	int64_t n;

	switch (id) {
	case P_BACKUP_TIMESTAMP:
		if (!*val)
			return spec_fail(
				p, at,
				"\"backup_timestamp\" must not be empty");
		sp->backup_timestamp = strdup(val);
		if (!sp->backup_timestamp)
			return spec_oom(p, at);
		return 0;
	case P_REPLICATION_NUM:
		return prop_replicas(p, at, key, val, sp);
	case P_REPLICATION_ALLOCATION:
		return prop_allocation(p, at, val, sp);
	case P_TIMEOUT:
		return prop_timeout(
			p, at, val,
			sp->kind == SPEC_RESTORE ? RESTORE_TIMEOUT_MIN : 1, sp);
	case P_ALLOW_LOAD:
		return prop_bool(p, at, key, val, &sp->allow_load);
	case P_RESERVE_REPLICA:
		return prop_bool(p, at, key, val, &sp->reserve_replica);
	case P_ATOMIC_RESTORE:
		return prop_bool(p, at, key, val, &sp->atomic_restore);
	case P_FORCE_REPLACE:
		return prop_bool(p, at, key, val, &sp->force_replace);
	case P_CLEAN_TABLES:
		return prop_bool(p, at, key, val, &sp->clean_tables);
	case P_CLEAN_PARTITIONS:
		return prop_bool(p, at, key, val, &sp->clean_partitions);
	case P_META_VERSION:
		if (parse_int(val, 0, META_VERSION_MAX, &n) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 0 to 2147483647");
		sp->meta_version = n;
		return 0;
	case P_TYPE:
		if (spec_ascii_eq(val, "full"))
			return 0;
		if (spec_ascii_eq(val, "incremental"))
			return spec_fail(p, at,
					 "only full backups are supported: "
					 "\"type\" must be \"full\", got "
					 "\"incremental\"");
		return bad_value(p, at, key, val, "\"full\"");
	case P_CONTENT:
		if (spec_ascii_eq(val, "all"))
			sp->content = SPEC_CONTENT_ALL;
		else if (spec_ascii_eq(val, "metadata_only"))
			sp->content = SPEC_CONTENT_METADATA_ONLY;
		else
			return bad_value(p, at, key, val,
					 "\"all\" or \"metadata_only\"");
		return 0;
	case P_KEEP_LAST:
		if (parse_int(val, 0, KEEP_LAST_MAX, &n) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 0 to 1000000");
		sp->keep_last = n;
		return 0;
	case P_OLDER_THAN:
		return prop_duration(p, at, key, val, &sp->older_than_s);
	case P_DRY_RUN:
		return prop_bool(p, at, key, val, &sp->dry_run);
	case P_LABEL:
		return prop_label(p, at, key, val, sp);
	case P_SAMPLE_PERCENT:
		if (parse_int(val, 1, 100, &n) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 1 to 100");
		sp->sample_percent = (unsigned)n;
		return 0;
	case P_SEED:
		if (parse_u64(val, &sp->seed) < 0)
			return bad_value(p, at, key, val,
					 "an integer from 0 to "
					 "18446744073709551615");
		return 0;
	}
	return spec_fail(p, at, "internal error: property %d", (int)id);
}

/* Find key among the kind's properties; on failure say which exist. */
/* The properties each statement takes (CANCEL takes none). */
static const struct {
	enum spec_kind kind;
	const enum spec_prop *ids;
	size_t n;
} props_of[] = {
	{SPEC_RESTORE, restore_props, SPEC_NELEM(restore_props)},
	{SPEC_BACKUP, backup_props, SPEC_NELEM(backup_props)},
	{SPEC_DROP_SNAPSHOT, drop_props, SPEC_NELEM(drop_props)},
	{SPEC_CLEAN_SNAPSHOTS, clean_props, SPEC_NELEM(clean_props)},
	{SPEC_VERIFY_SNAPSHOT, verify_props, SPEC_NELEM(verify_props)},
};

/* Find key among the kind's properties; on failure say which exist. */
static int find_prop(struct spec_parser *p, const struct spec *sp,
		     const struct spec_pos *at, const char *key,
		     enum spec_prop *out)
{
	const enum spec_prop *ids = backup_props;
	size_t n = SPEC_NELEM(backup_props), i, o = 0;
	char list[200], kbuf[SPEC_SHOW_BUF];

	for (i = 0; i < SPEC_NELEM(props_of); i++) {
		if (props_of[i].kind == sp->kind) {
			ids = props_of[i].ids;
			n = props_of[i].n;
		}
	}
	for (i = 0; i < n; i++) {
		if (spec_ascii_eq(key, prop_names[ids[i]])) {
			*out = ids[i];
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; i < n && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				      i ? ", " : "", prop_names[ids[i]]);
	return spec_fail(p, at, "unknown %s property \"%s\" (allowed: %s)",
			 spec_kind_name(sp->kind),
			 spec_show(kbuf, sizeof(kbuf), key, strlen(key), true),
			 list);
}

/*
 * The quoted key at the cursor: known to sp's kind, not given before.
 * kbuf gets the key as written, for messages.
 */
static int take_key(struct spec_parser *p, const struct spec *sp, unsigned seen,
		    enum spec_prop *id, char kbuf[SPEC_SHOW_BUF])
{
	char buf[SPEC_SHOW_BUF + 8];
	struct spec_tok kt;
	char *key;
	int rc;

	rc = spec_peek(p, &kt);
	if (rc < 0)
		return rc;
	if (kt.kind != TOK_DQUOTE && kt.kind != TOK_SQUOTE)
		return spec_fail(p, &kt.at,
				 "expected a quoted property name, found %s",
				 spec_tok_desc(p, &kt, buf, sizeof(buf)));
	key = spec_tok_text(p, &kt);
	if (!key)
		return spec_oom(p, &kt.at);
	rc = find_prop(p, sp, &kt.at, key, id);
	spec_show(kbuf, SPEC_SHOW_BUF, key, strlen(key), true);
	free(key);
	if (rc < 0)
		return rc;
	if (seen & (1u << *id))
		return spec_fail(p, &kt.at, "property \"%s\" is given twice",
				 prop_names[*id]);
	if ((*id == P_REPLICATION_NUM &&
	     (seen & (1u << P_REPLICATION_ALLOCATION))) ||
	    (*id == P_REPLICATION_ALLOCATION &&
	     (seen & (1u << P_REPLICATION_NUM))))
		return spec_fail(p, &kt.at,
				 "give \"replication_num\" or "
				 "\"replication_allocation\", not both");
	spec_take(p, &kt);
	return 0;
}

/* "key" = "value" at the cursor, checked and applied to *sp. */
static int parse_prop(struct spec_parser *p, struct spec *sp, unsigned *seen)
{
	char buf[SPEC_SHOW_BUF + 8], kbuf[SPEC_SHOW_BUF];
	enum spec_prop id = P_BACKUP_TIMESTAMP;
	struct spec_tok vt, t;
	char *val;
	int rc;

	rc = take_key(p, sp, *seen, &id, kbuf);
	if (rc < 0)
		return rc;
	rc = spec_peek(p, &t);
	if (rc < 0)
		return rc;
	if (t.kind != TOK_EQ)
		return spec_fail(p, &t.at,
				 "expected \"=\" after property \"%s\", "
				 "found %s",
				 kbuf, spec_tok_desc(p, &t, buf, sizeof(buf)));
	spec_take(p, &t);
	rc = spec_peek(p, &vt);
	if (rc < 0)
		return rc;
	if (vt.kind != TOK_DQUOTE && vt.kind != TOK_SQUOTE)
		return spec_fail(p, &vt.at,
				 "expected a quoted value for property "
				 "\"%s\", found %s",
				 kbuf, spec_tok_desc(p, &vt, buf, sizeof(buf)));
	val = spec_tok_text(p, &vt);
	if (!val)
		return spec_oom(p, &vt.at);
	rc = apply_prop(p, sp, id, &vt.at, val);
	free(val);
	if (rc < 0)
		return rc;
	spec_take(p, &vt);
	*seen |= 1u << id;
	return 0;
}

int spec_parse_properties(struct spec_parser *p, struct spec *sp,
			  unsigned *seen)
{
	int rc;

	rc = spec_expect(p, TOK_LPAREN, "\"(\"", "after PROPERTIES");
	if (rc < 0)
		return rc;
	for (;;) {
		rc = parse_prop(p, sp, seen);
		if (rc < 0)
			return rc;
		rc = spec_list_next(p, "PROPERTIES");
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
}
