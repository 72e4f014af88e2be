/* SPDX-License-Identifier: MIT */
/*
 * jobsdir.c - jobs/: restore and backup (SHOW RESTORE / SHOW BACKUP over
 * all databases) and one directory per job with its status and
 * status.json, all made anew at every open and listed anew every time.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "fs_int.h"
#include "jobs/jobs.h"

#include "base/banned.h"

/* node->sub of a jobs/<id>/ file: 1 for status.json. */
static int job_status_text(struct snapfs *fs, struct node *n, char **text,
			   size_t *len)
{
	int64_t id = strtoll(n->parent->name, NULL, 10);

	return jobs_status(fs->jobs, id, n->sub, text, len);
}

/* node->sub of jobs/restore, jobs/backup: enum job_kind. */
static int show_text(struct snapfs *fs, struct node *n, char **text,
		     size_t *len)
{
	return jobs_show(fs->jobs, (enum job_kind)n->sub, text, len);
}

static const struct node_ops job_status_ops = {
	.mode = S_IFREG | 0444,
	.flags = NODE_VOLATILE | NODE_DIRECT,
	.getattr = dyn_getattr,
	.open = dyn_open,
	.read = dyn_read,
	.release = dyn_release,
	.text = job_status_text,
};

static const struct node_ops show_ops = {
	.mode = S_IFREG | 0444,
	.flags = NODE_VOLATILE | NODE_DIRECT,
	.getattr = dyn_getattr,
	.open = dyn_open,
	.read = dyn_read,
	.release = dyn_release,
	.text = show_text,
};

static int job_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct proto *p;

	if (!dyn_proto(pl, "status", &job_status_ops, fs->mounted_at))
		return -ENOMEM;
	p = dyn_proto(pl, "status.json", &job_status_ops, fs->mounted_at);
	if (!p)
		return -ENOMEM;
	p->sub = true; /* JSON */
	return 0;
}

static const struct node_ops job_ops = {
	.mode = S_IFDIR | 0555,
	.flags = NODE_VOLATILE,
	.fill = job_fill,
};

static int jobsdir_fill(struct snapfs *fs, struct node *dir,
			struct protolist *pl)
{
	static const char *const show[JOB_KIND__COUNT] = {
		[JOB_KIND_RESTORE] = "restore",
		[JOB_KIND_BACKUP] = "backup",
	};
	struct proto *p;
	int64_t *ids = NULL;
	size_t i, n = 0;
	char name[32];
	int rc;

	for (i = 0; i < JOB_KIND__COUNT; i++) {
		p = dyn_proto(pl, show[i], &show_ops, fs->mounted_at);
		if (!p)
			return -ENOMEM;
		p->sub = (int)i;
	}
	rc = jobs_list(fs->jobs, &ids, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%" PRId64, ids[i]);
		if (!proto_dir(pl, name, &job_ops, fs->mounted_at)) {
			rc = -ENOMEM;
			break;
		}
	}
	free(ids);
	return rc;
}

static const struct node_ops jobsdir_ops = {
	.mode = S_IFDIR | 0555,
	.flags = NODE_VOLATILE,
	.fill = jobsdir_fill,
	.due = node_due_always,
};

struct proto *jobsdir_proto(struct snapfs *fs, struct protolist *pl)
{
	struct proto *p = proto_dir(pl, "jobs", &jobsdir_ops, fs->mounted_at);

	if (p)
		p->fixed = true;
	return p;
}
