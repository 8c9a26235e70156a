package emailchecktest

import (
	"context"
	"sync"
	"time"
)

// Clock is a fake clock whose Sleep returns at once, moving the time on.
// Pass Now and Sleep to the code under test and to the fakes (SetNow) so
// that rate limits, backoff and cache ages run without real waiting.
type Clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sleep moves the clock on by d, records d and returns at once; it fails
// only when ctx is done. Concurrent sleepers add up, so with several
// goroutines the clock runs ahead of what real sleeps would show.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(max(d, 0))
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	return nil
}

// Slept returns the durations Sleep was called with.
func (c *Clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}
