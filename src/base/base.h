/* SPDX-License-Identifier: MIT */
/*
 * base.h - the bottom layer, for every other folder: digests (hash.h),
 * logging (log.h) and path-component names (name.h). Nothing here knows
 * of stores, repositories or jobs. banned.h is included on its own, last,
 * by every .c file.
 */
#ifndef SNAPFS_BASE_H
#define SNAPFS_BASE_H

#include "hash.h"
#include "log.h"
#include "name.h"

#endif
