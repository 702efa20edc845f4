module github.com/latchkey/latchkey/runtime/testdata/guests/behave

go 1.24

require github.com/latchkey/latchkey/guest-sdk v0.0.0

replace github.com/latchkey/latchkey/guest-sdk => ../../../../guest-sdk
