// Package stdout prints alerts as JSON lines, one per message, with the
// webhook's four keys: for demos and pipes.
package stdout

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the channel's name.
const Name = "stdout"

// Notifier writes messages to a writer.
type Notifier struct {
	mu  sync.Mutex // one line at a time
	out io.Writer
}

// New returns a Notifier for a valid configuration.
func New(c Config) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Notifier{out: c.Out}, nil
}

// Name returns "stdout".
func (n *Notifier) Name() string { return Name }

// Line returns the line printed for m: the JSON payload and a newline.
func Line(m alert.Message) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Payload()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Send writes m as one line. A failed write is permanent: the reader is
// gone.
func (n *Notifier) Send(ctx context.Context, m alert.Message) error {
	if err := ctx.Err(); err != nil {
		return &outbound.Error{Err: fmt.Errorf("stdout: %w", err)}
	}
	line, err := Line(m)
	if err != nil {
		return outbound.Permanent(fmt.Errorf("stdout: encode payload: %w", err))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.out.Write(line); err != nil {
		return outbound.Permanent(fmt.Errorf("stdout: write: %w", err))
	}
	return nil
}
