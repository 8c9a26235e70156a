package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
)

func TestServeUsageErrors(t *testing.T) {
	newHookReceiver(t, false)
	db := pipelineFixture(t)
	tests := []struct {
		name string
		args []string
		has  string
	}{
		{"bad schedule", []string{"--schedule", "7am"}, "--schedule"},
		{"bad time zone", []string{"--time-zone", "Europe/Atlantis"}, "--time-zone"},
		{"bad listen", []string{"--listen", "9464"}, "--listen"},
		{"negative grace", []string{"--shutdown-grace", "-1s"}, "--shutdown-grace"},
		{"fixed as-of", []string{"--as-of", "2024-04-30"}, "serve takes no --as-of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mainCLI(context.Background(), append([]string{"serve", "--db", db}, tt.args...)...).expect(t, exitcode.Usage, tt.has)
		})
	}
}

// serve end to end on the wall clock: it starts, answers its endpoints,
// runs on POST /run with the token (read from INTENTALERT_RUN_TOKEN_FILE),
// shows the run in /metrics, and stops cleanly when its context ends (what
// SIGTERM does through main's signal.NotifyContext). The schedule itself is
// tested with an injected clock in package serve.
func TestServeEndToEnd(t *testing.T) {
	db := pipelineFixture(t)
	hook := newHookReceiver(t, false)
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("local-test-token\n"), 0o600)
	t.Setenv("INTENTALERT_RUN_TOKEN", "")
	t.Setenv("INTENTALERT_RUN_TOKEN_FILE", tokenFile)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--db", db, "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0",
			"--schedule", "0 0 1 1 *", "--time-zone", "Europe/Berlin"}, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	}()
	addr := regexp.MustCompile(`listen=(127\.0\.0\.1:\d+)`)
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		if m := addr.FindStringSubmatch(errOut.String()); m != nil {
			base = "http://" + m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", errOut.String())
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
	call := func(method, path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := call("GET", "/healthz", ""); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := call("GET", "/readyz", ""); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	if code, _ := call("POST", "/run", "wrong"); code != 401 {
		t.Errorf("POST /run with a wrong token = %d, want 401", code)
	}
	if code, body := call("POST", "/run?as_of=2024-04-30", "local-test-token"); code != 202 {
		t.Fatalf("POST /run = %d %s, want 202", code, body)
	}
	var metrics string
	for deadline := time.Now().Add(20 * time.Second); ; {
		_, metrics = call("GET", "/metrics", "")
		if strings.Contains(metrics, `intentalert_runs_total{status="succeeded",trigger="http"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never showed in /metrics:\n%s\nlogs:\n%s", metrics, errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{
		`intentalert_companies{segment="HIGH"} 1`,
		`intentalert_step_duration_seconds_count{step="segment"} 1`,
		`intentalert_verifications_total{verdict="valid"} 2`,
		`intentalert_alerts_total{channel="webhook",outcome="sent"} 2`,
		`intentalert_steps_total{status="succeeded",step="alert"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after SIGTERM, want 0\n%s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs := errOut.String()
	for _, want := range []string{"POST /run enabled", "token_from=\"file " + tokenFile, "shutting down", "stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "local-test-token") {
		t.Error("the logs show the token")
	}
	if bodies, _ := hook.received(); len(bodies) != 2 {
		t.Errorf("the run sent %d alerts, want 2", len(bodies))
	}
	r := mainCLI(context.Background(), "runs", "--db", db)
	r.expect(t, 0)
	if !strings.Contains(r.out, "http") || !strings.Contains(r.out, "2024-04-30") {
		t.Errorf("runs does not list the http run:\n%s", r.out)
	}
}
