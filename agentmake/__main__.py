"""`python -m agentmake` entry point."""

from agentmake.cli import main

raise SystemExit(main())
