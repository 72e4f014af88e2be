/* SPDX-License-Identifier: MIT */
/*
 * log.h - one logging function for the whole program.
 *
 * Messages go to stderr (foreground) or syslog (daemon). Log where an error
 * is detected, naming the object and the operation; never log secrets.
 */
#ifndef SNAPFS_LOG_H
#define SNAPFS_LOG_H

#include <stdbool.h>
#include <syslog.h>

/**
 * Configure logging. Safe to call again (e.g. after daemonizing).
 * @param[in] use_syslog send to syslog instead of stderr.
 * @param[in] max_level LOG_ERR .. LOG_DEBUG; messages above it are dropped.
 */
void log_init(bool use_syslog, int max_level);

/** printf-like; thread-safe. */
void snap_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
