/* SPDX-License-Identifier: MIT */
/*
 * root.c - the root directory: README, repository, and the fixed
 * directories of the other families.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs_int.h"
#include "repo/repo.h"

#include "base/banned.h"

static char *readme_text(struct snapfs *fs)
{
	const char *mnt = fs->mountpoint ? fs->mountpoint : "MNT";

	return text_printf(
		"snapfs: %s backup repository \"%s\"\n"
		"mounted from %s\n"
		"\n"
		"What is here\n"
		"  snapshots/<label>/<timestamp>/   one directory per backup "
		"snapshot\n"
		"      info                         the __info_ job-info "
		"object, byte for byte\n"
		"      meta                         the __meta object, byte "
		"for byte\n"
		"      meta.json                    the meta decoded, or why "
		"it cannot be\n"
		"      status                       OK, or why the snapshot "
		"is incomplete/invalid\n"
		"      <db>/<table>/<partition>/<index>/<tablet_id>/<file>\n"
		"                                   the data files, without "
		"their .<md5> suffix;\n"
		"                                   the MD5 is in xattr "
		"user.snapfs.md5\n"
		"  snapshots/<label>/latest         symlink to the newest "
		"complete timestamp\n"
		"  snapshots/<label>/status         OK, or why the label has "
		"no complete snapshot\n"
		"  raw/                             the repository's objects "
		"exactly as stored\n"
		"  repository                       URL, flavor, name, "
		"create_time\n"
		"  control/restore, backup, cancel  write a RESTORE, BACKUP or "
		"CANCEL statement;\n"
		"                                   a refused one fails the "
		"write (EINVAL bad\n"
		"                                   statement, ENOENT no such "
		"snapshot ...), and\n"
		"  control/last_error               says why\n"
		"  jobs/<id>/status, status.json    one job, as SHOW RESTORE "
		"shows it\n"
		"  control/snapshots, last_report   DROP, CLEAN or VERIFY "
		"SNAPSHOT, and the result\n"
		"  jobs/restore, jobs/backup        SHOW RESTORE / SHOW BACKUP "
		"over all databases\n"
		"  cluster/<db>/<table>/...         the local cluster the "
		"restores went to\n"
		"\n"
		"Try\n"
		"  ls %s/snapshots\n"
		"  cat %s/snapshots/<label>/latest/status\n"
		"  ls -R %s/snapshots/<label>/latest\n"
		"  getfattr -n user.snapfs.md5 %s/snapshots/<label>/latest/"
		"<db>/<table>/.../<file>\n"
		"  rsync -a %s/snapshots/<label>/latest/ /path/to/copy/\n"
		"  rsync -a %s/raw/ /path/to/repository-copy/\n"
		"  echo 'RESTORE SNAPSHOT db.<label> FROM %s PROPERTIES "
		"(\"backup_timestamp\" = \"<ts>\")' > %s/control/restore\n"
		"  cat %s/jobs/restore\n"
		"\n"
		"Every full read is checked: a file whose content does not "
		"match the MD5 in\n"
		"its object name fails with EIO (Input/output error), and the "
		"log names it.\n"
		"Writable: the control files, cluster/ (mkdir, new files in "
		"tablets, each\n"
		"written once: close() says whether it was recorded) and rmdir "
		"of\n"
		"snapshots/<label>/<ts> (drops that snapshot);\n"
		"everything else answers EROFS.\n"
		"Unmount with: fusermount3 -u %s\n"
		"Manual: man snapfs\n",
		repo_flavor(fs->repo) == REPO_FLAVOR_STARROCKS ? "StarRocks"
							       : "Doris",
		repo_name(fs->repo), fs->url, mnt, mnt, mnt, mnt, mnt, mnt,
		repo_name(fs->repo), mnt, mnt, mnt);
}

static char *repository_text(struct snapfs *fs)
{
	const char *ct = repo_create_time(fs->repo);

	return text_printf("url: %s\nflavor: %s\nname: %s\ncreate_time: %s\n"
			   "root: %s\n",
			   fs->url, repo_flavor_name(repo_flavor(fs->repo)),
			   repo_name(fs->repo), ct ? ct : "unknown",
			   *repo_root(fs->repo) ? repo_root(fs->repo) : "/");
}

/* Listed once: everything here is fixed for the life of the mount. */
static int root_fill(struct snapfs *fs, struct node *dir, struct protolist *pl)
{
	struct proto *p;

	if (!text_proto(pl, "README", readme_text(fs), fs->mounted_at) ||
	    !text_proto(pl, "repository", repository_text(fs),
			fs->mounted_at) ||
	    !snapshots_proto(fs, pl))
		return -ENOMEM;
	p = raw_proto(pl, "raw", repo_root(fs->repo), fs->mounted_at);
	if (!p)
		return -ENOMEM;
	p->fixed = true;
	if (!fs->jobs)
		return 0;
	if (!controldir_proto(fs, pl) || !jobsdir_proto(fs, pl) ||
	    !clusterdir_proto(fs, pl))
		return -ENOMEM;
	return 0;
}

static const struct node_ops root_ops = {
	.mode = S_IFDIR | 0555,
	.fill = root_fill,
};

int root_make_locked(struct snapfs *fs)
{
	struct proto root = {
		.ops = &root_ops,
		.ready = true,
		.fixed = true,
		.mtime = fs->mounted_at,
	};

	root.name = strdup("");
	if (!root.name)
		return -ENOMEM;
	fs->root = node_new_locked(fs, NULL, &root);
	free(root.name);
	return fs->root ? 0 : -ENOMEM;
}
