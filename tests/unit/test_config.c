#include "unit.h"

const unit_case_t unit_config_cases[] = {
    {NULL, NULL},
};
