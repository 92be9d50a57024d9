#ifndef DOCRECON_OCR_LIBS_H
#define DOCRECON_OCR_LIBS_H

/*
 * The OCR libraries (libtesseract, liblept, libpoppler-glib, libcairo, libgobject-2.0,
 * libglib-2.0) are not linked into the executable: commands that never OCR (import-ice,
 * reconcile, ledger) would otherwise pay ~15 ms at every start for the dynamic loader to map and
 * relocate ~90 libraries. docrecon_ocr_libs.c defines each function DocRecon calls by its real
 * name; the first call of any of them loads the libraries (dlopen, once) and then proceeds with
 * its original arguments. Swift keeps calling the C functions by name through the CTesseract and
 * CPoppler modules (their headers); nothing above needs to know.
 *
 * On an architecture without the stubs (anything but x86-64 and aarch64 Linux) the libraries are
 * linked as before and these functions report that.
 */

#define DOCRECON_LEPT_SONAME "liblept.so.5"
#define DOCRECON_TESSERACT_SONAME "libtesseract.so.5"

/// 1 when the libraries are loaded at first use (this build); 0 when they are linked.
int docrecon_ocr_libs_lazy(void);

/// 1 once the libraries are loaded (always 1 when they are linked).
int docrecon_ocr_libs_loaded(void);

/// Loads the libraries and resolves every function now (once; thread-safe). When one cannot be
/// loaded: one line on the error descriptor naming it and its Debian package, then exit code 1.
void docrecon_ocr_libs_load(void);

/// Where the "cannot load" line goes (default 2; the CLI's stderr gate hands its real stderr here).
void docrecon_ocr_libs_set_error_fd(int fd);

#endif
