/*
 * See docrecon_ocr_libs.h for what this is and why.
 *
 * Each function in OCR_FUNCTIONS gets a stub under its real name (hidden: the executable never
 * exports it, so the libraries, once loaded, bind their calls to each other directly):
 *
 *     name:  load slot_name; if non-zero, jump there (the library's function)
 *            else: slot address in a scratch register, jump to the slow path
 *
 * The slow path saves the argument registers, calls docrecon_ocr_libs_load (pthread_once: dlopen
 * the six libraries, dlsym every function into its slot), restores them and jumps through the
 * slot: the first call of any function goes on with its original arguments, on whichever thread.
 * A slot is written once, before the load returns, and only ever read after; a thread that reads
 * 0 takes the slow path and waits in pthread_once.
 *
 * The six Leptonica functions CLeptFast defines (pixOpenBrick, ...) are not here: the executable
 * defines and exports them itself (Package.swift), and CLeptFast finds Leptonica's own through
 * the handle of the loaded liblept.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "docrecon_ocr_libs.h"

#if defined(__linux__) && defined(__ELF__) && (defined(__x86_64__) || defined(__aarch64__))
#define DOCRECON_OCR_LAZY 1
#else
#define DOCRECON_OCR_LAZY 0
#endif

int docrecon_ocr_libs_lazy(void) { return DOCRECON_OCR_LAZY; }

#if !DOCRECON_OCR_LAZY

/* The libraries are linked (Package.swift): nothing to load. */
int docrecon_ocr_libs_loaded(void) { return 1; }
void docrecon_ocr_libs_load(void) {}
void docrecon_ocr_libs_set_error_fd(int fd) { (void)fd; }

#else

/* The libraries, in load order, with the Debian package that installs each. */
#define OCR_LIBRARIES(L)                                        \
    L(GLIB, "libglib-2.0.so.0", "libglib2.0-0")                 \
    L(GOBJECT, "libgobject-2.0.so.0", "libglib2.0-0")           \
    L(CAIRO, "libcairo.so.2", "libcairo2")                      \
    L(LEPT, DOCRECON_LEPT_SONAME, "liblept5")                   \
    L(TESSERACT, DOCRECON_TESSERACT_SONAME, "libtesseract5")    \
    L(POPPLER, "libpoppler-glib.so.8", "libpoppler-glib8")

/* Every function of those libraries that DocRecon (Swift, CLeptFast, the tests) calls. A function
   missing here is a link error ("undefined reference"), never a silent direct link. */
#define OCR_FUNCTIONS(X)                                                                          \
    X(TESSERACT, TessBaseAPIClear) X(TESSERACT, TessBaseAPICreate) X(TESSERACT, TessBaseAPIDelete) \
    X(TESSERACT, TessBaseAPIDetectOrientationScript) X(TESSERACT, TessBaseAPIEnd)                 \
    X(TESSERACT, TessBaseAPIGetBoolVariable) X(TESSERACT, TessBaseAPIGetIterator)                 \
    X(TESSERACT, TessBaseAPIGetUTF8Text) X(TESSERACT, TessBaseAPIInit2)                           \
    X(TESSERACT, TessBaseAPIMeanTextConf) X(TESSERACT, TessBaseAPIRecognize)                      \
    X(TESSERACT, TessBaseAPISetImage2) X(TESSERACT, TessBaseAPISetPageSegMode)                    \
    X(TESSERACT, TessBaseAPISetSourceResolution) X(TESSERACT, TessBaseAPISetVariable)             \
    X(TESSERACT, TessChoiceIteratorConfidence) X(TESSERACT, TessChoiceIteratorDelete)             \
    X(TESSERACT, TessChoiceIteratorGetUTF8Text) X(TESSERACT, TessChoiceIteratorNext)              \
    X(TESSERACT, TessDeleteText) X(TESSERACT, TessPageIteratorBoundingBox)                        \
    X(TESSERACT, TessPageIteratorIsAtBeginningOf) X(TESSERACT, TessResultIteratorConfidence)      \
    X(TESSERACT, TessResultIteratorDelete) X(TESSERACT, TessResultIteratorGetChoiceIterator)      \
    X(TESSERACT, TessResultIteratorGetPageIterator) X(TESSERACT, TessResultIteratorGetUTF8Text)   \
    X(TESSERACT, TessResultIteratorNext) X(TESSERACT, TessMonitorCreate)                          \
    X(TESSERACT, TessMonitorDelete) X(TESSERACT, TessMonitorSetDeadlineMSecs)                     \
    X(LEPT, boxCreate) X(LEPT, boxDestroy) X(LEPT, boxaDestroy) X(LEPT, boxaGetBoxGeometry)       \
    X(LEPT, boxaGetCount) X(LEPT, freadHeaderTiff) X(LEPT, pixAddBorder)                          \
    X(LEPT, pixClipRectangle) X(LEPT, pixClipToForeground) X(LEPT, pixConnComp)                   \
    X(LEPT, pixConvert1To8) X(LEPT, pixConvertTo8) X(LEPT, pixCountPixels) X(LEPT, pixCreate)     \
    X(LEPT, pixCreateNoInit) X(LEPT, pixCreateTemplate) X(LEPT, pixDestroy) X(LEPT, pixEqual)     \
    X(LEPT, pixErodeGray) X(LEPT, pixFindSkewAndDeskew) X(LEPT, pixGetColormap)                   \
    X(LEPT, pixGetData) X(LEPT, pixGetDepth) X(LEPT, pixGetHeight) X(LEPT, pixGetPixel)           \
    X(LEPT, pixGetWidth) X(LEPT, pixGetWpl) X(LEPT, pixGetXRes) X(LEPT, pixGetYRes)               \
    X(LEPT, pixOtsuAdaptiveThreshold) X(LEPT, pixRead) X(LEPT, pixReadHeaderMem)                  \
    X(LEPT, pixReadMem) X(LEPT, pixReadMemTiff) X(LEPT, pixReadTiff)                              \
    X(LEPT, pixRemoveBorderConnComps) X(LEPT, pixRotateOrth) X(LEPT, pixScale)                    \
    X(LEPT, pixSelectBySize) X(LEPT, pixSetPadBits) X(LEPT, pixSetPixel)                          \
    X(LEPT, pixSetResolution) X(LEPT, pixSetSpecial) X(LEPT, pixSetZlibCompression)               \
    X(LEPT, pixThresholdToBinary) X(LEPT, pixWrite) X(LEPT, pixWriteJpeg)                         \
    X(LEPT, pixWriteMemPng) X(LEPT, pixWriteTiff) X(LEPT, setMsgSeverity) X(LEPT, tiffGetCount)   \
    X(POPPLER, poppler_document_get_n_pages) X(POPPLER, poppler_document_get_page)               \
    X(POPPLER, poppler_document_new_from_file) X(POPPLER, poppler_page_get_size)                 \
    X(POPPLER, poppler_page_get_text) X(POPPLER, poppler_page_get_text_layout)                   \
    X(POPPLER, poppler_page_render) X(POPPLER, poppler_page_get_form_field_mapping)              \
    X(POPPLER, poppler_page_free_form_field_mapping) X(POPPLER, poppler_form_field_get_name)     \
    X(POPPLER, poppler_form_field_get_field_type)                                                \
    X(CAIRO, cairo_create) X(CAIRO, cairo_destroy) X(CAIRO, cairo_fill)                          \
    X(CAIRO, cairo_font_options_create) X(CAIRO, cairo_font_options_destroy)                     \
    X(CAIRO, cairo_font_options_set_antialias) X(CAIRO, cairo_font_options_set_hint_metrics)     \
    X(CAIRO, cairo_font_options_set_hint_style) X(CAIRO, cairo_format_stride_for_width)          \
    X(CAIRO, cairo_image_surface_create) X(CAIRO, cairo_image_surface_create_for_data)           \
    X(CAIRO, cairo_image_surface_get_data) X(CAIRO, cairo_image_surface_get_stride)              \
    X(CAIRO, cairo_line_to) X(CAIRO, cairo_move_to) X(CAIRO, cairo_paint)                        \
    X(CAIRO, cairo_pdf_surface_create) X(CAIRO, cairo_pdf_surface_set_metadata)                  \
    X(CAIRO, cairo_rectangle) X(CAIRO, cairo_restore) X(CAIRO, cairo_rotate) X(CAIRO, cairo_save) \
    X(CAIRO, cairo_scale) X(CAIRO, cairo_select_font_face) X(CAIRO, cairo_set_font_options)      \
    X(CAIRO, cairo_set_font_size) X(CAIRO, cairo_set_line_width) X(CAIRO, cairo_set_source_rgb)  \
    X(CAIRO, cairo_set_source_surface) X(CAIRO, cairo_show_page) X(CAIRO, cairo_show_text)       \
    X(CAIRO, cairo_status) X(CAIRO, cairo_status_to_string) X(CAIRO, cairo_stroke)               \
    X(CAIRO, cairo_surface_destroy) X(CAIRO, cairo_surface_finish) X(CAIRO, cairo_surface_flush) \
    X(CAIRO, cairo_surface_mark_dirty) X(CAIRO, cairo_surface_status) X(CAIRO, cairo_text_extents) \
    X(CAIRO, cairo_translate) X(CAIRO, cairo_user_to_device)                                     \
    X(GOBJECT, g_object_unref)                                                                   \
    X(GLIB, g_error_free) X(GLIB, g_filename_to_uri) X(GLIB, g_free) X(GLIB, g_log_set_handler)

#define LIBRARY_ID(ID, SONAME, PACKAGE) LIB_##ID,
enum { OCR_LIBRARIES(LIBRARY_ID) LIB_COUNT };

#define LIBRARY_ENTRY(ID, SONAME, PACKAGE) {SONAME, PACKAGE},
static const struct { const char *soname, *package; } libraries[LIB_COUNT] = {OCR_LIBRARIES(LIBRARY_ENTRY)};

/* One slot per function: 0 until loaded, then the library's function. */
#define SLOT(LIB, NAME) __attribute__((visibility("hidden"))) void *docrecon_slot_##NAME;
OCR_FUNCTIONS(SLOT)

/* ---- the stubs and the slow path ---- */

#if defined(__x86_64__)
/* Scratch: r11 (neither an argument nor preserved). Arguments: rdi rsi rdx rcx r8 r9, al (the
   vector-register count of a variadic call), xmm0-7; stack arguments stay where they are. */
#define STUB(LIB, NAME)                                                  \
    __asm__(".text\n"                                                    \
            ".globl " #NAME "\n"                                         \
            ".hidden " #NAME "\n"                                        \
            ".type " #NAME ", @function\n"                               \
            ".p2align 4\n" #NAME ":\n"                                   \
            "    movq docrecon_slot_" #NAME "(%rip), %r11\n"             \
            "    testq %r11, %r11\n"                                     \
            "    jz 1f\n"                                                \
            "    jmpq *%r11\n"                                           \
            "1:  leaq docrecon_slot_" #NAME "(%rip), %r11\n"             \
            "    jmp docrecon_ocr_slow\n"                                \
            ".size " #NAME ", .-" #NAME "\n");

/* Entered by jmp with the caller's return address on top (rsp = 8 mod 16). Nine pushes and 128
   bytes leave rsp 16-aligned for the call. */
__asm__(".text\n"
        ".type docrecon_ocr_slow, @function\n"
        ".p2align 4\n"
        "docrecon_ocr_slow:\n"
        "    pushq %rbp\n"
        "    movq %rsp, %rbp\n"
        "    pushq %r11\n"
        "    pushq %rdi\n"
        "    pushq %rsi\n"
        "    pushq %rdx\n"
        "    pushq %rcx\n"
        "    pushq %r8\n"
        "    pushq %r9\n"
        "    pushq %rax\n"
        "    subq $128, %rsp\n"
        "    movdqu %xmm0, 0(%rsp)\n"
        "    movdqu %xmm1, 16(%rsp)\n"
        "    movdqu %xmm2, 32(%rsp)\n"
        "    movdqu %xmm3, 48(%rsp)\n"
        "    movdqu %xmm4, 64(%rsp)\n"
        "    movdqu %xmm5, 80(%rsp)\n"
        "    movdqu %xmm6, 96(%rsp)\n"
        "    movdqu %xmm7, 112(%rsp)\n"
        "    call docrecon_ocr_libs_load@PLT\n"
        "    movdqu 0(%rsp), %xmm0\n"
        "    movdqu 16(%rsp), %xmm1\n"
        "    movdqu 32(%rsp), %xmm2\n"
        "    movdqu 48(%rsp), %xmm3\n"
        "    movdqu 64(%rsp), %xmm4\n"
        "    movdqu 80(%rsp), %xmm5\n"
        "    movdqu 96(%rsp), %xmm6\n"
        "    movdqu 112(%rsp), %xmm7\n"
        "    addq $128, %rsp\n"
        "    popq %rax\n"
        "    popq %r9\n"
        "    popq %r8\n"
        "    popq %rcx\n"
        "    popq %rdx\n"
        "    popq %rsi\n"
        "    popq %rdi\n"
        "    popq %r11\n"
        "    popq %rbp\n"
        "    jmpq *(%r11)\n"
        ".size docrecon_ocr_slow, .-docrecon_ocr_slow\n");

#elif defined(__aarch64__)
/* Scratch: x16, x17 (IP0/IP1, free for veneers). Arguments: x0-x7, x8 (indirect result),
   q0-q7; the link register x30 must reach the library's function unchanged. */
#define STUB(LIB, NAME)                                                  \
    __asm__(".text\n"                                                    \
            ".globl " #NAME "\n"                                         \
            ".hidden " #NAME "\n"                                        \
            ".type " #NAME ", %function\n"                               \
            ".p2align 4\n" #NAME ":\n"                                   \
            "    adrp x16, docrecon_slot_" #NAME "\n"                    \
            "    ldr x16, [x16, :lo12:docrecon_slot_" #NAME "]\n"        \
            "    cbz x16, 1f\n"                                          \
            "    br x16\n"                                               \
            "1:  adrp x17, docrecon_slot_" #NAME "\n"                    \
            "    add x17, x17, :lo12:docrecon_slot_" #NAME "\n"          \
            "    b docrecon_ocr_slow\n"                                  \
            ".size " #NAME ", .-" #NAME "\n");

__asm__(".text\n"
        ".type docrecon_ocr_slow, %function\n"
        ".p2align 4\n"
        "docrecon_ocr_slow:\n"
        "    stp x29, x30, [sp, #-224]!\n"
        "    mov x29, sp\n"
        "    stp x0, x1, [sp, #16]\n"
        "    stp x2, x3, [sp, #32]\n"
        "    stp x4, x5, [sp, #48]\n"
        "    stp x6, x7, [sp, #64]\n"
        "    stp x8, x17, [sp, #80]\n"
        "    stp q0, q1, [sp, #96]\n"
        "    stp q2, q3, [sp, #128]\n"
        "    stp q4, q5, [sp, #160]\n"
        "    stp q6, q7, [sp, #192]\n"
        "    bl docrecon_ocr_libs_load\n"
        "    ldp q6, q7, [sp, #192]\n"
        "    ldp q4, q5, [sp, #160]\n"
        "    ldp q2, q3, [sp, #128]\n"
        "    ldp q0, q1, [sp, #96]\n"
        "    ldp x8, x17, [sp, #80]\n"
        "    ldp x6, x7, [sp, #64]\n"
        "    ldp x4, x5, [sp, #48]\n"
        "    ldp x2, x3, [sp, #32]\n"
        "    ldp x0, x1, [sp, #16]\n"
        "    ldp x29, x30, [sp], #224\n"
        "    ldr x16, [x17]\n"
        "    br x16\n"
        ".size docrecon_ocr_slow, .-docrecon_ocr_slow\n");
#endif

OCR_FUNCTIONS(STUB)

/* ---- loading ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static int error_fd = 2;

void docrecon_ocr_libs_set_error_fd(int fd) { __atomic_store_n(&error_fd, fd, __ATOMIC_RELAXED); }

int docrecon_ocr_libs_loaded(void) { return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE); }

/* One line, then exit code 1 (_exit: other threads may be in the middle of anything). */
__attribute__((noreturn)) static void fail(const char *what, const char *package, const char *why) {
    char line[1024];
    int n = snprintf(line, sizeof line, "docrecon: cannot load %s (%s); install the Debian package %s\n",
                     what, why ? why : "not found", package);
    if (n > (int)sizeof line - 1) { n = (int)sizeof line - 1; line[n - 1] = '\n'; }
    if (n > 0) { ssize_t w = write(__atomic_load_n(&error_fd, __ATOMIC_RELAXED), line, (size_t)n); (void)w; }
    _exit(1);
}

static void load_once(void) {
    void *handles[LIB_COUNT];
    for (int i = 0; i < LIB_COUNT; i++) {
        /* RTLD_LOCAL: nothing else resolves against them by accident; the executable's exported
           Leptonica functions (CLeptFast) still come first for them, as at start-up. */
        handles[i] = dlopen(libraries[i].soname, RTLD_LAZY | RTLD_LOCAL);
        if (!handles[i]) fail(libraries[i].soname, libraries[i].package, dlerror());
    }
#define RESOLVE(LIB, NAME)                                                                        \
    {                                                                                             \
        void *f = dlsym(handles[LIB_##LIB], #NAME);                                               \
        if (!f) fail(#NAME, libraries[LIB_##LIB].package, dlerror());                             \
        __atomic_store_n(&docrecon_slot_##NAME, f, __ATOMIC_RELEASE);                             \
    }
    OCR_FUNCTIONS(RESOLVE)
#undef RESOLVE
    __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

void docrecon_ocr_libs_load(void) { pthread_once(&once, load_once); }

#endif
