package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/exitcode"
)

func TestDiff(t *testing.T) {
	newHookReceiver(t, false)
	db := pipelineFixture(t)
	dir := t.TempDir()
	// As of 2024-04-10, m's news (04-10) is recent and h's (04-29) is in the future.
	for _, d := range []string{"2024-04-10", "2024-04-30"} {
		mainCLI(context.Background(), "run", "--db", db, "--as-of", d, "--data-dir", dir, "-q").expect(t, 0)
	}
	r := mainCLI(context.Background(), "diff", "--db", db, "--from", "2024-04-10", "--to", "2024-04-30")
	r.expect(t, 0, "1 companies changed segment between 2024-04-10 and 2024-04-30: 1 up, 0 down")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "COMPANY") || strings.Join(strings.Fields(lines[1]), " ") != "h h.com LOW HIGH up" {
		t.Errorf("diff table:\n%s", r.out)
	}
	r = mainCLI(context.Background(), "diff", "--db", db, "--from", "2024-04-30", "--as-of", "2024-04-10", "--format", "json")
	r.expect(t, 0)
	var rep diffReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil || rep.To != "2024-04-10" || len(rep.Changes) != 1 || rep.Changes[0].To != "LOW" || rep.Changes[0].Direction() != "down" {
		t.Errorf("diff json (--to from --as-of) = %s (%v)", r.out, err)
	}
	mainCLI(context.Background(), "diff", "--db", db, "--from", "2024-03-01", "--to", "2024-04-30").expect(t, exitcode.Data, "no segmentation as of 2024-03-01", "have: 2024-04-30, 2024-04-10")
	mainCLI(context.Background(), "diff", "--db", db).expect(t, exitcode.Usage, "--from is required")
	mainCLI(context.Background(), "diff", "--db", db, "--from", "April").expect(t, exitcode.Usage, "--from")
}

func TestHelpOfProductionCommands(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"serve", "--help"}, {"runs", "--help"}, {"diff", "--help"}, {"config", "check", "--help"}, {"config"}} {
		r := mainCLI(context.Background(), args...)
		r.expect(t, 0)
		if r.out == "" {
			t.Errorf("%v printed nothing", args)
		}
	}
}
