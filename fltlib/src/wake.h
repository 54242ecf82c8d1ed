/* SPDX-License-Identifier: MIT */
/* Threads that wait on an event by polling a port's socket (waitable.c) sleep in poll(2), not on the condition
 * variable: each registers an eventfd of its own, which every change of a signalled state writes. */
#ifndef FLTLIB_WAKE_H
#define FLTLIB_WAKE_H

/* Registers the calling thread's eventfd, emptied, and returns it; -1 when it cannot be made. Sync lock held. */
int flt_wake_register(void);

/* Sync lock held. */
void flt_wake_unregister(void);

/* Writes every registered eventfd. Sync lock held. */
void flt_wake_readers(void);

#endif
