module github.com/latchkey/latchkey/examples/stores/conjur

go 1.24

require github.com/latchkey/latchkey/guest-sdk v0.0.0

replace github.com/latchkey/latchkey/guest-sdk => ../../../guest-sdk
