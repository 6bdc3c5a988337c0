/* 004 Phase Two: password grant with a public client; 60 s tokens, renewed with the refresh
 * token before they expire.
 *
 *   PHASETWO_REALM=… PHASETWO_CLIENT_ID=… PHASETWO_USERNAME=… PHASETWO_PASSWORD=… API_URL=… ./phasetwo_password
 *
 * PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.
 * Build: cc phasetwo_password.c $(pkg-config --cflags --libs tokenwell libcurl) */
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
           "{\"preset\": \"phasetwo\", %s \"realm\": \"${PHASETWO_REALM}\", \"grant\": \"password\","
           " \"client_id\": \"${PHASETWO_CLIENT_ID}\", \"client_auth\": \"none\", \"username\": \"${PHASETWO_USERNAME}\","
           " \"password\": {\"env\": \"PHASETWO_PASSWORD\"}}",
           getenv("PHASETWO_BASE_URL") ? "\"base_url\": \"${PHASETWO_BASE_URL}\"," : "");
  client = tw_client_new_json(config, &err);
  if (client == NULL) return fail("configuration", err);
  token = tw_client_token(client, &err); /* one request; later calls answer from memory */
  if (token == NULL) return fail("token", err);

  failed = call_api(client) || report(client, token);
  tw_token_free(token);
  tw_client_free(client);
  return failed;
}
