package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"liaison"
)

func init() {
	register(&command{
		name: "user add", args: "NAME", summary: "add a user of an organisation; the password comes from --password-file or stdin",
		example: `echo 's3cret-passphrase' | liaison user add akiko --org JPN --role analyst`,
		flags: func(fs *flag.FlagSet, o *options) {
			o.defString(fs, "org", "", "the user's organisation code (required)")
			o.defList(fs, "role", "reader, analyst, officer or admin (repeatable; default reader)")
			o.defString(fs, "password-file", "", "read the password from this file (first line)")
			o.defBool(fs, "no-password", "create a token-only user")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 1 {
				return usagef("want one user name; got %d arguments", len(args))
			}
			roles := o.list("role")
			if len(roles) == 0 {
				roles = []string{string(liaison.RoleReader)}
			}
			p := liaison.Principal{Name: args[0], Org: o.str("org")}
			for _, r := range roles {
				p.Roles = append(p.Roles, liaison.Role(r))
			}
			if err := p.Validate(); err != nil {
				return err
			}
			password := ""
			if !o.boolean("no-password") {
				var err error
				if password, err = readPassword(e, o.str("password-file")); err != nil {
					return err
				}
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				if err := s.CreateUser(ctx, &p, password); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "added user %s of %s with roles %s\n", p.Name, p.Org, joinRoles(p.Roles))
				return nil
			})
		},
	})
	register(&command{
		name: "user list", summary: "list users",
		example: `liaison user list`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return withStore(ctx, e, o, func(s liaison.Store) error {
				us, err := s.Users(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tORG\tROLES")
				for _, u := range us {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Org, joinRoles(u.Roles))
				}
				return tw.Flush()
			})
		},
	})
	register(&command{
		name: "token create", summary: "create an API token for a user; prints the token alone on stdout, once",
		example: `TOKEN=$(liaison token create --user akiko)`,
		flags: func(fs *flag.FlagSet, o *options) {
			o.defString(fs, "user", "", "the user's name (required)")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 0 || o.str("user") == "" {
				return usagef("want --user NAME and no arguments")
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				t, secret, err := s.CreateToken(ctx, o.str("user"))
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, secret)
				fmt.Fprintf(e.stderr, "token %s for %s: store it now, it is not shown again\n", t.ID, t.User)
				return nil
			})
		},
	})
	register(&command{
		name: "token revoke", args: "TOKEN-ID", summary: "revoke an API token by its id",
		example: `liaison token revoke 4f1c2a9b`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 1 {
				return usagef("want one token id (see 'liaison token list --user NAME')")
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				if err := s.RevokeToken(ctx, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "revoked token %s\n", args[0])
				return nil
			})
		},
	})
	register(&command{
		name: "token list", summary: "list a user's tokens (ids only; secrets are never stored)",
		example: `liaison token list --user akiko`,
		flags: func(fs *flag.FlagSet, o *options) {
			o.defString(fs, "user", "", "the user's name (required)")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if o.str("user") == "" {
				return usagef("want --user NAME")
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				if _, err := s.User(ctx, o.str("user")); err != nil {
					return err
				}
				ts, err := s.Tokens(ctx, o.str("user"))
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tCREATED\tREVOKED")
				for _, t := range ts {
					fmt.Fprintf(tw, "%s\t%s\t%v\n", t.ID, t.Created.UTC().Format("2006-01-02T15:04:05Z"), t.Revoked)
				}
				return tw.Flush()
			})
		},
	})
}

// readPassword reads the first line of the password file, or of stdin.
// It refuses an empty password, and says how to give one.
func readPassword(e *env, file string) (string, error) {
	var line string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usagef("cannot read --password-file: %v", err)
		}
		line, _, _ = strings.Cut(string(b), "\n")
	} else {
		if e.stdinIsTTY {
			fmt.Fprint(e.stderr, "password: ")
		}
		sc := bufio.NewScanner(e.stdin)
		if sc.Scan() {
			line = sc.Text()
		}
	}
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", usagef("empty password: give one on stdin or with --password-file, or pass --no-password for a token-only user")
	}
	if len(line) < 8 {
		return "", usagef("password too short: want at least 8 characters")
	}
	return line, nil
}

func joinRoles(rs []liaison.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
