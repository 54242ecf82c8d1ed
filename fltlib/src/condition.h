/* SPDX-License-Identifier: MIT */
/* Condition variables whose timed waits use CLOCK_MONOTONIC, so that a change of the wall clock does not stretch
 * or cut a timeout. */
#ifndef FLTLIB_CONDITION_H
#define FLTLIB_CONDITION_H

#include <pthread.h>

void flt_cond_init_monotonic(pthread_cond_t *condition);

#endif
