/* Helpers shared by the C tests: checks that count failures instead of aborting, and the
 * test server's control endpoints over libcurl (the suite never mocks HTTP). */
#ifndef TW_TESTUTIL_H
#define TW_TESTUTIL_H

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenwell.h"

static int tu_failures = 0;
static int tu_checks = 0;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    tu_checks++;                                                               \
    if (!(cond)) {                                                             \
      tu_failures++;                                                           \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
    }                                                                          \
  } while (0)

#define CHECK_STR(got, want)                                                   \
  do {                                                                         \
    const char *g_ = (got), *w_ = (want);                                      \
    CHECK(g_ != NULL && strcmp(g_, w_) == 0, "got \"%s\", want \"%s\"",        \
          g_ ? g_ : "(null)", w_);                                             \
  } while (0)

struct tu_buf {
  char *data;
  size_t len;
};

static inline size_t tu_write(char *ptr, size_t size, size_t n, void *user) {
  struct tu_buf *b = user;
  size_t add = size * n;
  char *grown = realloc(b->data, b->len + add + 1);
  if (grown == NULL) return 0;
  b->data = grown;
  memcpy(b->data + b->len, ptr, add);
  b->len += add;
  b->data[b->len] = '\0';
  return add;
}

/* The server root (`http://127.0.0.1:PORT`) from TW_SERVER. */
static inline const char *tu_server(void) {
  const char *s = getenv("TW_SERVER");
  if (s == NULL || *s == '\0') {
    fprintf(stderr, "TW_SERVER is not set (the URL the test server printed)\n");
    exit(2);
  }
  return s;
}

/* GET (body == NULL) or POST a JSON body to ROOT/t/NS/PATH; returns the answer (free it). */
static inline char *tu_http(const char *ns, const char *path, const char *body) {
  char url[512];
  struct tu_buf b = {NULL, 0};
  struct curl_slist *headers = NULL;
  CURL *curl = curl_easy_init();
  long status = 0;
  snprintf(url, sizeof url, "%s/t/%s%s", tu_server(), ns, path);
  if (curl == NULL) return NULL;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, tu_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (body != NULL) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  }
  if (curl_easy_perform(curl) != CURLE_OK) {
    free(b.data);
    b.data = NULL;
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) fprintf(stderr, "%s answered %ld: %s\n", url, status, b.data ? b.data : "");
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (b.data == NULL) b.data = calloc(1, 1);
  return b.data;
}

static inline void tu_post(const char *ns, const char *path, const char *body) {
  free(tu_http(ns, path, body));
}

/* The integer after `"name":` in a JSON text (the server's flat /_stats answer), or -1. */
static inline long tu_json_int(const char *json, const char *name) {
  char pat[128];
  const char *at;
  snprintf(pat, sizeof pat, "\"%s\":", name);
  at = json ? strstr(json, pat) : NULL;
  return at ? strtol(at + strlen(pat), NULL, 10) : -1;
}

/* How many token requests namespace `ns` has answered. */
static inline long tu_requests(const char *ns) {
  char *stats = tu_http(ns, "/_stats", NULL);
  long total = tu_json_int(stats, "total");
  free(stats);
  return total;
}

/* A client from a JSON text built with printf-style arguments; NULL + a report on failure. */
static inline tw_client *tu_client(const char *fmt, ...) {
  char json[2048];
  va_list ap;
  tw_error *err = NULL;
  tw_client *c;
  va_start(ap, fmt);
  vsnprintf(json, sizeof json, fmt, ap);
  va_end(ap);
  c = tw_client_new_json(json, &err);
  CHECK(c != NULL && err == NULL, "tw_client_new_json(%s): %s", json, tw_error_message(err));
  tw_error_free(err);
  return c;
}

static inline int tu_report(const char *name) {
  if (tu_failures) {
    fprintf(stderr, "%s: %d of %d checks failed\n", name, tu_failures, tu_checks);
    return 1;
  }
  printf("%s: %d checks passed\n", name, tu_checks);
  return 0;
}

#endif
