#include "unit.h"

const unit_case_t unit_ptype_cases[] = {
    {NULL, NULL},
};
