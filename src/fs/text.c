/* SPDX-License-Identifier: MIT */
/*
 * text.c - generated text files. A fixed text (README, repository, a
 * label's status) lives in node->text and is replaced by a re-list. A
 * dynamic text (last_error, a job's status) is made by the family's text
 * slot at every open: the handle keeps that snapshot of it, so a reader
 * sees one consistent text however it reads.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_int.h"

#include "base/banned.h"

/* A dynamic text's handle: the text as it was at open. */
struct dyn_file {
	struct snapfs_file base;
	char *text;
	size_t len;
};

char *text_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

size_t text_copy(const char *text, size_t len, char *buf, size_t size,
		 uint64_t off)
{
	if (off >= len)
		return 0;
	len = len - (size_t)off < size ? len - (size_t)off : size;
	memcpy(buf, text + off, len);
	return len;
}

/* ---- fixed texts ------------------------------------------------------- */

static int fixed_open(struct snapfs *fs, struct node *n, int flags,
		      struct snapfs_file **out)
{
	struct snapfs_file *f;

	if (open_wants_write(flags))
		return -EROFS;
	f = file_new(sizeof(*f));
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

static int fixed_read(struct snapfs *fs, struct snapfs_file *f, char *buf,
		      size_t size, uint64_t off, size_t *n)
{
	struct node *node = f->node;

	/* A re-list may replace the text: read it under the lock. */
	pthread_mutex_lock(&fs->lock);
	*n = text_copy(node->text, strlen(node->text), buf, size, off);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static int fixed_release(struct snapfs *fs, struct snapfs_file *f)
{
	file_free(f);
	return 0;
}

static const struct node_ops fixed_text_ops = {
	.mode = S_IFREG | 0444,
	.open = fixed_open,
	.read = fixed_read,
	.release = fixed_release,
};

struct proto *text_proto(struct protolist *pl, const char *name, char *text,
			 int64_t mtime)
{
	struct proto *p;

	if (!text)
		return NULL;
	p = proto_add(pl, name, &fixed_text_ops);
	if (!p) {
		free(text);
		return NULL;
	}
	p->text = text;
	p->size = strlen(text);
	p->mtime = mtime;
	return p;
}

/* ---- dynamic texts ----------------------------------------------------- */

struct proto *dyn_proto(struct protolist *pl, const char *name,
			const struct node_ops *ops, int64_t mtime)
{
	struct proto *p = proto_add(pl, name, ops);

	if (p) {
		p->ready = false; /* the size is the text's as of now */
		p->mtime = mtime;
	}
	return p;
}

int dyn_getattr(struct snapfs *fs, struct node *n)
{
	char *text;
	size_t len;
	int rc = n->ops->text(fs, n, &text, &len);

	if (rc < 0)
		return rc;
	free(text);
	pthread_mutex_lock(&fs->lock);
	n->size = len;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

int dyn_open(struct snapfs *fs, struct node *n, int flags,
	     struct snapfs_file **out)
{
	struct dyn_file *f;
	int rc;

	if (open_wants_write(flags))
		return -EROFS;
	f = file_new(sizeof(*f));
	if (!f)
		return -ENOMEM;
	rc = n->ops->text(fs, n, &f->text, &f->len);
	if (rc < 0) {
		file_free(&f->base);
		return rc;
	}
	*out = &f->base;
	return 0;
}

int dyn_read(struct snapfs *fs, struct snapfs_file *f, char *buf, size_t size,
	     uint64_t off, size_t *n)
{
	struct dyn_file *d = (struct dyn_file *)f;

	*n = text_copy(d->text, d->len, buf, size, off);
	return 0;
}

int dyn_release(struct snapfs *fs, struct snapfs_file *f)
{
	struct dyn_file *d = (struct dyn_file *)f;

	free(d->text);
	file_free(&d->base);
	return 0;
}
