// Package flexjson decodes the loosely typed JSON fields of email
// verification APIs: booleans sent as strings or as {"value", "text"}
// objects, numbers sent as strings, error messages sent as a string, a list
// or an object.
package flexjson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Bool is a boolean sent as true/false, as a string ("true", "False",
// "1"), or as an object {"value": bool|null, "text": "TRUE"}. Valid is
// false for null, an absent field or an unrecognised value.
type Bool struct {
	Value bool
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler. It never fails: an
// unrecognised value leaves the Bool invalid.
func (b *Bool) UnmarshalJSON(data []byte) error {
	*b = Bool{}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || string(data) == "null":
	case data[0] == '{':
		var obj struct {
			Value json.RawMessage `json:"value"`
			Text  string          `json:"text"`
		}
		if json.Unmarshal(data, &obj) != nil {
			return nil
		}
		if len(obj.Value) > 0 && string(obj.Value) != "null" {
			return b.UnmarshalJSON(obj.Value)
		}
		*b = parseBool(obj.Text)
	case data[0] == '"':
		var s string
		if json.Unmarshal(data, &s) == nil {
			*b = parseBool(s)
		}
	default:
		*b = parseBool(string(data))
	}
	return nil
}

func parseBool(s string) Bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return Bool{Value: true, Valid: true}
	case "false", "0", "no":
		return Bool{Value: false, Valid: true}
	}
	return Bool{}
}

// True reports whether the value is present and true.
func (b Bool) True() bool { return b.Valid && b.Value }

// String is a string that may arrive as a JSON string, number or boolean.
// Valid is false for null and for an absent field.
type String struct {
	Value string
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler. Objects and arrays keep their
// JSON text.
func (s *String) UnmarshalJSON(data []byte) error {
	*s = String{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	if data[0] == '"' {
		var v string
		if err := json.Unmarshal(data, &v); err != nil {
			return err
		}
		*s = String{Value: v, Valid: true}
		return nil
	}
	*s = String{Value: string(data), Valid: true}
	return nil
}

// Int parses the value as an integer, accepting "12", 12 and 12.0.
func (s String) Int() (int, bool) {
	v := strings.TrimSpace(s.Value)
	if n, err := strconv.Atoi(v); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == float64(int(f)) {
		return int(f), true
	}
	return 0, false
}

// Message is an error message sent as a string, a list of strings, or an
// object with a "message" (and maybe a "code"). Text is "" when absent.
type Message struct {
	Text string
	Code string
}

// UnmarshalJSON implements json.Unmarshaler. It never fails: anything
// unrecognised keeps its JSON text.
func (m *Message) UnmarshalJSON(data []byte) error {
	*m = Message{}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return nil
	}
	switch data[0] {
	case '"':
		var s string
		if json.Unmarshal(data, &s) == nil {
			m.Text = s
			return nil
		}
	case '[':
		var list []Message
		if json.Unmarshal(data, &list) == nil {
			var parts []string
			for _, e := range list {
				if e.Text != "" {
					parts = append(parts, e.Text)
				}
			}
			m.Text = strings.Join(parts, "; ")
			return nil
		}
	case '{':
		var obj struct {
			Message Message `json:"message"`
			Error   Message `json:"error"`
			Code    String  `json:"code"`
		}
		if json.Unmarshal(data, &obj) == nil {
			m.Text = obj.Message.Text
			if m.Text == "" {
				m.Text = obj.Error.Text
			}
			m.Code = obj.Code.Value
			if m.Text == "" {
				m.Text = m.Code
			}
			return nil
		}
	}
	m.Text = string(data)
	return nil
}
