/* tokenwell beside a floor: the mutex-guarded cache a C programmer writes around libcurl (fetch
 * under the mutex, 30 s leeway, a refcounted token handed out). Modes as in every language of
 * bench/ (bench/README.md): `inproc SERVER` prints the in-process measures as JSON; `once`,
 * `load` and `hold` are the child processes bench/driver.py times and counts. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tokenwell.h"

#define SECRET "app-secret"
#define READERS 4

static int quick;

static double now_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- plain HTTP (libcurl) ---- */

struct buf {
  char *p;
  size_t n;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *arg) {
  struct buf *b = arg;
  size_t k = size * nmemb;
  char *p = realloc(b->p, b->n + k + 1);
  if (!p) return 0;
  memcpy(p + b->n, data, k);
  b->p = p;
  b->n += k;
  p[b->n] = 0;
  return k;
}

/* One request on a new connection; returns the body (malloc'd) and sets *status. */
static char *http(const char *method, const char *url, const char *body, const char *header, long *status) {
  CURL *h = curl_easy_init();
  struct buf b = {calloc(1, 1), 0};
  struct curl_slist *hs = NULL;
  if (!h || !b.p) abort();
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
  if (body) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  if (header) hs = curl_slist_append(hs, header);
  if (hs) curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
  *status = 0;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  curl_slist_free_all(hs);
  curl_easy_cleanup(h);
  return b.p;
}

static long json_num(const char *s, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  const char *p = strstr(s, pat);
  return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static char *json_str(const char *s, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":\"", key);
  const char *p = strstr(s, pat);
  if (!p) return NULL;
  p += strlen(pat);
  const char *e = strchr(p, '"');
  return e ? strndup(p, (size_t)(e - p)) : NULL;
}

/* The raw POST: client credentials with HTTP Basic, access_token and expires_in parsed. */
static char *raw_post(const char *url, long *expires_in) {
  CURL *h = curl_easy_init();
  struct buf b = {calloc(1, 1), 0};
  long status = 0;
  if (!h || !b.p) abort();
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, "grant_type=client_credentials");
  curl_easy_setopt(h, CURLOPT_USERPWD, "app:" SECRET);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
  char *tok = NULL;
  if (curl_easy_perform(h) == CURLE_OK && curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
      status == 200) {
    tok = json_str(b.p, "access_token");
    if (expires_in) *expires_in = json_num(b.p, "expires_in");
  }
  curl_easy_cleanup(h);
  free(b.p);
  return tok;
}

static void control(const char *ns, const char *settings) {
  char url[640];
  long st;
  snprintf(url, sizeof url, "%s/_reset", ns);
  free(http("POST", url, "{}", "Content-Type: application/json", &st));
  if (settings) {
    snprintf(url, sizeof url, "%s/_control", ns);
    free(http("POST", url, settings, "Content-Type: application/json", &st));
  }
  if (st != 200) {
    fprintf(stderr, "test server answered %ld\n", st);
    exit(1);
  }
}

static long stat_of(const char *ns, const char *key) {
  char url[640];
  long st;
  snprintf(url, sizeof url, "%s/_stats", ns);
  char *b = http("GET", url, NULL, NULL, &st);
  long v = json_num(b, key);
  free(b);
  return v;
}

/* ---- the floor: a mutex-guarded cache handing out a refcounted token ---- */

struct ctok {
  atomic_long refs;
  char *access;
  double expires_ns; /* CLOCK_MONOTONIC */
};

static void ctok_release(struct ctok *t) {
  if (t && atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
    free(t->access);
    free(t);
  }
}

struct floor_cache {
  pthread_mutex_t mu;
  char url[640];
  struct ctok *tok;
};

static struct ctok *floor_get(struct floor_cache *c) {
  pthread_mutex_lock(&c->mu);
  if (!c->tok || now_ns(CLOCK_MONOTONIC) + 30e9 >= c->tok->expires_ns) {
    long expires_in = 300;
    char *access = raw_post(c->url, &expires_in);
    if (!access) {
      pthread_mutex_unlock(&c->mu);
      return NULL;
    }
    struct ctok *t = malloc(sizeof *t);
    if (!t) abort();
    atomic_init(&t->refs, 1);
    t->access = access;
    t->expires_ns = now_ns(CLOCK_MONOTONIC) + (double)expires_in * 1e9;
    ctok_release(c->tok);
    c->tok = t;
  }
  struct ctok *t = c->tok;
  atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
  pthread_mutex_unlock(&c->mu);
  return t;
}

/* ---- the libraries behind one interface ---- */

enum kind { TOKENWELL, FLOOR, RAW };
static const char *names[] = {"tokenwell", "mutex-guarded cache (floor)", "raw POST"};
static const char *hows[] = {"`tw_client_token` + `tw_token_free`",
                             "hand-written: `pthread_mutex` + libcurl, fetch under the lock, 30 s leeway",
                             "libcurl POST on a new connection"};

struct lib {
  enum kind kind;
  tw_client *tw;
  struct floor_cache *fl;
  char url[640];
};

static struct lib *make(enum kind kind, const char *url, const char *cache) {
  struct lib *l = calloc(1, sizeof *l);
  if (!l) abort();
  l->kind = kind;
  snprintf(l->url, sizeof l->url, "%s", url);
  if (kind == TOKENWELL) {
    char cfg[1024];
    tw_error *err = NULL;
    snprintf(cfg, sizeof cfg,
             "{\"token_url\":\"%s\",\"client_id\":\"app\",\"client_secret\":\"" SECRET "\"%s%s%s}", url,
             cache ? ",\"cache\":\"" : "", cache ? cache : "", cache ? "\"" : "");
    l->tw = tw_client_new_json(cfg, &err);
    if (!l->tw) {
      fprintf(stderr, "tw_client_new_json: %s\n", tw_error_message(err));
      exit(1);
    }
  } else if (kind == FLOOR) {
    l->fl = calloc(1, sizeof *l->fl);
    if (!l->fl) abort();
    pthread_mutex_init(&l->fl->mu, NULL);
    snprintf(l->fl->url, sizeof l->fl->url, "%s", url);
  }
  return l;
}

/* Gets a token; copies its access token into out (when given). Returns 0 on success. */
static int get(struct lib *l, char *out, size_t cap) {
  if (l->kind == TOKENWELL) {
    tw_error *err = NULL;
    tw_token *t = tw_client_token(l->tw, &err);
    if (!t) {
      tw_error_free(err);
      return -1;
    }
    if (out) snprintf(out, cap, "%s", tw_token_access_token(t));
    tw_token_free(t);
    return 0;
  }
  if (l->kind == FLOOR) {
    struct ctok *t = floor_get(l->fl);
    if (!t) return -1;
    if (out) snprintf(out, cap, "%s", t->access);
    ctok_release(t);
    return 0;
  }
  char *t = raw_post(l->url, NULL);
  if (!t) return -1;
  if (out) snprintf(out, cap, "%s", t);
  free(t);
  return 0;
}

static enum kind find(const char *name) {
  for (int k = 0; k < 3; k++)
    if (!strcmp(names[k], name)) return (enum kind)k;
  fprintf(stderr, "unknown library %s\n", name);
  exit(2);
}

/* ---- measures ---- */

struct job {
  struct lib *lib;
  long n;
  pthread_barrier_t *gate;
  int failed;
  /* cadence */
  const char *ns;
  long expires_in;
  long calls, errors;
};

static void *warm_loop(void *arg) {
  struct job *j = arg;
  if (j->gate) pthread_barrier_wait(j->gate);
  for (long i = 0; i < j->n; i++)
    if (get(j->lib, NULL, 0)) j->failed = 1;
  return NULL;
}

static void print_runs(const double *r, int n) {
  printf("[");
  for (int i = 0; i < n; i++) printf("%s%.3f", i ? ", " : "", r[i]);
  printf("]");
}

static void warm(struct lib *l, int readers) {
  int repeats = quick ? 3 : 7;
  long per = (quick ? 1000000L : 5000000L) / readers;
  double runs[7];
  struct job warmup = {l, per / 10, NULL, 0, NULL, 0, 0, 0};
  warm_loop(&warmup);
  for (int r = 0; r < repeats; r++) {
    pthread_t th[READERS];
    struct job jobs[READERS];
    pthread_barrier_t gate;
    pthread_barrier_init(&gate, NULL, (unsigned)readers + 1);
    for (int i = 0; i < readers; i++) {
      jobs[i] = (struct job){l, per, &gate, 0, NULL, 0, 0, 0};
      pthread_create(&th[i], NULL, warm_loop, &jobs[i]);
    }
    pthread_barrier_wait(&gate);
    double t = now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < readers; i++) pthread_join(th[i], NULL);
    runs[r] = (now_ns(CLOCK_MONOTONIC) - t) / (double)(per * readers);
    pthread_barrier_destroy(&gate);
  }
  print_runs(runs, repeats);
}

#define FIRST_RUNS 101

/* The libraries take turns, run by run, each round in a rotated order, so neither the machine's
 * changing load nor the work just before (code left warm) favours one. Each run asks a namespace
 * nothing used before (the server creates it on first use): no call of the harness's own, which
 * would warm the raw POST's HTTP code, comes between two runs. */
static int first_ms(const char *server, double runs[3][FIRST_RUNS]) {
  int n = quick ? 3 : FIRST_RUNS;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < 3; j++) {
      int k = (i + j) % 3;
      char url[600];
      snprintf(url, sizeof url, "%s/t/c-first-%d-%d-%d/token", server, k, (int)getpid(), i);
      double t = now_ns(CLOCK_MONOTONIC);
      struct lib *l = make((enum kind)k, url, NULL);
      if (get(l, NULL, 0)) exit(1);
      runs[k][i] = (now_ns(CLOCK_MONOTONIC) - t) / 1e6;
    }
  }
  return n;
}

static void *herd_caller(void *arg) {
  struct job *j = arg;
  pthread_barrier_wait(j->gate);
  j->failed = get(j->lib, NULL, 0) != 0;
  return NULL;
}

static void herd(enum kind k, const char *server, int callers) {
  char ns[400], url[600];
  snprintf(ns, sizeof ns, "%s/t/c-herd%d-%d-%d", server, callers, (int)k, (int)getpid());
  control(ns, "{\"delay_ms\":50}");
  snprintf(url, sizeof url, "%s/token", ns);
  struct lib *l = make(k, url, NULL);
  pthread_t *th = calloc((size_t)callers, sizeof *th);
  struct job *jobs = calloc((size_t)callers, sizeof *jobs);
  pthread_barrier_t gate;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_barrier_init(&gate, NULL, (unsigned)callers);
  double t = now_ns(CLOCK_MONOTONIC);
  for (int i = 0; i < callers; i++) {
    jobs[i] = (struct job){l, 0, &gate, 0, NULL, 0, 0, 0};
    pthread_create(&th[i], &attr, herd_caller, &jobs[i]);
  }
  int errors = 0;
  for (int i = 0; i < callers; i++) {
    pthread_join(th[i], NULL);
    errors += jobs[i].failed;
  }
  printf("{\"requests\": %ld, \"errors\": %d, \"seconds\": %.3f}", stat_of(ns, "total"), errors,
         (now_ns(CLOCK_MONOTONIC) - t) / 1e9);
  free(th);
  free(jobs);
}

/* A call every 100 ms for 6 s; each handed-out token goes to the server's /resource at once,
 * which answers 401 (counted in its stats) for a token it considers expired. */
static void *cadence(void *arg) {
  struct job *j = arg;
  char url[600], tok[4096], auth[4200];
  struct timespec t0, at;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  snprintf(url, sizeof url, "%s/resource", j->ns);
  for (int i = 0; i < 60; i++) {
    long ns = t0.tv_nsec + (long)i * 100000000L;
    at.tv_sec = t0.tv_sec + ns / 1000000000L;
    at.tv_nsec = ns % 1000000000L;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
    if (get(j->lib, tok, sizeof tok)) {
      j->errors++;
      continue;
    }
    j->calls++;
    long st;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
    free(http("GET", url, NULL, auth, &st));
  }
  return NULL;
}

static void inproc(const char *server) {
  printf("{\"lang\": \"C\", \"readers\": %d, \"versions\": {\"libcurl\": \"%s\", \"cc\": \"%s\"}, ", READERS,
         curl_version_info(CURLVERSION_NOW)->version, __VERSION__);
  printf("\"order\": [\"%s\", \"%s\", \"%s\"], \"libs\": {", names[0], names[1], names[2]);
  /* The four cadence runs (two libraries, two lifetimes) go on at once, after the rest; their
   * figures go under "cadence" ("NAME/expN"), which bench/driver.py files under each library. */
  static struct job cad[2][2];
  pthread_t cth[2][2];
  char cns[2][2][400];
  for (int k = 0; k < 2; k++)
    for (int e = 0; e < 2; e++) {
      long exp = e ? 60 : 2;
      char settings[64], url[600];
      snprintf(cns[k][e], sizeof cns[k][e], "%s/t/c-exp%ld-%d-%d", server, exp, k, (int)getpid());
      snprintf(settings, sizeof settings, "{\"expires_in\":%ld}", exp);
      control(cns[k][e], settings);
      snprintf(url, sizeof url, "%s/token", cns[k][e]);
      cad[k][e] = (struct job){make((enum kind)k, url, NULL), 0, NULL, 0, cns[k][e], exp, 0, 0};
    }
  static double firsts[3][FIRST_RUNS];
  int first_n = first_ms(server, firsts);
  for (int k = 0; k < 3; k++) {
    printf("%s\"%s\": {\"how\": \"%s\"", k ? ", " : "", names[k], hows[k]);
    if (k < 2) {
      char ns[400], url[600];
      snprintf(ns, sizeof ns, "%s/t/c-warm-%d-%d", server, k, (int)getpid());
      control(ns, NULL);
      snprintf(url, sizeof url, "%s/token", ns);
      struct lib *l = make((enum kind)k, url, NULL);
      if (get(l, NULL, 0)) exit(1);
      printf(", \"warm\": ");
      warm(l, 1);
      printf(", \"warm_readers\": ");
      warm(l, READERS);
      printf(", \"herd64\": ");
      herd((enum kind)k, server, 64);
      printf(", \"herd1000\": ");
      herd((enum kind)k, server, 1000);
    }
    printf(", \"first_ms\": ");
    print_runs(firsts[k], first_n);
    printf("}");
  }
  printf("}, \"cadence\": {");
  for (int k = 0; k < 2; k++)
    for (int e = 0; e < 2; e++) pthread_create(&cth[k][e], NULL, cadence, &cad[k][e]);
  for (int k = 0; k < 2; k++)
    for (int e = 0; e < 2; e++) {
      pthread_join(cth[k][e], NULL);
      printf("%s\"%s/exp%ld\": {\"calls\": %ld, \"requests\": %ld, \"expired\": %ld, \"errors\": %ld}",
             k + e ? ", " : "", names[k], cad[k][e].expires_in, cad[k][e].calls, stat_of(cns[k][e], "total"),
             stat_of(cns[k][e], "resource_401"), cad[k][e].errors);
    }
  printf("}}\n");
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) v = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return v;
}

int main(int argc, char **argv) {
  quick = getenv("BENCH_QUICK") && !strcmp(getenv("BENCH_QUICK"), "1");
  if (argc < 3) {
    fprintf(stderr, "usage: compare inproc SERVER | once|load|hold LIB NS [--wait] [--cache C]\n");
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const char *mode = argv[1];
  if (!strcmp(mode, "inproc")) {
    inproc(argv[2]);
    return 0;
  }
  if (argc < 4) return 2;
  char url[600];
  snprintf(url, sizeof url, "%s/token", argv[3]);
  int none = !strcmp(argv[2], "none");
  if (!strcmp(mode, "load")) {
    if (!none) make(find(argv[2]), url, NULL);
    return 0;
  }
  if (!strcmp(mode, "hold")) {
    if (!none && get(make(find(argv[2]), url, NULL), NULL, 0)) return 1;
    printf("{\"rss_kb\": %ld}\n", rss_kb());
    return 0;
  }
  if (!strcmp(mode, "once")) {
    const char *cache = NULL;
    int wait = 0;
    for (int i = 4; i < argc; i++) {
      if (!strcmp(argv[i], "--wait")) wait = 1;
      if (!strcmp(argv[i], "--cache") && i + 1 < argc) cache = argv[++i];
    }
    struct lib *l = make(find(argv[2]), url, cache);
    if (wait) {
      char line[16];
      printf("ready\n");
      fflush(stdout);
      if (!fgets(line, sizeof line, stdin)) return 1;
    }
    if (get(l, NULL, 0)) return 1;
    printf("ok\n");
    fflush(stdout); /* the driver times the process to this line */
    return 0;
  }
  return 2;
}
