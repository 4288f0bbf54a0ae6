// Command liaison runs an alliance liaison office: a STIX 2.1 store, a
// TAXII 2.1 server, consultations and decisions, and the operator commands
// that manage them. Run `liaison help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"liaison"
)

// storeFlags are the flags every command takes: where the office is kept.
type storeFlags struct {
	data      string // the data folder of a SQLite store
	db        string // a PostgreSQL URL; when set, the store is there instead of in data
	dataGiven bool   // --data was on the command line, not taken from the default
	replicas  urlList
}

// declare binds --data and --db, whose defaults come from the environment.
func (st *storeFlags) declare(fs *flag.FlagSet, getenv func(string) string) {
	def := getenv("LIAISON_DATA")
	if def == "" {
		def = "./liaison-data"
	}
	fs.StringVar(&st.data, "data", def, "the data folder (env LIAISON_DATA)")
	fs.StringVar(&st.db, "db", getenv("LIAISON_DB"), dbUsage)
	st.replicas = strings.Fields(getenv("LIAISON_DB_REPLICAS"))
	fs.Var(&st.replicas, "db-replica", "a streaming replica of the --db database that reads may go to; repeat it for several (env LIAISON_DB_REPLICAS, separated by spaces)")
}

// urlList collects a repeatable flag whose values are URLs, which may hold
// commas, so each value is taken whole.
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, " ") }
func (l *urlList) Set(v string) error {
	if v = strings.TrimSpace(v); v != "" {
		*l = append(*l, v)
	}
	return nil
}

// listFlag collects a repeatable flag; each value may also hold commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// dbUsage describes the --db flag every command takes.
const dbUsage = "a PostgreSQL URL such as postgres://user@host:5432/db?sslmode=disable (add &search_path=SCHEMA for a schema of its own); when set, the office is kept there instead of in --data (env LIAISON_DB)"

// env is what a command may touch of the outside world, so that tests run
// commands in-process exactly as a user would.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinIsTTY     bool
	stderrIsTTY    bool
	log            *slog.Logger
}

// usageError is a mistake of the caller's: the command prints it on one
// line and exits 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdinIsTTY: isTerminal(os.Stdin), stderrIsTTY: isTerminal(os.Stderr),
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes one command line and returns the process exit code: 0 on
// success, 2 for a mistake of the caller's (bad flag, unknown organisation,
// duplicate, missing store), 1 for anything else.
func run(ctx context.Context, e *env, argv []string) int {
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if len(argv) == 0 || argv[0] == "help" || argv[0] == "-h" || argv[0] == "--help" {
		printHelp(e, argv)
		return 0
	}
	if argv[0] == "version" || argv[0] == "--version" {
		fmt.Fprintln(e.stdout, "liaison", version())
		return 0
	}
	cmd, rest := lookup(argv)
	if cmd == nil {
		return runGroup(e, argv)
	}
	fs, st, r := cmd.flagSet(e.getenv)
	args, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(e.stdout, cmd, fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "liaison %s: %v (see 'liaison %s -h')\n", cmd.name, err, cmd.name)
		return 2
	}
	st.dataGiven = given(fs, "data")
	if err := r.run(ctx, e, st, args); err != nil {
		return reportError(e, cmd.name, err)
	}
	return 0
}

// reportError prints err on one line and picks the exit code.
func reportError(e *env, name string, err error) int {
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "liaison %s: %s\n", name, ue.msg)
		return 2
	case liaison.ErrorCode(err) == liaison.EINTERNAL:
		e.log.Error("command failed", "command", name, "err", err)
		fmt.Fprintf(e.stderr, "liaison %s: internal error (details logged above)\n", name)
		return 1
	default:
		fmt.Fprintf(e.stderr, "liaison %s: %s\n", name, liaison.ErrorMessage(err))
		return 2
	}
}

// given reports whether the command line set fs's flag name.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseInterleaved parses flags that may stand before, between or after the
// positional arguments, as operators type them: `org add FRA --name France`.
// A lone "--" ends flag parsing.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
