#include "unit.h"

const unit_case_t unit_util_cases[] = {
    {NULL, NULL},
};
