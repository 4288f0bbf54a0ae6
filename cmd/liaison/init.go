package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"liaison"
	"liaison/audit"
)

type initCmd struct {
	org, orgName, tz, admin string
	nations                 bool
}

func (o *initCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.org, "org", "NATO-LO-TOKYO", "the office's own organisation code (a NATO body)")
	fs.StringVar(&o.orgName, "org-name", "NATO Liaison Office Tokyo", "the office's name")
	fs.StringVar(&o.tz, "tz", "Asia/Tokyo", "the office's time zone")
	fs.StringVar(&o.admin, "admin", "admin", "the first admin's user name")
	fs.BoolVar(&o.nations, "nations", false, "also add the 32 allies, the IP4 partners and the NATO bodies")
}

func (o *initCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	office := liaison.Organisation{Code: o.org, Name: o.orgName, Kind: liaison.NATOBody, TimeZone: o.tz}
	if err := office.Validate(); err != nil {
		return err
	}
	admin := liaison.Principal{Name: o.admin, Org: office.Code, Roles: []liaison.Role{liaison.RoleAdmin}}
	if err := admin.Validate(); err != nil {
		return err
	}
	where := st.location()
	s, discard, exists, err := newStore(ctx, e, where)
	if exists {
		return usagef("a store exists already at %s: init only creates new stores", displayLocation(where))
	}
	if err != nil {
		return err
	}
	secret, err := initOffice(ctx, s, office, admin, o.nations)
	if err != nil {
		// Never leave a half-made store behind: the next init
		// would refuse it and every other command would use it.
		discard()
		return err
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("init: close store: %w", err)
	}
	// The audit signing key goes to the data folder; an office in
	// PostgreSQL given no folder gets its key where serve first runs.
	keyed := st.db == "" || st.dataGiven || e.getenv("LIAISON_DATA") != ""
	var key *audit.Key
	if keyed {
		if key, _, err = audit.EnsureKey(st.data, audit.OriginFor(office.Code)); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stdout, secret)
	if keyed {
		fmt.Fprintf(e.stderr, "the audit signing key is in %s; its public key (liaison audit key):\n%s\n", filepath.Join(st.data, audit.KeyFile), key.VerifierKey)
	} else {
		fmt.Fprintln(e.stderr, "no audit signing key made: pass --data DIR to keep it there; serve makes it in its --data folder at its first start")
	}
	fmt.Fprintf(e.stderr, "created the store at %s for %s; the token above is %s's, shown once\n", displayLocation(where), office.Name, admin.Name)
	return nil
}

// initOffice fills a new store with the office, optionally the nations, and
// the first admin, and returns the admin's token.
func initOffice(ctx context.Context, s liaison.Store, office liaison.Organisation, admin liaison.Principal, nations bool) (string, error) {
	if err := s.CreateOrganisation(ctx, office); err != nil {
		return "", err
	}
	if nations {
		err := seedNations(func(o liaison.Organisation) error { return s.CreateOrganisation(ctx, o) })
		if err != nil {
			return "", err
		}
	}
	if err := s.CreateUser(ctx, &admin, ""); err != nil {
		return "", err
	}
	_, secret, err := s.CreateToken(ctx, admin.Name)
	return secret, err
}

// removeStore deletes the store files init made, and the folder too when
// init created it.
func removeStore(dir string, madeDir bool) {
	if madeDir {
		os.RemoveAll(dir)
		return
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "liaison.db*"))
	for _, m := range matches {
		os.Remove(m)
	}
}
