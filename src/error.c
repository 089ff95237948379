/* SPDX-License-Identifier: MIT */
/*
 * error.c - fills perr_t from the Parse error table in error.h.
 * Owns the mapping from Parse code to HTTP status; knows nothing of
 * requests or JSON.
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    int status;
    const char *msg;
} perr_table[PERR_COUNT] = {
#define PERR_ROW(name, code, status, msg) {code, status, msg},
    PERR_TABLE(PERR_ROW)
#undef PERR_ROW
};

static void
perr_vformat(perr_t *err, const char *deflt, const char *fmt, va_list ap)
{
    if (fmt == NULL)
        snprintf(err->msg, sizeof(err->msg), "%s", deflt);
    else
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int
perr_set(perr_t *err, perr_kind_t kind, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    err->code = perr_table[kind].code;
    err->status = perr_table[kind].status;
    va_start(ap, fmt);
    perr_vformat(err, perr_table[kind].msg, fmt, ap);
    va_end(ap);
    return -1;
}

int
perr_set_code(perr_t *err, int code, int status, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    err->code = code;
    err->status = status;
    va_start(ap, fmt);
    perr_vformat(err, "Error.", fmt, ap);
    va_end(ap);
    return -1;
}

int
perr_status_for_code(int code)
{
    switch (code) {
    case 1:
        return 500;
    case 2:
        return 503;
    case 101:
        return 404;
    case 155:
        return 429;
    case 902:
    case 903:
        return 403;
    default:
        return 400;
    }
}
