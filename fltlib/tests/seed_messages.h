/* SPDX-License-Identifier: MIT */
/* The structures the seed's filter and its clients share (FLT_TO_USER: the path being opened; FLT_TO_USER_REPLY:
 * whether to block it), with the seed's sizes, for the test programs. */
#ifndef FLTLIB_TESTS_SEED_MESSAGES_H
#define FLTLIB_TESTS_SEED_MESSAGES_H

#include <fltUser.h>

#define BUFFER_SIZE 4096

typedef struct {
    wchar_t path[BUFFER_SIZE / sizeof(wchar_t)];
} FLT_TO_USER;

typedef struct {
    unsigned __int32 block;
} FLT_TO_USER_REPLY;

#endif
