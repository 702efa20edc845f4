package policy

import (
	"strconv"
	"strings"
)

// ParseSID reports whether s is a Windows security identifier in string
// form ("S-1-5-21-…-1001") and returns it in canonical form: upper-case
// "S", decimal numbers without leading zeros. It accepts what
// ConvertStringSidToSid accepts for an account SID: revision 1, an
// identifier authority below 2^48 and one to 15 sub-authorities of 32
// bits. SDDL's two-letter aliases ("BA", "SY") are not SIDs here: a
// callers entry names an account by its name or its full SID.
//
// It is pure, so the rules the Windows agent matches pipe clients by are
// tested on every platform.
func ParseSID(s string) (string, bool) {
	parts := strings.Split(s, "-")
	if len(parts) < 4 || len(parts) > 18 || (parts[0] != "S" && parts[0] != "s") || parts[1] != "1" {
		return "", false
	}
	out := make([]string, 0, len(parts))
	out = append(out, "S", "1")
	for i, p := range parts[2:] {
		if p == "" || len(p) > 15 || strings.TrimLeft(p, "0123456789") != "" {
			return "", false
		}
		bits := 32
		if i == 0 {
			bits = 48
		}
		n, err := strconv.ParseUint(p, 10, bits)
		if err != nil {
			return "", false
		}
		out = append(out, strconv.FormatUint(n, 10))
	}
	return strings.Join(out, "-"), true
}

// ValidAccountName reports whether s can name a Windows account for the
// agent to look up: "NAME", "DOMAIN\NAME" or "NAME@DOMAIN", with no
// character an account name may not hold. It does not say the account
// exists; only the Windows agent can look that up. Something that starts
// like a SID ("S-1-…") but is not one is not a name either, so that a typo
// in a SID is reported rather than looked up as an account.
func ValidAccountName(s string) bool {
	if s == "" || len(s) > 256 || strings.TrimSpace(s) != s {
		return false
	}
	if len(s) >= 4 && strings.EqualFold(s[:4], "S-1-") {
		return false // a mistyped SID, not a name to look up
	}
	if strings.ContainsAny(s, "/[]:;|=,+*?<>\"") || strings.Count(s, `\`) > 1 || strings.Count(s, "@") > 1 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	dom, name, ok := strings.Cut(s, `\`)
	if ok && (dom == "" || name == "") {
		return false
	}
	if user, d, ok := strings.Cut(s, "@"); ok && (user == "" || d == "") {
		return false
	}
	return true
}
