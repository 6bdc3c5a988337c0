/* Runs the calls of tests/vectors through the C API. vectors.py reads each vector, prepares the
 * server and sends this program one command per line; every request goes out through
 * libtokenwell, and this program prints what the C API returned (strings hex-encoded, "-" for
 * NULL) for vectors.py to check against the vector.
 *
 *   new HEX(config json)        -> "client ok" | "client err FIELDS"
 *   token INVALIDATE PARALLEL   -> "results N" then N lines "tok FIELDS" | "err FIELDS"
 *   quit
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenwell.h"

#define MAX_PARALLEL 64

static void put_hex(const char *s) {
  if (s == NULL) {
    fputs(" -", stdout);
    return;
  }
  fputc(' ', stdout);
  if (*s == '\0') fputc('=', stdout); /* an empty string, distinct from NULL */
  for (; *s; s++) printf("%02x", (unsigned char)*s);
}

static char *from_hex(const char *h) {
  size_t n = strlen(h) / 2, i;
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  for (i = 0; i < n; i++) {
    unsigned int byte = 0;
    if (sscanf(h + 2 * i, "%2x", &byte) != 1) byte = '?';
    out[i] = (char)byte;
  }
  out[n] = '\0';
  return out;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* err FIELDS: code key status oauth_error description uri body message */
static void put_error(const char *word, const tw_error *e) {
  fputs(word, stdout);
  fputs(" err ", stdout);
  fputs(tw_code_name(tw_error_code(e)), stdout);
  put_hex(tw_error_key(e));
  printf(" %d", tw_error_status(e));
  put_hex(tw_error_oauth_error(e));
  put_hex(tw_error_description(e));
  put_hex(tw_error_uri(e));
  put_hex(tw_error_body(e));
  put_hex(tw_error_message(e));
  fputc('\n', stdout);
}

/* tok FIELDS: now expires_at refresh_expires_at access type authorization refresh scope id extra */
static void put_token(const tw_token *t, double at) {
  printf("tok %.3f %lld %lld", at, (long long)tw_token_expires_at(t), (long long)tw_token_refresh_expires_at(t));
  put_hex(tw_token_access_token(t));
  put_hex(tw_token_token_type(t));
  put_hex(tw_token_authorization(t));
  put_hex(tw_token_refresh_token(t));
  put_hex(tw_token_scope(t));
  put_hex(tw_token_id_token(t));
  put_hex(tw_token_extra_json(t));
  fputc('\n', stdout);
}

struct call {
  const tw_client *client;
  tw_token *token;
  tw_error *err;
  double at;
};

static void *run_call(void *arg) {
  struct call *c = arg;
  c->token = tw_client_token(c->client, &c->err);
  c->at = now_s();
  return NULL;
}

int main(void) {
  static char line[1 << 20];
  tw_client *client = NULL;
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "new ", 4) == 0) {
      char *json = from_hex(line + 4);
      tw_error *err = NULL;
      tw_client_free(client);
      client = tw_client_new_json(json, &err);
      if (client != NULL)
        puts("client ok");
      else
        put_error("client", err);
      tw_error_free(err);
      free(json);
    } else if (strncmp(line, "token ", 6) == 0) {
      int invalidate = 0, parallel = 1, i;
      struct call calls[MAX_PARALLEL];
      pthread_t threads[MAX_PARALLEL];
      if (sscanf(line + 6, "%d %d", &invalidate, &parallel) != 2 || parallel < 1 || parallel > MAX_PARALLEL) {
        fprintf(stderr, "bad command: %s\n", line);
        return 2;
      }
      if (invalidate) tw_client_invalidate(client);
      for (i = 0; i < parallel; i++) {
        calls[i].client = client;
        calls[i].token = NULL;
        calls[i].err = NULL;
      }
      if (parallel == 1) {
        run_call(&calls[0]);
      } else {
        for (i = 0; i < parallel; i++) pthread_create(&threads[i], NULL, run_call, &calls[i]);
        for (i = 0; i < parallel; i++) pthread_join(threads[i], NULL);
      }
      printf("results %d\n", parallel);
      for (i = 0; i < parallel; i++) {
        if (calls[i].token != NULL)
          put_token(calls[i].token, calls[i].at);
        else
          put_error("call", calls[i].err);
        tw_token_free(calls[i].token);
        tw_error_free(calls[i].err);
      }
    } else if (strcmp(line, "quit") == 0) {
      break;
    } else {
      fprintf(stderr, "unknown command: %s\n", line);
      return 2;
    }
    fflush(stdout);
  }
  tw_client_free(client);
  return 0;
}
