/* SPDX-License-Identifier: MIT */
/*
 * name.h - names that become one path component: database, table,
 * partition and index names from a repository or a statement, and names
 * made under cluster/.
 */
#ifndef SNAPFS_NAME_H
#define SNAPFS_NAME_H

#include <stdbool.h>
#include <stddef.h>

/** Longest name in bytes (a file name on Linux). */
#define NAME_MAX_BYTES 255

/**
 * Is @s (@len bytes) safe as one path component: 1 to NAME_MAX_BYTES
 * bytes, no NUL, no '/', and not "." or ".."?
 */
bool name_ok_n(const char *s, size_t len);

/** name_ok_n() of a NUL-terminated string; false for NULL. */
bool name_ok(const char *s);

#endif
