//go:build keycloak

// Conformance against a real Keycloak (tests/idp): the rows of core/tests/keycloak.rs, through
// the Go API, with Keycloak's own event log as the witness of what went out. Built with `-tags
// keycloak` and skipped unless TOKENWELL_KEYCLOAK_URL is set: `make test-keycloak-go` (part of
// `make test`, which starts Keycloak once for every language's suite) runs it with -v for its table.

package tokenwell

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fixtures of tests/idp/keycloak/realms/*.json.
const (
	kcBinarly       = "BinarlyRealm"
	kcPhaseTwo      = "test-realm"
	kcAlice         = "alice@example.com"
	kcAlicePassword = "tw-alice-Pa55word!"
	kcBob           = "bob@example.com"
	kcCarol         = "carol@example.com"
	kcCarolPassword = "tw-carol-Pa55word!"
	kcDave          = "dave@example.com"
	kcDavePassword  = "tw-dave-Pa55word!"
	kcM2M           = "ci-cd-automation"
	kcM2MSecret     = "tw-m2m-Secret+with/special:chars%20"
	kcObserver      = "test-observer"
	kcObserverSec   = "tw-observer-secret"
	kcP2Secret      = "fd649804-3a74-4d69-acaa-8f065c6b7da1"
	kcP2User        = "uname@foo.com"
	kcP2Password    = "pwd123AZY"
	kcWrongPassword = "tw-wrong-Pa55word-0xBAD"
	kcWrongSecret   = "tw-wrong-client-secret-0xBAD"
)

var kcSecrets = []string{kcAlicePassword, kcCarolPassword, kcDavePassword, kcM2MSecret, kcObserverSec, kcP2Secret,
	kcP2Password, kcWrongPassword, kcWrongSecret}

// kc is the Keycloak under test; a failed row panics with its reason (the table reports it).
type kc struct{ url string }

func (k kc) fail(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func (k kc) check(ok bool, format string, args ...any) {
	if !ok {
		k.fail(format, args...)
	}
}

// client is a client on its own cache key: rows never share a cached token or an error backoff.
func (k kc) client(key string, c Config) *Client {
	c.CacheKey = "kc-go-" + key
	cl, err := New(c)
	k.check(err == nil, "New: %v", err)
	return cl
}

func (k kc) token(c *Client) *Token {
	t, err := c.Token(context.Background())
	k.check(err == nil, "Token: %v", err)
	k.check(!strings.Contains(fmt.Sprintf("%v %+v %#v %s", t, t, t, t), t.AccessToken), "printing a token shows it")
	return t
}

func (k kc) oauthError(c *Client) *Error {
	_, err := c.Token(context.Background())
	var e *Error
	k.check(errors.As(err, &e) && e.Code == CodeOAuth && errors.Is(err, ErrOAuth), "an oauth error expected, got %v", err)
	shown := fmt.Sprintf("%v %+v %#v", e, e, e)
	for _, s := range kcSecrets {
		k.check(!strings.Contains(shown, s), "an error shows a secret: %s", shown)
	}
	return e
}

func kcClaims(jwt string) map[string]any {
	parts := strings.Split(jwt, ".")
	out := map[string]any{}
	if len(parts) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			_ = json.Unmarshal(raw, &out)
		}
	}
	return out
}

func kcNum(v any) float64 { f, _ := v.(float64); return f }

func nowMs() int64 { return time.Now().UnixMilli() }

func (k kc) events(realm, clientID string, since int64) []map[string]any {
	obs := k.client("observer-"+realm, Config{Preset: "keycloak", BaseURL: k.url, Realm: realm, ClientID: kcObserver,
		ClientSecret: kcObserverSec})
	defer obs.Close()
	req, _ := http.NewRequest("GET", k.url+"/admin/realms/"+realm+"/events?max=1000&client="+url.QueryEscape(clientID), nil)
	req.Header.Set("Authorization", k.token(obs).Authorization())
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	k.check(err == nil && res.StatusCode == 200, "events API: %v", err)
	defer res.Body.Close()
	var all []map[string]any
	k.check(json.NewDecoder(res.Body).Decode(&all) == nil, "events JSON")
	var recent []map[string]any
	for i := len(all) - 1; i >= 0; i-- {
		if int64(kcNum(all[i]["time"])) >= since {
			recent = append(recent, all[i])
		}
	}
	return recent
}

// eventsUntil waits (at most 5 s) until done holds: Keycloak may store an event just after answering.
func (k kc) eventsUntil(realm, clientID string, since int64, done func([]map[string]any) bool) []map[string]any {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev := k.events(realm, clientID, since)
		if done(ev) || time.Now().After(deadline) {
			return ev
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kcCount counts events of kind of user who (a username or a user id; any user when empty).
func kcCount(ev []map[string]any, kind, who string) int {
	n := 0
	for _, e := range ev {
		details, _ := e["details"].(map[string]any)
		if e["type"] == kind && (who == "" || details["username"] == who || e["userId"] == who) {
			n++
		}
	}
	return n
}

func (k kc) userinfo(realm, token string) int {
	req, _ := http.NewRequest("GET", k.url+"/realms/"+realm+"/protocol/openid-connect/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func summary(e *Error) string {
	return fmt.Sprintf("oauth %s, status %d, %q", e.OAuthError, e.Status, e.ErrorDescription)
}

// --- rows -----------------------------------------------------------------------------------

func (k kc) passwordGrantOpenid() string {
	c := k.client("password-openid", Config{TokenURL: k.url + "/realms/" + kcBinarly + "/protocol/openid-connect/token",
		Grant: "password", ClientID: "BinarlyClient", Scope: "openid", Username: kcAlice, Password: kcAlicePassword})
	defer c.Close()
	t := k.token(c)
	claims := kcClaims(t.AccessToken)
	k.check(absDiff(float64(t.Expiry.Unix()), kcNum(claims["exp"])) <= 2, "Expiry %v vs JWT exp %v", t.Expiry, claims["exp"])
	left := time.Until(t.Expiry).Seconds()
	k.check(left >= 1790 && left <= 1800, "expires in %.0f s", left)
	k.check(t.TokenType == "Bearer" && t.Authorization() == "Bearer "+t.AccessToken, "token type %q", t.TokenType)
	k.check(claims["azp"] == "BinarlyClient" && claims["preferred_username"] == kcAlice, "claims %v", claims)
	k.check(slices.Contains(strings.Fields(t.Scope), "openid"), "scope %q", t.Scope)
	k.check(kcClaims(t.IDToken)["iss"] != nil, "an ID token comes with scope=openid")
	k.check(k.token(c).AccessToken == t.AccessToken, "the second call is answered from the cache")
	return fmt.Sprintf("expires in %.0f s (JWT exp matches), scope %q, ID token", left, t.Scope)
}

func (k kc) refresh() string {
	c := k.client("refresh", Config{Preset: "binarly", BaseURL: k.url, Grant: "password", Username: kcAlice, Password: kcAlicePassword})
	defer c.Close()
	since := nowMs()
	a := k.token(c)
	c.Invalidate() // what a resource server's 401 leads to: the access token goes, the refresh token stays
	k.check(c.Cached() == nil, "Cached after Invalidate")
	b := k.token(c)
	k.check(a.AccessToken != b.AccessToken && b.RefreshToken != "", "a new token")
	k.check(kcClaims(a.AccessToken)["sid"] == kcClaims(b.AccessToken)["sid"], "same session: refreshed")
	sub, _ := kcClaims(a.AccessToken)["sub"].(string)
	ev := k.eventsUntil(kcBinarly, "BinarlyClient", since, func(e []map[string]any) bool { return kcCount(e, "REFRESH_TOKEN", sub) >= 1 })
	k.check(kcCount(ev, "LOGIN", sub) == 1 && kcCount(ev, "REFRESH_TOKEN", sub) == 1, "events %v", ev)
	return "Invalidate() → one refresh_token grant, same session"
}

func (k kc) refreshExpiresIn() string {
	// The clock-jump half of the Rust row needs an injected clock, which only the Rust API has.
	c := k.client("refresh-expiry", Config{Preset: "keycloak", BaseURL: k.url, Realm: kcBinarly, Grant: "password",
		ClientID: "BinarlyClient", Scope: "openid", Username: kcAlice, Password: kcAlicePassword})
	defer c.Close()
	t := k.token(c)
	k.check(t.RefreshToken != "" && !t.RefreshExpiry.IsZero(), "a refresh token and its expiry")
	exp := kcNum(kcClaims(t.RefreshToken)["exp"])
	k.check(absDiff(float64(t.RefreshExpiry.Unix()), exp) <= 2, "RefreshExpiry %v vs refresh JWT exp %v", t.RefreshExpiry, exp)
	return fmt.Sprintf("RefreshExpiry = the refresh JWT's exp (%.0f s left)", time.Until(t.RefreshExpiry).Seconds())
}

func (k kc) clientCredentials(basic bool) func() string {
	return func() string {
		// Doc 002's M2M client; its secret's `+ / : %20` make only a correctly encoded Basic header work.
		cfg := Config{Preset: "keycloak", BaseURL: k.url, Realm: kcBinarly, ClientID: kcM2M, ClientSecret: kcM2MSecret}
		key, where := "cc-post", "the body"
		if basic {
			cfg.ClientAuth, key, where = "basic", "cc-basic", "HTTP Basic"
		}
		c := k.client(key, cfg)
		defer c.Close()
		since := nowMs()
		t := k.token(c)
		left := time.Until(t.Expiry).Seconds()
		k.check(kcClaims(t.AccessToken)["azp"] == kcM2M && t.RefreshToken == "" && left >= 1790, "token %v", t)
		ev := k.eventsUntil(kcBinarly, kcM2M, since, func(e []map[string]any) bool { return kcCount(e, "CLIENT_LOGIN", "") >= 1 })
		k.check(kcCount(ev, "CLIENT_LOGIN", "") == 1, "events %v", ev)
		return fmt.Sprintf("secret in %s: %.0f s token, no refresh token", where, left)
	}
}

func (k kc) singleFlight() string {
	cfg := Config{Preset: "keycloak", BaseURL: k.url, Realm: kcBinarly, ClientID: kcM2M, ClientSecret: kcM2MSecret}
	since := nowMs()
	shared := k.client("single-flight", cfg)
	defer shared.Close()
	var wg sync.WaitGroup
	tokens := make([]string, 16)
	start := make(chan struct{})
	for i := range tokens {
		c := shared
		if i%2 == 1 {
			c = k.client("single-flight", cfg)
			defer c.Close()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if t, err := c.Token(context.Background()); err == nil {
				tokens[i] = t.AccessToken
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, t := range tokens {
		k.check(t != "" && t == tokens[0], "one token for all 16 goroutines")
	}
	k.eventsUntil(kcBinarly, kcM2M, since, func(e []map[string]any) bool { return kcCount(e, "CLIENT_LOGIN", "") >= 1 })
	time.Sleep(300 * time.Millisecond) // a stray second request would show by now
	k.check(kcCount(k.events(kcBinarly, kcM2M, since), "CLIENT_LOGIN", "") == 1, "Keycloak saw one token request")
	return "16 goroutines (8 clients) → 1 request to Keycloak"
}

func (k kc) wrongPassword() string {
	c := k.client("wrong-password", Config{Preset: "binarly", BaseURL: k.url, Grant: "password", Username: kcBob, Password: kcWrongPassword})
	defer c.Close()
	e := k.oauthError(c)
	// Keycloak 26 answers 400 (RFC 6749 §5.2); Keycloak before 24 and the test server's dialect 401.
	k.check(e.OAuthError == "invalid_grant" && e.Status == 400 && e.ErrorDescription == "Invalid user credentials", "%s", summary(e))
	return summary(e)
}

func (k kc) wrongClientSecret() string {
	c := k.client("wrong-secret", Config{Preset: "keycloak", BaseURL: k.url, Realm: kcBinarly, ClientID: kcM2M, ClientSecret: kcWrongSecret})
	defer c.Close()
	e := k.oauthError(c)
	k.check(e.OAuthError == "unauthorized_client" && e.Status == 401, "%s", summary(e)) // Keycloak 26: not invalid_client
	return summary(e)
}

func (k kc) directGrantsDisabled() string {
	// Doc 002 has "Direct access grants" unchecked on the M2M client.
	c := k.client("no-direct-grants", Config{Preset: "keycloak", BaseURL: k.url, Realm: kcBinarly, Grant: "password",
		ClientID: kcM2M, ClientSecret: kcM2MSecret, Username: kcAlice, Password: kcAlicePassword})
	defer c.Close()
	e := k.oauthError(c)
	k.check(e.OAuthError == "unauthorized_client" && e.Status == 400, "%s", summary(e))
	return summary(e)
}

func (k kc) discovery() string {
	issuer := k.url + "/realms/" + kcBinarly
	c := k.client("discovery", Config{Issuer: issuer, ClientID: kcM2M, ClientSecret: kcM2MSecret})
	defer c.Close()
	claims := kcClaims(k.token(c).AccessToken)
	k.check(claims["iss"] == issuer && claims["azp"] == kcM2M, "claims %v", claims)
	return "issuer → .well-known → token endpoint → token"
}

func (k kc) presetBinarly() string {
	c := k.client("preset-binarly", Config{Preset: "binarly", BaseURL: k.url, Grant: "password", Username: kcAlice, Password: kcAlicePassword})
	defer c.Close()
	t := k.token(c)
	k.check(kcClaims(t.AccessToken)["azp"] == "BinarlyClient" && slices.Contains(strings.Fields(t.Scope), "openid"), "token %v", t)
	return fmt.Sprintf("BinarlyRealm, BinarlyClient, scope %q", t.Scope)
}

func (k kc) presetPhaseTwoCC() string {
	c := k.client("preset-phasetwo-cc", Config{Preset: "phasetwo", BaseURL: k.url, Realm: kcPhaseTwo, ClientID: "admin-cli", ClientSecret: kcP2Secret})
	defer c.Close()
	t := k.token(c)
	left := time.Until(t.Expiry).Seconds()
	k.check(kcClaims(t.AccessToken)["azp"] == "admin-cli" && t.TokenType == "Bearer" && left >= 55 && left <= 60, "token %v", t)
	return fmt.Sprintf("admin-cli, %.0f s token", left)
}

func (k kc) presetPhaseTwoPassword() string {
	c := k.client("preset-phasetwo-password", Config{Preset: "phasetwo", BaseURL: k.url, Realm: kcPhaseTwo, Grant: "password",
		ClientID: "public-cli", Username: kcP2User, Password: kcP2Password})
	defer c.Close()
	t := k.token(c)
	k.check(kcClaims(t.AccessToken)["azp"] == "public-cli" && t.RefreshToken != "", "token %v", t)
	return fmt.Sprintf("public-cli, %.0f s token + refresh token", time.Until(t.Expiry).Seconds())
}

func (k kc) errorBackoffProtects() string {
	// A retry loop with a wrong password (same client, and a new client each time): brute-force
	// detection would lock Carol; the error backoff re-raises the first answer.
	bad := Config{Preset: "binarly", BaseURL: k.url, Grant: "password", Username: kcCarol, Password: kcWrongPassword}
	since := nowMs()
	same := k.client("backoff-carol", bad)
	defer same.Close()
	for i := 0; i < 10; i++ {
		c := same
		if i%2 == 1 {
			c = k.client("backoff-carol", bad)
			defer c.Close()
		}
		k.check(k.oauthError(c).OAuthError == "invalid_grant", "invalid_grant expected")
	}
	good := k.client("backoff-carol-right", Config{Preset: "binarly", BaseURL: k.url, Grant: "password", Username: kcCarol, Password: kcCarolPassword})
	defer good.Close()
	k.token(good)
	ev := k.eventsUntil(kcBinarly, "BinarlyClient", since, func(e []map[string]any) bool { return kcCount(e, "LOGIN", kcCarol) >= 1 })
	k.check(kcCount(ev, "LOGIN_ERROR", kcCarol) == 1, "Keycloak saw one failed login: %v", ev)
	return "10 failing calls → 1 failed login at Keycloak; the account stays usable"
}

func (k kc) noErrorBackoffLocks() string {
	bad := Config{Preset: "binarly", BaseURL: k.url, Grant: "password", ErrorBackoff: Duration(0), Username: kcDave, Password: kcWrongPassword}
	since := nowMs()
	c := k.client("no-backoff-dave", bad)
	defer c.Close()
	k.oauthError(c)
	k.oauthError(c)
	good := k.client("no-backoff-dave-right", Config{Preset: "binarly", BaseURL: k.url, Grant: "password", ErrorBackoff: Duration(0),
		Username: kcDave, Password: kcDavePassword})
	defer good.Close()
	k.check(k.oauthError(good).OAuthError == "invalid_grant", "locked: the right password is refused too")
	locked := func(ev []map[string]any) bool {
		for _, e := range ev {
			if e["error"] == "user_temporarily_disabled" {
				return true
			}
		}
		return false
	}
	ev := k.eventsUntil(kcBinarly, "BinarlyClient", since, locked)
	k.check(kcCount(ev, "LOGIN_ERROR", kcDave) >= 3 && locked(ev), "events %v", ev)
	return "2 failing calls → the account is locked (user_temporarily_disabled)"
}

func (k kc) renewal60s(password bool) func() string {
	return func() string {
		// Real time: R at 30 s, refresh-ahead from 22.5 s. Every token handed out must have > 25 s
		// left, and Keycloak must still accept the old token when its successor arrives.
		cfg := Config{Preset: "phasetwo", BaseURL: k.url, Realm: kcPhaseTwo, Scope: "openid", ClientID: "admin-cli", ClientSecret: kcP2Secret}
		key := "renewal-60s-cc"
		if password {
			cfg = Config{Preset: "phasetwo", BaseURL: k.url, Realm: kcPhaseTwo, Grant: "password", ClientID: "public-cli",
				Scope: "openid", Username: kcP2User, Password: kcP2Password}
			key = "renewal-60s-password"
		}
		c := k.client(key, cfg)
		defer c.Close()
		start := time.Now()
		current := k.token(c)
		claims := kcClaims(current.AccessToken)
		lifetime := kcNum(claims["exp"]) - kcNum(claims["iat"])
		k.check(lifetime >= 59 && lifetime <= 61, "test-realm issues 60 s tokens (exp − iat = %v)", lifetime)
		calls, slowest := 0, time.Duration(0)
		for time.Since(start) < 45*time.Second {
			time.Sleep(200 * time.Millisecond)
			asked := time.Now()
			t := k.token(c)
			slowest = max(slowest, time.Since(asked))
			calls++
			k.check(time.Until(t.Expiry) > 25*time.Second, "a caller got a token with %v left", time.Until(t.Expiry))
			if t.AccessToken == current.AccessToken {
				continue
			}
			renewedAt := time.Since(start).Seconds()
			k.check(k.userinfo(kcPhaseTwo, current.AccessToken) == 200, "the replaced token still works")
			k.check(k.userinfo(kcPhaseTwo, t.AccessToken) == 200, "the new token works")
			how := "by client credentials"
			if password {
				k.check(current.RefreshToken != "", "a refresh token")
				k.check(kcClaims(t.AccessToken)["sid"] == claims["sid"], "renewed by refresh")
				how = "with the refresh token"
			} else {
				k.check(current.RefreshToken == "", "no refresh token")
			}
			return fmt.Sprintf("renewed %s at %.1f s of 60 (refresh-ahead); %d calls, none got < 25 s left, slowest %.1f ms",
				how, renewedAt, calls, float64(slowest.Microseconds())/1000)
		}
		k.fail("the 60 s token was not renewed within 45 s (%d calls)", calls)
		return ""
	}
}

func absDiff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

type kcRow struct {
	name string
	run  func() string
}

type kcOutcome struct {
	ok     bool
	detail string
}

func kcRun(row func() string) (out kcOutcome) {
	defer func() {
		if p := recover(); p != nil {
			out = kcOutcome{false, fmt.Sprint(p)}
			if _, ok := p.(string); !ok {
				out.detail += " " + string(debug.Stack())
			}
		}
	}()
	return kcOutcome{true, row()}
}

func TestKeycloakConformance(t *testing.T) {
	base := strings.TrimRight(os.Getenv("TOKENWELL_KEYCLOAK_URL"), "/")
	if base == "" {
		t.Skip("TOKENWELL_KEYCLOAK_URL is not set (make test starts Keycloak)")
	}
	k := kc{url: base}
	rows := []kcRow{
		{"password grant: BinarlyClient + scope=openid → JWT with exp", k.passwordGrantOpenid},
		{"refresh: invalidate() → refresh_token grant", k.refresh},
		{"refresh_expires_in honoured", k.refreshExpiresIn},
		{"client credentials, secret in the body (preset keycloak)", k.clientCredentials(false)},
		{"client credentials, client_auth = basic", k.clientCredentials(true)},
		{"single flight against Keycloak", k.singleFlight},
		{"wrong password → oauth invalid_grant", k.wrongPassword},
		{"wrong client secret → oauth unauthorized_client", k.wrongClientSecret},
		{"direct access grants disabled → unauthorized_client", k.directGrantsDisabled},
		{"discovery through issuer", k.discovery},
		{"preset binarly (base_url → local Keycloak)", k.presetBinarly},
		{"preset phasetwo: client credentials (admin-cli)", k.presetPhaseTwoCC},
		{"preset phasetwo: password grant (public client)", k.presetPhaseTwoPassword},
		{"error_backoff: retry loop → 1 failed login, no lockout", k.errorBackoffProtects},
		{"error_backoff = 0: same loop locks the account", k.noErrorBackoffLocks},
	}
	renewals := []kcRow{
		{"60 s token renewed, no caller holds an expired one", k.renewal60s(true)},
		{"60 s client-credentials token renewed", k.renewal60s(false)},
	}
	// The 60 s renewals take ~23 s of real time: they run beside the other rows (their own realm).
	done := make([]chan kcOutcome, len(renewals))
	for i, r := range renewals {
		done[i] = make(chan kcOutcome, 1)
		go func() { done[i] <- kcRun(r.run) }()
	}
	outcomes := make([]kcOutcome, 0, len(rows)+len(renewals))
	for _, r := range rows {
		outcomes = append(outcomes, kcRun(r.run))
	}
	for i := range renewals {
		select {
		case o := <-done[i]:
			outcomes = append(outcomes, o)
		case <-time.After(90 * time.Second):
			outcomes = append(outcomes, kcOutcome{false, "did not finish within 90 s"})
		}
	}
	all := append(rows, renewals...)
	width := 0
	for _, r := range all {
		width = max(width, len([]rune(r.name)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nKeycloak conformance (Go) against %s\n", base)
	failed := 0
	for i, r := range all {
		mark := "pass"
		if !outcomes[i].ok {
			mark, failed = "FAIL", failed+1
		}
		fmt.Fprintf(&b, "  %s%s  %s  %s\n", r.name, strings.Repeat(" ", width-len([]rune(r.name))), mark,
			strings.ReplaceAll(outcomes[i].detail, "\n", " "))
	}
	fmt.Fprintf(&b, "keycloak conformance: %d passed, %d failed\n", len(all)-failed, failed)
	// Straight to the terminal: `go test` shows t.Log only for failures or with -v.
	fmt.Fprintln(os.Stderr, b.String())
	if failed > 0 {
		t.Fatalf("%d Keycloak conformance row(s) failed (table above)", failed)
	}
}
