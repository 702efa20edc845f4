// Package egress is the network policy of a guest's HTTP requests: which
// addresses a connection may reach (cloud-metadata, private, loopback,
// reserved and the IPv4 addresses embedded in IPv6 ones) and the host
// rules of an allow list. The host module's client (hostfuncs.Client)
// applies it on every hop and on every connection it dials.
//
// It imports nothing of the project above it.
package egress
