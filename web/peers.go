package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"liaison"
	"liaison/audit"
)

// The peers page: for admins, each peer office that pulls from here, and
// each this office pulls from with its lag, last sync, last error and the
// objects it sent that were refused (ARCHITECTURE.md, "Federation").

type peersView struct {
	Grants []grantView
	Pulls  []pullView
}

type grantView struct {
	Name, Serves, Created string
	Witness               string // what it cosigned of this office's log; empty: it does not witness it
}

type pullView struct {
	Name, URL, LastOK, LastTry, Lag, LastError string
	Failures                                   int
	ChangeSeq                                  int64
	Collections                                []pullCollView
	Rejects                                    []liaison.PeerReject
	// The witness state of the peer's audit log (package audit).
	Witnessed                     bool
	Cosigned, WitnessError, Alarm string
}

type pullCollView struct {
	Remote, Local, Cursor string
	Received              int64
}

func stampOr(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// peersPage shows the peers to an admin; anyone else is refused.
func (s *Server) peersPage(p *page) error {
	if p.p == nil || !p.p.HasRole(liaison.RoleAdmin) {
		return liaison.Errorf(liaison.EFORBIDDEN, "the peers page is for the office's admins")
	}
	ctx := p.r.Context()
	grants, err := s.peers.PeerGrants(ctx)
	if err != nil {
		return err
	}
	pulls, err := s.peers.PeerPulls(ctx)
	if err != nil {
		return err
	}
	witnessed := map[string]audit.Witnessed{}
	witnesses := map[string]audit.WitnessOf{}
	if s.audit != nil {
		ws, err := audit.WitnessedPeers(ctx, s.audit)
		if err != nil {
			return err
		}
		for _, w := range ws {
			witnessed[w.Peer] = w
		}
		of, err := audit.WitnessesOf(ctx, s.audit)
		if err != nil {
			return err
		}
		for _, w := range of {
			witnesses[w.Peer] = w
		}
	}
	now := s.cfg.Now()
	var v peersView
	for _, g := range grants {
		gv := grantView{Name: g.Name, Serves: strings.Join(g.Serves, ", "), Created: stampOr(g.Created, "-")}
		if w, ok := witnesses[g.Name]; ok {
			gv.Witness = fmt.Sprintf("cosigned size %d at %s", w.LastSize, stampOr(w.Last, "-"))
		}
		v.Grants = append(v.Grants, gv)
	}
	for _, pl := range pulls {
		pv := pullView{Name: pl.Name, URL: pl.URL, LastOK: stampOr(pl.LastOK, "never"), LastTry: stampOr(pl.LastTry, "never"),
			Lag: "-", LastError: pl.LastError, Failures: pl.Failures, ChangeSeq: pl.ChangeSeq, Rejects: pl.Rejects}
		if !pl.LastOK.IsZero() {
			pv.Lag = now.Sub(pl.LastOK).Truncate(time.Second).String()
		}
		cur := map[string]liaison.PeerCursor{}
		for _, c := range pl.Cursors {
			cur[c.Remote] = c
		}
		for _, c := range pl.Collections {
			k := cur[c.Remote]
			pv.Collections = append(pv.Collections, pullCollView{Remote: c.Remote, Local: c.Local, Cursor: stampOr(k.After, "from the start"), Received: k.Received})
		}
		if w, ok := witnessed[pl.Name]; ok {
			pv.Witnessed, pv.WitnessError = true, w.Error
			pv.Cosigned = "nothing yet"
			if w.Size > 0 {
				pv.Cosigned = fmt.Sprintf("its checkpoint of size %d, at %s", w.Size, stampOr(w.Seen, "-"))
			}
			if w.Alarm != "" {
				pv.Alarm = w.Alarm + " (raised " + stampOr(w.AlarmAt, "-") + "; nothing more is cosigned for it)"
			}
		}
		v.Pulls = append(v.Pulls, pv)
	}
	return p.render(http.StatusOK, "peers.html", "Peer offices", "peers", v)
}
