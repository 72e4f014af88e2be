/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

#include "banned.h"

/* Written once at start-up (and after daemonizing), read by every thread. */
static bool log_syslog;
static int log_max = LOG_INFO;

void log_init(bool use_syslog, int max_level)
{
	if (use_syslog && !log_syslog)
		openlog("snapfs", LOG_PID, LOG_DAEMON);
	log_syslog = use_syslog;
	log_max = max_level;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void snap_log(int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(level, "%s", msg);
	} else {
		/* One fprintf per line so threads don't interleave. */
		fprintf(stderr, "snapfs: %s: %s\n", level_name(level), msg);
	}
}
