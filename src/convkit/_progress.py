"""A Keras-like progress bar for predict, written to stderr.

Shown only when there is more than one batch, verbose is not 0 and stderr is a terminal; a
finished run leaves one line like `4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 12ms/step`.
"""
import sys
import time

from convkit import config

_WIDTH = 20


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or not isinstance(verbose, int) or verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return verbose


def _format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_step(per_step):
    if per_step >= 1:
        return f"{per_step:.0f}s/step"
    if per_step >= 1e-3:
        return f"{per_step * 1e3:.0f}ms/step"
    return f"{per_step * 1e6:.0f}us/step"


class ProgressBar:
    """`update(done)` after each batch; `close()` at the end. Silent unless enabled."""

    def __init__(self, target, verbose="auto", stream=None):
        self.target = int(target)
        self.verbose = _resolve_verbose(verbose)
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = (self.target > 1 and self.verbose != 0 and bool(isatty and isatty())
                        and config.is_interactive_logging_enabled())
        self._start = time.monotonic()
        self._last_len = 0

    def _line(self, done):
        elapsed = time.monotonic() - self._start
        width = len(str(self.target))
        filled = int(_WIDTH * done / self.target)
        bar = "\u2501" * filled + ("\u2578" if filled < _WIDTH and done else "") + " " * _WIDTH
        bar = bar[:_WIDTH]
        per_step = elapsed / max(done, 1)
        if done < self.target:
            timing = f"{_format_time(per_step * (self.target - done))}"
        else:
            timing = f"{_format_time(elapsed)} {_format_step(per_step)}"
        return f"{done:>{width}}/{self.target} {bar} {timing}"

    def update(self, done):
        if not self.enabled or (self.verbose == 2 and done < self.target):
            return
        line = self._line(done)
        pad = " " * max(self._last_len - len(line), 0)
        self.stream.write("\r" + line + pad)
        self._last_len = len(line)
        if done >= self.target:
            self.stream.write("\n")
        self.stream.flush()

    def close(self):
        pass
