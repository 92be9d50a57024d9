#ifndef DOCRECON_CTESSERACT_SHIM_H
#define DOCRECON_CTESSERACT_SHIM_H
// Leptonica first, so Tesseract's forward-declared `struct Pix` is a real type in Swift.
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>
#endif
