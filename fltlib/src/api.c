/* SPDX-License-Identifier: MIT */
/* The exported fltlib calls: argument checks and handle lookups; the connection does the rest (port.c). */
#include "fltUser.h"

#include "api_checks.h"
#include "completion.h"
#include "export.h"
#include "handle_table.h"
#include "last_error.h"
#include "port.h"
#include "win_error.h"


EXPORT HRESULT WINAPI FilterConnectCommunicationPort(LPCWSTR lpPortName, DWORD dwOptions, LPCVOID lpContext,
                                                     WORD wSizeOfContext,
                                                     LPSECURITY_ATTRIBUTES lpSecurityAttributes, HANDLE *hPort) {
    /* Handles are opened close-on-exec and never inherited; there is nothing else to apply. */
    (void)lpSecurityAttributes;
    if (hPort == NULL) return flt_fail(E_INVALIDARG, "hPort is NULL; pass the address of a HANDLE");
    *hPort = INVALID_HANDLE_VALUE;
    if (lpPortName == NULL) return flt_fail(E_INVALIDARG, "lpPortName is NULL; pass the port's name");
    if ((dwOptions & ~(DWORD)(FLT_PORT_FLAG_SYNC_HANDLE | FLT_PORT_FLAG_DESCRIPTORS)) != 0) {
        return flt_fail(E_INVALIDARG, "dwOptions is 0x%x; only FLT_PORT_FLAG_SYNC_HANDLE (0x1) and "
                        "FLT_PORT_FLAG_DESCRIPTORS (0x100) are defined", dwOptions);
    }
    if (wSizeOfContext > 0 && lpContext == NULL) {
        return flt_fail(E_INVALIDARG, "lpContext is NULL but wSizeOfContext is %u", wSizeOfContext);
    }
    struct flt_connect_request request = {.options = dwOptions, .context = lpContext, .context_length = wSizeOfContext};
    struct flt_port *port;
    HRESULT result = flt_port_connect(lpPortName, &request, &port);
    if (FAILED(result)) return result;
    uintptr_t handle = flt_handle_register((struct flt_object *)port);
    if (handle == 0) {
        flt_port_close(port);
        flt_object_release((struct flt_object *)port);
        return flt_fail(E_OUTOFMEMORY, "out of memory for a new handle");
    }
    *hPort = (HANDLE)handle;
    return S_OK;
}

static HRESULT send_message(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize, LPVOID lpOutBuffer,
                            DWORD dwOutBufferSize, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped) {
    if (lpBytesReturned != NULL) *lpBytesReturned = 0;
    HRESULT wrong = check_send_buffers(lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize);
    if (FAILED(wrong)) return wrong;
    struct flt_port *port = acquire_port(hPort);
    if (port == NULL) return not_a_handle(hPort);
    if (lpOverlapped != NULL) {
        HRESULT pending = flt_port_send_overlapped(port, lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize,
                                                   lpOverlapped);
        flt_object_release((struct flt_object *)port);
        return pending;
    }
    uint32_t returned = 0;
    HRESULT result = flt_port_send(port, lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize, &returned, NULL);
    flt_object_release((struct flt_object *)port);
    if (lpBytesReturned != NULL) *lpBytesReturned = returned;
    return result;
}

EXPORT HRESULT WINAPI FilterSendMessage(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize, LPVOID lpOutBuffer,
                                        DWORD dwOutBufferSize, LPDWORD lpBytesReturned) {
    return send_message(hPort, lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize, lpBytesReturned, NULL);
}

EXPORT HRESULT WINAPI FilterSendMessageOverlapped(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize,
                                                  LPVOID lpOutBuffer, DWORD dwOutBufferSize, LPDWORD lpBytesReturned,
                                                  LPOVERLAPPED lpOverlapped) {
    if (lpOverlapped == NULL) return flt_fail(E_INVALIDARG, "lpOverlapped is NULL; call FilterSendMessage");
    return send_message(hPort, lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize, lpBytesReturned,
                        lpOverlapped);
}

static HRESULT get_message(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer, DWORD dwMessageBufferSize,
                           int blocking, LPOVERLAPPED lpOverlapped) {
    if (lpMessageBuffer == NULL) return flt_fail(E_INVALIDARG, "lpMessageBuffer is NULL");
    if (dwMessageBufferSize < sizeof(FILTER_MESSAGE_HEADER)) {
        return flt_fail(E_INVALIDARG, "dwMessageBufferSize is %u; the buffer must hold at least the 16-byte "
                        "FILTER_MESSAGE_HEADER", dwMessageBufferSize);
    }
    struct flt_port *port = acquire_port(hPort);
    if (port == NULL) return not_a_handle(hPort);
    HRESULT result = lpOverlapped != NULL
                         ? flt_port_get_overlapped(port, lpMessageBuffer, dwMessageBufferSize, lpOverlapped)
                         : flt_port_get(port, lpMessageBuffer, dwMessageBufferSize, blocking);
    flt_object_release((struct flt_object *)port);
    return result;
}

EXPORT HRESULT WINAPI FilterGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer,
                                       DWORD dwMessageBufferSize, LPOVERLAPPED lpOverlapped) {
    return get_message(hPort, lpMessageBuffer, dwMessageBufferSize, 1, lpOverlapped);
}

EXPORT HRESULT WINAPI FilterTryGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer,
                                          DWORD dwMessageBufferSize) {
    return get_message(hPort, lpMessageBuffer, dwMessageBufferSize, 0, NULL);
}

EXPORT HRESULT WINAPI FilterReplyMessage(HANDLE hPort, PFILTER_REPLY_HEADER lpReplyBuffer, DWORD dwReplyBufferSize) {
    if (lpReplyBuffer == NULL) return flt_fail(E_INVALIDARG, "lpReplyBuffer is NULL");
    if (dwReplyBufferSize < sizeof(FILTER_REPLY_HEADER)) {
        return flt_fail(E_INVALIDARG, "dwReplyBufferSize is %u; it counts the 16-byte FILTER_REPLY_HEADER and then "
                        "the reply", dwReplyBufferSize);
    }
    struct flt_port *port = acquire_port(hPort);
    if (port == NULL) return not_a_handle(hPort);
    HRESULT result = flt_port_reply(port, lpReplyBuffer->Status, lpReplyBuffer->MessageId, lpReplyBuffer + 1,
                                    dwReplyBufferSize - (DWORD)sizeof(FILTER_REPLY_HEADER), NULL, 0);
    flt_object_release((struct flt_object *)port);
    return result;
}

EXPORT HRESULT WINAPI FilterClose(HANDLE hFilter) {
    struct flt_object *object = flt_handle_acquire((uintptr_t)hFilter, FLT_OBJECT_ANY);
    if (object == NULL) return not_a_handle(hFilter);
    flt_object_release(object);
    /* Windows' FilterClose is CloseHandle. */
    return CloseHandle(hFilter) ? S_OK : not_a_handle(hFilter);
}

EXPORT BOOL WINAPI CloseHandle(HANDLE hObject) {
    struct flt_object *object = flt_handle_remove((uintptr_t)hObject);
    if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
    if (object->kind == FLT_OBJECT_PORT) flt_port_close((struct flt_port *)object);
    if (object->kind == FLT_OBJECT_COMPLETION) flt_completion_close((struct flt_completion *)object);
    flt_object_release(object);
    flt_set_win32_error(ERROR_SUCCESS);
    return TRUE;
}

EXPORT HRESULT WINAPI FilterGetPollDescriptor(HANDLE hPort, int *pDescriptor) {
    if (pDescriptor == NULL) return flt_fail(E_INVALIDARG, "pDescriptor is NULL");
    struct flt_port *port = acquire_port(hPort);
    if (port == NULL) return not_a_handle(hPort);
    HRESULT result = flt_port_poll_descriptor(port, pDescriptor);
    flt_object_release((struct flt_object *)port);
    return result;
}

EXPORT const char *WINAPI FilterGetLastErrorText(void) { return flt_last_error_text(); }
