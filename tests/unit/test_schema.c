#include "unit.h"

const unit_case_t unit_schema_cases[] = {
    {NULL, NULL},
};
