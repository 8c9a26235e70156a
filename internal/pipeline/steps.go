package pipeline

import (
	"context"
	"fmt"

	"github.com/intentalert/intentalert/internal/segment"
)

// The names of the pipeline's steps, in order.
const (
	StepSegment = "segment"
	StepVerify  = "verify"
	StepAlert   = "alert"
)

// SegmentStep is the segment step: it classifies every company as of the
// run's date with the windows of rules (its AsOf is ignored), writes the
// result back and writes dataDir/customer_segments.csv.
func SegmentStep(rules segment.Params, dataDir string) Step {
	return Step{Name: StepSegment, Run: func(ctx context.Context, env Env) (Result, error) {
		p := rules
		p.AsOf = env.AsOf
		// The table and the CSV change together or not at all.
		counts, path, err := segment.RunAndWriteCSV(ctx, env.Store, p, env.Now(), dataDir)
		if err != nil {
			return Result{}, err
		}
		res := Result{Segments: map[string]int{
			string(segment.High): counts.High, string(segment.Medium): counts.Medium, string(segment.Low): counts.Low,
		}}
		env.Log.Debug("wrote segments", "csv", path)
		return res, nil
	}}
}

// Check reports a usage error when steps has no step or two of one name.
func Check(steps []Step) error {
	if len(steps) == 0 {
		return fmt.Errorf("pipeline: no steps")
	}
	seen := map[string]bool{}
	for _, s := range steps {
		if s.Name == "" || s.Run == nil {
			return fmt.Errorf("pipeline: step %q has no name or no function", s.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("pipeline: step %q twice", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}
