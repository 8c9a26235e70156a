package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/webhook"
)

// TestKillAlert kills `intentalert alert` with SIGKILL at random points of
// a run against a slow webhook receiver, reruns it until it finishes, and
// counts: every alert received at least once (none lost), duplicates only
// of messages the ledger had in flight at a kill (at most --concurrency per
// kill), every resend with its original Idempotency-Key and body, and a
// ledger that matches what the receiver got.
func TestKillAlert(t *testing.T) {
	alerts, kills := 25, 3
	if soak() {
		alerts, kills = 200, 20
	}
	for _, tc := range []struct {
		name        string
		concurrency int
		delay       time.Duration // the receiver's answer time
		postgres    bool
	}{
		{"concurrency 1", 1, 100 * time.Millisecond, false},
		{"concurrency 4", 4, 900 * time.Millisecond, false},
		{"postgres, concurrency 1", 1, 100 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := highCRM(t, alerts, true)
			if tc.postgres {
				db = onPostgres(t, highCRM(t, alerts, false))
			}
			killAlert(t, db, "alert kill -9, "+tc.name, alerts, kills, tc.concurrency, tc.delay)
		})
	}
}

func killAlert(t *testing.T, db, scenario string, n, kills, concurrency int, delay time.Duration) {
	rng := newRand(t)
	rcv := newReceiver(t, func(int, int) answer { return answer{Delay: delay} })
	secret := "whsec-" + randomHex(8)
	environ := env(t, "INTENTALERT_WEBHOOK_URL="+rcv.URL(), "INTENTALERT_WEBHOOK_SECRET="+secret)
	args := []string{"alert", "--db", db, "--as-of", asOfText, "--concurrency", strconv.Itoa(concurrency)}

	// The key of every alert, and the address it belongs to.
	emailOf := map[string]string{}
	for i := range n {
		emailOf[alert.Key("webhook", contactEmail(i), asOf)] = contactEmail(i)
	}

	pendingAt := map[string]int{} // key -> kills that left it pending
	byKind := map[killKind]int{}
	killed, pendingTotal, maxPending, inFlight := 0, 0, 0, 0
	for k := 0; k < kills; k++ {
		sent := countStatus(ledger(t, db), alert.StatusSent)
		before := len(rcv.receipts())
		remaining := n - sent
		kind := killKind(k % int(killKinds))
		if k >= int(killKinds) {
			kind = killKind(rng.IntN(int(killKinds)))
		}
		kl := newKiller()
		var delayKill time.Duration
		// Startup takes a few hundred milliseconds; then about five
		// messages a second go out. Kill points stay within the first
		// few seconds so that every kill leaves work for the next run.
		spread := min(remaining, 6)
		if soak() {
			spread = min(remaining, 12)
		}
		switch r := 1 + rng.IntN(max(1, spread)); kind {
		case killAtRandomTime:
			delayKill = time.Duration(200+rng.IntN(200*spread+300)) * time.Millisecond
		case killOnArrival:
			rcv.hooks(func(m int) {
				if m-before == r {
					kl.fire()
				}
			}, nil)
		case killAfterAnswer:
			rcv.hooks(nil, func(m int) {
				if m-before == r {
					kl.fire()
				}
			})
		}
		p := start(t, environ, args...)
		ok := kl.run(p, delayKill)
		rcv.hooks(nil, nil)
		if !ok {
			res := p.result()
			res.want(t, 0)
			t.Logf("run %d ended before its kill point (%s)", k+1, kind)
			break
		}
		killed++
		byKind[kind]++
		if !rcv.idle(10 * time.Second) {
			t.Fatalf("the receiver still handles a request 10s after the kill")
		}
		// What the ledger says after the kill, against what the receiver got.
		led := ledger(t, db)
		got := rcv.receipts()
		received := map[string]bool{}
		answered := map[string]bool{}
		for _, r := range got {
			received[r.Key] = true
			if r.Answered == 200 {
				answered[r.Key] = true
			}
		}
		var pending []string
		for key, st := range led {
			switch st {
			case alert.StatusPending:
				pending = append(pending, key)
				pendingAt[key]++
				if received[key] {
					inFlight++
				}
			case alert.StatusSent:
				if !answered[key] {
					t.Errorf("kill %d (%s): the ledger says %s was sent, but the receiver never answered it", k+1, kind, key)
				}
			default:
				t.Errorf("kill %d (%s): ledger status %q for %s", k+1, kind, st, key)
			}
		}
		for key := range received {
			if st := led[key]; st != alert.StatusSent && st != alert.StatusPending {
				t.Errorf("kill %d (%s): the receiver got %s but the ledger has %q: a rerun could not know it went out", k+1, kind, key, st)
			}
		}
		if len(pending) > concurrency {
			t.Errorf("kill %d (%s): %d messages pending, more than --concurrency %d", k+1, kind, len(pending), concurrency)
		}
		pendingTotal += len(pending)
		maxPending = max(maxPending, len(pending))
		t.Logf("kill %d at %s after %s: %d sent, %d pending, %d requests received", k+1, kind,
			p.result().elapsed.Round(time.Millisecond), countStatus(led, alert.StatusSent), len(pending), len(got))
	}

	// The final run delivers the rest; a second one sends nothing.
	sentBefore := countStatus(ledger(t, db), alert.StatusSent)
	res := runBin(t, environ, args...)
	res.want(t, 0, fmt.Sprintf("sent %d, failed 0", n-sentBefore))
	res = runBin(t, environ, args...)
	res.want(t, 0, fmt.Sprintf("already sent %d", n), "sent 0, failed 0")

	got := rcv.receipts()
	count := map[string]int{}
	first := map[string][]byte{}
	for i, r := range got {
		email, ok := emailOf[r.Key]
		if !ok {
			t.Errorf("request %d: Idempotency-Key %q is not the key of any alert", i+1, r.Key)
			continue
		}
		count[r.Key]++
		if !bytes.Contains(r.Body, []byte(email)) {
			t.Errorf("request %d: key %s (of %s) on a message about someone else:\n%s", i+1, r.Key, email, r.Body)
		}
		if prev, ok := first[r.Key]; ok && !bytes.Equal(prev, r.Body) {
			t.Errorf("request %d: %s was resent with another body", i+1, email)
		} else if !ok {
			first[r.Key] = r.Body
		}
		if err := webhook.Verify(secret, r.Header, r.Body, r.At, 10*time.Minute); err != nil {
			t.Errorf("request %d: signature: %v", i+1, err)
		}
		var payload map[string]string
		if err := json.Unmarshal(r.Body, &payload); err != nil || len(payload) != 4 {
			t.Errorf("request %d: payload %s is not the four-key object (%v)", i+1, r.Body, err)
		}
	}
	lost, duplicates := 0, 0
	for key, email := range emailOf {
		switch c := count[key]; {
		case c == 0:
			lost++
			t.Errorf("%s was never received", email)
		case c > 1:
			duplicates += c - 1
			if c-1 > pendingAt[key] {
				t.Errorf("%s received %d times, but in flight at only %d kills", email, c, pendingAt[key])
			}
		}
	}
	if duplicates > pendingTotal || duplicates > killed*concurrency {
		t.Errorf("%d duplicates after %d kills with %d messages in flight in all (--concurrency %d)", duplicates, killed, pendingTotal, concurrency)
	}
	led := ledger(t, db)
	if len(led) != n || countStatus(led, alert.StatusSent) != n {
		t.Errorf("ledger: %d rows, %d sent; want %d sent", len(led), countStatus(led, alert.StatusSent), n)
	}
	for key := range led {
		if count[key] == 0 {
			t.Errorf("ledger row %s was never received", key)
		}
	}
	t.Logf("%d alerts, %d kills (%v), %d requests received, %d duplicates, %d lost, %d pending at kills (max %d)",
		n, killed, byKind, len(got), duplicates, lost, pendingTotal, maxPending)
	addFigure(scenario, "runs", 1)
	addFigure(scenario, "alerts", float64(n))
	addFigure(scenario, "kills", float64(killed))
	for kind, c := range byKind {
		addFigure(scenario, "kills: "+kind.String(), float64(c))
	}
	addFigure(scenario, "requests_received", float64(len(got)))
	addFigure(scenario, "duplicates", float64(duplicates))
	addFigure(scenario, "lost", float64(lost))
	addFigure(scenario, "pending_at_kills", float64(pendingTotal))
	addFigure(scenario, "pending_at_kills_already_received", float64(inFlight))
	maxFigure(scenario, "max_pending_at_a_kill", float64(maxPending))
	maxFigure(scenario, "concurrency", float64(concurrency))
}

// ledger returns crm.alert_deliveries as key -> status (empty when the
// table does not exist yet).
func ledger(t testing.TB, db string) map[string]string {
	t.Helper()
	exists := query(t, db, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'crm' AND table_name = 'alert_deliveries'`)
	out := map[string]string{}
	if exists[0][0] == "0" {
		return out
	}
	for _, row := range query(t, db, `SELECT key, status FROM crm.alert_deliveries`) {
		out[row[0]] = row[1]
	}
	return out
}

func countStatus(led map[string]string, status string) int {
	n := 0
	for _, s := range led {
		if s == status {
			n++
		}
	}
	return n
}
