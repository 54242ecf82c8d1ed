/* SPDX-License-Identifier: MIT */
/* Who may listen at a port's address (docs/protocol.md section 1): root, or a uid the user listed in FLTLIB_SERVER_UIDS.
 * Any process can bind a free abstract name, so the client checks before it sends anything. */
#ifndef FLTLIB_SERVER_IDENTITY_H
#define FLTLIB_SERVER_IDENTITY_H

#include <stdint.h>
#include <sys/types.h>

#define FLT_MAX_EXPECTED_UIDS 16

struct flt_server_identity {
    uid_t uids[FLT_MAX_EXPECTED_UIDS];
    int count;
};

/* Reads FLTLIB_SERVER_UIDS (comma-separated uids). Returns 0, or E_INVALIDARG when it does not parse. */
int32_t flt_server_identity_from_environment(struct flt_server_identity *identity);

/* Checks the credentials of the process listening on connected socket `fd`. Returns 0, or
 * HRESULT_FROM_WIN32(ERROR_SERVER_SID_MISMATCH) when it is neither root nor an expected uid. */
int32_t flt_server_identity_check(const struct flt_server_identity *identity, int fd, const char *port_name);

#endif
