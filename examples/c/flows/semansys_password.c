/* 003 Semansys: password grant at /connect/token, the client secret in the form body.
 *
 *   SEMANSYS_CLIENT_ID=… SEMANSYS_CLIENT_SECRET=… SEMANSYS_USERNAME=… SEMANSYS_PASSWORD=… API_URL=… ./semansys_password
 *
 * SEMANSYS_BASE_URL replaces https://oidc-pre.semansys.com.
 * Build: cc semansys_password.c $(pkg-config --cflags --libs tokenwell libcurl) */
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
           "{\"preset\": \"semansys\", %s \"grant\": \"password\", \"client_id\": \"${SEMANSYS_CLIENT_ID}\","
           " \"client_secret\": {\"env\": \"SEMANSYS_CLIENT_SECRET\"}, \"username\": \"${SEMANSYS_USERNAME}\","
           " \"password\": {\"env\": \"SEMANSYS_PASSWORD\"}}",
           getenv("SEMANSYS_BASE_URL") ? "\"base_url\": \"${SEMANSYS_BASE_URL}\"," : "");
  client = tw_client_new_json(config, &err);
  if (client == NULL) return fail("configuration", err);
  token = tw_client_token(client, &err); /* one request; later calls answer from memory */
  if (token == NULL) return fail("token", err);

  failed = call_api(client) || report(client, token);
  tw_token_free(token);
  tw_client_free(client);
  return failed;
}
