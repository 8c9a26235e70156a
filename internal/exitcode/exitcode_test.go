package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("boom"), Failure},
		{"usage", Usagef("bad flag %q", "x"), Usage},
		{"data wrapped twice", fmt.Errorf("segment: %w", Dataf("missing table")), Data},
		{"busy", Wrap(Busy, errors.New("locked")), Busy},
		{"wrap nil", Wrap(Data, nil), OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(tt.err); got != tt.want {
				t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
