"""`python -m agentmake` entry point."""

from agentmake.launch import main

raise SystemExit(main())
