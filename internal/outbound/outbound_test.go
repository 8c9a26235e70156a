package outbound

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRetryableStatus(t *testing.T) {
	tests := []struct {
		code int
		want bool
	}{
		{200, false}, {400, false}, {401, false}, {403, false}, {404, false}, {410, false}, {422, false},
		{408, true}, {425, true}, {429, true}, {500, true}, {502, true}, {503, true}, {520, true}, {524, true},
	}
	for _, tt := range tests {
		if got := RetryableStatus(tt.code); got != tt.want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 4, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {" 10 ", 10 * time.Second}, {"-5", 0}, {"soon", 0},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second},
		{"999999", 10 * time.Minute},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.h, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestDoStopsOnPermanentAndHonoursRetryAfter(t *testing.T) {
	b := Backoff{Base: time.Millisecond, Max: time.Second, Attempts: 5}
	var slept []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	calls := 0
	n, err := b.Do(context.Background(), sleep, func(context.Context) error {
		calls++
		if calls == 1 {
			return &Error{Retry: true, RetryAfter: 2 * time.Second, Err: errors.New("429")}
		}
		return Permanent(errors.New("400 bad"))
	})
	if n != 2 || calls != 2 || err == nil || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Fatalf("Do = %d, %v; calls %d", n, err, calls)
	}
	if len(slept) != 1 || slept[0] != 2*time.Second {
		t.Errorf("slept %v, want [2s] from Retry-After", slept)
	}
}

func TestDoBoundsAttempts(t *testing.T) {
	b := Backoff{Base: time.Millisecond, Max: 4 * time.Millisecond, Attempts: 3}
	calls := 0
	_, err := b.Do(context.Background(), func(context.Context, time.Duration) error { return nil }, func(context.Context) error {
		calls++
		return Temporary(errors.New("500"))
	})
	if calls != 3 || err == nil {
		t.Errorf("calls = %d, err = %v; want 3 attempts then the error", calls, err)
	}
	for n := 1; n < 30; n++ {
		if d := b.Delay(n, errors.New("x")); d <= 0 || d > b.Max {
			t.Errorf("Delay(%d) = %v, want in (0, %v]", n, d, b.Max)
		}
	}
}

func TestDoStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := DefaultBackoff.Do(ctx, Sleep, func(context.Context) error {
		calls++
		cancel()
		return Temporary(errors.New("503"))
	})
	if calls != 1 || err == nil {
		t.Errorf("calls = %d, err = %v; want one attempt", calls, err)
	}
}

func TestRedactURLAndScrub(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://hooks.slack.com/services/T/B/secret", Err: errors.New("connection refused")}
	if got := RedactURL(err).Error(); strings.Contains(got, "secret") || !strings.Contains(got, "connection refused") {
		t.Errorf("RedactURL = %q", got)
	}
	if got := Scrub("api_key=k3y%2B1 and k3y+1", "k3y+1"); strings.Contains(got, "k3y") {
		t.Errorf("Scrub = %q", got)
	}
}
