// libcurl, dlopen'ed once (thread-safe) at the first call of any wrapper (see the header).
#include "docrecon_curl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    char *(*version)(void);
} fn;
static int loaded;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_error, sizeof load_error, "libcurl cannot be loaded (Debian package libcurl4): %s", dlerror());
        return;
    }
#define SYM(field, name)                                                                      \
    *(void **)(&fn.field) = dlsym(h, name);                                                   \
    if (!fn.field) {                                                                          \
        snprintf(load_error, sizeof load_error, "libcurl has no %s (too old a version)", name); \
        return;                                                                               \
    }
    SYM(global_init, "curl_global_init")
    SYM(easy_init, "curl_easy_init")
    SYM(easy_cleanup, "curl_easy_cleanup")
    SYM(easy_reset, "curl_easy_reset")
    SYM(easy_perform, "curl_easy_perform")
    SYM(easy_strerror, "curl_easy_strerror")
    SYM(easy_setopt, "curl_easy_setopt")
    SYM(easy_getinfo, "curl_easy_getinfo")
    SYM(slist_append, "curl_slist_append")
    SYM(slist_free_all, "curl_slist_free_all")
    SYM(version, "curl_version")
#undef SYM
    loaded = 1;
}

int docrecon_curl_load(void) { pthread_once(&once, load); return loaded; }
const char *docrecon_curl_load_error(void) { docrecon_curl_load(); return load_error; }

#define READY(fail) if (!docrecon_curl_load()) return fail
CURLcode docrecon_curl_global_init(long flags) { READY(CURLE_FAILED_INIT); return fn.global_init(flags); }
CURL *docrecon_curl_easy_init(void) { READY(NULL); return fn.easy_init(); }
void docrecon_curl_easy_cleanup(CURL *h) { if (docrecon_curl_load()) fn.easy_cleanup(h); }
void docrecon_curl_easy_reset(CURL *h) { if (docrecon_curl_load()) fn.easy_reset(h); }
CURLcode docrecon_curl_easy_perform(CURL *h) { READY(CURLE_FAILED_INIT); return fn.easy_perform(h); }
const char *docrecon_curl_easy_strerror(CURLcode c) { READY(load_error); return fn.easy_strerror(c); }
struct curl_slist *docrecon_curl_slist_append(struct curl_slist *l, const char *s) { READY(NULL); return fn.slist_append(l, s); }
void docrecon_curl_slist_free_all(struct curl_slist *l) { if (docrecon_curl_load()) fn.slist_free_all(l); }
const char *docrecon_curl_version(void) { READY(load_error); return fn.version(); }

CURLcode docrecon_curl_set_long(CURL *h, CURLoption o, long v) { READY(CURLE_FAILED_INIT); return fn.easy_setopt(h, o, v); }
CURLcode docrecon_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { READY(CURLE_FAILED_INIT); return fn.easy_setopt(h, o, v); }
CURLcode docrecon_curl_set_string(CURL *h, CURLoption o, const char *v) { READY(CURLE_FAILED_INIT); return fn.easy_setopt(h, o, v); }
CURLcode docrecon_curl_set_pointer(CURL *h, CURLoption o, void *v) { READY(CURLE_FAILED_INIT); return fn.easy_setopt(h, o, v); }
CURLcode docrecon_curl_set_list(CURL *h, CURLoption o, struct curl_slist *v) { READY(CURLE_FAILED_INIT); return fn.easy_setopt(h, o, v); }
CURLcode docrecon_curl_set_data_fn(CURL *h, CURLoption o, docrecon_curl_data_fn f) { READY(CURLE_FAILED_INIT); return fn.easy_setopt(h, o, f); }
CURLcode docrecon_curl_get_long(CURL *h, CURLINFO i, long *v) { READY(CURLE_FAILED_INIT); return fn.easy_getinfo(h, i, v); }
