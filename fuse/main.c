/* SPDX-License-Identifier: MIT */
/*
 * fuse/main.c - the snapfs mount program: option parsing and thin FUSE
 * low-level ops over src/fs.h. No store, repository or LMDB code here:
 * each op decodes its arguments, calls one snapfs_* function and turns the
 * result into a reply.
 */
#define FUSE_USE_VERSION 312

#include "config.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/fs.h"
#include "base/base.h"

#include "base/banned.h"

/* Exit codes, documented in snapfs(1). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_REPO = 2,
	EXIT_MOUNT = 3,
};

struct cli {
	char *url;
	char *repo;
	char *data_dir;
	char *backend_dirs;
	unsigned backends;
	unsigned threads;
	unsigned cache_ttl;
	int noverify;
	int verbose;
	/* s3:// */
	char *endpoint, *region, *addressing, *profile, *passwd_file, *ca_file;
	char *part_size;
	int no_check_certificate;
	unsigned connections, list_page, retry_base_ms, timeout;
	int retries; /* -1: default */
	int nonopt;  /* positional arguments seen so far */
};

enum { KEY_HELP, KEY_VERSION, KEY_SECRET };

#define CLI_OPT(t, p)                                                          \
	{                                                                      \
		t, offsetof(struct cli, p), 1                                  \
	}
static const struct fuse_opt cli_opts[] = {
	CLI_OPT("repo=%s", repo),
	CLI_OPT("data_dir=%s", data_dir),
	CLI_OPT("backends=%u", backends),
	CLI_OPT("backend_dirs=%s", backend_dirs),
	CLI_OPT("download_threads=%u", threads),
	CLI_OPT("cache_ttl=%u", cache_ttl),
	CLI_OPT("noverify", noverify),
	CLI_OPT("verbose", verbose),
	CLI_OPT("endpoint=%s", endpoint),
	CLI_OPT("region=%s", region),
	CLI_OPT("addressing=%s", addressing),
	CLI_OPT("profile=%s", profile),
	CLI_OPT("passwd_file=%s", passwd_file),
	CLI_OPT("no_check_certificate", no_check_certificate),
	CLI_OPT("ca_file=%s", ca_file),
	CLI_OPT("s3_connections=%u", connections),
	CLI_OPT("part_size=%s", part_size),
	CLI_OPT("list_page=%u", list_page),
	CLI_OPT("retries=%d", retries),
	CLI_OPT("retry_base_ms=%u", retry_base_ms),
	CLI_OPT("s3_timeout=%u", timeout),
	/* Secrets on the command line show in ps(1): refuse them. */
	FUSE_OPT_KEY("secret=", KEY_SECRET),
	FUSE_OPT_KEY("secret_key=", KEY_SECRET),
	FUSE_OPT_KEY("secret_access_key=", KEY_SECRET),
	FUSE_OPT_KEY("aws_secret_access_key=", KEY_SECRET),
	FUSE_OPT_KEY("password=", KEY_SECRET),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_END,
};

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [options] REPOSITORY_URL MOUNTPOINT\n"
		"\n"
		"Mount a Doris/StarRocks backup repository; restore from it "
		"into a local\ncluster through MOUNTPOINT/control.\n"
		"REPOSITORY_URL is file:///path or a plain path: the directory "
		"holding\n"
		"__palo_repository_<name>/ (or "
		"__starrocks_repository_<name>/), "
		"or that\n"
		"repository directory itself.\n"
		"\n"
		"options:\n"
		"    -h, --help             print this help and exit\n"
		"    -V, --version          print the version and exit\n"
		"    -f                     stay in the foreground\n"
		"    -d                     FUSE debug output (implies -f)\n"
		"    -s                     single-threaded\n"
		"    -o repo=NAME           repository to mount when the URL "
		"holds several\n"
		"    -o cache_ttl=SECONDS   re-list directories after this "
		"long "
		"(default 10)\n"
		"    -o data_dir=DIR        the local cluster's data (default "
		"$XDG_DATA_HOME/snapfs)\n"
		"    -o backends=N          number of backends under data_dir "
		"(default 3)\n"
		"    -o backend_dirs=D1:D2  one directory per backend instead\n"
		"    -o download_threads=N  parallel transfers per restore or "
		"backup job "
		"(default 4)\n"
		"    -o noverify            don't MD5-check full reads\n"
		"    -o verbose             log every repository access\n"
		"    -o allow_other         let other users see the mount\n"
		"\n"
		"s3:// options (URL s3://BUCKET[/PREFIX]):\n"
		"    -o endpoint=URL        http[s]://host[:port] of the S3 "
		"service\n"
		"                           (default $AWS_ENDPOINT_URL, else "
		"AWS)\n"
		"    -o region=NAME         signing region (default "
		"$AWS_REGION, us-east-1)\n"
		"    -o addressing=MODE     path, virtual or auto (default "
		"auto)\n"
		"    -o profile=NAME        credentials from this profile in "
		"~/.aws/credentials\n"
		"    -o passwd_file=FILE    credentials from an s3fs-style "
		"KEY:SECRET file\n"
		"    -o ca_file=FILE        verify TLS against these PEM CA "
		"certificates\n"
		"    -o no_check_certificate  don't verify the TLS certificate "
		"(tests only)\n"
		"    -o part_size=SIZE      multipart part size (default 8M, "
		"min 5M)\n"
		"    -o s3_connections=N    connections kept open (default "
		"16)\n"
		"    -o list_page=N         keys per listing request (default "
		"1000)\n"
		"    -o retries=N           retries of a failing request "
		"(default 5)\n"
		"    -o retry_base_ms=MS    first retry delay, doubling "
		"(default 200)\n"
		"    -o s3_timeout=SECONDS  give up on a stalled request "
		"(default 30)\n"
		"  Credentials come from AWS_ACCESS_KEY_ID/"
		"AWS_SECRET_ACCESS_KEY, a profile or a\n"
		"  password file, never from the command line.\n"
		"    -o OPT[,OPT...]        other FUSE mount options\n"
		"\n"
		"exit status: 0 ok, 1 usage, 2 repository not usable, 3 mount "
		"failed\n"
		"See snapfs(1); after mounting, read MOUNTPOINT/README.\n",
		prog);
}

static int cli_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct cli *c = data;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (c->nonopt++ == 0) {
			c->url = strdup(arg);
			return 0; /* consumed: the rest is the mountpoint */
		}
		return 1;
	case KEY_SECRET:
		fprintf(stderr,
			"snapfs: credentials are not accepted on the command "
			"line (other users see it in ps);\nuse "
			"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, -o profile= "
			"or -o passwd_file= (see snapfs(1))\n");
		exit(EXIT_USAGE);
	case KEY_HELP:
		usage(stdout, outargs->argv[0]);
		exit(EXIT_OK);
	case KEY_VERSION:
		printf("snapfs %s (libfuse %s)\n", PACKAGE_VERSION,
		       fuse_pkgversion());
		exit(EXIT_OK);
	default:
		return 1;
	}
}

/* "123", "16K", "8M", "1G" (binary units) into bytes. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] != '\0' && strcmp(end + 1, "iB") != 0 &&
	    strcmp(end + 1, "B") != 0)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

/* $XDG_DATA_HOME/snapfs, else ~/.local/share/snapfs. */
static const char *default_data_dir(char *buf, size_t len)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (x && *x)
		snprintf(buf, len, "%s/snapfs", x);
	else
		snprintf(buf, len, "%s/.local/share/snapfs",
			 home && *home ? home : "/root");
	return buf;
}

/*
 * Make path option @path (malloc'd, may be NULL) absolute against the
 * directory snapfs was started in. The daemon chdir()s to "/"
 * (fuse_daemonize), and the cluster and the stores open these paths long
 * after, so a relative one would name another place then than now.
 * @return 0; -ENOMEM; -errno from getcwd().
 */
static int absolute(char **path)
{
	char *cwd, *abs;

	if (!*path || (*path)[0] == '/' || (*path)[0] == '\0')
		return 0;
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return -errno;
	if (asprintf(&abs, "%s/%s", cwd, *path) < 0) {
		free(cwd);
		return -ENOMEM;
	}
	free(cwd);
	free(*path);
	*path = abs;
	return 0;
}

/* backend_dirs=D1:D2 with every directory made absolute(). */
static int absolute_dirs(char **dirs)
{
	char *save = NULL, *tok, *one, *out = NULL, *grown;
	size_t len = 0;
	int rc = 0;

	if (!*dirs)
		return 0;
	for (tok = strtok_r(*dirs, ":", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ":", &save)) {
		one = strdup(tok);
		rc = one ? absolute(&one) : -ENOMEM;
		if (rc == 0 && asprintf(&grown, "%s%s%s", out ? out : "",
					out ? ":" : "", one) < 0)
			rc = -ENOMEM;
		if (rc == 0) {
			free(out);
			out = grown;
			len = strlen(out);
		}
		free(one);
	}
	if (rc == 0 && len > 0) {
		free(*dirs);
		*dirs = out;
	} else {
		free(out);
	}
	return rc;
}

/*
 * Every path option, and a repository given as a plain path, made
 * absolute at parse time (the data directory gets its default first).
 * @return 0; -errno (said why).
 */
static int absolute_paths(struct cli *cli)
{
	char dd[4096];
	int rc = 0;

	if (!cli->data_dir) {
		cli->data_dir = strdup(default_data_dir(dd, sizeof(dd)));
		if (!cli->data_dir)
			rc = -ENOMEM;
	}
	if (rc == 0 && !strstr(cli->url, "://"))
		rc = absolute(&cli->url);
	if (rc == 0)
		rc = absolute(&cli->data_dir);
	if (rc == 0)
		rc = absolute_dirs(&cli->backend_dirs);
	if (rc == 0)
		rc = absolute(&cli->passwd_file);
	if (rc == 0)
		rc = absolute(&cli->ca_file);
	if (rc < 0)
		fprintf(stderr, "snapfs: cannot make the paths absolute: %s\n",
			strerror(-rc));
	return rc;
}

/* ---- ops ------------------------------------------------------------- */

static struct snapfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Keep each file's reads in order so a sequential pass can be
	 * MD5-checked as it goes. */
	conn->want &= ~FUSE_CAP_ASYNC_READ;
	/* Link targets never change under an inode (a new target is a new
	 * inode), so the kernel may keep them: a walk through latest/ then
	 * costs no READLINK per path. */
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
}

static void reply_entry(fuse_req_t req, struct snapfs *fs,
			const struct stat *st)
{
	struct fuse_entry_param e;

	memset(&e, 0, sizeof(e));
	e.ino = st->st_ino;
	e.attr = *st;
	e.attr_timeout = snapfs_node_ttl(fs, st->st_ino);
	e.entry_timeout = e.attr_timeout;
	/* -ENOENT: the request was interrupted and the kernel never got the
	 * entry, so no FORGET will come for the lookup just counted. */
	if (fuse_reply_entry(req, &e) == -ENOENT)
		snapfs_forget(fs, e.ino, 1);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct snapfs *fs = fs_of(req);
	struct stat st;
	int rc = snapfs_lookup(fs, parent, name, &st);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	reply_entry(req, fs, &st);
}

/* The kernel lets go of inodes: what nobody holds is freed (fs.h). */
static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	snapfs_forget(fs_of(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		snapfs_forget(fs_of(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct snapfs *fs = fs_of(req);
	struct stat st;
	int rc = snapfs_getattr(fs, ino, &st);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_attr(req, &st, snapfs_node_ttl(fs, ino));
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char buf[4096];
	int rc = snapfs_readlink(fs_of(req), ino, buf, sizeof(buf));

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_readlink(req, buf);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct snapfs_dir *d;
	int rc = snapfs_opendir(fs_of(req), ino, &d);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uintptr_t)d;
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct snapfs_dir *d = (struct snapfs_dir *)(uintptr_t)fi->fh;
	size_t i, pos = 0, len, n = snapfs_dir_count(d);
	struct stat st;
	char *buf = malloc(size);

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (i = (size_t)off; i < n; i++) {
		const char *name = snapfs_dir_entry(d, i, &st);

		len = fuse_add_direntry(req, buf + pos, size - pos, name, &st,
					(off_t)(i + 1));
		if (len > size - pos)
			break;
		pos += len;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	snapfs_releasedir((struct snapfs_dir *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct snapfs_file *f;
	int rc = snapfs_open(fs_of(req), ino, fi->flags, &f);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uintptr_t)f;
	fi->direct_io = snapfs_file_direct(f);
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct snapfs_file *f = (struct snapfs_file *)(uintptr_t)fi->fh;
	char *buf = malloc(size ? size : 1);
	size_t n;
	int rc;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = snapfs_read(fs_of(req), f, buf, size, (uint64_t)off, &n);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_buf(req, buf, n);
	free(buf);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	int rc = snapfs_release(fs_of(req),
				(struct snapfs_file *)(uintptr_t)fi->fh);

	fuse_reply_err(req, -rc);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int rc = snapfs_flush(fs_of(req),
			      (struct snapfs_file *)(uintptr_t)fi->fh);

	fuse_reply_err(req, -rc);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t n;
	int rc = snapfs_write(fs_of(req),
			      (struct snapfs_file *)(uintptr_t)fi->fh, buf,
			      size, (uint64_t)off, &n);

	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_write(req, n);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct snapfs *fs = fs_of(req);
	struct stat st;
	int rc = -EROFS;

	/* Only "truncate a control file", which shells may ask for. */
	if (to_set == FUSE_SET_ATTR_SIZE && attr->st_size == 0)
		rc = snapfs_truncate(fs, ino);
	if (rc == 0)
		rc = snapfs_getattr(fs, ino, &st);
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_attr(req, &st, snapfs_node_ttl(fs, ino));
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	int rc = snapfs_statfs(fs_of(req), &sv);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	fuse_reply_statfs(req, &sv);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	size_t len;
	int rc;

	if (size && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = snapfs_getxattr(fs_of(req), ino, name, buf, size, &len);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char *buf = size ? malloc(size) : NULL;
	size_t len;
	int rc;

	if (size && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	rc = snapfs_listxattr(fs_of(req), ino, buf, size, &len);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else if (size == 0)
		fuse_reply_xattr(req, len);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

/* Everything that would change the tree: the mount is read-only. */
static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct snapfs *fs = fs_of(req);
	struct stat st;
	int rc = snapfs_mkdir(fs, parent, name, &st);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	reply_entry(req, fs, &st);
}

static void op_erofs_name(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -snapfs_rmdir(fs_of(req), parent, name));
}

static void op_erofs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
			   mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void op_erofs_symlink(fuse_req_t req, const char *link,
			     fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void op_erofs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			    fuse_ino_t newparent, const char *newname,
			    unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void op_erofs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
			  const char *newname)
{
	fuse_reply_err(req, EROFS);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct snapfs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct snapfs_file *f;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = snapfs_create(fs, parent, name, fi->flags, &e.attr, &f);

	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	e.ino = e.attr.st_ino;
	e.generation = 0;
	e.attr_timeout = 0;
	e.entry_timeout = 0;
	fi->fh = (uintptr_t)f;
	fi->direct_io = 1;
	if (fuse_reply_create(req, &e, fi) == -ENOENT) {
		/* The caller went away: the kernel has neither. */
		snapfs_release(fs, f);
		snapfs_forget(fs, e.ino, 1);
	}
}

static void op_erofs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			      const char *value, size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void op_erofs_removexattr(fuse_req_t req, fuse_ino_t ino,
				 const char *name)
{
	fuse_reply_err(req, EROFS);
}

static const struct fuse_lowlevel_ops snapfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.readlink = op_readlink,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.open = op_open,
	.read = op_read,
	.release = op_release,
	.flush = op_flush,
	.statfs = op_statfs,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.mkdir = op_mkdir,
	.mknod = op_erofs_mknod,
	.unlink = op_erofs_name,
	.rmdir = op_rmdir,
	.symlink = op_erofs_symlink,
	.rename = op_erofs_rename,
	.link = op_erofs_link,
	.create = op_create,
	.setattr = op_setattr,
	.setxattr = op_erofs_setxattr,
	.removexattr = op_erofs_removexattr,
	.write = op_write,
};

/* Backend directories from -o backend_dirs=D1:D2 (the string is cut up). */
static size_t split_dirs(char *dirs, const char *out[], size_t max)
{
	char *save = NULL, *tok;
	size_t n = 0;

	for (tok = strtok_r(dirs, ":", &save); tok && n < max;
	     tok = strtok_r(NULL, ":", &save))
		out[n++] = tok;
	return n;
}

/* The s3:// settings. @return 0; -EINVAL bad part_size (said why). */
static int store_opts_from(struct cli *cli, struct store_opts *so)
{
	so->endpoint = cli->endpoint;
	so->region = cli->region;
	so->addressing = cli->addressing;
	so->profile = cli->profile;
	so->passwd_file = cli->passwd_file;
	so->no_check_certificate = cli->no_check_certificate;
	so->ca_file = cli->ca_file;
	so->connections = cli->connections;
	so->list_page = cli->list_page;
	so->retry_base_ms = cli->retry_base_ms;
	so->timeout = cli->timeout;
	if (cli->retries >= 0) {
		so->retries = (unsigned)cli->retries;
		so->retries_set = true;
	}
	if (cli->part_size && parse_size(cli->part_size, &so->part_size) < 0) {
		fprintf(stderr,
			"snapfs: part_size=%s: not a size (e.g. 8388608, "
			"16M, 1G)\n",
			cli->part_size);
		return -EINVAL;
	}
	return 0;
}

/* Mount and serve until unmounted. @return the exit status. */
static int serve(struct fuse_args *args, struct fuse_cmdline_opts *cmd,
		 struct snapfs *fs, int verbose)
{
	struct fuse_session *se;
	int rc, status = EXIT_MOUNT;

	/* fuse_session_new rejects unknown options: a usage error. */
	se = fuse_session_new(args, &snapfs_ops, sizeof(snapfs_ops), fs);
	if (!se)
		return EXIT_USAGE;
	if (fuse_set_signal_handlers(se) < 0)
		goto out;
	if (fuse_session_mount(se, cmd->mountpoint) < 0) {
		fuse_remove_signal_handlers(se);
		goto out;
	}
	if (fuse_daemonize(cmd->foreground) < 0)
		goto unmount;
	if (!cmd->foreground)
		log_init(true, verbose ? LOG_DEBUG : LOG_INFO);
	if (cmd->singlethread) {
		rc = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();

		if (!lc)
			goto unmount;
		fuse_loop_cfg_set_clone_fd(lc, (unsigned)cmd->clone_fd);
		fuse_loop_cfg_set_max_threads(lc, cmd->max_threads);
		rc = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	/* 0: unmounted; > 0: the signal that asked us to stop. */
	status = rc >= 0 ? EXIT_OK : EXIT_MOUNT;
unmount:
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
out:
	fuse_session_destroy(se);
	return status;
}

static void cli_release(struct cli *cli)
{
	free(cli->url);
	free(cli->repo);
	free(cli->data_dir);
	free(cli->backend_dirs);
	free(cli->endpoint);
	free(cli->region);
	free(cli->addressing);
	free(cli->profile);
	free(cli->passwd_file);
	free(cli->ca_file);
	free(cli->part_size);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmd = {0};
	struct cli cli = {.cache_ttl = 10, .retries = -1};
	struct snapfs_opts o = {0};
	struct snapfs *fs = NULL;
	char err[1024] = "", *abs_mnt = NULL;
	const char *bdirs[64];
	int rc, status = EXIT_USAGE;

	log_init(false, LOG_INFO);
	if (fuse_opt_parse(&args, &cli, cli_opts, cli_proc) < 0)
		goto out;
	if (fuse_parse_cmdline(&args, &cmd) < 0)
		goto out;
	if (!cli.url || !cmd.mountpoint) {
		fprintf(stderr,
			"snapfs: %s\nusage: %s [options] REPOSITORY_URL "
			"MOUNTPOINT (try --help)\n",
			!cli.url ? "missing REPOSITORY_URL"
				 : "missing MOUNTPOINT",
			argv[0]);
		goto out;
	}
	if (cli.verbose)
		log_init(false, LOG_DEBUG);
	if (absolute_paths(&cli) < 0)
		goto out;
	/* No "-o ro": control files are writable; snapfs answers EROFS for
	 * everything else itself. */
	if (fuse_opt_add_arg(&args, "-osubtype=snapfs") < 0)
		goto out;

	abs_mnt = realpath(cmd.mountpoint, NULL);
	o.url = cli.url;
	o.repo = cli.repo;
	o.mountpoint = abs_mnt ? abs_mnt : cmd.mountpoint;
	o.cache_ttl = cli.cache_ttl;
	o.verify = !cli.noverify;
	o.uid = getuid();
	o.gid = getgid();
	o.data_dir = cli.data_dir;
	o.backends = cli.backends;
	o.download_threads = cli.threads;
	if (cli.backend_dirs) {
		o.backend_paths = bdirs;
		o.nbackend_paths = split_dirs(cli.backend_dirs, bdirs, 64);
	}
	if (store_opts_from(&cli, &o.store) < 0)
		goto out;
	/* Find the repository before mounting, so errors reach the user. */
	rc = snapfs_new(&o, err, sizeof(err), &fs);
	if (rc < 0) {
		fprintf(stderr, "snapfs: %s\n", err[0] ? err : strerror(-rc));
		status = EXIT_REPO;
		goto out;
	}
	status = serve(&args, &cmd, fs, cli.verbose);
out:
	snapfs_free(fs);
	free(cmd.mountpoint);
	free(abs_mnt);
	cli_release(&cli);
	fuse_opt_free_args(&args);
	return status;
}
