package alert_test

import (
	"context"
	"sync"
	"testing"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/webhook"
	"github.com/intentalert/intentalert/internal/store"
)

// TestConcurrentRunsSendEachAlertOnce starts several alert runs at once on
// one PostgreSQL database, each with its own connections as separate
// processes would have: between them the receiver gets every alert exactly
// once, decided by the ledger's claims, not by any run lock.
func TestConcurrentRunsSendEachAlertOnce(t *testing.T) {
	const contacts, workers = 40, 4
	crm := eligible(t, contacts)
	ran := false
	for _, e := range engines(t, crm) {
		if e.name != "postgres" {
			continue // DuckDB admits one writing process at a time
		}
		ran = true
		rcv := alerttest.NewReceiver(t)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, workers)
		start := make(chan struct{})
		for i := range workers {
			st, err := store.Open(ctx, e.st.Name, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			ch, err := webhook.New(webhook.Config{URL: rcv.URL()})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = alert.Run(ctx, st, []alert.Channel{ch}, options())
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("run %d: %v", i, err)
			}
		}
		got := map[string]int{}
		for _, r := range rcv.Requests() {
			if r.Accepted {
				got[r.Header.Get("Idempotency-Key")]++
			}
		}
		if len(got) != contacts {
			t.Errorf("the receiver got %d distinct alerts, want %d", len(got), contacts)
		}
		for key, n := range got {
			if n != 1 {
				t.Errorf("alert %s received %d times, want once", key, n)
			}
		}
		sent := 0
		for _, row := range ledger(t, e.st) {
			if row.Status == alert.StatusSent {
				sent++
			}
		}
		if sent != contacts {
			t.Errorf("the ledger records %d sent, want %d", sent, contacts)
		}
	}
	if !ran {
		t.Skip("needs PostgreSQL: set INTENTALERT_TEST_POSTGRES")
	}
}
