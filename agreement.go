package liaison

import (
	"strings"
	"time"
)

// Classification is a NATO security classification. The zero value means
// "no classification". Levels are ordered: a higher value is more secret.
type Classification int

// The NATO classifications, in order.
const (
	NoClassification Classification = iota
	NATOUnclassified
	NATORestricted
	NATOConfidential
	NATOSecret
	CosmicTopSecret
)

var classificationNames = [...]string{"", "NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET", "COSMIC TOP SECRET"}

func (c Classification) String() string {
	if c < 0 || int(c) >= len(classificationNames) {
		return "INVALID"
	}
	return classificationNames[c]
}

// ParseClassification reads one of the five NATO classification names,
// case-insensitively.
func ParseClassification(s string) (Classification, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for i, n := range classificationNames {
		if i > 0 && n == u {
			return Classification(i), nil
		}
	}
	return 0, Errorf(EINVALID, "classification %q is unknown: want one of NATO UNCLASSIFIED, NATO RESTRICTED, NATO CONFIDENTIAL, NATO SECRET, COSMIC TOP SECRET", s)
}

// AgreementKind says what an agreement is.
type AgreementKind string

// Agreement kinds.
const (
	SecurityAgreement AgreementKind = "security"  // protection of classified information
	Programme         AgreementKind = "programme" // partnership programme such as an ITPP
)

// Agreement is an agreement between NATO and a partner. A security
// agreement lets classified information up to MaxClassification reach the
// partner while it is in force; a programme records objectives and areas of
// cooperation.
type Agreement struct {
	ID                int64
	Partner           string
	Kind              AgreementKind
	Name              string
	MaxClassification Classification // security agreements only
	From              time.Time      // zero: in force from the start
	Until             time.Time      // zero: open-ended; otherwise in force before Until
	Areas             []string       // programmes: areas of cooperation
	Objectives        []string       // programmes: objectives
}

// InForce reports whether the agreement is in force at t.
func (a Agreement) InForce(t time.Time) bool {
	if !a.From.IsZero() && t.Before(a.From) {
		return false
	}
	if !a.Until.IsZero() && !t.Before(a.Until) {
		return false
	}
	return true
}

// Validate checks the agreement's fields.
func (a Agreement) Validate() error {
	if a.Partner == "" {
		return Errorf(EINVALID, "agreement needs a partner organisation")
	}
	switch a.Kind {
	case SecurityAgreement:
		if a.MaxClassification <= NoClassification || a.MaxClassification > CosmicTopSecret {
			return Errorf(EINVALID, "security agreement with %s needs a maximum classification", a.Partner)
		}
	case Programme:
		if a.Name == "" {
			return Errorf(EINVALID, "programme with %s needs a name", a.Partner)
		}
	default:
		return Errorf(EINVALID, "agreement kind %q is unknown: want security or programme", a.Kind)
	}
	if !a.From.IsZero() && !a.Until.IsZero() && !a.Until.After(a.From) {
		return Errorf(EINVALID, "agreement with %s ends (%s) before it starts (%s)", a.Partner, a.Until.Format(time.DateOnly), a.From.Format(time.DateOnly))
	}
	return nil
}
