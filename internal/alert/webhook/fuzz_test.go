package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/webhook"
)

// FuzzBody checks the webhook's request body for any CRM content: exactly
// the JSON object {"from", "to", "subject", "message"} that decodes back to
// the message, without a trailing newline, and a signature a receiver
// verifies.
func FuzzBody(f *testing.F) {
	alerttest.AddFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, email, company, text, url string, flags uint8) {
		m := alerttest.Message(webhook.Name, alerttest.FuzzAlert(name, email, company, text, url, flags))
		if flags&32 != 0 {
			m = alerttest.Digest(webhook.Name, alerttest.FuzzAlert(name, email, company, text, url, flags), alerttest.Sample())
		}
		body, err := webhook.Body(m)
		if err != nil {
			t.Fatalf("Body: %v", err)
		}
		if bytes.HasSuffix(body, []byte("\n")) {
			t.Fatalf("body ends with a newline")
		}
		var got map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&got); err != nil || dec.More() {
			t.Fatalf("body is not one JSON object (%v): %s", err, body)
		}
		want := map[string]any{"from": m.From, "to": m.To, "subject": m.Subject, "message": m.Text}
		if len(got) != 4 {
			t.Fatalf("body has keys %v, want exactly from, to, subject, message", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("body %s = %q, want %q", k, got[k], v)
			}
		}
		h := http.Header{}
		ts := "1714435200"
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, webhook.Sign(text, ts, body))
		if err := webhook.Verify(text, h, body, time.Unix(1714435200, 0), time.Minute); err != nil {
			t.Fatalf("Verify of a signed body: %v", err)
		}
		if err := webhook.Verify(text, h, append(body, ' '), time.Unix(1714435200, 0), time.Minute); err == nil {
			t.Fatalf("Verify accepted a changed body")
		}
		var _ alert.Message = m
	})
}
