module github.com/latchkey/latchkey/cmd/latchkey/testdata/guests/memo

go 1.24

require github.com/latchkey/latchkey/guest-sdk v0.0.0

replace github.com/latchkey/latchkey/guest-sdk => ../../../../../guest-sdk
