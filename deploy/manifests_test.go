package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/intentalert/intentalert/internal/cli"
	"github.com/intentalert/intentalert/internal/config"
	"github.com/intentalert/intentalert/internal/serve"
)

// object is one Kubernetes manifest, as parsed YAML.
type object map[string]any

// get follows a path of map keys and list indexes ("0") through o.
func (o object) get(t *testing.T, path ...string) any {
	t.Helper()
	var cur any = map[string]any(o)
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				t.Fatalf("%s %s: no %s", o["kind"], strings.Join(path, "."), p)
			}
			cur = v
		case []any:
			i := int(p[0] - '0')
			if i >= len(c) {
				t.Fatalf("%s %s: index %s out of range", o["kind"], strings.Join(path, "."), p)
			}
			cur = c[i]
		default:
			t.Fatalf("%s %s: %s is not a map or list", o["kind"], strings.Join(path, "."), p)
		}
	}
	return cur
}

func (o object) str(t *testing.T, path ...string) string {
	t.Helper()
	s, ok := o.get(t, path...).(string)
	if !ok {
		t.Fatalf("%s %s is not a string", o["kind"], strings.Join(path, "."))
	}
	return s
}

func (o object) list(t *testing.T, path ...string) []any {
	t.Helper()
	l, ok := o.get(t, path...).([]any)
	if !ok {
		t.Fatalf("%s %s is not a list", o["kind"], strings.Join(path, "."))
	}
	return l
}

// manifests parses every document of every file of kubernetes/, by kind.
func manifests(t *testing.T) map[string][]object {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string][]object{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			o := object(doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o == nil {
				continue
			}
			for _, k := range []string{"apiVersion", "kind"} {
				if s, _ := o[k].(string); s == "" {
					t.Errorf("%s: a document without %s", f, k)
				}
			}
			if o.str(t, "metadata", "name") == "" {
				t.Errorf("%s: a %s without a name", f, o["kind"])
			}
			out[o["kind"].(string)] = append(out[o["kind"].(string)], o)
		}
	}
	return out
}

func one(t *testing.T, m map[string][]object, kind string) object {
	t.Helper()
	if len(m[kind]) != 1 {
		t.Fatalf("%d %s manifests, want 1", len(m[kind]), kind)
	}
	return m[kind][0]
}

// checkPod checks what both variants' pods must have: a non-root user,
// resource requests on every container, the Secret and the ConfigMap
// mounted, and returns the container.
func checkPod(t *testing.T, m map[string][]object, kind string, spec object, wantArg string) object {
	t.Helper()
	if spec.get(t, "securityContext", "runAsNonRoot") != true {
		t.Errorf("%s: runAsNonRoot is not true", kind)
	}
	if uid, _ := spec.get(t, "securityContext", "runAsUser").(int); uid == 0 {
		t.Errorf("%s: runAsUser is %v, want a non-root uid", kind, spec.get(t, "securityContext", "runAsUser"))
	}
	containers := spec.list(t, "containers")
	if len(containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", kind, len(containers))
	}
	c := object(containers[0].(map[string]any))
	for _, r := range []string{"cpu", "memory"} {
		if c.str(t, "resources", "requests", r) == "" {
			t.Errorf("%s: no %s request", kind, r)
		}
	}
	if c.str(t, "resources", "limits", "memory") == "" {
		t.Errorf("%s: no memory limit", kind)
	}
	args := c.list(t, "args")
	if len(args) == 0 || args[0] != wantArg {
		t.Errorf("%s: args %v, want %s first", kind, args, wantArg)
	}
	if c.get(t, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("%s: allowPrivilegeEscalation is not false", kind)
	}
	secret := one(t, m, "Secret").str(t, "metadata", "name")
	if got := c.str(t, "envFrom", "0", "secretRef", "name"); got != secret {
		t.Errorf("%s: envFrom secret %q, want %q", kind, got, secret)
	}
	cm := one(t, m, "ConfigMap").str(t, "metadata", "name")
	pvc := one(t, m, "PersistentVolumeClaim").str(t, "metadata", "name")
	var haveCM, havePVC bool
	for _, v := range spec.list(t, "volumes") {
		vol := object(v.(map[string]any))
		if c, ok := vol["configMap"].(map[string]any); ok && c["name"] == cm {
			haveCM = true
		}
		if p, ok := vol["persistentVolumeClaim"].(map[string]any); ok && p["claimName"] == pvc {
			havePVC = true
		}
	}
	if !haveCM || !havePVC {
		t.Errorf("%s: configMap %s mounted %v, claim %s mounted %v", kind, cm, haveCM, pvc, havePVC)
	}
	return c
}

func TestCronJob(t *testing.T) {
	m := manifests(t)
	cj := one(t, m, "CronJob")
	if got := cj.str(t, "spec", "concurrencyPolicy"); got != "Forbid" {
		t.Errorf("concurrencyPolicy %q, want Forbid", got)
	}
	if _, err := serve.ParseSchedule(cj.str(t, "spec", "schedule")); err != nil {
		t.Errorf("schedule: %v", err)
	}
	if _, err := time.LoadLocation(cj.str(t, "spec", "timeZone")); err != nil {
		t.Errorf("timeZone: %v", err)
	}
	job := object(cj.get(t, "spec", "jobTemplate", "spec").(map[string]any))
	if n, ok := job.get(t, "backoffLimit").(int); !ok || n < 0 || n > 5 {
		t.Errorf("backoffLimit %v, want a small number", job.get(t, "backoffLimit"))
	}
	// Exit codes a retry cannot fix fail the Job at once.
	rule := object(job.list(t, "podFailurePolicy", "rules")[0].(map[string]any))
	var codes []int
	for _, v := range rule.list(t, "onExitCodes", "values") {
		codes = append(codes, v.(int))
	}
	if rule.str(t, "action") != "FailJob" || !slices.Equal(codes, []int{2, 3, 5}) {
		t.Errorf("podFailurePolicy %v %v, want FailJob on 2, 3, 5", rule["action"], codes)
	}
	pod := object(job.get(t, "template", "spec").(map[string]any))
	if pod.str(t, "restartPolicy") != "Never" {
		t.Error("restartPolicy is not Never (podFailurePolicy needs it)")
	}
	checkPod(t, m, "CronJob", pod, "run")
}

func TestServeDeployment(t *testing.T) {
	m := manifests(t)
	d := one(t, m, "Deployment")
	if d.get(t, "spec", "replicas") != 1 {
		t.Errorf("replicas %v, want 1", d.get(t, "spec", "replicas"))
	}
	if d.str(t, "spec", "strategy", "type") != "Recreate" {
		t.Error("strategy is not Recreate: two serve pods would overlap")
	}
	pod := object(d.get(t, "spec", "template", "spec").(map[string]any))
	c := checkPod(t, m, "Deployment", pod, "serve")
	if got := c.str(t, "livenessProbe", "httpGet", "path"); got != "/healthz" {
		t.Errorf("liveness probe %s, want /healthz", got)
	}
	if got := c.str(t, "readinessProbe", "httpGet", "path"); got != "/readyz" {
		t.Errorf("readiness probe %s, want /readyz", got)
	}
	env := map[string]string{}
	for _, e := range c.list(t, "env") {
		e := e.(map[string]any)
		env[e["name"].(string)], _ = e["value"].(string)
	}
	if env["INTENTALERT_LISTEN"] != "0.0.0.0:9464" {
		t.Errorf("INTENTALERT_LISTEN %q, want 0.0.0.0:9464 (the default listens on loopback only)", env["INTENTALERT_LISTEN"])
	}
	if c.get(t, "ports", "0", "containerPort") != 9464 {
		t.Errorf("containerPort %v, want 9464", c.get(t, "ports", "0", "containerPort"))
	}
	// The kill must come after serve's own shutdown grace.
	grace := shutdownGrace(t, m)
	if tgp, _ := pod.get(t, "terminationGracePeriodSeconds").(int); time.Duration(tgp)*time.Second <= grace+5*time.Second {
		t.Errorf("terminationGracePeriodSeconds %d is not comfortably above shutdown-grace %s", tgp, grace)
	}
	svc := one(t, m, "Service")
	if svc.get(t, "spec", "ports", "0", "port") != 9464 {
		t.Error("the Service does not expose 9464")
	}
}

func shutdownGrace(t *testing.T, m map[string][]object) time.Duration {
	t.Helper()
	f, err := config.Parse("configmap", []byte(one(t, m, "ConfigMap").str(t, "data", "intentalert.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	e, ok := f.Lookup("shutdown-grace")
	if !ok {
		return 25 * time.Second
	}
	d, err := time.ParseDuration(e.Values[0])
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The ConfigMap's file is a valid configuration: config check accepts it.
func TestConfigMapIsAValidConfiguration(t *testing.T) {
	// The Secret provides the webhook URL in the cluster.
	t.Setenv("INTENTALERT_WEBHOOK_URL", "https://hooks.example.invalid/hook")
	t.Setenv("ZEROBOUNCE_API_KEY", "zb-test-key")
	m := manifests(t)
	path := filepath.Join(t.TempDir(), "intentalert.yaml")
	os.WriteFile(path, []byte(one(t, m, "ConfigMap").str(t, "data", "intentalert.yaml")), 0o644)
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"config", "check", "--config", path}, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code != 0 {
		t.Fatalf("config check exit %d: %s", code, errOut.String())
	}
}

// The Secret template holds only known secrets, with placeholder values.
func TestSecretTemplate(t *testing.T) {
	s := one(t, manifests(t), "Secret")
	known := map[string]bool{}
	for _, sec := range config.Secrets {
		known[sec.Env] = true
	}
	data := s.get(t, "stringData").(map[string]any)
	if len(data) == 0 {
		t.Fatal("no keys")
	}
	for k, v := range data {
		if !known[k] {
			t.Errorf("key %s is not a secret intentalert reads", k)
		}
		if v != "REPLACE_ME" {
			t.Errorf("key %s holds %q: the template must hold placeholders only", k, v)
		}
	}
	for k := range known {
		if _, ok := data[k]; !ok {
			t.Errorf("secret %s is missing from the template", k)
		}
	}
}

// unit parses a systemd unit file into section -> key -> values.
func unit(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			out[section][k] = append(out[section][k], v)
		}
	}
	return out
}

func TestSystemdUnits(t *testing.T) {
	svc := unit(t, "systemd/intentalert.service")
	if svc["Service"]["Type"][0] != "oneshot" || !strings.HasSuffix(svc["Service"]["ExecStart"][0], "intentalert run") {
		t.Errorf("intentalert.service: Type %v ExecStart %v, want a oneshot intentalert run", svc["Service"]["Type"], svc["Service"]["ExecStart"])
	}
	for _, u := range []map[string]map[string][]string{svc, unit(t, "systemd/intentalert-serve.service")} {
		if u["Service"]["User"] == nil || u["Service"]["User"][0] == "root" {
			t.Error("a unit runs as root")
		}
		if u["Service"]["StateDirectory"] == nil || u["Service"]["NoNewPrivileges"] == nil {
			t.Error("a unit lacks StateDirectory or NoNewPrivileges")
		}
	}
	serveUnit := unit(t, "systemd/intentalert-serve.service")
	if !strings.HasSuffix(serveUnit["Service"]["ExecStart"][0], "intentalert serve") || serveUnit["Service"]["KillSignal"][0] != "SIGTERM" {
		t.Error("intentalert-serve.service does not run serve or stop it with SIGTERM")
	}
	timer := unit(t, "systemd/intentalert.timer")
	if timer["Timer"]["OnCalendar"] == nil || timer["Timer"]["Persistent"][0] != "true" || timer["Timer"]["Unit"][0] != "intentalert.service" {
		t.Errorf("intentalert.timer: %v", timer["Timer"])
	}
	if timer["Install"]["WantedBy"][0] != "timers.target" {
		t.Error("intentalert.timer is not wanted by timers.target")
	}
}

// systemd-analyze, where installed, checks the units' keys too.
func TestSystemdAnalyze(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	units, _ := filepath.Glob("systemd/*")
	out, _ := exec.Command("systemd-analyze", append([]string{"verify"}, units...)...).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// The binary is not installed here; everything else must be clean.
		if line == "" || strings.Contains(line, "is not executable") {
			continue
		}
		if strings.Contains(line, "Unknown") || strings.Contains(line, "Failed") || strings.Contains(line, "nvalid") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms, users []string
	var entrypoint string
	cgo := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "FROM "):
			froms = append(froms, line)
		case strings.HasPrefix(line, "USER "):
			users = append(users, strings.TrimPrefix(line, "USER "))
		case strings.HasPrefix(line, "ENTRYPOINT "):
			entrypoint = line
		case strings.Contains(line, "CGO_ENABLED=1"):
			cgo = true
		}
	}
	if len(froms) < 2 || !strings.Contains(froms[0], " AS build") {
		t.Errorf("stages %v, want a build stage and a runtime stage", froms)
	}
	if !strings.Contains(froms[0], "${DEBIAN_RELEASE}") || !strings.Contains(froms[len(froms)-1], "${DEBIAN_RELEASE}-slim") {
		t.Errorf("build and runtime stages must share the Debian release (glibc, libstdc++): %v", froms)
	}
	if !cgo {
		t.Error("the build does not enable cgo (DuckDB needs it)")
	}
	if len(users) == 0 || users[len(users)-1] == "root" || strings.HasPrefix(users[len(users)-1], "0") {
		t.Errorf("the image runs as %v, want a non-root numeric user", users)
	}
	if !strings.Contains(entrypoint, "intentalert") {
		t.Errorf("entrypoint %q", entrypoint)
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "*.duckdb", "data"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}
