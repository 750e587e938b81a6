/* A tiny harness for the C unit tests of the native core (run by tests/test_native.py). */
#ifndef POF_TEST_H
#define POF_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pt_checks, pt_failures;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        pt_checks++;                                                                       \
        if (!(cond)) {                                                                     \
            pt_failures++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
        }                                                                                  \
    } while (0)

#define CHECK_EQ(a, b)                                                                     \
    do {                                                                                   \
        long long a_ = (long long)(a), b_ = (long long)(b);                                \
        pt_checks++;                                                                       \
        if (a_ != b_) {                                                                    \
            pt_failures++;                                                                 \
            fprintf(stderr, "%s:%d: %s is %lld, expected %lld (%s)\n", __FILE__, __LINE__, \
                    #a, a_, b_, #b);                                                       \
        }                                                                                  \
    } while (0)

/* a failed check inside a loop: say which case */
#define NOTE(...)                                                                          \
    do {                                                                                   \
        fprintf(stderr, "  in: ");                                                         \
        fprintf(stderr, __VA_ARGS__);                                                      \
        fprintf(stderr, "\n");                                                             \
    } while (0)

static int pt_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, pt_checks, pt_failures);
    return pt_failures != 0;
}

/* xorshift64: seeded, the same sequence on every platform */
static uint64_t pt_state = 0x9E3779B97F4A7C15ULL;
static uint64_t pt_rand(void)
{
    pt_state ^= pt_state << 13;
    pt_state ^= pt_state >> 7;
    pt_state ^= pt_state << 17;
    return pt_state;
}
static size_t pt_below(size_t n) { return n ? (size_t)(pt_rand() % n) : 0; }

/* a copy of s[0:n] in a malloc'd buffer of exactly n bytes (AddressSanitizer sees overruns) */
static unsigned char *pt_dup(const void *s, size_t n)
{
    unsigned char *p = (unsigned char *)malloc(n ? n : 1);
    if (n)
        memcpy(p, s, n);
    return p;
}

#endif
