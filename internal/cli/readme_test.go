package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestReadmeDocumentsEveryFlag keeps the README true: every command, flag
// and environment variable of the CLI is named in it.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	a := &app{streams: Streams{}}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" && c.Parent() != nil && c.Parent().Name() == "completion" {
			return
		}
		if name := strings.TrimPrefix(c.CommandPath(), "intentalert "); c.HasParent() && !strings.Contains(readme, "`"+name) {
			t.Errorf("README does not mention the command %q", c.CommandPath())
		}
		check := func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if !strings.Contains(readme, "--"+f.Name) {
				t.Errorf("README does not document the flag --%s of %q", f.Name, c.CommandPath())
			}
			for _, env := range f.Annotations[envAnnotation] {
				if !strings.Contains(readme, env) {
					t.Errorf("README does not document the environment variable %s (--%s)", env, f.Name)
				}
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCommand())
}
