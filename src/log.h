/* SPDX-License-Identifier: MIT */
/*
 * log.h - leveled logging to stderr, one line per event.
 * error: a promise cannot be kept; warn: degraded; info: lifecycle;
 * debug: per request (off unless --verbose). Never log secrets.
 */
#ifndef PARSEC_LOG_H
#define PARSEC_LOG_H

typedef enum { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level_t;

void log_set_level(log_level_t level);
int log_enabled(log_level_t level);
void log_write(log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                      \
    do {                                                                    \
        if (log_enabled(LOG_DEBUG))                                         \
            log_write(LOG_DEBUG, __VA_ARGS__);                              \
    } while (0)

#endif
