/* SPDX-License-Identifier: MIT */
/*
 * banned.h - functions we never call.
 *
 * Included last by every .c file in src/ and fuse/. Each of these has a
 * bounded or thread-safe replacement: snprintf, strndup/memcpy, strtok_r,
 * gmtime_r, strtol with an end pointer.
 */
#ifndef SNAPFS_BANNED_H
#define SNAPFS_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(x) BANNED(gmtime)
#undef localtime
#define localtime(x) BANNED(localtime)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)

#endif
