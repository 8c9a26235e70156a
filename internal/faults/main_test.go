package faults

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

var (
	longFlag    = flag.Bool("long", false, "run the soak form of the fault suite (also INTENTALERT_SOAK=1)")
	figuresFlag = flag.String("figures", "", "write the figures the suite counted, as JSON, to this file (also INTENTALERT_FAULTS_FIGURES)")
)

// soak reports whether the long (soak) form runs.
func soak() bool { return *longFlag || os.Getenv("INTENTALERT_SOAK") == "1" }

// holdLockEnv makes the test binary a helper process that holds a DuckDB
// database's write lock until its standard input closes.
const holdLockEnv = "INTENTALERT_FAULTS_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdLockEnv); path != "" {
		holdLock(path)
		return
	}
	flag.Parse()
	raiseParallel(16)
	code := m.Run()
	if bin.dir != "" {
		os.RemoveAll(bin.dir)
	}
	if templates.dir != "" {
		os.RemoveAll(templates.dir)
	}
	if err := writeFigures(); err != nil {
		fmt.Fprintln(os.Stderr, "faults: figures:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// raiseParallel lets n parallel tests run at once unless -test.parallel
// was given: the suite's scenarios spend their time waiting on timers,
// rate limits and child processes, not on the CPU, and the default (the
// number of CPUs) would run them nearly one after the other.
func raiseParallel(n int) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !set {
		if cur, err := strconv.Atoi(f.Value.String()); err == nil && cur < n {
			f.Value.Set(strconv.Itoa(n))
		}
	}
}

// holdLock opens path, says "ready" on stdout and keeps the database (and
// its write lock) until stdin closes or says anything.
func holdLock(path string) {
	db, err := sql.Open("duckdb", path)
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	db.Close()
	os.Exit(0)
}

// bin is the intentalert binary, built once per test run.
var bin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// binary returns the path of the real intentalert binary, building it on
// first use into a temporary directory TestMain removes. Under -race the
// binary is built with the race detector too: it shares the build cache
// of the test run and reports data races of the real process.
func binary(t testing.TB) string {
	t.Helper()
	bin.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			bin.err = err
			return
		}
		dir, err := os.MkdirTemp("", "intentalert-faults-")
		if err != nil {
			bin.err = err
			return
		}
		bin.dir = dir
		out := filepath.Join(dir, "intentalert")
		args := []string{"build", "-o", out}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/intentalert")
		cmd := exec.Command(goTool(), args...)
		cmd.Dir = root
		start := time.Now()
		if b, err := cmd.CombinedOutput(); err != nil {
			bin.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
			return
		}
		bin.path = out
		addFigure("build", "binary_build_seconds", time.Since(start).Seconds())
	})
	if bin.err != nil {
		t.Fatalf("build intentalert: %v", bin.err)
	}
	return bin.path
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// templates are fixture files built once per test run and shared by the
// tests, which each work on a copy.
var templates struct {
	sync.Mutex
	dir   string
	built map[string]string
}

// template returns the path of the fixture file name, building it with
// build on first use; the files build left beside it (CSV outputs) are
// kept beside the copy too. Callers copy what they change.
func template(t testing.TB, name string, build func(t testing.TB) string) string {
	t.Helper()
	templates.Lock()
	defer templates.Unlock()
	if p, ok := templates.built[name]; ok {
		return p
	}
	if templates.dir == "" {
		dir, err := os.MkdirTemp("", "intentalert-faults-templates-")
		if err != nil {
			t.Fatal(err)
		}
		templates.dir, templates.built = dir, map[string]string{}
	}
	src := build(t)
	dst := filepath.Join(templates.dir, name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(src), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	templates.built[name] = filepath.Join(dst, filepath.Base(src))
	return templates.built[name]
}

// env is a child's environment: a minimal base (no variable of the
// developer's shell leaks in, least of all a real secret) plus extra.
func env(t testing.TB, extra ...string) []string {
	home := t.TempDir()
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TMPDIR=" + home,
		"LANG=C.UTF-8",
		// The race runtime sleeps a second at exit by default.
		"GORACE=atexit_sleep_ms=0",
	}
	return append(base, extra...)
}

// proc is a running intentalert process.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	args   []string
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	code   int
	start  time.Time
	end    time.Time
	killed bool
	mu     sync.Mutex
}

// start starts the binary with args in environment environ. The process
// is killed when the test ends if it is still running, and dies with the
// test binary (PR_SET_PDEATHSIG where the OS has it).
func start(t testing.TB, environ []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, args: args, done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), args...)
	p.cmd.Env = environ
	p.cmd.Dir = t.TempDir()
	p.cmd.Stdin = nil
	p.cmd.Stdout = &lockedWriter{mu: &p.mu, w: &p.stdout}
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	setDeathSignal(p.cmd)
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start intentalert %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		err := p.cmd.Wait()
		p.end = time.Now()
		p.code = exitCode(err)
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return -1
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone. It
// reports false when the process had already exited.
func (p *proc) kill() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return true
}

// wait waits for the process to end, killing it after timeout.
func (p *proc) wait(timeout time.Duration) result {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.kill()
		p.t.Errorf("intentalert %s did not end within %s: killed", strings.Join(p.args, " "), timeout)
	}
	return p.result()
}

func (p *proc) result() result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return result{args: p.args, code: p.code, out: p.stdout.String(), errOut: p.stderr.String(), elapsed: p.end.Sub(p.start)}
}

// result is how a finished process ended.
type result struct {
	args        []string
	code        int
	out, errOut string
	elapsed     time.Duration
}

// runBin runs the binary to completion (at most two minutes).
func runBin(t testing.TB, environ []string, args ...string) result {
	t.Helper()
	return start(t, environ, args...).wait(2 * time.Minute)
}

// want checks the exit code, that stderr mentions every string of has,
// and that nothing crashed: no panic, no stack trace, no data race.
func (r result) want(t testing.TB, code int, has ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("intentalert %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, code, clip(r.out), clip(r.errOut))
		return
	}
	for _, s := range has {
		if !strings.Contains(r.errOut, s) {
			t.Errorf("intentalert %s: stderr does not say %q:\n%s", strings.Join(r.args, " "), s, clip(r.errOut))
		}
	}
	r.noCrash(t)
}

// noCrash fails when the output shows a panic, a stack trace or a race.
func (r result) noCrash(t testing.TB) {
	t.Helper()
	for _, s := range []string{"panic:", "goroutine ", "DATA RACE", "runtime error", "fatal error:"} {
		if strings.Contains(r.errOut, s) || strings.Contains(r.out, s) {
			t.Errorf("intentalert %s: output shows %q:\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), s, clip(r.out), clip(r.errOut))
		}
	}
}

func clip(s string) string {
	if len(s) > 4000 {
		return s[:2000] + "\n…\n" + s[len(s)-2000:]
	}
	return s
}

// holdDatabase starts the test binary as a helper process holding the
// write lock of the DuckDB file path, and returns its PID and a function
// that releases the lock.
func holdDatabase(t testing.TB, path string) (int, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(env(t), holdLockEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			stdin.Close()
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		})
	}
	t.Cleanup(release)
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		release()
		t.Fatalf("lock holder: %q", line)
	}
	return cmd.Process.Pid, release
}

// figures are the outcomes the suite counted, by scenario, for
// docs/reliability.md.
var figures = struct {
	sync.Mutex
	m map[string]map[string]float64
}{m: map[string]map[string]float64{}}

// addFigure adds v to the figure name of scenario.
func addFigure(scenario, name string, v float64) {
	figures.Lock()
	defer figures.Unlock()
	if figures.m[scenario] == nil {
		figures.m[scenario] = map[string]float64{}
	}
	figures.m[scenario][name] += v
}

// maxFigure keeps the largest value seen for the figure name of scenario.
func maxFigure(scenario, name string, v float64) {
	figures.Lock()
	defer figures.Unlock()
	if figures.m[scenario] == nil {
		figures.m[scenario] = map[string]float64{}
	}
	figures.m[scenario][name] = max(figures.m[scenario][name], v)
}

func writeFigures() error {
	path := *figuresFlag
	if path == "" {
		path = os.Getenv("INTENTALERT_FAULTS_FIGURES")
	}
	if path == "" {
		return nil
	}
	figures.Lock()
	defer figures.Unlock()
	out := map[string]any{
		"form":      map[bool]string{true: "long", false: "short"}[soak()],
		"race":      raceEnabled,
		"go":        runtime.Version(),
		"cpus":      runtime.NumCPU(),
		"postgres":  os.Getenv("INTENTALERT_TEST_POSTGRES") != "",
		"scenarios": figures.m,
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// within runs f until it reports true or d passes, polling.
func within(d time.Duration, f func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
