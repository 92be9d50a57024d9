// libcurl for Swift, loaded at first use. curl_easy_setopt and curl_easy_getinfo are variadic,
// which Swift cannot call, so each argument type gets one typed wrapper; and libcurl (with the 25
// libraries it brings: OpenSSL, libssh2, nghttp2, LDAP, ...) is not linked: it is dlopen'ed the
// first time a transfer is made, so the commands that never transfer (every one but run and
// watch) start as fast as before. <curl/curl.h> gives the types and constants only.
// Daily/Curl.swift is the one owner of the handles.
#ifndef DOCRECON_CURL_H
#define DOCRECON_CURL_H
#include <curl/curl.h>

/// 1 when libcurl is loaded (loading it on the first call), 0 when it cannot be.
int docrecon_curl_load(void);
/// What dlopen said when libcurl could not be loaded ("" when it was).
const char *docrecon_curl_load_error(void);

typedef size_t (*docrecon_curl_data_fn)(char *data, size_t size, size_t count, void *user);

CURLcode docrecon_curl_global_init(long flags);
CURL *docrecon_curl_easy_init(void);
void docrecon_curl_easy_cleanup(CURL *h);
void docrecon_curl_easy_reset(CURL *h);
CURLcode docrecon_curl_easy_perform(CURL *h);
const char *docrecon_curl_easy_strerror(CURLcode c);
struct curl_slist *docrecon_curl_slist_append(struct curl_slist *list, const char *s);
void docrecon_curl_slist_free_all(struct curl_slist *list);
const char *docrecon_curl_version(void);

CURLcode docrecon_curl_set_long(CURL *h, CURLoption o, long v);
CURLcode docrecon_curl_set_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode docrecon_curl_set_string(CURL *h, CURLoption o, const char *v);
CURLcode docrecon_curl_set_pointer(CURL *h, CURLoption o, void *v);
CURLcode docrecon_curl_set_list(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode docrecon_curl_set_data_fn(CURL *h, CURLoption o, docrecon_curl_data_fn f);
CURLcode docrecon_curl_get_long(CURL *h, CURLINFO i, long *v);

#endif
