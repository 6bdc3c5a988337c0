package tokenwell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every case of tests/vectors (see its README), through this package's public API: the
// configuration is decoded into a Config, and each call is Client.Token.

type vector struct {
	stem        string
	Name        string            `json:"name"`
	Env         map[string]string `json:"env"`
	Files       map[string]string `json:"files"`
	Setup       map[string]any    `json:"setup"`
	Answers     []any             `json:"answers"`
	Config      map[string]any    `json:"config"`
	Calls       json.RawMessage   `json:"calls"`
	SettleMS    int               `json:"settle_ms"`
	TmpNoTokens bool              `json:"tmp_no_tokens"`
	Requests    []map[string]any  `json:"requests"`
	Expect      expectation       `json:"expect"`
	Secrets     []string          `json:"secrets"`
	// The fault matrix's additions (tests/faults/README.md).
	MaxMS int            `json:"max_ms"`
	Front map[string]any `json:"front"`
	calls []vcall
}

type vcall struct {
	SleepMS         int            `json:"sleep_ms"`
	NewClient       bool           `json:"new_client"`
	ConfigPatch     map[string]any `json:"config_patch"`
	Invalidate      bool           `json:"invalidate"`
	Parallel        int            `json:"parallel"`
	TokenVsPrevious string         `json:"token_vs_previous"`
	Expect          *expectation   `json:"expect"`
}

type expectation struct {
	Token map[string]any `json:"token"`
	Error map[string]any `json:"error"`
}

func loadVectors() []*vector { return loadCases("vectors") }

// loadCases reads every case of ../tests/DIR (vectors or faults: one format).
func loadCases(dir string) []*vector {
	files, _ := filepath.Glob(filepath.Join("..", "tests", dir, "*.json"))
	sort.Strings(files)
	var out []*vector
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v := &vector{stem: strings.TrimSuffix(filepath.Base(f), ".json")}
		if err := json.Unmarshal(data, v); err != nil {
			panic(fmt.Sprintf("%s: %v", f, err))
		}
		var n int
		if len(v.Calls) == 0 {
			n = 1
		} else if json.Unmarshal(v.Calls, &n) != nil {
			if err := json.Unmarshal(v.Calls, &v.calls); err != nil {
				panic(fmt.Sprintf("%s calls: %v", f, err))
			}
		}
		for i := 0; i < n; i++ {
			v.calls = append(v.calls, vcall{})
		}
		out = append(out, v)
	}
	return out
}

// subst applies expand to every string value at any depth.
func subst(v any, expand func(string) string) any {
	switch x := v.(type) {
	case string:
		return expand(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = subst(e, expand)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = subst(e, expand)
		}
		return out
	}
	return v
}

var httpDate = regexp.MustCompile(`\{http_date([+-][0-9]+)\}`)

// expander replaces {server} and {tmp}, and for the fault matrix its placeholders (vars: pairs)
// and {http_date±N}.
func expander(server, tmp string, fault bool, vars []string) func(string) string {
	r := strings.NewReplacer(append([]string{"{server}", server, "{tmp}", tmp}, vars...)...)
	return func(s string) string {
		s = r.Replace(s)
		if !fault {
			return s
		}
		return httpDate.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.Atoi(httpDate.FindStringSubmatch(m)[1])
			return time.Now().Add(time.Duration(n) * time.Second).UTC().Format(http.TimeFormat)
		})
	}
}

// build decodes the vector's JSON configuration into a Config, as a Go program would.
func build(config map[string]any) (*Client, error) {
	data, _ := json.Marshal(config)
	var cfg Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, err
	}
	return New(cfg)
}

func (v *vector) secretStrings() []string {
	var out []string
	for _, c := range append([]map[string]any{v.Config}, patches(v)...) {
		for _, k := range []string{"client_secret", "password", "refresh_token", "cache_secret"} {
			if s, ok := c[k].(string); ok {
				out = append(out, s)
			}
		}
	}
	for _, s := range v.Env {
		out = append(out, s)
	}
	for name, content := range v.Files {
		if !strings.HasSuffix(name, ".pem") {
			out = append(out, strings.TrimRight(content, " \t\r\n"))
		}
	}
	for _, a := range v.Answers {
		if j, ok := a.(map[string]any)["json"].(map[string]any); ok {
			for _, k := range []string{"access_token", "refresh_token", "id_token"} {
				if s, ok := j[k].(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	out = append(out, v.Secrets...)
	return out
}

func patches(v *vector) []map[string]any {
	var out []map[string]any
	for _, c := range v.calls {
		if c.ConfigPatch != nil {
			out = append(out, c.ConfigPatch)
		}
	}
	return out
}

func TestVectors(t *testing.T) {
	vectors := loadVectors()
	if len(vectors) == 0 {
		t.Fatal("no vectors found under ../tests/vectors")
	}
	for _, v := range vectors {
		v := v
		t.Run(v.stem, func(t *testing.T) {
			t.Parallel()
			for _, f := range runVector(t, v) {
				t.Errorf("%s: %s", v.Name, f)
			}
		})
	}
}

type outcome struct {
	tok *Token
	err error
	at  time.Time
}

// caseOpts are what the fault matrix adds to running a vector.
type caseOpts struct {
	fault   bool     // substitute `answers` too, and {http_date±N}
	vars    []string // more placeholder, value pairs ({front}, {front_ca})
	secrets []string // checked instead of the case's own secret strings
}

func runVector(t *testing.T, v *vector) []string {
	fails, _ := runCase(t, v, caseOpts{})
	return fails
}

// runCase runs one case; elapsed is the time from just before the client is built until the
// last call returned (0 when no call ran).
func runCase(t *testing.T, v *vector, opts caseOpts) (fails []string, elapsed time.Duration) {
	fail := func(format string, a ...any) { fails = append(fails, fmt.Sprintf(format, a...)) }
	server := root + "/t/" + v.stem
	tmp := t.TempDir()
	for name, content := range v.Files {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	expand := expander(server, tmp, opts.fault, opts.vars)
	config := subst(v.Config, expand).(map[string]any)
	call(t, v.stem, "/_reset", map[string]any{}, nil)
	if v.Setup != nil {
		call(t, v.stem, "/_control", v.Setup, nil)
	}
	if v.Answers != nil {
		answers := any(v.Answers)
		if opts.fault {
			answers = subst(v.Answers, expand)
		}
		call(t, v.stem, "/_script", map[string]any{"answers": answers}, nil)
	}
	secrets := v.secretStrings()
	if opts.secrets != nil {
		secrets = opts.secrets
	}
	started := time.Now()
	client, err := build(config)
	if code, _ := v.Expect.Error["code"].(string); code == "config" {
		if err == nil {
			client.Close()
			fail("construction succeeded, expected a config error")
		} else {
			checkError(err, v.Expect, secrets, "construction", fail)
		}
		checkRequests(t, v, fail)
		return
	}
	if err != nil {
		fail("construction failed: %v", err)
		return
	}
	defer func() {
		checkPrinted("the client", client, secrets, fail)
		client.Close()
	}()
	var prev string
	var seen []string
	for i, c := range v.calls {
		n := i + 1
		time.Sleep(time.Duration(c.SleepMS) * time.Millisecond)
		if n > 1 && (c.ConfigPatch != nil || c.NewClient) {
			cfg := map[string]any{}
			for k, x := range config {
				cfg[k] = x
			}
			for k, x := range subst(c.ConfigPatch, expand).(map[string]any) {
				cfg[k] = x
			}
			next, err := build(cfg)
			if err != nil {
				fail("call %d: building the new client failed: %v", n, err)
				return
			}
			checkPrinted("the client", client, secrets, fail)
			client.Close()
			client = next
		}
		if c.Invalidate {
			client.Invalidate()
		}
		exp := v.Expect
		if c.Expect != nil {
			exp = *c.Expect
		}
		parallel := max(c.Parallel, 1)
		results := make([]outcome, parallel)
		var wg sync.WaitGroup
		for j := range results {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				tok, err := client.Token(context.Background())
				results[j] = outcome{tok, err, time.Now()}
			}(j)
		}
		wg.Wait()
		elapsed = time.Since(started)
		var tokens []string
		for j, r := range results {
			what := fmt.Sprintf("call %d", n)
			if parallel > 1 {
				what += fmt.Sprintf(" #%d", j+1)
			}
			if r.err != nil {
				checkError(r.err, exp, secrets, what, fail)
				continue
			}
			checkToken(r, exp, what, fail)
			checkPrinted(what+": the token", r.tok, secrets, fail)
			tokens = append(tokens, r.tok.AccessToken)
			seen = append(seen, r.tok.AccessToken)
			if r.tok.RefreshToken != "" {
				seen = append(seen, r.tok.RefreshToken)
			}
		}
		for _, tk := range tokens {
			if tk != tokens[0] {
				fail("call %d: concurrent calls returned different access tokens", n)
				break
			}
		}
		this := ""
		if results[0].err == nil {
			this = results[0].tok.AccessToken
		}
		if n > 1 && c.TokenVsPrevious != "" {
			switch {
			case prev == "" || this == "":
				fail("call %d: token_vs_previous %s needs tokens from both calls", n, c.TokenVsPrevious)
			case (c.TokenVsPrevious == "same") != (prev == this):
				fail("call %d: token_vs_previous %s does not hold", n, c.TokenVsPrevious)
			}
		}
		prev = this
	}
	time.Sleep(time.Duration(v.SettleMS) * time.Millisecond)
	checkRequests(t, v, fail)
	if v.TmpNoTokens {
		found := 0
		_ = filepath.Walk(tmp, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return nil
			}
			found++
			data, _ := os.ReadFile(path)
			for _, s := range seen {
				if strings.Contains(string(data), s) {
					fail("tmp_no_tokens: %s holds a token in the clear", path)
				}
			}
			return nil
		})
		if found == 0 {
			fail("tmp_no_tokens: no file was written under TMP")
		}
	}
	return
}

func checkError(err error, exp expectation, secrets []string, what string, fail func(string, ...any)) {
	if exp.Error == nil {
		fail("%s: expected a token, got %v", what, err)
		return
	}
	e, ok := err.(*Error)
	if !ok {
		fail("%s: %T is not a *tokenwell.Error: %v", what, err, err)
		return
	}
	want := exp.Error
	if string(e.Code) != want["code"] {
		fail("%s: code %s (%s), expected %v", what, e.Code, e.Message, want["code"])
	}
	fields := map[string]string{"key": e.Key, "error": e.OAuthError, "error_description": e.ErrorDescription,
		"error_uri": e.ErrorURI, "body": e.Body}
	for k, got := range fields {
		if w, ok := want[k].(string); ok && got != w {
			fail("%s: %s is %q, expected %q", what, k, got, w)
		}
	}
	if w, ok := want["status"].(float64); ok && e.Status != int(w) {
		fail("%s: status %d, expected %v", what, e.Status, w)
	}
	if w, ok := want["body_starts_with"].(string); ok && !strings.HasPrefix(e.Body, w) {
		fail("%s: body %q does not start with %q", what, e.Body, w)
	}
	if w, ok := want["message_contains"].(string); ok && !strings.Contains(e.Message, w) {
		fail("%s: message %q lacks %q", what, e.Message, w)
	}
	sentinels := map[Code]*Error{CodeConfig: ErrConfig, CodeOAuth: ErrOAuth, CodeHTTP: ErrHTTP, CodeNetwork: ErrNetwork,
		CodeTimeout: ErrTimeout, CodeInvalidResponse: ErrInvalidResponse, CodeCache: ErrCache, CodeInternal: ErrInternal}
	if s := sentinels[e.Code]; s == nil || !errors.Is(err, s) {
		fail("%s: errors.Is(err, sentinel of %s) is false", what, e.Code)
	}
	checkPrinted(what+": the error", err, secrets, fail)
}

// checkPrinted fails when a secret string shows in any way a Go program prints x.
func checkPrinted(what string, x any, secrets []string, fail func(string, ...any)) {
	texts := []string{fmt.Sprintf("%v", x), fmt.Sprintf("%+v", x), fmt.Sprintf("%#v", x), fmt.Sprintf("%s", x)}
	if e, ok := x.(error); ok {
		texts = append(texts, e.Error())
	}
	for _, s := range secrets {
		for _, text := range texts {
			if s != "" && strings.Contains(text, s) {
				fail("%s: printed, it shows the secret %q", what, s)
				break
			}
		}
	}
}

func checkToken(r outcome, exp expectation, what string, fail func(string, ...any)) {
	tok := r.tok
	if exp.Token == nil {
		fail("%s: expected error %v, got a token", what, exp.Error["code"])
		return
	}
	want := exp.Token
	if tok.Authorization() != "Bearer "+tok.AccessToken {
		fail("%s: Authorization() is not Bearer + access token", what)
	}
	for _, text := range []string{tok.String(), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok)} {
		if strings.Contains(text, tok.AccessToken) || (tok.RefreshToken != "" && strings.Contains(text, tok.RefreshToken)) {
			fail("%s: printing the token shows a token value", what)
		}
	}
	if w, ok := want["access_token"]; ok && !((w == "*" && tok.AccessToken != "") || w == tok.AccessToken) {
		fail("%s: access_token mismatch", what)
	}
	if w, ok := want["token_type"].(string); ok && tok.TokenType != w {
		fail("%s: token_type %q, expected %q", what, tok.TokenType, w)
	}
	if w, ok := want["expires_in"].(float64); ok {
		if got := tok.Expiry.Sub(r.at).Seconds(); got < w-5 || got > w+5 {
			fail("%s: expires in %.1f s, expected %v", what, got, w)
		}
	}
	for k, got := range map[string]string{"refresh_token": tok.RefreshToken, "scope": tok.Scope, "id_token": tok.IDToken} {
		w, ok := want[k]
		switch {
		case !ok:
		case w == nil && got != "":
			fail("%s: %s should be absent", what, k)
		case w == "*" && got == "":
			fail("%s: %s should be present", what, k)
		case w != nil && w != "*" && w != got:
			fail("%s: %s is %q, expected %v", what, k, got, w)
		}
	}
	if w, ok := want["refresh_expires_in"]; ok {
		switch w := w.(type) {
		case nil:
			if !tok.RefreshExpiry.IsZero() {
				fail("%s: RefreshExpiry should be zero", what)
			}
		case float64:
			if got := tok.RefreshExpiry.Sub(r.at).Seconds(); tok.RefreshExpiry.IsZero() || got < w-5 || got > w+5 {
				fail("%s: refresh expires in %.1f s, expected %v", what, got, w)
			}
		}
	}
	if extra, ok := want["extra"].(map[string]any); ok {
		for k, w := range extra {
			got, ok := tok.Extra[k]
			if !ok {
				fail("%s: Extra has no %q", what, k)
			} else if w != "*" && !reflect.DeepEqual(w, got) {
				fail("%s: Extra[%q] is %v, expected %v", what, k, got, w)
			}
		}
	}
}

func checkRequests(t *testing.T, v *vector, fail func(string, ...any)) {
	var records []map[string]any
	call(t, v.stem, "/_requests", nil, &records)
	if len(records) != len(v.Requests) {
		var got []string
		for _, r := range records {
			got = append(got, fmt.Sprintf("%v %v", r["method"], r["path"]))
		}
		fail("server recorded %d token requests, expected %d: %v", len(records), len(v.Requests), got)
	}
	var prevAt float64
	for i := 0; i < len(records) && i < len(v.Requests); i++ {
		want, got := v.Requests[i], records[i]
		what := fmt.Sprintf("request %d", i+1)
		if m, ok := want["method"]; ok && m != got["method"] {
			fail("%s: method %v, expected %v", what, got["method"], m)
		}
		path, _ := got["path"].(string)
		path = strings.TrimPrefix(path, "/t/"+v.stem)
		if p, ok := want["path"]; ok && p != path {
			fail("%s: path %q, expected %v", what, path, p)
		}
		headers, _ := got["headers"].(map[string]any)
		if h, ok := want["headers"].(map[string]any); ok {
			for name, w := range h {
				g, ok := headers[strings.ToLower(name)]
				if !ok {
					fail("%s: header %s missing", what, name)
				} else if w != "*" && w != g {
					fail("%s: header %s is %v, expected %v", what, name, g, w)
				}
			}
		}
		if absent, ok := want["absent_headers"].([]any); ok {
			for _, name := range absent {
				if _, ok := headers[strings.ToLower(name.(string))]; ok {
					fail("%s: header %v should be absent", what, name)
				}
			}
		}
		for _, body := range []string{"form", "json"} {
			if w, ok := want[body]; ok {
				g, isObj := got[body].(map[string]any)
				if !isObj || !matches(w, g) {
					fail("%s: %s body is %v, expected %v", what, body, got[body], w)
				}
			}
		}
		if w, ok := want["basic"]; ok && !reflect.DeepEqual(w, got["basic"]) {
			fail("%s: Basic credentials %v, expected %v", what, got["basic"], w)
		}
		at, _ := got["at_ms"].(float64)
		if gap, ok := want["min_gap_ms"].(float64); ok && at-prevAt < gap {
			fail("%s: came %.0f ms after the previous one, expected at least %v", what, at-prevAt, gap)
		}
		prevAt = at
	}
}

// matches is JSON equality where the expected string "*" matches any value.
func matches(want, got any) bool {
	if want == "*" {
		return true
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !matches(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !matches(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}
