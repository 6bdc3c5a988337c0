/* 001 Butlr: password login (JSON {"username", "password"} at /api/v2/login, no grant_type).
 *
 *   BUTLR_USERNAME=you@example.com BUTLR_PASSWORD=… API_URL=… ./butlr_password
 *
 * BUTLR_BASE_URL replaces https://api.butlr.io.
 * Build: cc butlr_password.c $(pkg-config --cflags --libs tokenwell libcurl) */
#include "api.h"

int main(void) {
  tw_error *err = NULL;
  tw_client *client;
  tw_token *token;
  int failed;
  char config[512];

  /* tokenwell's JSON configuration: it reads ${NAME} from the environment when it builds the
   * client, so the secrets never pass through this program. */
  snprintf(config, sizeof config,
           "{\"preset\": \"butlr\", %s \"grant\": \"password\","
           " \"username\": \"${BUTLR_USERNAME}\", \"password\": {\"env\": \"BUTLR_PASSWORD\"}}",
           getenv("BUTLR_BASE_URL") ? "\"base_url\": \"${BUTLR_BASE_URL}\"," : "");
  client = tw_client_new_json(config, &err);
  if (client == NULL) return fail("configuration", err);
  token = tw_client_token(client, &err); /* one request; later calls answer from memory */
  if (token == NULL) return fail("token", err);

  failed = call_api(client) || report(client, token);
  tw_token_free(token);
  tw_client_free(client);
  return failed;
}
