package liaison

import "time"

// Topics that collections commonly carry. Any other lower-case word is
// accepted too.
const (
	TopicCyber          = "cyber"
	TopicDisinformation = "disinformation"
	TopicEDT            = "edt"
	TopicGeopolitical   = "geopolitical"
)

// Collection is a channel on which information is shared. Read and Write
// name organisations and communities. The read list bounds everything in
// the collection: object audiences only narrow it.
type Collection struct {
	ID             string // a UUID, as TAXII wants
	Title          string
	Description    string
	Topic          string
	Read           []string
	Write          []string
	DefaultMarking string // marking-definition id applied to unmarked objects; may be empty
	Created        time.Time
}

// Validate checks the collection's fields for form.
func (c Collection) Validate() error {
	if c.Title == "" {
		return Errorf(EINVALID, "collection needs a title")
	}
	if c.Topic == "" {
		return Errorf(EINVALID, "collection %q needs a topic (cyber, disinformation, edt, geopolitical or another)", c.Title)
	}
	if len(c.Read) == 0 {
		return Errorf(EINVALID, "collection %q needs a read list", c.Title)
	}
	return nil
}

// CollectionAccess is a collection as one principal sees it.
type CollectionAccess struct {
	Collection
	CanRead  bool
	CanWrite bool
}

// Access returns what principal p may do with collection c under d. Writing
// needs the analyst role as well as a place on the write list.
func (d *Directory) Access(p Principal, c Collection) CollectionAccess {
	return CollectionAccess{
		Collection: c,
		CanRead:    d.Expand(c.Read...).Contains(p.Org),
		CanWrite:   p.HasRole(RoleAnalyst) && d.Expand(c.Write...).Contains(p.Org),
	}
}
