package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"liaison"
)

type decideListCmd struct{ asFlag }

func (o *decideListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := asUser(ctx, s, o.as)
		if err != nil {
			return err
		}
		ds := s
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
}

type decideShowCmd struct{ asFlag }

func (o *decideShowCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	id, err := parseID(args, "proposal")
	if err != nil {
		return err
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := asUser(ctx, s, o.as)
		if err != nil {
			return err
		}
		ds := s
		pr, err := ds.Proposal(ctx, p, id)
		if err != nil {
			return err
		}
		return printJSON(e, pr)
	})
}

type decideProposeCmd struct {
	asFlag
	title, text, procedure, classification, tlp string
	releasableTo                                listFlag
}

func (o *decideProposeCmd) declare(fs *flag.FlagSet) {
	o.asFlag.declare(fs)
	fs.StringVar(&o.title, "title", "", "the title (required)")
	fs.StringVar(&o.text, "text", "", "the draft decision's text (required)")
	fs.StringVar(&o.procedure, "procedure", "silence", "silence or concurrence")
	fs.StringVar(&o.classification, "classification", "", "NATO UNCLASSIFIED, NATO RESTRICTED, …")
	fs.Var(&o.releasableTo, "releasable-to", "organisations and communities it is releasable to")
	fs.StringVar(&o.tlp, "tlp", "", "TLP level, such as amber")
}

func (o *decideProposeCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := asUser(ctx, s, o.as)
		if err != nil {
			return err
		}
		ds := s
		// releasableTo is nil unless --releasable-to names somebody.
		pr := liaison.Proposal{Title: o.title, Text: o.text, Procedure: liaison.Procedure(o.procedure),
			Marking: liaison.MarkingSpec{Classification: o.classification, TLP: o.tlp, ReleasableTo: o.releasableTo}}
		if err := ds.CreateProposal(ctx, p, &pr); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "proposal %d tabled as a draft; circulate it with: liaison decide act %d circulate --as %s --deadline %s\n",
			pr.ID, pr.ID, p.Name, time.Now().UTC().Add(72*time.Hour).Truncate(time.Hour).Format(time.RFC3339))
		return nil
	})
}

type decideActCmd struct {
	asFlag
	reason, deadline, title, text string
}

func (o *decideActCmd) declare(fs *flag.FlagSet) {
	o.asFlag.declare(fs)
	fs.StringVar(&o.reason, "reason", "", "why (required to break silence or object)")
	fs.StringVar(&o.deadline, "deadline", "", "the round's deadline, RFC 3339 (circulate)")
	fs.StringVar(&o.title, "title", "", "a new title (revise)")
	fs.StringVar(&o.text, "text", "", "a new text (revise) or the comment (comment)")
}

func (o *decideActCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 2 {
		return usagef("takes a proposal id and an action")
	}
	id, err := parseID(args[:1], "proposal")
	if err != nil {
		return err
	}
	act := liaison.ProposalAct{Kind: liaison.DecisionActionKind(args[1]), Reason: o.reason, Title: o.title, Text: o.text}
	if d := o.deadline; d != "" {
		if act.Deadline, err = time.Parse(time.RFC3339, d); err != nil {
			return usagef("--deadline %q is not an RFC 3339 time such as 2026-03-05T12:00:00Z", d)
		}
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		p, err := asUser(ctx, s, o.as)
		if err != nil {
			return err
		}
		ds := s
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
}
