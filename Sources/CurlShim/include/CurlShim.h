#ifndef SWARMSTAGE_CURL_SHIM_H
#define SWARMSTAGE_CURL_SHIM_H

#include <curl/curl.h>
#include <stddef.h>

/* curl_easy_setopt is variadic, which Swift cannot call: one typed entry point per argument type. */

CURLcode swarmstage_curl_set_long(CURL *handle, CURLoption option, long value);
CURLcode swarmstage_curl_set_string(CURL *handle, CURLoption option, const char *value);
CURLcode swarmstage_curl_set_pointer(CURL *handle, CURLoption option, void *value);
CURLcode swarmstage_curl_set_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode swarmstage_curl_set_off_t(CURL *handle, CURLoption option, curl_off_t value);

typedef size_t (*swarmstage_data_callback)(char *data, size_t size, size_t count, void *context);
typedef int (*swarmstage_progress_callback)(void *context, curl_off_t download_total, curl_off_t downloaded,
                                            curl_off_t upload_total, curl_off_t uploaded);

/* Body bytes as they arrive. */
CURLcode swarmstage_curl_set_write_callback(CURL *handle, swarmstage_data_callback callback, void *context);
/* One header line at a time, including the status line and the final empty line. */
CURLcode swarmstage_curl_set_header_callback(CURL *handle, swarmstage_data_callback callback, void *context);
/* Called about once a second even when idle; a non-zero return aborts the transfer. */
CURLcode swarmstage_curl_set_progress_callback(CURL *handle, swarmstage_progress_callback callback, void *context);

long swarmstage_curl_response_code(CURL *handle);
/* The errno of the last failed connect, e.g. ENOENT or EACCES for a Unix socket. */
long swarmstage_curl_os_errno(CURL *handle);

#endif
