/* SPDX-License-Identifier: MIT */
/*
 * textsearch.c - tokenizing, stemming and matching for $text (see
 * textsearch.h). The stemmer strips the common English endings (plural
 * -s/-es/-ies, -ing, -ed, -ly) so "coffees" finds "coffee" and "running"
 * finds "run"; it is deliberately small, not a full Porter stemmer.
 */
#include "textsearch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define TS_WORD_MAX 64

/* Common words Postgres's English configuration ignores. */
static const char *const ts_stop[] = {
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if",
    "in", "into", "is", "it", "no", "not", "of", "on", "or", "such", "that",
    "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "will", "with", NULL};

/* And those of its Spanish configuration. */
static const char *const ts_stop_es[] = {
    "de", "la", "que", "el", "en", "y", "a", "los", "del", "se", "las",
    "por", "un", "para", "con", "no", "una", "su", "al", "lo", "como", "mas",
    "pero", "sus", "le", "ya", "o", "es", NULL};

/* Spanish endings, longest first; the first that fits is removed. */
static const char *const ts_suffix_es[] = {
    "amientos", "imientos", "amiento", "imiento", "aciones", "uciones",
    "iendo", "ando", "acion", "ucion", "mente", "ancia", "encia", "idad",
    "ables", "ibles", "able", "ible", "ador", "ante", "aron", "ieron", "ado",
    "ido", "ar", "er", "ir", "as", "es", "os", "a", "e", "o", NULL};

/* The language of the search running on this thread, set on entry to
 * textsearch_score; thread-local because every worker searches at once. */
static _Thread_local bool ts_spanish;

static bool
ts_is_stop(const char *w)
{
    const char *const *list = ts_spanish ? ts_stop_es : ts_stop;

    for (size_t i = 0; list[i]; i++) {
        if (strcmp(w, list[i]) == 0)
            return true;
    }
    return false;
}

static bool
ts_ends(const char *w, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);

    return n > k + 2 && strcmp(w + n - k, suffix) == 0;
}

/* Reduce w (lower case, in place) to its stem. */
static void
ts_stem(char *w)
{
    size_t n = strlen(w);

    if (ts_spanish) {
        for (size_t i = 0; ts_suffix_es[i]; i++) {
            size_t k = strlen(ts_suffix_es[i]);

            if (n > k + 2 && strcmp(w + n - k, ts_suffix_es[i]) == 0) {
                w[n - k] = '\0';
                break;
            }
        }
        return;
    }

    if (ts_ends(w, n, "ies")) {
        strcpy(w + n - 3, "y");
    } else if (ts_ends(w, n, "sses")) {
        w[n - 2] = '\0';
    } else if (ts_ends(w, n, "ing")) {
        w[n - 3] = '\0';
    } else if (ts_ends(w, n, "ed")) {
        w[n - 2] = '\0';
    } else if (ts_ends(w, n, "ly")) {
        w[n - 2] = '\0';
    } else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u') {
        w[n - 1] = '\0';
    }
    n = strlen(w);
    /* "running" -> "runn" -> "run"; "coffee" and "coffe(es)" meet. */
    if (n > 3 && w[n - 1] == w[n - 2] && !strchr("lsz", w[n - 1]))
        w[n - 1] = '\0';
    n = strlen(w);
    if (n > 3 && w[n - 1] == 'e')
        w[n - 1] = '\0';
}

/* Read the next word of s at *pos into w; false at the end. */
static bool
ts_next_word(const char *s, size_t *pos, char w[TS_WORD_MAX])
{
    size_t i = *pos, n = 0;

    while (s[i] && !isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 0x80)
        i++;
    if (!s[i]) {
        *pos = i;
        return false;
    }
    while (s[i] && (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)) {
        if (n < TS_WORD_MAX - 1)
            w[n++] = (char)tolower((unsigned char)s[i]);
        i++;
    }
    w[n] = '\0';
    *pos = i;
    /* A stop word reads as an empty word: it matches nothing. */
    if (ts_is_stop(w))
        w[0] = '\0';
    else
        ts_stem(w);
    return true;
}

/* How many words of doc have stem w. */
static int
ts_count(const char *doc, const char *w)
{
    char dw[TS_WORD_MAX];
    size_t pos = 0;
    int hits = 0;

    while (ts_next_word(doc, &pos, dw)) {
        if (strcmp(dw, w) == 0)
            hits++;
    }
    return hits;
}

bool
textsearch_is_valid(const char *term)
{
    char w[TS_WORD_MAX];
    size_t pos = 0;

    while (term != NULL && ts_next_word(term, &pos, w)) {
        if (w[0] != '\0')
            return true;
    }
    return false;
}

double
textsearch_score(const char *doc, const char *term, const char *language)
{
    /* The term is an OR of AND-groups: "a & b | c" is (a and b) or c.
     * Words joined by spaces are ANDed too. A "!" negates a word. */
    double best = 0;
    const char *group = term;

    ts_spanish = language != NULL && (strcmp(language, "spanish") == 0 ||
                                      strcmp(language, "es") == 0);
    while (group != NULL) {
        const char *bar = strchr(group, '|');
        size_t len = bar ? (size_t)(bar - group) : strlen(group);
        char *g = strndup(group, len);
        bool ok = true, any = false;
        int hits = 0;

        for (char *p = g; *p && ok;) {
            bool negate = false;
            char w[TS_WORD_MAX];
            size_t pos;
            int c;

            while (*p && !isalnum((unsigned char)*p) && (unsigned char)*p < 0x80) {
                if (*p == '!')
                    negate = true;
                p++;
            }
            pos = 0;
            if (!ts_next_word(p, &pos, w))
                break;
            p += pos;
            if (w[0] == '\0')
                continue;
            c = ts_count(doc, w);
            any = any || !negate;
            ok = negate ? c == 0 : c > 0;
            hits += negate ? 0 : c;
        }
        free(g);
        if (ok && any) {
            double score = (double)hits / (hits + 1.0);

            if (score > best)
                best = score;
        }
        group = bar ? bar + 1 : NULL;
    }
    return best;
}
