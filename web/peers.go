package web

import (
	"net/http"
	"strings"
	"time"

	"liaison"
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
}

type pullView struct {
	Name, URL, LastOK, LastTry, Lag, LastError string
	Failures                                   int
	ChangeSeq                                  int64
	Collections                                []pullCollView
	Rejects                                    []liaison.PeerReject
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
	now := s.cfg.Now()
	var v peersView
	for _, g := range grants {
		v.Grants = append(v.Grants, grantView{Name: g.Name, Serves: strings.Join(g.Serves, ", "), Created: stampOr(g.Created, "-")})
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
		v.Pulls = append(v.Pulls, pv)
	}
	return p.render(http.StatusOK, "peers.html", "Peer offices", "peers", v)
}
