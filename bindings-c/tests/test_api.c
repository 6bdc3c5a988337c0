/* The C API against the test server: each provider document's flow through its preset, the
 * cache and invalidation, errors and their fields, NULL arguments, and 16 threads on a cold
 * client sharing one request. Namespaces are /t/c-api-*. */
#include <pthread.h>

#include "testutil.h"

static char base[512];

/* ROOT/t/c-api-NAME, reset, with optional settings posted to /_control. */
static const char *ns(const char *name, const char *control) {
  char n[128];
  snprintf(n, sizeof n, "c-api-%s", name);
  tu_post(n, "/_reset", "{}");
  if (control) tu_post(n, "/_control", control);
  snprintf(base, sizeof base, "%s/t/%s", tu_server(), n);
  return base;
}

/* The recorded token requests of namespace c-api-NAME (free it). */
static char *recorded(const char *name) {
  char n[128];
  snprintf(n, sizeof n, "c-api-%s", name);
  return tu_http(n, "/_requests", NULL);
}

static long count(const char *name) {
  char n[128];
  snprintf(n, sizeof n, "c-api-%s", name);
  return tu_requests(n);
}

/* GET /resource with the token's Authorization header; returns the HTTP status. */
static long resource(const char *name, const tw_token *t) {
  char url[512], header[4096];
  long status = 0;
  struct tu_buf b = {NULL, 0};
  struct curl_slist *h;
  CURL *curl = curl_easy_init();
  snprintf(url, sizeof url, "%s/t/c-api-%s/resource", tu_server(), name);
  snprintf(header, sizeof header, "Authorization: %s", tw_token_authorization(t));
  h = curl_slist_append(NULL, header);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, tu_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(curl);
  free(b.data);
  return status;
}

/* One provider flow: a token, the request that went out, the token reused, the API called. */
static void flow(const char *name, const char *control, const char *config_fmt, const char *path,
                 const char *want_in_request, int want_refresh) {
  tw_error *err = NULL;
  tw_client *c = tu_client(config_fmt, ns(name, control));
  tw_token *t, *again;
  char *reqs;
  char want[4096];
  if (c == NULL) return;
  t = tw_client_token(c, &err);
  CHECK(t != NULL && err == NULL, "%s: %s", name, tw_error_message(err));
  if (t == NULL) {
    tw_error_free(err);
    tw_client_free(c);
    return;
  }
  CHECK(strlen(tw_token_access_token(t)) > 0, "%s: empty access token", name);
  CHECK_STR(tw_token_token_type(t), "Bearer");
  snprintf(want, sizeof want, "Bearer %s", tw_token_access_token(t));
  CHECK_STR(tw_token_authorization(t), want);
  CHECK((tw_token_refresh_token(t) != NULL) == want_refresh, "%s: refresh token presence", name);
  reqs = recorded(name);
  CHECK(strstr(reqs, path) != NULL, "%s: no request to %s in %s", name, path, reqs);
  CHECK(strstr(reqs, want_in_request) != NULL, "%s: %s not in %s", name, want_in_request, reqs);
  free(reqs);
  again = tw_client_token(c, &err);
  CHECK(again != NULL && strcmp(tw_token_access_token(again), tw_token_access_token(t)) == 0,
        "%s: the second call must reuse the token", name);
  CHECK(count(name) == 1, "%s: %ld token requests, want 1", name, count(name));
  CHECK(resource(name, t) == 200, "%s: /resource refused the token", name);
  tw_token_free(again);
  tw_token_free(t);
  tw_client_free(c);
}

static void provider_flows(void) {
  /* 000 Binarly: password grant, public client BinarlyClient, scope openid. */
  flow("binarly", NULL,
       "{\"preset\":\"binarly\",\"base_url\":\"%s\",\"grant\":\"password\","
       "\"username\":\"alice\",\"password\":\"wonderland\"}",
       "/realms/BinarlyRealm/protocol/openid-connect/token", "\"client_id\":\"BinarlyClient\"", 1);
  /* 001 Butlr: JSON password login with only username and password. */
  flow("butlr-password", NULL,
       "{\"preset\":\"butlr\",\"base_url\":\"%s\",\"grant\":\"password\","
       "\"username\":\"user@example.com\",\"password\":\"correct horse\"}",
       "/api/v2/login", "\"json\":{\"password\":\"correct horse\",\"username\":\"user@example.com\"}", 1);
  /* 001 Butlr: client credentials, JSON with audience. */
  flow("butlr-cc", NULL,
       "{\"preset\":\"butlr\",\"base_url\":\"%s\",\"client_id\":\"butlr-client\","
       "\"client_secret\":\"butlr-secret\"}",
       "/api/v2/clients/login", "\"audience\":\"https://butlrauth/\"", 0);
  /* 002 Binarly on-premises: a service-account client on the customer's Keycloak. */
  flow("onprem", NULL,
       "{\"preset\":\"keycloak\",\"base_url\":\"%s\",\"realm\":\"BinarlyRealm\","
       "\"client_id\":\"admin-cli\",\"client_secret\":\"admin-secret\"}",
       "/realms/BinarlyRealm/protocol/openid-connect/token", "\"grant_type\":\"client_credentials\"", 0);
  /* 003 Semansys: password grant, client secret in the form body. */
  flow("semansys", NULL,
       "{\"preset\":\"semansys\",\"base_url\":\"%s\",\"grant\":\"password\",\"client_id\":\"semansys-client\","
       "\"client_secret\":\"semansys-secret\",\"username\":\"alice\",\"password\":\"wonderland\"}",
       "/connect/token", "\"client_secret\":\"semansys-secret\"", 1);
  /* 004 Phase Two: admin-cli client credentials; lowercase `bearer`, 60 s tokens. */
  flow("phasetwo", "{\"expires_in\":60}",
       "{\"preset\":\"phasetwo\",\"base_url\":\"%s\",\"realm\":\"demo\",\"client_id\":\"admin-cli\","
       "\"client_secret\":\"admin-secret\"}",
       "/realms/demo/protocol/openid-connect/token", "\"client_id\":\"admin-cli\"", 0);
}

static void cached_and_invalidate(void) {
  tw_error *err = NULL;
  tw_client *c = tu_client("{\"token_url\":\"%s/token\",\"client_id\":\"app\",\"client_secret\":\"app-secret\"}",
                           ns("cache", NULL));
  tw_token *t, *cached, *renewed;
  if (c == NULL) return;
  CHECK(tw_client_cached(c) == NULL, "cold client: cached must be NULL");
  CHECK(count("cache") == 0, "cached() must not fetch");
  t = tw_client_token(c, &err);
  CHECK(t != NULL, "token: %s", tw_error_message(err));
  cached = tw_client_cached(c);
  CHECK(cached != NULL && t != NULL && strcmp(tw_token_access_token(cached), tw_token_access_token(t)) == 0,
        "cached must return the token just fetched");
  CHECK(t != NULL && tw_token_expires_at(t) > (int64_t)time(NULL) + 290, "expires_at ~ now + 300");
  CHECK_STR(tw_token_extra_json(t), "{}");
  tw_client_invalidate(c);
  CHECK(tw_client_cached(c) == NULL, "invalidate must drop the token");
  renewed = tw_client_token(c, &err);
  CHECK(renewed != NULL && t != NULL && strcmp(tw_token_access_token(renewed), tw_token_access_token(t)) != 0,
        "a new token after invalidate");
  CHECK(count("cache") == 2, "%ld requests, want 2", count("cache"));
  tw_client_free(c);
  /* Tokens outlive their client. */
  CHECK(t != NULL && strlen(tw_token_access_token(t)) > 0, "a token outlives its client");
  tw_token_free(cached);
  tw_token_free(renewed);
  tw_token_free(t);
}

static void errors(void) {
  tw_error *err = NULL;
  tw_client *c;
  tw_token *t;
  char config[1024];

  c = tw_client_new_json("{\"token_url\":\"http://127.0.0.1:1/token\",\"client_secrte\":\"Tw-c-secret-1\"}", &err);
  CHECK(c == NULL && err != NULL, "unknown key must fail");
  CHECK(tw_error_code(err) == TW_CONFIG, "code %d", tw_error_code(err));
  CHECK_STR(tw_error_key(err), "client_secrte");
  CHECK(strstr(tw_error_message(err), "client_secret") != NULL, "did you mean: %s", tw_error_message(err));
  CHECK(strstr(tw_error_message(err), "Tw-c-secret-1") == NULL, "secret in message");
  CHECK(tw_error_status(err) == 0 && tw_error_oauth_error(err) == NULL, "no oauth fields on config errors");
  tw_error_free(err);
  err = NULL;

  c = tw_client_new_json("not json", &err);
  CHECK(c == NULL && tw_error_code(err) == TW_CONFIG, "bad JSON is a config error");
  tw_error_free(err);
  err = NULL;

  /* ${NAME} is expanded by the JSON constructor. */
  setenv("TW_C_TEST_SECRET", "app-secret", 1);
  snprintf(config, sizeof config,
           "{\"token_url\":\"%s/token\",\"client_id\":\"app\",\"client_secret\":\"${TW_C_TEST_SECRET}\"}",
           ns("expand", NULL));
  c = tu_client("%s", config);
  t = c ? tw_client_token(c, &err) : NULL;
  CHECK(t != NULL, "${NAME} expansion: %s", tw_error_message(err));
  tw_token_free(t);
  tw_client_free(c);

  /* A wrong password: an oauth error with the server's fields, never the password. */
  c = tu_client("{\"preset\":\"keycloak\",\"base_url\":\"%s\",\"realm\":\"r\",\"grant\":\"password\","
                "\"client_id\":\"app\",\"client_secret\":\"app-secret\",\"username\":\"alice\","
                "\"password\":\"Tw-c-wrong-pw-2\",\"retries\":0}",
                ns("oauth", NULL));
  t = c ? tw_client_token(c, &err) : NULL;
  CHECK(t == NULL && err != NULL, "wrong password must fail");
  CHECK(tw_error_code(err) == TW_OAUTH, "code %s", tw_code_name(tw_error_code(err)));
  CHECK(tw_error_status(err) == 400, "status %d", tw_error_status(err));
  CHECK_STR(tw_error_oauth_error(err), "invalid_grant");
  CHECK_STR(tw_error_description(err), "Invalid user credentials");
  CHECK(tw_error_uri(err) == NULL && tw_error_body(err) == NULL && tw_error_key(err) == NULL, "absent fields");
  CHECK(strstr(tw_error_message(err), "Tw-c-wrong-pw-2") == NULL, "password in message");
  tw_error_free(err);
  err = NULL;
  tw_client_free(c);

  /* An HTML 502: an http error with the body. */
  ns("http", NULL);
  tu_post("c-api-http", "/_script",
          "{\"answers\":[{\"status\":502,\"body\":\"<html>bad gateway</html>\",\"content_type\":\"text/html\"},"
          "{\"status\":503,\"body\":\"down\"}]}");
  c = tu_client("{\"token_url\":\"%s/token\",\"client_id\":\"app\",\"client_secret\":\"app-secret\",\"retries\":0}",
                base);
  t = c ? tw_client_token(c, &err) : NULL;
  CHECK(t == NULL && tw_error_code(err) == TW_HTTP, "code %s", tw_code_name(tw_error_code(err)));
  CHECK(tw_error_status(err) == 502, "status %d", tw_error_status(err));
  CHECK_STR(tw_error_body(err), "<html>bad gateway</html>");
  tw_error_free(err);
  err = NULL;
  /* err may be NULL when the caller does not want the details. */
  CHECK(tw_client_token(c, NULL) == NULL, "a failing call with err == NULL returns NULL");
  tw_client_free(c);
}

static void null_arguments(void) {
  tw_error *err = NULL;
  int code;
  CHECK(tw_client_new_json(NULL, &err) == NULL && tw_error_code(err) == TW_CONFIG, "NULL json");
  tw_error_free(err);
  err = NULL;
  CHECK(tw_client_new_json(NULL, NULL) == NULL, "NULL json, NULL err");
  CHECK(tw_client_token(NULL, &err) == NULL && tw_error_code(err) == TW_INTERNAL, "NULL client");
  CHECK(strstr(tw_error_message(err), "NULL") != NULL, "message names the NULL: %s", tw_error_message(err));
  tw_error_free(err);
  CHECK(tw_client_cached(NULL) == NULL, "cached(NULL)");
  tw_client_invalidate(NULL);
  tw_client_free(NULL);
  tw_token_free(NULL);
  tw_error_free(NULL);
  CHECK(tw_token_access_token(NULL) == NULL && tw_token_expires_at(NULL) == 0, "token accessors on NULL");
  CHECK(tw_error_message(NULL) == NULL && tw_error_status(NULL) == 0, "error accessors on NULL");
  CHECK(tw_error_code(NULL) == TW_INTERNAL, "code of NULL");
  CHECK_STR(tw_code_name(TW_OK), "ok");
  CHECK_STR(tw_code_name(TW_INVALID_RESPONSE), "invalid_response");
  CHECK_STR(tw_code_name(99), "unknown");
  CHECK(TW_OK == 0 && TW_CONFIG == 1 && TW_OAUTH == 2 && TW_HTTP == 3 && TW_NETWORK == 4 && TW_TIMEOUT == 5 &&
            TW_INVALID_RESPONSE == 6 && TW_CACHE == 7 && TW_INTERNAL == 8,
        "fixed tw_code values");
  for (code = TW_CONFIG; code <= TW_INTERNAL; code++) CHECK(strlen(tw_code_name(code)) > 2, "name of %d", code);
}

#define THREADS 16

struct job {
  tw_client *client;
  tw_token *token;
  tw_error *err;
  pthread_barrier_t *start;
};

static void *take_token(void *arg) {
  struct job *j = arg;
  pthread_barrier_wait(j->start);
  j->token = tw_client_token(j->client, &j->err);
  return NULL;
}

static void *free_elsewhere(void *arg) {
  tw_token_free(arg);
  return NULL;
}

static void sixteen_threads(void) {
  pthread_t th[THREADS];
  struct job jobs[THREADS];
  pthread_barrier_t start;
  int i, same = 1;
  char *stats;
  tw_client *c = tu_client("{\"token_url\":\"%s/token\",\"client_id\":\"app\",\"client_secret\":\"app-secret\"}",
                           ns("threads", "{\"delay_ms\":300}"));
  if (c == NULL) return;
  pthread_barrier_init(&start, NULL, THREADS);
  for (i = 0; i < THREADS; i++) {
    jobs[i].client = c;
    jobs[i].token = NULL;
    jobs[i].err = NULL;
    jobs[i].start = &start;
    pthread_create(&th[i], NULL, take_token, &jobs[i]);
  }
  for (i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  for (i = 0; i < THREADS; i++) {
    CHECK(jobs[i].token != NULL, "thread %d: %s", i, tw_error_message(jobs[i].err));
    if (jobs[i].token && jobs[0].token)
      same &= strcmp(tw_token_access_token(jobs[i].token), tw_token_access_token(jobs[0].token)) == 0;
  }
  CHECK(same, "all 16 threads must get the same token");
  stats = tu_http("c-api-threads", "/_stats", NULL);
  CHECK(tu_json_int(stats, "total") == 1, "16 threads on a cold client: %s", stats);
  free(stats);
  /* A handle may be freed on another thread than the one that got it. */
  for (i = 0; i < THREADS; i++) {
    pthread_t t;
    pthread_create(&t, NULL, free_elsewhere, jobs[i].token);
    pthread_join(t, NULL);
    tw_error_free(jobs[i].err);
  }
  pthread_barrier_destroy(&start);
  tw_client_free(c);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_ALL);
  null_arguments();
  provider_flows();
  cached_and_invalidate();
  errors();
  sixteen_threads();
  curl_global_cleanup();
  return tu_report("test_api");
}
