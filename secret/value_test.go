package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestValueRedacts(t *testing.T) {
	const plant = "hunter2-planted"
	v := StringValue(plant)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "v", v)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "v", v)
	js, _ := json.Marshal(map[string]any{"v": v, "p": &v})
	outs := []string{
		v.String(), fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", v, v, v, v, v, v, v, v),
		fmt.Sprintf("%v", struct{ V Value }{v}), fmt.Sprintf("%+v", &struct{ V *Value }{&v}),
		string(js), logs.String(),
	}
	for _, o := range outs {
		if strings.Contains(o, plant) || strings.Contains(o, fmt.Sprintf("%x", plant)) {
			t.Errorf("output leaks the value: %s", o)
		}
		if !strings.Contains(o, Redacted) {
			t.Errorf("output lacks the redaction marker: %s", o)
		}
	}
	if v.RevealString() != plant || string(v.Reveal()) != plant || v.Len() != len(plant) {
		t.Fatal("accessors do not return the value")
	}
	b := v.Reveal()
	b[0] = 'X'
	if v.RevealString() != plant {
		t.Fatal("Reveal returned the internal buffer")
	}
}
