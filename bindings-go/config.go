package tokenwell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Config is DESIGN §2's configuration; the json tags are its keys. Zero values mean "not
// set" (the engine's default applies); the pointer fields let 0 and false be said explicitly.
// Everything is validated by New, which reports a *Error with Code CodeConfig and Key.
type Config struct {
	TokenURL string `json:"token_url,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	Preset   string `json:"preset,omitempty"`
	BaseURL  string `json:"base_url,omitempty"`
	Realm    string `json:"realm,omitempty"`
	Tenant   string `json:"tenant,omitempty"`
	// Grant is "client_credentials" (the default), "password" or "refresh_token".
	Grant        string `json:"grant,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// Scope is space-separated.
	Scope    string            `json:"scope,omitempty"`
	Audience string            `json:"audience,omitempty"`
	Resource string            `json:"resource,omitempty"`
	Extra    map[string]string `json:"extra,omitempty"`
	// ClientAuth is "post" (the default), "basic" or "none"; Body is "form" or "json".
	ClientAuth      string            `json:"client_auth,omitempty"`
	Body            string            `json:"body,omitempty"`
	SendGrantType   *bool             `json:"send_grant_type,omitempty"`
	UseRefreshToken *bool             `json:"use_refresh_token,omitempty"`
	Leeway          *time.Duration    `json:"leeway,omitempty"`
	RefreshAhead    *time.Duration    `json:"refresh_ahead,omitempty"`
	ErrorBackoff    *time.Duration    `json:"error_backoff,omitempty"`
	DefaultLifetime *time.Duration    `json:"default_lifetime,omitempty"`
	Timeout         *time.Duration    `json:"timeout,omitempty"`
	ConnectTimeout  *time.Duration    `json:"connect_timeout,omitempty"`
	Retries         *int              `json:"retries,omitempty"`
	CAFile          string            `json:"ca_file,omitempty"`
	Proxy           string            `json:"proxy,omitempty"`
	AllowHTTP       bool              `json:"allow_http,omitempty"`
	Headers         map[string]string `json:"headers,omitempty"`
	// Cache is "memory" (the default), "file", "file:/dir", "redis://…" or "rediss://…".
	Cache       string `json:"cache,omitempty"`
	CacheKey    string `json:"cache_key,omitempty"`
	CacheSecret string `json:"cache_secret,omitempty"`

	// ClientSecretFrom, PasswordFrom, RefreshTokenFrom and CacheSecretFrom read that secret
	// from the environment or a file when it is needed, instead of holding it here.
	ClientSecretFrom *SecretRef `json:"-"`
	PasswordFrom     *SecretRef `json:"-"`
	RefreshTokenFrom *SecretRef `json:"-"`
	CacheSecretFrom  *SecretRef `json:"-"`

	// Keys read by UnmarshalJSON that no field holds (unknown keys, values of the wrong type):
	// passed on as they are, so New reports them the way every binding does.
	passthrough map[string]json.RawMessage
}

// SecretRef names where a secret is read: an environment variable or a file (trailing
// whitespace stripped).
type SecretRef struct {
	Env  string `json:"env,omitempty"`
	File string `json:"file,omitempty"`
}

// Bool, Int and Duration return pointers for the optional fields of Config.
func Bool(v bool) *bool                       { return &v }
func Int(v int) *int                          { return &v }
func Duration(d time.Duration) *time.Duration { return &d }

type plain Config // Config without its methods: the standard decoding of the simple fields, and printing

func (c *Config) durations() map[string]**time.Duration {
	return map[string]**time.Duration{"leeway": &c.Leeway, "refresh_ahead": &c.RefreshAhead, "error_backoff": &c.ErrorBackoff,
		"default_lifetime": &c.DefaultLifetime, "timeout": &c.Timeout, "connect_timeout": &c.ConnectTimeout}
}

func (c *Config) secrets() map[string]**SecretRef {
	return map[string]**SecretRef{"client_secret": &c.ClientSecretFrom, "password": &c.PasswordFrom,
		"refresh_token": &c.RefreshTokenFrom, "cache_secret": &c.CacheSecretFrom}
}

// needsRewrite reports whether MarshalJSON must add secret references or passed-through keys
// to the fields' JSON.
func (c *Config) needsRewrite() bool {
	if len(c.passthrough) > 0 {
		return true
	}
	for _, ref := range c.secrets() {
		if *ref != nil {
			return true
		}
	}
	return false
}

// appendFields writes the fields of c as a JSON object: the json tags' keys, empty values
// left out, durations in seconds. Written out rather than by encoding/json: its first use in a
// process builds the type's encoder by reflection, ~70 µs of a new program's first token, and
// New runs it for every client.
func (c *Config) appendFields(b []byte) []byte {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	for _, f := range [...]struct {
		k string
		v *string
	}{{"token_url", &c.TokenURL}, {"issuer", &c.Issuer}, {"preset", &c.Preset}, {"base_url", &c.BaseURL},
		{"realm", &c.Realm}, {"tenant", &c.Tenant}, {"grant", &c.Grant}, {"client_id", &c.ClientID},
		{"client_secret", &c.ClientSecret}, {"username", &c.Username}, {"password", &c.Password},
		{"refresh_token", &c.RefreshToken}, {"scope", &c.Scope}, {"audience", &c.Audience},
		{"resource", &c.Resource}, {"client_auth", &c.ClientAuth}, {"body", &c.Body}, {"ca_file", &c.CAFile},
		{"proxy", &c.Proxy}, {"cache", &c.Cache}, {"cache_key", &c.CacheKey}, {"cache_secret", &c.CacheSecret}} {
		if *f.v != "" {
			key(f.k)
			b = appendJSONString(b, *f.v)
		}
	}
	for _, f := range [...]struct {
		k string
		v map[string]string
	}{{"extra", c.Extra}, {"headers", c.Headers}} {
		if len(f.v) == 0 {
			continue
		}
		key(f.k)
		names := make([]string, 0, len(f.v))
		for n := range f.v {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, n := range names {
			b = append(b, "{,"[min(i, 1)])
			b = appendJSONString(b, n)
			b = append(b, ':')
			b = appendJSONString(b, f.v[n])
		}
		b = append(b, '}')
	}
	for _, f := range [...]struct {
		k string
		v *bool
	}{{"send_grant_type", c.SendGrantType}, {"use_refresh_token", c.UseRefreshToken}} {
		if f.v != nil {
			key(f.k)
			b = strconv.AppendBool(b, *f.v)
		}
	}
	if c.AllowHTTP {
		key("allow_http")
		b = append(b, "true"...)
	}
	if c.Retries != nil {
		key("retries")
		b = strconv.AppendInt(b, int64(*c.Retries), 10)
	}
	for _, f := range [...]struct {
		k string
		v *time.Duration
	}{{"leeway", c.Leeway}, {"refresh_ahead", c.RefreshAhead}, {"error_backoff", c.ErrorBackoff},
		{"default_lifetime", c.DefaultLifetime}, {"timeout", c.Timeout}, {"connect_timeout", c.ConnectTimeout}} {
		if f.v != nil {
			key(f.k)
			b = strconv.AppendFloat(b, f.v.Seconds(), 'g', -1, 64)
		}
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string; bytes that are not UTF-8 become U+FFFD, as
// encoding/json writes them.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(b, '"')
}

// MarshalJSON writes DESIGN §2's JSON: durations as seconds, secret references as
// {"env": …} / {"file": …}.
func (c Config) MarshalJSON() ([]byte, error) {
	base := c.appendFields(make([]byte, 0, 256))
	if !c.needsRewrite() {
		return base, nil // the common case (New's cost): nothing to add to the fields
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	for key, ref := range c.secrets() {
		if *ref == nil {
			continue
		}
		if _, both := m[key]; both {
			return nil, &Error{Code: CodeConfig, Key: key, Message: fmt.Sprintf("`%s` is given both as a value and as a reference: keep one", key)}
		}
		raw, err := json.Marshal(*ref)
		if err != nil {
			return nil, err
		}
		m[key] = raw
	}
	for k, v := range c.passthrough {
		m[k] = v
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads DESIGN §2's JSON (durations in seconds, scope as a string or a list,
// secrets as strings or {"env"}/{"file"} references). What does not fit a field is kept and
// handed to the engine, which names the key in its error.
func (c *Config) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*c = Config{}
	durations, secrets := c.durations(), c.secrets()
	simple := map[string]json.RawMessage{}
	keep := func(k string, v json.RawMessage) {
		if c.passthrough == nil {
			c.passthrough = map[string]json.RawMessage{}
		}
		c.passthrough[k] = v
	}
	for k, v := range m {
		switch {
		case durations[k] != nil:
			var secs float64
			if json.Unmarshal(v, &secs) != nil || math.IsNaN(secs) || math.Abs(secs) > 1e9 {
				keep(k, v)
				continue
			}
			d := time.Duration(secs * float64(time.Second))
			*durations[k] = &d
		case secrets[k] != nil && len(v) > 0 && v[0] == '{':
			var ref SecretRef
			if json.Unmarshal(v, &ref) != nil {
				keep(k, v)
				continue
			}
			*secrets[k] = &ref
		case k == "scope" && len(v) > 0 && v[0] == '[':
			var items []string
			if json.Unmarshal(v, &items) != nil {
				keep(k, v)
				continue
			}
			c.Scope = strings.Join(items, " ")
		default:
			simple[k] = v
		}
	}
	// The remaining keys go through the standard decoding one by one, so one bad value (or
	// unknown key) is passed on without losing the others.
	keys := make([]string, 0, len(simple))
	for k := range simple {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: simple[k]})
		if decodeStrict(one, &plain{}) != nil {
			keep(k, simple[k])
			continue
		}
		_ = decodeStrict(one, (*plain)(c))
	}
	return nil
}

func decodeStrict(data []byte, into *plain) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// Format prints the configuration with every secret redacted, for every verb (%v, %+v, %#v,
// %s): a Config in a log line or a panic message never shows a client secret, a password, a
// refresh token, the cache secret, a header value or an extra parameter's value.
func (c Config) Format(f fmt.State, verb rune) {
	r := plain(c)
	for _, s := range []*string{&r.ClientSecret, &r.Password, &r.RefreshToken, &r.CacheSecret} {
		if *s != "" {
			*s = "[redacted]"
		}
	}
	r.Headers, r.Extra = redactValues(c.Headers), redactValues(c.Extra)
	// URLs may carry credentials too: redis://:password@host, http://user:pass@proxy, ?key=….
	for _, u := range []*string{&r.TokenURL, &r.Issuer, &r.BaseURL, &r.Proxy, &r.Cache} {
		*u = redactURL(*u)
	}
	// Keys the fields do not hold may be misspelled secrets: only their number is shown.
	r.passthrough = nil
	var out string
	switch {
	case verb == 'v' && f.Flag('#'):
		out = strings.Replace(fmt.Sprintf("%#v", r), "tokenwell.plain", "tokenwell.Config", 1)
	case verb == 'v' && f.Flag('+'):
		out = fmt.Sprintf("%+v", r)
	default:
		out = fmt.Sprintf("%v", r)
	}
	if n := len(c.passthrough); n > 0 {
		out += fmt.Sprintf(" (+%d other keys)", n)
	}
	_, _ = io.WriteString(f, out)
}

// redactURL hides a URL's user information and query; text that is not a URL with a scheme
// (a bare "file:/dir", "memory") is kept.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if strings.ContainsAny(raw, "@?") {
			return "[redacted]"
		}
		return raw
	}
	if u.User != nil {
		u.User = url.User("[redacted]")
	}
	if u.RawQuery != "" {
		u.RawQuery = "[redacted]"
	}
	return u.String()
}

func redactValues(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = "[redacted]"
	}
	return out
}
