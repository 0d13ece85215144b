package render

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Characters a template must not carry raw. YAML's printable set (1.2,
// §5.1) excludes the C0 controls but tab and line ends, DEL, the C1
// controls but NEL, the surrogates, U+FFFE and U+FFFF; YAML 1.1 readers
// (PyYAML, so cfn-lint and the moto emulator) also read NEL, U+2028 and
// U+2029 as line breaks, and a byte order mark inside a document is an
// error there. composex escapes them all, in YAML and in JSON output, so
// that a value (an environment value, a label) reaches CloudFormation as
// written whichever parser reads the template; an escape is the same
// string to every JSON and YAML reader.

// unprintable reports whether r must be written as an escape.
func unprintable(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n' && r != '\r'
	case r < 0x7f:
		return false
	case r <= 0x9f: // DEL and C1 (NEL included)
		return true
	}
	return r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff || r == utf8.RuneError
}

// blockSafe reports whether s may be written raw in a YAML literal block:
// nothing in it needs an escape but its line feeds.
func blockSafe(s string) bool {
	for _, r := range s {
		if r != '\n' && r != '\t' && r != '\r' && unprintable(r) {
			return false
		}
	}
	return true
}

// escapeUnprintableJSON rewrites, in one JSON-encoded string, what
// encoding/json leaves raw (DEL, C1, U+FEFF, U+FFFE, U+FFFF) as \u
// escapes. encoding/json already escapes C0, U+2028 and U+2029, and its
// input is valid UTF-8 (invalid bytes became U+FFFD). The common case, a
// string with none of their lead bytes, is returned as it is.
func escapeUnprintableJSON(enc []byte) []byte {
	if bytes.IndexByte(enc, 0x7f) < 0 && bytes.IndexByte(enc, 0xc2) < 0 && bytes.IndexByte(enc, 0xef) < 0 {
		return enc
	}
	var out bytes.Buffer
	out.Grow(len(enc) + 16)
	for i := 0; i < len(enc); {
		r, size := utf8.DecodeRune(enc[i:])
		if r != utf8.RuneError && unprintable(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
		} else {
			out.Write(enc[i : i+size])
		}
		i += size
	}
	return out.Bytes()
}
