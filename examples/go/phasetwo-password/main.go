// The Phase Two document's password grant example (004) with tokenwell, with a public client; the
// 60 s tokens are renewed with the refresh token before they expire.
//
//	PHASETWO_REALM=… PHASETWO_CLIENT_ID=… PHASETWO_USERNAME=… PHASETWO_PASSWORD=… go run ./phasetwo-password [API_URL]
//
// PHASETWO_BASE_URL replaces https://app.phasetwo.io/auth.
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
		Preset:       "phasetwo",
		BaseURL:      os.Getenv("PHASETWO_BASE_URL"),
		Realm:        os.Getenv("PHASETWO_REALM"),
		Grant:        "password",
		ClientID:     os.Getenv("PHASETWO_CLIENT_ID"),
		ClientAuth:   "none",
		Username:     os.Getenv("PHASETWO_USERNAME"),
		PasswordFrom: &tokenwell.SecretRef{Env: "PHASETWO_PASSWORD"},
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
