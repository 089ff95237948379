/* SPDX-License-Identifier: MIT */
/*
 * error.h - the one table of Parse errors parsec can send.
 *
 * Every failure a client sees is {"code": N, "error": "message"}; the code
 * and HTTP status come from this table, so handlers name errors and never
 * numbers. A perr_t travels up the call chain by pointer: a function that
 * fails fills it and returns -1, and leaves its outputs untouched.
 */
#ifndef PARSEC_ERROR_H
#define PARSEC_ERROR_H

#include <stdarg.h>

/* name, Parse code, HTTP status, default message */
#define PERR_TABLE(X)                                                       \
    X(INTERNAL, 1, 500, "Internal server error.")                           \
    X(SERVICE_UNAVAILABLE, 2, 503, "Service unavailable.")                  \
    X(OBJECT_NOT_FOUND, 101, 404, "Object not found.")                      \
    X(INVALID_QUERY, 102, 400, "Invalid query.")                            \
    X(INVALID_CLASS_NAME, 103, 400, "Invalid class name.")                  \
    X(MISSING_OBJECT_ID, 104, 400, "Missing object id.")                    \
    X(INVALID_KEY_NAME, 105, 400, "Invalid field name.")                    \
    X(INVALID_POINTER, 106, 400, "Invalid pointer.")                        \
    X(INVALID_JSON, 107, 400, "Invalid JSON.")                              \
    X(COMMAND_UNAVAILABLE, 108, 400, "Command unavailable.")                \
    X(INCORRECT_TYPE, 111, 400, "Incorrect type.")                          \
    X(OBJECT_TOO_LARGE, 116, 400, "The object is too large.")               \
    X(REQUEST_TOO_LARGE, 116, 413, "The request body is too large.")        \
    X(INVALID_LIMIT, 117, 400, "Invalid limit.")                            \
    X(INVALID_SKIP, 118, 400, "Invalid skip.")                              \
    X(OPERATION_FORBIDDEN, 119, 400, "Operation forbidden.")                \
    X(INVALID_NESTED_KEY, 121, 400,                                         \
      "Nested keys should not contain the '$' or '.' characters")           \
    X(INVALID_ACL, 123, 400, "Invalid ACL.")                                \
    X(REQUEST_TIMEOUT, 124, 400, "The request timed out.")                  \
    X(INEFFICIENT_QUERY, 154, 400, "An inefficient query was rejected.")   \
    X(CHANGED_IMMUTABLE_FIELD, 136, 400, "An immutable field was changed.") \
    X(DUPLICATE_VALUE, 137, 400,                                            \
      "A duplicate value for a field with unique values was provided")      \
    X(MISSING_API_KEY, 902, 403, "unauthorized")                            \
    X(INVALID_API_KEY, 903, 403, "unauthorized")

typedef enum {
#define PERR_ENUM(name, code, status, msg) PERR_##name,
    PERR_TABLE(PERR_ENUM)
#undef PERR_ENUM
    PERR_COUNT
} perr_kind_t;

typedef struct {
    int code;           /* Parse error code sent to the client */
    int status;         /* HTTP status of the response */
    char msg[256];      /* message sent to the client; never SQL or secrets */
} perr_t;

/*
 * Fill err with the table entry for kind; fmt (may be NULL for the table's
 * default message) gives the client-facing text. Always returns -1 so a
 * failing function can `return perr_set(...)`.
 */
int perr_set(perr_t *err, perr_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, with an explicit Parse code and HTTP status outside the table. */
int perr_set_code(perr_t *err, int code, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The HTTP status parsec uses for a Parse code (404 for 101, and so on). */
int perr_status_for_code(int code);

#endif
