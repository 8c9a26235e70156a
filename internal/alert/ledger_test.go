package alert_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/store"
)

// TestLedgerGroupCommit claims and finishes many messages at once, as a
// run with many messages in flight does: every caller gets its own answer
// once its write is committed, concurrent writes share transactions, and
// the table ends as if each had been written alone.
func TestLedgerGroupCommit(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 1), func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		const n, callers = 120, 24
		msgs := make([]alert.Message, n)
		for i := range msgs {
			email := fmt.Sprintf("c%03d@acme.com", i)
			msgs[i] = alert.Message{
				Key:    alert.Key("webhook", email, asOf),
				Alerts: []alert.Alert{{ContactEmail: email, CompanyID: "co"}},
				AsOf:   asOf,
			}
		}
		l := alert.NewLedger(st, nil)
		if err := l.Hold(ctx); err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		// Each caller claims its messages, then records every third as
		// failed and the rest as sent.
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := c; i < n; i += callers {
					ok, err := l.Claim(ctx, "webhook", msgs[i])
					if err != nil || !ok {
						errs <- fmt.Errorf("claim %d: %v, %v", i, ok, err)
						continue
					}
					var sendErr error
					if i%3 == 0 {
						sendErr = errors.New("HTTP 500")
					}
					if err := l.Finish(ctx, "webhook", msgs[i], 1+i%2, sendErr); err != nil {
						errs <- fmt.Errorf("finish %d: %v", i, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if tx := l.Transactions(); tx >= 2*n || tx < 2 {
			t.Errorf("%d transactions for %d claims and %d finishes: the writes were not grouped", tx, n, n)
		}
		rows := ledger(t, st)
		if len(rows) != n {
			t.Fatalf("%d ledger rows, want %d", len(rows), n)
		}
		for i, r := range rows {
			want, wantErr := alert.StatusSent, ""
			if i%3 == 0 {
				want, wantErr = alert.StatusFailed, "HTTP 500"
			}
			if r.Status != want || r.LastError != wantErr || r.Attempts != 1+i%2 || r.Sent != (want == alert.StatusSent) || r.Key != msgs[i].Key {
				t.Errorf("row %d: %+v, want status %s, attempts %d, error %q", i, r, want, 1+i%2, wantErr)
			}
		}
		// A sent message is not claimed again; a failed one is.
		for _, i := range []int{1, 3} {
			ok, err := l.Claim(ctx, "webhook", msgs[i])
			if err != nil || ok != (i%3 == 0) {
				t.Errorf("claim of message %d again: %v, %v; want %v", i, ok, err, i%3 == 0)
			}
		}
	})
}
