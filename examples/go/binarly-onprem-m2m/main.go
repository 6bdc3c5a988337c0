// Binarly on-premises (002) with tokenwell: client credentials with the service-account client
// you created on your Keycloak (realm BinarlyRealm); CA_FILE adds a private CA's roots.
//
//	KEYCLOAK_BASE_URL=https://sso.example.com BINARLY_CLIENT_ID=… BINARLY_CLIENT_SECRET=… go run ./binarly-onprem-m2m [API_URL]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/tokenwell/tokenwell/bindings-go"
	"golang.org/x/oauth2"
)

func main() {
	client, err := tokenwell.New(tokenwell.Config{
		Preset:           "keycloak",
		BaseURL:          os.Getenv("KEYCLOAK_BASE_URL"),
		Realm:            "BinarlyRealm",
		ClientID:         os.Getenv("BINARLY_CLIENT_ID"),
		ClientSecretFrom: &tokenwell.SecretRef{Env: "BINARLY_CLIENT_SECRET"},
		CAFile:           os.Getenv("CA_FILE"),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // names the key to fix; never a secret
		os.Exit(2)
	}
	defer client.Close()

	ctx := context.Background()
	token, err := client.Token(ctx) // one request; later calls answer from memory until shortly before expiry
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// API calls carry the token through golang.org/x/oauth2's transport.
	api := oauth2.NewClient(ctx, client.TokenSource())
	url := os.Getenv("API_URL")
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	calls, err := strconv.Atoi(os.Getenv("API_CALLS"))
	if err != nil {
		calls = 3
	}
	for i := 0; i < calls && url != ""; i++ {
		res, err := api.Get(url)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.Status, string(body))
		if res.StatusCode != 200 {
			os.Exit(1)
		}
	}

	// One line for scripts/examples.py (`make demo`): what came back, and where a second call came from.
	again, err := client.Token(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	second := "fetched"
	if again.AccessToken == token.AccessToken {
		second = "cache"
	}
	fmt.Printf("result: token_type=%s expires_in=%.0f second_call=%s\n", token.TokenType, time.Until(token.Expiry).Seconds(), second)
}
