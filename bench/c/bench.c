/* Warm-path micro-benchmark of libtokenwell: tw_client_cached and tw_client_token on a client
 * whose token is cached, each call followed by tw_token_free (what a caller does), on 1 and 2
 * reader threads. Usage: bench SERVER_URL [iterations]. `make bench-c` runs it; results go to
 * bench/RESULTS.md. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tokenwell.h"

static tw_client *client;
static long iters = 20000000;
static pthread_barrier_t start;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *run_cached(void *arg) {
  double *ns = arg, t0;
  long i;
  pthread_barrier_wait(&start);
  t0 = now_ns();
  for (i = 0; i < iters; i++) tw_token_free(tw_client_cached(client));
  *ns = (now_ns() - t0) / (double)iters;
  return NULL;
}

static void *run_token(void *arg) {
  double *ns = arg, t0;
  long i;
  pthread_barrier_wait(&start);
  t0 = now_ns();
  for (i = 0; i < iters; i++) tw_token_free(tw_client_token(client, NULL));
  *ns = (now_ns() - t0) / (double)iters;
  return NULL;
}

/* Mean ns per call on each of `threads` threads running at once. */
static double measure(void *(*fn)(void *), int threads) {
  pthread_t th[8];
  double ns[8], sum = 0;
  int i;
  pthread_barrier_init(&start, NULL, (unsigned)threads);
  for (i = 0; i < threads; i++) pthread_create(&th[i], NULL, fn, &ns[i]);
  for (i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    sum += ns[i];
  }
  pthread_barrier_destroy(&start);
  return sum / threads;
}

int main(int argc, char **argv) {
  char json[1024];
  tw_error *err = NULL;
  tw_token *t;
  int threads, round;
  if (argc < 2) {
    fprintf(stderr, "usage: bench SERVER_URL [iterations]\n");
    return 2;
  }
  if (argc > 2) iters = atol(argv[2]);
  snprintf(json, sizeof json,
           "{\"token_url\":\"%s/t/bench-c/token\",\"client_id\":\"app\",\"client_secret\":\"app-secret\"}", argv[1]);
  client = tw_client_new_json(json, &err);
  t = client ? tw_client_token(client, &err) : NULL;
  if (t == NULL) {
    fprintf(stderr, "bench: %s\n", tw_error_message(err));
    return 1;
  }
  tw_token_free(t);
  printf("%-34s %10s\n", "warm call + tw_token_free", "ns/call");
  for (round = 0; round < 2; round++) /* the first round warms caches and CPU clocks */
    for (threads = 1; threads <= 2; threads++) {
      double c = measure(run_cached, threads), k = measure(run_token, threads);
      if (round == 1) {
        printf("tw_client_cached, %d thread%s %*s %10.2f\n", threads, threads > 1 ? "s" : " ", 13, "", c);
        printf("tw_client_token,  %d thread%s %*s %10.2f\n", threads, threads > 1 ? "s" : " ", 13, "", k);
      }
    }
  tw_client_free(client);
  return 0;
}
