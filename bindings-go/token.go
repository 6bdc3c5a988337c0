package tokenwell

// #include <tokenwell.h>
import "C"

import (
	"encoding/json"
	"fmt"
	"time"
)

// Token is an access token with what the server said about it. Read the token through its
// fields; printing it (String, %v, %+v, %#v) never shows the token values.
type Token struct {
	AccessToken string
	// TokenType is "Bearer" (normalised from any case) or the server's other type.
	TokenType string
	Expiry    time.Time
	// RefreshToken is empty when none was issued; RefreshExpiry is zero when the server did
	// not say when it expires.
	RefreshToken  string
	RefreshExpiry time.Time
	Scope         string
	IDToken       string
	// Extra holds the answer's other fields.
	Extra map[string]any
}

// Authorization is the header value: "Bearer <access token>".
func (t *Token) Authorization() string { return t.TokenType + " " + t.AccessToken }

// String redacts the token values.
func (t *Token) String() string {
	keys := make([]string, 0, len(t.Extra))
	for k := range t.Extra {
		keys = append(keys, k)
	}
	return fmt.Sprintf("tokenwell.Token{TokenType: %q, AccessToken: [redacted], Expiry: %s, RefreshToken: %s, Scope: %q, IDToken: %s, Extra: %v}",
		t.TokenType, t.Expiry.Format(time.RFC3339), redacted(t.RefreshToken), t.Scope, redacted(t.IDToken), keys)
}

// GoString keeps %#v as redacted as String.
func (t *Token) GoString() string { return t.String() }

// Format makes every verb (%v, %+v, %s, %#v) print the redacted form.
func (t *Token) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(t.String())) }

func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "[redacted]"
}

// takeToken converts and frees a tw_token.
func takeToken(t *C.tw_token) *Token {
	defer C.tw_token_free(t)
	tok := &Token{
		AccessToken:  goString(C.tw_token_access_token(t)),
		TokenType:    goString(C.tw_token_token_type(t)),
		Expiry:       time.Unix(int64(C.tw_token_expires_at(t)), 0),
		RefreshToken: goString(C.tw_token_refresh_token(t)),
		Scope:        goString(C.tw_token_scope(t)),
		IDToken:      goString(C.tw_token_id_token(t)),
	}
	if r := int64(C.tw_token_refresh_expires_at(t)); r != 0 {
		tok.RefreshExpiry = time.Unix(r, 0)
	}
	if extra := goString(C.tw_token_extra_json(t)); extra != "" && extra != "{}" {
		_ = json.Unmarshal([]byte(extra), &tok.Extra)
	}
	return tok
}
