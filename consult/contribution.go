package consult

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"liaison"
)

// MaxRefs bounds the STIX references of one contribution.
const MaxRefs = 100

var refRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,249}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ParseRefs checks a list of STIX object ids, trims them and drops
// duplicates, keeping the first order. EINVALID naming the index of a
// malformed id or when there are more than MaxRefs.
func ParseRefs(refs []string) ([]string, error) {
	if len(refs) > MaxRefs {
		return nil, liaison.Errorf(liaison.EINVALID, "a contribution may reference at most %d objects, not %d", MaxRefs, len(refs))
	}
	out := make([]string, 0, len(refs))
	for i, r := range refs {
		r = strings.TrimSpace(r)
		if !refRE.MatchString(r) {
			return nil, liaison.Errorf(liaison.EINVALID, "refs[%d]: %q is not a STIX id such as indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", i, r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// writable checks that c takes contributions at now.
func writable(c liaison.Consultation, now time.Time) error {
	if c.Status != liaison.ConsultationOpen {
		return liaison.Errorf(liaison.ECONFLICT, "consultation %d is %s: contributions are taken only while it is open", c.ID, c.Status)
	}
	if c.Format == liaison.FormatWritten && !now.Before(c.Deadline) {
		return liaison.Errorf(liaison.ECONFLICT, "too late: the deadline of written consultation %d passed at %s", c.ID, stamp(c.Deadline))
	}
	return nil
}

// Contribute checks that by may post k to consultation c at now and
// prepares it. The caller has established that by can see c (else
// ENOTFOUND). EFORBIDDEN if by's organisation does not take part or by
// lacks the analyst role; ECONFLICT unless c is open (and, if written,
// before its deadline); EINVALID for an unknown agenda item, an empty
// text or a malformed reference.
func Contribute(c liaison.Consultation, k *liaison.Contribution, by liaison.Principal, d *liaison.Directory, now time.Time) error {
	if !Participating(c, d).Contains(by.Org) {
		return liaison.Errorf(liaison.EFORBIDDEN, "%s does not take part in consultation %d", by.Org, c.ID)
	}
	if !by.HasRole(liaison.RoleAnalyst) {
		return liaison.Errorf(liaison.EFORBIDDEN, "contributing needs the analyst role; %s holds only %v", by.Name, by.Roles)
	}
	if err := writable(c, now); err != nil {
		return err
	}
	if k.AgendaItem != 0 {
		if _, ok := c.Agendum(k.AgendaItem); !ok {
			return liaison.Errorf(liaison.EINVALID, "consultation %d has no agenda item %d (it has %d; 0 is general)", c.ID, k.AgendaItem, len(c.Agenda))
		}
	}
	k.Text = strings.TrimSpace(k.Text)
	if k.Text == "" {
		return liaison.Errorf(liaison.EINVALID, "a contribution needs a text")
	}
	refs, err := ParseRefs(k.Refs)
	if err != nil {
		return err
	}
	k.Refs = refs
	k.Consultation = c.ID
	k.Author, k.AuthorID, k.Org = by.Name, by.ID, by.Org
	k.Created, k.Updated = now, now
	k.Withdrawn = false
	k.History = nil
	return nil
}

func mayChange(c liaison.Consultation, k liaison.Contribution, by liaison.Principal, verb string, now time.Time) error {
	if by.ID != k.AuthorID || by.Org != k.Org {
		return liaison.Errorf(liaison.EFORBIDDEN, "only its author, %s, may %s contribution %d", k.Author, verb, k.ID)
	}
	if k.Withdrawn {
		return liaison.Errorf(liaison.ECONFLICT, "contribution %d was withdrawn; it can no longer change", k.ID)
	}
	return writable(c, now)
}

// Edit replaces k's text and refs as by at now, pushing the old state to
// its history. EFORBIDDEN unless by wrote it; ECONFLICT if it was
// withdrawn or c no longer takes contributions; EINVALID for an empty
// text or a malformed reference.
func Edit(c liaison.Consultation, k *liaison.Contribution, by liaison.Principal, text string, refs []string, now time.Time) error {
	if err := mayChange(c, *k, by, "edit", now); err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return liaison.Errorf(liaison.EINVALID, "a contribution needs a text")
	}
	refs, err := ParseRefs(refs)
	if err != nil {
		return err
	}
	k.History = append(k.History, liaison.ContributionRevision{Text: k.Text, Refs: k.Refs, At: k.Updated, Change: "edit"})
	k.Text, k.Refs, k.Updated = text, refs, now
	return nil
}

// Withdraw withdraws k as by at now, keeping its last state in its
// history. Errors as Edit.
func Withdraw(c liaison.Consultation, k *liaison.Contribution, by liaison.Principal, reason string, now time.Time) error {
	if err := mayChange(c, *k, by, "withdraw", now); err != nil {
		return err
	}
	k.History = append(k.History, liaison.ContributionRevision{Text: k.Text, Refs: k.Refs, At: k.Updated, Change: "withdraw", Reason: strings.TrimSpace(reason)})
	k.Withdrawn = true
	k.Updated = now
	return nil
}

// AllRefs returns every ref in ks, current and historical, once each.
func AllRefs(ks []liaison.Contribution) []string {
	var out []string
	seen := map[string]bool{}
	add := func(rs []string) {
		for _, r := range rs {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	for _, k := range ks {
		add(k.Refs)
		for _, h := range k.History {
			add(h.Refs)
		}
	}
	return out
}

// FilterRefs removes from ks (current state and history) every ref that
// readable does not contain. Refs keep their order; a list left empty is
// an empty list, never nil.
func FilterRefs(ks []liaison.Contribution, readable map[string]bool) {
	keep := func(rs []string) []string {
		out := []string{}
		for _, r := range rs {
			if readable[r] {
				out = append(out, r)
			}
		}
		return out
	}
	for i := range ks {
		ks[i].Refs = keep(ks[i].Refs)
		for j := range ks[i].History {
			ks[i].History[j].Refs = keep(ks[i].History[j].Refs)
		}
	}
}
