package tokenwell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The Butlr document's two Go flows (examples/go runs them as programs too).
func TestButlrPasswordFlow(t *testing.T) {
	base := namespace(t, "go-butlr-password", nil)
	c, err := New(Config{Preset: "butlr", BaseURL: base, Grant: "password", Username: "user@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("Butlr's password login answers access, refresh and id tokens: %v", tok)
	}
	var records []map[string]any
	call(t, "go-butlr-password", "/_requests", nil, &records)
	if len(records) != 1 || records[0]["path"] != "/api/v2/login" {
		t.Fatalf("one request to /api/v2/login expected: %v", records)
	}
	body, _ := json.Marshal(records[0]["json"])
	if string(body) != `{"password":"correct horse","username":"user@example.com"}` {
		t.Fatalf("the login body must hold only username and password, got %s", body)
	}
	if again, _ := c.Token(context.Background()); again.AccessToken != tok.AccessToken || requestCount(t, "go-butlr-password") != 1 {
		t.Fatal("a second call must reuse the cached token")
	}
}

func TestButlrClientCredentialsFlow(t *testing.T) {
	base := namespace(t, "go-butlr-cc", nil)
	c, err := New(Config{Preset: "butlr", BaseURL: base, ClientID: "butlr-client", ClientSecret: "butlr-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	var records []map[string]any
	call(t, "go-butlr-cc", "/_requests", nil, &records)
	want := map[string]any{"client_id": "butlr-client", "client_secret": "butlr-secret",
		"audience": "https://butlrauth/", "grant_type": "client_credentials"}
	if len(records) != 1 || records[0]["path"] != "/api/v2/clients/login" || !matches(want, records[0]["json"]) {
		t.Fatalf("one JSON request to /api/v2/clients/login with %v expected: %v", want, records)
	}
}

func TestThousandGoroutinesOneRequest(t *testing.T) {
	base := namespace(t, "go-1000", map[string]any{"delay_ms": 300})
	c, err := New(Config{TokenURL: base + "/token", ClientID: "app", ClientSecret: "app-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 1000
	tokens := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tok, err := c.Token(ctx)
			errs[i] = err
			if err == nil {
				tokens[i] = tok.AccessToken
			}
		}(i)
	}
	close(start)
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] != tokens[0] {
			t.Fatalf("goroutine %d: %v (token equal: %v)", i, errs[i], tokens[i] == tokens[0])
		}
	}
	if got := requestCount(t, "go-1000"); got != 1 {
		t.Fatalf("1000 goroutines on a cold client sent %d requests, want 1", got)
	}
}

func TestOAuth2NewClientRoundTrip(t *testing.T) {
	base := namespace(t, "go-oauth2", nil)
	c, err := New(Config{TokenURL: base + "/token", ClientID: "app", ClientSecret: "app-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var _ oauth2.TokenSource = c.TokenSource()
	httpClient := oauth2.NewClient(context.Background(), c.TokenSource())
	for i := 0; i < 3; i++ {
		resp, err := httpClient.Get(base + "/resource")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok":true`) {
			t.Fatalf("/resource answered %d: %s", resp.StatusCode, body)
		}
	}
	if got := requestCount(t, "go-oauth2"); got != 1 {
		t.Fatalf("three API calls fetched %d tokens, want 1", got)
	}
	src, _ := c.TokenSource().Token()
	if src.Extra("scope") == nil && src.AccessToken == "" {
		t.Fatal("the oauth2 token carries the access token")
	}
}

func TestContextDeadlineAndCancel(t *testing.T) {
	base := namespace(t, "go-ctx", map[string]any{"delay_ms": 1500})
	c, err := New(Config{TokenURL: base + "/token", ClientID: "app", ClientSecret: "app-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	if _, err := c.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want context.DeadlineExceeded, got %v", err)
	}
	if waited := time.Since(began); waited > time.Second {
		t.Fatalf("Token waited %v past a 100 ms deadline", waited)
	}
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := c.Token(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	// The renewal the abandoned call started goes on and serves the next caller.
	tok, err := c.Token(context.Background())
	if err != nil || tok.AccessToken == "" {
		t.Fatal(err)
	}
	if got := requestCount(t, "go-ctx"); got != 1 {
		t.Fatalf("%d token requests, want 1 (the abandoned call's renewal is shared)", got)
	}
}

func TestCachedInvalidateClose(t *testing.T) {
	base := namespace(t, "go-cache", nil)
	c, err := New(Config{TokenURL: base + "/token", ClientID: "app", ClientSecret: "app-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Cached() != nil {
		t.Fatal("a cold client has no cached token")
	}
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cached := c.Cached(); cached == nil || cached.AccessToken != tok.AccessToken {
		t.Fatal("Cached returns the token just fetched")
	}
	if d := time.Until(tok.Expiry); d < 290*time.Second || d > 301*time.Second {
		t.Fatalf("Expiry in %v, want ~300 s", d)
	}
	c.Invalidate()
	if c.Cached() != nil {
		t.Fatal("Invalidate drops the cached token")
	}
	renewed, err := c.Token(context.Background())
	if err != nil || renewed.AccessToken == tok.AccessToken {
		t.Fatalf("a new token after Invalidate: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.Close() // twice is harmless
	if _, err := c.Token(context.Background()); !errors.Is(err, ErrInternal) {
		t.Fatalf("Token on a closed client: %v", err)
	}
}

func TestErrors(t *testing.T) {
	_, err := New(Config{TokenURL: "https://sso.example.com/token", Grant: "password", ClientID: "app", Password: "Tw-go-pw-1"})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeConfig || e.Key != "username" || !errors.Is(err, ErrConfig) || errors.Is(err, ErrOAuth) {
		t.Fatalf("password grant without username: %#v", err)
	}
	base := namespace(t, "go-oauth-error", nil)
	c, err := New(Config{Preset: "keycloak", BaseURL: base, Realm: "r", Grant: "password", ClientID: "app",
		ClientSecret: "app-secret", Username: "alice", Password: "Tw-go-wrong-pw-2", Retries: Int(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Token(context.Background())
	if !errors.As(err, &e) || !errors.Is(err, ErrOAuth) || e.Status != 400 || e.OAuthError != "invalid_grant" ||
		e.ErrorDescription != "Invalid user credentials" {
		t.Fatalf("wrong password: %#v", err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), "Tw-go-wrong-pw-2") {
		t.Fatal("the password shows in the error")
	}
	// Both a value and a reference for one secret is a configuration error.
	_, err = New(Config{TokenURL: base + "/token", ClientSecret: "x", ClientSecretFrom: &SecretRef{Env: "X"}})
	if !errors.As(err, &e) || e.Code != CodeConfig || e.Key != "client_secret" {
		t.Fatalf("value and reference: %v", err)
	}
}

func TestConfigJSON(t *testing.T) {
	cfg := Config{Preset: "phasetwo", Realm: "demo", Leeway: Duration(1500 * time.Millisecond), RefreshAhead: Duration(0),
		SendGrantType: Bool(false), Retries: Int(0), PasswordFrom: &SecretRef{Env: "PW"}, Extra: map[string]string{"a": "b"}}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	want := map[string]any{"preset": "phasetwo", "realm": "demo", "leeway": 1.5, "refresh_ahead": 0.0,
		"send_grant_type": false, "retries": 0.0, "password": map[string]any{"env": "PW"}, "extra": map[string]any{"a": "b"}}
	if !matches(want, m) {
		t.Fatalf("Config JSON is %s", data)
	}
	var back Config
	if err := json.Unmarshal(data, &back); err != nil || *back.Leeway != 1500*time.Millisecond || back.PasswordFrom.Env != "PW" {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	// Unknown keys survive decoding and are reported by New with a suggestion.
	_ = json.Unmarshal([]byte(`{"token_url":"https://x.example/token","client_secrte":"s"}`), &back)
	_, err = New(back)
	var e *Error
	if !errors.As(err, &e) || e.Key != "client_secrte" || !strings.Contains(e.Message, "client_secret") {
		t.Fatalf("unknown key: %v", err)
	}
}

// Every field goes through MarshalJSON (written out by hand, without reflection) and back,
// strings with quotes, backslashes, control characters and non-ASCII text included.
func TestConfigJSONEveryField(t *testing.T) {
	odd := "q\"b\\c\x01\n\t<&>é€😀\u2028"
	cfg := Config{TokenURL: "https://idp.example/t?a=1&b=" + odd, Issuer: "i" + odd, Preset: "p", BaseURL: "b", Realm: "r",
		Tenant: "t", Grant: "password", ClientID: "id" + odd, ClientSecret: "cs" + odd, Username: "u", Password: "pw" + odd,
		RefreshToken: "rt", Scope: "a b", Audience: "aud", Resource: "res", Extra: map[string]string{"z": "1", "a" + odd: odd},
		ClientAuth: "basic", Body: "json", SendGrantType: Bool(true), UseRefreshToken: Bool(false), Leeway: Duration(90 * time.Second),
		RefreshAhead: Duration(0), ErrorBackoff: Duration(250 * time.Millisecond), DefaultLifetime: Duration(time.Hour),
		Timeout: Duration(1500 * time.Millisecond), ConnectTimeout: Duration(2 * time.Second), Retries: Int(3), CAFile: "/ca.pem",
		Proxy: "http://proxy:3128", AllowHTTP: true, Headers: map[string]string{"X-B": "2", "X-A": odd}, Cache: "file:/tmp/x",
		CacheKey: "k", CacheSecret: "s"}
	// Every field with a JSON key is set above: a field added to Config and missed by
	// MarshalJSON fails here instead of round-tripping as zero on both sides.
	typ, val := reflect.TypeOf(cfg), reflect.ValueOf(cfg)
	for i := 0; i < typ.NumField(); i++ {
		if f := typ.Field(i); f.IsExported() && f.Tag.Get("json") != "-" && val.Field(i).IsZero() {
			t.Fatalf("TestConfigJSONEveryField does not set Config.%s", f.Name)
		}
	}
	data, err := cfg.MarshalJSON()
	if err != nil || !json.Valid(data) {
		t.Fatalf("MarshalJSON: %v, valid %v: %s", err, json.Valid(data), data)
	}
	var back Config
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, cfg) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, back, cfg)
	}
	if data, _ := (Config{}).MarshalJSON(); string(data) != "{}" {
		t.Fatalf("empty Config: %s", data)
	}
	// Bytes that are not UTF-8 become U+FFFD, as encoding/json writes them.
	data, _ = Config{Realm: "a\xffb"}.MarshalJSON()
	if string(data) != `{"realm":"a\ufffdb"}` {
		t.Fatalf("invalid UTF-8: %s", data)
	}
}

// A Config printed with any verb (a log line, a panic message, a test failure) shows no secret.
func TestConfigPrintsNoSecret(t *testing.T) {
	secrets := []string{"Tw-go-cs-Q7v", "Tw-go-pw-K3m", "Tw-go-rt-Zr2", "Tw-go-cache-P4n", "Tw-go-hdr-W8x", "Tw-go-extra-M5t",
		"Tw-go-redis-R3d", "Tw-go-proxy-X1y", "Tw-go-query-Q2w"}
	var cfg Config
	// A misspelled key is kept for New to report: its value may be a secret too.
	if err := json.Unmarshal([]byte(`{"token_url":"https://idp.example/token","clientSecret":"Tw-go-misspelled-J9q"}`), &cfg); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, "Tw-go-misspelled-J9q")
	cfg.ClientID, cfg.ClientSecret, cfg.Password, cfg.RefreshToken, cfg.CacheSecret = "app", secrets[0], secrets[1], secrets[2], secrets[3]
	cfg.Headers, cfg.Extra = map[string]string{"X-Api-Key": secrets[4]}, map[string]string{"client_assertion": secrets[5]}
	cfg.Cache, cfg.Proxy = "redis://:"+secrets[6]+"@127.0.0.1:6379/0", "http://user:"+secrets[7]+"@proxy.example:3128"
	cfg.Issuer = "https://idp.example/realms/r?key=" + secrets[8]
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{cfg, &cfg} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Fatalf("%s of a Config shows a secret: %s", verb, out)
				}
			}
			if !strings.Contains(out, "[redacted]") || !strings.Contains(out, "idp.example") {
				t.Fatalf("%s of a Config: %s", verb, out)
			}
		}
	}
}

// The warm path hands out the token without a cgo call, and still sees a renewal or an
// invalidation made through another client of the same configuration (the shared generation).
func TestWarmMirrorSeesOtherClients(t *testing.T) {
	base := namespace(t, "go-mirror", nil)
	cfg := Config{TokenURL: base + "/token", ClientID: "app", ClientSecret: "app-secret"}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	first, err := a.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	second, _ := a.Token(context.Background())
	third, _ := a.Token(context.Background())
	if third != second || second.AccessToken != first.AccessToken {
		t.Fatal("warm calls return the same *Token")
	}
	b.Invalidate()
	renewed, err := a.Token(context.Background())
	if err != nil || renewed.AccessToken == first.AccessToken {
		t.Fatalf("the mirror noticed the other client's invalidation: %v", err)
	}
	if n := requestCount(t, "go-mirror"); n != 2 {
		t.Fatalf("server saw %d requests, want 2", n)
	}
	a.Close()
	if _, err := a.Token(context.Background()); err == nil {
		t.Fatal("a closed client answers an error, not its last token")
	}
}

// BenchmarkWarmToken: a warm Token(ctx) (compare: golang.org/x/oauth2's ReuseTokenSource).
func BenchmarkWarmToken(b *testing.B) {
	base := namespace(b, "go-bench", nil)
	c, err := New(Config{TokenURL: base + "/token", ClientID: "app", ClientSecret: "app-secret"})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
