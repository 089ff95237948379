#include "unit.h"

const unit_case_t unit_query_cases[] = {
    {NULL, NULL},
};
