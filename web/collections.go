package web

import (
	"net/http"
	"net/url"
	"strings"

	"liaison"
)

// The collections pages. Every signed-in reader, admins too, sees only the
// collections their organisation may read or write, through the store's
// reader-filtered Collections and Collection: any other collection is the
// same 404 as a missing one. Admins create collections and edit those
// they see; a collection their own organisation may neither read nor
// write is set up with the command line (liaison collection).

// collectionRoutes lists the collections pages.
func (s *Server) collectionRoutes() {
	s.handle("GET /collections", s.signedIn(s.collectionsPage))
	s.handle("POST /collections", s.signedIn(s.createCollection))
	s.handle("GET /collections/{cid}", s.signedIn(s.collectionPage))
	s.handle("POST /collections/{cid}", s.signedIn(s.updateCollection))
}

type collectionRow struct {
	ID, Title, Topic, Read, Write, Default string
	CanRead, CanWrite                      bool
}

type markingOption struct {
	ID, Name string
	Selected bool
}

type collectionForm struct {
	Collection liaison.Collection
	Read       string
	Write      string
	Defaults   []markingOption
	Other      string // a default marking that is not TLP
}

type collectionsView struct {
	Gone    string // a collection just saved that the admin's organisation may no longer see
	Rows    []collectionRow
	IsAdmin bool
	Form    collectionForm
}

type collectionView struct {
	Row     collectionRow
	Desc    string
	IsAdmin bool
	Form    collectionForm
}

var tlpDefaults = []struct{ id, name string }{
	{liaison.TLPClearID, "TLP:CLEAR"}, {liaison.TLPGreenID, "TLP:GREEN"}, {liaison.TLPAmberID, "TLP:AMBER"},
	{liaison.TLPAmberStrictID, "TLP:AMBER+STRICT"}, {liaison.TLPRedID, "TLP:RED"},
}

// markingName names a default marking in words.
func markingName(id string) string {
	if id == "" {
		return "none"
	}
	if t, ok := liaison.TLPByID[id]; ok {
		return t.String()
	}
	return id
}

func newCollectionForm(c liaison.Collection) collectionForm {
	f := collectionForm{Collection: c, Read: strings.Join(c.Read, ", "), Write: strings.Join(c.Write, ", ")}
	f.Defaults = append(f.Defaults, markingOption{ID: "", Name: "none", Selected: c.DefaultMarking == ""})
	tlp := false
	for _, t := range tlpDefaults {
		sel := c.DefaultMarking == t.id
		tlp = tlp || sel
		f.Defaults = append(f.Defaults, markingOption{ID: t.id, Name: t.name, Selected: sel})
	}
	if !tlp && c.DefaultMarking != "" {
		if _, ok := liaison.TLPByID[c.DefaultMarking]; ok {
			f.Defaults = append(f.Defaults, markingOption{ID: c.DefaultMarking, Name: markingName(c.DefaultMarking) + " (TLP 1.0 id)", Selected: true})
		} else {
			f.Other = c.DefaultMarking
		}
	}
	return f
}

func rowOf(a liaison.CollectionAccess) collectionRow {
	return collectionRow{ID: a.ID, Title: a.Title, Topic: a.Topic, Read: strings.Join(a.Read, ", "), Write: strings.Join(a.Write, ", "),
		Default: markingName(a.DefaultMarking), CanRead: a.CanRead, CanWrite: a.CanWrite}
}

// collectionsPage lists the collections, with the form that creates one
// for admins.
func (s *Server) collectionsPage(p *page) error {
	cs, err := s.store.Collections(p.r.Context(), *p.p)
	if err != nil {
		return err
	}
	v := collectionsView{IsAdmin: p.p.HasRole(liaison.RoleAdmin), Form: newCollectionForm(liaison.Collection{Topic: liaison.TopicCyber}), Gone: p.r.URL.Query().Get("gone")}
	for _, c := range cs {
		v.Rows = append(v.Rows, rowOf(c))
	}
	return p.render(http.StatusOK, "collections.html", "Collections", "collections", v)
}

// collectionPage shows one collection, with the edit form for admins.
func (s *Server) collectionPage(p *page) error {
	c, err := s.store.Collection(p.r.Context(), *p.p, p.r.PathValue("cid"))
	if err != nil {
		return err
	}
	v := collectionView{Row: rowOf(c), Desc: c.Description, IsAdmin: p.p.HasRole(liaison.RoleAdmin), Form: newCollectionForm(c.Collection)}
	return p.render(http.StatusOK, "collection.html", "Collection "+c.Title, "collections", v)
}

// formCollection reads the collection form's fields.
func formCollection(f url.Values) liaison.Collection {
	c := liaison.Collection{
		Title: strings.TrimSpace(f.Get("title")), Description: strings.TrimSpace(f.Get("description")),
		Topic: strings.ToLower(strings.TrimSpace(f.Get("topic"))),
		Read:  splitList(strings.ToUpper(f.Get("read"))), Write: splitList(strings.ToUpper(f.Get("write"))),
		DefaultMarking: strings.TrimSpace(f.Get("default_marking")),
	}
	if other := strings.TrimSpace(f.Get("default_marking_other")); other != "" {
		c.DefaultMarking = other
	}
	return c
}

// checkCollectionForm names the empty field before the store is asked.
func checkCollectionForm(c liaison.Collection) error {
	switch {
	case c.Title == "":
		return liaison.Errorf(liaison.EINVALID, "field title is empty: give the collection a title")
	case c.Topic == "":
		return liaison.Errorf(liaison.EINVALID, "field topic is empty: cyber, disinformation, edt, geopolitical or another word")
	case len(c.Read) == 0:
		return liaison.Errorf(liaison.EINVALID, "field read is empty: name the organisations and communities that may read it, such as NATO, JPN")
	case c.DefaultMarking != "" && !strings.HasPrefix(c.DefaultMarking, "marking-definition--"):
		return liaison.Errorf(liaison.EINVALID, "field default_marking_other: %q is not a marking-definition id (marking-definition--…)", truncate(c.DefaultMarking, 80))
	}
	return nil
}

// createCollection creates a collection from an admin's form.
func (s *Server) createCollection(p *page) error {
	if err := requireAdmin(p, "creating collections"); err != nil {
		return err
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	c := formCollection(p.r.PostForm)
	if err := checkCollectionForm(c); err != nil {
		return err
	}
	if err := s.store.CreateCollection(p.r.Context(), &c); err != nil {
		return err
	}
	s.log.Info("collection created", "by", p.p.Name, "collection", c.ID, "title", c.Title)
	s.afterSave(p, c, "")
	return nil
}

// updateCollection edits a collection from an admin's form.
func (s *Server) updateCollection(p *page) error {
	if err := requireAdmin(p, "editing collections"); err != nil {
		return err
	}
	if err := p.checkForm(); err != nil {
		return err
	}
	c := formCollection(p.r.PostForm)
	c.ID = p.r.PathValue("cid")
	if err := checkCollectionForm(c); err != nil {
		return err
	}
	if err := s.store.UpdateCollection(p.r.Context(), &c); err != nil {
		return err
	}
	s.log.Info("collection edited", "by", p.p.Name, "collection", c.ID, "read", c.Read, "write", c.Write)
	s.afterSave(p, c, "?saved")
	return nil
}

// afterSave sends the admin to the collection's page, or, when their own
// organisation may now neither read nor write it, to the list with a
// word that it is saved but no longer shown to them.
func (s *Server) afterSave(p *page, c liaison.Collection, query string) {
	if _, err := s.store.Collection(p.r.Context(), *p.p, c.ID); err != nil {
		http.Redirect(p.w, p.r, "/collections?gone="+url.QueryEscape(c.Title), http.StatusSeeOther)
		return
	}
	http.Redirect(p.w, p.r, "/collections/"+url.PathEscape(c.ID)+query, http.StatusSeeOther)
}
