package web

import (
	"fmt"
	"net/http"
	"strings"

	"liaison"
)

// markingsView is what the markings page explains: every level, and the
// communities a releasable-to list may name, with their members.
type markingsView struct {
	TLP             []levelView
	Classifications []levelView
	Communities     []communityView
}

type levelView struct {
	Slug, Name, Class, Means string
}

// markingsHelp explains what each marking means and whom it lets read:
// where every badge links.
func (s *Server) markingsHelp(p *page) error {
	mv := markingsView{
		TLP: []levelView{
			{"tlp-clear", "TLP:CLEAR", "tlp-clear", "No limit on disclosure. On this hub it does not narrow who may read."},
			{"tlp-green", "TLP:GREEN", "tlp-green", "The recipient's community, not the public. It does not narrow who may read on this hub."},
			{"tlp-amber", "TLP:AMBER", "tlp-amber", "The recipient organisation and its clients, on a need to know. It governs what recipients do afterwards; it does not narrow who may read here."},
			{"tlp-amber-strict", "TLP:AMBER+STRICT", "tlp-amber-strict", "The recipient organisation only. It governs what recipients do afterwards; it does not narrow who may read here."},
			{"tlp-red", "TLP:RED", "tlp-red", "Named recipients only. Without a releasable-to list, only the originating organisation may read it."},
		},
	}
	for c := liaison.NATOUnclassified; c <= liaison.CosmicTopSecret; c++ {
		means := "Without a releasable-to list, only allies and NATO bodies may read it."
		if c > liaison.NATOUnclassified {
			means += " A partner reads it only under a security agreement in force that covers " + c.String() + "."
		}
		mv.Classifications = append(mv.Classifications, levelView{classSlug(c), c.String(), "class-" + classSlug(c), means})
	}
	if p.p == nil {
		// Who is in which community is for the office's readers.
		return p.render(http.StatusOK, "markings.html", "Markings and who they let read", "markings", mv)
	}
	dir, err := s.store.Directory(p.r.Context())
	if err != nil {
		return fmt.Errorf("web: markings page: read the directory: %w", err)
	}
	communities, err := s.store.Communities(p.r.Context())
	if err != nil {
		return fmt.Errorf("web: markings page: read the communities: %w", err)
	}
	names := []string{liaison.CommunityNATO, liaison.CommunityIP4, liaison.CommunityAll}
	for _, c := range communities {
		names = append(names, c.Name)
	}
	for _, n := range names {
		mv.Communities = append(mv.Communities, communityView{Name: n, Members: dir.Expand(n)})
	}
	return p.render(http.StatusOK, "markings.html", "Markings and who they let read", "markings", mv)
}

// favicon draws the office's icon: a compass rose, the alliance's
// emblem reduced to four points, on the banner's dark blue.
func (s *Server) favicon(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">`)
	b.WriteString(`<rect width="64" height="64" rx="12" fill="#0b2e59"/>`)
	b.WriteString(`<circle cx="32" cy="32" r="17" fill="none" stroke="#fff" stroke-width="3"/>`)
	// Four points, each a kite from the centre outwards.
	for _, d := range [][2]int{{0, -1}, {1, 0}, {0, 1}, {-1, 0}} {
		tipX, tipY := 32+28*d[0], 32+28*d[1]
		sideX, sideY := 32+5*d[1], 32-5*d[0]
		otherX, otherY := 32-5*d[1], 32+5*d[0]
		fmt.Fprintf(&b, `<path d="M32 32L%d %dL%d %dL%d %dZ" fill="#fff"/>`, sideX, sideY, tipX, tipY, otherX, otherY)
	}
	b.WriteString(`</svg>`)
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write([]byte(b.String()))
}
