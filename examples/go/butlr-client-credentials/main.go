// The Butlr document's "OAuth 2.0 Client Credentials Grant" Go example, with tokenwell: the
// preset sends the JSON body to /api/v2/clients/login with the `https://butlrauth/` audience;
// the token is fetched once, cached and renewed, and API calls carry it.
//
//	BUTLR_CLIENT_ID=… BUTLR_CLIENT_SECRET=… go run ./butlr-client-credentials [API_URL]
//
// BUTLR_BASE_URL replaces https://api.butlr.io (the tests point it at a local server).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/tokenwell/tokenwell/bindings-go"
	"golang.org/x/oauth2"
)

func main() {
	client, err := tokenwell.New(tokenwell.Config{
		Preset:           "butlr",
		BaseURL:          os.Getenv("BUTLR_BASE_URL"),
		ClientID:         os.Getenv("BUTLR_CLIENT_ID"),
		ClientSecretFrom: &tokenwell.SecretRef{Env: "BUTLR_CLIENT_SECRET"}, // read when needed
	})
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	defer client.Close()

	ctx := context.Background()
	token, err := client.Token(ctx)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("token type %s, expires %s\n", token.TokenType, token.Expiry.Format("15:04:05"))

	if len(os.Args) > 1 {
		res, err := oauth2.NewClient(ctx, client.TokenSource()).Get(os.Args[1])
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		fmt.Println(res.Status, string(body))
	}
}
