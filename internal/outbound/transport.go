package outbound

import (
	"context"
	"errors"
	"fmt"
)

// TransportError classifies the failure of an HTTP round trip made with
// ctx, where no response arrived. When ctx was cancelled it is permanent
// and wraps context.Canceled; when ctx's deadline passed it is retryable
// and says so, with the deadline's cause when the caller gave one
// (context.WithTimeoutCause); any other failure (refused connection, reset,
// truncated answer) is retryable. The request URL, which may carry a key,
// is removed as RedactURL does.
func TransportError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return &Error{Err: fmt.Errorf("request cancelled: %w", context.Canceled)}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		cause := context.Cause(ctx)
		if errors.Is(cause, context.DeadlineExceeded) {
			cause = errors.New("request timed out")
		}
		return &Error{Retry: true, Err: cause}
	}
	return &Error{Retry: true, Err: RedactURL(err)}
}

// ScrubError returns err with every secret replaced in its message, as
// Scrub does; errors.Is and errors.As still see err's chain.
func ScrubError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &scrubbed{err: err, secrets: secrets}
}

type scrubbed struct {
	err     error
	secrets []string
}

func (e *scrubbed) Error() string { return Scrub(e.err.Error(), e.secrets...) }
func (e *scrubbed) Unwrap() error { return e.err }

// Annotate returns err with prefix before its message and every secret
// scrubbed from it, keeping its classification (an *Error's Retry,
// RetryAfter and Status) at the top of the chain, so that callers see one
// *Error whatever the provider wrapped.
func Annotate(prefix string, err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	e := &Error{Err: ScrubError(fmt.Errorf("%s: %w", prefix, err), secrets...)}
	var inner *Error
	if errors.As(err, &inner) {
		e.Retry, e.RetryAfter, e.Status = inner.Retry, inner.RetryAfter, inner.Status
	}
	return e
}
