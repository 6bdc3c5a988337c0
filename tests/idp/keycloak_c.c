/* The C library's side of its Keycloak conformance suite (tests/idp/c_keycloak.py drives it): one
 * command per line on stdin, one JSON answer per line on stdout, every call a call of the public C
 * API (tokenwell.h). The answers carry tokens back to the driver, which never prints them.
 *
 *   new KEY JSON          tw_client_new_json         {"ok":true} | an error
 *   token KEY             tw_client_token            a token | an error
 *   cached KEY            tw_client_cached           a token | {"ok":true,"none":true}
 *   invalidate KEY        tw_client_invalidate       {"ok":true}
 *   parallel N KEY…       N threads, started together, each tw_client_token on the next KEY in
 *                         turn: {"ok":true,"tokens":D,"errors":E} (D distinct access tokens)
 *   free KEY              tw_client_free             {"ok":true}
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tokenwell.h>

#define MAX_CLIENTS 256
#define MAX_THREADS 64

static struct {
  char *key;
  tw_client *client;
} clients[MAX_CLIENTS];

static tw_client *find(const char *key) {
  int i;
  for (i = 0; i < MAX_CLIENTS; i++)
    if (clients[i].key != NULL && strcmp(clients[i].key, key) == 0) return clients[i].client;
  return NULL;
}

/* A JSON string, or null. */
static void put_str(const char *s) {
  if (s == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void put_error(tw_error *err) {
  printf("{\"ok\":false,\"code\":");
  put_str(tw_code_name(tw_error_code(err)));
  printf(",\"message\":");
  put_str(tw_error_message(err));
  printf(",\"key\":");
  put_str(tw_error_key(err));
  printf(",\"status\":%d,\"error\":", tw_error_status(err));
  put_str(tw_error_oauth_error(err));
  printf(",\"error_description\":");
  put_str(tw_error_description(err));
  printf("}\n");
  tw_error_free(err);
}

static void put_token(tw_token *t) {
  printf("{\"ok\":true,\"access_token\":");
  put_str(tw_token_access_token(t));
  printf(",\"token_type\":");
  put_str(tw_token_token_type(t));
  printf(",\"authorization\":");
  put_str(tw_token_authorization(t));
  printf(",\"expires_at\":%lld,\"refresh_expires_at\":%lld,\"refresh_token\":", (long long)tw_token_expires_at(t),
         (long long)tw_token_refresh_expires_at(t));
  put_str(tw_token_refresh_token(t));
  printf(",\"scope\":");
  put_str(tw_token_scope(t));
  printf(",\"id_token\":");
  put_str(tw_token_id_token(t));
  printf("}\n");
  tw_token_free(t);
}

struct job {
  tw_client *client;
  pthread_barrier_t *start;
  tw_token *token;
};

static void *run_job(void *arg) {
  struct job *j = arg;
  tw_error *err = NULL;
  pthread_barrier_wait(j->start);
  j->token = tw_client_token(j->client, &err);
  tw_error_free(err);
  return NULL;
}

static void parallel(int n, char **keys, int nkeys) {
  struct job jobs[MAX_THREADS];
  pthread_t threads[MAX_THREADS];
  pthread_barrier_t start;
  int i, k, distinct = 0, errors = 0;
  if (n < 1 || n > MAX_THREADS || nkeys < 1) {
    printf("{\"ok\":false,\"code\":\"usage\",\"message\":\"parallel N KEY...\"}\n");
    return;
  }
  pthread_barrier_init(&start, NULL, (unsigned)n);
  for (i = 0; i < n; i++) {
    jobs[i].client = find(keys[i % nkeys]);
    jobs[i].start = &start;
    jobs[i].token = NULL;
    pthread_create(&threads[i], NULL, run_job, &jobs[i]);
  }
  for (i = 0; i < n; i++) pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&start);
  for (i = 0; i < n; i++) {
    if (jobs[i].token == NULL) {
      errors++;
      continue;
    }
    for (k = 0; k < i; k++)
      if (jobs[k].token != NULL &&
          strcmp(tw_token_access_token(jobs[k].token), tw_token_access_token(jobs[i].token)) == 0)
        break;
    if (k == i) distinct++;
  }
  for (i = 0; i < n; i++) tw_token_free(jobs[i].token);
  printf("{\"ok\":true,\"tokens\":%d,\"errors\":%d}\n", distinct, errors);
}

int main(void) {
  static char line[65536];
  while (fgets(line, sizeof line, stdin) != NULL) {
    char *cmd, *key, *rest = NULL;
    tw_error *err = NULL;
    tw_client *c;
    line[strcspn(line, "\n")] = '\0';
    cmd = strtok_r(line, " ", &rest);
    if (cmd == NULL) continue;
    if (strcmp(cmd, "parallel") == 0) {
      char *keys[MAX_THREADS], *k, *num = strtok_r(NULL, " ", &rest);
      int n = num != NULL ? atoi(num) : 0, nkeys = 0;
      while ((k = strtok_r(NULL, " ", &rest)) != NULL && nkeys < MAX_THREADS) keys[nkeys++] = k;
      parallel(n, keys, nkeys);
    } else if ((key = strtok_r(NULL, " ", &rest)) == NULL) {
      printf("{\"ok\":false,\"code\":\"usage\",\"message\":\"a KEY is needed\"}\n");
    } else if (strcmp(cmd, "new") == 0) {
      int i;
      c = tw_client_new_json(rest, &err);
      if (c == NULL) {
        put_error(err);
      } else {
        for (i = 0; i < MAX_CLIENTS && clients[i].key != NULL; i++) {
        }
        if (i == MAX_CLIENTS) {
          tw_client_free(c);
          printf("{\"ok\":false,\"code\":\"usage\",\"message\":\"too many clients\"}\n");
        } else {
          clients[i].key = strdup(key);
          clients[i].client = c;
          printf("{\"ok\":true}\n");
        }
      }
    } else if ((c = find(key)) == NULL) {
      printf("{\"ok\":false,\"code\":\"usage\",\"message\":\"no client of that key\"}\n");
    } else if (strcmp(cmd, "token") == 0) {
      tw_token *t = tw_client_token(c, &err);
      if (t == NULL)
        put_error(err);
      else
        put_token(t);
    } else if (strcmp(cmd, "cached") == 0) {
      tw_token *t = tw_client_cached(c);
      if (t == NULL)
        printf("{\"ok\":true,\"none\":true}\n");
      else
        put_token(t);
    } else if (strcmp(cmd, "invalidate") == 0) {
      tw_client_invalidate(c);
      printf("{\"ok\":true}\n");
    } else if (strcmp(cmd, "free") == 0) {
      int i;
      for (i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].key != NULL && strcmp(clients[i].key, key) == 0) {
          tw_client_free(clients[i].client);
          free(clients[i].key);
          clients[i].key = NULL;
          break;
        }
      printf("{\"ok\":true}\n");
    } else {
      printf("{\"ok\":false,\"code\":\"usage\",\"message\":\"unknown command\"}\n");
    }
    fflush(stdout);
  }
  return 0;
}
