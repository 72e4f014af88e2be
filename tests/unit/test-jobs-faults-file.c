/* SPDX-License-Identifier: MIT */
/*
 * test-jobs-faults-file.c - every test of test-jobs-faults.c again, with
 * the fault layer over a file:// repository (the directory mkrepo
 * generated) instead of mem://: the same source, another default store.
 */
#define TEST_JOBS_URL NULL
#include "test-jobs-faults.c"
