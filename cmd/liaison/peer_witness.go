package main

import (
	"context"
	"flag"
	"fmt"

	"liaison"
	"liaison/audit"
)

// Witnessing commands (README, "Audit"): this office cosigns the audit
// checkpoints of the peers it pulls from.

// commandWitness is the witness a command's sync cosigns with: the
// witness key in the data folder, made there if missing.
func commandWitness(ps liaison.PeerService, st *storeFlags) (*audit.Witness, error) {
	s, ok := audit.UnauditedPeers(ps).(liaison.Store)
	if !ok {
		return nil, nil
	}
	db, err := dbOf(s)
	if err != nil {
		return nil, nil
	}
	office, err := officeOf(context.Background(), s)
	if err != nil {
		return nil, err
	}
	wk, _, err := audit.EnsureWitnessKey(st.data, audit.WitnessNameFor(office.Code))
	if err != nil {
		return nil, err
	}
	return &audit.Witness{DB: db, Key: wk}, nil
}

// witnessState is what this office knows of the logs it witnesses and of
// the peers that witness its own, by peer name.
func witnessState(ctx context.Context, ps liaison.PeerService) (map[string]audit.Witnessed, map[string]audit.WitnessOf, error) {
	s, ok := audit.UnauditedPeers(ps).(liaison.Store)
	if !ok {
		return nil, nil, nil
	}
	db, err := dbOf(s)
	if err != nil {
		return nil, nil, nil
	}
	ws, err := audit.WitnessedPeers(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	of, err := audit.WitnessesOf(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	a, b := map[string]audit.Witnessed{}, map[string]audit.WitnessOf{}
	for _, w := range ws {
		a[w.Peer] = w
	}
	for _, w := range of {
		b[w.Peer] = w
	}
	return a, b, nil
}

// printWitnessed prints the witness lines of peer status.
func printWitnessed(e *env, w audit.Witnessed) {
	switch {
	case w.Peer == "":
		fmt.Fprintf(e.stdout, "  audit log:    not witnessed (liaison peer witness NAME --audit-key KEY)\n")
		return
	case w.Size == 0:
		fmt.Fprintf(e.stdout, "  audit log:    witnessed, nothing cosigned yet\n")
	default:
		fmt.Fprintf(e.stdout, "  audit log:    cosigned its checkpoint of size %d at %s (last checked %s)\n", w.Size, stampOr(w.Seen, "-"), stampOr(w.Checked, "never"))
	}
	if w.Alarm != "" {
		fmt.Fprintf(e.stdout, "  ALARM:        %s (raised %s; nothing more is cosigned for it)\n", w.Alarm, stampOr(w.AlarmAt, "-"))
	}
	if w.Error != "" {
		fmt.Fprintf(e.stdout, "  witness error: %s\n", oneLine(w.Error, ""))
	}
}

type peerWitnessCmd struct{ key string }

func (o *peerWitnessCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.key, "audit-key", "", "the peer office's public audit key, as 'liaison audit key' prints it there (required)")
}

func (o *peerWitnessCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 || o.key == "" {
		return usagef("want the peer's NAME and --audit-key KEY")
	}
	return withRawStore(ctx, e, st, func(s liaison.Store) error {
		ps, err := peerStore(s)
		if err != nil {
			return err
		}
		pulls, err := ps.PeerPulls(ctx)
		if err != nil {
			return err
		}
		found := false
		for _, p := range pulls {
			found = found || p.Name == args[0]
		}
		if !found {
			return liaison.Errorf(liaison.ENOTFOUND, "this office does not pull from a peer %s: a witness checks the peers it pulls from (liaison peer pull first)", args[0])
		}
		db, err := dbOf(s)
		if err != nil {
			return err
		}
		if err := audit.SetWitnessed(ctx, db, args[0], o.key); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "this office now cosigns the audit checkpoints of %s at each sync\n", args[0])
		return nil
	})
}

type peerCheckpointCmd struct{ noFlags }

func (*peerCheckpointCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("want the peer's NAME")
	}
	return withRawStore(ctx, e, st, func(s liaison.Store) error {
		db, err := dbOf(s)
		if err != nil {
			return err
		}
		w, ok, err := audit.WitnessedPeer(ctx, db, args[0])
		if err != nil {
			return err
		}
		if !ok {
			return liaison.Errorf(liaison.ENOTFOUND, "this office does not witness a peer %s (liaison peer witness)", args[0])
		}
		if w.Size == 0 {
			return liaison.Errorf(liaison.ENOTFOUND, "this office has cosigned no checkpoint of %s yet (it does at the next sync)", args[0])
		}
		_, err = e.stdout.Write(w.Note)
		return err
	})
}
