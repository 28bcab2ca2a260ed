"""Report targets: built-in aggregation, templates, the run summary with Mermaid charts (contract)."""
