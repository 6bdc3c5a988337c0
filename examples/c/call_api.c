/* Calling an API with libcurl and a tokenwell token.
 *
 *   TOKENWELL_CONFIG='{"preset":"keycloak","base_url":"https://sso.example.com","realm":"demo",
 *                      "client_id":"svc","client_secret":"${SVC_SECRET}"}' ./call_api https://api.example.com/things
 *
 * The configuration is DESIGN §2's JSON (`${NAME}` is read from the environment, so secrets
 * stay out of the command line). The token is fetched once and cached; on a 401 the example
 * invalidates it and retries once with a fresh one.
 *
 * Build: cc call_api.c $(pkg-config --cflags --libs tokenwell libcurl) */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include <tokenwell.h>

/* GET url with the token; returns the HTTP status (0 on a transport error). */
static long get(const char *url, const tw_token *token) {
  char header[8192];
  long status = 0;
  struct curl_slist *headers;
  CURL *curl = curl_easy_init();
  if (curl == NULL) return 0;
  snprintf(header, sizeof header, "Authorization: %s", tw_token_authorization(token));
  headers = curl_slist_append(NULL, header);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status;
}

int main(int argc, char **argv) {
  const char *config = getenv("TOKENWELL_CONFIG");
  tw_error *err = NULL;
  tw_client *client;
  tw_token *token;
  long status;
  int attempt;

  if (argc != 2 || config == NULL) {
    fprintf(stderr, "usage: TOKENWELL_CONFIG='{...}' %s URL\n", argv[0]);
    return 2;
  }
  client = tw_client_new_json(config, &err);
  if (client == NULL) {
    fprintf(stderr, "configuration (%s): %s\n", tw_error_key(err), tw_error_message(err));
    tw_error_free(err);
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  for (attempt = 0, status = 0; attempt < 2; attempt++) {
    token = tw_client_token(client, &err);
    if (token == NULL) {
      fprintf(stderr, "no token (%s): %s\n", tw_code_name(tw_error_code(err)), tw_error_message(err));
      tw_error_free(err);
      break;
    }
    status = get(argv[1], token);
    tw_token_free(token);
    if (status != 401) break;
    tw_client_invalidate(client); /* the API refused the token: fetch a new one, once */
  }
  if (status) printf("\n%s answered %ld\n", argv[1], status);
  curl_global_cleanup();
  tw_client_free(client);
  return status >= 200 && status < 300 ? 0 : 1;
}
