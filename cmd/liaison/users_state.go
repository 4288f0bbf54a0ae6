package main

import (
	"context"
	"flag"
	"fmt"

	"liaison"
)

// userDisableCmd disables (or, as user enable, enables) a user: a
// disabled user cannot sign in and their tokens do not work.
type userDisableCmd struct {
	noFlags
	disabled bool
}

func (o *userDisableCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want one user name; got %d arguments", len(args))
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if err := s.SetDisabled(ctx, args[0], o.disabled); err != nil {
			return err
		}
		what := "enabled"
		if o.disabled {
			what = "disabled: their sign-in, tokens and sessions stop working"
		}
		fmt.Fprintf(e.stderr, "user %s %s\n", args[0], what)
		return nil
	})
}

// userRolesCmd replaces a user's roles.
type userRolesCmd struct{ roles listFlag }

func (o *userRolesCmd) declare(fs *flag.FlagSet) {
	fs.Var(&o.roles, "role", "reader, analyst, officer or admin (repeatable; at least one)")
}

func (o *userRolesCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want one user name; got %d arguments", len(args))
	}
	if len(o.roles) == 0 {
		return usagef("want at least one --role (reader, analyst, officer or admin)")
	}
	var roles []liaison.Role
	for _, r := range o.roles {
		roles = append(roles, liaison.Role(r))
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if err := s.SetRoles(ctx, args[0], roles); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "user %s now has the roles %s\n", args[0], joinRoles(roles))
		return nil
	})
}
