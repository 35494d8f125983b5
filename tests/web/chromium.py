"""Drive headless Chromium over the DevTools protocol on a pipe: no driver binary, no extra package.

Chromium's ``--remote-debugging-pipe`` reads commands on file descriptor 3 and writes answers and
events on 4, each a JSON message ended by a NUL byte. The browser tests, ``docs/screenshots.py``
and ``benchmarks/explorer.py`` use this one class. Name resolution is closed to every host but
the loopback address, so a page that fetches anything from outside fails to get it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
#: Chromium headless with nothing of its own going out; the docs test uses these too.
HEADLESS_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    # Any host but the loopback server fails to resolve, so the page must work from local files only.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
#: Collects Content-Security-Policy violations from the first moment of every document.
_CSP_WATCH = (
    "window.__cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)


class BrowserError(AssertionError):
    """Chromium answered a command with an error, died, or a wait ran out."""


class Browser:
    """One headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        if CHROMIUM is None:
            raise BrowserError("Chromium is not installed (apt-get install -y chromium)")
        self._profile = tempfile.TemporaryDirectory()
        # Both child ends sit above fd 4, so placing them at 3 and 4 in the child overwrites neither.
        to_chrome_read, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_write = os.pipe()
        child_ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5) for fd in (to_chrome_read, from_chrome_write)]
        for fd in (to_chrome_read, from_chrome_write):
            os.close(fd)

        def wire() -> None:  # in the child: the pipes become fds 3 and 4, as the flag expects
            os.dup2(child_ends[0], 3)
            os.dup2(child_ends[1], 4)

        self.process = subprocess.Popen(
            [
                CHROMIUM,
                *HEADLESS_FLAGS,
                "--remote-debugging-pipe",
                f"--window-size={width},{height}",
                f"--user-data-dir={self._profile.name}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            pass_fds=(3, 4),
        )
        for fd in child_ends:
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.requests: list[str] = []
        self.exceptions: list[str] = []
        self._loaded = False
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable")
        self.send("Network.enable")
        self.send("Runtime.enable")
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": _CSP_WATCH})
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    # ------------------------------------------------------------------ protocol

    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._event(answer)

    def _read(self, timeout: float | None = None) -> dict:
        while b"\0" not in self._buffer:
            if timeout is not None and not select.select([self._from_chrome], [], [], max(0.0, timeout))[0]:
                raise BrowserError(f"Chromium said nothing for {timeout} s")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _event(self, event: dict) -> None:
        self.events.append(event)
        if event.get("method") == "Page.loadEventFired":
            self._loaded = True
        if event.get("method") == "Runtime.exceptionThrown":
            self.exceptions.append(event["params"]["exceptionDetails"].get("exception", {}).get("description", ""))
        if event.get("method") == "Network.requestWillBeSent":
            self.requests.append(event["params"]["request"]["url"])

    def send(self, method: str, params: dict | None = None) -> dict:
        """Send one command to the page and return its result."""
        return self._call(method, params, self._session)

    # ------------------------------------------------------------------ page

    def goto(self, url: str, timeout: float = 60) -> None:
        """Navigate and return once the new document has loaded (its scripts may still be fetching)."""
        self._loaded = False
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"navigation to {url} failed: {result['errorText']}")
        deadline = time.monotonic() + timeout
        while not self._loaded:
            self._event(self._read(deadline - time.monotonic()))

    def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page (awaiting a promise) and return its value as JSON data."""
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> Any:
        """Poll a JavaScript expression until it is truthy and return its value.

        :raises BrowserError: if it stays falsy for ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"still false after {timeout} s: {expression}")
            time.sleep(0.02)

    def wait_drawn(self, timeout: float = 60) -> dict:
        """Wait for the explorer's graph to say it is done (or failed) and return its data-* attributes."""
        self.wait_for(
            "['done', 'error'].includes(document.getElementById('graph')?.dataset.status)", timeout
        )
        return self.evaluate("Object.assign({}, document.getElementById('graph').dataset)")

    def click(self, x: float, y: float, count: int = 1) -> None:
        """Click (or double-click, ``count=2``) at a point of the viewport, as a mouse would."""
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for clicks in range(1, count + 1):
            for kind in ("mousePressed", "mouseReleased"):
                self.send(
                    "Input.dispatchMouseEvent",
                    {"type": kind, "x": x, "y": y, "button": "left", "clickCount": clicks},
                )

    def click_element(self, selector: str) -> None:
        """Click the middle of the first element matching a CSS selector."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        self.click(*box)

    def type_text(self, text: str) -> None:
        """Type text into whatever has the focus."""
        self.send("Input.insertText", {"text": text})

    def press_enter(self, ctrl: bool = False) -> None:
        """Press Enter (with Ctrl held, when asked) in whatever has the focus."""
        modifiers = 2 if ctrl else 0
        for kind in ("keyDown", "keyUp"):
            event = {"type": kind, "modifiers": modifiers, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
            if kind == "keyDown":
                event["text"] = "\r"  # what makes Enter submit a form, as a real key press does
            self.send("Input.dispatchKeyEvent", event)

    def screenshot(self, path: str | os.PathLike[str]) -> None:
        """Save what the viewport shows as a PNG."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))

    def csp_violations(self) -> list[str]:
        """Every Content-Security-Policy violation the current document reported."""
        return self.evaluate("window.__cspViolations")

    def close(self) -> None:
        """Close Chromium and remove its profile."""
        try:
            self._call("Browser.close")
        except BrowserError:
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
