// libsystemd, as minifltd uses it: readiness and watchdog notification, socket activation, the journal.
// sd_journal_send and sd_notifyf are variadic and do not import into Swift; minifltd calls
// sd_journal_sendv (one iovec per KEY=value field) and sd_notify.
#ifndef CSYSTEMD_SHIM_H
#define CSYSTEMD_SHIM_H

#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

/// SD_LISTEN_FDS_START: the first descriptor systemd passes (a macro, so not imported).
static inline int CSystemd_listen_fds_start(void) { return SD_LISTEN_FDS_START; }

#endif
