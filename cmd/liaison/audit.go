package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"liaison"
	"liaison/audit"
	"liaison/core"
	"liaison/federation"
)

// failure is a command's finding that something is wrong (audit verify
// found a problem): it is printed as it is, and the command exits 1.
type failure struct{ msg string }

func (f failure) Error() string { return f.msg }

// auditing is the audit log of a serving office: the store wrapped so
// that every call is recorded, the appender, and the store's
// transactions for the checkpoint endpoint.
type auditing struct {
	store liaison.Store
	log   *audit.Log
	db    core.DB
	key   *audit.Key        // signs this office's checkpoints
	wkey  *audit.WitnessKey // cosigns the checkpoints of the peers it pulls from
}

// storeDB is a store that hands out its transactions: both stores do.
type storeDB interface{ DB() core.DB }

// dbOf is the store's transactions, for the audit.
func dbOf(s liaison.Store) (core.DB, error) {
	d, ok := s.(storeDB)
	if !ok {
		return nil, fmt.Errorf("the store %T keeps no audit log", s)
	}
	return d.DB(), nil
}

// startAudit starts the audit of a serving office: it loads the signing
// key from keyDir, making one if the store predates the audit.
func startAudit(e *env, s liaison.Store, keyDir string, office liaison.Organisation) (*auditing, error) {
	db, err := dbOf(s)
	if err != nil {
		return nil, err
	}
	k, created, err := audit.EnsureKey(keyDir, audit.OriginFor(office.Code))
	if err != nil {
		return nil, err
	}
	if created {
		e.log.Warn("made a new audit signing key: the store had none", "file", keyDir+"/"+audit.KeyFile, "key", k.VerifierKey)
	}
	wk, created, err := audit.EnsureWitnessKey(keyDir, audit.WitnessNameFor(office.Code))
	if err != nil {
		return nil, err
	}
	if created {
		e.log.Info("made the witness key this office cosigns its peers' audit checkpoints with", "file", keyDir+"/"+audit.WitnessKeyFile, "key", wk.VerifierKey)
	}
	l := audit.New(db, audit.Options{Key: k, Logger: e.log})
	return &auditing{store: audit.NewStore(s, l), log: l, db: db, key: k, wkey: wk}, nil
}

// peerLog is the audit log as the peer endpoint serves it to witnesses.
func (a *auditing) peerLog() federation.AuditLog {
	return audit.PeerLog{DB: a.db, Key: a.key}
}

// witness cosigns the checkpoints of the peers this office pulls from.
func (a *auditing) witness() *audit.Witness {
	return &audit.Witness{DB: a.db, Key: a.wkey}
}

// routes adds the checkpoint endpoint, for admins (audit.CheckpointHandler), and
// marks each request's path for the audit.
func (a *auditing) routes(mux *http.ServeMux, authed func(http.Handler) http.Handler, log interface{ Error(string, ...any) }) {
	mux.Handle("GET /audit/checkpoint", authed(audit.CheckpointHandler(a.db, log)))
}

// withAudit runs an operator command with s audited: its entries are
// taken on the path "command", by the operator (or the --as user whose
// reads it makes), and appended when the command ends, with a checkpoint
// signed when the data folder holds the key.
func withAudit(e *env, st *storeFlags, s liaison.Store, fn func(liaison.Store) error) error {
	return withAuditLog(e, st, s, func(l *audit.Log) error { return fn(audit.NewStore(s, l)) })
}

// withAuditLog runs an operator command with the audit log of s's
// store, as withAudit does, for the services that wrap it themselves.
func withAuditLog(e *env, st *storeFlags, s liaison.Store, fn func(*audit.Log) error) error {
	db, err := dbOf(s)
	if err != nil {
		return err
	}
	k, err := audit.LoadKey(st.data)
	if err != nil && !errors.Is(err, audit.ErrNoKey) {
		return err
	}
	l := audit.New(db, audit.Options{Key: k, Logger: e.log})
	ferr := fn(l)
	if err := l.Close(); err != nil {
		e.log.Error("audit: the command's entries could not all be appended", "err", err)
		if ferr == nil {
			ferr = err
		}
	}
	return ferr
}

// auditOpen opens the store of an audit command and its transactions.
func auditOpen(ctx context.Context, e *env, st *storeFlags, fn func(db core.DB) error) error {
	return withRawStore(ctx, e, st, func(s liaison.Store) error {
		db, err := dbOf(s)
		if err != nil {
			return err
		}
		return fn(db)
	})
}

// auditVerifier is the verifier of --key, else the one in the data
// folder's key file.
func auditVerifier(st *storeFlags, vkey string) (note.Verifier, error) {
	if vkey != "" {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, usagef("--key %q is not a signed-note verifier key (liaison audit key prints one): %v", vkey, err)
		}
		return v, nil
	}
	k, err := audit.LoadKey(st.data)
	if errors.Is(err, audit.ErrNoKey) {
		return nil, usagef("no audit key in %s: pass the office's public key with --key (liaison audit key prints it where the key is)", st.data)
	}
	if err != nil {
		return nil, err
	}
	return k.Verifier, nil
}

type auditKeyCmd struct{ witness bool }

func (o *auditKeyCmd) declare(fs *flag.FlagSet) {
	fs.BoolVar(&o.witness, "witness", false, "print instead the public key this office cosigns its peers' checkpoints with (a C2SP cosignature key)")
}

func (o *auditKeyCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments")
	}
	if o.witness {
		wk, err := audit.LoadWitnessKey(st.data)
		if errors.Is(err, audit.ErrNoKey) {
			return usagef("no witness key in %s: 'liaison serve' and 'liaison peer sync' make one there", st.data)
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, wk.VerifierKey)
		return nil
	}
	k, err := audit.LoadKey(st.data)
	if errors.Is(err, audit.ErrNoKey) {
		return usagef("no audit key in %s: 'liaison init' and 'liaison serve' make one there", st.data)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, k.VerifierKey)
	return nil
}

type auditVerifyCmd struct {
	key       string
	witnessed listFlag
}

func (o *auditVerifyCmd) declare(fs *flag.FlagSet) {
	fs.StringVar(&o.key, "key", "", "the office's public key (as 'liaison audit key' prints it); default: the key file in --data")
	fs.Var(&o.witnessed, "witnessed", "a file holding a checkpoint of this office that a peer cosigned (as 'liaison peer checkpoint' prints it at the peer); the entries as stored must still make it; repeatable, comma-separated")
}

func (o *auditVerifyCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	v, err := auditVerifier(st, o.key)
	if err != nil {
		return err
	}
	var witnessed [][]byte
	for _, f := range o.witnessed {
		b, err := os.ReadFile(f)
		if err != nil {
			return usagef("--witnessed: %v", err)
		}
		witnessed = append(witnessed, b)
	}
	return auditOpen(ctx, e, st, func(db core.DB) error {
		rep, err := audit.Verify(ctx, db, v, witnessed...)
		if err != nil {
			return err
		}
		for _, p := range rep.Problems {
			fmt.Fprintln(e.stdout, "FAIL", p.Message)
		}
		latest := "none"
		if rep.Latest != nil {
			latest = fmt.Sprintf("size %d signed %s", rep.Latest.Size, rep.Latest.Signed.Format(time.RFC3339))
		}
		fmt.Fprintf(e.stdout, "%d entries, %d checkpoints (newest: %s), %d entries not yet under a checkpoint\n", rep.Entries, rep.Checkpoints, latest, rep.Unsigned)
		if !rep.OK() {
			first := rep.Problems[0]
			where := fmt.Sprintf("entry %d", first.Entry)
			switch {
			case first.Entry < 0 && first.Checkpoint < 0:
				where = "a witnessed checkpoint"
			case first.Entry < 0:
				where = fmt.Sprintf("the checkpoint of size %d", first.Checkpoint)
			}
			return failure{fmt.Sprintf("the audit log fails verification (%d problems); the first is at %s", len(rep.Problems), where)}
		}
		fmt.Fprintln(e.stdout, "OK: every entry is in the tree and every checkpoint verifies and is consistent with the next")
		return nil
	})
}

// auditFilterFlags select entries.
type auditFilterFlags struct {
	principal, org, object, action, since string
	limit                                 int
}

func (f *auditFilterFlags) declare(fs *flag.FlagSet) {
	fs.StringVar(&f.principal, "principal", "", "only entries of this principal (user name)")
	fs.StringVar(&f.org, "org", "", "only entries of principals of this organisation")
	fs.StringVar(&f.object, "object", "", "only entries naming this object id (or consultation/N, proposal/N)")
	fs.StringVar(&f.action, "action", "", "only this action: read, write, reject, delete, directory, recompute, user, collection, token-create, token-revoke, sign-in, sign-in-failed, consultation, decision")
	fs.StringVar(&f.since, "since", "", "only entries at or after this date (YYYY-MM-DD) or RFC 3339 time")
	fs.IntVar(&f.limit, "limit", 0, "at most this many entries (0: all)")
}

func (f *auditFilterFlags) filter() (audit.Filter, error) {
	since, err := parseDate("--since", f.since)
	if err != nil {
		return audit.Filter{}, err
	}
	if f.limit < 0 {
		return audit.Filter{}, usagef("--limit %d is negative", f.limit)
	}
	return audit.Filter{Principal: f.principal, Org: f.org, Object: f.object, Action: f.action, Since: since, After: -1, Limit: f.limit, Resolve: true}, nil
}

type auditLogCmd struct{ auditFilterFlags }

func (o *auditLogCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	f, err := o.filter()
	if err != nil {
		return err
	}
	return auditOpen(ctx, e, st, func(db core.DB) error {
		return audit.Entries(ctx, db, f, func(en audit.Entry) error {
			_, err := fmt.Fprintln(e.stdout, formatEntry(en))
			return err
		})
	})
}

// formatEntry is one line of audit log: index, time, who, what, where.
func formatEntry(en audit.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s %s", en.Index, en.Time.Format(time.RFC3339), en.Principal)
	if en.Org != "" {
		b.WriteString(" (" + en.Org + ")")
	}
	fmt.Fprintf(&b, " %s %s via %s", en.Action, en.Op, en.Path)
	if en.Route != "" {
		b.WriteString(" [" + en.Route + "]")
	}
	if en.Outcome != audit.OutcomeOK {
		b.WriteString(" refused: " + en.Outcome)
	}
	if en.Collection != "" {
		b.WriteString(" collection " + en.Collection)
	}
	if len(en.Refs) > 0 {
		fmt.Fprintf(&b, " %d refs (first %s", len(en.Refs), en.Refs[0].ID)
		if en.Refs[0].Version != "" {
			b.WriteString(" " + en.Refs[0].Version)
		}
		b.WriteString(")")
	}
	if n := en.Count(); n > 0 && len(en.Refs) == 0 {
		fmt.Fprintf(&b, " %d versions served", n)
	}
	if en.Detail != "" {
		b.WriteString(": " + en.Detail)
	}
	return b.String()
}

type auditExportCmd struct {
	auditFilterFlags
	format string
}

func (o *auditExportCmd) declare(fs *flag.FlagSet) {
	o.auditFilterFlags.declare(fs)
	fs.StringVar(&o.format, "format", "jsonl", "the output format: jsonl (one JSON entry a line, with its index)")
}

func (o *auditExportCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 0 {
		return usagef("takes no arguments, only flags")
	}
	if o.format != "jsonl" {
		return usagef("--format %q is unknown: want jsonl", o.format)
	}
	f, err := o.filter()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return auditOpen(ctx, e, st, func(db core.DB) error {
		return audit.Entries(ctx, db, f, func(en audit.Entry) error {
			return enc.Encode(struct {
				Index int64 `json:"index"`
				audit.Entry
			}{en.Index, en})
		})
	})
}

type auditWhoCmd struct{ noFlags }

func (o *auditWhoCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("takes one object id")
	}
	id := args[0]
	return auditOpen(ctx, e, st, func(db core.DB) error {
		n := 0
		err := audit.Entries(ctx, db, audit.Filter{Object: id, Action: audit.ActionRead, After: -1}, func(en audit.Entry) error {
			var versions []string
			for _, r := range en.Refs {
				if r.ID == id {
					versions = append(versions, r.Version)
				}
			}
			n++
			_, err := fmt.Fprintf(e.stdout, "%s %s (%s) via %s %s: %s [entry %d]\n", en.Time.Format(time.RFC3339), en.Principal, en.Org, en.Path, en.Op, strings.Join(versions, ", "), en.Index)
			return err
		})
		if err == nil && n == 0 {
			fmt.Fprintf(e.stderr, "nobody has received %s\n", id)
		}
		return err
	})
}

type auditProveCmd struct{ checkpoint int64 }

func (o *auditProveCmd) declare(fs *flag.FlagSet) {
	fs.Int64Var(&o.checkpoint, "checkpoint", 0, "the tree size of the checkpoint to prove against (0: the newest)")
}

func (o *auditProveCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 1 {
		return usagef("takes one entry index")
	}
	i, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || i < 0 {
		return usagef("entry %q is not an entry index (a count from 0)", args[0])
	}
	return auditOpen(ctx, e, st, func(db core.DB) error {
		p, err := audit.ProveEntry(ctx, db, i, o.checkpoint)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(p.Proof, p.Checkpoint.Size, p.Checkpoint.Root, p.Entry, p.LeafHash); err != nil {
			return failure{fmt.Sprintf("the stored hashes do not prove entry %d in the checkpoint of size %d: %v (run liaison audit verify)", i, p.Checkpoint.Size, err)}
		}
		fmt.Fprintf(e.stdout, "entry %d\n%s\nleaf hash %s\nproof (%d hashes, RFC 6962 audit path, leaf to root):\n", p.Entry, p.Data, base64.StdEncoding.EncodeToString(p.LeafHash[:]), len(p.Proof))
		for _, h := range p.Proof {
			fmt.Fprintln(e.stdout, base64.StdEncoding.EncodeToString(h[:]))
		}
		fmt.Fprintf(e.stdout, "checkpoint:\n%s", p.Checkpoint.Note)
		return nil
	})
}

type auditConsistencyCmd struct{ noFlags }

func (o *auditConsistencyCmd) run(ctx context.Context, e *env, st *storeFlags, args []string) error {
	if len(args) != 2 {
		return usagef("takes two checkpoint sizes, OLD and NEW")
	}
	var sizes [2]int64
	for k, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			return usagef("checkpoint size %q is not a positive tree size", a)
		}
		sizes[k] = n
	}
	return auditOpen(ctx, e, st, func(db core.DB) error {
		c, err := audit.ProveConsistency(ctx, db, sizes[0], sizes[1])
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(c.Proof, c.New.Size, c.New.Root, c.Old.Size, c.Old.Root); err != nil {
			return failure{fmt.Sprintf("the stored hashes do not prove size %d consistent with %d: %v (run liaison audit verify)", c.New.Size, c.Old.Size, err)}
		}
		fmt.Fprintf(e.stdout, "old checkpoint:\n%s\nnew checkpoint:\n%s\nproof (%d hashes, RFC 6962 consistency proof):\n", c.Old.Note, c.New.Note, len(c.Proof))
		for _, h := range c.Proof {
			fmt.Fprintln(e.stdout, base64.StdEncoding.EncodeToString(h[:]))
		}
		return nil
	})
}
