// libcurl for Swift: curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
// call, so each argument type gets one typed wrapper here. Nothing else: Daily/Curl.swift is the
// one owner of the handles.
#ifndef DOCRECON_CURL_H
#define DOCRECON_CURL_H
#include <curl/curl.h>

typedef size_t (*docrecon_curl_data_fn)(char *data, size_t size, size_t count, void *user);
typedef int (*docrecon_curl_progress_fn)(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode docrecon_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode docrecon_curl_set_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode docrecon_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode docrecon_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode docrecon_curl_set_list(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode docrecon_curl_set_data_fn(CURL *h, CURLoption o, docrecon_curl_data_fn f) { return curl_easy_setopt(h, o, f); }
static inline CURLcode docrecon_curl_set_progress_fn(CURL *h, docrecon_curl_progress_fn f) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f);
}
static inline CURLcode docrecon_curl_get_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }

#endif
