package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"liaison"
)

func init() {
	register(&command{
		name: "collection add", summary: "add a collection: a channel with a topic, read and write lists and a default marking",
		example: `liaison collection add --title "Cyber threats" --topic cyber --read NATO,IP4 --write NATO,JPN --default-marking ` + liaison.TLPAmberID,
		flags: func(fs *flag.FlagSet, o *options) {
			o.defString(fs, "title", "", "the title (required)")
			o.defString(fs, "description", "", "a description")
			o.defString(fs, "topic", "", "cyber, disinformation, edt, geopolitical or another word (required)")
			o.defList(fs, "read", "organisations and communities that may read (comma-separated, repeatable; required)")
			o.defList(fs, "write", "organisations and communities that may write (comma-separated, repeatable)")
			o.defString(fs, "default-marking", "", "marking-definition id for objects that arrive unmarked")
			o.defString(fs, "id", "", "the collection id (a UUID); default a new random one")
		},
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			if len(args) != 0 {
				return usagef("takes no arguments, only flags")
			}
			c := liaison.Collection{ID: o.str("id"), Title: o.str("title"), Description: o.str("description"), Topic: o.str("topic"),
				Read: o.list("read"), Write: o.list("write"), DefaultMarking: o.str("default-marking")}
			if err := c.Validate(); err != nil {
				return err
			}
			return withStore(ctx, e, o, func(s liaison.Store) error {
				if err := s.CreateCollection(ctx, &c); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, c.ID)
				fmt.Fprintf(e.stderr, "added collection %q (%s)\n", c.Title, c.ID)
				return nil
			})
		},
	})
	register(&command{
		name: "collection list", summary: "list collections with their read and write lists",
		example: `liaison collection list`,
		run: func(ctx context.Context, e *env, o *options, args []string) error {
			return withStore(ctx, e, o, func(s liaison.Store) error {
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
		},
	})
}
