// Package tokenwell gets OAuth 2.0 bearer tokens from any token endpoint, caches them and renews
// them before they expire, through libtokenwell (the Rust engine every tokenwell binding shares).
//
//	c, err := tokenwell.New(tokenwell.Config{Preset: "butlr", ClientID: id, ClientSecret: secret})
//	defer c.Close()
//	tok, err := c.Token(ctx)                      // fetched once, then cached and renewed
//	httpClient := oauth2.NewClient(ctx, c.TokenSource())
//
// A Client is safe for concurrent use; clients built from the same Config share one token and
// one renewal in the whole process.
package tokenwell

// #include <stdlib.h>
// #include <tokenwell.h>
import "C"

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/oauth2"
)

// Client hands out tokens for one configuration.
type Client struct {
	// mu guards ptr: calls hold it shared, Close exclusively, so Close waits for calls in
	// flight instead of freeing the client under them.
	mu  sync.RWMutex
	ptr *C.tw_client
	// gen is the engine's generation counter for this configuration (valid for the life of the
	// process); last is the token this client handed out, reused without a cgo call while gen
	// is unchanged and its fresh-until instant has not passed.
	gen  *uint64
	last atomic.Pointer[mirror]
}

type mirror struct {
	gen        uint64
	freshUntil int64
	tok        *Token
}

// warm returns the last token while nothing changed and it is fresh; no cgo call. Like
// oauth2.ReuseTokenSource, every caller gets the same *Token: treat it as read-only.
func (c *Client) warm() *Token {
	m := c.last.Load()
	if m == nil || atomic.LoadUint64(c.gen) != m.gen || time.Now().UnixNano() >= m.freshUntil {
		return nil
	}
	return m.tok
}

// New builds a client. Every configuration error is returned here, as a *Error with Code
// CodeConfig and Key naming the key.
func New(config Config) (*Client, error) {
	// MarshalJSON itself, not json.Marshal, which would scan and compact its output again.
	text, err := config.MarshalJSON()
	if err != nil {
		if te, ok := err.(*Error); ok {
			return nil, te
		}
		return nil, &Error{Code: CodeConfig, Message: "tokenwell: the configuration cannot be encoded: " + err.Error()}
	}
	return newFromJSON(text)
}

// NewFromJSON builds a client from a JSON object of DESIGN §2's keys, expanding ${NAME} inside
// strings from the environment (like the C constructor and the CLI's profiles).
func NewFromJSON(text []byte) (*Client, error) {
	return newFromJSON(text)
}

func newFromJSON(text []byte) (*Client, error) {
	ctext := C.CString(string(text))
	defer C.free(unsafe.Pointer(ctext))
	var cerr *C.tw_error
	ptr := C.tw_client_new_json(ctext, &cerr)
	if ptr == nil {
		return nil, takeError(cerr)
	}
	c := &Client{ptr: ptr, gen: (*uint64)(unsafe.Pointer(C.tw_client_generation(ptr)))}
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

var errClosed = &Error{Code: CodeInternal, Message: "tokenwell: the client is closed"}

// Token returns a valid token: the cached one while it is fresh, else the result of the one
// renewal all callers share. It returns ctx.Err() when the context ends first; the renewal
// itself goes on for the other callers.
func (c *Client) Token(ctx context.Context) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t := c.warm(); t != nil {
		return t, nil
	}
	if ctx.Done() == nil {
		return c.token()
	}
	type result struct {
		tok *Token
		err error
	}
	// The C call blocks its thread; wait for it beside the context. A call abandoned here
	// finishes on its own and its result is dropped (the C objects are freed by token()).
	done := make(chan result, 1)
	go func() {
		tok, err := c.token()
		done <- result{tok, err}
	}()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Client) token() (*Token, error) {
	if t := c.warm(); t != nil {
		return t, nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, errClosed
	}
	gen := atomic.LoadUint64(c.gen)
	var cerr *C.tw_error
	t := C.tw_client_token(c.ptr, &cerr)
	if t == nil {
		return nil, takeError(cerr)
	}
	fresh := int64(C.tw_token_fresh_until(c.ptr, t))
	tok := takeToken(t)
	// Paired with the generation read before the call: if anything changed meanwhile (this call
	// fetched, or another caller invalidated), the next call revalidates instead of trusting it.
	c.last.Store(&mirror{gen: gen, freshUntil: fresh, tok: tok})
	return tok, nil
}

// Cached returns the cached token when one is valid, else nil. It never does I/O and never
// starts a renewal.
func (c *Client) Cached() *Token {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil
	}
	t := C.tw_client_cached(c.ptr)
	if t == nil {
		return nil
	}
	return takeToken(t)
}

// Invalidate drops the cached access token (a resource server answered 401): the next Token
// fetches a new one. It reaches every client built from the same configuration.
func (c *Client) Invalidate() {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr != nil {
		C.tw_client_invalidate(c.ptr)
	}
}

// Close frees the client (after calls in flight return). Tokens already returned stay valid.
// Closing twice is harmless; a finalizer closes a client that was never closed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		c.last.Store(nil)
		C.tw_client_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// TokenSource adapts the client to golang.org/x/oauth2, so oauth2.NewClient(ctx, src) sends
// requests with the token. The source renews through the client; do not wrap it in
// oauth2.ReuseTokenSource (it would keep a token the client already renewed or invalidated).
func (c *Client) TokenSource() oauth2.TokenSource {
	return source{c}
}

type source struct{ c *Client }

func (s source) Token() (*oauth2.Token, error) {
	t, err := s.c.token()
	if err != nil {
		return nil, err
	}
	o := &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	raw := map[string]any{}
	for k, v := range t.Extra {
		raw[k] = v
	}
	if t.Scope != "" {
		raw["scope"] = t.Scope
	}
	if t.IDToken != "" {
		raw["id_token"] = t.IDToken
	}
	return o.WithExtra(raw), nil
}
