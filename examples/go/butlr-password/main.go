// The Butlr document's "OAuth 2.0 Password Grant" Go example, with tokenwell: the login at
// /api/v2/login (JSON with only username and password) happens once, the token is cached and
// renewed, and API calls carry it.
//
//	BUTLR_EMAIL=you@example.com BUTLR_PASSWORD=… go run ./butlr-password [API_URL]
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
		Preset:   "butlr",
		BaseURL:  os.Getenv("BUTLR_BASE_URL"), // empty: the preset's https://api.butlr.io
		Grant:    "password",
		Username: os.Getenv("BUTLR_EMAIL"),
		Password: os.Getenv("BUTLR_PASSWORD"),
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
	fmt.Printf("token type %s, expires %s, scope %q\n", token.TokenType, token.Expiry.Format("15:04:05"), token.Scope)

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
