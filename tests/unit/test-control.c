/* SPDX-License-Identifier: MIT */
/*
 * test-control.c - the control-statement plane without FUSE: what makes a
 * statement whole (writes split anywhere, ';' and newline, the close),
 * blanks, the 1 MiB limit, the checks done once (the file takes the kind,
 * the repository is the mounted one), last_error and last_report, and real
 * statements run by a real engine: a repository made by
 * contrib/snapfs-mkrepo, a cluster in a temporary directory, RESTORE,
 * BACKUP, CANCEL, DROP, CLEAN, VERIFY and rmdir of a snapshot.
 *
 * Each test runs forked with its own repository and cluster, so the ones
 * that drop snapshots leave nothing behind for the others.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "jobs/control.h"
#include "jobs/jobs.h"
#include "repo/repo.h"
#include "store/store.h"
#include "unit.h"

#include "base/banned.h"

static char tmpdir[] = "/tmp/snapfs-test-control-XXXXXX";
static char repodir[300], rootdir[400];
static struct store *st;
static struct repo *repo;
static struct cluster *cl;
static struct jobs *jobs;
static struct control *ctl;
static char ts1[64], ts1b[64]; /* snap1's timestamps, oldest first */

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command, which must succeed. */
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "%s: %d", cmd, rc);
}

static void label_ts(const char *label, char *a, char *b)
{
	struct repo_label *l = NULL;
	char dir[100];

	snprintf(dir, sizeof(dir), "__ss_%s", label);
	ck_assert_int_eq(repo_label_load(repo, dir, &l), 0);
	ck_assert_uint_eq(l->nts, 2);
	snprintf(a, 64, "%s", l->ts[0].name);
	snprintf(b, 64, "%s", l->ts[1].name);
	repo_label_free(l);
}

static void setup(void)
{
	const char *mkrepo = getenv("MKREPO");
	char err[512] = "", data[400];
	struct cluster_opts co = {.nbackends = 1};

	if (!mkrepo)
		mkrepo = "../contrib/snapfs-mkrepo";
	memcpy(tmpdir + sizeof(tmpdir) - 7, "XXXXXX", 6);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(repodir, sizeof(repodir), "%s/repo", tmpdir);
	snprintf(rootdir, sizeof(rootdir), "%s/__palo_repository_demo",
		 repodir);
	sh("python3 '%s' --labels 2 --timestamps 2 --tables 2 --partitions 2 "
	   "--rollups 0 --buckets 1 '%s' >/dev/null",
	   mkrepo, repodir);
	ck_assert_int_eq(store_open(repodir, NULL, &st), 0);
	ck_assert_int_eq(repo_open(st, NULL, err, sizeof(err), &repo), 0);
	snprintf(data, sizeof(data), "%s/data", tmpdir);
	co.data_dir = data;
	ck_assert_msg(cluster_open(&co, err, sizeof(err), &cl) == 0, "%s", err);
	ck_assert_int_eq(jobs_start(repo, cl, 2, &jobs), 0);
	ck_assert_int_eq(control_new(jobs, repo_name(repo), &ctl), 0);
	label_ts("snap1", ts1, ts1b);
}

static void teardown(void)
{
	control_free(ctl);
	jobs_wait_idle(jobs);
	jobs_stop(jobs);
	cluster_close(cl);
	repo_close(repo);
	store_close(st);
	sh("rm -rf '%s'", tmpdir);
}

static size_t file(const char *name)
{
	size_t i = 99;

	ck_assert_int_eq(control_file_by_name(name, &i), 0);
	return i;
}

static struct control_buf *open_file(const char *name)
{
	struct control_buf *b = NULL;

	ck_assert_int_eq(control_buf_new(ctl, file(name), &b), 0);
	ck_assert_ptr_nonnull(b);
	return b;
}

static int put(struct control_buf *b, const char *text)
{
	return control_buf_write(b, text, strlen(text));
}

/* Write the statement in one write, as echo does, then close. */
static int stmt(const char *name, const char *text)
{
	struct control_buf *b = open_file(name);
	int rc, rc2;

	rc = put(b, text);
	rc2 = control_buf_finish(b);
	control_buf_free(b);
	return rc < 0 ? rc : rc2;
}

static char *last_error(void)
{
	static char buf[2048];
	size_t len = 0;
	char *t = NULL;

	ck_assert_int_eq(control_last_error(ctl, &t, &len), 0);
	ck_assert_uint_eq(len, strlen(t));
	ck_assert_uint_lt(len, sizeof(buf));
	memcpy(buf, t, len + 1);
	free(t);
	return buf;
}

/* The report, which tests free. */
static char *last_report(void)
{
	size_t len = 0;
	char *t = NULL;

	ck_assert_int_eq(control_last_report(ctl, &t, &len), 0);
	ck_assert_uint_eq(len, strlen(t));
	return t;
}

static void report_has(const char *what)
{
	char *r = last_report();

	ck_assert_msg(strstr(r, what), "report lacks \"%s\":\n%s", what, r);
	free(r);
}

static void no_report(void)
{
	char *r = last_report();

	ck_assert_str_eq(r, "");
	free(r);
}

static bool exists(const char *rel)
{
	char path[700];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", rootdir, rel);
	return stat(path, &sb) == 0;
}

/* The one job's state, after waiting for it. */
static void only_job_is(const char *state)
{
	int64_t *ids = NULL;
	char *text = NULL, want[64];
	size_t n = 0, len = 0;

	jobs_wait_idle(jobs);
	ck_assert_int_eq(jobs_list(jobs, &ids, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(jobs_status(jobs, ids[0], false, &text, &len), 0);
	snprintf(want, sizeof(want), "State: %s\n", state);
	ck_assert_msg(strstr(text, want), "%s", text);
	free(text);
	free(ids);
}

static void no_jobs(void)
{
	int64_t *ids = NULL;
	size_t n = 9;

	ck_assert_int_eq(jobs_list(jobs, &ids, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(ids);
}

#define VERIFY1 "VERIFY SNAPSHOT snap1 FROM demo"

/* --- the files ------------------------------------------------------------ */

START_TEST(test_files)
{
	static const char *const names[] = {"restore",	 "backup",
					    "cancel",	 "last_error",
					    "snapshots", "last_report"};
	static const bool writable[] = {true, true, true, false, true, false};
	struct control_buf *b = NULL;
	char *text = NULL;
	size_t i, k, len = 9;

	ck_assert_uint_eq(control_file_count(), 6);
	for (i = 0; i < 6; i++) {
		ck_assert_str_eq(control_file_name(i), names[i]);
		ck_assert(control_file_writable(i) == writable[i]);
		ck_assert_int_eq(control_file_by_name(names[i], &k), 0);
		ck_assert_uint_eq(k, i);
		/* Everything reads empty on a fresh mount. */
		ck_assert_int_eq(control_file_read(ctl, i, &text, &len), 0);
		ck_assert_str_eq(text, "");
		ck_assert_uint_eq(len, 0);
		free(text);
	}
	ck_assert_ptr_null(control_file_name(6));
	ck_assert(!control_file_writable(6));
	k = 77;
	ck_assert_int_eq(control_file_by_name("status", &k), -ENOENT);
	ck_assert_int_eq(control_file_by_name("", &k), -ENOENT);
	ck_assert_uint_eq(k, 77);
	ck_assert_int_eq(control_file_read(ctl, 6, &text, &len), -ENOENT);
	ck_assert_int_eq(control_buf_new(ctl, file("last_error"), &b), -EROFS);
	ck_assert_int_eq(control_buf_new(ctl, file("last_report"), &b), -EROFS);
	ck_assert_int_eq(control_buf_new(ctl, 6, &b), -ENOENT);
	ck_assert_ptr_null(b);
	control_buf_free(NULL);
	control_free(NULL);
}
END_TEST

START_TEST(test_set_error)
{
	char *text = NULL;
	size_t len = 0;

	control_set_error(ctl, "rmdir snapshots/%s: %s", "x", "two\nlines");
	ck_assert_str_eq(last_error(), "rmdir snapshots/x: two lines\n");
	/* control_file_read() of last_error is the same text. */
	ck_assert_int_eq(
		control_file_read(ctl, file("last_error"), &text, &len), 0);
	ck_assert_str_eq(text, "rmdir snapshots/x: two lines\n");
	free(text);
	control_clear_error(ctl);
	ck_assert_str_eq(last_error(), "");
}
END_TEST

/* --- when a statement is whole -------------------------------------------- */

START_TEST(test_split_writes)
{
	struct control_buf *b = open_file("snapshots");

	/* No write ends a statement until the newline. */
	ck_assert_int_eq(put(b, "VER"), 0);
	ck_assert_int_eq(put(b, "IFY SNAPSHOT sn"), 0);
	ck_assert_int_eq(put(b, "ap1 FROM demo"), 0);
	no_report();
	ck_assert_int_eq(put(b, "\n"), 0);
	report_has("VERIFY snap1/");
	ck_assert_str_eq(last_error(), "");
	/* The buffer is empty again: close runs nothing more. */
	ck_assert_int_eq(control_buf_finish(b), 0);
	control_buf_free(b);
}
END_TEST

START_TEST(test_newline_incomplete)
{
	struct control_buf *b = open_file("snapshots");

	/* bash's echo of a multi-line statement: one write per line. */
	ck_assert_int_eq(put(b, "VERIFY SNAPSHOT snap1\n"), 0);
	ck_assert_int_eq(put(b, "  FROM demo\n"), 0);
	/* At this newline the text is a whole statement (its PROPERTIES
	 * are optional), so it ran. */
	report_has("VERIFY snap1/");
	ck_assert_int_eq(
		put(b, "VERIFY SNAPSHOT snap1 FROM demo PROPERTIES (\n"), 0);
	ck_assert_int_eq(put(b, "  'sample_percent' = '50',\n"), 0);
	report_has("(100%"); /* still the first one's */
	ck_assert_int_eq(put(b, "  'seed' = '1')\n"), 0);
	report_has("(50%, seed 1)");
	ck_assert_int_eq(control_buf_finish(b), 0);
	control_buf_free(b);
}
END_TEST

START_TEST(test_semicolon)
{
	struct control_buf *b = open_file("snapshots");

	ck_assert_int_eq(put(b, VERIFY1 ";"), 0);
	report_has("VERIFY snap1/");
	/* A ';' inside a string does not end anything. */
	ck_assert_int_eq(put(b, VERIFY1 " PROPERTIES ('seed' = '7;"), 0);
	report_has("seed 0)");
	ck_assert_int_eq(put(b, "')"), 0);
	report_has("seed 0)");
	ck_assert_int_eq(control_buf_finish(b), -EINVAL);
	ck_assert_msg(strstr(last_error(), "\"seed\" must be an integer"), "%s",
		      last_error());
	control_buf_free(b);
}
END_TEST

START_TEST(test_finish_runs)
{
	struct control_buf *b = open_file("snapshots");

	/* printf without a newline: the close runs it. */
	ck_assert_int_eq(put(b, VERIFY1), 0);
	no_report();
	ck_assert_int_eq(control_buf_finish(b), 0);
	report_has("VERIFY snap1/");
	ck_assert_int_eq(control_buf_finish(b), 0); /* again: nothing */
	control_buf_free(b);

	/* Freed without finishing: dropped, not run. */
	b = open_file("snapshots");
	ck_assert_int_eq(put(b, "DROP SNAPSHOT snap1 FROM demo"), 0);
	control_buf_free(b);
	ck_assert(exists("__ss_snap1"));
}
END_TEST

START_TEST(test_finish_incomplete)
{
	struct control_buf *b = open_file("snapshots");

	/* Whole only with its properties: the newline doesn't run it ... */
	ck_assert_int_eq(put(b, "CLEAN SNAPSHOTS FROM demo\n"), 0);
	ck_assert_str_eq(last_error(), "");
	/* ... and the close finds it cut short. */
	ck_assert_int_eq(control_buf_finish(b), -EINVAL);
	ck_assert_str_eq(
		last_error(),
		"control/snapshots: line 2, column 1: missing required "
		"property \"keep_last\" or \"older_than\"\n");
	no_report();
	control_buf_free(b);

	/* Cut inside a string (at column 71), for a job. */
	b = open_file("restore");
	ck_assert_int_eq(put(b, "RESTORE SNAPSHOT db1.snap1 FROM demo "
				"PROPERTIES ('backup_timestamp' = 'x\n"),
			 0);
	ck_assert_int_eq(control_buf_finish(b), -EINVAL);
	ck_assert_str_eq(last_error(),
			 "control/restore: line 2, column 1: unterminated "
			 "string starting at line 1, column 71\n");
	control_buf_free(b);
	no_jobs();
}
END_TEST

START_TEST(test_blank)
{
	struct control_buf *b = open_file("restore");

	control_set_error(ctl, "earlier");
	ck_assert_int_eq(put(b, " \n"), 0);
	ck_assert_int_eq(put(b, "\t\r\n"), 0);
	ck_assert_int_eq(put(b, ""), 0);
	ck_assert_int_eq(control_buf_finish(b), 0);
	/* Nothing ran: last_error is as it was. */
	ck_assert_str_eq(last_error(), "earlier\n");
	control_buf_free(b);

	/* A comment is not blank: an empty statement. */
	ck_assert_int_eq(stmt("restore", "-- nothing\n"), -EINVAL);
	ck_assert_str_eq(last_error(),
			 "control/restore: line 2, column 1: empty statement: "
			 "expected RESTORE, BACKUP, CANCEL, DROP, CLEAN or "
			 "VERIFY\n");
	no_jobs();
}
END_TEST

START_TEST(test_size_limit)
{
	size_t max = CONTROL_STATEMENT_MAX, pad;
	struct control_buf *b = open_file("snapshots");
	char *big;

	ck_assert_uint_eq(max, 1024 * 1024);
	big = malloc(max + 1);
	ck_assert_ptr_nonnull(big);
	/* One write over the limit. */
	memset(big, ' ', max + 1);
	ck_assert_int_eq(control_buf_write(b, big, max + 1), -EFBIG);
	/* Up to the limit, in pieces: the last byte over it fails and the
	 * text so far stays. */
	pad = max - strlen(VERIFY1) - 1;
	ck_assert_int_eq(put(b, VERIFY1), 0);
	ck_assert_int_eq(control_buf_write(b, big, pad), 0);
	ck_assert_int_eq(put(b, "xx"), -EFBIG);
	ck_assert_int_eq(put(b, "\n"), 0); /* exactly 1 MiB: it runs */
	report_has("VERIFY snap1/");
	ck_assert_int_eq(control_buf_finish(b), 0);
	control_buf_free(b);
	free(big);
}
END_TEST

/* --- the checks done once ------------------------------------------------- */

START_TEST(test_wrong_repository)
{
	char s[300];

	ck_assert_int_eq(
		stmt("snapshots", "VERIFY SNAPSHOT snap1 FROM other\n"),
		-ENOENT);
	ck_assert_str_eq(last_error(),
			 "control/snapshots: repository \"other\" is not the "
			 "mounted repository \"demo\"\n");
	no_report();
	ck_assert_int_eq(stmt("snapshots", "DROP SNAPSHOT snap1 FROM `x`;"),
			 -ENOENT);
	ck_assert(exists("__ss_snap1"));
	snprintf(s, sizeof(s),
		 "RESTORE SNAPSHOT db1.snap1 FROM other PROPERTIES "
		 "('backup_timestamp' = '%s')\n",
		 ts1);
	ck_assert_int_eq(stmt("restore", s), -ENOENT);
	ck_assert_str_eq(last_error(),
			 "control/restore: repository \"other\" is not the "
			 "mounted repository \"demo\"\n");
	ck_assert_int_eq(stmt("backup", "BACKUP SNAPSHOT db1.b TO other\n"),
			 -ENOENT);
	ck_assert(strstr(last_error(), "control/backup: repository \"other\""));
	no_jobs();
}
END_TEST

START_TEST(test_wrong_kind)
{
	ck_assert_int_eq(stmt("restore", "BACKUP SNAPSHOT db1.b TO demo\n"),
			 -EINVAL);
	ck_assert_str_eq(last_error(),
			 "control/restore: control/restore takes RESTORE "
			 "statements, not BACKUP (use control/backup)\n");
	/* The kind is checked before the repository. */
	ck_assert_int_eq(stmt("cancel", "DROP SNAPSHOT snap1 FROM other"),
			 -EINVAL);
	ck_assert_str_eq(last_error(),
			 "control/cancel: control/cancel takes CANCEL "
			 "RESTORE/BACKUP FROM db, not DROP SNAPSHOT (use "
			 "control/snapshots)\n");
	ck_assert(exists("__ss_snap1"));
	ck_assert_int_eq(stmt("snapshots", "CANCEL RESTORE FROM db1;"),
			 -EINVAL);
	ck_assert(strstr(last_error(), "not CANCEL RESTORE (use "
				       "control/cancel)"));
	ck_assert_int_eq(stmt("backup", "CANCEL BACKUP FROM db1;"), -EINVAL);
	no_report();
	no_jobs();
}
END_TEST

START_TEST(test_bad_statement)
{
	char s[300], want[100];

	snprintf(s, sizeof(s),
		 "RESTORE SNAPSHOT db1.snap1 FROM demo PROPERTIES "
		 "('backup_timestamp' = '%s', 'bogus' = '1')\n",
		 ts1);
	ck_assert_int_eq(stmt("restore", s), -EINVAL);
	snprintf(want, sizeof(want),
		 "control/restore: line 1, column %d: unknown RESTORE "
		 "property \"bogus\"",
		 (int)(strstr(s, "'bogus'") - s) + 1);
	ck_assert_msg(strstr(last_error(), want), "%s", last_error());
	/* A refused write drops the text: the next statement starts
	 * afresh on the same descriptor. */
	{
		struct control_buf *b = open_file("snapshots");

		ck_assert_int_eq(put(b, "VERIFY SNAPSHOT snap1 FROM;"),
				 -EINVAL);
		ck_assert_int_eq(put(b, VERIFY1 "\n"), 0);
		ck_assert_str_eq(last_error(), "");
		ck_assert_int_eq(control_buf_finish(b), 0);
		control_buf_free(b);
	}
	no_jobs();
}
END_TEST

/* --- real statements ------------------------------------------------------ */

static int restore_stmt(const char *db, const char *ts)
{
	char s[400];

	snprintf(s, sizeof(s),
		 "RESTORE SNAPSHOT %s.snap1 FROM demo PROPERTIES "
		 "(\"backup_timestamp\" = \"%s\", \"replication_num\" = "
		 "\"1\")\n",
		 db, ts);
	return stmt("restore", s);
}

START_TEST(test_restore_and_backup)
{
	char *text = NULL;
	size_t len = 0;

	control_set_error(ctl, "earlier");
	ck_assert_int_eq(restore_stmt("db1", ts1), 0);
	ck_assert_str_eq(last_error(), ""); /* success empties it */
	only_job_is("FINISHED");
	/* A missing timestamp is the engine's ENOENT, as it is. */
	ck_assert_int_eq(restore_stmt("db2", "2000-01-01-00-00-00"), -ENOENT);
	ck_assert_msg(strstr(last_error(), "control/restore: "), "%s",
		      last_error());
	/* BACKUP of what was restored, into the mounted repository. */
	ck_assert_int_eq(stmt("backup", "BACKUP SNAPSHOT db1.snapb TO demo;"),
			 0);
	jobs_wait_idle(jobs);
	ck_assert_int_eq(jobs_show(jobs, JOB_KIND_BACKUP, &text, &len), 0);
	ck_assert_msg(strstr(text, "snapb") && strstr(text, "FINISHED"), "%s",
		      text);
	free(text);
	ck_assert(exists("__ss_snapb"));
	no_report(); /* jobs report through jobs/, not last_report */
}
END_TEST

START_TEST(test_cancel)
{
	ck_assert_int_eq(stmt("cancel", "CANCEL RESTORE FROM db1\n"), -ENOENT);
	ck_assert_msg(strstr(last_error(), "control/cancel: "), "%s",
		      last_error());
	/* A restore that pauses on entering each state can be cancelled. */
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "400", 1);
	ck_assert_int_eq(restore_stmt("db1", ts1), 0);
	ck_assert_int_eq(stmt("cancel", "CANCEL RESTORE FROM db1;"), 0);
	ck_assert_str_eq(last_error(), "");
	only_job_is("CANCELLED");
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
}
END_TEST

START_TEST(test_snapshots)
{
	char *r;

	/* VERIFY: the report, for an intact snapshot. */
	ck_assert_int_eq(stmt("snapshots", VERIFY1 "\n"), 0);
	r = last_report();
	ck_assert_msg(strncmp(r, "VERIFY snap1/", 13) == 0 &&
			      strstr(r, "\nOK\n"),
		      "%s", r);
	free(r);
	ck_assert_int_eq(stmt("snapshots", "VERIFY SNAPSHOT nosuch FROM demo"),
			 -ENOENT);
	ck_assert_str_eq(last_error(), "control/snapshots: snapshot \"nosuch\" "
				       "not found\n");

	/* CLEAN: a dry run lists, then keep_last drops the older ones. */
	ck_assert_int_eq(stmt("snapshots",
			      "CLEAN SNAPSHOTS FROM demo PROPERTIES "
			      "('keep_last' = '1', 'dry_run' = 'true')\n"),
			 0);
	report_has("DRY RUN: would drop\n");
	report_has("2 snapshots would be dropped, 0 failed");
	ck_assert(exists("__ss_snap1"));
	ck_assert_int_eq(stmt("snapshots", "CLEAN SNAPSHOTS FROM demo "
					   "PROPERTIES ('keep_last' = '1');"),
			 0);
	report_has("2 snapshots dropped, 0 failed");
	ck_assert_str_eq(last_error(), "");

	/* DROP: the whole label. */
	ck_assert_int_eq(stmt("snapshots", "DROP SNAPSHOT snap2 FROM demo\n"),
			 0);
	report_has("dropped snap2/");
	ck_assert(!exists("__ss_snap2"));
	ck_assert(exists("__ss_snap1"));
	ck_assert_int_eq(stmt("snapshots", "DROP SNAPSHOT snap2 FROM demo\n"),
			 -ENOENT);
	ck_assert_str_eq(last_error(), "control/snapshots: snapshot \"snap2\" "
				       "not found\n");
}
END_TEST

START_TEST(test_drop_snapshot)
{
	char want[300];

	control_set_error(ctl, "earlier");
	ck_assert_int_eq(control_drop_snapshot(ctl, "snap1", ts1), 0);
	ck_assert_str_eq(last_error(), "");
	ck_assert(exists("__ss_snap1")); /* ts1b is still there */
	ck_assert_int_eq(control_drop_snapshot(ctl, "snap1", ts1), -ENOENT);
	snprintf(want, sizeof(want),
		 "rmdir snapshots/snap1/%s: snapshot \"snap1\" has no "
		 "timestamp \"%s\"\n",
		 ts1, ts1);
	ck_assert_str_eq(last_error(), want);
	/* The last timestamp takes the label with it. */
	ck_assert_int_eq(control_drop_snapshot(ctl, "snap1", ts1b), 0);
	ck_assert(!exists("__ss_snap1"));
	no_report();
}
END_TEST

START_TEST(test_busy)
{
	char want[300];

	/* A snapshot a running restore reads can't be dropped. */
	setenv("SNAPFS_TEST_STATE_DELAY_MS", "400", 1);
	ck_assert_int_eq(restore_stmt("db1", ts1), 0);
	ck_assert_int_eq(stmt("snapshots", "DROP SNAPSHOT snap1 FROM demo\n"),
			 -EBUSY);
	ck_assert_msg(strstr(last_error(), "control/snapshots: snapshot snap1 "
					   "is in use by a running job"),
		      "%s", last_error());
	ck_assert_int_eq(control_drop_snapshot(ctl, "snap1", ts1), -EBUSY);
	snprintf(want, sizeof(want),
		 "rmdir snapshots/snap1/%s: snapshot "
		 "snap1/%s is in use by job",
		 ts1, ts1);
	ck_assert_msg(strstr(last_error(), want), "%s", last_error());
	/* One restore per database. */
	ck_assert_int_eq(restore_stmt("db1", ts1b), -EBUSY);
	ck_assert_int_eq(stmt("cancel", "CANCEL RESTORE FROM db1"), 0);
	only_job_is("CANCELLED");
	unsetenv("SNAPFS_TEST_STATE_DELAY_MS");
	ck_assert(exists("__ss_snap1"));
}
END_TEST

static Suite *control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("plane");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_set_error);
	tcase_add_test(tc, test_split_writes);
	tcase_add_test(tc, test_newline_incomplete);
	tcase_add_test(tc, test_semicolon);
	tcase_add_test(tc, test_finish_runs);
	tcase_add_test(tc, test_finish_incomplete);
	tcase_add_test(tc, test_blank);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_wrong_repository);
	tcase_add_test(tc, test_wrong_kind);
	tcase_add_test(tc, test_bad_statement);
	suite_add_tcase(s, tc);

	tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_restore_and_backup);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_snapshots);
	tcase_add_test(tc, test_drop_snapshot);
	tcase_add_test(tc, test_busy);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(control_suite)
