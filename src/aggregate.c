/* SPDX-License-Identifier: MIT */
/*
 * aggregate.c - the pipeline stages of aggregate.h, with Mongo's meaning
 * for each stage (which parse-server's adapters approximate). Documents
 * keep their id in "_id" while the pipeline runs and get it back as
 * "objectId" at the end.
 */
#include "aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ptype.h"
#include "regexp.h"
#include "util.h"

/* The value at a dotted path of doc, borrowed, or NULL. */
static json_t *
agg_path(json_t *doc, const char *path)
{
    char part[256];
    const char *p = path;

    while (doc != NULL && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);

        snprintf(part, sizeof(part), "%.*s", (int)n, p);
        doc = json_object_get(doc, part);
        p = dot ? dot + 1 : p + n;
    }
    return doc;
}

/* The same inside the pipeline, where the object id is "_id". */
static json_t *
agg_get(json_t *doc, const char *path)
{
    return agg_path(doc, strcmp(path, "objectId") == 0 ? "_id" : path);
}

/* A comparable number for v: numbers as is, Dates as ms. */
static bool
agg_number(json_t *v, double *d)
{
    int64_t ms;

    if (json_is_number(v)) {
        *d = json_number_value(v);
        return true;
    }
    if (ptype_is(v, "Date") && ptype_date_ms(v, &ms) == 0) {
        *d = (double)ms;
        return true;
    }
    return false;
}

/* Order two values: null < numbers < strings < others, as Mongo sorts. */
static int
agg_compare(json_t *a, json_t *b)
{
    double x, y;
    int ra = a == NULL || json_is_null(a) ? 0 : agg_number(a, &x) ? 1
             : json_is_string(a) ? 2 : 3;
    int rb = b == NULL || json_is_null(b) ? 0 : agg_number(b, &y) ? 1
             : json_is_string(b) ? 2 : 3;

    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 1)
        return x < y ? -1 : x > y;
    if (ra == 2)
        return strcmp(json_string_value(a), json_string_value(b));
    return 0;
}

/* Resolve an expression: "$path" reads the document, else a literal. */
static json_t *
agg_eval(json_t *doc, json_t *expr)
{
    if (json_is_string(expr) && json_string_value(expr)[0] == '$') {
        json_t *v = agg_get(doc, json_string_value(expr) + 1);

        return v ? json_incref(v) : json_null();
    }
    return json_incref(expr);
}

/* A date part ($year, $month, ...) of a Date value, or null. */
static json_t *
agg_date_part(const char *op, json_t *v)
{
    int64_t ms;
    time_t t;
    struct tm tm;

    if (ptype_date_ms(v, &ms))
        return json_null();
    t = (time_t)(ms / 1000);
    gmtime_r(&t, &tm);
    if (!strcmp(op, "$year"))
        return json_integer(tm.tm_year + 1900);
    if (!strcmp(op, "$month"))
        return json_integer(tm.tm_mon + 1);
    if (!strcmp(op, "$dayOfMonth"))
        return json_integer(tm.tm_mday);
    if (!strcmp(op, "$dayOfWeek"))
        return json_integer(tm.tm_wday + 1);
    if (!strcmp(op, "$dayOfYear"))
        return json_integer(tm.tm_yday + 1);
    if (!strcmp(op, "$hour"))
        return json_integer(tm.tm_hour);
    if (!strcmp(op, "$minute"))
        return json_integer(tm.tm_min);
    if (!strcmp(op, "$second"))
        return json_integer(tm.tm_sec);
    return json_null();
}

/* The group key of doc for an _id specification. */
static json_t *
agg_group_key(json_t *doc, json_t *id)
{
    const char *alias;
    json_t *spec;
    json_t *key;

    if (!json_is_object(id))
        return agg_eval(doc, id);
    key = json_object();
    json_object_foreach(id, alias, spec) {
        json_t *v;

        if (json_is_object(spec) && json_object_size(spec) == 1) {
            const char *op = json_object_iter_key(json_object_iter(spec));
            json_t *src = agg_eval(doc, json_object_iter_value(json_object_iter(spec)));

            v = agg_date_part(op, src);
            json_decref(src);
        } else {
            v = agg_eval(doc, spec);
        }
        json_object_set_new(key, alias, v);
    }
    return key;
}

typedef struct {
    json_t *key;
    json_t *acc;        /* the output document being built */
    json_t *counts;     /* per $avg field: number of values */
} agg_group_t;

static void
agg_accumulate(agg_group_t *g, const char *field, json_t *spec, json_t *doc)
{
    const char *op = json_object_iter_key(json_object_iter(spec));
    json_t *v = agg_eval(doc, json_object_iter_value(json_object_iter(spec)));
    json_t *cur = json_object_get(g->acc, field);
    double d, c;

    if (!strcmp(op, "$sum") || !strcmp(op, "$avg")) {
        if (agg_number(v, &d)) {
            c = cur ? json_number_value(cur) : 0;
            json_object_set_new(g->acc, field, ptype_number_create(c + d));
            if (op[1] == 'a') {
                json_t *n = json_object_get(g->counts, field);

                json_object_set_new(g->counts, field,
                                    json_integer(n ? json_integer_value(n) + 1 : 1));
            }
        } else if (cur == NULL) {
            json_object_set_new(g->acc, field, json_integer(0));
        }
    } else if (!strcmp(op, "$min") || !strcmp(op, "$max")) {
        int sign = op[2] == 'i' ? -1 : 1;

        if (!json_is_null(v) &&
            (cur == NULL || sign * agg_compare(v, cur) > 0))
            json_object_set(g->acc, field, v);
    } else if (!strcmp(op, "$first")) {
        if (cur == NULL)
            json_object_set(g->acc, field, v);
    } else if (!strcmp(op, "$last")) {
        json_object_set(g->acc, field, v);
    } else if (!strcmp(op, "$push") || !strcmp(op, "$addToSet")) {
        bool seen = false;
        json_t *el;
        size_t i;

        if (cur == NULL) {
            cur = json_array();
            json_object_set_new(g->acc, field, cur);
        }
        if (op[1] == 'a') {
            json_array_foreach(cur, i, el)
                seen = seen || ptype_equal(el, v);
        }
        if (!seen)
            json_array_append(cur, v);
    }
    json_decref(v);
}

static json_t *
agg_group(json_t *docs, json_t *spec)
{
    json_t *id = json_object_get(spec, "_id");
    agg_group_t *groups = NULL;
    size_t ngroups = 0;
    json_t *doc, *out;
    size_t i;

    json_array_foreach(docs, i, doc) {
        json_t *key = agg_group_key(doc, id);
        agg_group_t *g = NULL;
        const char *field;
        json_t *acc;

        for (size_t k = 0; k < ngroups && g == NULL; k++) {
            if (ptype_equal(groups[k].key, key))
                g = &groups[k];
        }
        if (g == NULL) {
            groups = realloc(groups, (ngroups + 1) * sizeof(*groups));
            g = &groups[ngroups++];
            g->key = json_incref(key);
            g->acc = json_pack("{s:O}", "_id", key);
            g->counts = json_object();
        }
        json_decref(key);
        json_object_foreach(spec, field, acc) {
            if (strcmp(field, "_id") != 0 && json_is_object(acc) &&
                json_object_size(acc) == 1)
                agg_accumulate(g, field, acc, doc);
        }
    }
    out = json_array();
    for (size_t k = 0; k < ngroups; k++) {
        const char *field;
        json_t *n;

        json_object_foreach(groups[k].counts, field, n) {
            double sum = json_number_value(json_object_get(groups[k].acc, field));

            json_object_set_new(groups[k].acc, field,
                                json_real(sum / (double)json_integer_value(n)));
        }
        json_array_append_new(out, groups[k].acc);
        json_decref(groups[k].key);
        json_decref(groups[k].counts);
    }
    free(groups);
    return out;
}

static json_t *
agg_project(json_t *docs, json_t *spec)
{
    bool inclusive = false;
    const char *field;
    json_t *v, *doc, *out = json_array();
    size_t i;

    json_object_foreach(spec, field, v) {
        if (strcmp(field, "_id") != 0 && !json_is_false(v) &&
            !(json_is_number(v) && json_number_value(v) == 0))
            inclusive = true;
    }
    json_array_foreach(docs, i, doc) {
        json_t *res = inclusive ? json_object() : json_deep_copy(doc);

        if (inclusive && json_object_get(doc, "_id"))
            json_object_set(res, "_id", json_object_get(doc, "_id"));
        json_object_foreach(spec, field, v) {
            bool off = json_is_false(v) ||
                       (json_is_number(v) && json_number_value(v) == 0);

            if (off) {
                json_object_del(res, strcmp(field, "objectId") ? field : "_id");
            } else if (json_is_string(v)) {
                json_object_set_new(res, field, agg_eval(doc, v));
            } else if (agg_get(doc, field) != NULL) {
                json_object_set(res, field, agg_get(doc, field));
            }
        }
        json_array_append_new(out, res);
    }
    return out;
}

/* Sort keys for qsort_r-free sorting: an insertion sort, stable. */
static json_t *
agg_sort(json_t *docs, json_t *spec)
{
    size_t n = json_array_size(docs);
    json_t **v = malloc((n ? n : 1) * sizeof(json_t *));
    json_t *out = json_array();

    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(docs, i);
    for (size_t i = 1; i < n; i++) {
        json_t *cur = v[i];
        size_t j = i;

        while (j > 0) {
            const char *field;
            json_t *dir;
            int c = 0;

            json_object_foreach(spec, field, dir) {
                c = agg_compare(agg_get(v[j - 1], field), agg_get(cur, field));
                if (json_number_value(dir) < 0)
                    c = -c;
                if (c != 0)
                    break;
            }
            if (c <= 0)
                break;
            v[j] = v[j - 1];
            j--;
        }
        v[j] = cur;
    }
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

static json_t *
agg_unwind(json_t *docs, json_t *spec)
{
    json_t *path = json_is_object(spec) ? json_object_get(spec, "path") : spec;
    bool keep = json_is_true(json_object_get(spec, "preserveNullAndEmptyArrays"));
    const char *field = json_string_value(path) + 1;
    json_t *doc, *out = json_array();
    size_t i;

    json_array_foreach(docs, i, doc) {
        json_t *arr = json_object_get(doc, field);
        json_t *el;
        size_t k;

        if (!json_is_array(arr) || json_array_size(arr) == 0) {
            if (keep || (arr != NULL && !json_is_array(arr)))
                json_array_append(out, doc);
            continue;
        }
        json_array_foreach(arr, k, el) {
            json_t *copy = json_copy(doc);

            json_object_set(copy, field, el);
            json_array_append_new(out, copy);
        }
    }
    return out;
}

/* Does have, a string, match the $regex of a $match condition? */
static bool
agg_regex(json_t *have, json_t *pattern, json_t *options)
{
    perr_t ignored;
    regexp_t *re;
    int rc;

    if (!json_is_string(have) || !json_is_string(pattern))
        return false;
    re = regexp_compile(json_string_value(pattern),
                        json_is_string(options) ? json_string_value(options) : "",
                        &ignored);
    if (re == NULL)
        return false;
    rc = regexp_match(re, json_string_value(have), json_string_length(have));
    regexp_free(re);
    return rc > 0;
}

/* Does doc meet a $match condition (equality and comparisons)? */
static bool
agg_matches(json_t *doc, json_t *cond)
{
    const char *field;
    json_t *want;

    json_object_foreach(cond, field, want) {
        json_t *have = agg_get(doc, field);
        const char *op;
        json_t *arg;

        if (!strcmp(field, "$or") || !strcmp(field, "$and")) {
            bool any = false, all = true;
            json_t *sub;
            size_t i;

            json_array_foreach(want, i, sub) {
                bool m = agg_matches(doc, sub);

                any = any || m;
                all = all && m;
            }
            if (field[1] == 'o' ? !any : !all)
                return false;
            continue;
        }
        if (!json_is_object(want) || json_object_get(want, "__type") ||
            json_object_size(want) == 0 ||
            json_object_iter_key(json_object_iter(want))[0] != '$') {
            if (!ptype_equal(have ? have : json_null(), want))
                return false;
            continue;
        }
        json_object_foreach(want, op, arg) {
            int c = agg_compare(have, arg);
            bool ok = true;

            if (!strcmp(op, "$eq"))
                ok = have && ptype_equal(have, arg);
            else if (!strcmp(op, "$ne"))
                ok = !(have && ptype_equal(have, arg));
            else if (!strcmp(op, "$lt"))
                ok = have && c < 0;
            else if (!strcmp(op, "$lte"))
                ok = have && c <= 0;
            else if (!strcmp(op, "$gt"))
                ok = have && c > 0;
            else if (!strcmp(op, "$gte"))
                ok = have && c >= 0;
            else if (!strcmp(op, "$exists"))
                ok = (have != NULL) == json_is_true(arg);
            else if (!strcmp(op, "$regex"))
                ok = agg_regex(have, arg, json_object_get(want, "$options"));
            else if (!strcmp(op, "$in") || !strcmp(op, "$nin")) {
                json_t *el;
                size_t i;
                bool in = false;

                json_array_foreach(arg, i, el)
                    in = in || (have && ptype_equal(have, el));
                ok = op[1] == 'i' ? in : !in;
            }
            if (!ok)
                return false;
        }
    }
    return true;
}

static json_t *
agg_match(json_t *docs, json_t *cond)
{
    json_t *doc, *out = json_array();
    size_t i;

    json_array_foreach(docs, i, doc) {
        if (agg_matches(doc, cond))
            json_array_append(out, doc);
    }
    return out;
}

static json_t *
agg_slice(json_t *docs, long long from, long long count)
{
    json_t *out = json_array();

    for (long long i = from; i < (long long)json_array_size(docs) &&
                             (count < 0 || i < from + count); i++)
        json_array_append(out, json_array_get(docs, (size_t)i));
    return out;
}

/* The operators agg_matches knows; any other is refused, not ignored. */
static int
agg_check_match(json_t *cond, int depth, perr_t *err)
{
    static const char *const ops[] = {
        "$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$exists", "$in", "$nin",
        "$regex", "$options", NULL};
    const char *field, *op;
    json_t *want, *arg;

    if (depth > 16)
        return perr_set(err, PERR_INVALID_QUERY, "$match nested too deeply");
    json_object_foreach(cond, field, want) {
        if (!strcmp(field, "$or") || !strcmp(field, "$and")) {
            json_t *sub;
            size_t i;

            if (!json_is_array(want))
                return perr_set(err, PERR_INVALID_QUERY,
                                "%s in $match must be an array", field);
            json_array_foreach(want, i, sub) {
                if (!json_is_object(sub) || agg_check_match(sub, depth + 1, err))
                    return json_is_object(sub)
                               ? -1
                               : perr_set(err, PERR_INVALID_QUERY,
                                          "%s in $match must hold objects",
                                          field);
            }
            continue;
        }
        if (field[0] == '$')
            return perr_set(err, PERR_INVALID_QUERY,
                            "Invalid operator in $match: %.64s", field);
        if (!json_is_object(want) || json_object_get(want, "__type") ||
            json_object_size(want) == 0 ||
            json_object_iter_key(json_object_iter(want))[0] != '$')
            continue;
        json_object_foreach(want, op, arg) {
            bool known = false;

            for (size_t k = 0; ops[k] && !known; k++)
                known = strcmp(op, ops[k]) == 0;
            if (!known)
                return perr_set(err, PERR_INVALID_QUERY,
                                "Invalid operator in $match: %.64s", op);
            if ((!strcmp(op, "$in") || !strcmp(op, "$nin")) &&
                !json_is_array(arg))
                return perr_set(err, PERR_INVALID_QUERY,
                                "%s in $match needs an array", op);
            if (!strcmp(op, "$regex")) {
                json_t *o = json_object_get(want, "$options");
                regexp_t *re;

                if (!json_is_string(arg))
                    return perr_set(err, PERR_INVALID_QUERY,
                                    "$regex in $match must be a string");
                re = regexp_compile(json_string_value(arg),
                                    json_is_string(o) ? json_string_value(o)
                                                      : "", err);
                if (re == NULL)
                    return -1;
                regexp_free(re);
            }
        }
    }
    return 0;
}

int
aggregate_check(json_t *pipeline, perr_t *err)
{
    static const char *const stages[] = {
        "$match", "$group", "$project", "$sort", "$limit", "$skip", "$count",
        "$unwind", NULL};
    json_t *stage;
    size_t i;

    if (!json_is_array(pipeline))
        return perr_set(err, PERR_INVALID_QUERY, "pipeline must be an array");
    json_array_foreach(pipeline, i, stage) {
        const char *name;
        json_t *arg;
        bool known = false;

        if (!json_is_object(stage) || json_object_size(stage) != 1)
            return perr_set(err, PERR_INVALID_QUERY,
                            "Pipeline stages should only have one key.");
        name = json_object_iter_key(json_object_iter(stage));
        arg = json_object_iter_value(json_object_iter(stage));
        for (size_t k = 0; stages[k] && !known; k++)
            known = strcmp(name, stages[k]) == 0;
        if (!known)
            return perr_set(err, PERR_INVALID_QUERY,
                            "Invalid aggregate stage '%.64s'.", name);
        if (!strcmp(name, "$group")) {
            if (!json_is_object(arg) || json_object_get(arg, "objectId"))
                return perr_set(err, PERR_INVALID_QUERY,
                                "Cannot use 'objectId' in aggregation stage "
                                "$group.");
            if (json_object_get(arg, "_id") == NULL)
                return perr_set(err, PERR_INVALID_QUERY,
                                "Invalid parameter for query: group. Missing "
                                "key _id");
        } else if ((!strcmp(name, "$limit") || !strcmp(name, "$skip")) &&
                   (!json_is_integer(arg) || json_integer_value(arg) < 0)) {
            return perr_set(err, PERR_INVALID_QUERY,
                            "%s must be a non-negative integer", name);
        } else if ((!strcmp(name, "$match") || !strcmp(name, "$project") ||
                    !strcmp(name, "$sort")) && !json_is_object(arg)) {
            return perr_set(err, PERR_INVALID_QUERY, "%s must be an object",
                            name);
        } else if (!strcmp(name, "$match") && agg_check_match(arg, 0, err)) {
            return -1;
        } else if (!strcmp(name, "$count") && !json_is_string(arg)) {
            return perr_set(err, PERR_INVALID_QUERY, "$count must be a string");
        } else if (!strcmp(name, "$unwind")) {
            json_t *p = json_is_object(arg) ? json_object_get(arg, "path") : arg;

            if (!json_is_string(p) || json_string_value(p)[0] != '$')
                return perr_set(err, PERR_INVALID_QUERY,
                                "$unwind needs a \"$field\" path");
        }
    }
    return 0;
}

int
aggregate_run(json_t *docs, json_t *pipeline, json_t **out, perr_t *err)
{
    json_t *stage, *doc;
    size_t i;

    if (aggregate_check(pipeline, err)) {
        json_decref(docs);
        return -1;
    }
    /* Mongo names the id _id; the pipeline reads it there. */
    json_array_foreach(docs, i, doc) {
        json_t *id = json_object_get(doc, "objectId");

        if (id != NULL) {
            json_object_set(doc, "_id", id);
            json_object_del(doc, "objectId");
        }
    }
    json_array_foreach(pipeline, i, stage) {
        const char *name = json_object_iter_key(json_object_iter(stage));
        json_t *arg = json_object_iter_value(json_object_iter(stage));
        json_t *next;

        if (!strcmp(name, "$match"))
            next = agg_match(docs, arg);
        else if (!strcmp(name, "$group"))
            next = agg_group(docs, arg);
        else if (!strcmp(name, "$project"))
            next = agg_project(docs, arg);
        else if (!strcmp(name, "$sort"))
            next = agg_sort(docs, arg);
        else if (!strcmp(name, "$limit"))
            next = agg_slice(docs, 0, json_integer_value(arg));
        else if (!strcmp(name, "$skip"))
            next = agg_slice(docs, json_integer_value(arg), -1);
        else if (!strcmp(name, "$count"))
            next = json_pack("[{s:I}]", json_string_value(arg),
                             (json_int_t)json_array_size(docs));
        else
            next = agg_unwind(docs, arg);
        json_decref(docs);
        docs = next;
    }
    json_array_foreach(docs, i, doc) {
        json_t *id = json_object_get(doc, "_id");

        if (id != NULL) {
            json_object_set(doc, "objectId", id);
            json_object_del(doc, "_id");
        }
    }
    *out = docs;
    return 0;
}

json_t *
aggregate_distinct(json_t *docs, const char *field)
{
    json_t *out = json_array();
    json_t *doc;
    size_t i;

    json_array_foreach(docs, i, doc) {
        json_t *v = agg_path(doc, field);
        json_t *one, *el;
        size_t k;

        if (v == NULL || json_is_null(v))
            continue;
        one = json_is_array(v) ? json_incref(v) : json_pack("[O]", v);
        json_array_foreach(one, k, el) {
            bool seen = false;
            json_t *have;
            size_t j;

            json_array_foreach(out, j, have)
                seen = seen || ptype_equal(have, el);
            if (!seen)
                json_array_append(out, el);
        }
        json_decref(one);
    }
    return out;
}
