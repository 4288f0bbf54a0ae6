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
	"sort"
	"strings"
	"syscall"

	"liaison"
)

// command is one CLI command, such as "org add". Each file registers its
// commands with register in an init function.
type command struct {
	name    string // words as typed: "org add"
	args    string // positional arguments, for the usage line
	summary string
	example string
	flags   func(fs *flag.FlagSet, o *options) // declares the command's own flags
	run     func(ctx context.Context, e *env, o *options, args []string) error
}

// options holds every flag a command may declare; each command reads the
// fields it declared.
type options struct {
	data string
	db   string // a PostgreSQL URL; when set, the store is there instead of in data
	vals map[string]any
	set  map[string]bool // flags given on the command line
}

func (o *options) str(name string) string    { return *o.vals[name].(*string) }
func (o *options) boolean(name string) bool  { return *o.vals[name].(*bool) }
func (o *options) list(name string) []string { return []string(*o.vals[name].(*listFlag)) }
func (o *options) integer(name string) int   { return *o.vals[name].(*int) }
func (o *options) defString(fs *flag.FlagSet, name, def, usage string) {
	o.vals[name] = fs.String(name, def, usage)
}
func (o *options) defBool(fs *flag.FlagSet, name string, usage string) {
	o.vals[name] = fs.Bool(name, false, usage)
}
func (o *options) defInt(fs *flag.FlagSet, name string, def int, usage string) {
	o.vals[name] = fs.Int(name, def, usage)
}
func (o *options) defList(fs *flag.FlagSet, name, usage string) {
	l := &listFlag{}
	o.vals[name] = l
	fs.Var(l, name, usage)
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

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("liaison: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

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
		printHelp(e.stdout, argv)
		return 0
	}
	if argv[0] == "version" || argv[0] == "--version" {
		fmt.Fprintln(e.stdout, "liaison", version())
		return 0
	}
	cmd, rest := lookup(argv)
	if cmd == nil {
		fmt.Fprintf(e.stderr, "liaison: unknown command %q; run 'liaison help'\n", strings.Join(argv[:min(2, len(argv))], " "))
		return 2
	}
	fs := flag.NewFlagSet("liaison "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &options{vals: map[string]any{}, set: map[string]bool{}}
	def := e.getenv("LIAISON_DATA")
	if def == "" {
		def = "./liaison-data"
	}
	fs.StringVar(&o.data, "data", def, "the data folder (env LIAISON_DATA)")
	fs.StringVar(&o.db, "db", e.getenv("LIAISON_DB"), dbUsage)
	if cmd.flags != nil {
		cmd.flags(fs, o)
	}
	args, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(e.stdout, cmd, fs)
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "liaison %s: %v (see 'liaison %s -h')\n", cmd.name, err, cmd.name)
		return 2
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if err := cmd.run(ctx, e, o, args); err != nil {
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

// lookup finds the longest registered command that argv starts with.
func lookup(argv []string) (*command, []string) {
	for n := min(3, len(argv)); n > 0; n-- {
		if c, ok := commands[strings.Join(argv[:n], " ")]; ok {
			return c, argv[n:]
		}
	}
	return nil, nil
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

func printHelp(w io.Writer, argv []string) {
	if len(argv) > 1 {
		if c, _ := lookup(argv[1:]); c != nil {
			fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
			o := &options{vals: map[string]any{}}
			fs.String("data", "./liaison-data", "the data folder (env LIAISON_DATA)")
			fs.String("db", "", dbUsage)
			if c.flags != nil {
				c.flags(fs, o)
			}
			printCommandHelp(w, c, fs)
			return
		}
	}
	fmt.Fprint(w, `liaison runs an alliance liaison office: STIX 2.1 store, TAXII 2.1 server,
consultations and consensus decisions, releasability enforced for every reader.

Usage: liaison COMMAND [flags] [args]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-22s %s\n", n, c.summary)
	}
	fmt.Fprint(w, `
Every command takes --data DIR (default ./liaison-data, or $LIAISON_DATA),
or --db postgres://user@host:5432/db (or $LIAISON_DB) to keep the office in
PostgreSQL instead.
Run 'liaison COMMAND -h' for a command's flags and an example.
`)
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: liaison %s [flags] %s\n\n%s\n\nFlags:\n", c.name, c.args, c.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", strings.ReplaceAll(c.example, "\n", "\n  "))
	}
}
