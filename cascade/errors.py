"""Every error the project raises for a user's input or environment derives from `CascadeError`.

The command line turns any of them into one line, `cascade: error: ...`, and exit status 2. The
subclasses say which stage refused; each message names the field or file and what would fix it.
"""

from __future__ import annotations


class CascadeError(Exception):
    """Base of every error about a user's input, files or environment; the message is one line."""


class SceneError(CascadeError, ValueError):
    """A scene that breaks the schema; the message names the field and the allowed range."""


class PlannerError(CascadeError, ValueError):
    """The planner could not turn the text into a valid scene; the message says why."""


class TimelineError(CascadeError, ValueError):
    """Relations that cannot form one timeline (unknown anchor, cycle, negative start)."""


class GeneratorError(CascadeError, ValueError):
    """A generator that cannot run (missing weights, bad library folder); the message says how to fix it."""


class RendererError(CascadeError, ValueError):
    """A renderer that cannot run (unreadable SOFA file, missing checkpoint); the message says why."""


class OutputError(CascadeError, OSError):
    """An output that cannot be written (unwritable folder, full disk, an input in the way)."""


class OptionError(CascadeError, ValueError):
    """An option or environment setting out of its range (a pipeline option, a cache limit, a missing argument)."""


class DatasetError(CascadeError, ValueError):
    """A dataset build that cannot run: an invalid config (the field and its allowed range), a dataset folder
    built with another config, a missing engine; the message says what to change."""


class BudgetError(CascadeError, ValueError):
    """A render whose estimated memory or time exceeds the budget the user set."""
