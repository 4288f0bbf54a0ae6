package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"liaison"
)

// HubLinks is how many relationships the benchmark adds to one technique
// (the hub) so that its graph has more than 300.
const HubLinks = 320

// Pages are the figures of the pages people use, as server time seen
// from a client on the same machine: the list of a collection (50 rows,
// at a random point of it), an object's page with who may read it and
// why, and the graph of the hub, for the wide and the narrow reader.
type Pages struct {
	ListWide     Latency `json:"list_page_wide"`
	ListNarrow   Latency `json:"list_page_narrow"`
	ObjectWide   Latency `json:"object_page_wide"`
	ObjectNarrow Latency `json:"object_page_narrow"`
	GraphWide    Latency `json:"graph_wide"`
	GraphNarrow  Latency `json:"graph_narrow"`
	// GraphLinks is how many relationships name the hub.
	GraphLinks int `json:"graph_links"`
}

// addHub posts, once, a technique and HubLinks relationships from it to
// objects already stored (the sample of ids), so the graph page has a
// node with more than 300 links. They are counted among the stored
// objects.
func (r *run) addHub(ctx context.Context) error {
	if r.hub != "" {
		return nil
	}
	uuid := func() string {
		var b [16]byte
		for i := range b {
			b[i] = byte(r.rng.IntN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	hub := "attack-pattern--" + uuid()
	objs := []string{fmt.Sprintf(`{"type":"attack-pattern","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"Phishing (benchmark hub)","object_marking_refs":["%s"]}`,
		hub, now, now, liaison.TLPGreenID)}
	kinds := []string{"uses", "related-to", "indicates", "mitigates"}
	var ends []string
	for _, id := range r.ids {
		if !strings.HasPrefix(id, "relationship--") && !strings.HasPrefix(id, "sighting--") {
			ends = append(ends, id)
		}
	}
	if len(ends) == 0 {
		return fmt.Errorf("bench: the graph's hub: no object among the sampled ids to link to")
	}
	for i := 0; i < HubLinks; i++ {
		other := ends[i%len(ends)]
		objs = append(objs, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":"%s","modified":"%s","relationship_type":"%s","source_ref":"%s","target_ref":"%s"}`,
			uuid(), now, now, kinds[i%len(kinds)], other, hub))
	}
	body := []byte(`{"objects":[` + strings.Join(objs, ",") + `]}`)
	if err := r.cl.post(ctx, r.world.WriterToken, body, len(objs)); err != nil {
		return fmt.Errorf("bench: the graph's hub: %w", err)
	}
	r.stored += len(objs)
	r.mu.Lock()
	r.timeline = append(r.timeline, mark{r.stored, time.Now()})
	r.mu.Unlock()
	r.hub = hub
	return nil
}

// measurePages measures the pages, for both readers.
func (r *run) measurePages(ctx context.Context, res *SizeResult) error {
	if err := r.addHub(ctx); err != nil {
		return err
	}
	p := &res.Pages
	p.GraphLinks = HubLinks
	list := r.base + "/collections/" + r.world.Collection + "/objects"
	for _, rd := range []struct {
		token        string
		list, object *Latency
		graph        *Latency
	}{
		{r.world.WriterToken, &p.ListWide, &p.ObjectWide, &p.GraphWide},
		{r.world.NarrowToken, &p.ListNarrow, &p.ObjectNarrow, &p.GraphNarrow},
	} {
		var ds []time.Duration
		for i := 0; i < r.cfg.Samples; i++ {
			resp, err := r.cl.get(ctx, list+"?added_after="+r.listAfter(), rd.token)
			if err != nil {
				return fmt.Errorf("bench: list page: %w", err)
			}
			ds = append(ds, resp.elapsed)
		}
		*rd.list = latencyOf(ds)
		// Object pages of objects this reader may read: the narrow
		// reader's misses (a 404, as for a missing object) are not timed.
		ds = ds[:0]
		for i := 0; i < 4*r.cfg.Samples && len(ds) < r.cfg.Samples; i++ {
			id := r.ids[r.rng.IntN(len(r.ids))]
			resp, err := r.cl.do(ctx, http.MethodGet, list+"/"+id, rd.token, nil)
			if err != nil {
				return fmt.Errorf("bench: object page: %w", err)
			}
			switch resp.status {
			case http.StatusOK:
				if !strings.Contains(string(resp.body), explained) {
					return fmt.Errorf("bench: object page of %s has no audience explanation", id)
				}
				ds = append(ds, resp.elapsed)
			case http.StatusNotFound:
			default:
				return fmt.Errorf("bench: object page of %s: status %d: %s", id, resp.status, clip(resp.body))
			}
		}
		*rd.object = latencyOf(ds)
		ds = ds[:0]
		for i := 0; i < max(5, r.cfg.Samples/5); i++ {
			resp, err := r.cl.get(ctx, r.base+"/objects/"+r.hub+"/graph", rd.token)
			if err != nil {
				return fmt.Errorf("bench: graph page: %w", err)
			}
			ds = append(ds, resp.elapsed)
		}
		*rd.graph = latencyOf(ds)
	}
	r.cfg.Log.Info("pages measured", "objects", r.stored,
		"list_wide_p50_ms", p.ListWide.P50Ms, "list_narrow_p50_ms", p.ListNarrow.P50Ms,
		"object_wide_p50_ms", p.ObjectWide.P50Ms, "graph_wide_p50_ms", p.GraphWide.P50Ms)
	return nil
}
