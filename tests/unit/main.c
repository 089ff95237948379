/* SPDX-License-Identifier: MIT */
/*
 * main.c - runs the unit cases of one module (or all): unit_tests [module]
 * Exit status 0 only when every check passed.
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"

int unit_failures;
int unit_checks;

extern const unit_case_t unit_util_cases[];
extern const unit_case_t unit_ptype_cases[];
extern const unit_case_t unit_schema_cases[];
extern const unit_case_t unit_query_cases[];
extern const unit_case_t unit_config_cases[];

static const struct {
    const char *module;
    const unit_case_t *cases;
} modules[] = {
    {"util", unit_util_cases},     {"ptype", unit_ptype_cases},
    {"schema", unit_schema_cases}, {"query", unit_query_cases},
    {"config", unit_config_cases},
};

int
main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int ran = 0;

    for (size_t m = 0; m < sizeof(modules) / sizeof(modules[0]); m++) {
        if (only && strcmp(only, modules[m].module) != 0)
            continue;
        for (const unit_case_t *c = modules[m].cases; c->name; c++) {
            int before = unit_failures;

            c->fn();
            printf("%s %s.%s\n", unit_failures == before ? "ok  " : "FAIL",
                   modules[m].module, c->name);
            ran++;
        }
    }
    if (ran == 0) {
        fprintf(stderr, "no such module: %s\n", only ? only : "");
        return 2;
    }
    printf("%d checks, %d failed\n", unit_checks, unit_failures);
    return unit_failures ? 1 : 0;
}
