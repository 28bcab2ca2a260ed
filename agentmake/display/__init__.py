"""Terminal and on-disk views of a build: live table, plain lines, status.md (contract)."""
