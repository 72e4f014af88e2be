/* SPDX-License-Identifier: MIT */
/*
 * fsfix.h - the fixture of the mount-tree tests (test-fs.c,
 * test-fs-fault.c): a repository made by contrib/snapfs-mkrepo in a temp
 * directory, served from file:// or loaded into mem://, a local cluster
 * beside it, and the mount tree on top through src/fs/fs.h, without FUSE.
 * Also the helpers the tests share: walking paths, reading and writing
 * files, the manifest, jobs.
 *
 * Check runs each test forked, so the fixture's state (one repository,
 * one mount tree) is per test; fsfix_done() still frees everything, for
 * CK_FORK=no runs and valgrind.
 */
#ifndef SNAPFS_UNIT_FSFIX_H
#define SNAPFS_UNIT_FSFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "base/hash.h"
#include "fs/fs.h"

#define REPO_DIR "__palo_repository_demo"
#define BIG	 (1 << 20)

/* The mount tree under test (NULL until fsfix_open()). */
extern struct snapfs *fs;
/* The temp directory: repo/ (mkrepo's OUTDIR) and data/ (the cluster). */
extern char fsfix_tmp[];
/* mkrepo's OUTDIR: manifest.tsv and the repository directory. */
extern char fsfix_outdir[];
/* The URL fsfix_open() mounts: file://OUTDIR or mem://NAME. */
extern char fsfix_url[];

/* One data file of the manifest: path under snapshots/, size, MD5, key
 * (relative to the repository directory). */
struct mfile {
	char path[1024];
	uint64_t size;
	char md5[MD5_HEX_LEN + 1];
	char key[1024];
};

/* Make the temp directory and a repository in it, with mkrepo's @args
 * (NULL: 2 labels, 2 tables, 2 partitions, 2 buckets). */
void fsfix_make(const char *args);
/* Serve it from file://OUTDIR (@mem false) or load it into mem://fsfix
 * (@mem true). */
void fsfix_serve(bool mem);
/* snapfs_new() on fsfix_url, with a cluster of 3 backends in data/. */
void fsfix_open(void);
/* Free the tree, the mem:// objects and the temp directory. */
void fsfix_done(void);

/* Flip the bits of byte @off of the repository object @key (relative to
 * the repository directory) in the store itself. */
void fsfix_corrupt(const char *key, uint64_t off);

/* The @nth data file of @label in the manifest. */
void manifest_file(const char *label, int nth, struct mfile *m);
/* Look @path up from the root, one lookup per component. */
int walk(const char *path, struct stat *st);
/* The inode of @path (which must be there). */
uint64_t ino_of(const char *path);
/* Read all of @ino into @buf (up to @cap) in 64 KiB reads. @return the
 * first error. */
int read_all(uint64_t ino, char *buf, size_t cap, size_t *len);
/* The text of @path (which must read); valid until the next call. */
char *read_text(const char *path);
/* Write @text to @path as "echo" does: one write, then close. @return
 * the write's error, else the close's. */
int write_text(const char *path, const char *text);
/* The timestamp snapshots/@label/latest points to. */
void ts_of(const char *label, char *ts, size_t len);
/* Nodes in the inode table. */
size_t nodes(void);
/* Wait until job @id is FINISHED or CANCELLED; @return its state line
 * ("State: ..."), valid until the next read_text(). */
const char *wait_job(const char *id);
/* The id of the newest job, as jobs/ lists it ("" if none). */
void last_job(char *id, size_t len);

#endif
