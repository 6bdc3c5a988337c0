package tokenwell

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every row of the fault matrix, tests/faults (see its README): a vector plus a time bound
// (max_ms) and, for three rows, the test front, run here as the authserver's `front` subcommand.
// Errors, clients and tokens are checked, printed every way, against every row's secrets.
//
// The Go module installs no log handler: the engine logs nothing unless a tracing subscriber is
// installed, and libtokenwell installs none, so errors are the only text the module delivers.
// (bindings-c/tests/faults.py checks that the same library writes nothing to stderr.)

func TestFaults(t *testing.T) {
	cases := loadCases("faults")
	if len(cases) == 0 {
		t.Fatal("no cases found under ../tests/faults")
	}
	var secrets []string
	for _, c := range cases {
		secrets = append(secrets, c.secretStrings()...)
	}
	for _, c := range cases {
		c := c
		t.Run(c.stem, func(t *testing.T) {
			t.Parallel()
			if c.MaxMS <= 0 {
				t.Fatal("the case has no max_ms")
			}
			opts := caseOpts{fault: true, secrets: secrets}
			if c.Front != nil {
				f := startFront(t, c.Front)
				opts.vars = []string{"{front}", f.url + "/t/" + c.stem, "{front_ca}", f.ca}
			}
			fails, elapsed := runCase(t, c, opts)
			ms := elapsed.Milliseconds()
			switch {
			case elapsed == 0:
				fails = append(fails, "no call returned, the time was not measured")
			case ms > int64(c.MaxMS):
				fails = append(fails, fmt.Sprintf("took %d ms, more than max_ms %d", ms, c.MaxMS))
			}
			want := "token"
			if code, ok := c.Expect.Error["code"].(string); ok {
				want = code
			}
			t.Logf("| %s | %s | %d | %d | %d |", c.stem, want, len(c.Requests), ms, c.MaxMS)
			for _, f := range fails {
				t.Errorf("%s: %s", c.Name, f)
			}
		})
	}
}

type front struct {
	url string
	ca  string
}

// startFront runs `tokenwell-authserver front` relaying to the test server for one case, and
// stops it (SIGTERM) when the case ends.
func startFront(t *testing.T, spec map[string]any) front {
	ca := filepath.Join(t.TempDir(), "front-ca.pem")
	args := []string{"front", "--upstream", root, "--max-seconds", "300"}
	if tls, _ := spec["tls"].(bool); tls {
		args = append(args, "--tls", "--ca-out", ca)
	}
	if n, ok := spec["cut_after_bytes"].(float64); ok {
		args = append(args, "--cut-after-bytes", strconv.Itoa(int(n)))
	}
	cmd := exec.Command(authserverBin(), args...)
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		t.Fatalf("starting the test front: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "http") {
			t.Fatalf("the test front printed %q, not its URL", l)
		}
		return front{url: l, ca: ca}
	case <-time.After(10 * time.Second):
		t.Fatal("the test front printed no URL within 10 s")
	}
	return front{}
}

func authserverBin() string {
	if bin := os.Getenv("TW_AUTHSERVER"); bin != "" {
		return bin
	}
	return filepath.Join("..", "target", "debug", "tokenwell-authserver")
}
