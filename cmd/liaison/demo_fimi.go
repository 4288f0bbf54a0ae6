package main

import (
	"context"
	"fmt"
	"time"

	"liaison"
	"liaison/stix"
	"liaison/web"
)

// The demo's DISARM techniques (disinformation.json and the excerpt).
const (
	demoT0049    = "attack-pattern--fe6943e3-77ee-4049-af4e-48a8bbd8294e"
	demoT0085    = "attack-pattern--f9c0a5cb-0468-5f79-ac3d-6d0d375ddad6"
	demoT0085004 = "attack-pattern--aa344c35-ce5e-5242-b9f8-3415e897f3d4"
	demoT0087001 = "attack-pattern--7752e3c5-d957-5460-b4b3-3ac1b2e30ae5"
	demoT0115    = "attack-pattern--392e19a4-c119-5798-8ca1-c562a4316bfb"
	demoT0119    = "attack-pattern--68905005-57ac-5a50-9e57-7f6b3659e6de"
	// NATO RESTRICTED REL TO NATO, JPN (geopolitical.json).
	demoRestrictedJPN = "marking-definition--a348978c-709b-4a7f-80a1-040efcc469f6"
)

func init() { demoHooks = append(demoHooks, demoFIMIIncidents) }

// demoFIMIIncidents records the demo's two FIMI incidents, as the form
// would: a forged document for everyone (TLP:GREEN), and a deepfake video
// for NATO and Japan alone, so the matrix counts differ by reader.
func demoFIMIIncidents(ctx context.Context, s liaison.Store, users map[string]liaison.Principal) error {
	now := time.Now().UTC()
	for _, inc := range []struct {
		user, name, desc             string
		techniques, targets, channel []string
		marking                      string
	}{
		{"jpn-analyst", "Forged ministry letter on Japanese troops for Europe",
			"A forged letter, styled as from Japan's Ministry of Defense, claimed that the Tokyo liaison office would send Japanese troops to European operations. It was posted first on an anonymous account, then cross-posted to several platforms (fictional demo data).",
			[]string{demoT0085, demoT0085004, demoT0115, demoT0119}, []string{"Japanese public", "Japanese press"}, []string{"Anonymous document-sharing account", "Regional forum mirror"}, liaison.TLPGreenID},
		{"natois-officer", "Deepfake video of the liaison office's head",
			"A synthetic video showed the head of the Tokyo liaison office announcing nuclear-armed patrols; bot accounts flooded hashtags with it within an hour (fictional demo data).",
			[]string{demoT0087001, demoT0115, demoT0049}, []string{"Japanese public", "NATO Liaison Office Tokyo"}, []string{"Video-sharing channel impersonating a broadcaster"}, demoRestrictedJPN},
	} {
		var cands []liaison.Candidate
		for i, raw := range web.FIMIIncident(now, inc.name, inc.desc, inc.techniques, inc.targets, inc.channel, []string{inc.marking}) {
			c, err := stix.Decode(i, raw)
			if err != nil {
				return fmt.Errorf("demo FIMI incident %q: %w", inc.name, err)
			}
			cands = append(cands, c)
		}
		res, err := s.AddObjects(ctx, users[inc.user], demoDisinformation, cands)
		if err != nil {
			return fmt.Errorf("demo FIMI incident %q: %w", inc.name, err)
		}
		if len(res.Rejected) > 0 {
			return fmt.Errorf("demo FIMI incident %q: rejected: %s", inc.name, res.Rejected[0].Message)
		}
	}
	return nil
}
