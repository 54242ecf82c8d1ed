/* SPDX-License-Identifier: MIT */
/* One client connection to a port: the object behind a HANDLE. */
#ifndef FLTLIB_PORT_H
#define FLTLIB_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "fltUser.h"

struct flt_port;
struct flt_completion;

/* Everything a connect needs besides the name. */
struct flt_connect_request {
    uint32_t options;
    const void *context;
    uint16_t context_length;
};

/* Connects to the port `name`; on success *port holds one reference. Returns an HRESULT. */
int32_t flt_port_connect(const wchar_t *name, const struct flt_connect_request *request, struct flt_port **port);

/* The last reference (flt_object_release) went: closes the socket and frees the connection. */
void flt_port_destroy(struct flt_port *port);

/* Descriptors a send passes and takes back (docs/protocol.md section 12): `in_count` of `in` go with the SEND
 * (the caller keeps them); at most `out_capacity` of the result's land in `out`, their count in *out_count. */
struct flt_descriptor_exchange {
    const int *in;
    uint32_t in_count;
    int *out;
    uint32_t out_capacity;
    uint32_t *out_count;
};

/* FilterSendMessage; FilterSendMessageWithDescriptors with `exchanged` (NULL: none). */
int32_t flt_port_send(struct flt_port *port, const void *input, uint32_t input_length, void *output,
                      uint32_t output_capacity, uint32_t *returned, const struct flt_descriptor_exchange *exchanged);

/* FilterGetMessageDescriptors: hands over the descriptors of a got message (none when it had none). */
int32_t flt_port_get_descriptors(struct flt_port *port, uint64_t message_id, int *descriptors, uint32_t capacity,
                                 uint32_t *count);

/* FilterGetMessage (blocking) and FilterTryGetMessage (not): `buffer` receives the 16-byte
 * FILTER_MESSAGE_HEADER and the message. */
int32_t flt_port_get(struct flt_port *port, void *buffer, uint32_t buffer_size, int blocking);

/* FilterReplyMessage: `reply_length` bytes follow the header on the wire. */
int32_t flt_port_reply(struct flt_port *port, int32_t status, uint64_t message_id, const void *reply,
                       uint32_t reply_length, const int *descriptors, uint32_t count);

/* FilterGetPollDescriptor. */
int32_t flt_port_poll_descriptor(struct flt_port *port, int *descriptor);

/* FilterClose: ends the connection; calls waiting on it fail with E_HANDLE, overlapped requests end with
 * STATUS_PORT_DISCONNECTED (ERROR_INVALID_HANDLE). */
void flt_port_close(struct flt_port *port);

/* FilterGetMessage and FilterSendMessage with an OVERLAPPED: HRESULT_FROM_WIN32(ERROR_IO_PENDING) once the
 * request is pending (it may already have completed), or the failure that kept it from starting. */
int32_t flt_port_get_overlapped(struct flt_port *port, void *buffer, uint32_t buffer_size, OVERLAPPED *overlapped);
int32_t flt_port_send_overlapped(struct flt_port *port, const void *input, uint32_t input_length, void *output,
                                 uint32_t output_capacity, OVERLAPPED *overlapped);

/* CancelIoEx (thread_id 0) and CancelIo: ends the matching pending requests with STATUS_CANCELLED; returns how
 * many. A NULL `overlapped` matches every request. */
unsigned flt_port_cancel(struct flt_port *port, const OVERLAPPED *overlapped, uint32_t thread_id);

/* WaitForSingleObject on an event this port's requests report to: unless another thread reads the socket (or
 * nothing is pending), polls the socket and `wake_fd` until `deadline_ms` (CLOCK_MONOTONIC; UINT64_MAX for
 * ever) and files what came, completing requests here. Returns false when it did not poll. */
bool flt_port_read_while_waiting(struct flt_port *port, int wake_fd, uint64_t deadline_ms);

/* GetOverlappedResult with bWait and no event: waits until the request of `overlapped` completes. */
void flt_port_wait_overlapped(struct flt_port *port, const OVERLAPPED *overlapped);

/* CreateIoCompletionPort: takes over a reference to `completion`; false when the port already has one. */
bool flt_port_associate(struct flt_port *port, struct flt_completion *completion, uintptr_t key);

#endif
