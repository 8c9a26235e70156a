package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/outbound"
)

// Result statuses of a delivery. Sent and Failed are also ledger statuses;
// Pending means the outcome is unknown (the run was stopped during an
// attempt) and the ledger keeps the claim; Skipped means the ledger already
// had the message as sent; NotSent means the run stopped before the first
// attempt.
const (
	ResultSent    = StatusSent
	ResultFailed  = StatusFailed
	ResultPending = StatusPending
	ResultSkipped = "skipped"
	ResultNotSent = "not_sent"
)

// Result is the outcome of one message.
type Result struct {
	Channel  string
	Message  Message
	Status   string
	Attempts int
	Err      error // secrets scrubbed
}

// Recorder is the delivery ledger as the Dispatcher uses it; *Ledger is
// the real one.
type Recorder interface {
	Claim(ctx context.Context, channel string, m Message) (bool, error)
	Finish(ctx context.Context, channel string, m Message, attempts int, err error) error
}

// DefaultConcurrency is the number of messages in flight per channel.
const DefaultConcurrency = 4

// DefaultTimeout bounds one attempt to deliver one message.
const DefaultTimeout = 30 * time.Second

// Dispatcher delivers messages: for each message it waits for the
// channel's rate limit, claims the message in the ledger, and makes
// attempts with backoff until one succeeds, one fails permanently or the
// attempts run out; then it records the outcome. It is the only retry loop:
// channels make one attempt per Send.
type Dispatcher struct {
	Backoff     outbound.Backoff
	Timeout     time.Duration // per attempt; 0: DefaultTimeout
	Concurrency int           // messages in flight per channel; 0: DefaultConcurrency
	// Rates limits each channel, by name, to so many messages per second
	// (attempts included); a channel not listed is not limited.
	Rates  map[string]rate.Limit
	Ledger Recorder // nil: no ledger
	// Sleep waits between attempts and for the rate limit (tests pass one
	// that returns at once); nil: outbound.Sleep.
	Sleep   func(context.Context, time.Duration) error
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: discard
	Secrets []string         // scrubbed from every error recorded or logged
}

// Batch is the messages of one channel.
type Batch struct {
	Channel  Channel
	Messages []Message
}

// DeliverAll delivers every batch, the channels side by side, and returns
// the results of each batch in the order of its messages.
func (d *Dispatcher) DeliverAll(ctx context.Context, batches []Batch) [][]Result {
	out := make([][]Result, len(batches))
	var wg sync.WaitGroup
	for i, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = d.Deliver(ctx, b.Channel, b.Messages)
		}()
	}
	wg.Wait()
	return out
}

// Deliver delivers msgs on ch, Concurrency at a time, and returns their
// results in the order of msgs.
func (d *Dispatcher) Deliver(ctx context.Context, ch Channel, msgs []Message) []Result {
	results := make([]Result, len(msgs))
	var limiter *rate.Limiter
	if r, ok := d.Rates[ch.Name()]; ok && r > 0 && r != rate.Inf {
		limiter = rate.NewLimiter(r, 1)
	}
	log := d.logger().With("channel", ch.Name())
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(d.concurrency(), len(msgs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results[i] = d.deliverOne(ctx, ch, msgs[i], limiter, log)
			}
		}()
	}
	for i := range msgs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

func (d *Dispatcher) deliverOne(ctx context.Context, ch Channel, m Message, limiter *rate.Limiter, log *slog.Logger) Result {
	res := Result{Channel: ch.Name(), Message: m}
	log = log.With("key", m.Key, "contacts", len(m.Alerts))
	if len(m.Alerts) == 1 {
		log = log.With("contact", MaskEmail(m.Alerts[0].ContactEmail))
	}
	if err := ctx.Err(); err != nil {
		res.Status, res.Err = ResultNotSent, err
		return res
	}
	// Wait for the rate limit before the claim, so that the pending rows
	// are the messages in flight.
	if err := d.wait(ctx, limiter); err != nil {
		res.Status, res.Err = ResultNotSent, err
		return res
	}
	if d.Ledger != nil {
		ok, err := d.Ledger.Claim(ctx, ch.Name(), m)
		if err != nil {
			res.Status, res.Err = ResultFailed, d.scrub(err)
			if ctx.Err() != nil {
				res.Status = ResultNotSent
			}
			log.Warn("alert not sent: ledger claim failed", "error", res.Err)
			return res
		}
		if !ok {
			res.Status = ResultSkipped
			log.Debug("alert already sent")
			return res
		}
	}
	var lastText string
	first := true
	n, err := d.Backoff.Do(ctx, d.sleep(), func(ctx context.Context) error {
		if !first {
			if err := d.wait(ctx, limiter); err != nil {
				return err
			}
		}
		first = false
		err := d.attempt(ctx, ch, m)
		if err != nil {
			if text := d.scrub(err).Error(); text != lastText {
				lastText = text
				log.Debug("attempt failed", "error", text, "retry", outbound.Retryable(err))
			}
		}
		return err
	})
	res.Attempts = n
	switch {
	case err == nil:
		res.Status = ResultSent
		log.Info("alert sent", "attempts", n)
	case n == 0:
		res.Status, res.Err = ResultNotSent, d.scrub(err)
	case ctx.Err() != nil:
		// Stopped during an attempt: it may have been delivered. The
		// claim stays pending, so a rerun resends it under the same key.
		res.Status, res.Err = ResultPending, d.scrub(err)
		log.Warn("alert outcome unknown: the run was stopped during the send", "error", res.Err)
		return res
	default:
		res.Status, res.Err = ResultFailed, d.scrub(err)
		log.Warn("alert failed", "attempts", n, "error", res.Err)
	}
	if d.Ledger != nil {
		var recErr error
		if res.Status == ResultNotSent {
			recErr = errors.New("not sent: the run was stopped before the first attempt")
		} else if res.Err != nil {
			recErr = res.Err
		}
		if ferr := d.Ledger.Finish(ctx, ch.Name(), m, n, recErr); ferr != nil {
			ferr = d.scrub(ferr)
			log.Error("delivery outcome not recorded", "status", res.Status, "error", ferr)
			if res.Status == ResultSent {
				// Delivered, but the ledger still says pending: a rerun
				// resends it with the same key. Say so.
				res.Status, res.Err = ResultPending, fmt.Errorf("sent, but the ledger was not updated: %w", ferr)
			}
		}
	}
	return res
}

// wait waits for the rate limiter's next slot.
func (d *Dispatcher) wait(ctx context.Context, limiter *rate.Limiter) error {
	if limiter == nil {
		return ctx.Err()
	}
	now := d.now()
	r := limiter.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		if err := d.sleep()(ctx, delay); err != nil {
			r.CancelAt(d.now())
			return err
		}
	}
	return nil
}

// attempt makes one attempt with the per-attempt timeout.
func (d *Dispatcher) attempt(ctx context.Context, ch Channel, m Message) error {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%s: attempt timed out after %s", ch.Name(), timeout))
	defer cancel()
	err := ch.Send(actx, m)
	if err != nil && ctx.Err() == nil && actx.Err() != nil && !outbound.Retryable(err) {
		// The attempt's own deadline fired (the channel took it for a
		// cancellation): worth another attempt.
		return &outbound.Error{Retry: true, Err: fmt.Errorf("%w: %w", context.Cause(actx), err)}
	}
	return err
}

func (d *Dispatcher) concurrency() int {
	if d.Concurrency > 0 {
		return d.Concurrency
	}
	return DefaultConcurrency
}

func (d *Dispatcher) sleep() func(context.Context, time.Duration) error {
	if d.Sleep != nil {
		return d.Sleep
	}
	return outbound.Sleep
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (d *Dispatcher) scrub(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbed{text: outbound.Scrub(err.Error(), d.Secrets...), err: err}
}

// scrubbed shows an error with the secrets removed and keeps its chain
// for errors.Is and errors.As.
type scrubbed struct {
	text string
	err  error
}

func (e *scrubbed) Error() string { return e.text }
func (e *scrubbed) Unwrap() error { return e.err }
