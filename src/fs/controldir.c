/* SPDX-License-Identifier: MIT */
/*
 * controldir.c - control/: the statement files (restore, backup, cancel,
 * snapshots), last_error and last_report.
 *
 * A statement is submitted when a write ends a line or a ';' and the text
 * so far is a whole statement, else at flush or release (bash's echo
 * writes a multi-line statement one line at a time). Until the jobs
 * layer's control plane takes over buffering and completeness, this file
 * is the only one in src/fs that calls jobs_submit() and jobs_manage().
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_int.h"
#include "jobs/jobs.h"

#include "base/banned.h"

#define STATEMENT_MAX (1 << 20)

/* An open statement file. */
struct ctl_file {
	struct snapfs_file base;
	char *buf; /* under base.lock: text not yet submitted */
	size_t len;
};

void controldir_set_result(struct snapfs *fs, const char *what, int rc,
			   const char *err)
{
	pthread_mutex_lock(&fs->lock);
	if (rc < 0)
		snprintf(fs->last_error, sizeof(fs->last_error), "%s: %s", what,
			 err && err[0] ? err : strerror(-rc));
	else
		fs->last_error[0] = '\0';
	pthread_mutex_unlock(&fs->lock);
}

static bool blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* control/snapshots: DROP, CLEAN, VERIFY; the report goes to
 * last_report. */
static int ctl_manage(struct snapfs *fs, struct ctl_file *f, bool final,
		      char *err, size_t errlen)
{
	char *report = NULL;
	int rc;

	rc = jobs_manage(fs->jobs, f->buf, f->len, err, errlen, &report);
	/* Until the parser says "incomplete" itself (jobs/control.c). */
	if (rc == -EINVAL && !final && !report && strstr(err, "end of input"))
		rc = -EAGAIN;
	if (report) {
		pthread_mutex_lock(&fs->lock);
		free(fs->last_report);
		fs->last_report = report;
		pthread_mutex_unlock(&fs->lock);
	}
	return rc;
}

/*
 * Submit the statement collected in @f. Caller holds f->base.lock.
 * @return 0; -EAGAIN (not @final) the statement goes on, the text is
 *         kept; else the statement's -errno, with last_error saying why.
 */
static int ctl_submit_locked(struct snapfs *fs, struct ctl_file *f, bool final)
{
	struct node *n = f->base.node;
	char err[sizeof(fs->last_error) - 64], what[300];
	int rc;

	if (blank(f->buf, f->len)) {
		f->len = 0; /* only whitespace: nothing to do */
		return 0;
	}
	err[0] = '\0';
	if (n->sub == JOBS_CONTROL_SNAPSHOTS)
		rc = ctl_manage(fs, f, final, err, sizeof(err));
	else
		rc = jobs_submit(fs->jobs, (enum jobs_control)n->sub, f->buf,
				 f->len, err, sizeof(err), NULL);
	if (rc == -EAGAIN && !final)
		return rc;
	if (rc == -EAGAIN)
		rc = -EINVAL; /* it ended too early: a bad statement */
	f->len = 0;
	snprintf(what, sizeof(what), "control/%s", n->name);
	controldir_set_result(fs, what, rc, err);
	if (rc < 0)
		snap_log(LOG_INFO, "control/%s: rejected: %s", n->name,
			 err[0] ? err : strerror(-rc));
	return rc;
}

static int ctl_open(struct snapfs *fs, struct node *n, int flags,
		    struct snapfs_file **out)
{
	struct ctl_file *f = file_new(sizeof(*f));

	if (!f)
		return -ENOMEM;
	*out = &f->base;
	return 0;
}

static int ctl_read(struct snapfs *fs, struct snapfs_file *f, char *buf,
		    size_t size, uint64_t off, size_t *n)
{
	*n = 0;
	return 0;
}

static int ctl_write(struct snapfs *fs, struct snapfs_file *base,
		     const char *buf, size_t size, uint64_t off, size_t *n)
{
	struct ctl_file *f = (struct ctl_file *)base;
	char *nb;
	int rc = 0;

	pthread_mutex_lock(&base->lock);
	if (f->len + size > STATEMENT_MAX) {
		rc = -EFBIG; /* no statement is that long */
		goto out;
	}
	nb = realloc(f->buf, f->len + size + 1);
	if (!nb) {
		rc = -ENOMEM;
		goto out;
	}
	f->buf = nb;
	memcpy(f->buf + f->len, buf, size);
	f->len += size;
	f->buf[f->len] = '\0';
	/* echo writes the statement and its newline at once: submit now,
	 * so that a rejected statement fails this write. */
	if (size > 0 && (buf[size - 1] == '\n' || buf[size - 1] == ';')) {
		rc = ctl_submit_locked(fs, f, false);
		if (rc == -EAGAIN)
			rc = 0; /* incomplete: wait for the rest, or close */
	}
out:
	pthread_mutex_unlock(&base->lock);
	if (rc == 0)
		*n = size;
	return rc;
}

/* close(2): what is left is a whole statement, or a bad one. */
static int ctl_flush(struct snapfs *fs, struct snapfs_file *base)
{
	struct ctl_file *f = (struct ctl_file *)base;
	int rc = 0;

	pthread_mutex_lock(&base->lock);
	if (f->len > 0)
		rc = ctl_submit_locked(fs, f, true);
	pthread_mutex_unlock(&base->lock);
	return rc;
}

static int ctl_release(struct snapfs *fs, struct snapfs_file *base)
{
	struct ctl_file *f = (struct ctl_file *)base;
	int rc = 0;

	if (f->len > 0)
		rc = ctl_submit_locked(fs, f, true);
	free(f->buf);
	file_free(base);
	return rc;
}

static int ctl_truncate(struct snapfs *fs, struct node *n)
{
	return 0; /* shells open with O_TRUNC: nothing to cut */
}

static const struct node_ops ctl_ops = {
	.mode = S_IFREG | 0644,
	.flags = NODE_VOLATILE | NODE_DIRECT,
	.open = ctl_open,
	.read = ctl_read,
	.write = ctl_write,
	.flush = ctl_flush,
	.release = ctl_release,
	.truncate = ctl_truncate,
};

/* ---- last_error, last_report ------------------------------------------- */

static int last_error_text(struct snapfs *fs, struct node *n, char **text,
			   size_t *len)
{
	pthread_mutex_lock(&fs->lock);
	*text = text_printf("%s%s", fs->last_error,
			    fs->last_error[0] ? "\n" : "");
	pthread_mutex_unlock(&fs->lock);
	if (!*text)
		return -ENOMEM;
	*len = strlen(*text);
	return 0;
}

static int last_report_text(struct snapfs *fs, struct node *n, char **text,
			    size_t *len)
{
	pthread_mutex_lock(&fs->lock);
	*text = strdup(fs->last_report ? fs->last_report : "");
	pthread_mutex_unlock(&fs->lock);
	if (!*text)
		return -ENOMEM;
	*len = strlen(*text);
	return 0;
}

static const struct node_ops last_error_ops = {
	.mode = S_IFREG | 0444,
	.flags = NODE_VOLATILE | NODE_DIRECT,
	.getattr = dyn_getattr,
	.open = dyn_open,
	.read = dyn_read,
	.release = dyn_release,
	.text = last_error_text,
};

static const struct node_ops last_report_ops = {
	.mode = S_IFREG | 0444,
	.flags = NODE_VOLATILE | NODE_DIRECT,
	.getattr = dyn_getattr,
	.open = dyn_open,
	.read = dyn_read,
	.release = dyn_release,
	.text = last_report_text,
};

/* ---- control/ ---------------------------------------------------------- */

static const struct {
	const char *name;
	int ctl; /* enum jobs_control; -1 for the texts */
	const struct node_ops *ops;
} control_files[] = {
	{"restore", JOBS_CONTROL_RESTORE, &ctl_ops},
	{"backup", JOBS_CONTROL_BACKUP, &ctl_ops},
	{"cancel", JOBS_CONTROL_CANCEL, &ctl_ops},
	{"last_error", -1, &last_error_ops},
	{"snapshots", JOBS_CONTROL_SNAPSHOTS, &ctl_ops},
	{"last_report", -1, &last_report_ops},
};

static int control_fill(struct snapfs *fs, struct node *dir,
			struct protolist *pl)
{
	size_t i;

	for (i = 0; i < sizeof(control_files) / sizeof(control_files[0]); i++) {
		struct proto *p =
			dyn_proto(pl, control_files[i].name,
				  control_files[i].ops, fs->mounted_at);

		if (!p)
			return -ENOMEM;
		p->sub = control_files[i].ctl;
		p->ready = control_files[i].ctl < 0 ? false : true;
	}
	return 0;
}

static const struct node_ops control_ops = {
	.mode = S_IFDIR | 0555,
	.flags = NODE_VOLATILE,
	.fill = control_fill,
};

struct proto *controldir_proto(struct snapfs *fs, struct protolist *pl)
{
	struct proto *p =
		proto_dir(pl, "control", &control_ops, fs->mounted_at);

	if (p)
		p->fixed = true;
	return p;
}
