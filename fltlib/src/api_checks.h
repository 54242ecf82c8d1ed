/* SPDX-License-Identifier: MIT */
/* What the exported calls share before they reach the connection: the handle lookup and the buffer checks. */
#ifndef FLTLIB_API_CHECKS_H
#define FLTLIB_API_CHECKS_H

#include "fltUser.h"

#include "handle_table.h"
#include "last_error.h"
#include "port.h"

/* The connection behind a port handle, with a reference; NULL for anything else. */
static inline struct flt_port *acquire_port(HANDLE handle) {
    return (struct flt_port *)flt_handle_acquire((uintptr_t)handle, FLT_OBJECT_PORT);
}

static inline HRESULT not_a_handle(HANDLE handle) {
    return flt_fail(E_HANDLE, "%p is not an open port handle: it was closed, or never returned by "
                    "FilterConnectCommunicationPort", handle);
}

/* FilterSendMessage's buffers: each NULL only with a size of 0. */
static inline HRESULT check_send_buffers(LPVOID input, DWORD input_size, LPVOID output, DWORD output_size) {
    if (input_size > 0 && input == NULL) {
        return flt_fail(E_INVALIDARG, "lpInBuffer is NULL but dwInBufferSize is %u", input_size);
    }
    if (output_size > 0 && output == NULL) {
        return flt_fail(E_INVALIDARG, "lpOutBuffer is NULL but dwOutBufferSize is %u", output_size);
    }
    return S_OK;
}

#endif
