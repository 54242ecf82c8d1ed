/* SPDX-License-Identifier: MIT */
/* Marks the definitions libfltlib.so exports (the rest is hidden: -fvisibility=hidden, libfltlib.map). */
#ifndef FLTLIB_EXPORT_H
#define FLTLIB_EXPORT_H

#define EXPORT __attribute__((visibility("default")))

#endif
