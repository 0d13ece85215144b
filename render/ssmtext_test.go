package render

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStoredLength(t *testing.T) {
	cases := []struct {
		text string
		sub  bool
		want int
		err  string
	}{
		{"plain ${AWS::StackName}", false, 23, ""},
		{"/ecs/${AWS::StackName}/api", true, 5 + 128 + 4, ""},
		{"${AWS::Region}:${AWS::AccountId}:${AWS::Partition}:${AWS::URLSuffix}", true, 20 + 1 + 12 + 1 + 16 + 1 + 20, ""},
		{"user ${!HOME} text", true, len("user ${HOME} text"), ""},
		{"${!", true, 2, ""},
		{"a ${Bucket.Arn}", true, 0, "${Bucket.Arn} in a stored configuration: composex cannot bound its length"},
		{"a ${AWS::StackName", true, 0, "an unclosed ${ in a Fn::Sub string"},
	}
	for _, c := range cases {
		got, err := StoredLength(c.text, c.sub)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.text, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q (sub %v): %d, %v; want %d", c.text, c.sub, got, err, c.want)
		}
	}
}

func TestParameterTier(t *testing.T) {
	stack := "${AWS::StackName}"
	cases := []struct {
		name string
		text string
		sub  bool
		want string
		err  string
	}{
		{"empty", "", false, TierStandard, ""},
		{"4096 plain", strings.Repeat("x", 4096), false, TierStandard, ""},
		{"4097 plain", strings.Repeat("x", 4097), false, TierAdvanced, ""},
		// 4000 written, but a 128-character stack name makes it 4112 once stored.
		{"stack name pushes past Standard", strings.Repeat("x", 4000-len(stack)) + stack, true, TierAdvanced, ""},
		{"8192 plain", strings.Repeat("x", 8192), false, TierAdvanced, ""},
		{"8193 plain", strings.Repeat("x", 8193), false, "", "the thing is up to 8193 characters once stored; an SSM parameter holds 8192 at most (Advanced tier)"},
	}
	for _, c := range cases {
		got, err := ParameterTier("the thing", c.text, c.sub)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
		if TierLimit(got) == 0 {
			t.Errorf("%s: %q has no limit", c.name, got)
		}
	}
}

func TestReviewJSONSortsAndIndents(t *testing.T) {
	type inner struct {
		Z int    `json:"z"`
		A string `json:"a"`
	}
	got, err := ReviewJSON(struct {
		B inner   `json:"b"`
		A float64 `json:"a"`
		R string  `json:"r"`
	}{inner{1, "x"}, 0.5, "^a<b>$"})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"a\": 0.5,\n  \"b\": {\n    \"a\": \"x\",\n    \"z\": 1\n  },\n  \"r\": \"^a<b>$\"\n}"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReviewYAML(t *testing.T) {
	var v any
	dec := json.NewDecoder(strings.NewReader(`{"static": {"listeners": [{"name": "in", "address": {"socket_address": {"port_value": 80, "address": "0.0.0.0"}},
		"long": {"a": "` + strings.Repeat("x", 70) + `", "b": "on"}}]}, "ratio": 0.25, "flag": true, "num": "8080", "empty": {}}`))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	got, err := ReviewYAML(v)
	if err != nil {
		t.Fatal(err)
	}
	// Keys sorted; the short address on one line, the long mapping in
	// block; a string that reads as a number or a YAML 1.1 boolean quoted.
	want := `empty: {}
flag: true
num: "8080"
ratio: 0.25
static:
  listeners:
    - address: {socket_address: {address: 0.0.0.0, port_value: 80}}
      long:
        a: ` + strings.Repeat("x", 70) + `
        b: "on"
      name: in
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
