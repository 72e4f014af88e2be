/* SPDX-License-Identifier: MIT */
/*
 * unit.h - shared main() for the Check unit tests.
 *
 * Under `make check`, CK_TAP_LOG_FILE_NAME=- makes Check print TAP that
 * Automake's tap-driver reads; each test runs forked, so a crash is a
 * failed test rather than a dead run.
 */
#ifndef SNAPFS_UNIT_H
#define SNAPFS_UNIT_H

#include <check.h>
#include <stdlib.h>

#define UNIT_MAIN(suite_fn)                                                    \
	int main(void)                                                         \
	{                                                                      \
		SRunner *sr = srunner_create(suite_fn());                      \
		int nfail;                                                     \
		srunner_run_all(sr, CK_ENV);                                   \
		nfail = srunner_ntests_failed(sr);                             \
		srunner_free(sr);                                              \
		return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;               \
	}

#endif
