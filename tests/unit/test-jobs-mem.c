/* SPDX-License-Identifier: MIT */
/*
 * test-jobs-mem.c - every test of test-jobs.c again, on a mem:// store:
 * the same source, built with another default store. Each test loads the
 * generated repository into a mem:// store of its own name (jobs-fx.c);
 * stopping and starting the engine on that name is an unmount and a mount.
 * The one test left out is the backup killed with -9: what the killed
 * child put into its mem:// store dies with it, so it runs on file://.
 */
#define TEST_JOBS_URL "mem://"
#include "test-jobs.c"
