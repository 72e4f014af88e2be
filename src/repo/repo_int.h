/* SPDX-License-Identifier: MIT */
/*
 * repo_int.h - what the files of src/repo share and nobody else sees.
 *
 * The folder is one noun per file, all on struct repo:
 *   repo.c      opening: root discovery, __repo_info, the accessors
 *   label.c     labels (__ss_<label>/) and their timestamps
 *   snapshot.c  one snapshot: its info verdict and meta.json
 *   tablet.c    the files of a tablet directory, and content listings
 *   delete.c    deleting a snapshot, purging a label's leftovers
 *   retention.c retention plans (CLEAN SNAPSHOTS, deciding only)
 *   verify.c    checking a snapshot's objects (VERIFY SNAPSHOT)
 *   jpath.c     checked reads of JSON values (for jobinfo.c)
 *   jobinfo.c   the __info_ document; meta.c the __meta framing
 * The later ones build on the earlier ones only through repo.h, so this
 * header holds just the struct and three helpers.
 */
#ifndef SNAPFS_REPO_INT_H
#define SNAPFS_REPO_INT_H

#include <stddef.h>
#include <stdio.h>

#include "repo.h"

/* Read-only after repo_open(), so threads may share it. */
struct repo {
	struct store *st;
	char *root; /* "" or "<prefix><name>/" */
	char *name;
	char *create_time;
	enum repo_flavor flavor;
};

/*
 * printf into a caller's error buffer; does nothing when @err is NULL or
 * @errlen is 0 (the public functions take "May be NULL" buffers).
 */
void repo_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Finish an open_memstream() text: *buf and *blen are only valid after
 * fclose(), which this does. On success the text moves to *text, *len.
 * @return 0; -ENOMEM if a write or the close failed (*buf is freed).
 */
int repo_memstream_done(FILE *f, char **buf, size_t *blen, char **text,
			size_t *len);

/*
 * The key of a tablet's directory, "<root>__ss_<label>/__ss_content/
 * __db_<id>/__tbl_<id>/__part_<id>/__idx_<id>/__<tablet>/", into @buf.
 * @pre s->ji is parsed.
 * @return its length; a result >= @size means it didn't fit.
 */
size_t repo_tablet_prefix(const struct repo *r, const struct repo_snapshot *s,
			  const struct jobinfo_table *tbl,
			  const struct jobinfo_index *idx,
			  const struct jobinfo_tablet *tab, char *buf,
			  size_t size);

#endif
