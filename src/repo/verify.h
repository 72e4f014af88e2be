/* SPDX-License-Identifier: MIT */
/*
 * verify.h - VERIFY SNAPSHOT (verify.c): a snapshot's objects checked
 * against the store. Part of repo.h, which includes it; include repo.h,
 * not this.
 */
#ifndef SNAPFS_REPO_VERIFY_H
#define SNAPFS_REPO_VERIFY_H

#include <stddef.h>
#include <stdint.h>

struct repo;
struct repo_snapshot;

/** What repo_snapshot_verify() found. */
struct repo_verify_report {
	char *label, *ts;
	unsigned sample_percent; /**< as asked (100: every tablet) */
	uint64_t seed;
	size_t tablets;		/**< tablets in the info */
	size_t tablets_checked; /**< of which were in the sample */
	uint64_t objects;	/**< objects checked (missing ones too) */
	uint64_t bytes;		/**< bytes read */
	uint64_t missing;	/**< listed in the info, absent in the store */
	uint64_t size_mismatches; /**< listed size != bytes read */
	uint64_t md5_mismatches;  /**< content MD5 != the name's */
	uint64_t extra;	  /**< in a checked tablet directory but not in the
			       info: the BE would restore it or fail on it */
	uint64_t errors;  /**< the store failed to list or read (not ENOENT) */
	uint64_t invalid; /**< snapshot-level: its verdict is not "OK" */
	char **problems;  /**< one line each, naming the object key */
	size_t nproblems;
};

/**
 * Check a snapshot's objects against the store: the info and __meta
 * objects and every file of the sampled tablets (repo_tablet_files()):
 * existence, the size from the listing against the bytes read, and the
 * content MD5 (read in 1 MiB chunks) against the name. Objects in a
 * checked tablet directory that the info doesn't name are extra (names
 * without '.' are skipped, as the BE does); when the info lists no files
 * for a tablet (StarRocks), its directory listing is the file list and only
 * names the BE can't use, or second versions of a name, are extra. A
 * snapshot whose verdict is not "OK" gets one problem saying so; without a
 * parsed info no tablet can be checked.
 *
 * Sampling picks whole tablets: each tablet id hashes to a bucket 0..99;
 * with p = @sample_percent and n = ceil(100 / p), seed s checks the buckets
 * [(s mod n) * p, (s mod n) * p + p) (wrapping at 100), the hash salted
 * with s / n. So the seeds k*n, k*n+1, ..., k*n+n-1 (any k) together check
 * every tablet, each once when p divides 100 (else the last slice overlaps
 * the first): a large repository can be verified one slice per run, and
 * another k shuffles which tablets share a slice. Slices are random, not
 * equal: a slice of a few tablets may be empty. The info and __meta are
 * checked in every slice. p = 100 checks everything and ignores the seed.
 *
 * Store failures other than a missing object don't fail the call: they
 * become problems ("error: ..."), so a long run still gives its report.
 *
 * @param[in] s a loaded snapshot (any verdict).
 * @param[in] sample_percent 1..100.
 * @param[out] out caller-owned; free with repo_verify_report_free().
 * @return 0 (also when problems were found); -EINVAL if @sample_percent is
 *         0 or above 100; -ENOMEM.
 */
int repo_snapshot_verify(struct repo *r, const struct repo_snapshot *s,
			 unsigned sample_percent, uint64_t seed,
			 struct repo_verify_report **out);
void repo_verify_report_free(struct repo_verify_report *rep);

/**
 * A readable report. The first line is "OK" or "FAILED: N problems"
 * ("1 problem"); then the snapshot, the sample, the counts, and one
 * line per problem.
 * @param[out] text,len caller-owned, NUL terminated; free().
 * @return 0; -ENOMEM.
 */
int repo_verify_text(const struct repo_verify_report *rep, char **text,
		     size_t *len);

#endif
