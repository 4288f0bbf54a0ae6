package liaison

import (
	"context"
	"regexp"
	"slices"
)

// Role is what a principal may do.
type Role string

// The roles. Each higher role implies the ones before it except that admin
// implies all.
const (
	RoleReader  Role = "reader"  // reads what is releasable to their organisation
	RoleAnalyst Role = "analyst" // also writes objects to collections they may write
	RoleOfficer Role = "officer" // also runs consultations and acts on decisions
	RoleAdmin   Role = "admin"   // also manages the office
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleReader || r == RoleAnalyst || r == RoleOfficer || r == RoleAdmin
}

// Principal is an authenticated user. Every read in the store takes one.
type Principal struct {
	ID    int64
	Name  string
	Org   string
	Roles []Role
	// Disabled is set on users read back from a UserService (User,
	// Users) whose account an admin has disabled: such a user cannot
	// sign in, their tokens do not work and their sessions end. An
	// authenticated principal never has it.
	Disabled bool
}

// HasRole reports whether the principal holds r. Admin holds every role;
// officer and analyst hold reader; officer holds analyst.
func (p Principal) HasRole(r Role) bool {
	for _, have := range p.Roles {
		switch {
		case have == r, have == RoleAdmin:
			return true
		case r == RoleReader:
			return true
		case r == RoleAnalyst && have == RoleOfficer:
			return true
		}
	}
	return false
}

var userNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$`)

// Validate checks the principal's name, organisation and roles.
func (p Principal) Validate() error {
	if !userNameRE.MatchString(p.Name) {
		return Errorf(EINVALID, "user name %q is malformed: want letters, digits, '.', '_', '@' or '-', up to 64", p.Name)
	}
	if p.Org == "" {
		return Errorf(EINVALID, "user %s needs an organisation", p.Name)
	}
	if len(p.Roles) == 0 {
		return Errorf(EINVALID, "user %s needs at least one role", p.Name)
	}
	for _, r := range p.Roles {
		if !r.Valid() {
			return Errorf(EINVALID, "role %q is unknown: want reader, analyst, officer or admin", r)
		}
	}
	if slices.Contains(p.Roles, "") {
		return Errorf(EINVALID, "user %s has an empty role", p.Name)
	}
	return nil
}

type principalKey struct{}

// NewContext returns a context that carries the principal.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
