/* SPDX-License-Identifier: MIT */
/* Sends one USER_TO_FLT to a port and prints the reply, as the seed's client does:
 *
 *   flt_send [--port NAME] [--capacity BYTES] TEXT
 *
 * Prints the reply text, or "No reply" when none came back; on an error prints the seed's
 * "... failed (HRESULT = 0x...)" line and the library's explanation to stderr and exits 1. */
#include <fltUser.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUFFER_SIZE 4096

typedef struct {
    wchar_t msg[BUFFER_SIZE / sizeof(wchar_t)];
} USER_TO_FLT;

static int report(const char *call, HRESULT result) {
    fprintf(stderr, "%s failed (HRESULT = 0x%x)\n%s\n", call, (unsigned)result, FilterGetLastErrorText());
    return 1;
}

int main(int argc, char **argv) {
    setlocale(LC_ALL, "");
    const char *port_name = "\\MiniFilterPort_Example";
    unsigned long capacity = BUFFER_SIZE;
    const char *text = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port_name = argv[++i];
        else if (strcmp(argv[i], "--capacity") == 0 && i + 1 < argc) capacity = strtoul(argv[++i], NULL, 10);
        else text = argv[i];
    }
    if (text == NULL || capacity > 1 << 20) {
        fprintf(stderr, "usage: flt_send [--port NAME] [--capacity BYTES (at most 1048576)] TEXT\n");
        return 2;
    }
    wchar_t wide_name[256];
    if (mbstowcs(wide_name, port_name, ARRAYSIZE(wide_name)) >= ARRAYSIZE(wide_name)) {
        fprintf(stderr, "flt_send: the port name is not valid text here, or too long\n");
        return 2;
    }

    HANDLE port = NULL;
    HRESULT result = FilterConnectCommunicationPort(wide_name, 0, NULL, 0, NULL, &port);
    if (IS_ERROR(result)) return report("FilterConnectCommunicationPort", result);

    USER_TO_FLT sent;
    ZeroMemory(&sent, sizeof sent);
    mbstowcs(sent.msg, text, ARRAYSIZE(sent.msg) - 1);
    wchar_t *reply = calloc(1, capacity + sizeof(wchar_t));
    DWORD returned = 0;
    result = FilterSendMessage(port, &sent, sizeof sent, capacity > 0 ? reply : NULL, (DWORD)capacity, &returned);
    if (IS_ERROR(result)) {
        free(reply);
        FilterClose(port);
        return report("FilterSendMessage", result);
    }
    if (returned > 0) printf("%ls\n", reply);
    else printf("No reply\n");
    free(reply);
    result = FilterClose(port);
    if (IS_ERROR(result)) return report("FilterClose", result);
    return 0;
}
