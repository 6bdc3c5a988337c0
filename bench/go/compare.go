// Command compare measures tokenwell beside golang.org/x/oauth2's clientcredentials (its
// ReuseTokenSource), each used as its documentation shows. Modes as in every language of bench/
// (bench/README.md): `inproc SERVER` prints the in-process measures as JSON; `once`, `load` and
// `hold` are the child processes bench/driver.py times and counts.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	tokenwell "github.com/tokenwell/tokenwell/bindings-go"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const secret = "app-secret"

var (
	quick     = os.Getenv("BENCH_QUICK") == "1"
	repeats   = pick(3, 7)
	warmCalls = pick(200_000, 2_000_000)
	firstRuns = pick(3, 101)
	readers   = 4
	ctx       = context.Background()
)

func pick(q, full int) int {
	if quick {
		return q
	}
	return full
}

// getter returns the access token a caller would put in its request.
type getter func() (string, error)

type lib struct {
	name, how string
	make      func(url, cache string) (getter, error)
}

var libs = []lib{
	{"tokenwell", "`client.Token(ctx)`", func(url, cache string) (getter, error) {
		c, err := tokenwell.New(tokenwell.Config{TokenURL: url, ClientID: "app", ClientSecret: secret, Cache: cache})
		if err != nil {
			return nil, err
		}
		return func() (string, error) {
			t, err := c.Token(ctx)
			if err != nil {
				return "", err
			}
			return t.AccessToken, nil
		}, nil
	}},
	{"x/oauth2 clientcredentials", "`Config.TokenSource(ctx)` (a ReuseTokenSource, expiry delta 10 s)", func(url, _ string) (getter, error) {
		ts := (&clientcredentials.Config{ClientID: "app", ClientSecret: secret, TokenURL: url, AuthStyle: oauth2.AuthStyleInHeader}).TokenSource(ctx)
		return func() (string, error) {
			t, err := ts.Token()
			if err != nil {
				return "", err
			}
			return t.AccessToken, nil
		}, nil
	}},
}

var raw = lib{"raw POST", "`net/http` POST on a new connection", func(url, _ string) (getter, error) {
	return func() (string, error) { return rawPost(url) }, nil
}}

func all() []lib { return append(append([]lib{}, libs...), raw) }

func find(name string) lib {
	for _, l := range all() {
		if l.name == name {
			return l
		}
	}
	fmt.Fprintf(os.Stderr, "unknown library %q\n", name)
	os.Exit(2)
	return lib{}
}

// ---- plain HTTP to the test server ----

func request(method, url, body string, headers map[string]string, client *http.Client) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func rawPost(url string) (string, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", secret)
	res, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if res.StatusCode != 200 {
		return "", fmt.Errorf("token endpoint answered %d", res.StatusCode)
	}
	err = json.NewDecoder(res.Body).Decode(&t)
	return t.AccessToken, err
}

func control(ns string, settings map[string]any) {
	js := map[string]string{"Content-Type": "application/json"}
	must(request("POST", ns+"/_reset", "{}", js, nil))
	if settings != nil {
		b, _ := json.Marshal(settings)
		must(request("POST", ns+"/_control", string(b), js, nil))
	}
}

func must(status int, body []byte, err error) {
	if err != nil || status != 200 {
		fmt.Fprintf(os.Stderr, "test server: %d %s %v\n", status, body, err)
		os.Exit(1)
	}
}

func stats(ns string) map[string]any {
	_, b, err := request("GET", ns+"/_stats", "", nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var s map[string]any
	_ = json.Unmarshal(b, &s)
	return s
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

func slug(name string) string { return strings.Trim(nonWord.ReplaceAllString(name, "-"), "-") }

// ---- measures ----

func warmNs(get getter, n int) []float64 {
	per := warmCalls / n
	loop := func(k int) {
		for i := 0; i < k; i++ {
			if _, err := get(); err != nil {
				panic(err)
			}
		}
	}
	loop(per / 10)
	runs := []float64{}
	for r := 0; r < repeats; r++ {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < n; g++ {
			wg.Add(1)
			go func() { defer wg.Done(); <-start; loop(per) }()
		}
		t := time.Now()
		close(start)
		wg.Wait()
		runs = append(runs, float64(time.Since(t).Nanoseconds())/float64(per*n))
	}
	return runs
}

// firstMs lets the libraries take turns, run by run, each round in a rotated order, so neither
// the machine's changing load nor the work just before (code left warm) favours one. Each run
// asks a namespace nothing used before (the server creates it on first use): no call of the
// harness's own, which would warm the raw POST's HTTP code, comes between two runs.
func firstMs(ls []lib, server string) map[string][]float64 {
	runs := map[string][]float64{}
	for i := 0; i < firstRuns; i++ {
		for j := range ls {
			l := ls[(i+j)%len(ls)]
			ns := fmt.Sprintf("%s/t/go-first-%s-%d-%d", server, slug(l.name), os.Getpid(), i)
			t := time.Now()
			get, err := l.make(ns+"/token", "")
			if err == nil {
				_, err = get()
			}
			if err != nil {
				panic(err)
			}
			runs[l.name] = append(runs[l.name], float64(time.Since(t).Nanoseconds())/1e6)
		}
	}
	return runs
}

func herd(l lib, server string, callers int) map[string]any {
	ns := fmt.Sprintf("%s/t/go-herd%d-%s-%d", server, callers, slug(l.name), os.Getpid())
	control(ns, map[string]any{"delay_ms": 50})
	get, err := l.make(ns+"/token", "")
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errors := 0
	start := make(chan struct{})
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := get(); err != nil {
				mu.Lock()
				errors++
				mu.Unlock()
			}
		}()
	}
	t := time.Now()
	close(start)
	wg.Wait()
	return map[string]any{"requests": stats(ns)["total"], "errors": errors, "seconds": time.Since(t).Seconds()}
}

// cadence: a call every 100 ms for 6 s; each handed-out token goes to the server's /resource at
// once, which answers 401 (counted in its stats) for a token it considers expired.
func cadence(l lib, server string, expiresIn int) map[string]any {
	ns := fmt.Sprintf("%s/t/go-exp%d-%s-%d", server, expiresIn, slug(l.name), os.Getpid())
	control(ns, map[string]any{"expires_in": expiresIn})
	get, err := l.make(ns+"/token", "")
	if err != nil {
		panic(err)
	}
	check := &http.Client{}
	t0 := time.Now()
	calls, errors := 0, 0
	for i := 0; i < 60; i++ {
		time.Sleep(time.Until(t0.Add(time.Duration(i) * 100 * time.Millisecond)))
		tok, err := get()
		if err != nil {
			errors++
			continue
		}
		calls++
		_, _, _ = request("GET", ns+"/resource", "", map[string]string{"Authorization": "Bearer " + tok}, check)
	}
	s := stats(ns)
	return map[string]any{"calls": calls, "requests": s["total"], "expired": s["resource_401"], "errors": errors}
}

func versions() map[string]string {
	out := map[string]string{"go": strings.TrimPrefix(goVersion(), "go")}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == "golang.org/x/oauth2" {
				out["golang.org/x/oauth2"] = d.Version
			}
		}
	}
	return out
}

func goVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.GoVersion
	}
	return "?"
}

func inproc(server string) map[string]any {
	results := map[string]map[string]any{}
	for _, l := range all() {
		results[l.name] = map[string]any{"how": l.how}
	}
	for _, l := range libs {
		ns := fmt.Sprintf("%s/t/go-warm-%s-%d", server, slug(l.name), os.Getpid())
		control(ns, nil)
		get, err := l.make(ns+"/token", "")
		if err != nil {
			panic(err)
		}
		if _, err := get(); err != nil {
			panic(err)
		}
		results[l.name]["warm"] = warmNs(get, 1)
		results[l.name]["warm_readers"] = warmNs(get, readers)
	}
	for name, runs := range firstMs(all(), server) {
		results[name]["first_ms"] = runs
	}
	for _, l := range libs {
		for _, n := range []int{64, 1000} {
			results[l.name]["herd"+strconv.Itoa(n)] = herd(l, server, n)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, l := range libs {
		for _, e := range []int{2, 60} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := cadence(l, server, e)
				mu.Lock()
				results[l.name]["exp"+strconv.Itoa(e)] = r
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	names := []string{}
	for _, l := range all() {
		names = append(names, l.name)
	}
	return map[string]any{"lang": "Go", "versions": versions(), "readers": readers, "libs": results, "order": names}
}

func rssKB() int {
	b, _ := os.ReadFile("/proc/self/status")
	m := regexp.MustCompile(`VmRSS:\s+(\d+)`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func main() {
	mode, args := os.Args[1], os.Args[2:]
	if mode == "inproc" {
		out, _ := json.Marshal(inproc(args[0]))
		fmt.Println(string(out))
		return
	}
	name, ns := args[0], args[1]
	switch mode {
	case "load":
		if name != "none" {
			if _, err := find(name).make(ns+"/token", ""); err != nil {
				panic(err)
			}
		}
	case "hold":
		if name != "none" {
			get, err := find(name).make(ns+"/token", "")
			if err == nil {
				_, err = get()
			}
			if err != nil {
				panic(err)
			}
		}
		fmt.Printf("{\"rss_kb\": %d}\n", rssKB())
	case "once":
		cache := ""
		for i, a := range args {
			if a == "--cache" && i+1 < len(args) {
				cache = args[i+1]
			}
		}
		get, err := find(name).make(ns+"/token", cache)
		if err != nil {
			panic(err)
		}
		for _, a := range args {
			if a == "--wait" {
				fmt.Println("ready")
				_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
			}
		}
		if _, err := get(); err != nil {
			panic(err)
		}
		fmt.Println("ok")
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %s\n", mode)
		os.Exit(2)
	}
}
