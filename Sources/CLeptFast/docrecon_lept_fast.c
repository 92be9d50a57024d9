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
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <leptonica/allheaders.h>
#include "docrecon_lept_fast.h"
#include "docrecon_ocr_libs.h"

typedef uint32_t word;
typedef PIX *(*brick_fn)(PIX *, PIX *, l_int32, l_int32);
typedef l_ok (*write_mem_fn)(l_uint8 **, size_t *, PIX *, l_int32);
typedef PIX *(*rotate_fn)(PIX *, l_float32, l_uint8);

static brick_fn real_open, real_close, real_erode, real_dilate;
static write_mem_fn real_write_mem;
static rotate_fn real_rotate_am_gray;
/* libtesseract's code, [start, end): a call returning there is Tesseract's (looked up until
   found, then kept: dladdr on every call cost ~0.5% of a page's CPU). */
static _Atomic uintptr_t tesseract_start, tesseract_end;
static const l_int32 *morph_bc;
static int use_original; /* DOCRECON_LEPT_FAST=0: Leptonica serves every call (A/B timing) */
static atomic_long morph_calls, png_calls, rotate_calls;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

/* libtesseract's executable segment, by the object's file name (found however the library was
   loaded, at start-up or later). */
static int find_code(struct dl_phdr_info *info, size_t size, void *unused) {
    (void)size; (void)unused;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "/libtesseract.so")) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        atomic_store(&tesseract_end, start + ph->p_memsz);
        atomic_store(&tesseract_start, start);
        return 1;
    }
    return 0;
}

static pthread_mutex_t finding = PTHREAD_MUTEX_INITIALIZER;

/* Whether `caller` is in libtesseract's code; looks for the library until it has been found
   (it may be loaded after the first call: nothing is kept before then). */
static int called_from_tesseract(uintptr_t caller) {
    if (atomic_load(&tesseract_start) == 0) {
        pthread_mutex_lock(&finding);
        if (atomic_load(&tesseract_start) == 0) dl_iterate_phdr(find_code, NULL);
        pthread_mutex_unlock(&finding);
    }
    return caller >= atomic_load(&tesseract_start) && caller < atomic_load(&tesseract_end);
}

/* Leptonica's own functions and MORPH_BC, from liblept itself (loaded at first use by COCRLibs,
   or at start-up where the libraries are linked: the loader's handle either way). */
static void resolve(void) {
    docrecon_ocr_libs_load();
    void *lept = dlopen(DOCRECON_LEPT_SONAME, RTLD_LAZY | RTLD_NOLOAD);
    if (lept) {
        real_open = (brick_fn)dlsym(lept, "pixOpenBrick");
        real_close = (brick_fn)dlsym(lept, "pixCloseBrick");
        real_erode = (brick_fn)dlsym(lept, "pixErodeBrick");
        real_dilate = (brick_fn)dlsym(lept, "pixDilateBrick");
        real_write_mem = (write_mem_fn)dlsym(lept, "pixWriteMem");
        real_rotate_am_gray = (rotate_fn)dlsym(lept, "pixRotateAMGray");
        morph_bc = (const l_int32 *)dlsym(lept, "MORPH_BC");
    }
    const char *e = getenv("DOCRECON_LEPT_FAST");
    use_original = e && strcmp(e, "0") == 0;
}

long docrecon_lept_fast_morph_calls(void) { return atomic_load(&morph_calls); }
long docrecon_lept_fast_png_calls(void) { return atomic_load(&png_calls); }
long docrecon_lept_fast_rotate_calls(void) { return atomic_load(&rotate_calls); }

void *docrecon_lept_original_rotate_am_gray(void *pixs, float angle, unsigned char grayval) {
    pthread_once(&resolved, resolve);
    return real_rotate_am_gray ? real_rotate_am_gray((PIX *)pixs, angle, grayval) : NULL;
}

/* Leptonica's own brick functions, for comparisons. */
#define ORIGINAL_BRICK(NAME, REAL)                                                        \
    void *NAME(void *pixd, void *pixs, int hsize, int vsize) {                            \
        pthread_once(&resolved, resolve);                                                 \
        return REAL ? REAL((PIX *)pixd, (PIX *)pixs, hsize, vsize) : NULL;                \
    }
ORIGINAL_BRICK(docrecon_lept_original_open_brick, real_open)
ORIGINAL_BRICK(docrecon_lept_original_close_brick, real_close)
ORIGINAL_BRICK(docrecon_lept_original_erode_brick, real_erode)
ORIGINAL_BRICK(docrecon_lept_original_dilate_brick, real_dilate)

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
enum brick_kind { BRICK_OPEN, BRICK_CLOSE, BRICK_ERODE, BRICK_DILATE };

static PIX *fast_brick(PIX *pixd, PIX *pixs, l_int32 hsize, l_int32 vsize, enum brick_kind kind) {
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
    int first = kind == BRICK_CLOSE || kind == BRICK_DILATE ? OP_OR : OP_AND;
    brick1(x, tmp, words, h, wpl, 1, hsize, first, padmask);
    brick1(x, tmp, words, h, wpl, 0, vsize, first, padmask);
    if (kind == BRICK_OPEN || kind == BRICK_CLOSE) {
        int second = first == OP_AND ? OP_OR : OP_AND;
        brick1(x, tmp, words, h, wpl, 1, hsize, second, padmask);
        brick1(x, tmp, words, h, wpl, 0, vsize, second, padmask);
    }
    free(tmp);
    atomic_fetch_add(&morph_calls, 1);
    return out;
}

#define BRICK_FUNCTION(NAME, KIND, REAL)                                       \
    PIX *NAME(PIX *pixd, PIX *pixs, l_int32 hsize, l_int32 vsize) {             \
        PIX *fast = fast_brick(pixd, pixs, hsize, vsize, KIND);                 \
        if (fast) return fast;                                                  \
        return REAL ? REAL(pixd, pixs, hsize, vsize) : NULL;                    \
    }
BRICK_FUNCTION(pixOpenBrick, BRICK_OPEN, real_open)
BRICK_FUNCTION(pixCloseBrick, BRICK_CLOSE, real_close)
BRICK_FUNCTION(pixErodeBrick, BRICK_ERODE, real_erode)
BRICK_FUNCTION(pixDilateBrick, BRICK_DILATE, real_dilate)

/* ---- PNG bytes of Tesseract's line images: zlib level 0 ---- */

l_ok pixWriteMem(l_uint8 **pdata, size_t *psize, PIX *pix, l_int32 format) {
    pthread_once(&resolved, resolve);
    if (!real_write_mem) return 1;
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    if (format == IFF_PNG && pix && !use_original && called_from_tesseract(caller)) {
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

/* ---- pixRotateAMGray: Leptonica's arithmetic, source coordinates a row at a time ----
 *
 * Leptonica (rotateAMGrayLow), per pixel: xpm = (int)(-xdif * cosa - ydif * sina),
 * ypm = (int)(-ydif * cosa + xdif * sina) in single precision with cosa = 16 cos(angle),
 * sina = 16 sin(angle); the source pixel is (xcen + xpm >> 4, ycen + ypm >> 4) and the low four
 * bits weigh its 2 x 2 neighbourhood; outside, grayval. Here the same float operations in the
 * same order (the row's products are made once per row: the same values), into two int rows a
 * loop that vectorises; then the weighing, as Leptonica does it. No contraction into fused
 * multiply-adds, which would round differently. */
#pragma clang fp contract(off)

#define ROTATE_MIN_ANGLE 0.001f /* Leptonica's MIN_ANGLE_TO_ROTATE: below it, a clone */

PIX *pixRotateAMGray(PIX *pixs, l_float32 angle, l_uint8 grayval) {
    pthread_once(&resolved, resolve);
    int w = pixs ? pixGetWidth(pixs) : 0, h = pixs ? pixGetHeight(pixs) : 0;
    /* Bytes are addressed as Leptonica does on little-endian machines (x ^ 3): elsewhere, its own. */
    int little_endian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
    if (use_original || !little_endian || !pixs || pixGetDepth(pixs) != 8 || fabsf(angle) < ROTATE_MIN_ANGLE || w < 2 || h < 2)
        return real_rotate_am_gray ? real_rotate_am_gray(pixs, angle, grayval) : NULL;
    PIX *pixd = pixCreateTemplate(pixs);
    if (!pixd) return NULL;
    int32_t *xpm = malloc(sizeof(int32_t) * (size_t)w * 2);
    if (!xpm) { pixDestroy(&pixd); return real_rotate_am_gray ? real_rotate_am_gray(pixs, angle, grayval) : NULL; }
    int32_t *ypm = xpm + w;
    const l_uint32 *datas = pixGetData(pixs);
    l_uint32 *datad = pixGetData(pixd);
    int wpls = pixGetWpl(pixs), wpld = pixGetWpl(pixd);
    int xcen = w / 2, ycen = h / 2, wm2 = w - 2, hm2 = h - 2;
    float sina = 16. * sin(angle), cosa = 16. * cos(angle);
    for (int i = 0; i < h; i++) {
        int ydif = ycen - i;
        float ys = ydif * sina, yc = -ydif * cosa;
        for (int j = 0; j < w; j++) {
            int xdif = xcen - j;
            xpm[j] = (int32_t)(-xdif * cosa - ys);
            ypm[j] = (int32_t)(yc + xdif * sina);
        }
        uint8_t *lined = (uint8_t *)(datad + (size_t)i * wpld);
        for (int j = 0; j < w; j++) {
            int xp = xcen + (xpm[j] >> 4), yp = ycen + (ypm[j] >> 4);
            int xf = xpm[j] & 0x0f, yf = ypm[j] & 0x0f;
            uint8_t val;
            if (xp < 0 || yp < 0 || xp > wm2 || yp > hm2) {
                val = grayval;
            } else {
                const uint8_t *l0 = (const uint8_t *)(datas + (size_t)yp * wpls), *l1 = l0 + 4 * (size_t)wpls;
                /* Leptonica's byte order within a 32-bit word: pixel x is byte x ^ 3 (little endian) */
                int v00 = (16 - xf) * (16 - yf) * l0[xp ^ 3];
                int v10 = xf * (16 - yf) * l0[(xp + 1) ^ 3];
                int v01 = (16 - xf) * yf * l1[xp ^ 3];
                int v11 = xf * yf * l1[(xp + 1) ^ 3];
                val = (uint8_t)((v00 + v01 + v10 + v11 + 128) / 256);
            }
            lined[j ^ 3] = val;
        }
    }
    free(xpm);
    atomic_fetch_add(&rotate_calls, 1);
    return pixd;
}
