/* SPDX-License-Identifier: MIT */
/*
 * store_import.c - store_import_dir(): a directory tree into a store, for
 * test fixtures (a repository from contrib/snapfs-mkrepo into mem://).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

#include "base/banned.h"

static ssize_t fd_src(void *arg, void *buf, size_t len)
{
	int fd = *(int *)arg;
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Put the regular file @name of directory @dfd as @key. */
static int import_file(struct store *st, int dfd, const char *name,
		       const char *key, const struct stat *sb)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc;

	if (fd < 0)
		return -errno;
	rc = store_put(st, key, fd_src, &fd, (uint64_t)sb->st_size, 0);
	close(fd);
	return rc;
}

/* Import directory @dfd (taken: closed here) under key prefix @prefix. */
static int import_tree(struct store *st, int dfd, const char *prefix)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	struct stat sb;
	char *key;
	int rc = 0, sub;

	if (!d) {
		rc = -errno;
		close(dfd);
		return rc;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished */
		if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
			continue;
		if (asprintf(&key, "%s%s%s", prefix, de->d_name,
			     S_ISDIR(sb.st_mode) ? "/" : "") < 0) {
			rc = -ENOMEM;
			break;
		}
		if (S_ISREG(sb.st_mode)) {
			rc = import_file(st, dirfd(d), de->d_name, key, &sb);
		} else {
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					     O_NOFOLLOW);
			rc = sub < 0 ? -errno : import_tree(st, sub, key);
		}
		free(key);
	}
	if (rc == 0 && errno != 0 && !de)
		rc = -errno;
	closedir(d);
	return rc;
}

int store_import_dir(struct store *st, const char *dir, const char *prefix)
{
	int fd;

	if (!store_can(st, STORE_CAP_WRITE))
		return -EROFS;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return import_tree(st, fd, prefix);
}
