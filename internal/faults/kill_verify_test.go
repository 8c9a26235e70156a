package faults

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
)

// zbFront serves the fake ZeroBounce and counts the requests in flight,
// with hooks on the arrival of a batch (before it is answered) and after
// its answer was flushed.
type zbFront struct {
	z   *emailchecktest.ZeroBounce
	srv *httptest.Server

	mu         sync.Mutex
	inflight   int
	batches    int // validatebatch requests arrived
	answers    int // validatebatch answers flushed to a live client
	onArrive   func(n int)
	onAnswered func(n int)
}

func newZBFront(t testing.TB, key string, credits int) *zbFront {
	f := &zbFront{z: emailchecktest.NewZeroBounce(key, credits)}
	f.z.OnRequest(func(r emailchecktest.Request) {
		if !strings.HasSuffix(r.Path, "/validatebatch") {
			return
		}
		f.mu.Lock()
		f.batches++
		n, hook := f.batches, f.onArrive
		f.mu.Unlock()
		if hook != nil {
			hook(n)
		}
	})
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.z.Release)
	return f
}

func (f *zbFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.inflight++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	f.z.ServeHTTP(w, r)
	if !strings.HasSuffix(r.URL.Path, "/validatebatch") {
		return
	}
	w.(http.Flusher).Flush()
	if r.Context().Err() != nil {
		return
	}
	f.mu.Lock()
	f.answers++
	n, hook := f.answers, f.onAnswered
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
}

func (f *zbFront) hooks(onArrive, onAnswered func(n int)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onArrive, f.onAnswered = onArrive, onAnswered
}

// counts returns the batches arrived and answered so far.
func (f *zbFront) counts() (arrived, answered int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.batches, f.answers
}

func (f *zbFront) idle(d time.Duration) bool {
	return within(d, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.inflight == 0
	})
}

// URL is the fake's base URL, version path included.
func (f *zbFront) URL() string { return f.srv.URL + "/v2" }

// TestKillVerify kills `intentalert verify --provider zerobounce` with
// SIGKILL at random points against a slow fake ZeroBounce, reruns it until
// it finishes, and counts what the fake charged: an answer recorded in
// crm.email_verifications is never paid for again; the only repeats are of
// answers that were paid but not yet recorded when the process died: at
// most one batch per worker (--concurrency) plus the one being recorded.
func TestKillVerify(t *testing.T) {
	addresses, kills := 1000, 3
	if soak() {
		kills = 20
	}
	for _, tc := range []struct {
		name        string
		concurrency int
	}{
		{"concurrency 1", 1},
		{"concurrency 4", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			killVerify(t, "verify kill -9, "+tc.name, addresses, kills, tc.concurrency)
		})
	}
}

func killVerify(t *testing.T, scenario string, n, kills, concurrency int) {
	rng := newRand(t)
	template := highCRM(t, n, false)
	const key = "zb-fake-key-5e1d7c"
	const batch = 200
	killed := 0
	byKind := map[killKind]int{}
	lostByKind := map[killKind]int{}
	var charges, repeats, repeatsOfRecorded, lost, maxLostBatches, requests, trials int
	for trial := 0; killed < kills; trial++ {
		if trial > 2*kills+2 {
			t.Fatalf("%d trials made only %d of %d kills: the kill points never fire", trial, killed, kills)
		}
		trials++
		db := copyFile(t, template, "db.duckdb")
		dataDir := t.TempDir()
		zb := newZBFront(t, key, 1_000_000)
		zb.z.SetDelay(300 * time.Millisecond)
		environ := env(t, "ZEROBOUNCE_API_KEY="+key)
		args := []string{"verify", "--db", db, "--as-of", asOfText, "--data-dir", dataDir, "--provider", "zerobounce",
			"--zerobounce-url", zb.URL(), "--zerobounce-bulk-url", zb.URL(), "--concurrency", strconv.Itoa(concurrency)}
		lostAt := map[string]int{} // address -> kills that lost its paid answer
		for killed < kills {
			chargedBefore := zb.z.Charged()
			recordedBefore := recorded(t, db)
			left := (n - len(recordedBefore) + batch - 1) / batch
			arrived, answered := zb.counts()
			kind := killKind(rng.IntN(int(killKinds)))
			if killed < int(killKinds) {
				kind = killKind(killed)
			}
			r := 1 + rng.IntN(max(1, left))
			kl := newKiller()
			var delay time.Duration
			switch kind {
			case killAtRandomTime:
				delay = time.Duration(100+rng.IntN(1700)) * time.Millisecond
			case killOnArrival:
				zb.hooks(func(m int) {
					if m-arrived == r {
						kl.fire()
					}
				}, nil)
			case killAfterAnswer:
				zb.hooks(nil, func(m int) {
					if m-answered == r {
						kl.fire()
					}
				})
			}
			p := start(t, environ, args...)
			ok := kl.run(p, delay)
			zb.hooks(nil, nil)
			if !ok {
				p.result().want(t, 0)
				break // finished before its kill point: the trial is over
			}
			killed++
			byKind[kind]++
			if !zb.idle(10 * time.Second) {
				t.Fatal("the fake still answers a request 10s after the kill")
			}
			chargedAfter := zb.z.Charged()
			recordedAfter := recorded(t, db)
			var lostNow []string
			for a, c := range chargedAfter {
				if c <= chargedBefore[a] {
					continue
				}
				if recordedBefore[a] {
					repeatsOfRecorded++
					t.Errorf("kill %d (%s): %s was paid for again although its answer was recorded", killed, kind, a)
				}
				if !recordedAfter[a] {
					lostNow = append(lostNow, a)
					lostAt[a]++
				}
			}
			lost += len(lostNow)
			lostByKind[kind] += len(lostNow)
			lostBatches := (len(lostNow) + batch - 1) / batch
			maxLostBatches = max(maxLostBatches, lostBatches)
			// A worker sends its next batch only once its last answer is
			// recorded: each holds at most one paid answer not yet in the
			// database (the one arriving, or the one being recorded).
			if lostBatches > concurrency {
				t.Errorf("kill %d (%s): %d paid answers lost (%d batches), more than one batch per worker (--concurrency %d)", killed, kind, len(lostNow), lostBatches, concurrency)
			}
			t.Logf("trial %d, kill %d at %s (batch %d) after %s: %d recorded, %d paid answers lost", trial+1, killed, kind, r,
				p.result().elapsed.Round(time.Millisecond), len(recordedAfter), len(lostNow))
		}
		res := runBin(t, environ, args...)
		res.want(t, 0, fmt.Sprintf("%d addresses in scope", n))
		if got := recorded(t, db); len(got) != n {
			t.Errorf("trial %d: %d addresses recorded, want %d", trial+1, len(got), n)
		}
		if rows := query(t, db, `SELECT count(*), count(*) FILTER (WHERE is_email_valid) FROM crm.valid_emails`); rows[0][0] != strconv.Itoa(n) || rows[0][1] != strconv.Itoa(n) {
			t.Errorf("trial %d: crm.valid_emails has %s rows, %s valid; want %d valid", trial+1, rows[0][0], rows[0][1], n)
		}
		if b, err := os.ReadFile(filepath.Join(dataDir, "valid_emails.csv")); err != nil || strings.Count(string(b), "\n") != n+1 {
			t.Errorf("trial %d: valid_emails.csv: %d lines (%v), want %d", trial+1, strings.Count(string(b), "\n"), err, n+1)
		}
		// A rerun is answered from the cache: not one request.
		reqs := len(zb.z.Requests())
		res = runBin(t, environ, args...)
		res.want(t, 0, fmt.Sprintf("cached %d", n), "credits spent 0")
		if more := len(zb.z.Requests()) - reqs; more != 0 {
			t.Errorf("trial %d: the rerun made %d requests, want none", trial+1, more)
		}
		requests += len(zb.z.Requests())
		for a, c := range zb.z.Charged() {
			charges += c
			if c > 1 {
				repeats += c - 1
				if c-1 > lostAt[a] {
					t.Errorf("trial %d: %s paid %d times, but its paid answer was lost at only %d kills", trial+1, a, c, lostAt[a])
				}
			}
		}
		if len(zb.z.Charged()) != n {
			t.Errorf("trial %d: %d addresses paid for, want %d", trial+1, len(zb.z.Charged()), n)
		}
	}
	t.Logf("%d trials of %d addresses, %d kills (%v), %d requests, %d credits charged, %d repeated (%d of recorded answers), %d paid answers lost at kills",
		trials, n, killed, byKind, requests, charges, repeats, repeatsOfRecorded, lost)
	addFigure(scenario, "trials", float64(trials))
	addFigure(scenario, "addresses", float64(trials*n))
	addFigure(scenario, "kills", float64(killed))
	for kind, c := range byKind {
		addFigure(scenario, "kills: "+kind.String(), float64(c))
		addFigure(scenario, "paid_answers_lost: "+kind.String(), float64(lostByKind[kind]))
	}
	addFigure(scenario, "requests", float64(requests))
	addFigure(scenario, "credits_charged", float64(charges))
	addFigure(scenario, "repeated_paid_verifications", float64(repeats))
	addFigure(scenario, "repeated_paid_verifications_of_recorded_answers", float64(repeatsOfRecorded))
	addFigure(scenario, "paid_answers_lost_at_kills", float64(lost))
	maxFigure(scenario, "max_batches_lost_at_a_kill", float64(maxLostBatches))
}

// recorded returns the addresses crm.email_verifications holds a
// ZeroBounce answer for (none when the table does not exist yet).
func recorded(t testing.TB, db string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	exists := query(t, db, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'crm' AND table_name = 'email_verifications'`)
	if exists[0][0] == "0" {
		return out
	}
	for _, row := range query(t, db, `SELECT DISTINCT email FROM crm.email_verifications WHERE provider = 'zerobounce'`) {
		out[row[0]] = true
	}
	return out
}
