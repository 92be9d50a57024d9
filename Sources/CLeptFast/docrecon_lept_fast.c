/*
 * See docrecon_lept_fast.h for what this is and why.
 *
 * Morphology. Leptonica's definitions, with its default asymmetric boundary condition (outside
 * is OFF):
 *   erosion by a brick of length L, origin c = L / 2:   E(p) = AND x[p - c .. p + L - 1 - c],
 *       and 0 when that window leaves the image;
 *   dilation by the same brick:                          D(p) = OR  y[p - (L - 1 - c) .. p + c];
 *   a 2-D brick is done separably (horizontal, then vertical), open = erode then dilate,
 *   close = dilate then erode.
 * A window reaching e pixels ahead is built by doubling: W1 = x, W2k(q) = Wk(q) op Wk(q + k), and
 * a last step of the remainder. A window reaching both ways is the ahead-window op the
 * behind-window. Bits past the row's end (the pad bits of the last word) are kept 0, which is
 * the "outside is OFF" condition on that side; shifting in zeros gives it on the others.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>
#include "docrecon_lept_fast.h"

typedef uint32_t word;
typedef PIX *(*brick_fn)(PIX *, PIX *, l_int32, l_int32);
typedef l_ok (*write_mem_fn)(l_uint8 **, size_t *, PIX *, l_int32);

static brick_fn real_open, real_close;
static write_mem_fn real_write_mem;
static void *tesseract_base; /* libtesseract's load address: which calls are Tesseract's */
static const l_int32 *morph_bc;
static int use_original; /* DOCRECON_LEPT_FAST=0: Leptonica serves every call (A/B timing) */
static atomic_long morph_calls, png_calls;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void resolve(void) {
    real_open = (brick_fn)dlsym(RTLD_NEXT, "pixOpenBrick");
    real_close = (brick_fn)dlsym(RTLD_NEXT, "pixCloseBrick");
    real_write_mem = (write_mem_fn)dlsym(RTLD_NEXT, "pixWriteMem");
    morph_bc = (const l_int32 *)dlsym(RTLD_DEFAULT, "MORPH_BC");
    Dl_info info;
    void *api = dlsym(RTLD_DEFAULT, "TessBaseAPICreate");
    if (api && dladdr(api, &info) && info.dli_fbase) tesseract_base = info.dli_fbase;
    const char *e = getenv("DOCRECON_LEPT_FAST");
    use_original = e && strcmp(e, "0") == 0;
}

long docrecon_lept_fast_morph_calls(void) { return atomic_load(&morph_calls); }
long docrecon_lept_fast_png_calls(void) { return atomic_load(&png_calls); }

void *docrecon_lept_original_open_brick(void *pixd, void *pixs, int hsize, int vsize) {
    pthread_once(&resolved, resolve);
    return real_open ? real_open((PIX *)pixd, (PIX *)pixs, hsize, vsize) : NULL;
}

void *docrecon_lept_original_close_brick(void *pixd, void *pixs, int hsize, int vsize) {
    pthread_once(&resolved, resolve);
    return real_close ? real_close((PIX *)pixd, (PIX *)pixs, hsize, vsize) : NULL;
}

/* ---- one pass: buf[q] op= buf[q + k] (ahead) or buf[q - k] (behind); outside is 0 ---- */

#define OP_AND 0
#define OP_OR 1

/* Horizontal, one row of wpl words; pixel 0 is the most significant bit of word 0. Ahead runs
   ascending and reads only words at or after i; behind runs descending and reads only words at
   or before i: both read words not yet written. One function per op, so the loops vectorise. */
#define ROW_PASSES(NAME, OPEQ, ZERO_REST)                                                       \
    static void NAME##_ahead(word *r, int wpl, int k) {                                         \
        int q = k >> 5, s = k & 31, n = wpl - q;                                                \
        if (n > 0) {                                                                            \
            if (s == 0) { for (int i = 0; i < n; i++) r[i] OPEQ r[i + q]; }                     \
            else {                                                                              \
                for (int i = 0; i < n - 1; i++) r[i] OPEQ (r[i + q] << s) | (r[i + q + 1] >> (32 - s)); \
                r[n - 1] OPEQ r[wpl - 1] << s;                                                  \
            }                                                                                   \
        }                                                                                       \
        if (ZERO_REST) for (int i = n > 0 ? n : 0; i < wpl; i++) r[i] = 0;                      \
    }                                                                                           \
    static void NAME##_behind(word *r, int wpl, int k) {                                        \
        int q = k >> 5, s = k & 31;                                                             \
        if (q < wpl) {                                                                          \
            if (s == 0) { for (int i = wpl - 1; i >= q; i--) r[i] OPEQ r[i - q]; }              \
            else {                                                                              \
                for (int i = wpl - 1; i > q; i--) r[i] OPEQ (r[i - q] >> s) | (r[i - q - 1] << (32 - s)); \
                r[q] OPEQ r[0] >> s;                                                            \
            }                                                                                   \
        }                                                                                       \
        if (ZERO_REST) for (int i = (q < wpl ? q : wpl) - 1; i >= 0; i--) r[i] = 0;             \
    }
ROW_PASSES(row_and, &=, 1)
ROW_PASSES(row_or, |=, 0)

static void pass(word *buf, int h, int wpl, int horizontal, int k, int ahead, int op, word padmask) {
    if (horizontal) {
        void (*f)(word *, int, int) = op == OP_AND ? (ahead ? row_and_ahead : row_and_behind)
                                                   : (ahead ? row_or_ahead : row_or_behind);
        for (int y = 0; y < h; y++) {
            word *r = buf + (size_t)y * wpl;
            f(r, wpl, k);
            r[wpl - 1] &= padmask; /* bits past the row's end stay OFF */
        }
        return;
    }
    /* Vertical: whole rows; ahead ascending, behind descending, as above. */
    for (int step = 0; step < h; step++) {
        int y = ahead ? step : h - 1 - step, from = ahead ? y + k : y - k;
        word *restrict r = buf + (size_t)y * wpl;
        if (from >= 0 && from < h) {
            const word *restrict o = buf + (size_t)from * wpl;
            if (op == OP_AND) for (int i = 0; i < wpl; i++) r[i] &= o[i];
            else for (int i = 0; i < wpl; i++) r[i] |= o[i];
        } else if (op == OP_AND) {
            memset(r, 0, sizeof(word) * (size_t)wpl);
        }
    }
}

/* buf[q] = op over buf[q .. q + e] (ahead) or buf[q - e .. q] (behind), by doubling. */
static void window(word *buf, int h, int wpl, int horizontal, int e, int ahead, int op, word padmask) {
    if (e <= 0) return;
    long len = (long)e + 1, m = 1;
    while (m * 2 <= len) { pass(buf, h, wpl, horizontal, (int)m, ahead, op, padmask); m *= 2; }
    if (m < len) pass(buf, h, wpl, horizontal, (int)(len - m), ahead, op, padmask);
}

/* One 1-D erosion (op AND) or dilation (op OR) by a brick of length len, origin len / 2. */
static void brick1(word *x, word *tmp, size_t words, int h, int wpl, int horizontal, int len, int op, word padmask) {
    if (len <= 1) return;
    int c = len / 2, r = len - 1 - c;
    /* erosion: window [p - c, p + r]; dilation: [p - r, p + c] */
    int ahead = op == OP_AND ? r : c, behind = op == OP_AND ? c : r;
    memcpy(tmp, x, words * sizeof(word));
    window(x, h, wpl, horizontal, ahead, 1, op, padmask);
    window(tmp, h, wpl, horizontal, behind, 0, op, padmask);
    if (op == OP_AND) for (size_t i = 0; i < words; i++) x[i] &= tmp[i];
    else for (size_t i = 0; i < words; i++) x[i] |= tmp[i];
}

/* NULL when the fast path does not apply (the caller then uses Leptonica's own function). */
static PIX *fast_brick(PIX *pixd, PIX *pixs, l_int32 hsize, l_int32 vsize, int close) {
    pthread_once(&resolved, resolve);
    if (use_original) return NULL;
    if (!pixs || pixd || pixGetDepth(pixs) != 1) return NULL;
    if (!morph_bc || *morph_bc != ASYMMETRIC_MORPH_BC) return NULL;
    if (hsize < 1 || vsize < 1 || (hsize == 1 && vsize == 1)) return NULL;
    int w = pixGetWidth(pixs), h = pixGetHeight(pixs), wpl = pixGetWpl(pixs);
    if (w <= 0 || h <= 0 || wpl <= 0) return NULL;
    PIX *out = pixCreateTemplate(pixs);
    if (!out || pixGetWpl(out) != wpl) { pixDestroy(&out); return NULL; }
    size_t words = (size_t)h * (size_t)wpl;
    word *tmp = malloc(words * sizeof(word));
    if (!tmp) { pixDestroy(&out); return NULL; }
    word *x = (word *)pixGetData(out);
    memcpy(x, pixGetData(pixs), words * sizeof(word));
    int tail = w & 31;
    word padmask = tail ? ~(word)0 << (32 - tail) : ~(word)0;
    for (int y = 0; y < h; y++) x[(size_t)y * wpl + wpl - 1] &= padmask;
    int first = close ? OP_OR : OP_AND, second = close ? OP_AND : OP_OR;
    brick1(x, tmp, words, h, wpl, 1, hsize, first, padmask);
    brick1(x, tmp, words, h, wpl, 0, vsize, first, padmask);
    brick1(x, tmp, words, h, wpl, 1, hsize, second, padmask);
    brick1(x, tmp, words, h, wpl, 0, vsize, second, padmask);
    free(tmp);
    atomic_fetch_add(&morph_calls, 1);
    return out;
}

PIX *pixOpenBrick(PIX *pixd, PIX *pixs, l_int32 hsize, l_int32 vsize) {
    PIX *fast = fast_brick(pixd, pixs, hsize, vsize, 0);
    if (fast) return fast;
    return real_open ? real_open(pixd, pixs, hsize, vsize) : NULL;
}

PIX *pixCloseBrick(PIX *pixd, PIX *pixs, l_int32 hsize, l_int32 vsize) {
    PIX *fast = fast_brick(pixd, pixs, hsize, vsize, 1);
    if (fast) return fast;
    return real_close ? real_close(pixd, pixs, hsize, vsize) : NULL;
}

/* ---- PNG bytes of Tesseract's line images: zlib level 0 ---- */

l_ok pixWriteMem(l_uint8 **pdata, size_t *psize, PIX *pix, l_int32 format) {
    pthread_once(&resolved, resolve);
    if (!real_write_mem) return 1;
    Dl_info info;
    if (format == IFF_PNG && pix && !use_original && tesseract_base &&
        dladdr(__builtin_return_address(0), &info) && info.dli_fbase == tesseract_base) {
        /* Tesseract never sets a pix's "special" field (it has no call to pixSetSpecial or
           pixSetZlibCompression); 10 + level asks Leptonica's PNG writer for that zlib level. */
        pixSetZlibCompression(pix, 0);
        l_ok r = real_write_mem(pdata, psize, pix, format);
        pixSetSpecial(pix, 0);
        atomic_fetch_add(&png_calls, 1);
        return r;
    }
    return real_write_mem(pdata, psize, pix, format);
}
