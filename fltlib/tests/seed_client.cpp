/* SPDX-License-Identifier: MIT */
// A minifilter client in the seed's style (C++, exceptions, wcout), as written for Windows against
// fltUser.h, ported the way the README describes: <Windows.h> dropped, snprintf for sprintf_s, wcsncpy for
// wcscpy_s, std::runtime_error for MSVC's std::exception(const char *).
//
// It says hello to \MiniFilterPort_Example (or the port named by its argument, so that tests can give it a
// port of their own), prints the reply, then answers every file open the filter asks about, blocking the
// paths that contain "test.txt". It runs until it is stopped.
#include <fltUser.h>

#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <iostream>
#include <stdexcept>

#define EXAMPLE_PORT_NAME "\\MiniFilterPort_Example"
#define PAGE 4096

struct Greeting {
    wchar_t text[PAGE / sizeof(wchar_t)];
};

struct OpenedFile {
    wchar_t path[PAGE / sizeof(wchar_t)];
};

struct Verdict {
    unsigned __int32 block;
};

struct OpenedFileMessage {
    FILTER_MESSAGE_HEADER header;
    OpenedFile file;
};

struct VerdictReply {
    FILTER_REPLY_HEADER header;
    Verdict verdict;
};

static void check(HRESULT result, const char *call) {
    if (!IS_ERROR(result)) return;
    char text[128];
    snprintf(text, sizeof text, "%s failed (HRESULT = 0x%x)", call, static_cast<unsigned>(result));
    throw std::runtime_error(text);
}

int main(int argc, char **argv) {
    wchar_t name[256] = TEXT(EXAMPLE_PORT_NAME);
    if (argc > 1) mbstowcs(name, argv[1], ARRAYSIZE(name) - 1);
    HANDLE port = nullptr;
    try {
        check(FilterConnectCommunicationPort(name, 0, nullptr, 0, nullptr, &port), "FilterConnectCommunicationPort");

        Greeting greeting;
        Greeting answer;
        ZeroMemory(&greeting, sizeof greeting);
        ZeroMemory(&answer, sizeof answer);
        wcsncpy(greeting.text, L"Hello, MiniFilter", ARRAYSIZE(greeting.text) - 1);
        DWORD returned = 0;
        check(FilterSendMessage(port, &greeting, sizeof greeting, &answer, sizeof answer, &returned),
              "FilterSendMessage");
        if (returned > 0) {
            std::wcout << answer.text << std::endl;
        } else {
            std::wcout << L"No reply" << std::endl;
        }

        OpenedFileMessage message;
        VerdictReply reply;
        for (;;) {
            ZeroMemory(&message, sizeof message);
            check(FilterGetMessage(port, &message.header, sizeof message, nullptr), "FilterGetMessage");
            ZeroMemory(&reply, sizeof reply);
            reply.header.MessageId = message.header.MessageId;
            if (std::wcsstr(message.file.path, L"test.txt") != nullptr) {
                reply.verdict.block = TRUE;
                std::wcout << message.file.path << L" will be blocked" << std::endl;
            }
            check(FilterReplyMessage(port, &reply.header, sizeof reply.header + sizeof reply.verdict),
                  "FilterReplyMessage");
        }
    } catch (const std::exception &error) {
        std::cerr << error.what() << std::endl;
    }
    if (port != nullptr) FilterClose(port);
    return 0;
}
