// Package config reads intentalert's configuration file and its secrets.
//
// The file is YAML with flat keys, each the long name of a command-line
// flag: a key applies to every command that has that flag, exactly as the
// flag's environment variable does. Precedence is flag, then environment,
// then file, then default; the cli package applies the layers. Secrets
// (API keys, tokens, passwords, webhook URLs) are never read from the file,
// only from the environment, directly or through a NAME_FILE variable that
// holds the path of a file containing the secret.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// File is a parsed configuration file.
type File struct {
	Path    string
	Entries []Entry
}

// Entry is one key of the file.
type Entry struct {
	Key    string
	Values []string // one for a scalar, the items for a list
	List   bool
	Line   int
}

// Where names the entry's place in the file, for messages.
func (f *File) Where(e Entry) string { return fmt.Sprintf("%s:%d", f.Path, e.Line) }

// Lookup returns the entry for key.
func (f *File) Lookup(key string) (Entry, bool) {
	if f == nil {
		return Entry{}, false
	}
	for _, e := range f.Entries {
		if e.Key == key {
			return e, true
		}
	}
	return Entry{}, false
}

// Load reads and parses the configuration file at path. Every problem is a
// usage error (exit 2) naming the file.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, exitcode.Usagef("config file %s does not exist", path)
		}
		return nil, exitcode.Usagef("config file %s: %v", path, errors.Unwrap(err))
	}
	return Parse(path, b)
}

// Parse parses the content of a configuration file. The document must be a
// mapping of keys to scalars or lists of scalars; a key with no value (null)
// is left out, as if commented.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // an empty file
			return f, nil
		}
		return nil, exitcode.Usagef("config file %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return f, nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return f, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, exitcode.Usagef("config file %s:%d: want a mapping of keys (flag names) to values", path, root.Line)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			return nil, exitcode.Usagef("config file %s:%d: a key must be a flag name", path, k.Line)
		}
		if prev, ok := seen[k.Value]; ok {
			return nil, exitcode.Usagef("config file %s:%d: key %q is already set on line %d", path, k.Line, k.Value, prev)
		}
		seen[k.Value] = k.Line
		e := Entry{Key: k.Value, Line: k.Line}
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag == "!!null" {
				continue
			}
			e.Values = []string{v.Value}
		case yaml.SequenceNode:
			e.List = true
			e.Values = []string{}
			for _, item := range v.Content {
				item = deref(item)
				if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
					return nil, exitcode.Usagef("config file %s:%d: key %q: a list may only hold plain values", path, item.Line, k.Value)
				}
				e.Values = append(e.Values, item.Value)
			}
		default:
			return nil, exitcode.Usagef("config file %s:%d: key %q: nested sections are not supported; keys are flag names at the top level", path, k.Line, k.Value)
		}
		f.Entries = append(f.Entries, e)
	}
	return f, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// Key describes a key the file may hold: a flag.
type Key struct {
	Env    string // the flag's environment variable, if any
	Secret bool   // never read from the file
}

// Check reports every problem of the file against the keys there may be:
// unknown keys (with the nearest known one), secrets, and passwords inside
// URLs. The error is a usage error listing them all.
func (f *File) Check(known map[string]Key) error {
	var problems []string
	for _, e := range f.Entries {
		where := f.Where(e)
		k, ok := known[e.Key]
		if !ok {
			if s, isSecret := SecretNamed(e.Key); isSecret {
				problems = append(problems, fmt.Sprintf("%s: key %q is a secret, and secrets are never read from the config file: set %s or %s_FILE in the environment", where, e.Key, s.Env, s.Env))
				continue
			}
			msg := fmt.Sprintf("%s: unknown key %q", where, e.Key)
			if near := nearest(e.Key, known); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			problems = append(problems, msg)
			continue
		}
		if k.Secret {
			env := k.Env
			if env == "" {
				env = "its environment variable"
			}
			problems = append(problems, fmt.Sprintf("%s: key %q is a secret, and secrets are never read from the config file: set %s or %s_FILE in the environment", where, e.Key, env, env))
			continue
		}
		for _, v := range e.Values {
			if HasURLPassword(v) {
				problems = append(problems, fmt.Sprintf("%s: key %q holds a URL with a password, and secrets are never read from the config file: set %s in the environment (or use PGPASSWORD / a .pgpass file)", where, e.Key, orDefault(k.Env, "it")))
				break
			}
		}
	}
	if len(problems) > 0 {
		return exitcode.Wrap(exitcode.Usage, &Problems{List: problems})
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Problems is every problem found in a configuration.
type Problems struct {
	List []string
}

func (p *Problems) Error() string { return strings.Join(p.List, "; ") }

// nearest returns the known key closest to key, when it is close enough to
// be a typo.
func nearest(key string, known map[string]Key) string {
	best, bestD := "", 3
	for k := range known {
		if d := distance(key, k); d < bestD || d == bestD && best != "" && k < best {
			best, bestD = k, d
		}
	}
	if bestD > 2 {
		return ""
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
