/* SPDX-License-Identifier: MIT */
#include "wire.h"

void flt_encode_header(uint8_t out[FLT_FRAME_HEADER_SIZE], uint16_t type, uint32_t body_length, uint64_t id) {
    flt_put_u32(out, body_length);
    flt_put_u16(out + 4, type);
    flt_put_u16(out + 6, 0);
    flt_put_u64(out + 8, id);
}

size_t flt_encode_connect(uint8_t *out, uint16_t wchar_size, uint32_t options, uint32_t context_length) {
    flt_encode_header(out, FLT_FRAME_CONNECT, 8 + context_length, 0);
    flt_put_u16(out + 16, FLT_PROTOCOL_VERSION);
    flt_put_u16(out + 18, wchar_size);
    flt_put_u32(out + 20, options);
    return FLT_FRAME_HEADER_SIZE + 8;
}

size_t flt_encode_send(uint8_t *out, uint64_t id, uint32_t output_capacity, uint32_t input_length) {
    flt_encode_header(out, FLT_FRAME_SEND, 4 + input_length, id);
    flt_put_u32(out + 16, output_capacity);
    return FLT_FRAME_HEADER_SIZE + 4;
}

size_t flt_encode_reply(uint8_t *out, uint64_t id, int32_t status, uint32_t reply_length) {
    flt_encode_header(out, FLT_FRAME_REPLY, 4 + reply_length, id);
    flt_put_u32(out + 16, (uint32_t)status);
    return FLT_FRAME_HEADER_SIZE + 4;
}

void flt_decode_header(const uint8_t in[FLT_FRAME_HEADER_SIZE], struct flt_frame_header *header) {
    header->body_length = flt_get_u32(in);
    header->type = flt_get_u16(in + 4);
    header->flags = flt_get_u16(in + 6);
    header->id = flt_get_u64(in + 8);
}

const char *flt_check_server_header(const struct flt_frame_header *header, uint32_t max_body) {
    return flt_check_server_header_descriptors(header, max_body, 0);
}

const char *flt_check_server_header_descriptors(const struct flt_frame_header *header, uint32_t max_body,
                                                int descriptors) {
    switch (header->type) {
    case FLT_FRAME_CONNECT_RESULT:
    case FLT_FRAME_SEND_RESULT:
    case FLT_FRAME_MESSAGE:
    case FLT_FRAME_REPLY_RESULT:
    case FLT_FRAME_DISCONNECT:
        break;
    case FLT_FRAME_CONNECT:
    case FLT_FRAME_SEND:
    case FLT_FRAME_REPLY:
        return "a frame type that only clients send";
    default:
        return "an unknown frame type";
    }
    if (header->flags != 0) {
        if (!descriptors || (header->flags & 0xFF00) != 0) return "non-zero flags";
        if (header->type != FLT_FRAME_SEND_RESULT && header->type != FLT_FRAME_MESSAGE) {
            return "descriptors on a frame type that carries none";
        }
        if (header->flags > FLT_MAX_FRAME_DESCRIPTORS) return "more than 253 descriptors";
    }
    /* Every server-to-client type starts with a 4-byte status or capacity. */
    if (header->body_length < 4) return "a body shorter than its fixed fields";
    if (header->body_length > max_body) return "a body over the size limit";
    return NULL;
}
