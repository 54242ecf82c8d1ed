/* SPDX-License-Identifier: MIT */
/* FILETIME (100-nanosecond intervals since 1601-01-01 UTC) and its conversions, on the C library's calendar
 * (timegm, gmtime_r) and time zone (localtime_r). */
#define _DEFAULT_SOURCE
#include "fltUser.h"

#include <time.h>

#include "export.h"
#include "win_error.h"

/* 1601-01-01 to 1970-01-01, in 100-nanosecond intervals. */
#define UNIX_EPOCH_TICKS 116444736000000000LL
#define TICKS_PER_SECOND 10000000LL

static long long ticks_of(const FILETIME *time) {
    return (long long)(((ULONGLONG)time->dwHighDateTime << 32) | time->dwLowDateTime);
}

static void set_ticks(LPFILETIME time, long long ticks) {
    time->dwLowDateTime = (DWORD)((ULONGLONG)ticks & 0xFFFFFFFFu);
    time->dwHighDateTime = (DWORD)((ULONGLONG)ticks >> 32);
}

EXPORT VOID WINAPI GetSystemTimeAsFileTime(LPFILETIME lpSystemTimeAsFileTime) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    set_ticks(lpSystemTimeAsFileTime,
              UNIX_EPOCH_TICKS + (long long)now.tv_sec * TICKS_PER_SECOND + now.tv_nsec / 100);
}

EXPORT BOOL WINAPI FileTimeToSystemTime(const FILETIME *lpFileTime, LPSYSTEMTIME lpSystemTime) {
    if (lpFileTime == NULL || lpSystemTime == NULL) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    long long ticks = ticks_of(lpFileTime);
    if (ticks < 0) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    long long since_unix = ticks - UNIX_EPOCH_TICKS;
    /* Floor division, so that times before 1970 fall in the right second. */
    long long seconds = since_unix / TICKS_PER_SECOND;
    long long rest = since_unix % TICKS_PER_SECOND;
    if (rest < 0) {
        seconds -= 1;
        rest += TICKS_PER_SECOND;
    }
    time_t unix_seconds = (time_t)seconds;
    struct tm calendar;
    if (gmtime_r(&unix_seconds, &calendar) == NULL) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    lpSystemTime->wYear = (WORD)(calendar.tm_year + 1900);
    lpSystemTime->wMonth = (WORD)(calendar.tm_mon + 1);
    lpSystemTime->wDayOfWeek = (WORD)calendar.tm_wday;
    lpSystemTime->wDay = (WORD)calendar.tm_mday;
    lpSystemTime->wHour = (WORD)calendar.tm_hour;
    lpSystemTime->wMinute = (WORD)calendar.tm_min;
    lpSystemTime->wSecond = (WORD)calendar.tm_sec;
    lpSystemTime->wMilliseconds = (WORD)(rest / 10000);
    return TRUE;
}

EXPORT BOOL WINAPI SystemTimeToFileTime(const SYSTEMTIME *lpSystemTime, LPFILETIME lpFileTime) {
    if (lpSystemTime == NULL || lpFileTime == NULL) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    const SYSTEMTIME *t = lpSystemTime;
    if (t->wYear < 1601 || t->wYear > 30827 || t->wMonth < 1 || t->wMonth > 12 || t->wDay < 1 || t->wDay > 31 ||
        t->wHour > 23 || t->wMinute > 59 || t->wSecond > 59 || t->wMilliseconds > 999) {
        return flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    struct tm calendar = {.tm_year = t->wYear - 1900, .tm_mon = t->wMonth - 1, .tm_mday = t->wDay,
                          .tm_hour = t->wHour, .tm_min = t->wMinute, .tm_sec = t->wSecond};
    time_t seconds = timegm(&calendar);
    /* timegm normalizes 31 April into 1 May: Windows refuses such a day. */
    if (calendar.tm_mday != t->wDay) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    long long milliseconds = t->wMilliseconds;
    set_ticks(lpFileTime, UNIX_EPOCH_TICKS + (long long)seconds * TICKS_PER_SECOND + milliseconds * 10000);
    return TRUE;
}

EXPORT BOOL WINAPI FileTimeToLocalFileTime(const FILETIME *lpFileTime, LPFILETIME lpLocalFileTime) {
    if (lpFileTime == NULL || lpLocalFileTime == NULL) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    time_t now = time(NULL);
    struct tm local;
    if (localtime_r(&now, &local) == NULL) return flt_win32_fail(ERROR_INVALID_PARAMETER);
    set_ticks(lpLocalFileTime, ticks_of(lpFileTime) + (long long)local.tm_gmtoff * TICKS_PER_SECOND);
    return TRUE;
}
