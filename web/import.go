package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"liaison"
	"liaison/internal/ingest"
	"liaison/misp"
)

// DefaultMaxUpload is the largest bundle the import form takes when
// Config.MaxUpload is zero: the limit of the server's other bodies.
const DefaultMaxUpload = 64 << 20

// maxListed is how many rejected and conflicting objects the result page
// lists by name; the counts are always exact.
const maxListed = 1000

// Form fields of the import form besides the picker's. The file comes
// last: the form is read as a stream, and what to do with the bundle
// must be known before its first byte.
const (
	fieldCSRF       = "csrf"
	fieldCollection = "collection"
	fieldBundle     = "bundle"
	fieldFormat     = "format"        // stix (default) or misp
	fieldDist       = "distribution"  // misp: lines of LEVEL=CODES, as --distribution
	fieldSG         = "sharing_group" // misp: lines of NAME=CODES, as --sharing-group
	maxFieldBytes   = 1 << 10
	maxFormParts    = 2 * maxRel
)

// importView is what the import page shows: the form, and the preview of
// who will read what it writes.
type importView struct {
	pickerView
	Chosen      string // the choice in words
	Preview     *whoView
	PreviewColl string // the title of the collection previewed
	MaxUpload   string
	MaxBytes    int64
	Error       string
	// The MISP choices, kept across a preview.
	MISP         bool
	Distribution string
	SharingGroup string
}

type collOption struct {
	ID, Title, Default string
	Selected           bool
}

type option struct {
	Value, Label string
	Selected     bool
}

// relGroup is one group of releasable-to choices: communities, allies,
// NATO bodies, partners.
type relGroup struct {
	Legend string
	Items  []option
}

// importResult is what the result page shows.
type importResult struct {
	Collection liaison.CollectionAccess
	ListHref   string
	File       string
	Chosen     string // the marking unmarked objects took, in words
	Objects    int64
	Added      int
	Present    int
	Conflicts  []liaison.Accepted
	NConflicts int
	Rejected   []liaison.Rejection
	NRejected  int
	Warnings   []string
	Stopped    string // why the upload stopped before the end, when it did
	// MISP, for MISP events: what the conversion did, and each refused
	// event with the reason, in the command line's words.
	MISP *misp.Stats
}

func (s *Server) maxUpload() int64 {
	if s.cfg.MaxUpload > 0 {
		return s.cfg.MaxUpload
	}
	return DefaultMaxUpload
}

// writable returns the collections p may write, in the store's order.
func (s *Server) writable(p *page) ([]liaison.CollectionAccess, error) {
	cs, err := s.store.Collections(p.r.Context(), *p.p)
	if err != nil {
		return nil, fmt.Errorf("web: import: the collections: %w", err)
	}
	var out []liaison.CollectionAccess
	for _, c := range cs {
		if c.CanWrite {
			out = append(out, c)
		}
	}
	return out, nil
}

// importForm serves GET /import: the upload form with the marking picker.
func (s *Server) importForm(p *page) error {
	return s.renderImport(p, http.StatusOK, p.r.URL.Query().Get(fieldCollection), markingPick{}, nil, "")
}

// importPreview serves POST /import/preview, which the form's Preview
// button sends without the file (and the page's script as you choose):
// the form again, as chosen, with who will read the result.
func (s *Server) importPreview(p *page) error {
	if err := p.checkForm(); err != nil {
		return err
	}
	d, err := s.store.Directory(p.r.Context())
	if err != nil {
		return fmt.Errorf("web: import preview: read the directory: %w", err)
	}
	coll := p.r.PostForm.Get(fieldCollection)
	pk, err := parsePick(func(k string) []string { return p.r.PostForm[k] }, d)
	if err != nil {
		return s.renderImport(p, http.StatusBadRequest, coll, markingPick{}, nil, liaison.ErrorMessage(err))
	}
	c, err := s.writableCollection(p, coll)
	if err != nil {
		return err
	}
	who, err := s.previewAudience(p, c, pk, d)
	if err != nil {
		return err
	}
	return s.renderImport(p, http.StatusOK, c.ID, pk, &previewOf{who: who, coll: c.Title}, "")
}

// mispChoices reads the form's MISP fields: whether the file holds MISP
// events, and the distribution and sharing-group mappings, one a line.
func mispChoices(get func(string) string) (on bool, dists, groups []string) {
	lines := func(v string) []string {
		var out []string
		for _, l := range strings.Split(v, "\n") {
			l = strings.TrimSpace(l)
			// A name quoted for a shell, as the refusals write it.
			if name, rest, ok := strings.Cut(l, "'="); ok && strings.HasPrefix(name, "'") {
				l = strings.ReplaceAll(name[1:], `'\''`, "'") + "=" + rest
			}
			if l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	return get(fieldFormat) == "misp", lines(get(fieldDist)), lines(get(fieldSG))
}

type previewOf struct {
	who  whoView
	coll string
}

// writableCollection returns the collection id names, if p may write it.
// One p may not see is not found; one p may see but not write is
// forbidden, as the store says.
func (s *Server) writableCollection(p *page, id string) (liaison.CollectionAccess, error) {
	if id == "" {
		return liaison.CollectionAccess{}, liaison.Errorf(liaison.EINVALID, "field collection is empty: choose the collection to import into")
	}
	c, err := s.store.Collection(p.r.Context(), *p.p, id)
	if err != nil {
		return c, err
	}
	if !c.CanWrite {
		return c, liaison.Errorf(liaison.EFORBIDDEN, "you may not write to the collection %s", c.Title)
	}
	return c, nil
}

func (s *Server) renderImport(p *page, status int, coll string, pk markingPick, pv *previewOf, msg string) error {
	pick, err := s.picker(p, coll, pk)
	if err != nil {
		return err
	}
	v := importView{pickerView: pick, MaxUpload: humanSize(s.maxUpload()), MaxBytes: s.maxUpload(), Error: msg}
	if p.r.Method == http.MethodPost {
		v.MISP = p.r.PostForm.Get(fieldFormat) == "misp"
		v.Distribution, v.SharingGroup = p.r.PostForm.Get(fieldDist), p.r.PostForm.Get(fieldSG)
	}
	if !pk.empty() {
		v.Chosen = pk.spec().Name()
	}
	if pv != nil {
		v.Preview, v.PreviewColl = &pv.who, pv.coll
	}
	return p.render(status, "import.html", "Import a bundle", "import", v)
}

// relChoices lists the communities and organisations of the directory,
// grouped, with those in chosen checked.
func (s *Server) relChoices(p *page, chosen []string) ([]relGroup, error) {
	ctx := p.r.Context()
	d, err := s.store.Directory(ctx)
	if err != nil {
		return nil, fmt.Errorf("web: import: read the directory: %w", err)
	}
	communities, err := s.store.Communities(ctx)
	if err != nil {
		return nil, fmt.Errorf("web: import: read the communities: %w", err)
	}
	has := map[string]bool{}
	for _, c := range chosen {
		has[c] = true
	}
	comm := relGroup{Legend: "Communities"}
	for _, n := range []string{liaison.CommunityNATO, liaison.CommunityIP4, liaison.CommunityAll} {
		comm.Items = append(comm.Items, option{n, n, has[n]})
	}
	for _, c := range communities {
		comm.Items = append(comm.Items, option{c.Name, c.Name, has[c.Name]})
	}
	groups := []relGroup{comm, {Legend: "Allies"}, {Legend: "NATO bodies"}, {Legend: "Partners"}}
	for _, o := range d.Organisations() {
		i := 0
		switch o.Kind {
		case liaison.Ally:
			i = 1
		case liaison.NATOBody:
			i = 2
		case liaison.Partner:
			i = 3
		default:
			continue
		}
		groups[i].Items = append(groups[i].Items, option{o.Code, o.Code, has[o.Code]})
	}
	return groups, nil
}

// importUpload serves POST /import: it reads the multipart form as a
// stream (the CSRF token, the collection and the picker first, then the
// bundle), writes the picked marking-definition if one is needed, streams
// the bundle into the store in batches, and shows what happened to each
// object. Nothing is written before the form's token, collection and
// choice are checked, nor when the upload declares more than the limit.
func (s *Server) importUpload(p *page) error {
	r := p.r
	if p.sess == nil {
		return liaison.Errorf(liaison.EFORBIDDEN, "forms are for signed-in browsers: sign in with the form first")
	}
	limit := s.maxUpload()
	if r.ContentLength > limit {
		return liaison.Errorf(liaison.ETOOLARGE, "the upload is %s, more than this server takes (%s): split the bundle, or import it with liaison import on the server", humanSize(r.ContentLength), humanSize(limit))
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return liaison.Errorf(liaison.EINVALID, "the upload is not a multipart form: send the import page's form")
	}
	r.Body = http.MaxBytesReader(p.w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "the upload could not be read: %v", err)
	}
	fields := url.Values{}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return liaison.Errorf(liaison.EINVALID, "field bundle is missing: choose a STIX bundle file to import")
		}
		if err != nil {
			return uploadError(err, limit)
		}
		if n > maxFormParts {
			return liaison.Errorf(liaison.EINVALID, "the form has more than %d fields", maxFormParts)
		}
		name := part.FormName()
		if name != fieldBundle {
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return uploadError(err, limit)
			}
			if len(b) > maxFieldBytes {
				return liaison.Errorf(liaison.EINVALID, "field %s is longer than %d bytes", truncate(name, 40), maxFieldBytes)
			}
			fields.Add(name, string(b))
			continue
		}
		if !p.sess.validCSRF(fields.Get(fieldCSRF)) {
			return liaison.Errorf(liaison.EFORBIDDEN, "field csrf is missing or wrong, or comes after the file: reload the page and try again")
		}
		return s.importStream(p, fields, part, limit)
	}
}

// importStream checks the form's choices, then streams the bundle part.
func (s *Server) importStream(p *page, fields url.Values, bundle *multipart.Part, limit int64) error {
	ctx := p.r.Context()
	c, err := s.writableCollection(p, fields.Get(fieldCollection))
	if err != nil {
		return err
	}
	d, err := s.store.Directory(ctx)
	if err != nil {
		return fmt.Errorf("web: import: read the directory: %w", err)
	}
	pk, err := parsePick(func(k string) []string { return fields[k] }, d)
	if err != nil {
		return err
	}
	var mopt *misp.Options
	if on, dists, groups := mispChoices(fields.Get); on {
		opt, err := misp.MappingOptions(d, p.p.Org, dists, groups)
		if err != nil {
			return err
		}
		opt.Lookup = misp.StoreLookup(ctx, s.store, *p.p)
		mopt = &opt
	} else if fields.Get(fieldFormat) != "" && fields.Get(fieldFormat) != "stix" {
		return liaison.Errorf(liaison.EINVALID, "field format is %q: choose a STIX bundle or MISP events", truncate(fields.Get(fieldFormat), 40))
	}
	res := importResult{Collection: c, ListHref: "/collections/" + url.PathEscape(c.ID) + "/objects", File: truncate(bundle.FileName(), 200), Chosen: pk.spec().Name()}
	if pk.empty() {
		res.Chosen = ""
	}
	if err := s.storePick(p, "import", c.ID, pk); err != nil {
		return err
	}
	var sum ingest.Summary
	if mopt != nil {
		var st misp.Stats
		sum, st, err = importMISP(ctx, s.store, *p.p, c.ID, *mopt, bundle, ingest.Options{DefaultMarkings: pk.ids()})
		res.MISP = &st
	} else {
		sum, err = ingest.Bundle(ctx, s.store, *p.p, c.ID, bundle, ingest.Options{DefaultMarkings: pk.ids()})
	}
	if err != nil {
		var mbe *http.MaxBytesError
		var re *ingest.ReadError
		switch {
		case errors.As(err, &mbe):
			res.Stopped = fmt.Sprintf("the upload is larger than this server takes (%s): it stopped there", humanSize(limit))
		case errors.As(err, &re) && liaison.ErrorCode(re.Err) != liaison.EINTERNAL:
			res.Stopped = "the bundle could not be read to the end: " + liaison.ErrorMessage(re.Err)
		case errors.As(err, &re):
			res.Stopped = "the bundle could not be read to the end: " + re.Err.Error()
		default:
			return err
		}
	}
	res.Objects, res.Added, res.Present, res.Warnings = sum.Objects, sum.Added, sum.Present, sum.Warnings
	res.NConflicts, res.NRejected = len(sum.Conflicts), len(sum.Rejected)
	res.Conflicts = sum.Conflicts[:min(len(sum.Conflicts), maxListed)]
	res.Rejected = sum.Rejected[:min(len(sum.Rejected), maxListed)]
	s.log.Info("web: import", "user", p.p.Name, "org", p.p.Org, "collection", c.ID, "objects", sum.Objects,
		"added", sum.Added, "present", sum.Present, "conflicting", len(sum.Conflicts), "rejected", len(sum.Rejected), "stopped", res.Stopped)
	status := http.StatusOK
	if res.Stopped != "" {
		status = http.StatusBadRequest
	}
	return p.render(status, "import-result.html", "Import result", "import", res)
}

// importMISP converts the MISP events read from r into one STIX bundle
// stream and imports it as any bundle, as liaison import --format misp
// does: each refused event is in the stats' Problems.
func importMISP(ctx context.Context, store liaison.Store, p liaison.Principal, coll string, opt misp.Options, r io.Reader, io2 ingest.Options) (ingest.Summary, misp.Stats, error) {
	pr, pw := io.Pipe()
	var st misp.Stats
	var convErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		st, convErr = misp.Bundle(r, opt, pw)
		pw.CloseWithError(convErr)
	}()
	sum, err := ingest.Bundle(ctx, store, p, coll, pr, io2)
	pr.CloseWithError(io.ErrClosedPipe) // stops the conversion if the import ended early
	<-done
	if convErr != nil && err == nil {
		err = convErr
	}
	return sum, st, err
}

// uploadError maps an error reading the form to a page error.
func uploadError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return liaison.Errorf(liaison.ETOOLARGE, "the upload is more than this server takes (%s)", humanSize(limit))
	}
	return liaison.Errorf(liaison.EINVALID, "the upload could not be read: %v", err)
}

// humanSize writes a byte count for people: 64 MiB, 3.8 MiB, 512 bytes.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		f := float64(n) / (1 << 20)
		if f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10) + " MiB"
		}
		return strconv.FormatFloat(f, 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
