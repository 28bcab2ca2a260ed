"""Agentfile text -> model: the lark grammar, the parse-tree transformer, includes, variables and validation.

Contract: `load_agentfile(path, overrides) -> Agentfile`; every mistake raises `AgentfileError` with a
location.
"""

from agentmake.syntax.load import load_agentfile

__all__ = ["load_agentfile"]
