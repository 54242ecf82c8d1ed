/* SPDX-License-Identifier: MIT */
/* Checks libfltlib's frame codec, status mapping and port-name mapping against the vectors the Swift
 * libraries are checked against too (Tests/WireVectors/wire-vectors.txt), so both speak the same protocol.
 *
 *   wire_vectors PATH-TO-VECTORS
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "fltUser.h"
#include "port_name.h"
#include "status.h"
#include "wire.h"

static int failures;
static int line_number;

#define CHECK(condition, ...)                                         \
    do {                                                              \
        if (!(condition)) {                                           \
            fprintf(stderr, "wire-vectors.txt:%d: ", line_number);    \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
            failures++;                                               \
        }                                                             \
    } while (0)

/* Decodes hex ("-" is empty) into `out`; returns the byte count, or -1 when it is not hex or too long. */
static long unhex(const char *text, uint8_t *out, size_t capacity) {
    if (strcmp(text, "-") == 0) return 0;
    size_t length = strlen(text);
    if (length % 2 != 0 || length / 2 > capacity) return -1;
    for (size_t i = 0; i < length / 2; i++) {
        unsigned value;
        if (sscanf(text + 2 * i, "%2x", &value) != 1) return -1;
        out[i] = (uint8_t)value;
    }
    return (long)(length / 2);
}

/* Decodes UTF-8 into wchar_t (UTF-32 on Linux) without depending on the locale. */
static void utf8_to_wide(const char *text, wchar_t *out, size_t capacity) {
    const uint8_t *in = (const uint8_t *)text;
    size_t count = 0;
    while (*in != 0 && count + 1 < capacity) {
        uint32_t scalar;
        int extra;
        if (*in < 0x80) scalar = *in, extra = 0;
        else if (*in < 0xE0) scalar = *in & 0x1F, extra = 1;
        else if (*in < 0xF0) scalar = *in & 0x0F, extra = 2;
        else scalar = *in & 0x07, extra = 3;
        in++;
        for (int i = 0; i < extra && *in != 0; i++, in++) scalar = scalar << 6 | (*in & 0x3F);
        out[count++] = (wchar_t)scalar;
    }
    out[count] = 0;
}

static char *field(char **cursor) { return strsep(cursor, " "); }

static void check_status(char *rest) {
    uint32_t status = (uint32_t)strtoul(field(&rest), NULL, 16);
    uint32_t expected = (uint32_t)strtoul(field(&rest), NULL, 16);
    uint32_t actual = (uint32_t)flt_hresult_from_status(status);
    CHECK(actual == expected, "status 0x%08x maps to 0x%08x, expected 0x%08x", status, actual, expected);
}

/* advice NTSTATUS TEXT: the rest of the line is the sentence both libraries print for that status. */
static void check_advice(char *rest) {
    uint32_t status = (uint32_t)strtoul(field(&rest), NULL, 16);
    const char *actual = flt_status_advice(status);
    CHECK(actual != NULL && rest != NULL && strcmp(actual, rest) == 0, "status 0x%08x's advice is \"%s\"", status,
          actual != NULL ? actual : "(none)");
}

static void check_name(char *rest) {
    const char *name = field(&rest);
    const char *expected = field(&rest);
    wchar_t wide[512];
    utf8_to_wide(name, wide, 512);
    uint8_t address[FLT_MAX_ADDRESS_LENGTH];
    const char *why = NULL;
    int length = flt_port_address(wide, address, &why);
    if (strcmp(expected, "invalid") == 0) {
        CHECK(length < 0, "name %s is accepted; expected invalid", name);
        return;
    }
    uint8_t want[FLT_MAX_ADDRESS_LENGTH + 1];
    long want_length = unhex(expected, want, sizeof want);
    CHECK(length >= 0, "name %s is refused (%s)", name, why ? why : "");
    CHECK(length == want_length && memcmp(address, want, (size_t)length) == 0, "name %s maps to another address",
          name);
}

/* Compares `head` followed by `payload` with the expected frame. */
static void check_frame(const char *what, const uint8_t *head, size_t head_length, const uint8_t *payload,
                        long payload_length, const char *expected_hex) {
    uint8_t expected[4096], actual[4096];
    long expected_length = unhex(expected_hex, expected, sizeof expected);
    memcpy(actual, head, head_length);
    memcpy(actual + head_length, payload, (size_t)payload_length);
    long actual_length = (long)head_length + payload_length;
    CHECK(actual_length == expected_length && memcmp(actual, expected, (size_t)actual_length) == 0,
          "%s encodes differently", what);
}

/* A client frame: "connect WCHAR-SIZE OPTIONS CONTEXT FRAME", "send ID CAPACITY INPUT FRAME" or
 * "reply ID STATUS REPLY FRAME". */
static void check_client_frame(const char *kind, char *rest) {
    const char *first = field(&rest);
    const char *second = field(&rest);
    uint8_t payload[1024];
    long payload_length = unhex(field(&rest), payload, sizeof payload);
    uint8_t head[FLT_FRAME_HEADER_SIZE + 8];
    size_t head_length;
    if (strcmp(kind, "connect") == 0) {
        head_length = flt_encode_connect(head, (uint16_t)strtoul(first, NULL, 10), (uint32_t)strtoul(second, NULL, 10),
                                         (uint32_t)payload_length);
    } else if (strcmp(kind, "send") == 0) {
        head_length = flt_encode_send(head, strtoull(first, NULL, 10), (uint32_t)strtoul(second, NULL, 10),
                                      (uint32_t)payload_length);
    } else {
        head_length = flt_encode_reply(head, strtoull(first, NULL, 10), (int32_t)strtoul(second, NULL, 16),
                                       (uint32_t)payload_length);
    }
    check_frame(kind, head, head_length, payload, payload_length, field(&rest));
}

static void check_server(char *rest) {
    uint32_t max_body = (uint32_t)strtoul(field(&rest), NULL, 10);
    const char *hex = field(&rest);
    uint8_t frame[4096];
    long length = unhex(hex, frame, sizeof frame);
    const char *verdict = field(&rest);
    struct flt_frame_header header;
    flt_decode_header(frame, &header);
    const char *wrong = length >= FLT_FRAME_HEADER_SIZE ? flt_check_server_header(&header, max_body) : "short";
    if (strcmp(verdict, "reject") == 0) {
        CHECK(wrong != NULL, "server frame %s is accepted; expected a refusal", hex);
        return;
    }
    CHECK(wrong == NULL, "server frame %s is refused: %s", hex, wrong ? wrong : "");
    if (wrong != NULL) return;
    unsigned type = (unsigned)strtoul(field(&rest), NULL, 10);
    uint64_t id = strtoull(field(&rest), NULL, 10);
    uint32_t head = (uint32_t)strtoul(field(&rest), NULL, 16);
    uint8_t payload[4096];
    long payload_length = unhex(field(&rest), payload, sizeof payload);
    CHECK(header.type == type && header.id == id, "server frame %s has type %u id %" PRIu64, hex, header.type,
          header.id);
    CHECK(header.body_length == (uint32_t)(length - FLT_FRAME_HEADER_SIZE), "server frame %s has the wrong length",
          hex);
    CHECK(flt_get_u32(frame + FLT_FRAME_HEADER_SIZE) == head, "server frame %s has another status or capacity", hex);
    CHECK(header.body_length - 4 == (uint32_t)payload_length &&
              memcmp(frame + FLT_FRAME_HEADER_SIZE + 4, payload, (size_t)payload_length) == 0,
          "server frame %s has another payload", hex);
}

/* path BYTES UTF16 UTF32: FilterWidePathToBytes gives the bytes back from the UTF-32 text (wchar_t on Linux). */
static void check_path(char *rest) {
    const char *bytes_hex = field(&rest);
    (void)field(&rest);
    const char *utf32_hex = field(&rest);
    uint8_t expected[512], utf32[2048];
    long expected_length = unhex(bytes_hex, expected, sizeof expected);
    long utf32_length = unhex(utf32_hex, utf32, sizeof utf32 - sizeof(wchar_t));
    if (expected_length < 0 || utf32_length < 0 || utf32_length % 4 != 0) {
        CHECK(0, "bad hex in a path vector");
        return;
    }
    wchar_t wide[512] = {0};
    memcpy(wide, utf32, (size_t)utf32_length);
    char path[512];
    size_t length = 0;
    HRESULT result = FilterWidePathToBytes(wide, path, sizeof path, &length);
    CHECK(result == S_OK, "FilterWidePathToBytes(%s) failed with 0x%08x", utf32_hex, (unsigned)result);
    CHECK(length == (size_t)expected_length && memcmp(path, expected, length) == 0 && path[length] == 0,
          "path %s decodes to other bytes (%zu of them)", utf32_hex, length);
    char small[2];
    result = FilterWidePathToBytes(wide, small, sizeof small, &length);
    CHECK(result == (HRESULT)0x8007007A && length == (size_t)expected_length,
          "path %s in a 2-byte buffer: 0x%08x, length %zu", utf32_hex, (unsigned)result, length);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: wire_vectors PATH-TO-wire-vectors.txt\n");
        return 2;
    }
    FILE *file = fopen(argv[1], "r");
    if (file == NULL) {
        perror(argv[1]);
        return 2;
    }
    char *line = NULL;
    size_t capacity = 0;
    int checked = 0;
    while (getline(&line, &capacity, file) > 0) {
        line_number++;
        line[strcspn(line, "\n")] = 0;
        if (line[0] == 0 || line[0] == '#') continue;
        char *rest = line;
        const char *kind = field(&rest);
        if (strcmp(kind, "status") == 0) check_status(rest);
        else if (strcmp(kind, "advice") == 0) check_advice(rest);
        else if (strcmp(kind, "name") == 0) check_name(rest);
        else if (strcmp(kind, "connect") == 0 || strcmp(kind, "send") == 0 || strcmp(kind, "reply") == 0)
            check_client_frame(kind, rest);
        else if (strcmp(kind, "server") == 0) check_server(rest);
        else if (strcmp(kind, "path") == 0) check_path(rest);
        else CHECK(0, "unknown vector kind '%s'", kind);
        checked++;
    }
    free(line);
    fclose(file);
    if (checked == 0) {
        fprintf(stderr, "%s holds no vectors\n", argv[1]);
        return 1;
    }
    printf("wire vectors: %d checked, %d failed\n", checked, failures);
    return failures == 0 ? 0 : 1;
}
