package misp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MISP distribution levels.
const (
	OrgOnly        = 0 // your organisation only
	ThisCommunity  = 1 // this community only
	Connected      = 2 // connected communities
	AllCommunities = 3 // all communities
	SharingGroup   = 4 // a sharing group
	Inherit        = 5 // attributes and objects: the event's
)

var levelNames = map[int]string{
	OrgOnly: "your organisation only", ThisCommunity: "this community only",
	Connected: "connected communities", AllCommunities: "all communities",
	SharingGroup: "a sharing group", Inherit: "inherit the event's",
}

// Options say how to map what a MISP instance means onto this hub. There
// are no defaults that guess: a level or sharing group with no mapping is
// refused with a message naming the flag that maps it.
type Options struct {
	// Originator is the hub organisation code of the importing
	// organisation: distribution 0 ("your organisation only") becomes
	// REL TO it alone.
	Originator string
	// Distribution maps levels 1, 2 and 3 (community, connected
	// communities, all communities) of the sending instance to hub
	// community or organisation codes.
	Distribution map[int][]string
	// SharingGroups maps a sharing group, by name, uuid or numeric id, to
	// hub community or organisation codes.
	SharingGroups map[string][]string
	// Lookup finds a stored STIX object by the external id of a MISP
	// galaxy cluster (ATT&CK "T1059", DISARM "T0019"), as the importing
	// reader sees the store. Nil: no galaxy is linked, each is kept in
	// x_misp_galaxies.
	Lookup func(externalID string) (stixID string, ok bool)
}

// ParseMapping reads "NAME=CODE[,CODE…]" as given to --sharing-group and
// --distribution.
func ParseMapping(s string) (name string, codes []string, err error) {
	name, rest, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.TrimSpace(rest) == "" {
		return "", nil, fmt.Errorf("%q: want NAME=COMMUNITY (or NAME=CODE,CODE,… of hub communities and organisations)", s)
	}
	for _, c := range strings.Split(rest, ",") {
		if c = strings.TrimSpace(c); c != "" {
			codes = append(codes, c)
		}
	}
	return name, codes, nil
}

// ParseDistribution reads "LEVEL=CODE[,CODE…]" for --distribution: LEVEL
// is 1, 2 or 3.
func ParseDistribution(s string) (int, []string, error) {
	name, codes, err := ParseMapping(s)
	if err != nil {
		return 0, nil, err
	}
	n, err := strconv.Atoi(name)
	if err != nil || n < ThisCommunity || n > AllCommunities {
		return 0, nil, fmt.Errorf("%q: the level must be 1 (this community), 2 (connected communities) or 3 (all communities); 0 is always your organisation and 4 a sharing group (--sharing-group)", s)
	}
	return n, codes, nil
}

// release is the audience one distribution maps to: hub codes, sorted.
type release []string

// resolve maps one distribution (level, and sharing group for level 4)
// to hub codes. where names the MISP element for a refusal.
func (o *Options) resolve(level flexInt, sgID flexInt, sg *group, where string) (release, string) {
	if !level.Set {
		return nil, fmt.Sprintf("%s has no distribution: the office cannot tell who may read it", where)
	}
	switch l := level.N; l {
	case OrgOnly:
		if o.Originator == "" {
			return nil, fmt.Sprintf("%s has distribution 0 (your organisation only) but the importing organisation is not known", where)
		}
		return release{o.Originator}, ""
	case ThisCommunity, Connected, AllCommunities:
		codes := o.Distribution[l]
		if len(codes) == 0 {
			return nil, fmt.Sprintf("%s has distribution %d (%s) from an instance whose communities this office does not know: say who that is with --distribution %d=COMMUNITY (for example --distribution %d=NATO)", where, l, levelNames[l], l, l)
		}
		return sorted(codes), ""
	case SharingGroup:
		var keys []string
		label := ""
		if sg != nil {
			keys = append(keys, sg.Name, sg.UUID)
			if sg.ID.Set {
				keys = append(keys, strconv.Itoa(sg.ID.N))
			}
			label = sg.Name
		}
		if sgID.Set && sgID.N != 0 {
			keys = append(keys, strconv.Itoa(sgID.N))
		}
		for _, k := range keys {
			if codes := o.SharingGroups[k]; k != "" && len(codes) > 0 {
				return sorted(codes), ""
			}
		}
		if label == "" && len(keys) > 0 {
			label = keys[len(keys)-1]
		}
		if label == "" {
			return nil, fmt.Sprintf("%s has distribution 4 (a sharing group) but names no sharing group", where)
		}
		return nil, fmt.Sprintf("%s is shared with sharing group %q, which has no mapping: say who that is with --sharing-group %s=COMMUNITY", where, label, flagWord(label))
	}
	return nil, fmt.Sprintf("%s has distribution %d, which MISP does not define (0 to 4, and 5 to inherit)", where, level.N)
}

// flagWord quotes a sharing-group name for a shell when it needs it.
func flagWord(s string) string {
	if strings.ContainsAny(s, " \t'\"$`\\!*?;&|<>()") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

func sorted(codes []string) release {
	r := slices.Clone(codes)
	slices.Sort(r)
	return slices.Compact(r)
}

// narrower reports whether an element's own level needs a marking of its
// own, beyond the event's: MISP's levels 0 to 3 nest (0 ⊂ 1 ⊂ 2 ⊂ 3), so a
// wider or equal level than the event's adds nothing (MISP never shares an
// attribute further than its event). Sharing groups do not nest; they are
// always added, and the hub intersects the two.
func narrower(event, own flexInt) bool {
	if !own.Set || own.N == Inherit {
		return false
	}
	if event.N <= AllCommunities && own.N <= AllCommunities {
		return own.N < event.N
	}
	return true
}
