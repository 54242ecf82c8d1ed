/* SPDX-License-Identifier: MIT */
// libsystemd, as minifltd uses it: socket activation and the watchdog interval. The journal and the
// notification socket are spoken to directly (MiniFltSystemd), since sd_journal_sendv hides an absent
// journal and sd_notify may block.
#ifndef CSYSTEMD_SHIM_H
#define CSYSTEMD_SHIM_H

#include <systemd/sd-daemon.h>

/// SD_LISTEN_FDS_START: the first descriptor systemd passes (a macro, so not imported).
static inline int CSystemd_listen_fds_start(void) { return SD_LISTEN_FDS_START; }

#endif
