package liaison

import "regexp"

// The built-in communities. They always exist and follow membership.
const (
	CommunityNATO = "NATO" // all allies plus the NATO bodies
	CommunityIP4  = "IP4"  // AUS, JPN, KOR and NZL
	CommunityAll  = "ALL"  // every organisation on the hub
)

// IP4Members are the Indo-Pacific partners that form the IP4 community.
var IP4Members = []string{"AUS", "JPN", "KOR", "NZL"}

// IsBuiltinCommunity reports whether name is NATO, IP4 or ALL.
func IsBuiltinCommunity(name string) bool {
	return name == CommunityNATO || name == CommunityIP4 || name == CommunityAll
}

// Community is a named set of organisations. Members are organisation codes
// or the names of other communities, which expand recursively.
type Community struct {
	Name    string
	Members []string
}

var communityNameRE = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{0,31}$`)

// Validate checks the community's name and members for form only; whether
// each member exists is the store's check.
func (c Community) Validate() error {
	if !communityNameRE.MatchString(c.Name) {
		return Errorf(EINVALID, "community name %q is malformed: want upper-case letters, digits, - or _, such as FIVE-EYES", c.Name)
	}
	if IsBuiltinCommunity(c.Name) {
		return Errorf(EINVALID, "community %s is built in and follows membership by itself", c.Name)
	}
	if len(c.Members) == 0 {
		return Errorf(EINVALID, "community %s needs at least one member", c.Name)
	}
	for _, m := range c.Members {
		if m == c.Name {
			return Errorf(EINVALID, "community %s cannot contain itself", c.Name)
		}
	}
	return nil
}
