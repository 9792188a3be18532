"""One worker thread per widget that always computes the newest setting: drags coalesce.

While a student drags a slider, the front end sends every value it passes (ipywidgets'
``continuous_update``), often faster than a picture can be drawn. Queuing them would
make the picture lag further and further behind the hand. Instead the observer only
calls ``request()``, which returns at once; one worker thread wakes up, reads the
controls as they are *then* and draws that. Values that arrive while it works are
not queued: they only mark the state "stale", and the next round reads the newest.
So a burst of 50 values while the worker is busy costs at most two more pictures,
and the last one is always for the last value.

Pictures drawn during a drag are quick ones (``work(final=False)``: JPEG, axes that
only grow). When no new value has come for ``settle_delay`` seconds (the hand stopped
or let go), the worker calls ``settle()`` once: the finished picture (axes fitted to
the data, lossless PNG).

``run_now()`` is the synchronous path (a control set from Python, ``w.update()``): it
waits for the worker's current round, cancels a pending request (it reads the same,
newest values) and runs ``work(final=True)`` in the caller's thread, so the caller
sees the new state at once.
"""
import collections
import threading
import time


class CoalescingUpdater:
    """Run ``work(False)`` for the newest request only, in a daemon thread; ``settle()`` when quiet.

    ``work`` and ``settle`` must not raise (the widgets turn every error into a message).
    """

    def __init__(self, work, settle=None, settle_delay=0.05, name="widget-updater"):
        self._work = work
        self._settle = settle
        self.settle_delay = settle_delay
        self._name = name
        self.lock = threading.RLock()           # held while the widget's state and figure change
        self._wake = threading.Condition()
        self._pending = False
        self._busy = False
        self._thread = None
        self.requests = 0                       # counters, for tests and benchmarks
        self.runs = 0
        self.settles = 0
        self.log = collections.deque(maxlen=500)   # (start, end) of recent rounds, time.perf_counter()

    def request(self):
        """Ask for a new picture of the current controls; returns at once."""
        with self._wake:
            self.requests += 1
            self._pending = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def pending(self):
        """True while a request waits for the worker (a newer picture is coming)."""
        with self._wake:
            return self._pending

    def run_now(self, *args):
        """Run ``work(True, *args)`` in this thread, after the worker's current round."""
        with self.lock:
            with self._wake:
                self._pending = False           # it would read the very values we read now
            self._timed(True, *args)

    def wait_idle(self, timeout=10.0):
        """Block until nothing is pending, running or left to settle; False on timeout (for tests)."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _timed(self, *args):
        start = time.perf_counter()
        self.runs += 1
        self._work(*args)
        self.log.append((start, time.perf_counter()))

    def _loop(self):
        while True:
            with self._wake:
                if not self._wake.wait_for(lambda: self._pending, timeout=60.0):
                    self._thread = None         # idle for a minute: let the thread end
                    return
                self._pending = False
                self._busy = True
            try:
                with self.lock:
                    self._timed(False)
                with self._wake:                # the hand stopped (or let go) if nothing new comes soon
                    quiet = not self._wake.wait_for(lambda: self._pending, timeout=self.settle_delay)
                if quiet and self._settle is not None:
                    with self.lock:
                        self.settles += 1
                        self._settle()
            finally:
                with self._wake:
                    self._busy = self._pending  # still busy if a request came meanwhile
                    self._wake.notify_all()
