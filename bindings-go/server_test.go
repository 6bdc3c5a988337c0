package tokenwell

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// root is the URL of the test server (tests/authserver) this test binary started.
var root string

func TestMain(m *testing.M) {
	if server := os.Getenv(panicChildEnv); server != "" {
		os.Exit(panicChild(server))
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	bin := authserverBin()
	cmd := exec.Command(bin, "--max-seconds", "1800")
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot start the test server %s (cargo build -p tokenwell-authserver): %v\n", bin, err)
		return 2
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		fmt.Fprintf(os.Stderr, "the test server printed no URL: %v\n", err)
		return 2
	}
	root = strings.TrimSpace(line)
	for _, v := range loadVectors() { // names are unique across vectors: set them all once
		for k, val := range v.Env {
			os.Setenv(k, val)
		}
	}
	return m.Run()
}

var httpc = &http.Client{Timeout: 30 * time.Second}

// call sends a JSON body (POST) or nothing (GET) to a namespace's path and decodes the answer.
func call(t testing.TB, ns, path string, body any, into any) {
	t.Helper()
	url := root + "/t/" + ns + path
	var resp *http.Response
	var err error
	if body == nil {
		resp, err = httpc.Get(url)
	} else {
		data, _ := json.Marshal(body)
		resp, err = httpc.Post(url, "application/json", bytes.NewReader(data))
	}
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s answered %d: %s", url, resp.StatusCode, data)
	}
	if into != nil {
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
}

// namespace resets /t/NAME (and applies control settings); returns its server URL.
func namespace(t testing.TB, name string, control map[string]any) string {
	call(t, name, "/_reset", map[string]any{}, nil)
	if control != nil {
		call(t, name, "/_control", control, nil)
	}
	return root + "/t/" + name
}

type stats struct {
	Total         int `json:"total"`
	MaxConcurrent int `json:"max_concurrent"`
}

func requestCount(t testing.TB, ns string) int {
	var s stats
	call(t, ns, "/_stats", nil, &s)
	return s.Total
}
