module github.com/latchkey/latchkey/guest-sdk

go 1.24
