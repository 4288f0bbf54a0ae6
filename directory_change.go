package liaison

import (
	"context"
	"time"
	"unicode/utf8"
)

// ChangeKind says which directory change a DirectoryChange is.
type ChangeKind string

// The directory changes, each one method of DirectoryService.
const (
	AddOrganisation     ChangeKind = "add-organisation"      // CreateOrganisation
	UpdateOrganisation  ChangeKind = "update-organisation"   // UpdateOrganisation: name and time zone
	AddCommunity        ChangeKind = "add-community"         // CreateCommunity
	SetCommunityMembers ChangeKind = "set-community-members" // SetCommunityMembers
	AddAgreement        ChangeKind = "add-agreement"         // CreateAgreement
	UpdateAgreement     ChangeKind = "update-agreement"      // UpdateAgreement, for example to end it
)

// DirectoryChange is one change to the directory, proposed and not yet
// made: the effect preview weighs it (DirectoryService.PreviewDirectory)
// and Make makes it, so what is previewed is what is made. Kind says which
// change it is; the field it needs is set (Organisation for the
// organisation kinds, Community for the community kinds, Agreement for
// the agreement kinds).
type DirectoryChange struct {
	Kind         ChangeKind
	Organisation *Organisation
	Community    *Community
	Agreement    *Agreement
}

// Check reports EINVALID unless the kind is known and its field is set.
func (c DirectoryChange) Check() error {
	var field string
	var set bool
	switch c.Kind {
	case AddOrganisation, UpdateOrganisation:
		field, set = "organisation", c.Organisation != nil
	case AddCommunity, SetCommunityMembers:
		field, set = "community", c.Community != nil
	case AddAgreement, UpdateAgreement:
		field, set = "agreement", c.Agreement != nil
	default:
		return Errorf(EINVALID, "change: kind %q is unknown: want add-organisation, update-organisation, add-community, set-community-members, add-agreement or update-agreement", c.Kind)
	}
	if !set {
		return Errorf(EINVALID, "change: %s needs its %s", c.Kind, field)
	}
	return nil
}

// Make makes the change through s, with the method its kind names.
func (c DirectoryChange) Make(ctx context.Context, s DirectoryService) error {
	if err := c.Check(); err != nil {
		return err
	}
	switch c.Kind {
	case AddOrganisation:
		return s.CreateOrganisation(ctx, *c.Organisation)
	case UpdateOrganisation:
		return s.UpdateOrganisation(ctx, *c.Organisation)
	case AddCommunity:
		return s.CreateCommunity(ctx, *c.Community)
	case SetCommunityMembers:
		return s.SetCommunityMembers(ctx, c.Community.Name, c.Community.Members)
	case AddAgreement:
		return s.CreateAgreement(ctx, c.Agreement)
	default:
		return s.UpdateAgreement(ctx, *c.Agreement)
	}
}

// OrgEffect is what one organisation would gain and lose under a change:
// how many stored object versions it may read now (Before), how many it
// would read after the change (After), and how many of those it would
// gain or lose. A version is counted once per collection that holds it,
// however many instances of it the collection holds (a reader reads it
// when they may read any).
type OrgEffect struct {
	Org                       string
	Before, After, Gain, Lose int64
}

// DirectoryEffect is the effect preview of a DirectoryChange: for every
// organisation on the hub before or after it, sorted by code, what it
// would gain and lose; and how many stored versions were weighed.
type DirectoryEffect struct {
	Versions int64
	Orgs     []OrgEffect
}

// Changed reports whether any organisation would gain or lose anything.
func (e DirectoryEffect) Changed() bool {
	for _, o := range e.Orgs {
		if o.Gain != 0 || o.Lose != 0 {
			return true
		}
	}
	return false
}

// ObjectiveProgress is one record of progress on an objective of a
// programme (Agreement.Objectives[Objective]): how far along it is, in
// percent, with a note, by whom and when. The latest record of an
// objective is its standing.
type ObjectiveProgress struct {
	ID        int64
	Agreement int64
	Objective int // index into the programme's Objectives
	Percent   int // 0 to 100
	Note      string
	By        string // the user who recorded it
	At        time.Time
}

// MaxProgressNote is the longest note of a progress record, in characters.
const MaxProgressNote = 2000

// Validate checks the record's own fields; whether the programme and its
// objective exist is the store's check.
func (p ObjectiveProgress) Validate() error {
	if p.Agreement <= 0 {
		return Errorf(EINVALID, "agreement: want the id of a programme, such as 3")
	}
	if p.Objective < 0 {
		return Errorf(EINVALID, "objective: want the number of one of the programme's objectives, from 1")
	}
	if p.Percent < 0 || p.Percent > 100 {
		return Errorf(EINVALID, "percent: want a whole number from 0 to 100, not %d", p.Percent)
	}
	if n := utf8.RuneCountInString(p.Note); n > MaxProgressNote {
		return Errorf(EINVALID, "note: want at most %d characters, not %d", MaxProgressNote, n)
	}
	if !utf8.ValidString(p.Note) {
		return Errorf(EINVALID, "note: want text (UTF-8)")
	}
	return nil
}
