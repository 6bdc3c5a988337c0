/* What every program here does around tokenwell, with plain libcurl: GET $API_URL $API_CALLS
 * times (default 3) with the token, and print one `result:` line for scripts/examples.py. The
 * tokenwell part of each flow is in its own file. */
#ifndef TOKENWELL_EXAMPLES_API_H
#define TOKENWELL_EXAMPLES_API_H

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tokenwell.h>

/* Prints a tokenwell error (its message names what to fix and never holds a secret); frees it. */
static int fail(const char *what, tw_error *err) {
  const char *key = tw_error_key(err);
  fprintf(stderr, "%s (%s%s%s): %s\n", what, tw_code_name(tw_error_code(err)), key ? ", key " : "",
          key ? key : "", tw_error_message(err));
  tw_error_free(err);
  return 1;
}

static size_t print_body(char *data, size_t size, size_t n, void *unused) {
  (void)unused;
  return fwrite(data, size, n, stdout) * size;
}

/* GET url with the token's Authorization header; prints the status and body. Returns the HTTP
 * status, 0 on a transport error. */
static long api_get(const char *url, const tw_token *token) {
  char header[8192];
  long status = 0;
  struct curl_slist *headers;
  CURL *curl = curl_easy_init();
  if (curl == NULL) return 0;
  snprintf(header, sizeof header, "Authorization: %s", tw_token_authorization(token));
  headers = curl_slist_append(NULL, header);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, print_body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  printf("GET: ");
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  printf(" (%ld)\n", status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

/* Calls $API_URL $API_CALLS times, asking tokenwell for the token before each call (from memory
 * until its renewal point); on a 401 drops it and retries once. 0 when every call got a 2xx. */
static int call_api(const tw_client *client) {
  const char *url = getenv("API_URL"), *calls = getenv("API_CALLS");
  int n = calls ? atoi(calls) : 3, i, attempt;
  if (url == NULL) {
    fprintf(stderr, "set API_URL (what to call)\n");
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (i = 0; i < n; i++) {
    long status = 0;
    for (attempt = 0; attempt < 2; attempt++) {
      tw_error *err = NULL;
      tw_token *token = tw_client_token(client, &err);
      if (token == NULL) return fail("token", err);
      status = api_get(url, token);
      tw_token_free(token);
      if (status != 401) break;
      tw_client_invalidate(client); /* the API refused the token: fetch a new one, once */
    }
    if (status < 200 || status > 299) {
      curl_global_cleanup();
      return 1;
    }
  }
  curl_global_cleanup();
  return 0;
}

/* The line for scripts/examples.py (`make demo`): the token's type and seconds left, and
 * whether a second tw_client_token was answered from the cache (the same token, no request). */
static int report(const tw_client *client, const tw_token *token) {
  tw_error *err = NULL;
  tw_token *again = tw_client_token(client, &err);
  int cached;
  if (again == NULL) return fail("token", err);
  cached = strcmp(tw_token_access_token(again), tw_token_access_token(token)) == 0;
  printf("result: token_type=%s expires_in=%lld second_call=%s\n", tw_token_token_type(token),
         (long long)(tw_token_expires_at(token) - (int64_t)time(NULL)), cached ? "cache" : "fetched");
  tw_token_free(again);
  return 0;
}

#endif
