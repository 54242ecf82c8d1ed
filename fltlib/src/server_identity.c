/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "server_identity.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fltUser.h"
#include "last_error.h"

int32_t flt_server_identity_from_environment(struct flt_server_identity *identity) {
    identity->count = 0;
    const char *text = getenv("FLTLIB_SERVER_UIDS");
    if (text == NULL) return 0;
    const char *cursor = text;
    while (*cursor != 0) {
        char *end;
        errno = 0;
        unsigned long value = strtoul(cursor, &end, 10);
        if (end == cursor || errno != 0 || value >= 0xFFFFFFFFul || (*end != ',' && *end != 0) ||
            identity->count == FLT_MAX_EXPECTED_UIDS) {
            return flt_fail(E_INVALIDARG, "FLTLIB_SERVER_UIDS is '%s'; it must list at most %d uids separated by "
                            "commas, such as 998,999", text, FLT_MAX_EXPECTED_UIDS);
        }
        identity->uids[identity->count++] = (uid_t)value;
        cursor = *end == ',' ? end + 1 : end;
    }
    return 0;
}

int32_t flt_server_identity_check(const struct flt_server_identity *identity, int fd, const char *port_name) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0) {
        return flt_fail(E_HANDLE, "cannot read the credentials of the process listening for port %s: %s",
                        port_name, strerror(errno));
    }
    if (credentials.uid == 0) return 0;
    for (int i = 0; i < identity->count; i++) {
        if (identity->uids[i] == credentials.uid) return 0;
    }
    return flt_fail(HRESULT_FROM_WIN32(ERROR_SERVER_SID_MISMATCH),
                    "the process listening for port %s (pid %d) runs as uid %u, not root or a uid in "
                    "FLTLIB_SERVER_UIDS: it is not the port's server, so nothing was sent to it. Stop that "
                    "process, or add its uid to FLTLIB_SERVER_UIDS if it is trusted",
                    port_name, (int)credentials.pid, (unsigned)credentials.uid);
}
