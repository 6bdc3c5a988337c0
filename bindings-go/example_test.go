package tokenwell_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tokenwell/tokenwell/bindings-go"
	"golang.org/x/oauth2"
)

// Client credentials against a provider preset; API calls through golang.org/x/oauth2.
func Example() {
	c, err := tokenwell.New(tokenwell.Config{
		Preset:       "butlr",
		ClientID:     os.Getenv("BUTLR_CLIENT_ID"),
		ClientSecret: os.Getenv("BUTLR_CLIENT_SECRET"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	ctx := context.Background()
	httpClient := oauth2.NewClient(ctx, c.TokenSource()) // every request carries a valid token
	res, err := httpClient.Get("https://api.butlr.io/api/v3/sensors")
	var te *tokenwell.Error
	switch {
	case errors.Is(err, tokenwell.ErrOAuth) && errors.As(err, &te):
		fmt.Println("the server refused the credentials:", te.OAuthError, te.ErrorDescription)
	case err != nil:
		fmt.Println(err)
	default:
		res.Body.Close()
	}
}
