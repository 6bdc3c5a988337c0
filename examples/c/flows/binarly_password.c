/* 000 Binarly: password grant with the public client BinarlyClient and scope openid.
 *
 *   BINARLY_TENANT=acme BINARLY_EMAIL=you@example.com BINARLY_PASSWORD=… API_URL=… ./binarly_password
 *
 * BINARLY_BASE_URL replaces https://auth-{tenant}.binarly.cloud (the tests point it at a local
 * server). Build: cc binarly_password.c $(pkg-config --cflags --libs tokenwell libcurl) */
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
           "{\"preset\": \"binarly\", %s, \"grant\": \"password\","
           " \"username\": \"${BINARLY_EMAIL}\", \"password\": {\"env\": \"BINARLY_PASSWORD\"}}",
           getenv("BINARLY_BASE_URL") ? "\"base_url\": \"${BINARLY_BASE_URL}\"" : "\"tenant\": \"${BINARLY_TENANT}\"");
  client = tw_client_new_json(config, &err);
  if (client == NULL) return fail("configuration", err);
  token = tw_client_token(client, &err); /* one request; later calls answer from memory */
  if (token == NULL) return fail("token", err);

  failed = call_api(client) || report(client, token);
  tw_token_free(token);
  tw_client_free(client);
  return failed;
}
