/* SPDX-License-Identifier: MIT */
/* The exported fltlib calls: argument checks and handle lookups; the connection does the rest (port.c). */
#include "fltUser.h"

#include "handle_table.h"
#include "last_error.h"
#include "port.h"

#define EXPORT __attribute__((visibility("default")))

static HRESULT not_a_handle(HANDLE handle) {
    return flt_fail(E_HANDLE, "%p is not an open port handle: it was closed, or never returned by "
                    "FilterConnectCommunicationPort", handle);
}

EXPORT HRESULT WINAPI FilterConnectCommunicationPort(LPCWSTR lpPortName, DWORD dwOptions, LPCVOID lpContext,
                                                     WORD wSizeOfContext,
                                                     LPSECURITY_ATTRIBUTES lpSecurityAttributes, HANDLE *hPort) {
    /* Handles are opened close-on-exec and never inherited; there is nothing else to apply. */
    (void)lpSecurityAttributes;
    if (hPort == NULL) return flt_fail(E_INVALIDARG, "hPort is NULL; pass the address of a HANDLE");
    *hPort = INVALID_HANDLE_VALUE;
    if (lpPortName == NULL) return flt_fail(E_INVALIDARG, "lpPortName is NULL; pass the port's name");
    if ((dwOptions & ~(DWORD)FLT_PORT_FLAG_SYNC_HANDLE) != 0) {
        return flt_fail(E_INVALIDARG, "dwOptions is 0x%x; only FLT_PORT_FLAG_SYNC_HANDLE (0x1) is defined",
                        dwOptions);
    }
    if (wSizeOfContext > 0 && lpContext == NULL) {
        return flt_fail(E_INVALIDARG, "lpContext is NULL but wSizeOfContext is %u", wSizeOfContext);
    }
    struct flt_connect_request request = {.options = dwOptions, .context = lpContext, .context_length = wSizeOfContext};
    struct flt_port *port;
    HRESULT result = flt_port_connect(lpPortName, &request, &port);
    if (FAILED(result)) return result;
    uintptr_t handle = flt_handle_register(port);
    if (handle == 0) {
        flt_port_close(port);
        flt_port_release(port);
        return flt_fail(E_OUTOFMEMORY, "out of memory for a new handle");
    }
    *hPort = (HANDLE)handle;
    return S_OK;
}

EXPORT HRESULT WINAPI FilterSendMessage(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize, LPVOID lpOutBuffer,
                                        DWORD dwOutBufferSize, LPDWORD lpBytesReturned) {
    if (lpBytesReturned != NULL) *lpBytesReturned = 0;
    if (dwInBufferSize > 0 && lpInBuffer == NULL) {
        return flt_fail(E_INVALIDARG, "lpInBuffer is NULL but dwInBufferSize is %u", dwInBufferSize);
    }
    if (dwOutBufferSize > 0 && lpOutBuffer == NULL) {
        return flt_fail(E_INVALIDARG, "lpOutBuffer is NULL but dwOutBufferSize is %u", dwOutBufferSize);
    }
    struct flt_port *port = flt_handle_acquire((uintptr_t)hPort);
    if (port == NULL) return not_a_handle(hPort);
    uint32_t returned = 0;
    HRESULT result = flt_port_send(port, lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize, &returned);
    flt_port_release(port);
    if (lpBytesReturned != NULL) *lpBytesReturned = returned;
    return result;
}

static HRESULT get_message(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer, DWORD dwMessageBufferSize,
                           int blocking) {
    if (lpMessageBuffer == NULL) return flt_fail(E_INVALIDARG, "lpMessageBuffer is NULL");
    if (dwMessageBufferSize < sizeof(FILTER_MESSAGE_HEADER)) {
        return flt_fail(E_INVALIDARG, "dwMessageBufferSize is %u; the buffer must hold at least the 16-byte "
                        "FILTER_MESSAGE_HEADER", dwMessageBufferSize);
    }
    struct flt_port *port = flt_handle_acquire((uintptr_t)hPort);
    if (port == NULL) return not_a_handle(hPort);
    HRESULT result = flt_port_get(port, lpMessageBuffer, dwMessageBufferSize, blocking);
    flt_port_release(port);
    return result;
}

EXPORT HRESULT WINAPI FilterGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer,
                                       DWORD dwMessageBufferSize, LPOVERLAPPED lpOverlapped) {
    if (lpOverlapped != NULL) {
        return flt_fail(E_INVALIDARG, "asynchronous FilterGetMessage (a non-NULL OVERLAPPED) is not supported on "
                        "Linux: pass NULL and call it from a thread of its own, or poll the descriptor of "
                        "FilterGetPollDescriptor and call FilterTryGetMessage");
    }
    return get_message(hPort, lpMessageBuffer, dwMessageBufferSize, 1);
}

EXPORT HRESULT WINAPI FilterTryGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer,
                                          DWORD dwMessageBufferSize) {
    return get_message(hPort, lpMessageBuffer, dwMessageBufferSize, 0);
}

EXPORT HRESULT WINAPI FilterReplyMessage(HANDLE hPort, PFILTER_REPLY_HEADER lpReplyBuffer, DWORD dwReplyBufferSize) {
    if (lpReplyBuffer == NULL) return flt_fail(E_INVALIDARG, "lpReplyBuffer is NULL");
    if (dwReplyBufferSize < sizeof(FILTER_REPLY_HEADER)) {
        return flt_fail(E_INVALIDARG, "dwReplyBufferSize is %u; it counts the 16-byte FILTER_REPLY_HEADER and then "
                        "the reply", dwReplyBufferSize);
    }
    struct flt_port *port = flt_handle_acquire((uintptr_t)hPort);
    if (port == NULL) return not_a_handle(hPort);
    HRESULT result = flt_port_reply(port, lpReplyBuffer->Status, lpReplyBuffer->MessageId, lpReplyBuffer + 1,
                                    dwReplyBufferSize - (DWORD)sizeof(FILTER_REPLY_HEADER));
    flt_port_release(port);
    return result;
}

EXPORT HRESULT WINAPI FilterClose(HANDLE hFilter) {
    struct flt_port *port = flt_handle_remove((uintptr_t)hFilter);
    if (port == NULL) return not_a_handle(hFilter);
    flt_port_close(port);
    flt_port_release(port);
    return S_OK;
}

EXPORT HRESULT WINAPI FilterGetPollDescriptor(HANDLE hPort, int *pDescriptor) {
    if (pDescriptor == NULL) return flt_fail(E_INVALIDARG, "pDescriptor is NULL");
    struct flt_port *port = flt_handle_acquire((uintptr_t)hPort);
    if (port == NULL) return not_a_handle(hPort);
    HRESULT result = flt_port_poll_descriptor(port, pDescriptor);
    flt_port_release(port);
    return result;
}

EXPORT const char *WINAPI FilterGetLastErrorText(void) { return flt_last_error_text(); }
