package main

import (
	"context"
	"os"
	"runtime/debug"

	"liaison"
	"liaison/sqlite"
)

// openStore opens the existing store in the data folder. A missing store is
// the caller's mistake: the message says how to make one.
func openStore(ctx context.Context, e *env, o *options) (liaison.Store, error) {
	if !sqlite.Exists(o.data) {
		return nil, usagef("no store at %s: run 'liaison init --data %s' first, or pass --data", o.data, o.data)
	}
	s, err := sqlite.Open(ctx, o.data, sqlite.Options{Logger: e.log})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// withStore runs fn with the opened store and closes it afterwards.
func withStore(ctx context.Context, e *env, o *options, fn func(liaison.Store) error) error {
	s, err := openStore(ctx, e, o)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "dev"
}
