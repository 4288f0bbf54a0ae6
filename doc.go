// Package liaison holds the domain of an alliance liaison office: who is
// who (organisations, communities, agreements, principals), where
// information is shared (collections), how it is marked (TLP, PAP, the
// hub's classification and releasability extension), and the one
// invariant: nobody ever receives what is not releasable to their
// organisation. Audiences are computed here (Directory.AudienceOf) and
// enforced by every store inside its queries.
//
// Subpackages implement the services against one dependency each:
// stix (STIX 2.1), sqlite and postgres (stores), taxii (TAXII 2.1), web
// (the JSON API and UI); cmd/liaison wires them together.
package liaison
