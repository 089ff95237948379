/* SPDX-License-Identifier: MIT */
/*
 * regexp.c - PCRE2 behind regexp.h. The match limits cap the work one
 * evaluation may do (backtracking steps and nesting), which is what keeps
 * patterns like (a+)+$ from running for minutes.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regexp.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define REGEXP_MATCH_LIMIT 200000
#define REGEXP_DEPTH_LIMIT 2000

struct regexp {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
};

regexp_t *
regexp_compile(const char *pattern, const char *options, perr_t *err)
{
    uint32_t flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    PCRE2_SIZE erroff;
    int errcode;
    regexp_t *re;

    for (const char *o = options ? options : ""; *o; o++) {
        switch (*o) {
        case 'i':
            flags |= PCRE2_CASELESS;
            break;
        case 'm':
            flags |= PCRE2_MULTILINE;
            break;
        case 'x':
            flags |= PCRE2_EXTENDED;
            break;
        case 's':
            flags |= PCRE2_DOTALL;
            break;
        default:
            perr_set(err, PERR_INVALID_QUERY,
                     "Bad $options value for query: %.32s", options);
            return NULL;
        }
    }
    re = calloc(1, sizeof(*re));
    re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, flags,
                             &errcode, &erroff, NULL);
    if (re->code == NULL) {
        PCRE2_UCHAR msg[128];

        pcre2_get_error_message(errcode, msg, sizeof(msg));
        perr_set(err, PERR_INVALID_QUERY, "Invalid regular expression: %s",
                 (const char *)msg);
        free(re);
        return NULL;
    }
    re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
    re->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(re->mctx, REGEXP_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, REGEXP_DEPTH_LIMIT);
    return re;
}

void
regexp_free(regexp_t *re)
{
    if (re == NULL)
        return;
    pcre2_match_context_free(re->mctx);
    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
    free(re);
}

int
regexp_match(regexp_t *re, const char *subject, size_t len)
{
    int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, re->md,
                         re->mctx);

    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return -1;  /* match or depth limit, or another failure: refuse */
}
