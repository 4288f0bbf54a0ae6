package audit

import (
	"context"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// NewPeerService wraps a store's federation so that what it serves to a
// peer office and what it receives from one are recorded, as NewStore
// records the rest:
//   - a page or change feed served to a peer is a read, by the principal
//     PeerPrincipal(name), naming every version served;
//   - a page or change feed received from a peer is a write by the same
//     principal, naming every version it carried;
//   - granting, removing and setting up peers are changes (ActionPeer).
//
// Every entry is taken on PathPeer. A peer office is no organisation
// here, so its entries carry none: admins read them, and officers see
// them in who received the objects their organisation originated.
func NewPeerService(next liaison.PeerService, l *Log) liaison.PeerService {
	return &peerStore{next: next, log: l}
}

// PeerPrincipal is the principal a peer office's entries name.
func PeerPrincipal(name string) string { return "peer:" + name }

type peerStore struct {
	next liaison.PeerService
	log  *Log
}

// Every method is written out, none embedded, so that a method added to
// liaison.PeerService fails to compile here until it is audited.
var _ liaison.PeerService = (*peerStore)(nil)

func (s *peerStore) entry(ctx context.Context, peer, action, op string, err error) Entry {
	e := entry(ctx, liaison.Principal{Name: PeerPrincipal(peer)}, action, op, err)
	e.Path = PathPeer
	return e
}

// change records a grant or pull set up or removed, by the request's
// principal or the operator.
func (s *peerStore) change(ctx context.Context, op string, err error, detail string) {
	e := entry(ctx, actor(ctx), ActionPeer, op, err)
	e.Path, e.Detail = PathPeer, detail
	s.log.Record(e)
}

func peerRefs(vs []liaison.PeerVersion) []Ref {
	refs := make([]Ref, len(vs))
	for i, v := range vs {
		refs[i] = Ref{ID: v.ID, Version: stamp(v.Version)}
	}
	return refs
}

func (s *peerStore) AllowPeer(ctx context.Context, name string, serves []string) (string, error) {
	tok, err := s.next.AllowPeer(ctx, name, serves)
	s.change(ctx, "AllowPeer", err, "peer office "+name+" granted, serving "+strings.Join(serves, ", "))
	return tok, err
}

func (s *peerStore) PeerGrants(ctx context.Context) ([]liaison.PeerGrant, error) {
	return s.next.PeerGrants(ctx)
}

func (s *peerStore) RemovePeerGrant(ctx context.Context, name string) error {
	err := s.next.RemovePeerGrant(ctx, name)
	s.change(ctx, "RemovePeerGrant", err, "grant of peer office "+name+" removed")
	return err
}

func (s *peerStore) PeerByToken(ctx context.Context, secret string) (liaison.PeerGrant, error) {
	return s.next.PeerByToken(ctx, secret)
}

func (s *peerStore) PeerCollections(ctx context.Context, peer liaison.PeerGrant) ([]liaison.Collection, error) {
	return s.next.PeerCollections(ctx, peer)
}

// PeerObjects records the versions served to the peer.
func (s *peerStore) PeerObjects(ctx context.Context, peer liaison.PeerGrant, collection string, after time.Time, limit int) (liaison.PeerPage, error) {
	page, err := s.next.PeerObjects(ctx, peer, collection, after, limit)
	if err == nil && len(page.Versions) > 0 {
		e := s.entry(ctx, peer.Name, ActionRead, "PeerObjects", nil)
		e.Collection, e.Refs = collection, peerRefs(page.Versions)
		e.Detail = "served to peer office " + peer.Name
		s.log.Record(e)
	}
	return page, err
}

// PeerChanges records the versions the change feed served the peer, and
// the withdrawals it told of.
func (s *peerStore) PeerChanges(ctx context.Context, peer liaison.PeerGrant, after int64, limit int) (liaison.PeerChanges, error) {
	ch, err := s.next.PeerChanges(ctx, peer, after, limit)
	if err == nil && len(ch.Changes) > 0 {
		e := s.entry(ctx, peer.Name, ActionRead, "PeerChanges", nil)
		withdrawn := 0
		for _, c := range ch.Changes {
			if c.Withdrawn {
				withdrawn++
				continue
			}
			e.Refs = append(e.Refs, Ref{ID: c.Version.ID, Version: stamp(c.Version.Version)})
		}
		e.Detail = "change feed served to peer office " + peer.Name + ": " + strconv.Itoa(len(ch.Changes)-withdrawn) + " versions, " + strconv.Itoa(withdrawn) + " withdrawn"
		s.log.Record(e)
	}
	return ch, err
}

func (s *peerStore) AddPeerPull(ctx context.Context, p liaison.PeerPull) error {
	err := s.next.AddPeerPull(ctx, p)
	cs := make([]string, len(p.Collections))
	for i, c := range p.Collections {
		cs[i] = c.Remote + " into " + c.Local
	}
	s.change(ctx, "AddPeerPull", err, "pull from peer office "+p.Name+" at "+p.URL+": "+strings.Join(cs, ", "))
	return err
}

func (s *peerStore) PeerPulls(ctx context.Context) ([]liaison.PeerPull, error) {
	return s.next.PeerPulls(ctx)
}

func (s *peerStore) RemovePeerPull(ctx context.Context, name string) error {
	err := s.next.RemovePeerPull(ctx, name)
	s.change(ctx, "RemovePeerPull", err, "pull from peer office "+name+" removed")
	return err
}

func receivedDetail(peer, what string, r liaison.PeerReceived) string {
	return what + " received from peer office " + peer + ": " + strconv.Itoa(r.Written) + " written, " +
		strconv.Itoa(r.Present) + " present already, " + strconv.Itoa(len(r.Rejected)) + " refused"
}

// ReceivePeerPage records what a peer's page carried.
func (s *peerStore) ReceivePeerPage(ctx context.Context, peer, remote string, versions []liaison.PeerVersion, after time.Time) (liaison.PeerReceived, error) {
	r, err := s.next.ReceivePeerPage(ctx, peer, remote, versions, after)
	if len(versions) > 0 || err != nil {
		e := s.entry(ctx, peer, ActionWrite, "ReceivePeerPage", err)
		e.Collection, e.Refs = remote, peerRefs(versions)
		e.Detail = receivedDetail(peer, "page of its collection "+remote, r)
		s.log.Record(e)
	}
	return r, err
}

// ApplyPeerChanges records what a peer's change feed carried.
func (s *peerStore) ApplyPeerChanges(ctx context.Context, peer string, changes []liaison.PeerChange, next int64) (liaison.PeerReceived, error) {
	r, err := s.next.ApplyPeerChanges(ctx, peer, changes, next)
	if len(changes) > 0 || err != nil {
		e := s.entry(ctx, peer, ActionWrite, "ApplyPeerChanges", err)
		for _, c := range changes {
			note := ""
			if c.Withdrawn {
				note = "withdrawn"
			}
			e.Refs = append(e.Refs, Ref{ID: c.ID, Version: stamp(c.Modified), Note: note})
		}
		e.Detail = receivedDetail(peer, "change feed", r)
		s.log.Record(e)
	}
	return r, err
}

func (s *peerStore) NotePeerSync(ctx context.Context, peer, errText string) error {
	return s.next.NotePeerSync(ctx, peer, errText)
}

// UnauditedPeers returns the federation ps wraps, when NewPeerService made
// it, else ps: for callers that need the store behind it (its database).
func UnauditedPeers(ps liaison.PeerService) liaison.PeerService {
	if w, ok := ps.(*peerStore); ok {
		return w.next
	}
	return ps
}
