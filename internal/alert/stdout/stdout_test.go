package stdout_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/stdout"
	"github.com/intentalert/intentalert/internal/outbound"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var _ alert.Channel = (*stdout.Notifier)(nil)

// lines is a writer that keeps each write as one delivery, and fails
// writes on demand.
type lines struct {
	mu     sync.Mutex
	writes [][]byte
	fail   int
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail > 0 {
		l.fail--
		return 0, errors.New("write |1: broken pipe")
	}
	l.writes = append(l.writes, bytes.Clone(p))
	return len(p), nil
}

func (l *lines) deliveries() []alerttest.Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []alerttest.Delivery
	for _, w := range l.writes {
		out = append(out, alerttest.Delivery{Body: w})
	}
	return out
}

func TestConformance(t *testing.T) {
	alerttest.Run(t, func(t *testing.T) *alerttest.Harness {
		w := &lines{}
		n, err := stdout.New(stdout.Config{Out: w})
		if err != nil {
			t.Fatal(err)
		}
		return &alerttest.Harness{
			Channel: n,
			Next: func(modes ...alerttest.Mode) {
				for _, m := range modes {
					if m == alerttest.Reject {
						w.mu.Lock()
						w.fail++
						w.mu.Unlock()
					}
				}
			},
			Deliveries:  w.deliveries,
			Unsupported: []alerttest.Mode{alerttest.Transient, alerttest.RateLimited, alerttest.Hang},
			Check:       check,
		}
	})
}

func check(t *testing.T, d alerttest.Delivery, m alert.Message) {
	t.Helper()
	if !bytes.HasSuffix(d.Body, []byte("\n")) || bytes.Count(d.Body, []byte("\n")) != 1 {
		t.Errorf("not one line: %q", d.Body)
	}
	var got map[string]string
	if err := json.Unmarshal(d.Body, &got); err != nil {
		t.Fatalf("not a JSON object: %v", err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"from", "message", "subject", "to"}) {
		t.Errorf("keys %v", keys)
	}
	if got["message"] != m.Text || got["subject"] != m.Subject {
		t.Errorf("payload differs from the message")
	}
}

func TestGolden(t *testing.T) {
	line, err := stdout.Line(alerttest.Message(stdout.Name, alerttest.Sample()))
	if err != nil {
		t.Fatal(err)
	}
	alerttest.Golden(t, "testdata/sample.golden.jsonl", line, *update)
}

func TestWriteFailureIsPermanent(t *testing.T) {
	n, _ := stdout.New(stdout.Config{Out: &lines{fail: 1}})
	err := n.Send(context.Background(), alerttest.Message(stdout.Name, alerttest.Sample()))
	if err == nil || outbound.Retryable(err) || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Send to a broken pipe = %v, want a permanent error", err)
	}
}

func TestNoWriter(t *testing.T) {
	if _, err := stdout.New(stdout.Config{}); err == nil {
		t.Error("New without a writer succeeded")
	}
}
