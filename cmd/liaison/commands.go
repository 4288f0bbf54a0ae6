package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"liaison"
)

// command is one CLI command, such as "org add": what help says of it, and
// the struct of its own flags that runs it.
type command struct {
	name    string // words as typed: "org add"
	args    string // positional arguments, for the usage line: "CODE"
	summary string // one line, for help
	example string // command lines, one a line, for -h
	// flags returns a fresh, zero struct of the command's own flags.
	flags func() runner
}

// runner is a command's own flags, a struct of typed fields: declare binds
// each field to its flag, and run carries the command out with their
// values once the command line is parsed. A command can read only the
// fields of its own struct, so reading a flag that it has no field for
// does not compile.
type runner interface {
	declare(fs *flag.FlagSet)
	run(ctx context.Context, e *env, st *storeFlags, args []string) error
}

// noFlags is embedded by commands that take only --data and --db.
type noFlags struct{}

func (noFlags) declare(*flag.FlagSet) {}

// commands is every command, in the order help lists them.
var commands = []command{
	{name: "agreement add", summary: "record a security agreement or a partnership programme with a partner",
		example: "liaison agreement add --partner JPN --kind security --max-classification \"NATO CONFIDENTIAL\" --from 2010-06-25\n" +
			"liaison agreement add --partner JPN --kind programme --name \"ITPP 2023-2026\" --from 2023-07-12 --until 2026-12-31 --area \"cyber defence\" --area \"space security\"",
		flags: func() runner { return &agreementAddCmd{} }},
	{name: "agreement end", args: "ID", summary: "end an agreement at a date (default now)",
		example: `liaison agreement end 3 --at 2026-12-31`,
		flags:   func() runner { return &agreementEndCmd{} }},
	{name: "agreement list", summary: "list agreements and whether each is in force",
		example: `liaison agreement list`,
		flags:   func() runner { return &agreementListCmd{} }},
	{name: "audit consistency", args: "OLD NEW", summary: "prove the audit checkpoint of tree size OLD a prefix of the one of size NEW",
		example: "liaison audit consistency 120 480",
		flags:   func() runner { return &auditConsistencyCmd{} }},
	{name: "audit export", summary: "export audit entries as JSON lines, for a SIEM",
		example: "liaison audit export --since 2026-12-01 --format jsonl > audit.jsonl",
		flags:   func() runner { return &auditExportCmd{} }},
	{name: "audit key", summary: "print the office's public audit key (signed-note verifier form)",
		example: "liaison audit key",
		flags:   func() runner { return &auditKeyCmd{} }},
	{name: "audit log", summary: "list audit entries by principal, organisation, object, action or time",
		example: "liaison audit log --principal jpn-analyst --since 2026-12-01\nliaison audit log --object indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		flags:   func() runner { return &auditLogCmd{} }},
	{name: "audit prove", args: "ENTRY", summary: "print an inclusion proof of one audit entry in a signed checkpoint",
		example: "liaison audit prove 42 --checkpoint 480",
		flags:   func() runner { return &auditProveCmd{} }},
	{name: "audit verify", summary: "check every audit entry against the tree and every checkpoint's signature and consistency; exits 1 on any failure",
		example: "liaison audit verify\nliaison audit verify --key \"$(liaison audit key)\"",
		flags:   func() runner { return &auditVerifyCmd{} }},
	{name: "audit who-received", args: "OBJECT-ID", summary: "list every principal and organisation that received any version of an object, when and how",
		example: "liaison audit who-received indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
		flags:   func() runner { return &auditWhoCmd{} }},
	{name: "backup", summary: "write a consistent copy of the SQLite store to a new file, while the office serves and writes",
		example: "liaison backup --data /var/lib/liaison --to /backups/liaison-$(date +%F).db",
		flags:   func() runner { return &backupCmd{} }},
	{name: "bench", summary: "measure ingest, import and reads on this machine, over real HTTP on loopback, against a fresh store",
		example: "liaison bench --sizes 10k,100k,1m --json bench.json\nliaison bench --quick\nliaison bench --write-bundle feed.json --objects 1000000",
		flags:   func() runner { return &benchCmd{} }},
	{name: "collection add", summary: "add a collection: a channel with a topic, read and write lists and a default marking",
		example: `liaison collection add --title "Cyber threats" --topic cyber --read NATO,IP4 --write NATO,JPN --default-marking ` + liaison.TLPAmberID,
		flags:   func() runner { return &collectionAddCmd{} }},
	{name: "collection list", summary: "list collections with their read and write lists",
		example: `liaison collection list`,
		flags:   func() runner { return &collectionListCmd{} }},
	{name: "collection match", args: "[ID on|off]", summary: "turn matching on ingest on or off for a collection (each observed-data written there is matched as its writer, sightings recorded there); alone, list the collections that have it",
		example: "liaison collection match e55813c7-0446-4478-ae9d-76dc5d955e28 on\nliaison collection match",
		flags:   func() runner { return &collectionMatchCmd{} }},
	{name: "community add", args: "NAME MEMBER...", summary: "define a community of organisations and other communities",
		example: `liaison community add FIVE-EYES USA GBR CAN AUS NZL`,
		flags:   func() runner { return &communityAddCmd{} }},
	{name: "community list", summary: "list communities, built-in ones expanded",
		example: `liaison community list`,
		flags:   func() runner { return &communityListCmd{} }},
	{name: "community set", args: "NAME MEMBER...", summary: "replace the members of a community",
		example: `liaison community set FIVE-EYES USA GBR CAN AUS NZL JPN`,
		flags:   func() runner { return &communitySetCmd{} }},
	{name: "consult cancel", args: "ID", summary: "cancel a consultation, as an officer of its convenor",
		example: "liaison consult cancel 1 --as natois-officer",
		flags:   func() runner { return &consultStatusCmd{to: liaison.ConsultationCancelled} }},
	{name: "consult list", summary: "list the consultations a user can see",
		example: "liaison consult list --as jpn-analyst",
		flags:   func() runner { return &consultListCmd{} }},
	{name: "consult open", args: "ID", summary: "open a consultation, as an officer of its convenor",
		example: "liaison consult open 1 --as natois-officer",
		flags:   func() runner { return &consultStatusCmd{to: liaison.ConsultationOpen} }},
	{name: "consult show", args: "ID", summary: "show one consultation and its contributions as a user sees them (JSON)",
		example: "liaison consult show 1 --as jpn-analyst",
		flags:   func() runner { return &consultShowCmd{} }},
	{name: "consult slots", summary: "propose meeting slots across the participants' time zones",
		example: "liaison consult slots --participants NATO-IS,USA,JPN,AUS --duration 60 --from 2026-03-02 --to 2026-03-14",
		flags:   func() runner { return &consultSlotsCmd{} }},
	{name: "copy", summary: "copy a whole office from one store to an empty one: SQLite to PostgreSQL or back",
		example: "liaison copy --from /var/lib/liaison --to postgres://liaison@db:5432/office?sslmode=disable\n" +
			"liaison copy --from postgres://liaison@db:5432/office --to ./office-backup",
		flags: func() runner { return &copyCmd{} }},
	{name: "decide act", args: "ID ACTION", summary: "act on a draft decision: circulate, break-silence, concur, object, revise, withdraw or comment",
		example: `liaison decide act 1 break-silence --as fra-officer --reason "NATO's scope is the North Atlantic area (Articles 5 and 6)"`,
		flags:   func() runner { return &decideActCmd{} }},
	{name: "decide list", summary: "list the draft decisions a user can see, settled now",
		example: "liaison decide list --as fra-officer",
		flags:   func() runner { return &decideListCmd{} }},
	{name: "decide propose", summary: "table a draft decision of the North Atlantic Council",
		example: `liaison decide propose --as natois-officer --title "Open a NATO liaison office in Tokyo" --text "..." --procedure silence --releasable-to NATO,IP4`,
		flags:   func() runner { return &decideProposeCmd{} }},
	{name: "decide show", args: "ID", summary: "show a draft decision with its rounds and its record (JSON)",
		example: "liaison decide show 1 --as fra-officer",
		flags:   func() runner { return &decideShowCmd{} }},
	{name: "demo", summary: "run the Tokyo liaison office with a sample world, ready to click through",
		example: "liaison demo                      # a fresh office in a temporary folder\nliaison demo --data ./demo-office  # keep it\n" +
			"liaison demo --metrics-addr 127.0.0.1:9090  # and Prometheus metrics at http://127.0.0.1:9090/metrics",
		flags: func() runner { return &demoCmd{} }},
	{name: "export", summary: "export what a user may read as one STIX 2.1 bundle (streamed)",
		example: "liaison export --as jpn-analyst --type indicator --added-after 2024-01-01T00:00:00Z --output jpn.json",
		flags:   func() runner { return &exportCmd{} }},
	{name: "import", args: "FILE...", summary: "import STIX 2.1 bundles, or MISP events with --format misp (streamed; FILE may be - for stdin)",
		example: "liaison import --as usa-analyst --collection e55813c7-0446-4478-ae9d-76dc5d955e28 ics-attack-18.1.json\n" +
			"liaison import --as usa-analyst --format misp --distribution 1=NATO --sharing-group \"Baltic CERTs\"=EST,LVA,LTU event.json",
		flags: func() runner { return &importCmd{} }},
	{name: "init", summary: "create the store with the office's organisation and its first admin; prints the admin's API token alone on stdout",
		example: "TOKEN=$(liaison init --data /var/lib/liaison --org NATO-LO-TOKYO --org-name \"NATO Liaison Office Tokyo\" --nations)",
		flags:   func() runner { return &initCmd{} }},
	{name: "match", args: "FILE", summary: "match a bundle of observations against the indicators a user may read; --record writes sightings",
		example: "liaison match --as jpn-analyst observations.json\nliaison match --as usa-analyst --record --collection e55813c7-0446-4478-ae9d-76dc5d955e28 observations.json",
		flags:   func() runner { return &matchCmd{} }},
	{name: "migrate", summary: "upgrade a store's schema to this version of liaison and report its version",
		example: "liaison migrate --data /var/lib/liaison\nliaison migrate --db postgres://liaison@db:5432/office?sslmode=disable",
		flags:   func() runner { return &migrateCmd{} }},
	{name: "org add", args: "CODE", summary: "add an organisation (ally, partner or NATO body)",
		example: `liaison org add JPN --name Japan --kind partner --tz Asia/Tokyo`,
		flags:   func() runner { return &orgAddCmd{} }},
	{name: "org list", summary: "list the organisations on the hub",
		example: `liaison org list`,
		flags:   func() runner { return &orgListCmd{} }},
	{name: "peer allow", args: "NAME", summary: "let peer office NAME, which serves those organisations and communities, pull from here; prints its token alone on stdout, once",
		example: `liaison peer allow tokyo --serves JPN,NATO > tokyo.token`,
		flags:   func() runner { return &peerAllowCmd{} }},
	{name: "peer checkpoint", args: "NAME", summary: "print the newest audit checkpoint of peer NAME that this office cosigned, for 'liaison audit verify --witnessed' there",
		example: `liaison peer checkpoint tokyo > tokyo-cosigned.note`,
		flags:   func() runner { return &peerCheckpointCmd{} }},
	{name: "peer list", summary: "list the peer offices that pull from here and those this office pulls from",
		example: `liaison peer list`,
		flags:   func() runner { return &peerListCmd{} }},
	{name: "peer pull", args: "NAME", summary: "pull collections from peer office NAME (serve syncs every --peer-interval)",
		example: `liaison peer pull brussels --url https://brussels.example.org/taxii2/tokyo/ --token-file brussels.token --collection REMOTE-ID=LOCAL-ID`,
		flags:   func() runner { return &peerPullCmd{} }},
	{name: "peer remove", args: "NAME", summary: "end peer NAME's grant here and stop pulling from it; what it sent stays",
		example: `liaison peer remove tokyo`,
		flags:   func() runner { return &peerRemoveCmd{} }},
	{name: "peer status", args: "[NAME]", summary: "show each peer's cursor, lag, last success, last error and rejected objects",
		example: `liaison peer status brussels`,
		flags:   func() runner { return &peerStatusCmd{} }},
	{name: "peer sync", args: "NAME", summary: "pull from peer NAME now, once",
		example: `liaison peer sync brussels`,
		flags:   func() runner { return &peerSyncCmd{} }},
	{name: "peer witness", args: "NAME", summary: "cosign the audit checkpoints of peer NAME at each sync, checking each against the last; a fork or rollback is an alarm in peer status",
		example: `liaison peer witness tokyo --audit-key "$(cat tokyo-audit.vkey)"`,
		flags:   func() runner { return &peerWitnessCmd{} }},
	{name: "restore", summary: "put a backup in place as the store of a new or empty data folder, and upgrade it",
		example: "liaison restore --from /backups/liaison-2026-12-01.db --data /var/lib/liaison",
		flags:   func() runner { return &restoreCmd{} }},
	{name: "serve", summary: "run the office: TAXII 2.1, the JSON API and the pages",
		example: "liaison serve --data /var/lib/liaison --addr 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem\n" +
			"liaison serve --data /var/lib/liaison --metrics-addr 127.0.0.1:9090  # Prometheus metrics at http://127.0.0.1:9090/metrics",
		flags: func() runner { return &serveCmd{} }},
	{name: "token create", summary: "create an API token for a user; prints the token alone on stdout, once",
		example: `TOKEN=$(liaison token create --user akiko)`,
		flags:   func() runner { return &tokenCreateCmd{} }},
	{name: "token list", summary: "list a user's tokens (ids only; secrets are never stored)",
		example: `liaison token list --user akiko`,
		flags:   func() runner { return &tokenListCmd{} }},
	{name: "token revoke", args: "TOKEN-ID", summary: "revoke an API token by its id",
		example: `liaison token revoke 4f1c2a9b`,
		flags:   func() runner { return &tokenRevokeCmd{} }},
	{name: "user add", args: "NAME", summary: "add a user of an organisation; the password comes from --password-file or stdin",
		example: `echo 's3cret-passphrase' | liaison user add akiko --org JPN --role analyst`,
		flags:   func() runner { return &userAddCmd{} }},
	{name: "user list", summary: "list users",
		example: `liaison user list`,
		flags:   func() runner { return &userListCmd{} }},
	{name: "user roles", args: "NAME", summary: "replace a user's roles",
		example: `liaison user roles akiko --role officer --role analyst`,
		flags:   func() runner { return &userRolesCmd{} }},
	{name: "user disable", args: "NAME", summary: "disable a user: no sign-in, no tokens, sessions end",
		example: `liaison user disable akiko`,
		flags:   func() runner { return &userDisableCmd{disabled: true} }},
	{name: "user enable", args: "NAME", summary: "enable a disabled user again",
		example: `liaison user enable akiko`,
		flags:   func() runner { return &userDisableCmd{} }},
}

// flagSet makes the command's flag set: --data and --db, which every
// command takes, and the command's own flags, bound to a fresh struct.
func (c *command) flagSet(getenv func(string) string) (*flag.FlagSet, *storeFlags, runner) {
	fs := flag.NewFlagSet("liaison "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	st := &storeFlags{}
	st.declare(fs, getenv)
	r := c.flags()
	r.declare(fs)
	return fs, st, r
}

// lookup finds the command with the most words that argv starts with.
func lookup(argv []string) (*command, []string) {
	var found *command
	words := 0
	for i := range commands {
		w := strings.Fields(commands[i].name)
		if len(w) > words && len(w) <= len(argv) && slices.Equal(w, argv[:len(w)]) {
			found, words = &commands[i], len(w)
		}
	}
	return found, argv[words:]
}

// groupOf returns the longest run of argv's first words that begins the
// names of longer commands, such as "org" for "org add" and "org list";
// "" if there is none.
func groupOf(argv []string) string {
	group := ""
	for n := 1; n <= len(argv); n++ {
		prefix := strings.Join(argv[:n], " ") + " "
		if !slices.ContainsFunc(commands, func(c command) bool { return strings.HasPrefix(c.name, prefix) }) {
			break
		}
		group = strings.TrimSpace(prefix)
	}
	return group
}

// runGroup answers a command line that names no command. A group alone,
// such as `liaison org`, lists the group's commands: on stdout with -h,
// else on stderr with exit 2, as a usage mistake. Anything else is an
// unknown command.
func runGroup(e *env, argv []string) int {
	group := groupOf(argv)
	if group == "" {
		fmt.Fprintf(e.stderr, "liaison: unknown command %q; run 'liaison help'\n", strings.Join(argv[:min(2, len(argv))], " "))
		return 2
	}
	words := len(strings.Fields(group))
	if words < len(argv) && !strings.HasPrefix(argv[words], "-") {
		fmt.Fprintf(e.stderr, "liaison: unknown command %q; run 'liaison help %s'\n", strings.Join(argv[:words+1], " "), group)
		return 2
	}
	if words < len(argv) && isHelpFlag(argv[words]) {
		printGroupHelp(e.stdout, group)
		return 0
	}
	printGroupHelp(e.stderr, group)
	return 2
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// printHelp prints the help for `liaison help [COMMAND]`: a command's
// help, a group's commands, or every command.
func printHelp(e *env, argv []string) {
	if len(argv) > 1 {
		if c, _ := lookup(argv[1:]); c != nil {
			fs, _, _ := c.flagSet(e.getenv)
			printCommandHelp(e.stdout, c, fs)
			return
		}
		if g := groupOf(argv[1:]); g != "" {
			printGroupHelp(e.stdout, g)
			return
		}
	}
	fmt.Fprint(e.stdout, `liaison runs an alliance liaison office: STIX 2.1 store, TAXII 2.1 server,
consultations and consensus decisions, releasability enforced for every reader.

Usage: liaison COMMAND [flags] [args]

Commands:
`)
	printCommandList(e.stdout, "")
	fmt.Fprint(e.stdout, `
Every command takes --data DIR (default ./liaison-data, or $LIAISON_DATA),
or --db postgres://user@host:5432/db (or $LIAISON_DB) to keep the office in
PostgreSQL instead.
Run 'liaison COMMAND -h' for a command's flags and an example.
`)
}

// printGroupHelp lists the commands of a group, such as "org".
func printGroupHelp(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: liaison %s COMMAND [flags] [args]\n\nCommands:\n", group)
	printCommandList(w, group+" ")
	fmt.Fprintf(w, "\nRun 'liaison %s COMMAND -h' for a command's flags and an example.\n", group)
}

// printCommandList prints a line for each command whose name starts with
// prefix: its name and its summary.
func printCommandList(w io.Writer, prefix string) {
	for _, c := range commands {
		if strings.HasPrefix(c.name, prefix) {
			fmt.Fprintf(w, "  %-22s %s\n", c.name, c.summary)
		}
	}
}

// usage is the command's usage line, positional arguments included.
func (c *command) usage() string {
	return strings.TrimSpace("Usage: liaison " + c.name + " [flags] " + c.args)
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s\n\n%s\n\nFlags:\n", c.usage(), c.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", strings.ReplaceAll(c.example, "\n", "\n  "))
	}
}
