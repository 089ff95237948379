/* SPDX-License-Identifier: MIT */
/*
 * unit.h - a tiny test harness: CHECK records a failure with its line and
 * goes on; each test file registers its cases in a table that main.c runs
 * by module name ("unit_tests util" runs test_util.c's cases).
 */
#ifndef PARSEC_UNIT_H
#define PARSEC_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_failures;
extern int unit_checks;

#define CHECK(cond)                                                         \
    do {                                                                    \
        unit_checks++;                                                      \
        if (!(cond)) {                                                      \
            unit_failures++;                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                       \
        }                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *a_ = (a), *b_ = (b);                                    \
        unit_checks++;                                                      \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {              \
            unit_failures++;                                                \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__,          \
                    __LINE__, a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
        }                                                                   \
    } while (0)

typedef struct {
    const char *name;
    void (*fn)(void);
} unit_case_t;

#endif
