package faults

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/exitcode"
)

// maxAttempts is the dispatcher's limit of attempts per message
// (outbound.DefaultBackoff), which the real binary uses.
const maxAttempts = 5

// receiverFault is how a receiver treats the alert of one contact.
type receiverFault struct {
	name     string
	do       func(attempt int) answer
	attempts int           // requests the alert gets
	sent     bool          // delivered in the end
	has      string        // what the summary says about it, when not delivered
	minGap   time.Duration // between two attempts (Retry-After)
	// replayed: net/http resends a request that failed on a reused
	// keep-alive connection before any answer when it carries an
	// Idempotency-Key, within one attempt of the dispatcher; the alert
	// may then get more requests than attempts, all under its key.
	replayed bool
}

// TestFaultyReceivers runs `intentalert alert` against webhook receivers
// that fail in every way a network service does, one way per contact: in
// the first run every fault is transient, in the second persistent. It
// checks that retries are bounded, that an accepted alert is never sent
// again, that the run ends with the right exit code (4 when some alerts
// were not delivered) and a summary naming them, that the ledger agrees,
// and that a rerun against a healthy receiver delivers exactly the failed
// ones under their first key.
func TestFaultyReceivers(t *testing.T) {
	t.Parallel()
	retryAfter := http.Header{"Retry-After": {"1"}}
	once := func(a answer) func(int) answer {
		return func(attempt int) answer {
			if attempt == 1 {
				return a
			}
			return answer{}
		}
	}
	always := func(a answer) func(int) answer { return func(int) answer { return a } }
	tests := []struct {
		name   string
		code   int
		faults []receiverFault
		rerun  bool
	}{
		{"transient faults", 0, []receiverFault{
			{name: "500 once", do: once(answer{Status: 503, Body: "busy"}), attempts: 2, sent: true},
			{name: "429 with Retry-After once", do: once(answer{Status: 429, Header: retryAfter, Body: "slow down"}), attempts: 2, sent: true, minGap: 900 * time.Millisecond},
			{name: "hang past the timeout once", do: once(answer{Hang: true}), attempts: 2, sent: true},
			{name: "connection reset once", do: once(answer{Reset: true}), attempts: 2, sent: true, replayed: true},
			{name: "200 slowly", do: always(answer{Delay: 300 * time.Millisecond}), attempts: 1, sent: true},
		}, false},
		{"persistent faults", exitcode.Partial, []receiverFault{
			{name: "500 every time", do: always(answer{Status: 500, Body: "internal error"}), attempts: maxAttempts, has: "webhook: HTTP 500: internal error (after 5 attempts)"},
			{name: "429 with Retry-After every time", do: always(answer{Status: 429, Header: retryAfter, Body: "slow down"}), attempts: maxAttempts,
				has: "webhook: HTTP 429: slow down (after 5 attempts)", minGap: 900 * time.Millisecond},
			{name: "hang past the timeout every time", do: always(answer{Hang: true}), attempts: maxAttempts, has: "timed out after 1s (after 5 attempts)"},
			{name: "connection reset every time", do: always(answer{Reset: true}), attempts: maxAttempts, has: "connection reset by peer (after 5 attempts)", replayed: true},
			{name: "400, a permanent rejection", do: always(answer{Status: 400, Body: "bad payload"}), attempts: 1, has: "webhook: HTTP 400: bad payload (after 1 attempt)"},
			{name: "200", do: always(answer{}), attempts: 1, sent: true},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := len(tt.faults)
			db := highCRM(t, n, true)
			byKey := map[string]receiverFault{}
			indexOf := map[string]int{}
			for i, f := range tt.faults {
				key := alert.Key("webhook", contactEmail(i), asOf)
				byKey[key], indexOf[key] = f, i
			}
			rcv := newReceiver(t, nil)
			rcv.answerByKey(func(key string, attempt int) answer { return byKey[key].do(attempt) })
			args := []string{"alert", "--db", db, "--as-of", asOfText, "--timeout", "1s"}
			res := runBin(t, env(t, "INTENTALERT_WEBHOOK_URL="+rcv.URL()), args...)
			sent := 0
			for _, f := range tt.faults {
				if f.sent {
					sent++
				}
			}
			res.want(t, tt.code, fmt.Sprintf("webhook: %d contacts of HIGH companies, %d selected", n, n), fmt.Sprintf("sent %d, failed %d", sent, n-sent))
			// The summary names each alert not delivered, and why.
			for i, f := range tt.faults {
				prefix := fmt.Sprintf("  not delivered: First%d Last%d <c***@acme.com> at acme.com via webhook: failed: ", i, i)
				var line string
				for _, l := range strings.Split(res.errOut, "\n") {
					if strings.HasPrefix(l, prefix) {
						line = l
					}
				}
				switch {
				case f.sent && line != "":
					t.Errorf("%s: delivered, yet the summary says %q", f.name, line)
				case !f.sent && !strings.Contains(line, f.has):
					t.Errorf("%s: the summary says %q, want a line %q…%q", f.name, line, prefix, f.has)
				}
			}
			got := map[string][]receipt{}
			for _, r := range rcv.receipts() {
				got[r.Key] = append(got[r.Key], r)
			}
			led := map[string][]string{}
			for _, row := range query(t, db, `SELECT key, status, attempts FROM crm.alert_deliveries`) {
				led[row[0]] = row[1:]
			}
			for key, f := range byKey {
				rs := got[key]
				if len(rs) != f.attempts && !(f.replayed && len(rs) > f.attempts && len(rs) <= 2*f.attempts) {
					t.Errorf("%s: %d requests, want %d", f.name, len(rs), f.attempts)
				}
				for i := 1; i < len(rs); i++ {
					if gap := rs[i].At.Sub(rs[i-1].At); gap < f.minGap {
						t.Errorf("%s: attempt %d came %s after the previous one, want at least %s (Retry-After)", f.name, i+1, gap, f.minGap)
					}
				}
				status, attempts := alert.StatusFailed, strconv.Itoa(f.attempts)
				if f.sent {
					status = alert.StatusSent
				}
				if row := led[key]; len(row) != 2 || row[0] != status || row[1] != attempts && !(f.replayed && row[1] != "0") {
					t.Errorf("%s: ledger %v, want %s after %s attempts", f.name, row, status, attempts)
				}
			}
			addFigure("faulty receivers", "faults_injected", float64(n))
			addFigure("faulty receivers", "alerts", float64(n))
			addFigure("faulty receivers", "requests", float64(len(rcv.receipts())))
			if !tt.rerun {
				return
			}
			// Once the receiver recovers, a rerun delivers every failed
			// alert once, under the key of its first attempt, and nothing
			// that was delivered.
			healthy := newReceiver(t, nil)
			res = runBin(t, env(t, "INTENTALERT_WEBHOOK_URL="+healthy.URL()), args...)
			res.want(t, 0, fmt.Sprintf("sent %d, failed 0", n-sent), fmt.Sprintf("already sent %d", sent))
			var resent []string
			for _, r := range healthy.receipts() {
				f, ok := byKey[r.Key]
				if !ok || f.sent {
					t.Errorf("the rerun sent %s (%s), which the first run delivered or never tried", r.Key, f.name)
				}
				resent = append(resent, r.Key)
			}
			if len(resent) != n-sent || len(slices.Compact(slices.Sorted(slices.Values(resent)))) != n-sent {
				t.Errorf("the rerun made %d requests, want one for each of the %d failed alerts", len(resent), n-sent)
			}
		})
	}
}

// TestFaultySlackAndSMTP does the same with the Slack and SMTP doubles,
// whose failures take their own forms: Slack's plain-text error codes and
// 429 with Retry-After; SMTP's 4xx replies (retried), 5xx replies
// (permanent) and a server that stalls after DATA. With --concurrency 1
// the scripted answers go to the alerts in order.
func TestFaultySlackAndSMTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		channel  string
		script   func(s *alerttest.Slack, m *alerttest.SMTPServer)
		attempts int // requests or SMTP transactions in all
		has      []string
	}{
		// The first alert: 500, then 429, then accepted; the second: 404,
		// failed; the third: accepted.
		{"slack", func(s *alerttest.Slack, _ *alerttest.SMTPServer) {
			s.Next(alerttest.WebhookError(500, "rollup_error"), alerttest.RateLimitedResponse(1), alerttest.WebhookError(200, "ok"),
				alerttest.WebhookError(404, "channel_not_found"))
		}, 5, []string{"sent 2, failed 1", "First1 Last1 <c***@acme.com> at acme.com via slack: failed: slack: HTTP 404: channel_not_found (after 1 attempt)"}},
		// The first alert: 421, 451, a stall past the timeout, then
		// accepted; the second: 550, failed; the third: accepted.
		{"smtp", func(_ *alerttest.Slack, m *alerttest.SMTPServer) {
			m.Next(alerttest.RateLimited, alerttest.Transient, alerttest.Hang, alerttest.Accept, alerttest.Reject)
		}, 6, []string{"sent 2, failed 1", "First1 Last1 <c***@acme.com> at acme.com via smtp: failed:", "550"}},
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			t.Parallel()
			db := highCRM(t, 3, true)
			slack := alerttest.NewSlack(t)
			mail := alerttest.NewSMTPServer(t, alerttest.SMTPPlain)
			tt.script(slack, mail)
			environ := env(t, "SLACK_WEBHOOK_URL="+slack.WebhookURL(), "SMTP_HOST="+mail.Host, "SMTP_PORT="+strconv.Itoa(mail.Port),
				"SMTP_USERNAME="+mail.Username, "SMTP_PASSWORD="+mail.Password)
			res := runBin(t, environ, "alert", "--db", db, "--as-of", asOfText, "--channel", tt.channel, "--concurrency", "1", "--timeout", "1s")
			res.want(t, exitcode.Partial, tt.has...)
			attempts, delivered := len(slack.Requests()), len(slack.Deliveries())
			if tt.channel == "smtp" {
				attempts, delivered = mail.Transactions(), len(mail.Messages())
			}
			if attempts != tt.attempts || delivered != 2 {
				t.Errorf("%d attempts, %d delivered; want %d attempts, 2 delivered", attempts, delivered, tt.attempts)
			}
			if v := slack.Violations(); len(v) > 0 {
				t.Errorf("Slack markup in %q", v)
			}
			if strings.Count(res.errOut, "\n  not delivered: ") != 1 {
				t.Errorf("the summary does not name exactly the failed alert:\n%s", res.errOut)
			}
			addFigure("faulty receivers", "faults_injected", float64(attempts-2))
			addFigure("faulty receivers", "alerts", 3)
			addFigure("faulty receivers", "requests", float64(attempts))
		})
	}
}
