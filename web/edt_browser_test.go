package web

import (
	"fmt"
	"testing"
	"time"
)

// TestBrowserEDT follows the EDT link to the quantum area and finds the
// object labelled edt-quantum there, with its marking in the banner.
func TestBrowserEDT(t *testing.T) {
	start := time.Now()
	l, base := browserOffice(t)
	id := "report--e1000000-0000-4000-8000-000000000001"
	l.add(t, "usa", l.cyber.ID, []string{fmt.Sprintf(`{"type":"report","spec_version":"2.1","id":%q,"created":"2025-02-10T00:00:00.000Z","modified":"2025-02-10T00:00:00.000Z","name":"Quantum-safe cryptography: migration of alliance networks","labels":["edt-quantum"],"published":"2025-02-10T00:00:00Z","object_refs":[%q],"object_marking_refs":[%q]}`,
		id, l.indB, markRestrictedJPN)})
	b := newTab(t, base)
	b.signIn("jpn", "jpn-password")
	b.click(`nav a[href="/edt"]`)
	if h := b.text("h1"); h != "Emerging and disruptive technologies" {
		t.Fatalf("heading %q", h)
	}
	b.shot("edt", 1200)
	b.click(`a[href="/edt/quantum"]`)
	if h := b.text("h1"); h != "Quantum" {
		t.Fatalf("heading %q", h)
	}
	if n := eval[int](b, `document.querySelectorAll('li.hit[data-version^="`+id+`@"]').length`); n != 1 {
		t.Errorf("the labelled report is listed %d times", n)
	}
	if banner := b.text(".banner"); banner != "NATO RESTRICTED · REL TO JPN, NATO" && banner != "NATO RESTRICTED · REL TO NATO, JPN" {
		t.Errorf("the banner says %q", banner)
	}
	b.checkPolicy("the EDT area")
	b.fits(390, "the EDT area")
	b.shot("edt-area", 1200)
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}
