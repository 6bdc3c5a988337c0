/* A C process for the cross-language cache tests: builds a client from the JSON in TW_CFG,
 * gets a token, prints "OK <expires_at> <microseconds for the call>" or "ERR <code>". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <tokenwell.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(void) {
    const char *cfg = getenv("TW_CFG");
    tw_error *err = NULL;
    double start = now_us();
    tw_client *c = tw_client_new_json(cfg, &err);
    tw_token *t = c ? tw_client_token(c, &err) : NULL;
    double took = now_us() - start;
    if (t == NULL) {
        printf("ERR %s\n", tw_code_name((int)tw_error_code(err)));
        tw_error_free(err);
        tw_client_free(c);
        return 1;
    }
    printf("OK %lld %.0f\n", (long long)tw_token_expires_at(t), took);
    tw_token_free(t);
    tw_client_free(c);
    return 0;
}
