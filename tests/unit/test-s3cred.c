/* SPDX-License-Identifier: MIT */
/*
 * test-s3cred.c - every credential source and their order: password file
 * (default and bucket entries, keys with ':', comments, permissions), the
 * shared credentials file (profiles, comments, AWS_PROFILE,
 * AWS_SHARED_CREDENTIALS_FILE), the environment, and $HOME/.passwd-s3fs.
 * Each test runs with HOME and the AWS_* variables pointing into its own
 * mkdtemp directory, so the developer's real files are never read; every
 * error message is checked for secrets.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/s3cred_int.h"
#include "unit.h"

#include "base/banned.h"

#define TMP_PREFIX "snapfs-test-s3cred."
#define ERRLEN	   512

/*
 * Every secret and token below contains SECRET_MARK and every access key
 * KEY_MARK; neither can occur in a mkdtemp name or a fixed message.
 */
#define SECRET_MARK "+s3kr1t/"
#define KEY_MARK    "AK_"
#define SK(x)	    "wJalr" SECRET_MARK x
#define AK(x)	    KEY_MARK x

static char tmpdir[PATH_MAX];

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID",	       "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",	       "AWS_PROFILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_PROFILE",
};

static int rm_cb(const char *path, const struct stat *sb, int flag,
		 struct FTW *ftw)
{
	chmod(path, 0700);
	return remove(path);
}

static void setup(void)
{
	const char *base = getenv("TMPDIR");
	size_t i;

	snprintf(tmpdir, sizeof(tmpdir), "%s/" TMP_PREFIX "XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(setenv("HOME", tmpdir, 1), 0);
	for (i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		ck_assert_int_eq(unsetenv(aws_vars[i]), 0);
}

static void teardown(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

/* Path of @rel below the test directory (one static buffer per slot). */
static const char *tpath(const char *rel)
{
	static char paths[4][PATH_MAX * 2];
	static unsigned slot;
	char *p = paths[slot++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmpdir, rel);
	return p;
}

/* Write @content to @rel with @mode; returns its path. */
static const char *put(const char *rel, mode_t mode, const char *content)
{
	const char *path = tpath(rel);
	size_t len = strlen(content);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static void aws_dir(void)
{
	ck_assert_int_eq(mkdir(tpath(".aws"), 0700), 0);
}

static bool etc_passwd_exists(void)
{
	return access("/etc/passwd-s3fs", F_OK) == 0;
}

static void check_no_secret(const char *err)
{
	ck_assert_msg(!strstr(err, SECRET_MARK), "secret in \"%s\"", err);
	ck_assert_msg(!strstr(err, "wJalr"), "secret in \"%s\"", err);
	ck_assert_msg(!strstr(err, KEY_MARK), "access key in \"%s\"", err);
}

static void expect_creds(const struct s3_creds_opts *o, const char *ak,
			 const char *sk, const char *token, const char *source)
{
	struct s3_creds c;
	char err[ERRLEN] = "stale";
	int rc;

	rc = s3_creds_load(o, err, sizeof(err), &c);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, err);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(c.access_key, ak);
	ck_assert_str_eq(c.secret_key, sk);
	if (token)
		ck_assert_str_eq(c.session_token, token);
	else
		ck_assert_ptr_null(c.session_token);
	if (source)
		ck_assert_str_eq(c.source, source);
	s3_creds_free(&c);
}

/*
 * A load that must fail with @want, leaving *out alone, with a message
 * that contains @part (if given) and no secret.
 */
static void expect_fail(const struct s3_creds_opts *o, int want,
			const char *part)
{
	struct s3_creds c, sentinel;
	char err[ERRLEN] = "";
	int rc;

	memset(&sentinel, 0x5a, sizeof(sentinel));
	c = sentinel;
	rc = s3_creds_load(o, err, sizeof(err), &c);
	ck_assert_msg(rc == want, "rc %d, want %d: %s", rc, want, err);
	ck_assert_msg(memcmp(&c, &sentinel, sizeof(c)) == 0,
		      "out changed on failure");
	ck_assert_msg(err[0] != '\0', "no message for rc %d", rc);
	if (part)
		ck_assert_msg(strstr(err, part), "\"%s\" lacks \"%s\"", err,
			      part);
	check_no_secret(err);
}

static char *src_pw(const char *path)
{
	static char s[PATH_MAX * 2 + 32];

	snprintf(s, sizeof(s), "password file %s", path);
	return s;
}

static char *src_profile(const char *profile, const char *path)
{
	static char s[PATH_MAX * 2 + 32];

	snprintf(s, sizeof(s), "profile %s in %s", profile, path);
	return s;
}

/* ---- environment ---------------------------------------------------- */

START_TEST(test_env)
{
	struct s3_creds_opts o = {.bucket = "b"};

	setenv("AWS_ACCESS_KEY_ID", AK("ENV1"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK("env1"), 1);
	expect_creds(&o, AK("ENV1"), SK("env1"), NULL,
		     "environment (AWS_ACCESS_KEY_ID)");
	expect_creds(NULL, AK("ENV1"), SK("env1"), NULL, NULL);

	/* Read at call time, not cached. */
	setenv("AWS_ACCESS_KEY_ID", AK("ENV2"), 1);
	setenv("AWS_SESSION_TOKEN", "tok" SECRET_MARK, 1);
	expect_creds(&o, AK("ENV2"), SK("env1"), "tok" SECRET_MARK, NULL);
	setenv("AWS_SESSION_TOKEN", "", 1);
	expect_creds(&o, AK("ENV2"), SK("env1"), NULL, NULL);
}
END_TEST

START_TEST(test_env_partial)
{
	struct s3_creds_opts o = {0};

	setenv("AWS_ACCESS_KEY_ID", AK("ENV1"), 1);
	expect_fail(&o, -EINVAL, "AWS_SECRET_ACCESS_KEY is not");
	/* An empty variable counts as unset. */
	setenv("AWS_SECRET_ACCESS_KEY", "", 1);
	expect_fail(&o, -EINVAL, "AWS_SECRET_ACCESS_KEY is not");
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", SK("x"), 1);
	expect_fail(&o, -EINVAL, "AWS_ACCESS_KEY_ID is not");
	setenv("AWS_ACCESS_KEY_ID", "", 1);
	expect_fail(&o, -EINVAL, "AWS_ACCESS_KEY_ID is not");
}
END_TEST

/* ---- password file ------------------------------------------------------ */

START_TEST(test_passwd_default_and_bucket)
{
	struct s3_creds_opts o = {0};

	o.passwd_file =
		put("pw", 0600,
		    "# s3fs password file\n"
		    "\n" AK("DEF") ":" SK(
			    "def") "\n"
				   "   \t\n"
				   "  # indented comment\n"
				   "mybucket:" AK("BKT") ":" SK(
					   "bkt") "\n"
						  "other:" AK("OTH") ":" SK(
							  "oth") "\n");
	expect_creds(&o, AK("DEF"), SK("def"), NULL, src_pw(o.passwd_file));
	o.bucket = "mybucket";
	expect_creds(&o, AK("BKT"), SK("bkt"), NULL, src_pw(o.passwd_file));
	o.bucket = "other";
	expect_creds(&o, AK("OTH"), SK("oth"), NULL, NULL);
	o.bucket = "nobucket";
	expect_creds(&o, AK("DEF"), SK("def"), NULL, NULL);

	/* The bucket entry wins wherever it is; CRLF and blanks at the
	 * ends of a line are fine; no newline at the end either. */
	o.passwd_file =
		put("pw2", 0400,
		    "mybucket:" AK("BKT") ":" SK(
			    "bkt") "\r\n"
				   "  " AK("DEF") ":" SK(
					   "def") "  \r\n"
						  "other:" AK("OTH") ":" SK(
							  "o=t/h+"));
	o.bucket = "mybucket";
	expect_creds(&o, AK("BKT"), SK("bkt"), NULL, NULL);
	o.bucket = "other";
	expect_creds(&o, AK("OTH"), SK("o=t/h+"), NULL, NULL);
	o.bucket = NULL;
	expect_creds(&o, AK("DEF"), SK("def"), NULL, NULL);
}
END_TEST

START_TEST(test_passwd_colon_key)
{
	struct s3_creds_opts o = {.bucket = "mybucket"};

	/* Swift's account:user, in the bucket form. */
	o.passwd_file = put("pw", 0600,
			    "mybucket:test:tester:testing" SECRET_MARK "\n");
	expect_creds(&o, "test:tester", "testing" SECRET_MARK, NULL, NULL);
	o.bucket = "test";
	expect_fail(&o, -ENOENT, "no entry for bucket test");

	/* Without a bucket, "a:b:c" is bucket a, key b. */
	o.passwd_file = put("pw2", 0600, "test:tester:" SK("x") "\n");
	o.bucket = "test";
	expect_creds(&o, "tester", SK("x"), NULL, NULL);
	o.bucket = NULL;
	expect_fail(&o, -ENOENT, "no default entry");
}
END_TEST

START_TEST(test_passwd_missing_entry)
{
	struct s3_creds_opts o = {.bucket = "mine"};

	o.passwd_file = put("pw", 0600,
			    "# only others\nother:" AK("O") ":" SK("o") "\n");
	expect_fail(&o, -ENOENT, "no entry for bucket mine");
	o.passwd_file = put("pw2", 0600, "# nothing\n\n");
	expect_fail(&o, -ENOENT, "no entry for bucket mine");
	o.passwd_file = put("pw3", 0600, "");
	expect_fail(&o, -ENOENT, o.passwd_file);
	o.passwd_file = tpath("absent");
	expect_fail(&o, -ENOENT, "does not exist");
}
END_TEST

START_TEST(test_passwd_perms)
{
	static const mode_t bad[] = {0644, 0640, 0604, 0660,	   0610,
				     0601, 0620, 0602, 0700 | 0004};
	struct s3_creds_opts o = {0};
	char want[PATH_MAX * 2 + 16];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.passwd_file = put("pw", bad[i], AK("D") ":" SK("d") "\n");
		snprintf(want, sizeof(want), "chmod 600 %s", o.passwd_file);
		expect_fail(&o, -EACCES, want);
	}
	o.passwd_file = put("pw", 0600, AK("D") ":" SK("d") "\n");
	expect_creds(&o, AK("D"), SK("d"), NULL, NULL);
	o.passwd_file = put("pw400", 0400, AK("D") ":" SK("d") "\n");
	expect_creds(&o, AK("D"), SK("d"), NULL, NULL);
	o.passwd_file = put("pw700", 0700, AK("D") ":" SK("d") "\n");
	expect_creds(&o, AK("D"), SK("d"), NULL, NULL);

	/* Unreadable: root reads anything, so only as another user. */
	if (geteuid() != 0) {
		o.passwd_file = put("pw000", 0000, AK("D") ":" SK("d") "\n");
		expect_fail(&o, -EACCES, o.passwd_file);
	}

	/* Not a regular file. */
	ck_assert_int_eq(mkdir(tpath("dir"), 0700), 0);
	o.passwd_file = tpath("dir");
	expect_fail(&o, -EINVAL, "not a regular file");
	ck_assert_int_eq(mkfifo(tpath("fifo"), 0600), 0);
	o.passwd_file = tpath("fifo");
	expect_fail(&o, -EINVAL, "not a regular file");
}
END_TEST

START_TEST(test_passwd_malformed)
{
	static const struct {
		const char *content;
		const char *part;
	} bad[] = {
		{"# c\n" AK("A") SK("nocolon") "\n", "line 2: expected"},
		{AK("A") ":\n", "line 1: empty secret"},
		{":" SK("s") "\n", "line 1: empty access key"},
		{"b::" SK("s") "\n", "line 1: empty access key"},
		{":" AK("A") ":" SK("s") "\n", "line 1: empty bucket"},
		{"\n\n" AK("A") " :" SK("s") "\n", "line 3: blank inside"},
		{AK("A") ":" SK("s x") "\n", "line 1: blank inside"},
		{"[default]\naws_access_key_id=" AK("A") "\n",
		 "line 1: a [section]"},
		{AK("A") ":" SK("1") "\n" AK("B") ":" SK("2") "\n",
		 "line 2: a second default"},
		{"mine:" AK("A") ":" SK("1") "\nmine:" AK("B") ":" SK("2") "\n",
		 "line 2: a second entry for bucket mine"},
	};
	static const char nul[] = AK("A") ":" SK("\0x") "\n";
	struct s3_creds_opts o = {.bucket = "mine"};
	const char *path;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.passwd_file = put("pw", 0600, bad[i].content);
		expect_fail(&o, -EINVAL, bad[i].part);
	}

	/* A NUL byte. */
	path = tpath("nul");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, nul, sizeof(nul) - 1),
			 (ssize_t)sizeof(nul) - 1);
	close(fd);
	o.passwd_file = path;
	expect_fail(&o, -EINVAL, "NUL");

	/* Too big to be a password file. */
	path = tpath("big");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 2 << 20), 0);
	close(fd);
	o.passwd_file = path;
	expect_fail(&o, -EINVAL, "larger than");
}
END_TEST

/* ---- shared credentials file ---------------------------------------- */

static const char cred_file[] =
	"# AWS credentials\n"
	"; another comment\n"
	"[default]\n"
	"aws_access_key_id=" AK(
		"DEF") "\n"
		       "aws_secret_access_key=" SK(
			       "def") "\n"
				      "\n"
				      "[ test ]\n"
				      "  # indented comment\n"
				      "AWS_ACCESS_KEY_ID = " AK(
					      "TEST") "  \r\n"
						      "aws_secret_access_key\t="
						      "\t" SK("test") "\n"
								      "aws_"
								      "session_"
								      "token = "
								      "to"
								      "k" SECRET_MARK
								      "\n"
								      "region "
								      "= "
								      "eu-west-"
								      "1\n"
								      "s3 =\n"
								      "    "
								      "max_"
								      "concurre"
								      "nt_"
								      "requests"
								      " = 20\n"
								      "    "
								      "addressi"
								      "ng_"
								      "style = "
								      "path\n"
								      "\n"
								      "[swift]"
								      "\n"
								      "aws_"
								      "access_"
								      "key_id: "
								      "test:"
								      "tester\n"
								      "aws_"
								      "secret_"
								      "access_"
								      "key: "
								      "testin"
								      "g" SECRET_MARK
								      "\n"
								      "aws_"
								      "session_"
								      "token "
								      "=\n"
								      "[other]"
								      "\n"
								      "aws_"
								      "access_"
								      "key_"
								      "id=" AK(
									      "OTH") "\n";

START_TEST(test_profile)
{
	struct s3_creds_opts o = {.profile = "test"};
	const char *path;

	aws_dir();
	path = put(".aws/credentials", 0644, cred_file);
	expect_creds(&o, AK("TEST"), SK("test"), "tok" SECRET_MARK,
		     src_profile("test", path));
	o.profile = "default";
	expect_creds(&o, AK("DEF"), SK("def"), NULL,
		     src_profile("default", path));
	o.profile = "swift";
	expect_creds(&o, "test:tester", "testing" SECRET_MARK, NULL, NULL);

	/* A named profile that is not there, or is incomplete. */
	o.profile = "nope";
	expect_fail(&o, -ENOENT, "no profile nope");
	o.profile = "other";
	expect_fail(&o, -EINVAL, "profile other has no aws_secret_access_key");
	o.profile = "";
	expect_fail(&o, -EINVAL, "empty");

	/* profile= wins over the environment and AWS_PROFILE. */
	setenv("AWS_ACCESS_KEY_ID", AK("ENV"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK("env"), 1);
	setenv("AWS_PROFILE", "default", 1);
	o.profile = "test";
	expect_creds(&o, AK("TEST"), SK("test"), "tok" SECRET_MARK, NULL);
}
END_TEST

START_TEST(test_profile_file_location)
{
	struct s3_creds_opts o = {.profile = "p"};
	const char *path;

	/* No file at all. */
	expect_fail(&o, -ENOENT, "does not exist");

	path = put("elsewhere", 0600,
		   "[p]\naws_access_key_id=" AK(
			   "ELSE") "\n"
				   "aws_secret_access_key=" SK("else") "\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	expect_creds(&o, AK("ELSE"), SK("else"), NULL, src_profile("p", path));
	/* "~/" is HOME. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere", 1);
	expect_creds(&o, AK("ELSE"), SK("else"), NULL, src_profile("p", path));
	/* HOME is not needed when the file is named. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	unsetenv("HOME");
	expect_creds(&o, AK("ELSE"), SK("else"), NULL, NULL);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	expect_fail(&o, -ENOENT, "profile p");
	setenv("HOME", tmpdir, 1);

	setenv("AWS_SHARED_CREDENTIALS_FILE", tpath("absent"), 1);
	expect_fail(&o, -ENOENT, "does not exist");
}
END_TEST

START_TEST(test_profile_malformed)
{
	static const struct {
		const char *content;
		const char *part;
	} bad[] = {
		{"aws_access_key_id=" AK("A") "\n[p]\n",
		 "line 1: a value before any [profile]"},
		{"[p\naws_access_key_id=" AK("A") "\n",
		 "line 1: bad [section]"},
		{"[p]x\n", "line 1: bad [section]"},
		{"[p]\n" AK("A") SK("s") "\n", "line 2: expected key = value"},
		{"[p]\n=" SK("s") "\n", "line 2: expected key = value"},
		{"[p]\naws_access_key_id=" AK("A") "\naws_access_key_id=" AK(
			 "B") "\naws_secret_access_key=" SK("s") "\n",
		 "line 3: profile p: aws_access_key_id given twice"},
		{"[p]\naws_access_key_id=" AK("A") "\n"
						   "aws_secret_access_key=" SK(
							   "s") "\n"
								"[q]\n[p]\n",
		 "line 5: profile p appears twice"},
		{"[p]\naws_secret_access_key=" SK("s") "\n",
		 "profile p has no aws_access_key_id"},
		{"[p]\naws_access_key_id=\naws_secret_access_key=" SK("s") "\n",
		 "profile p has no aws_access_key_id"},
		{"[p]\naws_access_key_id=" AK(
			 "A") "\n"
			      "aws_secret_access_key=" SK(
				      "s") "\n"
					   "  " SK("more") "\n",
		 "line 4: profile p: a value continued"},
		/* Broken lines elsewhere in the file count too. */
		{"[q]\nnonsense " SK("s") "\n[p]\naws_access_key_id=" AK(
			 "A") "\naws_secret_access_key=" SK("s") "\n",
		 "line 2: expected key = value"},
	};
	struct s3_creds_opts o = {.profile = "p"};
	size_t i;

	aws_dir();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(".aws/credentials", 0600, bad[i].content);
		expect_fail(&o, -EINVAL, bad[i].part);
	}
}
END_TEST

/* ---- the search order ------------------------------------------------- */

START_TEST(test_order_passwd_file_first)
{
	struct s3_creds_opts o = {.profile = "test"};

	aws_dir();
	put(".aws/credentials", 0600, cred_file);
	put(".passwd-s3fs", 0600, AK("HOME") ":" SK("home") "\n");
	setenv("AWS_ACCESS_KEY_ID", AK("ENV"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK("env"), 1);
	o.passwd_file = put("pw", 0600, AK("PW") ":" SK("pw") "\n");
	expect_creds(&o, AK("PW"), SK("pw"), NULL, src_pw(o.passwd_file));

	/* A passwd_file without the entry does not fall through. */
	o.passwd_file = put("pw2", 0600, "x:" AK("X") ":" SK("x") "\n");
	o.bucket = "b";
	expect_fail(&o, -ENOENT, "no entry for bucket b");
	o.passwd_file = put("pw3", 0644, AK("PW") ":" SK("pw") "\n");
	expect_fail(&o, -EACCES, "chmod 600");
}
END_TEST

START_TEST(test_order_env_then_files)
{
	struct s3_creds_opts o = {.bucket = "b"};
	const char *cred, *home_pw;

	aws_dir();
	cred = put(".aws/credentials", 0600, cred_file);
	home_pw = put(".passwd-s3fs", 0600, AK("HOME") ":" SK("home") "\n");

	/* 3. the environment beats AWS_PROFILE and both files */
	setenv("AWS_ACCESS_KEY_ID", AK("ENV"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK("env"), 1);
	setenv("AWS_PROFILE", "test", 1);
	expect_creds(&o, AK("ENV"), SK("env"), NULL,
		     "environment (AWS_ACCESS_KEY_ID)");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	/* 4. AWS_PROFILE, else default, in the credentials file */
	expect_creds(&o, AK("TEST"), SK("test"), "tok" SECRET_MARK,
		     src_profile("test", cred));
	unsetenv("AWS_PROFILE");
	expect_creds(&o, AK("DEF"), SK("def"), NULL,
		     src_profile("default", cred));
	/* An AWS_PROFILE that is not in the file is an error... */
	setenv("AWS_PROFILE", "nope", 1);
	expect_fail(&o, -ENOENT, "no profile nope");
	/* ...unless there is no file. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", tpath("absent"), 1);
	expect_creds(&o, AK("HOME"), SK("home"), NULL, src_pw(home_pw));
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_PROFILE");

	/* A file without [default] falls through to ~/.passwd-s3fs. */
	put(".aws/credentials", 0600,
	    "[test]\naws_access_key_id=" AK("T") "\n"
						 "aws_secret_access_key=" SK(
							 "t") "\n");
	expect_creds(&o, AK("HOME"), SK("home"), NULL, src_pw(home_pw));
	/* A broken one does not. */
	put(".aws/credentials", 0600, "junk\n");
	expect_fail(&o, -EINVAL, "line 1");
	ck_assert_int_eq(unlink(cred), 0);

	/* 5. $HOME/.passwd-s3fs, bucket entry first */
	put(".passwd-s3fs", 0600,
	    AK("HOME") ":" SK("home") "\nb:" AK("HB") ":" SK("hb") "\n");
	expect_creds(&o, AK("HB"), SK("hb"), NULL, src_pw(home_pw));
	put(".passwd-s3fs", 0640, AK("HOME") ":" SK("home") "\n");
	expect_fail(&o, -EACCES, "chmod 600");
}
END_TEST

START_TEST(test_order_nothing)
{
	struct s3_creds_opts o = {.bucket = "b"};

	if (etc_passwd_exists())
		return;
	expect_fail(&o, -ENOENT, "no S3 credentials");
	expect_fail(&o, -ENOENT, "/etc/passwd-s3fs");
	expect_fail(&o, -ENOENT, tpath(".passwd-s3fs"));
	expect_fail(NULL, -ENOENT, "no S3 credentials");

	/* ~/.passwd-s3fs without an entry that applies. */
	put(".passwd-s3fs", 0600, "other:" AK("O") ":" SK("o") "\n");
	expect_fail(&o, -ENOENT, "no S3 credentials");

	/* Without HOME only the environment and /etc are looked at. */
	unsetenv("HOME");
	expect_fail(&o, -ENOENT, "no S3 credentials");
	setenv("AWS_ACCESS_KEY_ID", AK("ENV"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK("env"), 1);
	expect_creds(&o, AK("ENV"), SK("env"), NULL, NULL);
}
END_TEST

/* ---- API -------------------------------------------------------------- */

START_TEST(test_api)
{
	struct s3_creds_opts o = {0};
	struct s3_creds c;
	char err[8];

	setenv("AWS_ACCESS_KEY_ID", AK("ENV"), 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK("env"), 1);
	setenv("AWS_SESSION_TOKEN", "tok" SECRET_MARK, 1);
	ck_assert_int_eq(s3_creds_load(&o, NULL, 0, &c), 0);
	s3_creds_free(&c);
	ck_assert_ptr_null(c.access_key);
	ck_assert_ptr_null(c.secret_key);
	ck_assert_ptr_null(c.session_token);
	ck_assert_str_eq(c.source, "");
	s3_creds_free(&c);
	s3_creds_free(NULL);

	/* A short err buffer is cut, not overrun. */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(s3_creds_load(&o, err, 5, &c), -EINVAL);
	ck_assert_uint_eq(strlen(err), 4);
	ck_assert_int_eq(err[5], 'Z');
	ck_assert_int_eq(s3_creds_load(&o, NULL, 0, &c), -EINVAL);
}
END_TEST

static Suite *s3cred_suite(void)
{
	Suite *s = suite_create("s3cred");
	TCase *tc;

	tc = tcase_create("environment");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_env_partial);
	suite_add_tcase(s, tc);

	tc = tcase_create("password file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_passwd_default_and_bucket);
	tcase_add_test(tc, test_passwd_colon_key);
	tcase_add_test(tc, test_passwd_missing_entry);
	tcase_add_test(tc, test_passwd_perms);
	tcase_add_test(tc, test_passwd_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("credentials file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_profile);
	tcase_add_test(tc, test_profile_file_location);
	tcase_add_test(tc, test_profile_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order_passwd_file_first);
	tcase_add_test(tc, test_order_env_then_files);
	tcase_add_test(tc, test_order_nothing);
	tcase_add_test(tc, test_api);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(s3cred_suite)
