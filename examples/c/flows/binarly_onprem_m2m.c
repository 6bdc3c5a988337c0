/* 002 Binarly on-premises: client credentials with a service-account client on your Keycloak
 * (realm BinarlyRealm); CA_FILE adds a private CA's roots.
 *
 *   KEYCLOAK_BASE_URL=https://sso.example.com BINARLY_CLIENT_ID=… BINARLY_CLIENT_SECRET=… API_URL=… ./binarly_onprem_m2m
 *
 * Build: cc binarly_onprem_m2m.c $(pkg-config --cflags --libs tokenwell libcurl) */
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
           "{\"preset\": \"keycloak\", \"base_url\": \"${KEYCLOAK_BASE_URL}\", \"realm\": \"BinarlyRealm\","
           " \"client_id\": \"${BINARLY_CLIENT_ID}\", \"client_secret\": {\"env\": \"BINARLY_CLIENT_SECRET\"}%s}",
           getenv("CA_FILE") ? ", \"ca_file\": \"${CA_FILE}\"" : "");
  client = tw_client_new_json(config, &err);
  if (client == NULL) return fail("configuration", err);
  token = tw_client_token(client, &err); /* one request; later calls answer from memory */
  if (token == NULL) return fail("token", err);

  failed = call_api(client) || report(client, token);
  tw_token_free(token);
  tw_client_free(client);
  return failed;
}
