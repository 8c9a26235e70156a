package stdout

import (
	"errors"
	"io"
)

// Config configures the stdout channel.
type Config struct {
	// Out receives one JSON line per message: the process's standard
	// output in the CLI.
	Out io.Writer
}

// Validate reports a configuration without a writer.
func (c Config) Validate() error {
	if c.Out == nil {
		return errors.New("stdout: no writer")
	}
	return nil
}
