// Package match evaluates STIX 2.1 patterns (STIX 2.1 part 9) against
// observations, and keeps an Index of live indicators so that an
// observation is tried only against the indicators it could satisfy.
//
// Compile turns a pattern into a *Pattern once; Pattern.Match evaluates it
// over a batch of observations with no index; Index.Match and
// Index.MatchBatch do the same for every indicator of the index at once,
// and must agree with the plain evaluation (FuzzIndexAgreesWithPlain
// checks it). FromObjects and FromBundle turn STIX objects into
// observations.
//
// # Semantics
//
// Where the specification leaves room, the matcher reads it as follows.
//
//   - An observation expression [C] matches one observation when one of
//     its SCOs, as the start of every object path in C, satisfies C
//     (section 9.5): [a:x = 1 AND a:y = 2] needs one object of type a with
//     both; [a:x = 1 OR b:y = 2] takes an object of either type.
//   - A path that reaches no value (absent, another object type, a list
//     index out of range, a reference that the observation cannot
//     resolve) makes its comparison false, with or without NOT (section
//     9.6: "regardless of the operators"). JSON null is absent.
//   - Values of types that do not compare (a string property and an
//     integer, a list reached without an index) make every operator false
//     except != (section 9.6.1). NOT op negates op: a NOT = b is a != b.
//   - [*] makes a comparison true when it holds for any item (section
//     9.7.2); NOT negates that whole result, so "p[*] NOT = 'x'" means no
//     item is 'x', while "p[*] != 'x'" means some item is not 'x'. A
//     negative index counts from the end of the list.
//   - Strings compare by code point, exactly, with no normalisation and
//     no case folding (section 9.6.2), hashes included. One exception,
//     which the specification's own examples need ('198.51.100.1/32'
//     against an address): the value of an ipv4-addr or ipv6-addr object
//     also equals (=, !=, IN) a constant that names the same address or
//     masked CIDR block in another spelling. Ordering stays textual.
//   - Integers and floats compare by exact value: 1 = 1.0, 1 != 1.5
//     (section 9.2). Booleans compare with booleans. A t'…' constant
//     compares with a string property that is a STIX timestamp, as an
//     instant.
//   - A property whose name ends in _bin (base64) or _hex is compared as
//     octets (section 9.6.4): with b'…' and h'…', and with a string
//     constant whose code points are all below U+0100, each one octet.
//     A string property meets b'…' and h'…' the same way. LIKE and MATCHES
//     see a binary property's octets as the code points U+0000…U+00FF.
//   - LIKE: % is any run of characters, _ exactly one code point; there is
//     no escape character. Pattern and value are NFC-normalised.
//   - MATCHES searches (unanchored) with DOTALL set, after NFC-normalising
//     a string value (section 9.6.1); see below for the regular
//     expressions it takes.
//   - ISSUBSET and ISSUPERSET compare IPv4 or IPv6 addresses and CIDR
//     blocks as sets; a single address is a block of one; blocks of two
//     address families contain nothing of each other; a value that is not
//     an address is false (the string as written, even on a _bin
//     property). Compile refuses a constant that is not one. ISSUBSET is
//     indexed: the value files under each widening of itself to the block
//     lengths the index holds.
//   - IN sets must be of one type (section 9.6.1): integers with floats
//     and binary with hex count as one.
//   - AND, OR and FOLLOWEDBY between observation expressions, and REPEATS,
//     use different observations (section 9.5.2); an observed-data stands
//     for number_observed observations, all at unknown times between
//     first_observed and last_observed (section 9.1). A qualifier holds
//     only if it holds wherever in those windows the observations fell:
//     FOLLOWEDBY wants the right side to start at or after the left side's
//     last last_observed; WITHIN x SECONDS wants the last last_observed
//     less than x seconds after the first first_observed, unless the match
//     is a single observation; START s STOP t wants first_observed >= s and
//     last_observed < t for every observation (section 9.5.1).
//   - Observations are matched a batch at a time (one bundle or envelope).
//     The index keeps no history between batches, so a match never joins
//     two submissions' observations.
//   - A lone SCO (one that no observed-data of its batch lists) is an
//     observation by itself, seen once at the time the caller gives.
//
// # MATCHES and RE2
//
// The specification asks for PCRE; Go has RE2, which runs in time linear
// in the input and so cannot do what needs backtracking. Compile refuses,
// naming the construct, a regular expression that uses:
//
//   - backreferences: \1…\9, \g1, \g{-1}, \k<name>, (?P=name);
//   - lookaround: (?=…), (?!…), (?<=…), (?<!…);
//   - atomic groups (?>…) and possessive quantifiers *+ ++ ?+ {n}+;
//   - recursion and subroutine calls: (?R), (?1), (?&name), (?P>name);
//   - conditionals (?(…)…), branch reset (?|…), comments (?#…), the (?x),
//     (?J) and (?X) flags, the (?'name'…) group form, PCRE verbs (*…);
//   - the escapes \G \Z \K \R \X \h \H \V \N \C \e \cX \o{…} \u;
//   - \v, which compiles in RE2 but means only the vertical tab, where in
//     PCRE it is any vertical white space: refused rather than run with
//     another meaning;
//   - repeat counts above 1000, and expressions too large once compiled.
//
// Differences that compile and are not refused:
//
//   - $ without (?m) matches only at the very end; PCRE's also matches
//     before a final newline (write \n?$ for that);
//   - \s does not match the vertical tab (PCRE's does, since 8.34);
//   - \12 and the like are octal escapes, never backreferences;
//   - \w, \d, \b and [[:alpha:]] are ASCII only, as in PCRE without UCP,
//     while (?i) folds case over all of Unicode;
//   - RE2 reports the leftmost-first match as PCRE does, but MATCHES only
//     asks whether there is one, so this never shows.
package match
