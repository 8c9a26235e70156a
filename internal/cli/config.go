package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/intentalert/intentalert/internal/config"
	"github.com/intentalert/intentalert/internal/exitcode"
)

// The configuration layers. A flag not given on the command line is taken
// from its environment variable, else from the configuration file (--config,
// INTENTALERT_CONFIG), else it keeps its default. Keys of the file are flag
// names and apply to every command that has the flag, as environment
// variables do. Secrets are never read from the file.

// sourceAnnotation records on a flag where its value came from.
const sourceAnnotation = "intentalert_source"

// checkAnnotation marks a command whose PreRunE validates its flags without
// touching the network or the database, so that `config check` can run it.
const checkAnnotation = "intentalert_offline_check"

// configFlag is the global flag naming the configuration file.
const configFlag = "config"

// applyLayers sets the flags of cmd that the command line left alone from
// the environment, then from the configuration file, and resolves secrets
// given as NAME_FILE paths into the environment first.
func (a *app) applyLayers(cmd *cobra.Command) error {
	root := cmd.Root()
	if err := config.ResolveFiles(secretEnvs(root), os.LookupEnv, os.Setenv); err != nil {
		return err
	}
	fs := cmd.Flags()
	markSource(fs, func(*pflag.Flag) string { return "flag" })
	if err := applyEnv(fs); err != nil {
		return err
	}
	markSource(fs, func(f *pflag.Flag) string { return "environment " + f.Annotations[envAnnotation][0] })
	file, err := loadConfig(fs, root)
	if err != nil || file == nil {
		return err
	}
	return applyFile(fs, file)
}

// loadConfig reads and checks the configuration file named by --config,
// if any.
func loadConfig(fs *pflag.FlagSet, root *cobra.Command) (*config.File, error) {
	path, _ := fs.GetString(configFlag)
	if path == "" {
		return nil, nil
	}
	file, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := file.Check(knownKeys(root)); err != nil {
		return nil, err
	}
	return file, nil
}

// applyFile sets from the file every flag of fs still unset.
func applyFile(fs *pflag.FlagSet, file *config.File) error {
	var errs []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			return
		}
		e, ok := file.Lookup(f.Name)
		if alias := f.Annotations[aliasAnnotation]; !ok && len(alias) > 0 {
			e, ok = file.Lookup(alias[0])
		}
		if !ok {
			return
		}
		if err := setFromEntry(fs, f, e); err != nil {
			errs = append(errs, fmt.Sprintf("%s: key %q: %v", file.Where(e), e.Key, err))
			return
		}
		setSource(f, "file "+file.Where(e))
	})
	if len(errs) > 0 {
		return exitcode.Usagef("config file: %s", strings.Join(errs, "; "))
	}
	return nil
}

func setFromEntry(fs *pflag.FlagSet, f *pflag.Flag, e config.Entry) error {
	sv, isSlice := f.Value.(pflag.SliceValue)
	if e.List {
		if !isSlice {
			return fmt.Errorf("takes one value, not a list")
		}
		if err := sv.Replace(e.Values); err != nil {
			return err
		}
		f.Changed = true
		return nil
	}
	return fs.Set(f.Name, e.Values[0])
}

func markSource(fs *pflag.FlagSet, source func(*pflag.Flag) string) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed && len(f.Annotations[sourceAnnotation]) == 0 {
			setSource(f, source(f))
		}
	})
}

func setSource(f *pflag.Flag, s string) {
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[sourceAnnotation] = []string{s}
}

func sourceOf(f *pflag.Flag) string {
	if s := f.Annotations[sourceAnnotation]; len(s) > 0 {
		return s[0]
	}
	if f.Changed {
		return "flag"
	}
	return "default"
}

func envOf(f *pflag.Flag) string {
	if e := f.Annotations[envAnnotation]; len(e) > 0 {
		return e[0]
	}
	return ""
}

// everyFlag calls fn for each flag declared anywhere in the command tree,
// with the command declaring it, in the tree's order (root first).
func everyFlag(root *cobra.Command, fn func(cmd *cobra.Command, f *pflag.Flag)) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		visit := func(f *pflag.Flag) {
			if f.Name != "help" && f.Name != configFlag {
				fn(c, f)
			}
		}
		c.PersistentFlags().VisitAll(visit)
		c.LocalNonPersistentFlags().VisitAll(visit)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// knownKeys are the keys a configuration file may hold: every flag's name.
func knownKeys(root *cobra.Command) map[string]config.Key {
	keys := map[string]config.Key{}
	everyFlag(root, func(_ *cobra.Command, f *pflag.Flag) {
		env := envOf(f)
		k := keys[f.Name]
		if k.Env == "" {
			k.Env = env
		}
		k.Secret = k.Secret || config.IsSecretFlag(f.Name, env)
		keys[f.Name] = k
	})
	return keys
}

// secretEnvs are the environment variables holding secrets: the known ones
// and those of secret flags.
func secretEnvs(root *cobra.Command) []string {
	var envs []string
	for _, s := range config.Secrets {
		envs = append(envs, s.Env)
	}
	everyFlag(root, func(_ *cobra.Command, f *pflag.Flag) {
		if env := envOf(f); env != "" && config.IsSecretFlag(f.Name, env) && !slices.Contains(envs, env) {
			envs = append(envs, env)
		}
	})
	return envs
}

// setting is one line of `config check`.
type setting struct {
	Key      string   `json:"key"`
	Value    any      `json:"value"`
	Source   string   `json:"source"`
	Env      string   `json:"env,omitempty"`
	Secret   bool     `json:"secret,omitempty"`
	Commands []string `json:"commands"`
}

// secretStatus is one secret in `config check`.
type secretStatus struct {
	Env    string `json:"env"`
	Set    bool   `json:"set"`
	Value  string `json:"value,omitempty"` // masked
	Source string `json:"source,omitempty"`
	Used   string `json:"used_by"`
}

type configReport struct {
	File     string         `json:"config_file,omitempty"`
	Settings []setting      `json:"settings"`
	Secrets  []secretStatus `json:"secrets"`
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect intentalert's configuration",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var format string
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print the effective values, secrets masked",
		Long: `check validates the configuration offline, as every command would see it:
the configuration file (--config or INTENTALERT_CONFIG), the environment and
the defaults. It reports unknown keys, secrets put in the file, values that do
not parse and settings that make no sense (a bad schedule or time zone), then
prints every setting with its effective value and where it came from, and
which secrets are set. Secrets are masked. Channels and providers are not
contacted.

Precedence: flag, then environment, then file, then default. A key of the
file is a flag's long name and applies to every command with that flag.
Secrets are read only from the environment: NAME, or NAME_FILE holding the
path of a file that contains the secret.`,
		Example: `  intentalert config check --config intentalert.yaml
  INTENTALERT_CONFIG=/etc/intentalert/intentalert.yaml intentalert config check --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			rep, err := a.checkConfig(cmd)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a, rep)
			}
			printConfig(a.streams.Out, rep)
			a.info("configuration OK\n")
			return nil
		},
	}
	check.Flags().StringVar(&format, "format", "text", "output: text (YAML with comments) or json")
	cmd.AddCommand(check)
	return cmd
}

// checkConfig applies the layers to the flags of every command, runs the
// offline checks of the commands that have them, and reports.
func (a *app) checkConfig(cmd *cobra.Command) (configReport, error) {
	root := cmd.Root()
	fs := cmd.Flags()
	file, err := loadConfig(fs, root)
	if err != nil {
		return configReport{}, err
	}
	var problems []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != root && c != cmd && c.Name() != "help" && c.Name() != "completion" {
			lfs := c.LocalFlags()
			if err := applyEnv(lfs); err != nil {
				problems = append(problems, c.Name()+": "+err.Error())
			}
			markSource(lfs, func(f *pflag.Flag) string { return "environment " + envOf(f) })
			if file != nil {
				if err := applyFile(lfs, file); err != nil {
					problems = append(problems, c.Name()+": "+err.Error())
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(problems) == 0 {
		var checks func(c *cobra.Command)
		checks = func(c *cobra.Command) {
			if c.Annotations[checkAnnotation] != "" && c.PreRunE != nil {
				if err := c.PreRunE(c, nil); err != nil {
					problems = append(problems, c.Name()+": "+err.Error())
				}
			}
			for _, sub := range c.Commands() {
				checks(sub)
			}
		}
		checks(root)
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		problems = slices.Compact(problems)
		return configReport{}, exitcode.Usagef("configuration: %s", strings.Join(problems, "; "))
	}

	rep := configReport{}
	if file != nil {
		rep.File = file.Path
	}
	byKey := map[string]int{}
	everyFlag(root, func(c *cobra.Command, f *pflag.Flag) {
		if c.Name() == "completion" || c.HasParent() && c.Parent().Name() == "completion" {
			return
		}
		name := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		if c == root {
			name = "(global)"
		}
		if i, ok := byKey[f.Name]; ok {
			if !slices.Contains(rep.Settings[i].Commands, name) {
				rep.Settings[i].Commands = append(rep.Settings[i].Commands, name)
			}
			return
		}
		env := envOf(f)
		s := setting{Key: f.Name, Source: sourceOf(f), Env: env, Secret: config.IsSecretFlag(f.Name, env), Commands: []string{name}}
		s.Value = displayValue(f, s.Secret)
		byKey[f.Name] = len(rep.Settings)
		rep.Settings = append(rep.Settings, s)
	})
	for _, env := range secretEnvs(root) {
		used := ""
		for _, s := range config.Secrets {
			if s.Env == env {
				used = s.Used
			}
		}
		if used == "" {
			for _, s := range rep.Settings {
				if s.Env == env {
					used = "--" + s.Key + " (" + strings.Join(s.Commands, ", ") + ")"
				}
			}
		}
		v, src, err := config.LookupSecret(os.LookupEnv, env)
		if err != nil {
			return configReport{}, err
		}
		rep.Secrets = append(rep.Secrets, secretStatus{Env: env, Set: v != "", Value: config.Mask(v), Source: src, Used: used})
	}
	return rep, nil
}

// displayValue is a flag's value as config check shows it: secrets masked,
// passwords in URLs masked, lists as lists.
func displayValue(f *pflag.Flag, secret bool) any {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		vals := sv.GetSlice()
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = maskValue(v, secret)
		}
		return out
	}
	v := maskValue(f.Value.String(), secret)
	switch t := f.Value.Type(); {
	case t == "bool":
		return v == "true"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case strings.HasPrefix(t, "float"):
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return x
		}
	}
	return v
}

func maskValue(v string, secret bool) string {
	if secret {
		return config.Mask(v)
	}
	return config.RedactURL(v)
}

// printConfig writes the report as YAML that could serve as a
// configuration file, commented with each value's source.
func printConfig(w io.Writer, rep configReport) {
	fmt.Fprintln(w, "# intentalert effective configuration (flag > environment > file > default)")
	if rep.File != "" {
		fmt.Fprintf(w, "# config file: %s\n", rep.File)
	} else {
		fmt.Fprintln(w, "# config file: none (set --config or INTENTALERT_CONFIG)")
	}
	// Group the settings by the commands that use them, in order of first
	// appearance (the global flags first).
	groups := map[string]int{}
	for _, s := range rep.Settings {
		if _, ok := groups[strings.Join(s.Commands, ", ")]; !ok {
			groups[strings.Join(s.Commands, ", ")] = len(groups)
		}
	}
	settings := slices.Clone(rep.Settings)
	slices.SortStableFunc(settings, func(x, y setting) int {
		return groups[strings.Join(x.Commands, ", ")] - groups[strings.Join(y.Commands, ", ")]
	})
	group := ""
	for _, s := range settings {
		if g := strings.Join(s.Commands, ", "); g != group {
			group = g
			fmt.Fprintf(w, "\n# %s\n", g)
		}
		comment := s.Source
		if s.Env != "" && !strings.HasPrefix(s.Source, "environment") {
			comment += "; $" + s.Env
		}
		key := s.Key
		if s.Secret {
			// A secret is never a key of the file: show it commented out.
			key = "# " + key
			comment += "; secret: environment only"
		}
		fmt.Fprintf(w, "%s: %s  # %s\n", key, yamlValue(s.Value), comment)
	}
	fmt.Fprintln(w, "\n# secrets: read only from the environment, NAME or NAME_FILE")
	for _, s := range rep.Secrets {
		state := "not set"
		if s.Set {
			state = s.Value + " from " + s.Source
		}
		fmt.Fprintf(w, "#   %-28s %s  (%s)\n", s.Env, state, s.Used)
	}
}

func yamlValue(v any) string {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	if n.Kind == yaml.SequenceNode {
		n.Style = yaml.FlowStyle
	}
	b, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(b))
}
