package web

import (
	"context"
	"strings"
	"testing"

	"liaison"
)

// TestImportMISPGalaxyAsReader: a MISP galaxy links to a stored ATT&CK
// object only when the importing user may read it. A technique stored
// REL TO USA is linked in USA's import and not in KOR's, whose report
// keeps the cluster in x_misp_galaxies instead: the import page's lookup
// reads the store as the importer, never wider.
func TestImportMISPGalaxyAsReader(t *testing.T) {
	l := newLibrary(t, 0)
	hidden := "attack-pattern--e2000000-0000-4000-8000-000000000001"
	l.add(t, "usa", l.cyber.ID, []string{`{"type":"attack-pattern","spec_version":"2.1","id":"` + hidden + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Hidden technique","external_references":[{"source_name":"mitre-attack","external_id":"T9871"}],"object_marking_refs":["` + markRelUSA + `"]}`})
	event := func(uuid string) []byte {
		return []byte(`{"Event":{"uuid":"` + uuid + `","info":"Galaxy test","timestamp":"1772443200","published":true,"distribution":"1","Orgc":{"name":"CERT-X"},
			"Galaxy":[{"type":"mitre-attack-pattern","GalaxyCluster":[{"type":"mitre-attack-pattern","value":"Hidden technique - T9871","meta":{"external_id":["T9871"]}}]}],
			"Attribute":[{"uuid":"` + uuid[:8] + `-0000-4000-8000-000000000001","type":"ip-dst","value":"192.0.2.55","to_ids":true,"distribution":"5"}]}}`)
	}
	for _, c := range []struct {
		user, uuid string
		linked     bool
	}{{"usa", "e3000000-0000-4000-8000-000000000001", true}, {"kor", "e4000000-0000-4000-8000-000000000002", false}} {
		b := l.signedIn(t, c.user)
		_, _, form := b.get("/import")
		st, body := b.upload([]uploadField{{"csrf", formCSRF(form, "/import")}, {"collection", l.cyber.ID}, {"format", "misp"},
			{"distribution", "1=NATO,IP4"}, {"sharing_group", ""}, {"bundle", "event.json"}}, event(c.uuid))
		if st != 200 || !strings.Contains(body, "1 events converted") || resultCounts(body)["rejected"] != "0" {
			t.Fatalf("%s: %d\n%s", c.user, st, body)
		}
		// What the import wrote, as its writer reads it.
		page, err := l.store.Objects(context.Background(), l.users[c.user], l.cyber.ID, liaison.ObjectQuery{Types: []string{"relationship", "report"}, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		linked, kept := false, false
		for _, v := range page.Versions {
			if v.Originator != l.users[c.user].Org {
				continue
			}
			raw := string(v.Raw)
			linked = linked || v.Type == "relationship" && strings.Contains(raw, hidden)
			kept = kept || v.Type == "report" && strings.Contains(raw, "x_misp_galaxies") && strings.Contains(raw, "T9871")
		}
		if linked != c.linked || kept == c.linked {
			t.Errorf("%s: linked to the technique %v, cluster kept %v; want linked %v", c.user, linked, kept, c.linked)
		}
	}
}
