"""What a task's key takes from the agent CLIs' own config files (`runners.modelconfig`), each read once
per runner (llm's aliases once) in a build: the model they name, the endpoint variables claude's settings
apply over its environment, and the model an `llm` alias names. A part of `keyparts.KeyParts`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from agentmake.model import RunnerSpec

if TYPE_CHECKING:
    from agentmake.runners.modelconfig import ConfigModel, ConfigReading

__all__ = ["ConfigFiles"]


class ConfigFiles:
    """The config files' share of `keyparts.KeyParts` (which sets `_configs` and `_aliases` empty)."""

    _configs: dict[int, tuple[RunnerSpec, ConfigReading]]
    _aliases: dict[str, str] | None  # (llm's: read when an llm runner's model is first known)
    root: Path

    def _config_file(self, runner: RunnerSpec) -> bool:
        """Whether `runner`'s CLI takes a default model from a config file (`modelconfig.CONFIGS`)."""
        from agentmake.runners.modelconfig import CONFIGS
        from agentmake.runners.presets import preset_of

        return (preset_of(runner) or "") in CONFIGS

    def _config_models(self, runner: RunnerSpec) -> tuple[ConfigModel | None, ConfigModel | None]:
        """The model a claude settings file's `env` block sets and the one `runner`'s CLI takes from its
        config files (`modelconfig.config_models`), read once per runner in a build."""
        reading = self._config_reading(runner)
        return reading.block, reading.found

    def _config_reading(self, runner: RunnerSpec) -> ConfigReading:
        """`modelconfig.config_reading` of `runner`, once per runner in a build."""
        known = self._configs.get(id(runner))
        if known is None or known[0] is not runner:
            from agentmake.runners.modelconfig import config_reading
            from agentmake.runners.presets import preset_of

            reading = config_reading(preset_of(runner), runner, os.environ, self.root)
            known = self._configs[id(runner)] = (runner, reading)
        return known[1]

    def _applied_endpoints(self, runner: RunnerSpec) -> dict[str, str]:
        """The endpoint variables claude's settings files apply over its environment (their `env` block:
        `modelconfig.CLAUDE_ENDPOINTS`), or the ``.env`` gemini loads adds to it (`GEMINI_ENDPOINTS`); none
        for another CLI, whose files are then not read for them."""
        from agentmake.runners.presets import preset_of

        return self._config_reading(runner).endpoints if preset_of(runner) in ("claude", "gemini") else {}

    def _applied_names(self, runner: RunnerSpec) -> list[str]:
        """The endpoint variables of `_applied_endpoints` that `runner`'s key holds from claude's settings."""
        from agentmake.runners.modelenv import ENDPOINT_ENV

        return sorted(n for n, v in self._applied_endpoints(runner).items() if n in ENDPOINT_ENV and v)

    def _unaliased(self, runner: RunnerSpec, model: str) -> str:
        """`model`, or for an `llm` runner the model it names if it is one of llm's aliases (its
        aliases.json: `modelconfig.llm_aliases`, read once per build)."""
        from agentmake.runners.presets import preset_of

        if preset_of(runner) != "llm":
            return model
        if self._aliases is None:
            from agentmake.runners.modelconfig import llm_aliases

            self._aliases = llm_aliases(os.environ)
        return self._aliases.get(model, model)

    def _keyed_before(
        self, runner: RunnerSpec, named: str, model: str, source: list[str] | None
    ) -> str | None:
        """What a key of `_cfgmodel` 1 (an agentmake that read neither llm's aliases nor gemini's ``.env`` and
        system files nor claude's managed settings) held in place of `model`, when it may differ: `named`, the
        llm alias `model` resolves; "*" (not known) for a model from one of those files; else None."""
        if named != model:
            return named
        if source is not None and source[1] in self._config_reading(runner).newer:
            return "*"
        return None
