/* SPDX-License-Identifier: MIT */
/*
 * regexp.h - Parse's $regex: PCRE2 patterns with $options i, m, x and s,
 * evaluated with a bounded amount of backtracking so a hostile pattern
 * cannot hold a worker thread.
 */
#ifndef PARSEC_REGEXP_H
#define PARSEC_REGEXP_H

#include <stddef.h>

#include "error.h"

typedef struct regexp regexp_t;

/* Check options (only i, m, x, s) and compile; 102 on a bad pattern.
 * Returns a compiled pattern or NULL with err set. */
regexp_t *regexp_compile(const char *pattern, const char *options, perr_t *err);
void regexp_free(regexp_t *re);

/* 1 on a match, 0 on none, -1 when the match limit was reached. */
int regexp_match(regexp_t *re, const char *subject, size_t len);

#endif
