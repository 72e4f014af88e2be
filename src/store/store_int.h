/* SPDX-License-Identifier: MIT */
/*
 * store_int.h - what the backends and layers of src/store share and no
 * caller above needs: the thread's error state beyond store_set_error(),
 * the retry policy, and the key rules of the path-like backends.
 */
#ifndef SNAPFS_STORE_INT_H
#define SNAPFS_STORE_INT_H

#include <stdbool.h>

#include "store.h"

/**
 * Mark this thread's last failure, @rc, as transient: the same call may
 * succeed if made again later. Keeps a message store_set_error() recorded
 * for the same @rc; store_set_error() itself clears the mark, so call this
 * after it.
 */
void store_set_transient(int rc);

/** Clear this thread's transient mark, keeping the message. */
void store_clear_transient(void);

/** Forget this thread's last failure: message and transient mark. */
void store_clear_error(void);

/**
 * A copy of this thread's error state, to carry a failure across threads
 * or across cleanup calls that may record errors of their own.
 */
struct store_error_state {
	int rc;
	bool transient;
	char msg[512];
};

/** Copy this thread's error state into @out. */
void store_error_save(struct store_error_state *out);

/** Make @e this thread's error state. */
void store_error_restore(const struct store_error_state *e);

/** All the capabilities of @st, for a layer to report as its own. */
static inline unsigned store_caps_of(const struct store *st)
{
	return st->caps | st->ops->caps;
}

/* ---- the retry policy (retry.c) ----------------------------------------- */

#define STORE_RETRY_DEFAULT_RETRIES 5
#define STORE_RETRY_DEFAULT_BASE_MS 200
#define STORE_RETRY_CAP_MS	    20000

/** How often and how patiently to retry; see store_retry_wrap(). */
struct store_retry_policy {
	unsigned retries; /**< attempts after the first */
	unsigned base_ms; /**< first backoff step */
};

/** The policy @o asks for (NULL: the defaults). */
void store_retry_policy_init(struct store_retry_policy *p,
			     const struct store_opts *o);

/**
 * The wait before retry number @attempt + 1 (@attempt counts from 0):
 * "equal jitter", half of base_ms << attempt fixed and half random, the
 * step capped at STORE_RETRY_CAP_MS. Thread-safe.
 */
unsigned store_retry_delay_ms(const struct store_retry_policy *p,
			      unsigned attempt);

/** One attempt of a call: 0 or more on success, else a negative errno. */
typedef int (*store_attempt_fn)(void *arg);

/**
 * The one retry loop: call @fn(@arg) until it returns >= 0, fails with an
 * error not marked transient, or p->retries more attempts have failed.
 * Clears the thread's error state before each attempt, logs a warning
 * "MSG; retry i/n in M ms" before each wait, and after the last of several
 * attempts records "MSG after N attempts" (logged as an error) and clears
 * the transient mark. Sleeps in the calling thread.
 * @return what the last attempt returned.
 */
int store_retry_run(const struct store_retry_policy *p, store_attempt_fn fn,
		    void *arg);

/* ---- keys of path-like backends (store.c) ------------------------------- */

/**
 * A key of file:// and mem://: relative, with no empty, "." or ".."
 * components; with @dir, a prefix that may end in '/'.
 */
bool store_key_ok(const char *key, bool dir);

/**
 * Copy @from to @to through @st's own stat, read and put, whatever its
 * copy slot: for layers whose knobs must see the bytes.
 * @return as store_copy().
 */
int store_copy_generic(struct store *st, const char *from, const char *to);

#endif
