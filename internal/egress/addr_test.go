package egress

import (
	"net/netip"
	"testing"
)

func TestRefusedAddr(t *testing.T) {
	tests := []struct {
		addr         string
		want         string
		allowPrivate string // verdict when private networks are allowed
	}{
		{"93.184.216.34", "", ""},
		{"2606:2800:220:1::1", "", ""},
		{"127.0.0.1", "loopback", ""},
		{"::1", "loopback", ""},
		{"::ffff:127.0.0.1", "loopback", ""},
		{"10.1.2.3", "private", ""},
		{"172.16.0.1", "private", ""},
		{"192.168.1.1", "private", ""},
		{"fd12::1", "private", ""},
		{"169.254.1.1", "link-local", ""},
		{"fe80::1", "link-local", ""},
		{"100.64.0.1", "CGNAT", ""},
		{"169.254.169.254", "cloud-metadata", "cloud-metadata"},
		{"::ffff:169.254.169.254", "cloud-metadata", "cloud-metadata"},
		{"fd00:ec2::254", "cloud-metadata", "cloud-metadata"},
		{"168.63.129.16", "cloud-metadata", "cloud-metadata"},
		{"64:ff9b::a9fe:a9fe", "cloud-metadata", "cloud-metadata"}, // NAT64 of 169.254.169.254
		{"64:ff9b::7f00:1", "loopback", ""},
		{"2002:7f00:1::", "loopback", ""}, // 6to4 of 127.0.0.1
		{"0.0.0.0", "unspecified", "unspecified"},
		{"::", "unspecified", "unspecified"},
		{"224.0.0.1", "multicast", "multicast"},
		{"255.255.255.255", "reserved", "reserved"},
		{"::127.0.0.1", "reserved", "reserved"},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tc.addr)
			if got := Refused(a, false); got != tc.want {
				t.Errorf("Refused(%s) = %q, want %q", tc.addr, got, tc.want)
			}
			if got := Refused(a, true); got != tc.allowPrivate {
				t.Errorf("with private networks allowed: Refused(%s) = %q, want %q", tc.addr, got, tc.allowPrivate)
			}
		})
	}
}
