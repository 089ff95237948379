/* SPDX-License-Identifier: MIT */
/*
 * util.c - growable strings, ids, dates and small parsers (see util.h).
 */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

void
sbuf_reserve(sbuf_t *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    size_t cap;

    if (need <= sb->cap)
        return;
    cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap *= 2;
    sb->data = realloc(sb->data, cap);
    if (sb->data == NULL)
        abort();  /* out of memory is not recoverable mid-request */
    sb->cap = cap;
}

void
sbuf_init(sbuf_t *sb)
{
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void
sbuf_cleanup(sbuf_t *sb)
{
    free(sb->data);
    sbuf_init(sb);
}

void
sbuf_append_len(sbuf_t *sb, const char *s, size_t n)
{
    sbuf_reserve(sb, n);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void
sbuf_append(sbuf_t *sb, const char *s)
{
    sbuf_append_len(sb, s, strlen(s));
}

void
sbuf_printf(sbuf_t *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sbuf_reserve(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

void
sbuf_append_ident(sbuf_t *sb, const char *name)
{
    sbuf_append_len(sb, "\"", 1);
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            sbuf_append_len(sb, "\"", 1);
        sbuf_append_len(sb, p, 1);
    }
    sbuf_append_len(sb, "\"", 1);
}

char *
sbuf_take(sbuf_t *sb)
{
    char *s;

    if (sb->data == NULL)
        sbuf_append_len(sb, "", 0);
    s = sb->data;
    sbuf_init(sb);
    return s;
}

int
util_random_id(char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char buf[64];
    size_t filled = 0;

    /* Rejection sampling keeps every character equally likely: bytes at
     * or above 248 (4 * 62) are thrown away rather than folded in. */
    while (filled < len) {
        ssize_t got = getrandom(buf, sizeof(buf), 0);

        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (ssize_t i = 0; i < got && filled < len; i++) {
            if (buf[i] < 248)
                out[filled++] = alphabet[buf[i] % 62];
        }
    }
    out[len] = '\0';
    return 0;
}

int
util_random_bytes(unsigned char *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

int64_t
util_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
util_days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void
util_format_iso(int64_t ms, char out[32])
{
    int64_t secs = ms / 1000;
    int milli = (int)(ms % 1000);
    time_t t;
    struct tm tm;

    if (milli < 0) {
        milli += 1000;
        secs -= 1;
    }
    t = (time_t)secs;
    gmtime_r(&t, &tm);
    /* The modulos bound every field for the compiler; dates parsed by
     * util_parse_iso have four-digit years, so none of them bites. */
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
             (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
             (unsigned)tm.tm_sec % 100u, (unsigned)milli % 1000u);
}

/* Read exactly n digits at *p into *out and advance. */
static int
util_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int
util_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

int
util_parse_iso(const char *s, int64_t *ms)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, milli = 0, off = 0;
    int64_t total;

    if (util_digits(&p, 4, &y) || *p++ != '-' || util_digits(&p, 2, &mo) ||
        *p++ != '-' || util_digits(&p, 2, &d))
        return -1;
    /* There is no year 0 (PostgreSQL, for one, refuses it). */
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > util_days_in_month(y, mo))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (util_digits(&p, 2, &h) || *p++ != ':' || util_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (util_digits(&p, 2, &sec))
                return -1;
            if (*p == '.') {
                int scale = 100, n = 0;

                p++;
                /* Keep milliseconds, drop finer digits as JavaScript does. */
                while (isdigit((unsigned char)*p)) {
                    milli += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                    n++;
                }
                if (n == 0)
                    return -1;
            }
        }
        if (h > 24 || mi > 59 || sec > 59 || (h == 24 && (mi || sec || milli)))
            return -1;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om;

            p++;
            if (util_digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (util_digits(&p, 2, &om) || oh > 23 || om > 59)
                return -1;
            off = sign * (oh * 60 + om);
        }
        /* A date-time without a zone is read as UTC: the server has no
         * local time zone of its own to apply. */
    }
    if (*p != '\0')
        return -1;
    total = util_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    total -= (int64_t)off * 60;
    *ms = total * 1000 + milli;
    return 0;
}

bool
util_is_valid_name(const char *s)
{
    if (s == NULL || !isalpha((unsigned char)s[0]))
        return false;
    for (const char *p = s + 1; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    }
    return true;
}

int
util_parse_int(const char *s, long long *out)
{
    char *end;
    long long v;

    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int
util_parse_size(const char *s, size_t *out)
{
    char *end;
    double v;
    double mult = 1;

    if (s == NULL || !isdigit((unsigned char)*s))
        return -1;
    v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (strcasecmp(end, "kb") == 0 || strcasecmp(end, "k") == 0)
        mult = 1024;
    else if (strcasecmp(end, "mb") == 0 || strcasecmp(end, "m") == 0)
        mult = 1024.0 * 1024;
    else if (strcasecmp(end, "gb") == 0 || strcasecmp(end, "g") == 0)
        mult = 1024.0 * 1024 * 1024;
    else if (*end != '\0' && strcasecmp(end, "b") != 0)
        return -1;
    v *= mult;
    if (v < 1 || v > 64.0 * 1024 * 1024 * 1024)
        return -1;
    *out = (size_t)v;
    return 0;
}

int
util_parse_bool(const char *s, bool *out)
{
    if (s == NULL)
        return -1;
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")) {
        *out = false;
        return 0;
    }
    return -1;
}
