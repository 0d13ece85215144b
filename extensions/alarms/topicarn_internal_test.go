package alarms

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestTopicArnValueEscapes: only the three pseudo parameters stay live in
// the Fn::Sub of a topic ARN; any other ${ is written literally.
func TestTopicArnValueEscapes(t *testing.T) {
	if got := topicArnValue("arn:aws:sns:eu-west-1:123456789012:ops"); got != "arn:aws:sns:eu-west-1:123456789012:ops" {
		t.Errorf("a literal ARN is changed: %q", got)
	}
	got := topicArnValue("arn:aws:sns:${AWS::Region}:123456789012:a${Evil}")
	raw, err := base64.StdEncoding.DecodeString(got)
	if err != nil {
		t.Fatalf("not an intrinsic: %q", got)
	}
	if want := `"arn:aws:sns:${AWS::Region}:123456789012:a${!Evil}"`; !strings.Contains(string(raw), want) {
		t.Errorf("Fn::Sub body %s, want %s", raw, want)
	}
}
