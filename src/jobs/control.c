/* SPDX-License-Identifier: MIT */
/*
 * control.c - the control-statement plane (control.h): the table of the
 * control files, statement buffers, the checks done once for every
 * statement, last_error and last_report.
 *
 * Why here and not in the mount: what makes a statement whole, which file
 * takes which statement and what a refusal reads like are the language's
 * business, not FUSE's; kept here they are tested without a mount, and a
 * command line (snapfs restore ...) can use the same plane.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "jobs.h"
#include "spec.h"
#include "base/base.h"

#include "base/banned.h"

#define LAST_ERROR_MAX 1024
/* A handler's sentence, with room left for "control/<file>: " before it. */
#define ERR_MAX (LAST_ERROR_MAX - 64)

struct control {
	struct jobs *jobs;    /* read-only */
	char *repo;	      /* the mounted repository's name; read-only */
	pthread_mutex_t lock; /* guards last_error, last_report; taken
				 last (inside a buffer's lock), held
				 briefly */
	char last_error[LAST_ERROR_MAX]; /* "" or one line, no newline */
	char *last_report;		 /* NULL if none yet */
};

struct control_file;

struct control_buf {
	struct control *c;
	const struct control_file *f;
	pthread_mutex_t lock; /* guards text, len; held while the statement
				 runs; taken before c->lock */
	char *text;	      /* what was written and not run yet */
	size_t len;
};

/*
 * One file of control/. A statement file has kinds and run; a text file
 * (last_error, last_report) has read.
 */
struct control_file {
	const char *name;
	unsigned kinds;	   /* bit (1u << enum spec_kind) per kind taken */
	const char *takes; /* for "control/x takes ..., not ..." */
	/*
	 * Run a statement of one of @kinds that names the mounted repository
	 * (or none), in the writer's thread. Set err (one line) on failure, and
	 * *report when there is one for last_report (also on failure).
	 * Returns 0 or an error by the errno rule of control.h.
	 */
	int (*run)(struct control *c, const struct control_file *f,
		   const struct spec *sp, char *err, size_t errlen,
		   char **report);
	/* The text file's current text: caller-owned. 0 or -ENOMEM. */
	int (*read)(struct control *c, char **text, size_t *len);
};

static int run_job(struct control *c, const struct control_file *f,
		   const struct spec *sp, char *err, size_t errlen,
		   char **report);
static int run_manage(struct control *c, const struct control_file *f,
		      const struct spec *sp, char *err, size_t errlen,
		      char **report);
static int read_last_error(struct control *c, char **text, size_t *len);
static int read_last_report(struct control *c, char **text, size_t *len);

#define KIND(k) (1u << (k))

/* The files, in the order control/ lists them. */
static const struct control_file control_files[] = {
	{
		.name = "restore",
		.kinds = KIND(SPEC_RESTORE),
		.takes = "RESTORE statements",
		.run = run_job,
	},
	{
		.name = "backup",
		.kinds = KIND(SPEC_BACKUP),
		.takes = "BACKUP statements",
		.run = run_job,
	},
	{
		.name = "cancel",
		.kinds = KIND(SPEC_CANCEL_RESTORE) | KIND(SPEC_CANCEL_BACKUP),
		.takes = "CANCEL RESTORE/BACKUP FROM db",
		.run = run_job,
	},
	{.name = "last_error", .read = read_last_error},
	{
		.name = "snapshots",
		.kinds = KIND(SPEC_DROP_SNAPSHOT) | KIND(SPEC_CLEAN_SNAPSHOTS) |
			 KIND(SPEC_VERIFY_SNAPSHOT),
		.takes = "DROP SNAPSHOT, CLEAN SNAPSHOTS or VERIFY SNAPSHOT",
		.run = run_manage,
	},
	{.name = "last_report", .read = read_last_report},
};

#define NFILES (sizeof(control_files) / sizeof(control_files[0]))

/* --- handlers ------------------------------------------------------------ */

static int run_job(struct control *c, const struct control_file *f,
		   const struct spec *sp, char *err, size_t errlen,
		   char **report)
{
	int64_t id = 0;

	(void)f;
	(void)report;
	return jobs_submit_spec(c->jobs, sp, err, errlen, &id);
}

static int run_manage(struct control *c, const struct control_file *f,
		      const struct spec *sp, char *err, size_t errlen,
		      char **report)
{
	(void)f;
	return jobs_manage_spec(c->jobs, sp, err, errlen, report);
}

static int read_last_error(struct control *c, char **text, size_t *len)
{
	size_t n;
	char *s;

	pthread_mutex_lock(&c->lock);
	n = strlen(c->last_error);
	s = malloc(n + 2);
	if (s) {
		memcpy(s, c->last_error, n);
		if (n > 0)
			s[n++] = '\n';
		s[n] = '\0';
	}
	pthread_mutex_unlock(&c->lock);
	if (!s)
		return -ENOMEM;
	*text = s;
	*len = n;
	return 0;
}

static int read_last_report(struct control *c, char **text, size_t *len)
{
	char *s;

	pthread_mutex_lock(&c->lock);
	s = strdup(c->last_report ? c->last_report : "");
	pthread_mutex_unlock(&c->lock);
	if (!s)
		return -ENOMEM;
	*text = s;
	*len = strlen(s);
	return 0;
}

/* --- the plane and its files --------------------------------------------- */

int control_new(struct jobs *j, const char *repo_name, struct control **out)
{
	struct control *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->jobs = j;
	c->repo = strdup(repo_name);
	if (!c->repo) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->last_report);
	free(c->repo);
	free(c);
}

size_t control_file_count(void)
{
	return NFILES;
}

const char *control_file_name(size_t i)
{
	return i < NFILES ? control_files[i].name : NULL;
}

bool control_file_writable(size_t i)
{
	return i < NFILES && control_files[i].run != NULL;
}

int control_file_by_name(const char *name, size_t *i)
{
	size_t k;

	for (k = 0; k < NFILES; k++) {
		if (strcmp(control_files[k].name, name) == 0) {
			*i = k;
			return 0;
		}
	}
	return -ENOENT;
}

int control_file_read(struct control *c, size_t i, char **text, size_t *len)
{
	char *s;

	if (i >= NFILES)
		return -ENOENT;
	if (control_files[i].read)
		return control_files[i].read(c, text, len);
	s = strdup("");
	if (!s)
		return -ENOMEM;
	*text = s;
	*len = 0;
	return 0;
}

int control_last_error(struct control *c, char **text, size_t *len)
{
	return read_last_error(c, text, len);
}

int control_last_report(struct control *c, char **text, size_t *len)
{
	return read_last_report(c, text, len);
}

/* One line: last_error adds the only newline. */
static void one_line(char *s)
{
	char *nl;

	while ((nl = strchr(s, '\n')))
		*nl = ' ';
}

void control_set_error(struct control *c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&c->lock);
	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof(c->last_error), fmt, ap);
	va_end(ap);
	one_line(c->last_error);
	pthread_mutex_unlock(&c->lock);
}

void control_clear_error(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	c->last_error[0] = '\0';
	pthread_mutex_unlock(&c->lock);
}

int control_drop_snapshot(struct control *c, const char *label, const char *ts)
{
	char err[ERR_MAX] = "";
	int rc;

	rc = jobs_drop_snapshot(c->jobs, label, ts, err, sizeof(err));
	if (rc < 0)
		control_set_error(c, "rmdir snapshots/%s/%s: %s", label, ts,
				  err[0] ? err : strerror(-rc));
	else
		control_clear_error(c);
	return rc;
}

/* --- statements ---------------------------------------------------------- */

/* The file that takes statements of @kind, for "use control/x". */
static const char *file_for(enum spec_kind kind)
{
	size_t i;

	for (i = 0; i < NFILES; i++)
		if (control_files[i].kinds & KIND(kind))
			return control_files[i].name;
	return NULL;
}

/*
 * What every statement goes through, once, before its file's handler:
 * does this file take it, and does it name the mounted repository?
 */
static int check(struct control *c, const struct control_file *f,
		 const struct spec *sp, char *err, size_t errlen)
{
	if (!(f->kinds & KIND(sp->kind))) {
		snprintf(err, errlen,
			 "control/%s takes %s, not %s (use control/%s)",
			 f->name, f->takes, spec_kind_name(sp->kind),
			 file_for(sp->kind));
		return -EINVAL;
	}
	/* CANCEL names a database, no repository. */
	if (sp->repo && strcmp(sp->repo, c->repo) != 0) {
		snprintf(err, errlen,
			 "repository \"%s\" is not the mounted repository "
			 "\"%s\"",
			 sp->repo, c->repo);
		return -ENOENT;
	}
	return 0;
}

/*
 * Parse, check and run the statement in @text. -EAGAIN (and nothing
 * done) if the text stops short of one and @final is false.
 */
static int run_statement(struct control *c, const struct control_file *f,
			 const char *text, size_t len, bool final, char *err,
			 size_t errlen, char **report)
{
	struct spec_err se = {0};
	struct spec *sp = NULL;
	int rc;

	rc = spec_parse(text, len, &se, &sp);
	if (rc == -EAGAIN && !final)
		return rc;
	if (rc == -EAGAIN || rc == -EINVAL) {
		/* Cut short at the close: it is what it is, a bad one. */
		snprintf(err, errlen, "line %u, column %u: %s", se.line, se.col,
			 se.msg);
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	rc = check(c, f, sp, err, errlen);
	if (rc == 0)
		rc = f->run(c, f, sp, err, errlen, report);
	spec_free(sp);
	return rc;
}

static bool blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/*
 * Run what b holds, if it is a statement (or @final: whatever it is).
 * Caller holds b->lock.
 */
static int submit_locked(struct control_buf *b, bool final)
{
	struct control *c = b->c;
	char err[ERR_MAX] = "", *report = NULL;
	int rc;

	if (blank(b->text, b->len)) {
		b->len = 0; /* nothing to do */
		return 0;
	}
	rc = run_statement(c, b->f, b->text, b->len, final, err, sizeof(err),
			   &report);
	if (rc == -EAGAIN)
		return rc; /* keep the text: the statement goes on */
	b->len = 0;
	/* The report and the error of one statement change together, so
	 * two statements running at once never leave one's report beside
	 * the other's error. */
	pthread_mutex_lock(&c->lock);
	if (report) {
		free(c->last_report);
		c->last_report = report;
	}
	if (rc < 0)
		snprintf(c->last_error, sizeof(c->last_error), "control/%s: %s",
			 b->f->name, err[0] ? err : strerror(-rc));
	else
		c->last_error[0] = '\0';
	one_line(c->last_error);
	pthread_mutex_unlock(&c->lock);
	if (rc < 0)
		snap_log(LOG_INFO, "control/%s: rejected: %s", b->f->name,
			 err[0] ? err : strerror(-rc));
	return rc;
}

/* --- buffers ------------------------------------------------------------- */

int control_buf_new(struct control *c, size_t i, struct control_buf **out)
{
	struct control_buf *b;

	if (i >= NFILES)
		return -ENOENT;
	if (!control_files[i].run)
		return -EROFS;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->c = c;
	b->f = &control_files[i];
	pthread_mutex_init(&b->lock, NULL);
	*out = b;
	return 0;
}

int control_buf_write(struct control_buf *b, const char *buf, size_t len)
{
	char *nt;
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	if (len > CONTROL_STATEMENT_MAX - b->len) {
		rc = -EFBIG; /* no statement is that long */
		goto out;
	}
	nt = realloc(b->text, b->len + len + 1);
	if (!nt) {
		rc = -ENOMEM;
		goto out;
	}
	b->text = nt;
	memcpy(b->text + b->len, buf, len);
	b->len += len;
	b->text[b->len] = '\0';
	/* echo writes the statement and its newline at once: run it now, so
	 * that a refused statement fails this write. */
	if (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ';')) {
		rc = submit_locked(b, false);
		if (rc == -EAGAIN)
			rc = 0; /* incomplete: wait for the rest, or close */
	}
out:
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int control_buf_finish(struct control_buf *b)
{
	int rc = 0;

	pthread_mutex_lock(&b->lock);
	if (b->len > 0)
		rc = submit_locked(b, true);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

void control_buf_free(struct control_buf *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->text);
	free(b);
}
