package egress

import (
	"net/netip"
	"strings"
)

// Address ranges refused by default. Cloud-metadata addresses are refused
// even when private networks are allowed, and even when AllowNetworks
// covers them: only AllowMetadata opens them.
var (
	metadataAddrs = []netip.Prefix{
		netip.MustParsePrefix("169.254.169.254/32"), // AWS, GCP, Azure, OpenStack…
		netip.MustParsePrefix("169.254.170.2/32"),   // AWS ECS task metadata
		netip.MustParsePrefix("169.254.169.123/32"), // AWS time sync
		netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud
		netip.MustParsePrefix("168.63.129.16/32"),   // Azure wire server (a public address)
		netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS IPv6
		netip.MustParsePrefix("fd00:ec2::23/128"),   // AWS IPv6 DNS/NTP
	}
	// metadataNames are the host names of metadata services; they resolve
	// to metadata addresses, which the dial check refuses anyway.
	metadataNames = map[string]bool{
		"metadata.google.internal": true, "metadata.goog": true, "metadata": true,
		"instance-data": true, "instance-data.ec2.internal": true, "metadata.azure.com": true,
	}
	cgnat        = netip.MustParsePrefix("100.64.0.0/10")
	reservedNets = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
		netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
		netip.MustParsePrefix("100::/64"),        // discard
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
	}
	nat64 = []netip.Prefix{
		netip.MustParsePrefix("64:ff9b::/96"),
		netip.MustParsePrefix("64:ff9b:1::/48"),
	}
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// MetadataAddresses returns the cloud-metadata addresses the host refuses
// unless [Options].AllowMetadata lists them. IPv4 addresses embedded
// in IPv6 ones (mapped, NAT64, 6to4) count as the address they reach.
func MetadataAddresses() []netip.Prefix { return append([]netip.Prefix(nil), metadataAddrs...) }

// IsMetadata reports whether addr reaches a cloud-metadata address.
func IsMetadata(addr netip.Addr) bool { return Refused(addr, true) == "cloud-metadata" }

// IsMetadataName reports whether host (lower case) is the name of a
// cloud-metadata service.
func IsMetadataName(host string) bool { return metadataNames[strings.TrimSuffix(host, ".")] }

// Refused returns why a guest may not connect to addr by default, or ""
// when it may: "cloud-metadata", "invalid", "unspecified", "multicast",
// "reserved", or, unless allowPrivate, "loopback", "private", "link-local"
// and "CGNAT". IPv4 addresses embedded in IPv6 ones (mapped, NAT64, 6to4)
// are judged as the IPv4 address they reach.
func Refused(addr netip.Addr, allowPrivate bool) string {
	addr = addr.Unmap()
	for _, p := range metadataAddrs {
		if p.Contains(addr) {
			return "cloud-metadata"
		}
	}
	if addr.Is6() {
		a := addr.As16()
		for _, p := range nat64 {
			if p.Contains(addr) {
				return Refused(netip.AddrFrom4([4]byte(a[12:16])), allowPrivate)
			}
		}
		if sixToFour.Contains(addr) {
			return Refused(netip.AddrFrom4([4]byte(a[2:6])), allowPrivate)
		}
	}
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsMulticast(), addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range reservedNets {
		if p.Contains(addr) && !addr.IsLoopback() { // ::1 lies in ::/96
			return "reserved"
		}
	}
	if allowPrivate {
		return ""
	}
	switch {
	case addr.IsLoopback():
		return "loopback"
	case addr.IsPrivate():
		return "private"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case cgnat.Contains(addr):
		return "CGNAT"
	}
	return ""
}
