package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"liaison"
	"liaison/consult"
)

// asUser resolves the --as flag to a principal: consultations and
// decisions are always read and acted on as somebody.
func asUser(ctx context.Context, s liaison.Store, o *options) (liaison.Principal, error) {
	name := o.str("as")
	if name == "" {
		return liaison.Principal{}, usagef("--as USER is required: consultations and decisions are read and acted on as a user")
	}
	return s.User(ctx, name)
}

func consultations(s liaison.Store) (liaison.ConsultationService, error) {
	cs, ok := s.(liaison.ConsultationService)
	if !ok {
		return nil, fmt.Errorf("this store does not keep consultations")
	}
	return cs, nil
}

func parseID(args []string, kind string) (int64, error) {
	if len(args) != 1 {
		return 0, usagef("takes one %s id", kind)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%s id %q is not a positive number", kind, args[0])
	}
	return id, nil
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func init() {
	asFlag := func(fs *flag.FlagSet, o *options) { o.defString(fs, "as", "", "the user to act or read as (required)") }
	register(&command{
		name: "consult list", summary: "list the consultations a user can see",
		example: "liaison consult list --as jpn-analyst",
		flags:   asFlag,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return withStore(ctx, e, o, func(s liaison.Store) error {
				p, err := asUser(ctx, s, o)
				if err != nil {
					return err
				}
				cs, err := consultations(s)
				if err != nil {
					return err
				}
				list, err := cs.Consultations(ctx, p, liaison.ConsultationFilter{})
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tCONVENOR\tFORMAT\tWHEN\tTITLE")
				for _, c := range list {
					when := c.Start
					if c.Format == liaison.FormatWritten {
						when = c.Deadline
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Status, c.Convenor, c.Format, when.UTC().Format(time.RFC3339), c.Title)
				}
				return tw.Flush()
			})
		},
	})
	register(&command{
		name: "consult show", summary: "show one consultation and its contributions as a user sees them (JSON)",
		example: "liaison consult show 1 --as jpn-analyst",
		flags:   asFlag,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			id, err := parseID(args, "consultation")
			if err != nil {
				return err
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				p, err := asUser(ctx, s, o)
				if err != nil {
					return err
				}
				cs, err := consultations(s)
				if err != nil {
					return err
				}
				c, err := cs.Consultation(ctx, p, id)
				if err != nil {
					return err
				}
				ks, err := cs.Contributions(ctx, p, id)
				if err != nil {
					return err
				}
				return printJSON(e, map[string]any{"consultation": c, "duration_minutes": c.DurationMinutes(), "contributions": ks})
			})
		},
	})
	for _, st := range []liaison.ConsultationStatus{liaison.ConsultationOpen, liaison.ConsultationCancelled} {
		verb := map[liaison.ConsultationStatus]string{liaison.ConsultationOpen: "open", liaison.ConsultationCancelled: "cancel"}[st]
		register(&command{
			name: "consult " + verb, summary: verb + " a consultation, as an officer of its convenor",
			example: "liaison consult " + verb + " 1 --as natois-officer",
			flags: func(fs *flag.FlagSet, o *options) {
				asFlag(fs, o)
				o.defString(fs, "reason", "", "why (cancel)")
			},
			run: func(ctx context.Context, e *env, o *options, args []string) error {
				id, err := parseID(args, "consultation")
				if err != nil {
					return err
				}
				return withStore(ctx, e, o, func(s liaison.Store) error {
					p, err := asUser(ctx, s, o)
					if err != nil {
						return err
					}
					cs, err := consultations(s)
					if err != nil {
						return err
					}
					c, err := cs.SetConsultationStatus(ctx, p, id, st, o.str("reason"))
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "consultation %d is %s\n", c.ID, c.Status)
					return nil
				})
			},
		})
	}
	register(&command{
		name: "consult slots", summary: "propose meeting slots across the participants' time zones",
		example: "liaison consult slots --participants NATO-IS,USA,JPN,AUS --duration 60 --from 2026-03-02 --to 2026-03-14",
		flags: func(fs *flag.FlagSet, o *options) {
			o.defList(fs, "participants", "organisations and communities (required)")
			o.defInt(fs, "duration", 60, "meeting length in minutes")
			o.defString(fs, "from", "", "start of the range: YYYY-MM-DD or RFC 3339 (required)")
			o.defString(fs, "to", "", "end of the range: YYYY-MM-DD or RFC 3339 (required)")
			o.defString(fs, "work-start", "08:00", "local start of the working day")
			o.defString(fs, "work-end", "18:00", "local end of the working day")
			o.defString(fs, "days", "mon-fri", "working days")
			o.defInt(fs, "limit", 5, "how many proposals")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			req := liaison.SlotRequest{Participants: o.list("participants"), Duration: time.Duration(o.integer("duration")) * time.Minute, Limit: o.integer("limit")}
			var err error
			if req.From, err = parseWhen(o.str("from"), "from"); err != nil {
				return err
			}
			if req.To, err = parseWhen(o.str("to"), "to"); err != nil {
				return err
			}
			if req.Hours.Start, err = consult.ParseClock(o.str("work-start")); err != nil {
				return usagef("%s", liaison.ErrorMessage(err))
			}
			if req.Hours.End, err = consult.ParseClock(o.str("work-end")); err != nil {
				return usagef("%s", liaison.ErrorMessage(err))
			}
			if req.Hours.Days, err = consult.ParseDays(o.str("days")); err != nil {
				return usagef("%s", liaison.ErrorMessage(err))
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				d, err := s.Directory(ctx)
				if err != nil {
					return err
				}
				slots, err := consult.ProposeSlots(req, d)
				if err != nil {
					return err
				}
				for i, sl := range slots {
					fmt.Fprintf(e.stdout, "%d. %s  (%d out of hours, worst %d min)\n", i+1, sl.Start.Format("Mon 2006-01-02 15:04Z"), sl.OutOfHours, sl.WorstMinutesOut)
					for _, l := range sl.Local {
						mark := ""
						if !l.InHours {
							mark = fmt.Sprintf("  ← %d min out of hours", l.MinutesOut)
						}
						fmt.Fprintf(e.stdout, "     %-8s %s %s%s\n", l.Org, l.Weekday, strings.Replace(l.Start, "T", " ", 1), mark)
					}
				}
				return nil
			})
		},
	})
}

// parseWhen reads a date (YYYY-MM-DD, midnight UTC) or an RFC 3339 time.
func parseWhen(s, flagName string) (time.Time, error) {
	if s == "" {
		return time.Time{}, usagef("--%s is required", flagName)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--%s %q is neither YYYY-MM-DD nor an RFC 3339 time", flagName, s)
}
