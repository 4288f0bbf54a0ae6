package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"liaison"
)

type collectionAddCmd struct {
	title, description, topic string
	read, write               listFlag
	defaultMarking, id        string
}

func (o *collectionAddCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.title, "title", "", "the title (required)")
	fs.StringVar(&o.description, "description", "", "a description")
	fs.StringVar(&o.topic, "topic", "", "cyber, disinformation, edt, geopolitical or another word (required)")
	fs.Var(&o.read, "read", "organisations and communities that may read (comma-separated, repeatable; required)")
	fs.Var(&o.write, "write", "organisations and communities that may write (comma-separated, repeatable)")
	fs.StringVar(&o.defaultMarking, "default-marking", "", "marking-definition id for objects that arrive unmarked")
	fs.StringVar(&o.id, "id", "", "the collection id (a UUID); default a new random one")
}

func (o *collectionAddCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	c := liaison.Collection{ID: o.id, Title: o.title, Description: o.description, Topic: o.topic,
		Read: o.read, Write: o.write, DefaultMarking: o.defaultMarking}
	if err := c.Validate(); err != nil {
		return err
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if err := s.CreateCollection(ctx, &c); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, c.ID)
		fmt.Fprintf(e.stderr, "added collection %q (%s)\n", c.Title, c.ID)
		return nil
	})
}

type collectionListCmd struct{ noFlags }

func (*collectionListCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	return withStore(ctx, e, st, func(s liaison.Store) error {
		cs, err := s.AllCollections(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTOPIC\tTITLE\tREAD\tWRITE\tDEFAULT MARKING")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Topic, c.Title, strings.Join(c.Read, ","), orDash(strings.Join(c.Write, ",")), orDash(c.DefaultMarking))
		}
		return tw.Flush()
	})
}

type collectionMatchCmd struct{ noFlags }

// run turns matching on ingest on or off for one collection, or, with no
// arguments, lists the collections that have it on.
func (*collectionMatchCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 && len(args) != 2 {
		return usagef("takes a collection id and on or off, or nothing to list the collections matched on ingest")
	}
	var on bool
	if len(args) == 2 {
		switch args[1] {
		case "on":
			on = true
		case "off":
		default:
			return usagef("the second argument is on or off, not %q", args[1])
		}
	}
	return withStore(ctx, e, st, func(s liaison.Store) error {
		if len(args) == 0 {
			ids, err := s.MatchOnIngest(ctx)
			if err != nil {
				return err
			}
			for _, id := range ids {
				fmt.Fprintln(e.stdout, id)
			}
			return nil
		}
		if err := s.SetMatchOnIngest(ctx, args[0], on); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "collection %s: matching on ingest %s\n", args[0], args[1])
		return nil
	})
}
