package liaison

// TLP is a Traffic Light Protocol level. The zero value means no TLP.
type TLP int

// The TLP 2.0 levels.
const (
	TLPNone TLP = iota
	TLPClear
	TLPGreen
	TLPAmber
	TLPAmberStrict
	TLPRed
)

var tlpNames = [...]string{"", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}

func (t TLP) String() string {
	if t < 0 || int(t) >= len(tlpNames) {
		return "INVALID"
	}
	return tlpNames[t]
}

// The fixed ids of the TLP 2.0 marking-definitions.
const (
	TLPClearID       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLPGreenID       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLPAmberID       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLPAmberStrictID = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLPRedID         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// TLPByID maps every TLP marking-definition id the hub knows, the TLP 2.0
// ids and the TLP 1.0 ids accepted as aliases, to its level.
var TLPByID = map[string]TLP{
	TLPClearID:       TLPClear,
	TLPGreenID:       TLPGreen,
	TLPAmberID:       TLPAmber,
	TLPAmberStrictID: TLPAmberStrict,
	TLPRedID:         TLPRed,
	// TLP 1.0 (STIX 2.1 section 7.2.1.4): WHITE, GREEN, AMBER, RED.
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLPClear,
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLPRed,
}

// Extension-definition ids that markings use.
const (
	// HubMarkingExtensionID is the hub's own classification and
	// releasability extension (see DOMAIN.md). Its format is public.
	HubMarkingExtensionID = "extension-definition--c6fd4e7e-0927-4f42-91f8-d9e10ae56f21"
	// TLP2ExtensionID defines the TLP 2.0 marking-definitions.
	TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
	// PAPExtensionID is the Permissible Actions Protocol extension.
	PAPExtensionID = "extension-definition--f8d78575-edfd-406e-8e84-6162a8450f5b"
)

// Marking is what the hub understands of one marking-definition: the parts
// that decide an audience, and the parts that govern later use.
type Marking struct {
	ID             string
	Name           string
	TLP            TLP
	Classification Classification
	// ReleasableTo is the releasability list: organisation codes and
	// community names. Nil means the marking carries no list; a marking
	// with an empty non-nil list releases to nobody but the originator.
	ReleasableTo []string
	Statement    string
	PAP          string // PAP:CLEAR, PAP:GREEN, PAP:AMBER or PAP:RED
	// ACS is the marking's ACS 3.0 access control, nil when it has none.
	ACS *ACS `json:",omitempty"`
}

// BuiltinMarkings returns the marking-definitions every hub knows without
// being told: the TLP 2.0 set and the TLP 1.0 aliases.
func BuiltinMarkings() []Marking {
	out := make([]Marking, 0, len(TLPByID))
	for id, t := range TLPByID {
		out = append(out, Marking{ID: id, Name: t.String(), TLP: t})
	}
	return out
}
