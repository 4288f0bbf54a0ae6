package leaktest_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The leak test must be able to fail: each mutant is a store with one
// fault the invariant forbids, and a small leak test run over it in a
// child process of this test binary must fail and say LEAK. The proof is
// deterministic (a fixed seed, one mutant per child), so it is the same
// with or without the race detector.

// childEnv marks a child process, so that no mutant proof runs inside one.
const childEnv = "LEAKTEST_CHILD"

// provenEnv is set by CI in its -race step, which runs only after the
// step without -race passed: that step proved every mutant caught. Under
// the race detector a mutant proof skips when it is set; without the
// race detector it is ignored, so that `go test ./...` always proves
// them.
const provenEnv = "LEAKTEST_MUTANTS_PROVEN"

// mutantProofs is called first by every test that proves a mutant is
// caught. It skips inside a child, and under the race detector when CI
// says that its run without -race has made the proofs.
func mutantProofs(t *testing.T) {
	t.Helper()
	if os.Getenv(childEnv) != "" {
		t.Skip("inside a mutant run")
	}
	if raceDetector && os.Getenv(provenEnv) != "" {
		t.Skipf("%s is set: the run without -race proved the mutants caught; the race detector changes nothing they check", provenEnv)
	}
}

// mutantChild is a small leak test over one mutant: test, run alone in a
// child process, reads the mutant's name from the variable env. The child
// tests run with leaktest.Options.StopAtLeak: the first LEAK on a path
// proves that path catches the mutant.
type mutantChild struct {
	test string   // the child test, such as "TestMutant"
	env  string   // the variable that names the mutant to it
	mode string   // the mutant
	args []string // flags beyond -test.run, -test.v and -leak.seed=7
}

// caught runs the child and fails t unless the leak test failed there
// and said LEAK. It returns the child's output, for the checks each
// caller adds (which path, which message).
func (c mutantChild) caught(t *testing.T) string {
	t.Helper()
	out, err := c.run(t)
	if err == nil {
		t.Fatalf("the leak test passed on mutant %s (%s); it must fail:\n%s", c.mode, c.test, tail(out))
	}
	i := strings.Index(out, "LEAK")
	if i < 0 {
		t.Fatalf("the leak test failed on mutant %s (%s) but said no LEAK:\n%s", c.mode, c.test, tail(out))
	}
	line, _, _ := strings.Cut(out[i:], "\n")
	t.Logf("mutant %s caught: %d LEAK reports, the first: %.200s", c.mode, strings.Count(out, "LEAK"), line)
	return out
}

// mutantCase is one mutant a parent proves caught: its name, and what
// its child's output must hold besides a LEAK.
type mutantCase struct {
	name  string
	wants []string
}

// caughtEach runs c.caught over each mutant of cases, in parallel
// subtests named for them, and checks that each child's output holds
// that mutant's wants.
func (c mutantChild) caughtEach(t *testing.T, cases []mutantCase) {
	t.Helper()
	for _, m := range cases {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c := c
			c.mode = m.name
			out := c.caught(t)
			for _, w := range m.wants {
				if !strings.Contains(out, w) {
					t.Errorf("the leak test failed on mutant %s (%s) but without %q", m.name, c.test, w)
				}
			}
			if t.Failed() {
				t.Logf("its output ends:\n%s", tail(out))
			}
		})
	}
}

// run runs the child and returns its output and how it exited.
func (c mutantChild) run(t *testing.T) (string, error) {
	t.Helper()
	bin, err := childBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-test.run=^" + c.test + "$", "-test.v", "-leak.seed=7"}, c.args...)...)
	cmd.Env = append(os.Environ(), childEnv+"=1", c.env+"="+c.mode)
	out, err := cmd.CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("run mutant %s (%s): %v", c.mode, c.test, err)
	}
	return string(out), err
}

// childBinary returns the test binary the children run: this one, or
// under the race detector the same tests built without it, since a child
// under the race detector costs minutes and proves nothing more.
var childBinary = sync.OnceValues(func() (string, error) {
	if !raceDetector {
		return os.Args[0], nil
	}
	dir, err := os.MkdirTemp("", "leaktest-child-")
	if err != nil {
		return "", fmt.Errorf("build the mutant children without -race: %w", err)
	}
	childDir = dir
	bin := filepath.Join(dir, "leaktest.test")
	// The test runs in its package's folder; go test puts its go first
	// on PATH.
	cmd := exec.Command("go", "test", "-c", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the mutant children without -race: %w\n%s", err, out)
	}
	return bin, nil
})

// childDir holds the children's binary built without -race; TestMain
// removes it.
var childDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if childDir != "" {
		os.RemoveAll(childDir)
	}
	os.Exit(code)
}

func tail(s string) string {
	if len(s) > 3000 {
		s = s[len(s)-3000:]
	}
	return s
}
