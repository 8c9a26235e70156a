package flexjson

import (
	"encoding/json"
	"testing"
)

func TestBool(t *testing.T) {
	tests := []struct {
		in   string
		want Bool
	}{
		{`true`, Bool{true, true}}, {`false`, Bool{false, true}},
		{`"true"`, Bool{true, true}}, {`"True"`, Bool{true, true}}, {`"FALSE"`, Bool{false, true}},
		{`"1"`, Bool{true, true}}, {`0`, Bool{false, true}},
		{`null`, Bool{}}, {`""`, Bool{}}, {`"maybe"`, Bool{}}, {`[1]`, Bool{}},
		{`{"value": true, "text": "TRUE"}`, Bool{true, true}},
		{`{"value": false, "text": "FALSE"}`, Bool{false, true}},
		{`{"value": null, "text": "UNKNOWN"}`, Bool{}},
		{`{"text": "TRUE"}`, Bool{true, true}},
	}
	for _, tt := range tests {
		var got struct {
			F Bool `json:"f"`
		}
		if err := json.Unmarshal([]byte(`{"f": `+tt.in+`}`), &got); err != nil {
			t.Errorf("Bool(%s): %v", tt.in, err)
			continue
		}
		if got.F != tt.want {
			t.Errorf("Bool(%s) = %+v, want %+v", tt.in, got.F, tt.want)
		}
	}
	var absent struct {
		F Bool `json:"f"`
	}
	if json.Unmarshal([]byte(`{}`), &absent); absent.F.Valid {
		t.Errorf("absent Bool is valid")
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in      string
		want    String
		wantInt int
		intOK   bool
	}{
		{`"9692"`, String{"9692", true}, 9692, true},
		{`9692`, String{"9692", true}, 9692, true},
		{`"-1"`, String{"-1", true}, -1, true},
		{`12.0`, String{"12.0", true}, 12, true},
		{`""`, String{"", true}, 0, false},
		{`null`, String{}, 0, false},
		{`"0.70"`, String{"0.70", true}, 0, false},
	}
	for _, tt := range tests {
		var got String
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("String(%s): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("String(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
		if n, ok := got.Int(); n != tt.wantInt || ok != tt.intOK {
			t.Errorf("String(%s).Int() = %d, %v, want %d, %v", tt.in, n, ok, tt.wantInt, tt.intOK)
		}
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		in   string
		want Message
	}{
		{`"Invalid API key"`, Message{Text: "Invalid API key"}},
		{`["Invalid API key", "or out of credits"]`, Message{Text: "Invalid API key; or out of credits"}},
		{`{"message": "Invalid API key provided.", "code": "unauthorized", "details": null}`, Message{Text: "Invalid API key provided.", Code: "unauthorized"}},
		{`{"code": "quota_reached"}`, Message{Text: "quota_reached", Code: "quota_reached"}},
		{`null`, Message{}},
		{`42`, Message{Text: "42"}},
	}
	for _, tt := range tests {
		var got Message
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("Message(%s): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Message(%s) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
