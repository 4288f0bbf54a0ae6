package web

import (
	"encoding/json"
	"strings"
)

// rowFields are the parts of an object that a list row shows and that
// the page's filters read.
type rowFields struct {
	Name             string   `json:"name"`
	Value            string   `json:"value"`
	RelationshipType string   `json:"relationship_type"`
	SourceRef        string   `json:"source_ref"`
	TargetRef        string   `json:"target_ref"`
	SightingOfRef    string   `json:"sighting_of_ref"`
	Abstract         string   `json:"abstract"`
	Opinion          string   `json:"opinion"`
	Labels           []string `json:"labels"`
	Revoked          bool     `json:"revoked"`
}

func fieldsOf(raw []byte) rowFields {
	var f rowFields
	_ = json.Unmarshal(raw, &f) // stored objects are valid; a mismatch leaves a field empty
	return f
}

// title is what a row calls the object. A relationship or sighting is
// named by the types of its ends, never their ids.
func (f rowFields) title(typ string) string {
	typeOf := func(id string) string { t, _, _ := strings.Cut(id, "--"); return t }
	switch {
	case f.Name != "":
		return f.Name
	case typ == "relationship" && f.RelationshipType != "":
		return typeOf(f.SourceRef) + " " + f.RelationshipType + " " + typeOf(f.TargetRef)
	case typ == "sighting" && f.SightingOfRef != "":
		return "sighting of " + typeOf(f.SightingOfRef)
	case f.Value != "":
		return f.Value
	case f.Abstract != "":
		return f.Abstract
	case f.Opinion != "":
		return "opinion: " + f.Opinion
	}
	return typ
}
