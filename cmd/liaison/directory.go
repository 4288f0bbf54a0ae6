package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"liaison"
)

type orgAddCmd struct{ name, kind, tz string }

func (o *orgAddCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.name, "name", "", "the organisation's name (required)")
	fs.StringVar(&o.kind, "kind", "", "ally, partner or nato-body (required)")
	fs.StringVar(&o.tz, "tz", "", "home time zone, an IANA name such as Europe/Paris")
}

func (o *orgAddCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want one organisation code, such as JPN; got %d arguments", len(args))
	}
	org := liaison.Organisation{Code: args[0], Name: o.name, Kind: liaison.OrgKind(o.kind), TimeZone: o.tz}
	if err := org.Validate(); err != nil {
		return err
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if err := s.CreateOrganisation(ctx, org); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "added %s %s (%s)\n", org.Kind, org.Code, org.Name)
		return nil
	})
}

type orgListCmd struct{ noFlags }

func (*orgListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments")
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		orgs, err := s.Organisations(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tKIND\tTIME ZONE\tNAME")
		for _, g := range orgs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Code, g.Kind, orDash(g.TimeZone), g.Name)
		}
		return tw.Flush()
	})
}

type communityAddCmd struct{ noFlags }

func (*communityAddCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) < 2 {
		return usagef("want a community name and at least one member, such as: community add FIVE-EYES USA GBR")
	}
	c := liaison.Community{Name: args[0], Members: args[1:]}
	if err := c.Validate(); err != nil {
		return err
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		pctx, end := withCLIProgress(ctx, e, "recomputing audiences")
		err := s.CreateCommunity(pctx, c)
		end()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "added community %s: %s\n", c.Name, strings.Join(c.Members, " "))
		return nil
	})
}

type communitySetCmd struct{ noFlags }

func (*communitySetCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) < 2 {
		return usagef("want a community name and at least one member")
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		pctx, end := withCLIProgress(ctx, e, "recomputing audiences")
		defer end()
		return s.SetCommunityMembers(pctx, args[0], args[1:])
	})
}

type communityListCmd struct{ noFlags }

func (*communityListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	return withStore(ctx, e, st, func(s liaison.Store) error {
		d, err := s.Directory(ctx)
		if err != nil {
			return err
		}
		cs, err := s.Communities(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tMEMBERS\tEXPANDS TO")
		for _, b := range []string{liaison.CommunityAll, liaison.CommunityNATO, liaison.CommunityIP4} {
			fmt.Fprintf(tw, "%s\t(built in)\t%s\n", b, strings.Join(d.Expand(b), " "))
		}
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, strings.Join(c.Members, " "), strings.Join(d.Expand(c.Name), " "))
		}
		return tw.Flush()
	})
}

type agreementAddCmd struct {
	partner, kind, maxClassification, name, from, until string
	areas, objectives                                   listFlag
}

func (o *agreementAddCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.partner, "partner", "", "the partner organisation's code (required)")
	fs.StringVar(&o.kind, "kind", "", "security or programme (required)")
	fs.StringVar(&o.maxClassification, "max-classification", "", "security: the highest classification covered, e.g. \"NATO CONFIDENTIAL\"")
	fs.StringVar(&o.name, "name", "", "programme: its name, e.g. \"ITPP 2023-2026\"")
	fs.StringVar(&o.from, "from", "", "in force from this date (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&o.until, "until", "", "in force until this date, exclusive (YYYY-MM-DD or RFC 3339)")
	fs.Var(&o.areas, "area", "programme: an area of cooperation (repeatable)")
	fs.Var(&o.objectives, "objective", "programme: an objective (repeatable)")
}

func (o *agreementAddCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	a := liaison.Agreement{Partner: o.partner, Kind: liaison.AgreementKind(o.kind), Name: o.name,
		Areas: o.areas, Objectives: o.objectives}
	var err error
	if v := o.maxClassification; v != "" {
		if a.MaxClassification, err = liaison.ParseClassification(v); err != nil {
			return err
		}
	}
	if a.From, err = parseDate("--from", o.from); err != nil {
		return err
	}
	if a.Until, err = parseDate("--until", o.until); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if err := checkPartner(ctx, s, a.Partner); err != nil {
			return err
		}
		pctx, end := withCLIProgress(ctx, e, "recomputing audiences")
		err := s.CreateAgreement(pctx, &a)
		end()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "added %s agreement %d with %s\n", a.Kind, a.ID, a.Partner)
		return nil
	})
}

// checkPartner refuses an agreement with an organisation that is not a
// partner, saying what it is: "FRA is an ally". The stores refuse it too,
// but their message reads "is a ally". An organisation not on the hub is
// left to the store, whose message says so.
func checkPartner(ctx context.Context, s liaison.Store, code string) error {
	o, err := s.Organisation(ctx, code)
	if liaison.ErrorCode(err) == liaison.ENOTFOUND {
		return nil
	}
	if err != nil {
		return fmt.Errorf("agreement add: look up partner %s: %w", code, err)
	}
	if o.Kind == liaison.Partner {
		return nil
	}
	return liaison.Errorf(liaison.EINVALID, "agreement partner %s is %s, not a partner", code, withArticle(string(o.Kind)))
}

// withArticle puts "a" or "an" before a word: "an ally", "a nato-body".
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

type agreementEndCmd struct{ at string }

func (o *agreementEndCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.at, "at", "", "the date it ends (YYYY-MM-DD or RFC 3339); default now")
}

func (o *agreementEndCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want one agreement id (see 'liaison agreement list')")
	}
	var id int64
	if _, err := fmt.Sscan(args[0], &id); err != nil {
		return usagef("agreement id %q is not a number", args[0])
	}
	at, err := parseDate("--at", o.at)
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = time.Now().UTC()
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		all, err := s.Agreements(ctx)
		if err != nil {
			return err
		}
		for _, a := range all {
			if a.ID == id {
				a.Until = at
				if err := a.Validate(); err != nil {
					return err
				}
				pctx, end := withCLIProgress(ctx, e, "recomputing audiences")
				defer end()
				return s.UpdateAgreement(pctx, a)
			}
		}
		return liaison.NotFound("agreement", args[0])
	})
}

type agreementListCmd struct{ noFlags }

func (*agreementListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	return withStore(ctx, e, st, func(s liaison.Store) error {
		all, err := s.Agreements(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPARTNER\tKIND\tNAME / LEVEL\tFROM\tUNTIL\tIN FORCE")
		for _, a := range all {
			what := a.Name
			if a.Kind == liaison.SecurityAgreement {
				what = a.MaxClassification.String()
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%v\n", a.ID, a.Partner, a.Kind, what, dateOrDash(a.From), dateOrDash(a.Until), a.InForce(now))
		}
		return tw.Flush()
	})
}

// parseDate reads YYYY-MM-DD (midnight UTC) or an RFC 3339 timestamp; an
// empty value is the zero time.
func parseDate(flagName, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, usagef("%s %q is not a date: want YYYY-MM-DD or an RFC 3339 timestamp", flagName, v)
}

func dateOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
