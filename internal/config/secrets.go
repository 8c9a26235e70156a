package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// Secret is a credential intentalert reads only from the environment:
// from Env itself, or from the file whose path is in Env+"_FILE" (the form
// Docker and Kubernetes secrets and systemd credentials mount).
type Secret struct {
	Env  string
	Used string // what needs it
}

// FileSuffix turns a secret's variable into the one naming a file holding it.
const FileSuffix = "_FILE"

// Secrets are the credentials intentalert knows of. Flags that hold secrets
// (such as --webhook-url) are recognised by IsSecretFlag as well.
var Secrets = []Secret{
	{Env: "ZEROBOUNCE_API_KEY", Used: "verify --provider zerobounce"},
	{Env: "ABSTRACTAPI_API_KEY", Used: "verify --provider abstractapi"},
	{Env: "INTENTALERT_WEBHOOK_URL", Used: "alert --channel webhook (the URL may embed a token)"},
	{Env: "INTENTALERT_WEBHOOK_SECRET", Used: "alert --channel webhook (HMAC signature key)"},
	{Env: "SLACK_WEBHOOK_URL", Used: "alert --channel slack (incoming webhook)"},
	{Env: "SLACK_BOT_TOKEN", Used: "alert --channel slack (bot token)"},
	{Env: "SMTP_PASSWORD", Used: "alert --channel smtp"},
	{Env: RunTokenEnv, Used: "serve: bearer token that enables POST /run"},
}

// RunTokenEnv holds the bearer token of serve's POST /run.
const RunTokenEnv = "INTENTALERT_RUN_TOKEN"

// SecretNamed returns the secret a config key names, if it names one: the
// variable itself in any case, or its flag-style spelling
// (zerobounce-api-key).
func SecretNamed(key string) (Secret, bool) {
	k := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(key), "-", "_"))
	for _, s := range Secrets {
		if k == s.Env || k == strings.TrimPrefix(s.Env, "INTENTALERT_") {
			return s, true
		}
	}
	return Secret{}, false
}

var secretWord = regexp.MustCompile(`(^|-)(token|secret|password|passwd|api-key|apikey)($|-)`)

// IsSecretFlag reports whether the flag name, bound to the environment
// variable env (may be empty), holds a secret: it is bound to a known
// secret, its name says token, secret, password or api key (but not a
// "-file" holding a path), or it is a webhook URL.
func IsSecretFlag(name, env string) bool {
	if env != "" {
		for _, s := range Secrets {
			if s.Env == env {
				return true
			}
		}
	}
	if strings.HasSuffix(name, "-file") {
		return false
	}
	return secretWord.MatchString(name) || strings.HasSuffix(name, "webhook-url")
}

// LookupSecret reads the secret held by the variable env, or by the file
// its env+"_FILE" variable names (trailing white space dropped). source
// says where it came from, for messages; it never contains the value. Both
// set is a usage error, and so is an unreadable file; neither set gives "".
func LookupSecret(lookup func(string) (string, bool), env string) (value, source string, err error) {
	v, direct := lookup(env)
	path, viaFile := lookup(env + FileSuffix)
	direct, viaFile = direct && v != "", viaFile && path != ""
	if !viaFile {
		if direct {
			return v, "environment " + env, nil
		}
		return "", "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", exitcode.Usagef("%s%s=%s: cannot read the secret: %v", env, FileSuffix, path, unwrapPath(err))
	}
	fromFile := strings.TrimRight(string(b), " \t\r\n")
	// Both set is ambiguous, unless env was set from the file (ResolveFiles).
	if direct && v != fromFile {
		return "", "", exitcode.Usagef("both %s and %s%s are set, to different secrets: set one", env, env, FileSuffix)
	}
	return fromFile, "file " + path + " (" + env + FileSuffix + ")", nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ResolveFiles sets, for every secret variable in envs that is unset but
// whose _FILE variable names a file, the variable from that file. Code that
// reads a secret with os.Getenv then gets it either way.
func ResolveFiles(envs []string, lookup func(string) (string, bool), setenv func(string, string) error) error {
	for _, env := range envs {
		v, _, err := LookupSecret(lookup, env)
		if err != nil {
			return err
		}
		if cur, _ := lookup(env); v == "" || cur == v {
			continue
		}
		if err := setenv(env, v); err != nil {
			return fmt.Errorf("set %s from %s%s: %w", env, env, FileSuffix, err)
		}
	}
	return nil
}

// Masked is what configuration output shows instead of a secret.
const Masked = "********"

// Mask hides a secret for display: "" stays "" (not set); a URL keeps its
// scheme and host, which help to debug, and loses the rest, which may hold
// a token; anything else becomes Masked.
func Mask(v string) string {
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		return u.Scheme + "://" + u.Host + "/" + Masked
	}
	return Masked
}

var (
	urlPassword   = regexp.MustCompile(`(://[^:/@\s]*:)[^@\s]*@`)
	paramPassword = regexp.MustCompile(`(?i)([?&](?:password|passwd|token|secret|key|api_key|apikey)=)[^&\s]*`)
)

// HasURLPassword reports whether v is a URL with a password in its user
// info or in a password-like query parameter.
func HasURLPassword(v string) bool {
	return strings.Contains(v, "://") && (urlPassword.MatchString(v) || paramPassword.MatchString(v))
}

// RedactURL masks the password and password-like query parameters of a
// URL, keeping the rest readable.
func RedactURL(v string) string {
	if !strings.Contains(v, "://") {
		return v
	}
	return paramPassword.ReplaceAllString(urlPassword.ReplaceAllString(v, "${1}"+Masked+"@"), "${1}"+Masked)
}
