/* SPDX-License-Identifier: MIT */
/*
 * log.c - writes timestamped lines to stderr. A single fprintf per line
 * keeps lines from different worker threads whole.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static log_level_t log_level = LOG_INFO;
static const char *const log_names[] = {"error", "warn", "info", "debug"};

void
log_set_level(log_level_t level)
{
    log_level = level;
}

int
log_enabled(log_level_t level)
{
    return level <= log_level;
}

void
log_write(log_level_t level, const char *fmt, ...)
{
    char line[1024];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (!log_enabled(level))
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %s: %s\n", stamp, ts.tv_nsec / 1000000,
            log_names[level], line);
}
