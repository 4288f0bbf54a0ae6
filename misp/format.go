// Package misp converts MISP events (the MISP core format) into STIX 2.1
// objects, following the misp-stix mapping, with ids derived from the MISP
// uuids so that importing an event twice writes nothing new, and with each
// MISP distribution level mapped to the hub's releasability marking
// explicitly: what cannot be mapped without guessing is refused.
package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The MISP core format writes numbers and booleans sometimes as JSON
// numbers and booleans, sometimes as strings ("1", "true"); these types
// read either.

// flexInt is an integer written as a number or a string of digits.
type flexInt struct {
	N   int
	Set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" || s == `""` {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%s is not a whole number", string(b))
	}
	f.N, f.Set = n, true
	return nil
}

// flexBool is a boolean written as true/false, 1/0 or their strings.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return fmt.Errorf("%s is not a boolean", string(b))
	}
	return nil
}

// flexStrings is a list of strings or a single string.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = []string{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("want a string or a list of strings")
	}
	*f = l
	return nil
}

// The MISP core format, as far as the conversion reads it. Unknown keys
// are ignored, as the format allows.

type eventDoc struct {
	Event *Event `json:"Event"`
}

// Event is one MISP event.
type Event struct {
	UUID             string      `json:"uuid"`
	Info             string      `json:"info"`
	Date             string      `json:"date"`
	Timestamp        flexInt     `json:"timestamp"`
	PublishTimestamp flexInt     `json:"publish_timestamp"`
	Published        flexBool    `json:"published"`
	Distribution     flexInt     `json:"distribution"`
	SharingGroupID   flexInt     `json:"sharing_group_id"`
	SharingGroup     *group      `json:"SharingGroup"`
	ThreatLevelID    flexInt     `json:"threat_level_id"`
	Analysis         flexInt     `json:"analysis"`
	Orgc             *org        `json:"Orgc"`
	Org              *org        `json:"Org"`
	Attribute        []Attribute `json:"Attribute"`
	Object           []Object    `json:"Object"`
	Tag              []tag       `json:"Tag"`
	Galaxy           []galaxy    `json:"Galaxy"`
}

type org struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

type group struct {
	ID   flexInt `json:"id"`
	UUID string  `json:"uuid"`
	Name string  `json:"name"`
}

type tag struct {
	Name string `json:"name"`
}

type galaxy struct {
	Type          string    `json:"type"`
	Name          string    `json:"name"`
	GalaxyCluster []cluster `json:"GalaxyCluster"`
}

type cluster struct {
	UUID    string `json:"uuid"`
	Type    string `json:"type"`
	Value   string `json:"value"`
	TagName string `json:"tag_name"`
	Meta    struct {
		ExternalID flexStrings `json:"external_id"`
	} `json:"meta"`
}

// Attribute is one MISP attribute, on the event or in an object.
type Attribute struct {
	UUID           string     `json:"uuid"`
	Type           string     `json:"type"`
	Category       string     `json:"category"`
	Value          string     `json:"value"`
	ToIDs          flexBool   `json:"to_ids"`
	Comment        string     `json:"comment"`
	Timestamp      flexInt    `json:"timestamp"`
	FirstSeen      string     `json:"first_seen"`
	LastSeen       string     `json:"last_seen"`
	Distribution   flexInt    `json:"distribution"`
	SharingGroupID flexInt    `json:"sharing_group_id"`
	SharingGroup   *group     `json:"SharingGroup"`
	ObjectRelation string     `json:"object_relation"`
	Tag            []tag      `json:"Tag"`
	Galaxy         []galaxy   `json:"Galaxy"`
	Sighting       []sighting `json:"Sighting"`
}

// Object is one MISP object: attributes grouped by a template.
type Object struct {
	UUID            string      `json:"uuid"`
	Name            string      `json:"name"`
	MetaCategory    string      `json:"meta-category"`
	Comment         string      `json:"comment"`
	Timestamp       flexInt     `json:"timestamp"`
	Distribution    flexInt     `json:"distribution"`
	SharingGroupID  flexInt     `json:"sharing_group_id"`
	SharingGroup    *group      `json:"SharingGroup"`
	Attribute       []Attribute `json:"Attribute"`
	ObjectReference []reference `json:"ObjectReference"`
}

type reference struct {
	UUID             string `json:"uuid"`
	ReferencedUUID   string `json:"referenced_uuid"`
	RelationshipType string `json:"relationship_type"`
	Comment          string `json:"comment"`
}

type sighting struct {
	UUID         string  `json:"uuid"`
	Type         flexInt `json:"type"`
	DateSighting flexInt `json:"date_sighting"`
	Source       string  `json:"source"`
	Organisation *org    `json:"Organisation"`
}
