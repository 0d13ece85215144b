package render

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// unprintableRunes is every character a template must carry as an escape.
func unprintableRunes() []rune {
	var out []rune
	for r := rune(0); r < 0x20; r++ {
		if r != '\t' && r != '\n' && r != '\r' {
			out = append(out, r)
		}
	}
	for r := rune(0x7f); r <= 0x9f; r++ {
		out = append(out, r)
	}
	return append(out, 0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff)
}

// controlTree puts each unprintable character in a one-line value, a
// multi-line value (which the YAML writer would write as a literal block),
// a key and a list item.
func controlTree() Tree {
	values := map[string]any{}
	for _, r := range unprintableRunes() {
		c := string(r)
		values["one"+c] = "a" + c + "b"
		values["multi"+c] = "line one\nline " + c + " two\n"
		values["list"+c] = []any{c, "x\n" + c}
	}
	return Tree{"AWSTemplateFormatVersion": "2010-09-09", "Resources": map[string]any{
		"R": map[string]any{"Type": "AWS::SSM::Parameter", "Properties": values}}}
}

// rawUnprintable finds a character written raw that should be an escape.
func rawUnprintable(out []byte) (rune, bool) {
	for _, r := range string(out) {
		if r != utf8.RuneError && unprintable(r) {
			return r, true
		}
	}
	return 0, false
}

// TestOutputEscapesUnprintable: C0 and C1 controls, DEL, the Unicode line
// separators, the BOM, U+FFFE and U+FFFF reach the template as escapes in
// both formats (a raw U+FFFF in a YAML literal block made the template
// unreadable), and both read back to the same strings.
func TestOutputEscapesUnprintable(t *testing.T) {
	tree := controlTree()
	for _, format := range []Format{YAML, JSON} {
		out, err := EncodeTree(tree, format)
		if err != nil {
			t.Fatal(err)
		}
		if r, bad := rawUnprintable(out); bad {
			t.Errorf("%s output carries U+%04X raw", format, r)
		}
		var back map[string]any
		if format == JSON {
			err = json.Unmarshal(out, &back)
		} else {
			err = yaml.Unmarshal(out, &back)
		}
		if err != nil {
			t.Errorf("%s output does not parse: %v", format, err)
			continue
		}
		if !reflect.DeepEqual(back, normalizeForYAML(tree)) {
			t.Errorf("%s output reads back different strings", format)
		}
	}
}

// TestOutputUnprintableReadByPyYAML applies the rules of the parser that
// cfn-lint and the moto emulator read templates with (PyYAML, YAML 1.1,
// which also takes NEL and U+2028/9 for line breaks): both formats load,
// and every value is the string composex was given.
func TestOutputUnprintableReadByPyYAML(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("python3 is required (CI installs it; the tests deploy to moto with it)")
	}
	tree := controlTree()
	want, _ := json.Marshal(tree)
	for _, format := range []Format{YAML, JSON} {
		out, _ := EncodeTree(tree, format)
		cmd := exec.Command("python3", "-c", "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.buffer.read().decode('utf-8')), sort_keys=True))")
		cmd.Stdin = strings.NewReader(string(out))
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: PyYAML cannot read the output: %v", format, err)
		}
		var a, b any
		_ = json.Unmarshal(want, &a)
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: PyYAML reads other strings than composex wrote", format)
		}
	}
}

// TestEscapeUnprintableJSONKeepsTheRest: the common string is returned
// as it is (the same bytes), and only the listed characters change.
func TestEscapeUnprintableJSONKeepsTheRest(t *testing.T) {
	for in, want := range map[string]string{
		`"plain"`:                                    `"plain"`,
		`"caf` + "\u00e9" + `"`:                      `"caf` + "\u00e9" + `"`,
		`"a` + "\x7f" + `b"`:                         `"a\u007fb"`,
		`"` + "\u0085\u009f" + `"`:                   `"\u0085\u009f"`,
		`"` + "\ufeff\ufffe\uffff\ufffd\uff01" + `"`: `"\ufeff\ufffe\uffff` + "\ufffd\uff01" + `"`,
	} {
		if got := string(escapeUnprintableJSON([]byte(in))); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
