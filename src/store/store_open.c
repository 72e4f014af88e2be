/* SPDX-License-Identifier: MIT */
/*
 * store_open.c - opening a store by URL: the table of backends by scheme,
 * and the layers store_open() stacks on the backend it opens.
 *
 * Its own file because it names every backend and layer, while they all
 * use store.c's error state and helpers: with the table in store.c, store.c
 * and each backend would use each other.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#include "base/banned.h"

static const struct store_ops *const store_backends[] = {
	&store_file_ops,
	&store_s3_ops,
	&store_mem_ops,
};

const struct store_ops *store_ops_by_scheme(const char *scheme)
{
	size_t i;

	for (i = 0; i < sizeof(store_backends) / sizeof(store_backends[0]); i++)
		if (strcmp(store_backends[i]->scheme, scheme) == 0)
			return store_backends[i];
	return NULL;
}

/* Close @st without losing the failure this thread is reporting. */
static void close_keep_error(struct store *st)
{
	struct store_error_state e;

	store_error_save(&e);
	store_close(st);
	store_error_restore(&e);
}

/*
 * Stack the layers store_open() promises on backend @st: faults from the
 * environment right above the backend (so the retry layer above them
 * retries injected transient failures as it would real ones), retry on
 * top for a backend that talks to a network.
 */
static int open_layers(struct store *st, const struct store_opts *o,
		       struct store **out)
{
	const char *faults = getenv("SNAPFS_STORE_FAULTS");
	struct store *w;
	int rc;

	if (faults && *faults) {
		rc = store_fault_wrap(st, faults, &w);
		if (rc < 0) {
			char why[400];

			snprintf(why, sizeof(why), "%s", store_strerror(rc));
			store_set_error(rc, "SNAPFS_STORE_FAULTS: %s", why);
			close_keep_error(st);
			return rc;
		}
		st = w;
	}
	/* Asked after the fault layer, whose "remote" knob makes a local
	 * store look remote: its injected transient failures are then
	 * retried as a network store's would be. */
	if (store_can(st, STORE_CAP_REMOTE)) {
		rc = store_retry_wrap(st, o, &w);
		if (rc < 0) {
			close_keep_error(st);
			return rc;
		}
		st = w;
	}
	*out = st;
	return 0;
}

int store_open(const char *url, const struct store_opts *o, struct store **out)
{
	const struct store_ops *ops = &store_file_ops;
	const char *sep = strstr(url, "://");
	struct store *st;
	char scheme[16];
	size_t n;
	int rc;

	if (sep) {
		n = (size_t)(sep - url);
		if (n == 0 || n >= sizeof(scheme))
			goto unknown;
		memcpy(scheme, url, n);
		scheme[n] = '\0';
		ops = store_ops_by_scheme(scheme);
		if (!ops)
			goto unknown;
	}
	store_clear_error();
	rc = ops->open(url, o, &st);
	if (rc < 0)
		return rc;
	return open_layers(st, o, out);
unknown:
	store_set_error(
		-EPROTONOSUPPORT,
		"%s: unsupported URL scheme (supported: file://, s3://)", url);
	return -EPROTONOSUPPORT;
}
