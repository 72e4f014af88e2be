/* SPDX-License-Identifier: MIT */
/*
 * controldir.c - control/: the files of the mount's control plane
 * (jobs/control.h) as nodes. The plane owns everything about statements:
 * which files there are and which take statements, the text written to
 * an open file and when it is a whole statement, the checks, and the
 * texts of last_error and last_report. This family only maps node
 * operations onto it: a listing from the plane's table of files, a
 * control_buf per open statement file, and the texts read anew at every
 * open. node->sub is the file's index in the plane's table.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "fs_int.h"
#include "jobs/jobs.h"

#include "base/banned.h"

/* An open statement file. */
struct ctl_file {
	struct snapfs_file base;
	struct control_buf *buf; /* the plane serialises calls on it */
};

static struct ctl_file *ctl_file(struct snapfs_file *f)
{
	return (struct ctl_file *)f;
}

static int ctl_open(struct snapfs *fs, struct node *n, int flags,
		    struct snapfs_file **out)
{
	struct ctl_file *f = file_new(sizeof(*f));
	int rc;

	if (!f)
		return -ENOMEM;
	rc = control_buf_new(fs->ctl, (size_t)n->sub, &f->buf);
	if (rc < 0) {
		file_free(&f->base);
		return rc;
	}
	*out = &f->base;
	return 0;
}

/* A statement file reads empty. */
static int ctl_read(struct snapfs *fs, struct snapfs_file *f, char *buf,
		    size_t size, uint64_t off, size_t *n)
{
	*n = 0;
	return 0;
}

/* Control files are streams: @off is not looked at. */
static int ctl_write(struct snapfs *fs, struct snapfs_file *f, const char *buf,
		     size_t size, uint64_t off, size_t *n)
{
	int rc = control_buf_write(ctl_file(f)->buf, buf, size);

	if (rc == 0)
		*n = size;
	return rc;
}

/* close(2): what is left is a whole statement, or a bad one. */
static int ctl_flush(struct snapfs *fs, struct snapfs_file *f)
{
	return control_buf_finish(ctl_file(f)->buf);
}

static int ctl_release(struct snapfs *fs, struct snapfs_file *f)
{
	struct control_buf *b = ctl_file(f)->buf;
	int rc = control_buf_finish(b);

	control_buf_free(b);
	file_free(f);
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

/* last_error, last_report: the plane's text as of now. */
static int ctext_text(struct snapfs *fs, struct node *n, char **text,
		      size_t *len)
{
	return control_file_read(fs->ctl, (size_t)n->sub, text, len);
}

static const struct node_ops ctext_ops = {
	.mode = S_IFREG | 0444,
	.flags = NODE_VOLATILE | NODE_DIRECT,
	.getattr = dyn_getattr,
	.open = dyn_open,
	.read = dyn_read,
	.release = dyn_release,
	.text = ctext_text,
};

/* ---- control/ ---------------------------------------------------------- */

static int control_fill(struct snapfs *fs, struct node *dir,
			struct protolist *pl)
{
	size_t i;

	for (i = 0; i < control_file_count(); i++) {
		bool writable = control_file_writable(i);
		struct proto *p = dyn_proto(pl, control_file_name(i),
					    writable ? &ctl_ops : &ctext_ops,
					    fs->mounted_at);

		if (!p)
			return -ENOMEM;
		p->sub = (int)i;
		p->ready = writable; /* a statement file is always empty */
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
