/* SPDX-License-Identifier: MIT */
/* The Linux extensions that pass descriptors with messages (docs/protocol.md section 12): argument checks and
 * handle lookups; the connection does the rest (port.c). */
#include "fltUser.h"

#include "api_checks.h"
#include "export.h"
#include "win_error.h"
#include "wire.h"

static HRESULT check_descriptors(const int *descriptors, DWORD count, const char *name) {
    if (count > FLT_MAX_FRAME_DESCRIPTORS) {
        return flt_fail(E_INVALIDARG, "%s is %u; a message carries at most 253 descriptors", name, count);
    }
    if (count > 0 && descriptors == NULL) return flt_fail(E_INVALIDARG, "the descriptor array is NULL but %s is %u", name, count);
    return S_OK;
}

EXPORT HRESULT WINAPI FilterSendMessageWithDescriptors(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize,
                                                       const int *pInDescriptors, DWORD dwInDescriptorCount,
                                                       LPVOID lpOutBuffer, DWORD dwOutBufferSize,
                                                       LPDWORD lpBytesReturned, int *pOutDescriptors,
                                                       DWORD dwOutDescriptorCapacity,
                                                       LPDWORD lpOutDescriptorCount) {
    if (lpBytesReturned != NULL) *lpBytesReturned = 0;
    if (lpOutDescriptorCount == NULL) return flt_fail(E_INVALIDARG, "lpOutDescriptorCount is NULL");
    *lpOutDescriptorCount = 0;
    HRESULT wrong = check_descriptors(pInDescriptors, dwInDescriptorCount, "dwInDescriptorCount");
    if (FAILED(wrong)) return wrong;
    if (dwOutDescriptorCapacity > 0 && pOutDescriptors == NULL) {
        return flt_fail(E_INVALIDARG, "pOutDescriptors is NULL but dwOutDescriptorCapacity is %u",
                        dwOutDescriptorCapacity);
    }
    wrong = check_send_buffers(lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize);
    if (FAILED(wrong)) return wrong;
    struct flt_port *port = acquire_port(hPort);
    if (port == NULL) return not_a_handle(hPort);
    uint32_t returned = 0;
    uint32_t out_count = 0;
    struct flt_descriptor_exchange exchanged = {
        .in = pInDescriptors,
        .in_count = dwInDescriptorCount,
        .out = pOutDescriptors,
        .out_capacity = dwOutDescriptorCapacity,
        .out_count = &out_count,
    };
    HRESULT result = flt_port_send(port, lpInBuffer, dwInBufferSize, lpOutBuffer, dwOutBufferSize, &returned,
                                   &exchanged);
    flt_object_release((struct flt_object *)port);
    if (lpBytesReturned != NULL) *lpBytesReturned = returned;
    *lpOutDescriptorCount = out_count;
    return result;
}

EXPORT HRESULT WINAPI FilterReplyMessageWithDescriptors(HANDLE hPort, PFILTER_REPLY_HEADER lpReplyBuffer,
                                                        DWORD dwReplyBufferSize, const int *pDescriptors,
                                                        DWORD dwDescriptorCount) {
    if (lpReplyBuffer == NULL) return flt_fail(E_INVALIDARG, "lpReplyBuffer is NULL");
    if (dwReplyBufferSize < sizeof(FILTER_REPLY_HEADER)) {
        return flt_fail(E_INVALIDARG, "dwReplyBufferSize is %u; it counts the 16-byte FILTER_REPLY_HEADER and then "
                        "the reply", dwReplyBufferSize);
    }
    HRESULT wrong = check_descriptors(pDescriptors, dwDescriptorCount, "dwDescriptorCount");
    if (FAILED(wrong)) return wrong;
    struct flt_port *port = acquire_port(hPort);
    if (port == NULL) return not_a_handle(hPort);
    HRESULT result = flt_port_reply(port, lpReplyBuffer->Status, lpReplyBuffer->MessageId, lpReplyBuffer + 1,
                                    dwReplyBufferSize - (DWORD)sizeof(FILTER_REPLY_HEADER), pDescriptors,
                                    dwDescriptorCount);
    flt_object_release((struct flt_object *)port);
    return result;
}

EXPORT HRESULT WINAPI FilterGetMessageDescriptors(HANDLE hPort, ULONGLONG MessageId, int *pDescriptors,
                                                  DWORD dwCapacity, LPDWORD lpCount) {
    if (lpCount == NULL) return flt_fail(E_INVALIDARG, "lpCount is NULL");
    *lpCount = 0;
    if (dwCapacity > 0 && pDescriptors == NULL) {
        return flt_fail(E_INVALIDARG, "pDescriptors is NULL but dwCapacity is %u", dwCapacity);
    }
    struct flt_port *port = acquire_port(hPort);
    if (port == NULL) return not_a_handle(hPort);
    uint32_t count = 0;
    HRESULT result = flt_port_get_descriptors(port, MessageId, pDescriptors, dwCapacity, &count);
    flt_object_release((struct flt_object *)port);
    *lpCount = count;
    return result;
}
