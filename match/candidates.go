package match

import "time"

// Live reports whether the indicator matches at now: not revoked, at or
// after valid_from, and before valid_until when it has one.
func (ind *Indicator) Live(now time.Time) bool {
	return !ind.Revoked && !now.Before(ind.ValidFrom) && (ind.ValidUntil.IsZero() || now.Before(ind.ValidUntil))
}

// Candidates returns the IDs of the live indicators filed under a key
// that the batch produces, once each: every indicator MatchBatch could
// return for the batch is among them. A caller that must confirm each
// candidate elsewhere (who may read it, say) asks for them first, then
// passes MatchBatch a Visible that allows only the confirmed ones.
func (x *Index) Candidates(batch []Observation) []string {
	if len(batch) == 0 {
		return nil
	}
	now := x.now()
	cands := x.candidates(batch, nil)
	out := make([]string, 0, len(cands))
	for _, ind := range cands {
		if ind.Live(now) {
			out = append(out, ind.ID)
		}
	}
	return out
}
