package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"liaison"
)

func decisions(s liaison.Store) (liaison.DecisionService, error) {
	ds, ok := s.(liaison.DecisionService)
	if !ok {
		return nil, fmt.Errorf("this store does not keep decisions")
	}
	return ds, nil
}

func init() {
	asFlag := func(fs *flag.FlagSet, o *options) { o.defString(fs, "as", "", "the user to act or read as (required)") }
	register(&command{
		name: "decide list", summary: "list the draft decisions a user can see, settled now",
		example: "liaison decide list --as fra-officer",
		flags:   asFlag,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return withStore(ctx, e, o, func(s liaison.Store) error {
				p, err := asUser(ctx, s, o)
				if err != nil {
					return err
				}
				ds, err := decisions(s)
				if err != nil {
					return err
				}
				ps, err := ds.Proposals(ctx, p)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tPROCEDURE\tPROPOSER\tDEADLINE\tTITLE")
				for _, pr := range ps {
					dl := "-"
					if !pr.Deadline.IsZero() {
						dl = pr.Deadline.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", pr.ID, pr.Status, pr.Procedure, pr.Proposer, dl, pr.Title)
				}
				return tw.Flush()
			})
		},
	})
	register(&command{
		name: "decide show", summary: "show a draft decision with its rounds and its record (JSON)",
		example: "liaison decide show 1 --as fra-officer",
		flags:   asFlag,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			id, err := parseID(args, "proposal")
			if err != nil {
				return err
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				p, err := asUser(ctx, s, o)
				if err != nil {
					return err
				}
				ds, err := decisions(s)
				if err != nil {
					return err
				}
				pr, err := ds.Proposal(ctx, p, id)
				if err != nil {
					return err
				}
				return printJSON(e, pr)
			})
		},
	})
	register(&command{
		name: "decide propose", summary: "table a draft decision of the North Atlantic Council",
		example: `liaison decide propose --as natois-officer --title "Open a NATO liaison office in Tokyo" --text "..." --procedure silence --releasable-to NATO,IP4`,
		flags: func(fs *flag.FlagSet, o *options) {
			asFlag(fs, o)
			o.defString(fs, "title", "", "the title (required)")
			o.defString(fs, "text", "", "the draft decision's text (required)")
			o.defString(fs, "procedure", "silence", "silence or concurrence")
			o.defString(fs, "classification", "", "NATO UNCLASSIFIED, NATO RESTRICTED, …")
			o.defList(fs, "releasable-to", "organisations and communities it is releasable to")
			o.defString(fs, "tlp", "", "TLP level, such as amber")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return withStore(ctx, e, o, func(s liaison.Store) error {
				p, err := asUser(ctx, s, o)
				if err != nil {
					return err
				}
				ds, err := decisions(s)
				if err != nil {
					return err
				}
				pr := liaison.Proposal{Title: o.str("title"), Text: o.str("text"), Procedure: liaison.Procedure(o.str("procedure")),
					Marking: liaison.MarkingSpec{Classification: o.str("classification"), TLP: o.str("tlp")}}
				if o.set["releasable-to"] {
					pr.Marking.ReleasableTo = o.list("releasable-to")
				}
				if err := ds.CreateProposal(ctx, p, &pr); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "proposal %d tabled as a draft; circulate it with: liaison decide act %d circulate --as %s --deadline %s\n",
					pr.ID, pr.ID, p.Name, time.Now().UTC().Add(72*time.Hour).Truncate(time.Hour).Format(time.RFC3339))
				return nil
			})
		},
	})
	register(&command{
		name: "decide act", summary: "act on a draft decision: circulate, break-silence, concur, object, revise, withdraw or comment",
		example: `liaison decide act 1 break-silence --as fra-officer --reason "NATO's scope is the North Atlantic area (Articles 5 and 6)"`,
		flags: func(fs *flag.FlagSet, o *options) {
			asFlag(fs, o)
			o.defString(fs, "reason", "", "why (required to break silence or object)")
			o.defString(fs, "deadline", "", "the round's deadline, RFC 3339 (circulate)")
			o.defString(fs, "title", "", "a new title (revise)")
			o.defString(fs, "text", "", "a new text (revise) or the comment (comment)")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 2 {
				return usagef("takes a proposal id and an action")
			}
			id, err := parseID(args[:1], "proposal")
			if err != nil {
				return err
			}
			act := liaison.ProposalAct{Kind: liaison.DecisionActionKind(args[1]), Reason: o.str("reason"), Title: o.str("title"), Text: o.str("text")}
			if d := o.str("deadline"); d != "" {
				if act.Deadline, err = time.Parse(time.RFC3339, d); err != nil {
					return usagef("--deadline %q is not an RFC 3339 time such as 2026-03-05T12:00:00Z", d)
				}
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				p, err := asUser(ctx, s, o)
				if err != nil {
					return err
				}
				ds, err := decisions(s)
				if err != nil {
					return err
				}
				pr, err := ds.Act(ctx, p, id, act)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "proposal %d is %s", pr.ID, pr.Status)
				if pr.Status == liaison.ProposalCirculating {
					fmt.Fprintf(e.stdout, " until %s", pr.Deadline.Format(time.RFC3339))
				}
				fmt.Fprintln(e.stdout)
				return nil
			})
		},
	})
}
