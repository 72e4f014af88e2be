/* SPDX-License-Identifier: MIT */
/*
 * name.c - path-component names (see name.h).
 */
#include "config.h"

#include <string.h>

#include "name.h"

#include "banned.h"

bool name_ok_n(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX_BYTES)
		return false;
	if (memchr(s, '\0', len) || memchr(s, '/', len))
		return false;
	if ((len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	return true;
}

bool name_ok(const char *s)
{
	return s && name_ok_n(s, strlen(s));
}
