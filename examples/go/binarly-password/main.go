// The Binarly document's password grant (000) with tokenwell: the public client BinarlyClient
// and scope openid come from the binarly preset; the token is fetched once, cached and renewed,
// and API calls carry it.
//
//	BINARLY_TENANT=acme BINARLY_EMAIL=you@example.com BINARLY_PASSWORD=… go run ./binarly-password [API_URL]
//
// BINARLY_BASE_URL replaces https://auth-{tenant}.binarly.cloud (the tests point it at a local server).
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
		Preset:       "binarly",
		Tenant:       os.Getenv("BINARLY_TENANT"),
		BaseURL:      os.Getenv("BINARLY_BASE_URL"), // empty: https://auth-{tenant}.binarly.cloud
		Grant:        "password",
		Username:     os.Getenv("BINARLY_EMAIL"),
		PasswordFrom: &tokenwell.SecretRef{Env: "BINARLY_PASSWORD"}, // read by tokenwell when needed
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
