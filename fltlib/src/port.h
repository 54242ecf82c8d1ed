/* SPDX-License-Identifier: MIT */
/* One client connection to a port: the object behind a HANDLE. */
#ifndef FLTLIB_PORT_H
#define FLTLIB_PORT_H

#include <stdint.h>
#include <wchar.h>

struct flt_port;

/* Everything a connect needs besides the name. */
struct flt_connect_request {
    uint32_t options;
    const void *context;
    uint16_t context_length;
};

/* Connects to the port `name`; on success *port holds one reference. Returns an HRESULT. */
int32_t flt_port_connect(const wchar_t *name, const struct flt_connect_request *request, struct flt_port **port);

void flt_port_retain(struct flt_port *port);
/* Drops a reference; the last one closes the socket and frees the connection. */
void flt_port_release(struct flt_port *port);

/* FilterSendMessage. */
int32_t flt_port_send(struct flt_port *port, const void *input, uint32_t input_length, void *output,
                      uint32_t output_capacity, uint32_t *returned);

/* FilterGetMessage (blocking) and FilterTryGetMessage (not): `buffer` receives the 16-byte
 * FILTER_MESSAGE_HEADER and the message. */
int32_t flt_port_get(struct flt_port *port, void *buffer, uint32_t buffer_size, int blocking);

/* FilterReplyMessage: `reply_length` bytes follow the header on the wire. */
int32_t flt_port_reply(struct flt_port *port, int32_t status, uint64_t message_id, const void *reply,
                       uint32_t reply_length);

/* FilterGetPollDescriptor. */
int32_t flt_port_poll_descriptor(struct flt_port *port, int *descriptor);

/* FilterClose: ends the connection; calls waiting on it fail with E_HANDLE. */
void flt_port_close(struct flt_port *port);

#endif
