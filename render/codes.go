package render

import (
	"regexp"
	"runtime"
	"strings"
	"sync"
)

// Every diagnostic carries a stable code (CX0001...) that a user can look
// up in the README and a CI filter can match. Call sites do not name their
// code: Errorf and Warnf find it from the component that calls them (the
// package, e.g. "extensions/scaling") and the format string; a Diagnostic
// built whole and passed to Add finds it from the function that adds it
// ("@Func"). TestEveryDiagnosticHasACode parses the source and fails, with
// the lines to paste below, for any message without an entry, so a new
// message cannot go uncoded.

// CodeEntry is one row of the code table.
type CodeEntry struct {
	Code      string
	Component string // the package that reports it: render, schema, extensions/NAME
	Severity  string // error, warning, or error/warning
	Message   string // the format string, or @Func for a diagnostic built whole in Func
}

// UncodedCode is what a diagnostic gets when no entry matches: a bug,
// which TestEveryDiagnosticHasACode exists to prevent.
const UncodedCode = "CX0000"

// CodeTable returns the table, in code order, for the README.
func CodeTable() []CodeEntry { return append([]CodeEntry(nil), codeTable...) }

// RetiredCodes are codes of messages that no longer exist. A code is never
// given to another message: when a message goes, its code moves here.
func RetiredCodes() []string { return append([]string(nil), retiredCodes...) }

var (
	codeIndexOnce sync.Once
	codeIndex     map[string]string
)

func codeKey(component, message string) string { return component + "\x00" + message }

func lookupCode(component, message string) string {
	codeIndexOnce.Do(func() {
		codeIndex = make(map[string]string, len(codeTable))
		for _, e := range codeTable {
			codeIndex[codeKey(e.Component, e.Message)] = e.Code
		}
	})
	if c, ok := codeIndex[codeKey(component, message)]; ok {
		return c
	}
	return UncodedCode
}

// modulePrefix is stripped from function names to give components.
const modulePrefix = "github.com/composex/composex/"

// caller returns the component and top-level function (closures folded
// into the function that holds them) skip frames above its own caller.
func caller(skip int) (component, function string) {
	pcs := make([]uintptr, 1)
	if runtime.Callers(skip+2, pcs) == 0 {
		return "", ""
	}
	frame, _ := runtime.CallersFrames(pcs).Next()
	return splitFuncName(frame.Function)
}

// splitFuncName turns "github.com/composex/composex/extensions/scaling.(*x).check.func1"
// into ("extensions/scaling", "(*x).check").
func splitFuncName(name string) (component, function string) {
	name = strings.TrimPrefix(name, modulePrefix)
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	if dot < 0 {
		return name, ""
	}
	component, rest := name[:slash+1+dot], name[slash+1+dot+1:]
	parts := strings.Split(rest, ".")
	function = parts[0]
	if strings.HasPrefix(function, "(") && len(parts) > 1 {
		function += "." + parts[1]
	} else if len(parts) > 1 && !strings.HasPrefix(parts[1], "func") && parts[1] != "" && !isDigits(parts[1]) {
		function += "." + parts[1] // a method with a value receiver: T.M
	}
	if i := strings.Index(function, "["); i >= 0 {
		function = function[:i] // a generic function's instantiation
	}
	return component, function
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// codeSummaries describe, for the README, the rows whose message is not a
// format string (a diagnostic built whole, keyed by its function).
var codeSummaries = map[string]string{
	"CX0496": "the YAML structure is past a limit: an anchor used inside its own value, aliases that expand too far, a value too long; or a service, volume, network, secret or config name compose refuses",
	"CX0624": "one of several problems the compose loader (compose-go) reported together, each at its key",
	"CX0625": "a value the compose loader could not decode (a size such as -512M), at its key",
	"CX0497": "a ${VARIABLE} is not set and is replaced by an empty string",
	"CX0498": "the compose loader (compose-go) refused the file: YAML syntax, the compose specification, interpolation, a missing image",
	"CX0499": "a secret with no source is skipped, as compose-x skips it",
	"CX0500": "an env_file or label_file cannot be read: outside the project, not a regular file, too large",
	"CX0501": "a service publishes or exposes more ports than composex allows",
	"CX0502": "a compose file is too large or empty",
	"CX0504": "an x- block does not match its JSON Schema",
	"CX0614": "a compose file holds a byte YAML cannot read: NUL or another control character, or invalid UTF-8",
}

// CodeSummary is the README's description of a code's message: the
// format string with its verbs as "…", or the summary of a whole-built one.
func CodeSummary(e CodeEntry) string {
	if s, ok := codeSummaries[e.Code]; ok {
		return s
	}
	s := verbRE.ReplaceAllString(e.Message, "…")
	if strings.Trim(s, "…:; ") == "" {
		return "(" + e.Component + ": a message composed at run time, e.g. from a parse error)"
	}
	return s
}

var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[vsdqgfetxXTc]`)

// CodeEntryFor returns the table row of a code.
func CodeEntryFor(code string) (CodeEntry, bool) {
	for _, e := range codeTable {
		if e.Code == code {
			return e, true
		}
	}
	return CodeEntry{}, false
}
