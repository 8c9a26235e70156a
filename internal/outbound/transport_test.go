package outbound

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTransportError(t *testing.T) {
	netErr := &url.Error{Op: "Get", URL: "https://api.example/v2/validate?api_key=SECRET-KEY", Err: errors.New("connection refused")}

	got := TransportError(context.Background(), netErr)
	if !Retryable(got) || strings.Contains(got.Error(), "SECRET-KEY") || !strings.Contains(got.Error(), "connection refused") {
		t.Errorf("network failure: %v (retryable %v), want a retryable error without the URL", got, Retryable(got))
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	got = TransportError(cancelled, netErr)
	if Retryable(got) || !errors.Is(got, context.Canceled) {
		t.Errorf("cancelled: %v (retryable %v), want permanent, wrapping context.Canceled", got, Retryable(got))
	}

	expired, cancel2 := context.WithTimeoutCause(context.Background(), time.Nanosecond, errors.New("zerobounce: no answer within 1ns"))
	defer cancel2()
	<-expired.Done()
	got = TransportError(expired, netErr)
	if !Retryable(got) || !strings.Contains(got.Error(), "no answer within 1ns") {
		t.Errorf("deadline with cause: %v (retryable %v), want retryable, naming the cause", got, Retryable(got))
	}

	plain, cancel3 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel3()
	<-plain.Done()
	if got = TransportError(plain, netErr); !Retryable(got) || !strings.Contains(got.Error(), "timed out") {
		t.Errorf("deadline: %v, want retryable, saying it timed out", got)
	}
}

func TestScrubError(t *testing.T) {
	inner := &Error{Retry: true, Status: 500, Err: errors.New("HTTP 500: bad key SECRET-KEY")}
	err := ScrubError(fmt.Errorf("provider: %w", inner), "SECRET-KEY")
	if strings.Contains(err.Error(), "SECRET-KEY") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("ScrubError message = %q, want the key redacted", err)
	}
	var oe *Error
	if !errors.As(err, &oe) || oe.Status != 500 || !Retryable(err) {
		t.Errorf("ScrubError lost the chain: %#v", err)
	}
	if ScrubError(nil, "x") != nil {
		t.Errorf("ScrubError(nil) != nil")
	}
}

func TestAnnotate(t *testing.T) {
	err := Annotate("zerobounce: validate", &Error{Retry: true, RetryAfter: time.Second, Status: 429, Err: errors.New("HTTP 429: key K-123 throttled")}, "K-123")
	var oe *Error
	if !errors.As(err, &oe) || !oe.Retry || oe.RetryAfter != time.Second || oe.Status != 429 {
		t.Errorf("Annotate lost the classification: %#v", err)
	}
	if got, want := err.Error(), "zerobounce: validate: HTTP 429: key [redacted] throttled"; got != want {
		t.Errorf("Annotate message = %q, want %q", got, want)
	}
	if err := Annotate("p", errors.New("plain")); Retryable(err) {
		t.Errorf("a plain error became retryable: %v", err)
	}
	if Annotate("p", nil) != nil {
		t.Errorf("Annotate(nil) != nil")
	}
}
