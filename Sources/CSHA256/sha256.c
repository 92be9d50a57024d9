#include "docrecon_sha256.h"

#include <string.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

void docrecon_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    for (; blocks > 0; blocks--, data += 64) {
        for (int i = 0; i < 16; i++) {
            const uint8_t *p = data + 4 * i;
            w[i] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
        }
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

/* CPUID: SHA extensions (leaf 7, EBX bit 29) and the SSSE3/SSE4.1 shuffles and blends used with
   them (leaf 1, ECX bits 9 and 19). */
static int detect_sha_ni(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19))) return 0;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}

/* The state is kept as two vectors, ABEF and CDGH, the layout SHA256RNDS2 works on. Each group
   of four rounds adds K to four message words; SHA256RNDS2 does two rounds with the low two
   words, then two with the high two. Message words 16..63 come four at a time:
   W[t..t+3] = MSG2(MSG1(W[t-16..], W[t-12..]) + W[t-7..t-4], W[t-4..t-1]). */
__attribute__((target("sha,ssse3,sse4.1")))
static void blocks_sha_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i t = _mm_loadu_si128((const __m128i *)&state[0]);      /* a b c d (lanes 0..3) */
    __m128i s1 = _mm_loadu_si128((const __m128i *)&state[4]);     /* e f g h */
    t = _mm_shuffle_epi32(t, 0xB1);                                /* b a d c */
    s1 = _mm_shuffle_epi32(s1, 0x1B);                              /* h g f e */
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);                        /* f e b a: ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xF0);                             /* h g d c: CDGH */
    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abef = s0, cdgh = s1;
        __m128i w[16];
        for (int g = 0; g < 16; g++) {
            if (g < 4) {
                w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), byteswap);
            } else {
                __m128i m = _mm_sha256msg1_epu32(w[g - 4], w[g - 3]);
                m = _mm_add_epi32(m, _mm_alignr_epi8(w[g - 1], w[g - 2], 4));
                w[g] = _mm_sha256msg2_epu32(m, w[g - 1]);
            }
            __m128i msg = _mm_add_epi32(w[g], _mm_loadu_si128((const __m128i *)&K[4 * g]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
            s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(msg, 0x0E));
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    t = _mm_shuffle_epi32(s0, 0x1B);                               /* a b e f -> lanes */
    s1 = _mm_shuffle_epi32(s1, 0xB1);
    s0 = _mm_blend_epi16(t, s1, 0xF0);                             /* a b c d */
    s1 = _mm_alignr_epi8(s1, t, 8);                                /* e f g h */
    _mm_storeu_si128((__m128i *)&state[0], s0);
    _mm_storeu_si128((__m128i *)&state[4], s1);
}

static int sha_ni_state = -1; /* -1 not yet known, 0 no, 1 yes */

int docrecon_sha256_has_sha_ni(void) {
    int s = __atomic_load_n(&sha_ni_state, __ATOMIC_RELAXED);
    if (s < 0) {
        s = detect_sha_ni();
        __atomic_store_n(&sha_ni_state, s, __ATOMIC_RELAXED);
    }
    return s;
}

int docrecon_sha256_blocks_sha_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
    if (!docrecon_sha256_has_sha_ni()) return 0;
    blocks_sha_ni(state, data, blocks);
    return 1;
}

void docrecon_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    if (docrecon_sha256_has_sha_ni()) blocks_sha_ni(state, data, blocks);
    else docrecon_sha256_blocks_portable(state, data, blocks);
}

#else

int docrecon_sha256_has_sha_ni(void) { return 0; }

int docrecon_sha256_blocks_sha_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state; (void)data; (void)blocks;
    return 0;
}

void docrecon_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    docrecon_sha256_blocks_portable(state, data, blocks);
}

#endif
