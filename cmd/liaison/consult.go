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

// asFlag is the --as flag of the consultation and decision commands,
// which are always read and acted on as somebody.
type asFlag struct{ as string }

func (o *asFlag) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.as, "as", "", "the user to act or read as (required)")
}

// asUser resolves the --as flag to a principal.
func asUser(ctx context.Context, s liaison.Store, name string) (liaison.Principal, error) {
	if name == "" {
		return liaison.Principal{}, usagef("--as USER is required: consultations and decisions are read and acted on as a user")
	}
	return s.User(ctx, name)
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

type consultListCmd struct{ asFlag }

func (o *consultListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := asUser(ctx, s, o.as)
		if err != nil {
			return err
		}
		cs := s
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
}

type consultShowCmd struct{ asFlag }

func (o *consultShowCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	id, err := parseID(args, "consultation")
	if err != nil {
		return err
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := asUser(ctx, s, o.as)
		if err != nil {
			return err
		}
		cs := s
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
}

// consultStatusCmd is consult open and consult cancel: it moves a
// consultation to the status to.
type consultStatusCmd struct {
	to liaison.ConsultationStatus
	asFlag
	reason string
}

func (o *consultStatusCmd) declare(fs *flag.FlagSet) {
	o.asFlag.declare(fs)
	fs.StringVar(&o.reason, "reason", "", "why (cancel)")
}

func (o *consultStatusCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	id, err := parseID(args, "consultation")
	if err != nil {
		return err
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := asUser(ctx, s, o.as)
		if err != nil {
			return err
		}
		cs := s
		c, err := cs.SetConsultationStatus(ctx, p, id, o.to, o.reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "consultation %d is %s\n", c.ID, c.Status)
		return nil
	})
}

type consultSlotsCmd struct {
	participants                 listFlag
	duration, limit              int
	from, to                     string
	workStart, workEnd, workDays string
}

func (o *consultSlotsCmd) declare(fs *flag.FlagSet) {
	fs.Var(&o.participants, "participants", "organisations and communities (required)")
	fs.IntVar(&o.duration, "duration", 60, "meeting length in minutes")
	fs.StringVar(&o.from, "from", "", "start of the range: YYYY-MM-DD or RFC 3339 (required)")
	fs.StringVar(&o.to, "to", "", "end of the range: YYYY-MM-DD or RFC 3339 (required)")
	fs.StringVar(&o.workStart, "work-start", "08:00", "local start of the working day")
	fs.StringVar(&o.workEnd, "work-end", "18:00", "local end of the working day")
	fs.StringVar(&o.workDays, "days", "mon-fri", "working days")
	fs.IntVar(&o.limit, "limit", 5, "how many proposals")
}

func (o *consultSlotsCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	req := liaison.SlotRequest{Participants: o.participants, Duration: time.Duration(o.duration) * time.Minute, Limit: o.limit}
	var err error
	if req.From, err = parseWhen(o.from, "from"); err != nil {
		return err
	}
	if req.To, err = parseWhen(o.to, "to"); err != nil {
		return err
	}
	if req.Hours.Start, err = consult.ParseClock(o.workStart); err != nil {
		return usagef("%s", liaison.ErrorMessage(err))
	}
	if req.Hours.End, err = consult.ParseClock(o.workEnd); err != nil {
		return usagef("%s", liaison.ErrorMessage(err))
	}
	if req.Hours.Days, err = consult.ParseDays(o.workDays); err != nil {
		return usagef("%s", liaison.ErrorMessage(err))
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		d, err := s.Directory(ctx)
		if err != nil {
			return err
		}
		slots, err := consult.ProposeSlots(req, d)
		if err != nil {
			return err
		}
		for i, sl := range slots {
			fmt.Fprintf(e.stdout, "%d. %s  (%d out of hours, burden worst %d, total %d)\n", i+1, sl.Start.Format("Mon 2006-01-02 15:04Z"), sl.OutOfHours, sl.WorstBurden, sl.TotalBurden)
			for _, l := range sl.Local {
				mark := ""
				if !l.InHours {
					mark = fmt.Sprintf("  ← %d min out of hours, burden %d", l.MinutesOut, l.Burden)
					if l.Night {
						mark += ", at night"
					}
					if l.DayOff {
						mark += ", on a day off"
					}
				}
				fmt.Fprintf(e.stdout, "     %-8s %s %s%s\n", l.Org, l.Weekday, strings.Replace(l.Start, "T", " ", 1), mark)
			}
		}
		return nil
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
