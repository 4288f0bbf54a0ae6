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

func init() {
	register(&command{
		name: "org add", args: "CODE", summary: "add an organisation (ally, partner or NATO body)",
		example: `liaison org add JPN --name Japan --kind partner --tz Asia/Tokyo`,
		flags: func(fs *flag.FlagSet, o *options) {
			o.defString(fs, "name", "", "the organisation's name (required)")
			o.defString(fs, "kind", "", "ally, partner or nato-body (required)")
			o.defString(fs, "tz", "", "home time zone, an IANA name such as Europe/Paris")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 1 {
				return usagef("want one organisation code, such as JPN; got %d arguments", len(args))
			}
			org := liaison.Organisation{Code: args[0], Name: o.str("name"), Kind: liaison.OrgKind(o.str("kind")), TimeZone: o.str("tz")}
			if err := org.Validate(); err != nil {
				return err
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				if err := s.CreateOrganisation(ctx, org); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "added %s %s (%s)\n", org.Kind, org.Code, org.Name)
				return nil
			})
		},
	})
	register(&command{
		name: "org list", summary: "list the organisations on the hub",
		example: `liaison org list`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 0 {
				return usagef("takes no arguments")
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
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
		},
	})
	register(&command{
		name: "community add", args: "NAME MEMBER...", summary: "define a community of organisations and other communities",
		example: `liaison community add FIVE-EYES USA GBR CAN AUS NZL`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) < 2 {
				return usagef("want a community name and at least one member, such as: community add FIVE-EYES USA GBR")
			}
			c := liaison.Community{Name: args[0], Members: args[1:]}
			if err := c.Validate(); err != nil {
				return err
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				if err := s.CreateCommunity(withCLIProgress(ctx, e, "recomputing audiences"), c); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "added community %s: %s\n", c.Name, strings.Join(c.Members, " "))
				return nil
			})
		},
	})
	register(&command{
		name: "community set", args: "NAME MEMBER...", summary: "replace the members of a community",
		example: `liaison community set FIVE-EYES USA GBR CAN AUS NZL JPN`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) < 2 {
				return usagef("want a community name and at least one member")
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				return s.SetCommunityMembers(withCLIProgress(ctx, e, "recomputing audiences"), args[0], args[1:])
			})
		},
	})
	register(&command{
		name: "community list", summary: "list communities, built-in ones expanded",
		example: `liaison community list`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return withStore(ctx, e, o, func(s liaison.Store) error {
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
		},
	})
	register(&command{
		name: "agreement add", summary: "record a security agreement or a partnership programme with a partner",
		example: "liaison agreement add --partner JPN --kind security --max-classification \"NATO CONFIDENTIAL\" --from 2010-06-25\n" +
			"liaison agreement add --partner JPN --kind programme --name \"ITPP 2023-2026\" --from 2023-07-12 --until 2026-12-31 --area \"cyber defence\" --area \"space security\"",
		flags: func(fs *flag.FlagSet, o *options) {
			o.defString(fs, "partner", "", "the partner organisation's code (required)")
			o.defString(fs, "kind", "", "security or programme (required)")
			o.defString(fs, "max-classification", "", "security: the highest classification covered, e.g. \"NATO CONFIDENTIAL\"")
			o.defString(fs, "name", "", "programme: its name, e.g. \"ITPP 2023-2026\"")
			o.defString(fs, "from", "", "in force from this date (YYYY-MM-DD or RFC 3339)")
			o.defString(fs, "until", "", "in force until this date, exclusive (YYYY-MM-DD or RFC 3339)")
			o.defList(fs, "area", "programme: an area of cooperation (repeatable)")
			o.defList(fs, "objective", "programme: an objective (repeatable)")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 0 {
				return usagef("takes no arguments, only flags")
			}
			a := liaison.Agreement{Partner: o.str("partner"), Kind: liaison.AgreementKind(o.str("kind")), Name: o.str("name"),
				Areas: o.list("area"), Objectives: o.list("objective")}
			var err error
			if v := o.str("max-classification"); v != "" {
				if a.MaxClassification, err = liaison.ParseClassification(v); err != nil {
					return err
				}
			}
			if a.From, err = parseDate("--from", o.str("from")); err != nil {
				return err
			}
			if a.Until, err = parseDate("--until", o.str("until")); err != nil {
				return err
			}
			if err := a.Validate(); err != nil {
				return err
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				if err := s.CreateAgreement(withCLIProgress(ctx, e, "recomputing audiences"), &a); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "added %s agreement %d with %s\n", a.Kind, a.ID, a.Partner)
				return nil
			})
		},
	})
	register(&command{
		name: "agreement end", args: "ID", summary: "end an agreement at a date (default now)",
		example: `liaison agreement end 3 --at 2026-12-31`,
		flags: func(fs *flag.FlagSet, o *options) {
			o.defString(fs, "at", "", "the date it ends (YYYY-MM-DD or RFC 3339); default now")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 1 {
				return usagef("want one agreement id (see 'liaison agreement list')")
			}
			var id int64
			if _, err := fmt.Sscan(args[0], &id); err != nil {
				return usagef("agreement id %q is not a number", args[0])
			}
			at, err := parseDate("--at", o.str("at"))
			if err != nil {
				return err
			}
			if at.IsZero() {
				at = time.Now().UTC()
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
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
						return s.UpdateAgreement(withCLIProgress(ctx, e, "recomputing audiences"), a)
					}
				}
				return liaison.NotFound("agreement", args[0])
			})
		},
	})
	register(&command{
		name: "agreement list", summary: "list agreements and whether each is in force",
		example: `liaison agreement list`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return withStore(ctx, e, o, func(s liaison.Store) error {
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
		},
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
