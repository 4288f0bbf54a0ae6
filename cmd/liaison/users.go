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

type userAddCmd struct {
	org          string
	roles        listFlag
	passwordFile string
	noPassword   bool
}

func (o *userAddCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.org, "org", "", "the user's organisation code (required)")
	fs.Var(&o.roles, "role", "reader, analyst, officer or admin (repeatable; default reader)")
	fs.StringVar(&o.passwordFile, "password-file", "", "read the password from this file (first line)")
	fs.BoolVar(&o.noPassword, "no-password", false, "create a token-only user")
}

func (o *userAddCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want one user name; got %d arguments", len(args))
	}
	roles := []string(o.roles)
	if len(roles) == 0 {
		roles = []string{string(liaison.RoleReader)}
	}
	p := liaison.Principal{Name: args[0], Org: o.org}
	for _, r := range roles {
		p.Roles = append(p.Roles, liaison.Role(r))
	}
	if err := p.Validate(); err != nil {
		return err
	}
	password := ""
	if !o.noPassword {
		var err error
		if password, err = readPassword(e, o.passwordFile); err != nil {
			return err
		}
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if err := s.CreateUser(ctx, &p, password); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "added user %s of %s with roles %s\n", p.Name, p.Org, joinRoles(p.Roles))
		return nil
	})
}

type userListCmd struct{ noFlags }

func (*userListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	return withStore(ctx, e, st, func(s liaison.Store) error {
		us, err := s.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tORG\tROLES\tSTATE")
		for _, u := range us {
			state := "active"
			if u.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Org, joinRoles(u.Roles), state)
		}
		return tw.Flush()
	})
}

type tokenCreateCmd struct{ user string }

func (o *tokenCreateCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.user, "user", "", "the user's name (required)")
}

func (o *tokenCreateCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 || o.user == "" {
		return usagef("want --user NAME and no arguments")
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		t, secret, err := s.CreateToken(ctx, o.user)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, secret)
		fmt.Fprintf(e.stderr, "token %s for %s: store it now, it is not shown again\n", t.ID, t.User)
		return nil
	})
}

type tokenRevokeCmd struct{ noFlags }

func (*tokenRevokeCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want one token id (see 'liaison token list --user NAME')")
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if err := s.RevokeToken(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "revoked token %s\n", args[0])
		return nil
	})
}

type tokenListCmd struct{ user string }

func (o *tokenListCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.user, "user", "", "the user's name (required)")
}

func (o *tokenListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if o.user == "" {
		return usagef("want --user NAME")
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if _, err := s.User(ctx, o.user); err != nil {
			return err
		}
		ts, err := s.Tokens(ctx, o.user)
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
