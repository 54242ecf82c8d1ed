/* SPDX-License-Identifier: MIT */
/* The frame format of docs/protocol.md section 2: a 16-byte little-endian header, then the body. */
#ifndef FLTLIB_WIRE_H
#define FLTLIB_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define FLT_FRAME_HEADER_SIZE 16
#define FLT_PROTOCOL_VERSION 1
/* The largest CONNECT context: its size travels in fltlib's WORD. */
#define FLT_MAX_CONTEXT_SIZE 65535

enum flt_frame_type {
    FLT_FRAME_CONNECT = 1,
    FLT_FRAME_CONNECT_RESULT = 2,
    FLT_FRAME_SEND = 3,
    FLT_FRAME_SEND_RESULT = 4,
    FLT_FRAME_MESSAGE = 5,
    FLT_FRAME_REPLY = 6,
    FLT_FRAME_REPLY_RESULT = 7,
    FLT_FRAME_DISCONNECT = 8,
};

struct flt_frame_header {
    uint32_t body_length;
    uint16_t type;
    uint16_t flags;
    uint64_t id;
};

static inline void flt_put_u16(uint8_t *out, uint16_t value) {
    out[0] = (uint8_t)value;
    out[1] = (uint8_t)(value >> 8);
}

static inline void flt_put_u32(uint8_t *out, uint32_t value) {
    for (int i = 0; i < 4; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static inline void flt_put_u64(uint8_t *out, uint64_t value) {
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(value >> (8 * i));
}

static inline uint16_t flt_get_u16(const uint8_t *in) { return (uint16_t)(in[0] | in[1] << 8); }

static inline uint32_t flt_get_u32(const uint8_t *in) {
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
}

static inline uint64_t flt_get_u64(const uint8_t *in) {
    return (uint64_t)flt_get_u32(in) | (uint64_t)flt_get_u32(in + 4) << 32;
}

/* Writes a header; a frame is this header followed by `body_length` bytes. */
void flt_encode_header(uint8_t out[FLT_FRAME_HEADER_SIZE], uint16_t type, uint32_t body_length, uint64_t id);

/* Writes the header and the fixed part of a client frame (CONNECT: version, wchar size and options; SEND: the
 * output capacity; REPLY: the status) into `out`, which must hold FLT_FRAME_HEADER_SIZE + 8 bytes. The
 * variable part (`payload_length` bytes) follows on the wire. Returns the number of bytes written. */
size_t flt_encode_connect(uint8_t *out, uint16_t wchar_size, uint32_t options, uint32_t context_length);
size_t flt_encode_send(uint8_t *out, uint64_t id, uint32_t output_capacity, uint32_t input_length);
size_t flt_encode_reply(uint8_t *out, uint64_t id, int32_t status, uint32_t reply_length);

void flt_decode_header(const uint8_t in[FLT_FRAME_HEADER_SIZE], struct flt_frame_header *header);

/* Checks a header from the server against the format before any of its body is read: NULL when it is a
 * valid server-to-client frame of at most `max_body` bytes, else what is wrong with it. */
const char *flt_check_server_header(const struct flt_frame_header *header, uint32_t max_body);

/* The most descriptors one frame carries (SCM_MAX_FD), and the CONNECT option that asks for them
 * (docs/protocol.md section 12). */
#define FLT_MAX_FRAME_DESCRIPTORS 253
#define FLT_OPTION_DESCRIPTORS 0x100u

/* flt_check_server_header for a connection that asked for descriptors when `descriptors` is true: the low byte
 * of the flags is then the descriptor count of SEND_RESULT and MESSAGE frames (section 12). */
const char *flt_check_server_header_descriptors(const struct flt_frame_header *header, uint32_t max_body,
                                                int descriptors);

#endif
