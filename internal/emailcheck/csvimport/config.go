package csvimport

import (
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// Config configures the import.
type Config struct {
	// File is the result file to import.
	File string
	// Now stamps results (default time.Now).
	Now func() time.Time
}

// Validate reports a usage error when no file is given.
func (c Config) Validate() error {
	if strings.TrimSpace(c.File) == "" {
		return exitcode.Usagef("csv: no file: pass --file with --provider csv")
	}
	return nil
}
