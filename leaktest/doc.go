// Package leaktest is a randomised test of the one invariant: nobody ever
// receives an object, or part of one, that is not releasable to their
// organisation.
//
// It builds a random World (organisations of every kind, nested operator
// communities, security agreements in and out of force, users, collections
// with read and write lists and default markings, and thousands of object
// versions with every kind of marking), loads it into a real store, and
// then asks every read path, for every principal, what it returns. Each
// answer must equal what an independent reference, written plainly in this
// package from the rules of ARCHITECTURE.md, says the principal may read:
// nothing hidden shown, nothing visible missing. It checks again after the
// directory changes (an agreement expires by the clock alone, a partner
// joins a community, a community loses a member, an organisation is added).
//
// Stores call Run with a function that opens a fresh store; read paths are
// pluggable (ReadPath), so later features add their own checker.
//
// Flags (go test ./leaktest/ -args ...): -leak.seed=N replays a world (0
// picks a random seed, printed on failure); -leak.objects=N scales the
// world (default 2500, 1200 under the race detector); -leak.full checks
// every path for every principal in every phase.
package leaktest
