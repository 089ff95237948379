/* SPDX-License-Identifier: MIT */
/*
 * textsearch.h - Parse's $text full-text search on one string: words are
 * lower-cased, reduced to a simple English stem, and matched against a
 * Postgres-style term ("coffee", "coffee & tea", "coffee | tea",
 * "!decaf"). The score grows with the number of matching words, as
 * Postgres's ts_rank_cd does, and stays below 1.
 */
#ifndef PARSEC_TEXTSEARCH_H
#define PARSEC_TEXTSEARCH_H

#include <stdbool.h>

/* Check that term is a usable search (some word in it). */
bool textsearch_is_valid(const char *term);

/* 0 when doc does not match term, else a score in (0, 1). language
 * ("english" when NULL; also "spanish") picks stop words and stemmer. */
double textsearch_score(const char *doc, const char *term,
                        const char *language);

#endif
