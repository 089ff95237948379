/* SPDX-License-Identifier: MIT */
/*
 * util.h - small pure helpers shared by every module: growable strings,
 * random object ids, ISO-8601 dates, name checks and number parsing.
 * Nothing here knows about requests, schemas or storage.
 */
#ifndef PARSEC_UTIL_H
#define PARSEC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable NUL-terminated string; free with sbuf_cleanup. */
typedef struct sbuf {
    char *data;     /* always NUL-terminated once anything was appended */
    size_t len;     /* bytes used, without the NUL */
    size_t cap;     /* bytes allocated */
} sbuf_t;

void sbuf_init(sbuf_t *sb);
void sbuf_cleanup(sbuf_t *sb);
/* Make room for extra more bytes (and the NUL) in one step. */
void sbuf_reserve(sbuf_t *sb, size_t extra);
void sbuf_append(sbuf_t *sb, const char *s);
void sbuf_append_len(sbuf_t *sb, const char *s, size_t n);
void sbuf_printf(sbuf_t *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append an SQL identifier in double quotes, doubling any quote inside. */
void sbuf_append_ident(sbuf_t *sb, const char *name);
/* Returns the buffer (never NULL) and hands ownership to the caller. */
char *sbuf_take(sbuf_t *sb);

/* Fill out[0..len-1] with alphanumerics from the OS CSPRNG, NUL-terminate.
 * out must hold len + 1 bytes. Returns 0, or -1 if no randomness. */
int util_random_id(char *out, size_t len);

/* Fill buf with n bytes from the OS CSPRNG. Returns 0, or -1. */
int util_random_bytes(unsigned char *buf, size_t n);

/* Milliseconds since the epoch, from the real-time clock. */
int64_t util_now_ms(void);

/* Format ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out[32]. */
void util_format_iso(int64_t ms, char out[32]);

/* Parse an ISO-8601 date or date-time (with Z, an offset, or neither, as
 * JavaScript's Date does) into ms since the epoch. Returns 0 or -1. */
int util_parse_iso(const char *s, int64_t *ms);

/* Class and field names: a letter, then letters, digits and '_'. */
bool util_is_valid_name(const char *s);

/* A whole decimal integer, optional sign, no spaces. Returns 0 or -1. */
int util_parse_int(const char *s, long long *out);

/* A size like "20mb", "128kb", "1gb" or a plain byte count. 0 or -1. */
int util_parse_size(const char *s, size_t *out);

/* A boolean option value: true/false/1/0/yes/no. 0 or -1. */
int util_parse_bool(const char *s, bool *out);

#endif
