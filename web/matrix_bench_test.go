package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"liaison"
	"liaison/stix"
)

// BenchmarkMatrixPage serves a matrix of ATT&CK Enterprise's size (14
// tactics, 200 techniques with 450 sub-techniques, 250 intrusion sets
// and campaigns, 8,000 uses relationships, a tenth of them for USA
// alone) over real HTTP, signed in as JPN, and CountUses alone over the
// same store, with the CPU time each takes (the page's includes the
// server's and the client's, in one process):
//
//	go test ./web/ -run '^$' -bench MatrixPage -benchtime 20x
func BenchmarkMatrixPage(b *testing.B) {
	o := newOffice(b)
	ctx := context.Background()
	coll := liaison.Collection{Title: "ATT&CK", Topic: "cyber", Read: []string{"ALL"}, Write: []string{"NATO"}}
	if err := o.store.CreateCollection(ctx, &coll); err != nil {
		b.Fatal(err)
	}
	const when = `"created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z"`
	id := func(typ string, n int) string { return fmt.Sprintf("%s--%08x-3333-4000-8000-%012x", typ, n, n) }
	var objs []string
	var tactics []string
	for i := range 14 {
		tactics = append(tactics, id("x-mitre-tactic", i))
		objs = append(objs, fmt.Sprintf(`{"type":"x-mitre-tactic","spec_version":"2.1","id":%q,%s,"name":"Tactic %d","x_mitre_shortname":"tactic-%d"}`, tactics[i], when, i, i))
	}
	objs = append(objs, fmt.Sprintf(`{"type":"x-mitre-matrix","spec_version":"2.1","id":%q,%s,"name":"Enterprise-sized","tactic_refs":%s}`, id("x-mitre-matrix", 1), when, mustJSONList(tactics)))
	var techs []string
	for i := range 650 {
		ext, sub := fmt.Sprintf("T%04d", 1000+i%200), i >= 200
		if sub {
			ext = fmt.Sprintf("T%04d.%03d", 1000+i%200, i/200)
		}
		t := id("attack-pattern", i)
		techs = append(techs, t)
		objs = append(objs, fmt.Sprintf(`{"type":"attack-pattern","spec_version":"2.1","id":%q,%s,"name":"Technique %s","description":"A technique of the benchmark, with a description of some length as ATT&CK's have, so that reading it costs what reading a real one does.","kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"tactic-%d"},{"kill_chain_name":"mitre-attack","phase_name":"tactic-%d"}],"x_mitre_is_subtechnique":%v,"external_references":[{"source_name":"mitre-attack","external_id":%q,"url":"https://attack.mitre.org/techniques/%s"}]}`,
			t, when, ext, (i%200)%14, (i%200+5)%14, sub, ext, ext))
	}
	var users []string
	for i := range 250 {
		typ := []string{"intrusion-set", "campaign"}[i%2]
		u := id(typ, i)
		users = append(users, u)
		objs = append(objs, fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,%s,"name":"User %d"}`, typ, u, when, i))
	}
	for i := range 8000 {
		marks := ""
		if i%10 == 0 {
			marks = `,"object_marking_refs":["` + liaison.TLPRedID + `"]`
		}
		objs = append(objs, fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,%s,"relationship_type":"uses","source_ref":%q,"target_ref":%q%s}`,
			id("relationship", i), when, users[(i*7)%len(users)], techs[(i*13)%len(techs)], marks))
	}
	for start := 0; start < len(objs); start += 1000 {
		var cands []liaison.Candidate
		for i, raw := range objs[start:min(len(objs), start+1000)] {
			c, err := stix.Decode(i, []byte(raw))
			if err != nil {
				b.Fatal(err)
			}
			cands = append(cands, c)
		}
		res, err := o.store.AddObjects(ctx, o.users["usa"], coll.ID, cands)
		if err != nil || len(res.Rejected) > 0 {
			b.Fatalf("add: %v %v", err, res.Rejected)
		}
	}
	b.Run("page", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			req, _ := http.NewRequest("GET", o.srv.URL+"/matrices/"+id("x-mitre-matrix", 1), nil)
			req.Header.Set("Authorization", "Bearer "+o.tokens["jpn"])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
			b.ReportMetric(float64(n), "bytes/page")
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	b.Run("CountUses", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			n, err := o.store.CountUses(ctx, o.users["jpn"], liaison.UseQuery{Targets: techs, SourceTypes: liaison.UserTypes})
			if err != nil || len(n) == 0 {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}

func mustJSONList(ss []string) string {
	out := "["
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf("%q", s)
	}
	return out + "]"
}
