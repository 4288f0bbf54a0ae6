package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

// TestCommandTable checks what register used to check at start-up, and
// what help needs of every command.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] {
			t.Errorf("command %q is in the table twice", c.name)
		}
		seen[c.name] = true
		if c.summary == "" || c.example == "" || c.flags == nil {
			t.Errorf("command %q lacks a summary, an example or its flags", c.name)
		}
	}
}

// TestUsageShowsArguments checks that -h and `liaison help COMMAND` give
// each command's usage line with its positional arguments.
func TestUsageShowsArguments(t *testing.T) {
	usage := map[string]string{
		"agreement add":      "Usage: liaison agreement add [flags]",
		"agreement end":      "Usage: liaison agreement end [flags] ID",
		"agreement list":     "Usage: liaison agreement list [flags]",
		"audit consistency":  "Usage: liaison audit consistency [flags] OLD NEW",
		"audit export":       "Usage: liaison audit export [flags]",
		"audit key":          "Usage: liaison audit key [flags]",
		"audit log":          "Usage: liaison audit log [flags]",
		"audit prove":        "Usage: liaison audit prove [flags] ENTRY",
		"audit verify":       "Usage: liaison audit verify [flags]",
		"audit who-received": "Usage: liaison audit who-received [flags] OBJECT-ID",
		"backup":             "Usage: liaison backup [flags]",
		"bench":              "Usage: liaison bench [flags]",
		"collection add":     "Usage: liaison collection add [flags]",
		"collection list":    "Usage: liaison collection list [flags]",
		"collection match":   "Usage: liaison collection match [flags] [ID on|off]",
		"community add":      "Usage: liaison community add [flags] NAME MEMBER...",
		"community list":     "Usage: liaison community list [flags]",
		"community set":      "Usage: liaison community set [flags] NAME MEMBER...",
		"consult cancel":     "Usage: liaison consult cancel [flags] ID",
		"consult list":       "Usage: liaison consult list [flags]",
		"consult open":       "Usage: liaison consult open [flags] ID",
		"consult show":       "Usage: liaison consult show [flags] ID",
		"consult slots":      "Usage: liaison consult slots [flags]",
		"copy":               "Usage: liaison copy [flags]",
		"decide act":         "Usage: liaison decide act [flags] ID ACTION",
		"decide list":        "Usage: liaison decide list [flags]",
		"decide propose":     "Usage: liaison decide propose [flags]",
		"decide show":        "Usage: liaison decide show [flags] ID",
		"demo":               "Usage: liaison demo [flags]",
		"export":             "Usage: liaison export [flags]",
		"import":             "Usage: liaison import [flags] FILE...",
		"init":               "Usage: liaison init [flags]",
		"match":              "Usage: liaison match [flags] FILE",
		"migrate":            "Usage: liaison migrate [flags]",
		"org add":            "Usage: liaison org add [flags] CODE",
		"org list":           "Usage: liaison org list [flags]",
		"peer allow":         "Usage: liaison peer allow [flags] NAME",
		"peer checkpoint":    "Usage: liaison peer checkpoint [flags] NAME",
		"peer list":          "Usage: liaison peer list [flags]",
		"peer pull":          "Usage: liaison peer pull [flags] NAME",
		"peer remove":        "Usage: liaison peer remove [flags] NAME",
		"peer status":        "Usage: liaison peer status [flags] [NAME]",
		"peer sync":          "Usage: liaison peer sync [flags] NAME",
		"peer witness":       "Usage: liaison peer witness [flags] NAME",
		"restore":            "Usage: liaison restore [flags]",
		"serve":              "Usage: liaison serve [flags]",
		"token create":       "Usage: liaison token create [flags]",
		"token list":         "Usage: liaison token list [flags]",
		"token revoke":       "Usage: liaison token revoke [flags] TOKEN-ID",
		"user add":           "Usage: liaison user add [flags] NAME",
		"user list":          "Usage: liaison user list [flags]",
		"user roles":         "Usage: liaison user roles [flags] NAME",
		"user disable":       "Usage: liaison user disable [flags] NAME",
		"user enable":        "Usage: liaison user enable [flags] NAME",
	}
	c := newCLI(t)
	for _, cmd := range commands {
		want, ok := usage[cmd.name]
		if !ok {
			t.Errorf("command %q has no usage line in this test: add it", cmd.name)
			continue
		}
		delete(usage, cmd.name)
		words := strings.Fields(cmd.name)
		for _, argv := range [][]string{append(words, "-h"), append([]string{"help"}, words...)} {
			r := c.run("", argv...)
			first, _, _ := strings.Cut(r.stdout, "\n")
			if r.code != 0 || first != want {
				t.Errorf("liaison %s: exit %d, first line %q; want 0 and %q", strings.Join(argv, " "), r.code, first, want)
			}
		}
	}
	for name := range usage {
		t.Errorf("this test expects a command %q, which is not in the table", name)
	}
}

// runExactly runs a command line as given, without the --data that cli
// adds.
func runExactly(args ...string) result {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return result{code, out.String(), errb.String()}
}

// TestGroupAloneListsItsCommands checks that a group's name alone, such as
// `liaison org`, lists the group's commands with their summaries: on
// stderr with exit 2, as a usage mistake, and on stdout with exit 0 when
// asked for with -h or help.
func TestGroupAloneListsItsCommands(t *testing.T) {
	groups := []string{"agreement", "audit", "collection", "community", "consult", "decide", "org", "peer", "token", "user"}
	for _, c := range commands {
		if g, _, ok := strings.Cut(c.name, " "); ok && !slices.Contains(groups, g) {
			t.Errorf("command %q is of a group this test does not know: add %q", c.name, g)
		}
	}
	for _, g := range groups {
		t.Run(g, func(t *testing.T) {
			var members []command
			for _, c := range commands {
				if strings.HasPrefix(c.name, g+" ") {
					members = append(members, c)
				}
			}
			lists := func(what, out string) {
				t.Helper()
				for _, c := range members {
					if !strings.Contains(out, c.name) || !strings.Contains(out, c.summary) {
						t.Errorf("%s does not list %q with its summary:\n%s", what, c.name, out)
					}
				}
				if !strings.Contains(out, "liaison "+g+" COMMAND") {
					t.Errorf("%s has no usage line:\n%s", what, out)
				}
			}
			for _, argv := range [][]string{{g}, {g, "--data", t.TempDir()}} {
				r := runExactly(argv...)
				if r.code != 2 || r.stdout != "" {
					t.Errorf("liaison %s: exit %d, stdout %q; want 2 and the list on stderr", strings.Join(argv, " "), r.code, r.stdout)
				}
				lists("liaison "+strings.Join(argv, " "), r.stderr)
			}
			for _, argv := range [][]string{{g, "-h"}, {g, "--help"}, {"help", g}} {
				r := runExactly(argv...)
				if r.code != 0 || r.stderr != "" {
					t.Errorf("liaison %s: exit %d, stderr %q; want 0 and the list on stdout", strings.Join(argv, " "), r.code, r.stderr)
				}
				lists("liaison "+strings.Join(argv, " "), r.stdout)
			}
			r := runExactly(g, "frobnicate")
			want := "liaison: unknown command \"" + g + " frobnicate\"; run 'liaison help " + g + "'\n"
			if r.code != 2 || r.stderr != want {
				t.Errorf("liaison %s frobnicate: exit %d, stderr %q; want 2 and %q", g, r.code, r.stderr, want)
			}
		})
	}
}
