/* SPDX-License-Identifier: MIT */
/*
 * fltUser.h: the user-mode side of a Filter Manager communication port (fltlib), on Linux.
 *
 * The functions have fltlib's signatures and return its HRESULTs, so code written for Windows builds with only
 * its MSVC-runtime calls changed: the headers it includes (windows.h or Windows.h, fltuser.h, winioctl.h,
 * crtdbg.h, dontuse.h) are installed beside this one, and the kernel32 calls it makes around fltlib (events,
 * waits, completion ports, threads, GetLastError, CloseHandle) are in fltWinBase.h, which this header includes.
 * Link with `pkg-config --cflags --libs fltlib`. The port is served by minifltd (or any server speaking its protocol,
 * docs/protocol.md) on the abstract Unix socket named after the port.
 *
 * Differences from Windows, each one deliberate:
 * - Overlapped requests complete on libfltlib's one I/O thread per process, which waits in epoll on the sockets
 *   of ports with requests pending, or on whichever thread reads the socket first: the issuing thread (a message
 *   already there), a thread in WaitForSingleObject on the request's event or in GetQueuedCompletionStatus on
 *   the handle's completion port (they poll the socket while nobody else reads it). No thread is started per
 *   request. An overlapped FilterGetMessage always returns HRESULT_FROM_WIN32(ERROR_IO_PENDING), even when a
 *   message is already queued (it then completes at once); the OVERLAPPED's Internal becomes the NTSTATUS and
 *   InternalHigh the bytes written (the 16-byte header and the message), then the completion packet is queued
 *   and the event set. Requests complete in any order; a message goes to the oldest pending get.
 * - FilterSendMessage has no OVERLAPPED on Windows; FilterSendMessageOverlapped is the Linux addition.
 * - Close a port handle with CloseHandle or FilterClose: pending overlapped requests then end with
 *   ERROR_INVALID_HANDLE (HRESULT_FROM_WIN32: 0x80070006), as they do when the server disconnects; a cancel
 *   (CancelIo, CancelIoEx) ends them with ERROR_OPERATION_ABORTED.
 * - lpSecurityAttributes is ignored: the handle is not inherited across exec (it is opened close-on-exec).
 * - Anyone can bind a free abstract name, so FilterConnectCommunicationPort checks who listens: the server
 *   must run as uid 0, or as a uid listed in the environment variable FLTLIB_SERVER_UIDS (comma-separated).
 *   Anything else fails with HRESULT_FROM_WIN32(ERROR_SERVER_SID_MISMATCH), 0x80070274, and nothing is sent.
 * - A send or reply whose frame would exceed the server's message size limit (1 MiB unless
 *   FLTLIB_MAX_MESSAGE_SIZE says otherwise) fails with E_INVALIDARG and keeps the connection.
 * - FilterGetLastErrorText says, for a person, why the calling thread's last call failed.
 *
 * # Thread safety
 * A handle may be shared by any number of threads: sends, gets and replies from several threads run at
 * once and are matched by message id, and any number of overlapped requests may be pending on it, from any
 * thread. FilterClose (or CloseHandle) while other threads wait makes their calls fail with E_HANDLE
 * (0x80070006); so does any call on a closed handle, or on a value that is not a handle.
 */
#ifndef FLTLIB_FLTUSER_H
#define FLTLIB_FLTUSER_H

#ifndef FLTLIB_NO_WINTYPES
#include "fltWinBase.h"
#include "fltWinTypes.h"

#include <stddef.h>
#endif
/* The management calls' types, as Windows' fltUser.h includes them (with the Windows names from wherever they
 * come). */
#include "fltUserStructures.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this library: major * 10000 + minor * 100 + patch. */
#define FLTLIB_VERSION 10400

/** FilterConnectCommunicationPort option: the handle is synchronous (every handle is, on Linux). */
#define FLT_PORT_FLAG_SYNC_HANDLE 0x00000001

/** FilterConnectCommunicationPort option (Linux, libfltlib 1.4): messages may carry open file descriptors
 * (docs/protocol.md section 12). Without it the handle never receives one. A server older than minifltd 0.4
 * refuses it with E_INVALIDARG (0x80070057): connect again without it. */
#define FLT_PORT_FLAG_DESCRIPTORS 0x00000100

/** What FilterGetMessage writes before the message: the reply the filter accepts and the id to answer. */
typedef struct _FILTER_MESSAGE_HEADER {
    /** The most reply bytes the filter accepts after FILTER_REPLY_HEADER; 0 when it awaits no reply. */
    ULONG ReplyLength;
    /** The id to copy into FILTER_REPLY_HEADER.MessageId. */
    ULONGLONG MessageId;
} FILTER_MESSAGE_HEADER, *PFILTER_MESSAGE_HEADER;

/** What FilterReplyMessage reads before the reply bytes. */
typedef struct _FILTER_REPLY_HEADER {
    /** The status the filter receives with the reply. */
    NTSTATUS Status;
    /** The MessageId of the message answered. */
    ULONGLONG MessageId;
} FILTER_REPLY_HEADER, *PFILTER_REPLY_HEADER;

/* Both headers are 16 bytes on Windows, and filters' structures rely on it. */
#ifdef __cplusplus
static_assert(sizeof(FILTER_MESSAGE_HEADER) == 16, "FILTER_MESSAGE_HEADER is 16 bytes");
static_assert(sizeof(FILTER_REPLY_HEADER) == 16, "FILTER_REPLY_HEADER is 16 bytes");
#else
_Static_assert(sizeof(FILTER_MESSAGE_HEADER) == 16, "FILTER_MESSAGE_HEADER is 16 bytes");
_Static_assert(sizeof(FILTER_REPLY_HEADER) == 16, "FILTER_REPLY_HEADER is 16 bytes");
#endif

/**
 * Connects to the port lpPortName, for example TEXT("\\MiniFilterPort_Example") (names are case-insensitive).
 *
 * @param lpPortName  the port's name; it must start with a backslash, or be a socket file's path ("/path" or
 *                    "unix:/path", docs/protocol.md section 1).
 * @param dwOptions   0 or FLT_PORT_FLAG_SYNC_HANDLE.
 * @param lpContext   wSizeOfContext bytes handed to the filter's connect routine; NULL when the size is 0.
 * @param lpSecurityAttributes  ignored.
 * @param hPort       receives the handle; INVALID_HANDLE_VALUE when the call fails.
 * @return S_OK; 0x8007007B for a name that is not a port name; 0x80070002 when nothing listens;
 *         0x80070274 when the listener is not the expected server; 0x80070005 when the port's permission
 *         descriptor refuses this process; 0x800704D6 at the port's connection limit; E_INVALIDARG for bad
 *         arguments; or the HRESULT of the status the filter's connect routine failed with.
 */
HRESULT WINAPI FilterConnectCommunicationPort(LPCWSTR lpPortName, DWORD dwOptions, LPCVOID lpContext,
                                              WORD wSizeOfContext, LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                              HANDLE *hPort);

/**
 * Sends lpInBuffer to the filter's message routine and waits for its output.
 *
 * @param lpInBuffer       dwInBufferSize bytes; NULL when the size is 0.
 * @param lpOutBuffer      receives at most dwOutBufferSize bytes; NULL when the size is 0.
 * @param lpBytesReturned  receives the number of output bytes (may be NULL on Linux).
 * @return S_OK, or the HRESULT of the routine's status (any status but STATUS_SUCCESS fails the call,
 *         warnings included: STATUS_BUFFER_OVERFLOW is 0x800700EA); E_HANDLE once the connection is over.
 */
HRESULT WINAPI FilterSendMessage(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize, LPVOID lpOutBuffer,
                                 DWORD dwOutBufferSize, LPDWORD lpBytesReturned);

/**
 * Waits for the next message the filter sends (FltSendMessage) and writes its header and bytes.
 *
 * @param lpMessageBuffer     receives FILTER_MESSAGE_HEADER followed by the message.
 * @param dwMessageBufferSize the buffer's size, header included.
 * @param lpOverlapped        NULL to wait here; otherwise the call returns HRESULT_FROM_WIN32(ERROR_IO_PENDING)
 *                            (0x800703E5) and completes later: the buffer and the OVERLAPPED must stay valid
 *                            until then. Its hEvent (an event, or NULL) is reset now and set at completion; a
 *                            packet goes to the handle's completion port unless hEvent's low bit is set.
 *                            GetOverlappedResult or GetQueuedCompletionStatus give the result: ERROR_INSUFFICIENT_BUFFER
 *                            for a buffer too small (the message stays queued), ERROR_INVALID_HANDLE once the
 *                            connection is over, ERROR_OPERATION_ABORTED after a cancel.
 * @return S_OK; 0x8007007A when the buffer cannot hold the header and the message (the message stays
 *         queued for the next call); E_HANDLE once the connection is over; 0x800703E5 for an overlapped call.
 */
HRESULT WINAPI FilterGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer, DWORD dwMessageBufferSize,
                                LPOVERLAPPED lpOverlapped);

/**
 * Answers a message got with FilterGetMessage: FILTER_REPLY_HEADER, then the reply bytes.
 *
 * @param dwReplyBufferSize  the header and the reply: the filter receives dwReplyBufferSize - 16 bytes,
 *                           which must not exceed the message's ReplyLength (0x800700EA otherwise).
 * @return S_OK; 0x801F0020 (ERROR_FLT_NO_WAITER_FOR_REPLY) when the filter no longer waits for that id;
 *         E_HANDLE once the connection is over.
 */
HRESULT WINAPI FilterReplyMessage(HANDLE hPort, PFILTER_REPLY_HEADER lpReplyBuffer, DWORD dwReplyBufferSize);

/**
 * Closes a port handle. Calls other threads are making on it fail with E_HANDLE; the filter's disconnect
 * routine runs.
 *
 * @return S_OK, or E_HANDLE when hFilter is not an open handle.
 */
HRESULT WINAPI FilterClose(HANDLE hFilter);

/* ---- The Filter Manager's management calls: declared, failing at run time -------------------------------- */
/*
 * minifltd has no kernel Filter Manager on Linux: there are no filter drivers to load, no volumes or instances to
 * enumerate or attach to, and no HFILTER, HFILTER_INSTANCE or find handle is ever returned. These calls exist
 * (symbol version FLTLIB_1.3) so that programs using them build; each fails with the HRESULT given, sets
 * GetLastError to its Win32 error, and FilterGetLastErrorText says why. Output handles are set to
 * INVALID_HANDLE_VALUE (find handles) or NULL (HFILTER, HFILTER_INSTANCE), byte counts to 0 and a DOS name to "".
 * fltlib(3), NOT PROVIDED, has the table.
 *
 * HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED), 0x80070032: FilterLoad, FilterUnload, FilterCreate, FilterInstanceCreate,
 *   FilterAttach, FilterAttachAtAltitude, FilterDetach, FilterGetDosName; an operation nothing here can do.
 * HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS), 0x80070103: FilterFindFirst, FilterVolumeFindFirst,
 *   FilterVolumeInstanceFindFirst; the honest answer to "list them": there are none, and enumeration loops end.
 * ERROR_FLT_FILTER_NOT_FOUND, 0x801F0013: FilterInstanceFindFirst; the filter named is not loaded.
 * E_HANDLE, 0x80070006: the *FindNext and *FindClose calls, FilterInstanceClose, FilterGetInformation and
 *   FilterInstanceGetInformation; their handle cannot have come from this library.
 */

HRESULT WINAPI FilterLoad(LPCWSTR lpFilterName);
HRESULT WINAPI FilterUnload(LPCWSTR lpFilterName);
HRESULT WINAPI FilterCreate(LPCWSTR lpFilterName, HFILTER *hFilter);
HRESULT WINAPI FilterGetInformation(HFILTER hFilter, FILTER_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                                    DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterFindFirst(FILTER_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer, DWORD dwBufferSize,
                               LPDWORD lpBytesReturned, LPHANDLE lpFilterFind);
HRESULT WINAPI FilterFindNext(HANDLE hFilterFind, FILTER_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                              DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterFindClose(HANDLE hFilterFind);
HRESULT WINAPI FilterVolumeFindFirst(FILTER_VOLUME_INFORMATION_CLASS dwInformationClass, LPVOID lpBuffer,
                                     DWORD dwBufferSize, LPDWORD lpBytesReturned, PHANDLE lpVolumeFind);
HRESULT WINAPI FilterVolumeFindNext(HANDLE hVolumeFind, FILTER_VOLUME_INFORMATION_CLASS dwInformationClass,
                                    LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterVolumeFindClose(HANDLE hVolumeFind);
HRESULT WINAPI FilterInstanceFindFirst(LPCWSTR lpFilterName, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                       LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned,
                                       LPHANDLE lpFilterInstanceFind);
HRESULT WINAPI FilterInstanceFindNext(HANDLE hFilterInstanceFind, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                      LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterInstanceFindClose(HANDLE hFilterInstanceFind);
HRESULT WINAPI FilterVolumeInstanceFindFirst(LPCWSTR lpVolumeName, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                             LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned,
                                             LPHANDLE lpVolumeInstanceFind);
HRESULT WINAPI FilterVolumeInstanceFindNext(HANDLE hVolumeInstanceFind, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                            LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterVolumeInstanceFindClose(HANDLE hVolumeInstanceFind);
HRESULT WINAPI FilterInstanceCreate(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName,
                                    HFILTER_INSTANCE *hInstance);
HRESULT WINAPI FilterInstanceClose(HFILTER_INSTANCE hInstance);
HRESULT WINAPI FilterInstanceGetInformation(HFILTER_INSTANCE hInstance, INSTANCE_INFORMATION_CLASS dwInformationClass,
                                            LPVOID lpBuffer, DWORD dwBufferSize, LPDWORD lpBytesReturned);
HRESULT WINAPI FilterAttach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName,
                            DWORD dwCreatedInstanceNameLength, LPWSTR lpCreatedInstanceName);
HRESULT WINAPI FilterAttachAtAltitude(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpAltitude,
                                      LPCWSTR lpInstanceName, DWORD dwCreatedInstanceNameLength,
                                      LPWSTR lpCreatedInstanceName);
HRESULT WINAPI FilterDetach(LPCWSTR lpFilterName, LPCWSTR lpVolumeName, LPCWSTR lpInstanceName);
HRESULT WINAPI FilterGetDosName(LPCWSTR lpVolumeName, LPWSTR lpDosName, DWORD dwDosNameBufferSize);

/* ---- Linux additions ---------------------------------------------------------------------------------- */

/**
 * FilterSendMessage with an OVERLAPPED (symbol version FLTLIB_1.2): returns HRESULT_FROM_WIN32(ERROR_IO_PENDING)
 * once the message is sent, and completes as an overlapped FilterGetMessage does, with InternalHigh the output
 * bytes and Internal the status the filter's message routine returned. lpBytesReturned is set to 0 now.
 *
 * @return 0x800703E5, or what FilterSendMessage returns for a request that cannot start.
 */
HRESULT WINAPI FilterSendMessageOverlapped(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize, LPVOID lpOutBuffer,
                                           DWORD dwOutBufferSize, LPDWORD lpBytesReturned, LPOVERLAPPED lpOverlapped);

/**
 * A descriptor to wait on with poll, select or epoll instead of blocking a thread in FilterGetMessage.
 *
 * It is readable (POLLIN) while FilterTryGetMessage has something to say: a message may be queued, or the
 * connection has ended. Readiness is a hint: another thread may take the message first, and
 * FilterTryGetMessage then answers HRESULT_FROM_WIN32(ERROR_IO_PENDING); poll again. The descriptor
 * belongs to the handle: do not close it; FilterClose does.
 *
 * @return S_OK with *pDescriptor set; E_HANDLE; E_INVALIDARG when pDescriptor is NULL; or the HRESULT of
 *         the system error that prevented creating it.
 */
HRESULT WINAPI FilterGetPollDescriptor(HANDLE hPort, int *pDescriptor);

/**
 * FilterGetMessage that never blocks: it takes a queued message, or reads what the socket already holds.
 *
 * @return as FilterGetMessage, or HRESULT_FROM_WIN32(ERROR_IO_PENDING) (0x800703E5) when no message is
 *         there yet.
 */
HRESULT WINAPI FilterTryGetMessage(HANDLE hPort, PFILTER_MESSAGE_HEADER lpMessageBuffer, DWORD dwMessageBufferSize);

/**
 * The bytes of a path that a message carried as wide text, such as the example filter's FLT_TO_USER (the
 * file being opened). Linux paths are bytes and need not be UTF-8: each byte that is not part of valid UTF-8
 * travels as the lone surrogate U+DC80 + (byte - 0x80), which this call turns back into the byte, so the
 * result opens the very file. A path whose first character is U+2026 was too long for the message and holds
 * only its end (docs/protocol.md section 8).
 *
 * @param lpPath    the NUL-terminated wide path.
 * @param lpBuffer  receives the bytes and a NUL.
 * @param cbBuffer  its size in bytes.
 * @param pcbPath   receives the path's length in bytes without the NUL (also when the buffer is too small);
 *                  may be NULL.
 * @return S_OK; HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) (0x8007007A) when cbBuffer is not more than
 *         *pcbPath; E_INVALIDARG for a NULL lpPath, or a NULL lpBuffer with a size.
 */
HRESULT WINAPI FilterWidePathToBytes(LPCWSTR lpPath, char *lpBuffer, size_t cbBuffer, size_t *pcbPath);

/*
 * Descriptors with messages (Linux extensions, libfltlib 1.4; docs/protocol.md section 12). The handle must be
 * connected with FLT_PORT_FLAG_DESCRIPTORS; at most 253 descriptors per message. Every descriptor received is
 * close-on-exec and the caller's to close. A process at its descriptor limit (RLIMIT_NOFILE) keeps its
 * connection: the message or result whose descriptors the kernel could not hand over arrives without them,
 * and the call that takes them fails with HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES) (0x80070004).
 */

/**
 * FilterSendMessage with descriptors for the filter's message routine, and the descriptors of its result.
 *
 * @param pInDescriptors        dwInDescriptorCount descriptors sent with the message. The caller keeps them:
 *                              the filter receives duplicates, so close yours when you no longer need them.
 * @param pOutDescriptors       receives the result's descriptors (at most dwOutDescriptorCapacity), which the
 *                              caller then owns; NULL when the capacity is 0.
 * @param lpOutDescriptorCount  receives how many were written (0 on failure).
 * @return as FilterSendMessage; E_INVALIDARG for descriptors on a handle connected without
 *         FLT_PORT_FLAG_DESCRIPTORS or more than 253; HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) (0x8007007A)
 *         when the result carried more descriptors than the array holds (they are closed; the output is not
 *         returned); HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES) (0x80070004) when the result's descriptors
 *         did not reach this process because it was at its descriptor limit (none are returned, the output and
 *         *lpBytesReturned are; plain FilterSendMessage fails the same way).
 */
HRESULT WINAPI FilterSendMessageWithDescriptors(HANDLE hPort, LPVOID lpInBuffer, DWORD dwInBufferSize,
                                                const int *pInDescriptors, DWORD dwInDescriptorCount,
                                                LPVOID lpOutBuffer, DWORD dwOutBufferSize, LPDWORD lpBytesReturned,
                                                int *pOutDescriptors, DWORD dwOutDescriptorCapacity,
                                                LPDWORD lpOutDescriptorCount);

/**
 * FilterReplyMessage with descriptors for the filter's FltSendMessage caller.
 *
 * @param pDescriptors       dwDescriptorCount descriptors; the caller keeps them (the filter gets duplicates).
 * @return as FilterReplyMessage; E_INVALIDARG for descriptors on a handle connected without
 *         FLT_PORT_FLAG_DESCRIPTORS or more than 253.
 */
HRESULT WINAPI FilterReplyMessageWithDescriptors(HANDLE hPort, PFILTER_REPLY_HEADER lpReplyBuffer,
                                                 DWORD dwReplyBufferSize, const int *pDescriptors,
                                                 DWORD dwDescriptorCount);

/**
 * Takes the descriptors that came with a message FilterGetMessage (or FilterTryGetMessage, or an overlapped
 * get) returned: after the call the caller owns them. Until taken, the handle keeps the descriptors of the
 * last 64 messages got and closes older ones; FilterClose closes those never taken.
 *
 * @param MessageId     the FILTER_MESSAGE_HEADER.MessageId of the message.
 * @param pDescriptors  receives at most dwCapacity descriptors; NULL when dwCapacity is 0.
 * @param lpCount       receives how many the message carried (0 for a message without any, or one already
 *                      taken or closed).
 * @return S_OK; HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) (0x8007007A) when dwCapacity is less than
 *         *lpCount (nothing is taken: call again with room); HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES)
 *         (0x80070004) and *lpCount 0 when the message came without the descriptors it announced because this
 *         process was at its descriptor limit (reported once; a later call finds none); E_INVALIDARG for NULL
 *         arguments.
 */
HRESULT WINAPI FilterGetMessageDescriptors(HANDLE hPort, ULONGLONG MessageId, int *pDescriptors, DWORD dwCapacity,
                                           LPDWORD lpCount);

/**
 * Why the calling thread's last failed fltlib call failed, and what to do about it, as a sentence for a
 * person (for example "no port \MiniFilterPort_Example is listening at @\minifilterport_example; is
 * minifltd running?"). Empty when no call of this thread has failed. Valid until this thread's next call.
 */
const char *WINAPI FilterGetLastErrorText(void);

#ifdef __cplusplus
}
#endif

#endif /* FLTLIB_FLTUSER_H */
