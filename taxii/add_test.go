package taxii_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/core"
	"liaison/sqlite"
	"liaison/taxii"
)

// TestAddFailureNamesFirstID posts objects that each carry a key twice. The
// failure entry must name the object by the same id as its message: the
// first "id" member, which is the one the hub's strict parser reads.
func TestAddFailureNamesFirstID(t *testing.T) {
	w := newWorld(t, worldOptions{})
	first, second := id("attack-pattern", 1), id("attack-pattern", 2)
	tests := []struct {
		name, obj string
		wantVer   string
	}{
		{"id twice", `{"type":"attack-pattern","spec_version":"2.1","id":"` + first + `","created":"2023-03-01T00:00:00.000Z","modified":"2023-03-01T00:05:00.000Z","name":"x","id":"` + second + `"}`, version(5)},
		{"id twice, adjacent", `{"type":"attack-pattern","id":"` + first + `","id":"` + second + `","spec_version":"2.1","name":"x"}`, ""},
		{"modified twice", `{"type":"attack-pattern","spec_version":"2.1","id":"` + first + `","created":"2023-03-01T00:00:00.000Z","modified":"2023-03-01T00:05:00.000Z","modified":"2023-03-01T00:09:00.000Z","name":"x"}`, version(5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := w.add("fra-analyst", "shared", tc.obj)
			if st.FailureCount != 1 || len(st.Failures) != 1 {
				t.Fatalf("status %+v", st)
			}
			f := st.Failures[0]
			if f.ID != first || !strings.Contains(f.Message, first) || strings.Contains(f.Message, second) {
				t.Errorf("failure entry id %q, message %q: want both to name %s", f.ID, f.Message, first)
			}
			if f.Version != tc.wantVer {
				t.Errorf("failure entry version %q, want %q", f.Version, tc.wantVer)
			}
		})
	}
}

// writeAfter is the world's store, except that once a call's objects are
// written it starts another write that holds the single writer until
// release is closed, as another client's objects would.
type writeAfter struct {
	*sqlite.Store
	release chan struct{}
	held    sync.WaitGroup
}

func (s *writeAfter) hold() {
	started := make(chan struct{})
	s.held.Add(1)
	go func() {
		defer s.held.Done()
		_ = s.InWrite(context.Background(), "other", func(*core.Write) error {
			close(started)
			<-s.release
			return nil
		})
	}()
	<-started
}

func (s *writeAfter) AddObjects(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate) (liaison.WriteResult, error) {
	res, err := s.Store.AddObjects(ctx, writer, collection, objs)
	s.hold()
	return res, err
}

func (s *writeAfter) AddObjectsWithStatus(ctx context.Context, writer liaison.Principal, collection string, objs []liaison.Candidate, status func(liaison.WriteResult) liaison.Status) (liaison.WriteResult, error) {
	res, err := s.Store.AddObjectsWithStatus(ctx, writer, collection, objs, status)
	s.hold()
	return res, err
}

// TestAddAnswersOnceItsObjectsCommit: an add request's status commits with
// its objects, so the answer does not wait for a write that took the
// writer after them (another request's objects). Saved in a transaction
// of its own, the status queued behind that write, and the client with
// it: on 2 cores one of them then idled while the writer wrote.
func TestAddAnswersOnceItsObjectsCommit(t *testing.T) {
	wa := &writeAfter{release: make(chan struct{})}
	w := newWorld(t, worldOptions{wrap: func(s *sqlite.Store) liaison.Store { wa.Store = s; return wa }})
	defer wa.held.Wait()
	answered := make(chan response, 1)
	go func() {
		answered <- w.request("POST", w.objectsURL("shared"), "fra-analyst", envelope(sdo(1, 1), sdo(2, 1)))
	}()
	var resp response
	select {
	case resp = <-answered:
		close(wa.release)
	case <-time.After(10 * time.Second):
		close(wa.release)
		<-answered
		t.Fatal("the add was answered only once a later write let go of the writer")
	}
	var st taxii.Status
	resp.json(t, &st)
	if resp.Status != http.StatusAccepted || st.SuccessCount != 2 {
		t.Fatalf("add: %d %s", resp.Status, resp.Body)
	}
	// The status was stored with the objects.
	got, err := w.store.Status(t.Context(), w.users["fra-analyst"].Principal, st.ID)
	if err != nil || len(got.Successes) != 2 || got.Successes[0].ID != id("attack-pattern", 1) {
		t.Errorf("stored status %+v, %v", got, err)
	}
}
