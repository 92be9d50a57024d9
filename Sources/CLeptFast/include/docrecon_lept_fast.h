#ifndef DOCRECON_LEPT_FAST_H
#define DOCRECON_LEPT_FAST_H

/*
 * Leptonica functions called on every page, by Tesseract and by Leptonica's own deskew, defined
 * here again so that the dynamic linker binds those calls to these (symbol interposition: the
 * executable's definitions come first). Each gives exactly what Leptonica's own would, cheaper;
 * every case outside that goes to Leptonica's own function, found with dlsym in liblept.
 * The executable exports these six names (Package.swift: leptFastExports), so libtesseract and
 * liblept, loaded at first use (COCRLibs), bind to them as they did when linked at start-up.
 *
 * 1. pixOpenBrick / pixCloseBrick (and pixErodeBrick / pixDilateBrick) on 1-bpp images. Tesseract's line finder
 *    (LineFinder::GetLineMasks) opens each page with bricks of 1 x 75 and 75 x 1 pixels at
 *    300 dpi (and closes/opens it with 5 x 5 and 15 x 15). Leptonica makes one full-page rasterop
 *    per pixel of the brick, ~380 a page: 7-8% of a page's OCR CPU. Here: window doubling, about
 *    2 log2(size) passes per direction, the same pixels bit for bit under Leptonica's default
 *    asymmetric boundary condition (outside is OFF; with the symmetric one, Leptonica's own runs).
 * 2. pixWriteMem(..., IFF_PNG) called from libtesseract. Tesseract stores every text line's image
 *    as PNG bytes and decodes them again before the LSTM reads it (ImageData::SetPixInternal /
 *    GetPixInternal): zlib at its default level was ~4% of a page's CPU. Here the PNG is written
 *    by Leptonica with zlib level 0 (stored blocks): the same pixels come back, for less work
 *    both ways. Calls from anywhere else are untouched.
 * 3. pixRotateAMGray, which our deskew reaches through pixFindSkewAndDeskew: 4% of a page's CPU.
 *    Here the same single-precision arithmetic in the same order, with the source coordinates
 *    made a row at a time in a loop the compiler vectorises: the same pixels.
 *
 * Tests compare all against Leptonica's own functions (random images and real pages) and the
 * whole OCR output with and without them.
 */

/* The environment variable DOCRECON_LEPT_FAST=0, read at the first call, makes Leptonica's own
   functions serve every call (for comparisons and A/B timing). */

/// How many calls the fast paths served since the process started (tests check they are used).
long docrecon_lept_fast_morph_calls(void);
long docrecon_lept_fast_png_calls(void);
long docrecon_lept_fast_rotate_calls(void);

/// Leptonica's own functions, for comparisons (PIX pointers). NULL when they cannot be found.
void *docrecon_lept_original_open_brick(void *pixd, void *pixs, int hsize, int vsize);
void *docrecon_lept_original_close_brick(void *pixd, void *pixs, int hsize, int vsize);
void *docrecon_lept_original_erode_brick(void *pixd, void *pixs, int hsize, int vsize);
void *docrecon_lept_original_dilate_brick(void *pixd, void *pixs, int hsize, int vsize);
void *docrecon_lept_original_rotate_am_gray(void *pixs, float angle, unsigned char grayval);

#endif
