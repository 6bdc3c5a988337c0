package tokenwell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// A panic inside the engine reaches a Go caller as an *Error with CodeInternal, never as a crash
// of the program. TOKENWELL_TEST_PANIC (core/src/testhook.rs) makes the engine panic on purpose:
// `construct` inside New, on the calling thread; `renewal` inside a renewal, on the engine's
// runtime. It is set only in the environment of a child process (this test binary, run again
// with panicChildEnv), never in this multi-threaded one.

const (
	panicChildEnv = "TW_GO_PANIC_CHILD" // the child's namespace URL; set = act as the child
	panicSecret   = "Tw-panic-secret-go"
	panicWaiters  = 4
)

type panicReport struct {
	Built    bool     `json:"built"`
	Codes    []string `json:"codes"`
	Internal []bool   `json:"internal"` // errors.Is(err, ErrInternal), per error
	Texts    []string `json:"texts"`    // every printed form of every error
}

func TestForcedPanic(t *testing.T) {
	for _, mode := range []string{"construct", "renewal"} {
		mode := mode
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ns := "go-panic-" + mode
			server := namespace(t, ns, map[string]any{"clients": map[string]any{"app": map[string]any{"secret": panicSecret}}})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "TOKENWELL_TEST_PANIC="+mode, panicChildEnv+"="+server)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("the child did not exit normally: %v\nstderr: %s", err, stderr.String())
			}
			var rep panicReport
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("the child's report %q: %v", stdout.String(), err)
			}
			want := map[string]int{"construct": 1, "renewal": panicWaiters}[mode]
			if built := mode == "renewal"; rep.Built != built {
				t.Errorf("New succeeded: %v, expected %v", rep.Built, built)
			}
			if len(rep.Codes) != want {
				t.Errorf("%d errors, expected %d", len(rep.Codes), want)
			}
			for i, code := range rep.Codes {
				if code != string(CodeInternal) || !rep.Internal[i] {
					t.Errorf("error %d: code %q (errors.Is ErrInternal: %v), expected internal", i+1, code, rep.Internal[i])
				}
			}
			if strings.Contains(strings.Join(rep.Texts, "\n")+stderr.String(), panicSecret) {
				t.Error("an error text or the child's stderr shows the client secret")
			}
			if n := requestCount(t, ns); n != 0 {
				t.Errorf("the server saw %d requests, expected none", n)
			}
		})
	}
}

// panicChild is the child's whole run (called from TestMain); its exit status is 0 whatever the
// engine did, so the parent can tell a handled panic from a crash.
func panicChild(server string) int {
	var rep panicReport
	var mu sync.Mutex
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		var e *Error
		code := fmt.Sprintf("not a *tokenwell.Error: %T", err)
		if errors.As(err, &e) {
			code = string(e.Code)
		}
		rep.Codes = append(rep.Codes, code)
		rep.Internal = append(rep.Internal, errors.Is(err, ErrInternal))
		rep.Texts = append(rep.Texts, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
	}
	c, err := New(Config{TokenURL: server + "/token", ClientID: "app", ClientSecret: panicSecret, Retries: Int(0)})
	if err != nil {
		record(err)
	} else {
		rep.Built = true
		var wg sync.WaitGroup
		for i := 0; i < panicWaiters; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if _, err := c.Token(ctx); err != nil {
					record(err)
				} else {
					record(errors.New("a token, not an error"))
				}
			}()
		}
		wg.Wait()
		c.Close()
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	return 0
}
