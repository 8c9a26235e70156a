package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/history"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/runlock"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cliResult is what one Main call did.
type cliResult struct {
	code        int
	out, errOut string
}

func mainCLI(ctx context.Context, args ...string) cliResult {
	var out, errOut syncBuffer
	code := Main(ctx, args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return cliResult{code, out.String(), errOut.String()}
}

func (r cliResult) expect(t *testing.T, code int, stderrHas ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.out, r.errOut)
	}
	for _, s := range stderrHas {
		if !strings.Contains(r.errOut, s) {
			t.Errorf("stderr does not mention %q:\n%s", s, r.errOut)
		}
	}
}

// hookReceiver is a webhook receiver on 127.0.0.1 that records every POST
// and, when gated, holds each request until the test opens the gate.
type hookReceiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  []map[string]any
	keys    []string
	arrived chan struct{} // gets a value per request, when gated
	gate    chan struct{} // nil: answer at once
}

func newHookReceiver(t *testing.T, gated bool) *hookReceiver {
	t.Helper()
	r := &hookReceiver{}
	if gated {
		r.gate, r.arrived = make(chan struct{}), make(chan struct{}, 100)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
		r.mu.Unlock()
		if r.gate != nil {
			r.arrived <- struct{}{}
			<-r.gate
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	t.Setenv("INTENTALERT_WEBHOOK_URL", r.srv.URL+"/hook/secret-path-token")
	return r
}

func (r *hookReceiver) received() ([]map[string]any, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...), append([]string(nil), r.keys...)
}

// pipelineFixture is a CRM with one company of each tier as of 2024-04-30;
// company h (HIGH) has two contacts.
func pipelineFixture(t *testing.T) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Company("h", "h.com", "1 High Street")
	crm.News("https://www.h.com/press", "2024-04-29", "H raises a round")
	crm.Visit("visitor@H.com", "2024-04-28")
	crm.Contact("h", "Ann", "Lee", "ann.lee@h.com", "+1 555 0100")
	crm.Contact("h", "Bob", "Ray", "bob.ray@h.com", "+1 555 0101")
	crm.Company("m", "m.com", "")
	crm.News("http://m.com/x", "2024-04-10", "M")
	crm.Company("l", "l.com", "")
	crm.Close()
	return crm.Path
}

// run end to end on a fixture: segment, verify with the offline checker,
// alert to a local webhook receiver; a rerun sends nothing.
func TestRunEndToEnd(t *testing.T) {
	db := pipelineFixture(t)
	hook := newHookReceiver(t, false)
	dataDir := filepath.Join(t.TempDir(), "out")
	r := mainCLI(context.Background(), "run", "--db", db, "--as-of", "2024-04-30", "--data-dir", dataDir,
		"--format", "json", "--log-format", "json")
	r.expect(t, 0, "as of 2024-04-30: succeeded", "webhook: sent 2")

	var sum pipeline.Summary
	if err := json.Unmarshal([]byte(r.out), &sum); err != nil {
		t.Fatalf("stdout is not the JSON summary: %v\n%s", err, r.out)
	}
	if sum.Status != pipeline.Succeeded || !sum.Recorded || len(sum.Steps) != 3 {
		t.Fatalf("summary = %+v, want a recorded success of three steps", sum)
	}
	seg, _ := sum.Step("segment")
	ver, _ := sum.Step("verify")
	alr, _ := sum.Step("alert")
	if seg.Segments["HIGH"] != 1 || seg.Segments["MEDIUM"] != 1 || seg.Segments["LOW"] != 1 {
		t.Errorf("segment counts %v, want one company per segment", seg.Segments)
	}
	if ver.Verdicts["valid"] != 2 || ver.Counts["in_scope"] != 2 {
		t.Errorf("verify: verdicts %v counts %v, want 2 valid of 2 in scope", ver.Verdicts, ver.Counts)
	}
	if alr.Alerts["webhook"]["sent"] != 2 {
		t.Errorf("alert outcomes %v, want 2 sent on webhook", alr.Alerts)
	}
	for _, f := range []string{"customer_segments.csv", "valid_emails.csv"} {
		if _, err := os.Stat(filepath.Join(dataDir, f)); err != nil {
			t.Errorf("no %s: %v", f, err)
		}
	}

	bodies, keys := hook.received()
	if len(bodies) != 2 {
		t.Fatalf("the receiver got %d POSTs, want 2", len(bodies))
	}
	to := map[string]bool{}
	for i, b := range bodies {
		if len(b) != 4 || b["to"] != "biz-dev@taktile.com" || b["from"] != "intent-alerts@taktile.com" || b["subject"] == "" || b["message"] == "" {
			t.Errorf("payload %d = %v, want exactly from, to, subject, message", i, b)
		}
		msg, _ := b["message"].(string)
		for _, addr := range []string{"ann.lee@h.com", "bob.ray@h.com"} {
			if strings.Contains(msg, addr) {
				to[addr] = true
			}
		}
		if keys[i] == "" {
			t.Errorf("POST %d without an Idempotency-Key", i)
		}
	}
	if len(to) != 2 || keys[0] == keys[1] {
		t.Errorf("alerts for %v with keys %v, want one each for both contacts", to, keys)
	}

	// Every log line of the run names it; no contact address and no secret
	// is logged at info level.
	logLines := 0
	for _, line := range strings.Split(r.errOut, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		logLines++
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["run_id"] != sum.RunID {
			t.Errorf("log line without run_id %s: %s", sum.RunID, line)
		}
		for _, s := range []string{"ann.lee@h.com", "bob.ray@h.com", "visitor@h.com", "secret-path-token"} {
			if strings.Contains(strings.ToLower(line), s) {
				t.Errorf("info log shows %s: %s", s, line)
			}
		}
	}
	if logLines < 6 {
		t.Errorf("only %d JSON log lines:\n%s", logLines, r.errOut)
	}

	// A rerun for the same date sends nothing.
	r = mainCLI(context.Background(), "run", "--db", db, "--as-of", "2024-04-30", "--data-dir", dataDir, "-q", "--format", "json")
	r.expect(t, 0)
	if bodies, _ := hook.received(); len(bodies) != 2 {
		t.Errorf("the rerun sent %d more alerts, want none", len(bodies)-2)
	}

	// Both runs are listed, newest first.
	r = mainCLI(context.Background(), "runs", "--db", db, "--format", "json")
	r.expect(t, 0)
	var runs []history.Run
	if err := json.Unmarshal([]byte(r.out), &runs); err != nil || len(runs) != 2 || runs[1].RunID != sum.RunID || runs[1].Status != pipeline.Succeeded {
		t.Errorf("runs = %s (%v), want both runs, the first last", r.out, err)
	}
	r = mainCLI(context.Background(), "runs", "--db", db)
	r.expect(t, 0)
	if !strings.Contains(r.out, sum.RunID) || !strings.Contains(r.out, "succeeded") || !strings.HasPrefix(r.out, "RUN ID") {
		t.Errorf("runs table:\n%s", r.out)
	}
}

// The real export, as of 2024-04-30, with Taktile's validation result:
// exactly one alert, for white.white@cummings.net; a rerun sends nothing.
func TestRunOnTheRealExport(t *testing.T) {
	shared := crmtest.SharedDir(t)
	db := filepath.Join(t.TempDir(), "db.duckdb")
	mainCLI(context.Background(), "init", "--src", filepath.Join(shared, "db_src.duckdb"), "--db", db, "-q").expect(t, 0)
	hook := newHookReceiver(t, false)
	args := []string{"run", "--db", db, "--as-of", "2024-04-30", "--data-dir", t.TempDir(),
		"--provider", "csv", "--file", filepath.Join(shared, "valid_emails.csv"), "-q"}
	mainCLI(context.Background(), args...).expect(t, 0)
	bodies, _ := hook.received()
	if len(bodies) != 1 || !strings.Contains(bodies[0]["message"].(string), "white.white@cummings.net") {
		t.Fatalf("alerts = %v, want exactly one, for white.white@cummings.net", bodies)
	}
	mainCLI(context.Background(), args...).expect(t, 0)
	if bodies, _ := hook.received(); len(bodies) != 1 {
		t.Errorf("the rerun sent %d alerts, want none", len(bodies)-1)
	}
}

func TestRunStopsAtTheFailingStepWithItsExitCode(t *testing.T) {
	newHookReceiver(t, false)
	crm := crmtest.New(t)
	crm.Exec(`DROP TABLE crm.website_visits`)
	crm.Close()
	r := mainCLI(context.Background(), "run", "--db", crm.Path, "--as-of", "2024-04-30", "--data-dir", t.TempDir())
	r.expect(t, exitcode.Data, "step segment", "website_visits", ": failed in")
	r = mainCLI(context.Background(), "runs", "--db", crm.Path)
	r.expect(t, 0)
	if !strings.Contains(r.out, "failed") || !strings.Contains(r.out, "website_visits") {
		t.Errorf("runs does not show the failure:\n%s", r.out)
	}
}

func TestRunWithoutDatabaseIsExit3(t *testing.T) {
	newHookReceiver(t, false)
	r := mainCLI(context.Background(), "run", "--db", filepath.Join(t.TempDir(), "none.duckdb"))
	r.expect(t, exitcode.Data, "does not exist")
}

// A run started while another holds the database's run lock exits 5 at
// once, naming the holder, and changes nothing.
func TestRunWhileAnotherRunsIsExit5(t *testing.T) {
	newHookReceiver(t, false)
	db := pipelineFixture(t)
	lock, err := runlock.FileFor(db).TryLock(context.Background(), runlock.Me("the-other-run", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	dataDir := t.TempDir()
	begin := time.Now()
	r := mainCLI(context.Background(), "run", "--db", db, "--as-of", "2024-04-30", "--data-dir", dataDir)
	if waited := time.Since(begin); waited > 5*time.Second {
		t.Errorf("run waited %v for the lock, want an immediate exit", waited)
	}
	r.expect(t, exitcode.Busy, "another run holds the run lock", "run the-other-run", "PID "+strconv.Itoa(os.Getpid()), db+".run.lock")
	if _, err := os.Stat(filepath.Join(dataDir, "customer_segments.csv")); err == nil {
		t.Error("the refused run wrote customer_segments.csv")
	}
	lock.Unlock()
	r = mainCLI(context.Background(), "runs", "--db", db)
	r.expect(t, 0, "no runs recorded")
}

// Two runs at once on one database: while the first is delivering its
// alerts, the second exits 5 at once; nothing is sent twice.
func TestConcurrentRunsSendNothingTwice(t *testing.T) {
	db := pipelineFixture(t)
	hook := newHookReceiver(t, true)
	dataDir := t.TempDir()
	args := []string{"run", "--db", db, "--as-of", "2024-04-30", "--data-dir", dataDir, "-q", "--alert-concurrency", "1"}
	first := make(chan cliResult, 1)
	go func() { first <- mainCLI(context.Background(), args...) }()
	select {
	case <-hook.arrived: // the first run is in its alert step, holding the lock
	case r := <-first:
		t.Fatalf("the first run ended before alerting: exit %d\n%s", r.code, r.errOut)
	case <-time.After(30 * time.Second):
		t.Fatal("the first run never alerted")
	}

	second := mainCLI(context.Background(), args...)
	second.expect(t, exitcode.Busy, "another run holds the run lock", "PID "+strconv.Itoa(os.Getpid()))

	close(hook.gate)
	r := <-first
	r.expect(t, 0)
	bodies, keys := hook.received()
	if len(bodies) != 2 {
		t.Errorf("the receiver got %d POSTs, want 2 (one per contact)", len(bodies))
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("idempotency key %s sent twice", k)
		}
		seen[k] = true
	}
}

// Two runs started together, whatever the timing: each ends 0 or 5, at
// least one does the work, and the alerts go out once.
func TestConcurrentRuns(t *testing.T) {
	db := pipelineFixture(t)
	hook := newHookReceiver(t, false)
	dataDir := t.TempDir()
	var wg sync.WaitGroup
	results := make([]cliResult, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = mainCLI(context.Background(), "run", "--db", db, "--as-of", "2024-04-30", "--data-dir", dataDir, "-q")
		}()
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch r.code {
		case 0:
			ok++
		case exitcode.Busy:
			if !strings.Contains(r.errOut, "another run holds the run lock") {
				t.Errorf("busy run says %q", r.errOut)
			}
		default:
			t.Errorf("exit %d: %s", r.code, r.errOut)
		}
	}
	if ok == 0 {
		t.Error("neither run succeeded")
	}
	if bodies, _ := hook.received(); len(bodies) != 2 {
		t.Errorf("%d alerts sent, want 2", len(bodies))
	}
}

func TestRunUsageErrors(t *testing.T) {
	db := pipelineFixture(t)
	newHookReceiver(t, false)
	tests := []struct {
		args []string
		has  string
	}{
		{[]string{"--high-window-days", "0"}, "--high-window-days"},
		{[]string{"--format", "yaml"}, "--format"},
		{[]string{"extra-arg"}, "extra-arg"},
		{[]string{"--provider", "zerobounce"}, "ZEROBOUNCE_API_KEY"},
		{[]string{"--channel", "pigeon"}, "pigeon"},
		{[]string{"--alert-concurrency", "0"}, "--concurrency"},
		{[]string{"--concurrency", "2"}, "unknown flag: --concurrency"},
	}
	t.Setenv("ZEROBOUNCE_API_KEY", "")
	for _, tt := range tests {
		r := mainCLI(context.Background(), append([]string{"run", "--db", db}, tt.args...)...)
		r.expect(t, exitcode.Usage, tt.has)
	}
	// Without a webhook URL the run refuses to start, before taking the lock.
	t.Setenv("INTENTALERT_WEBHOOK_URL", "")
	mainCLI(context.Background(), "run", "--db", db).expect(t, exitcode.Usage, "INTENTALERT_WEBHOOK_URL")
}

// A flag verify and alert share is set per step on run; the configuration
// file's plain key applies to both.
func TestSharedStepFlags(t *testing.T) {
	newHookReceiver(t, false)
	file := writeConfig(t, "concurrency: 3\n")
	got, _ := checkJSON(t, "--config", file)
	for _, k := range []string{"verify-concurrency", "alert-concurrency", "concurrency"} {
		if s := got[k]; s.Value != float64(3) || !strings.HasPrefix(s.Source, "file ") {
			t.Errorf("%s = %v from %q, want 3 from the file", k, s.Value, s.Source)
		}
	}
}
