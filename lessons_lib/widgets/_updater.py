"""One worker thread per widget that always computes the newest setting: drags coalesce.

While a student drags a slider, the front end sends every value it passes (ipywidgets'
``continuous_update``), often faster than a picture can be drawn. Queuing them would
make the picture lag further and further behind the hand. Instead the observer only
calls ``request()``, which returns at once; one worker thread wakes up, reads the
controls as they are *then* and draws that. Values that arrive while it works are
not queued: they only mark the state "stale", and the next round reads the newest.
So a burst of 50 values while the worker is busy costs at most two more pictures,
and the last one is always for the last value.

``run_now()`` is the synchronous path (a control set from Python, ``w.update()``): it
waits for the worker's current round, cancels a pending request (it reads the same,
newest values) and runs in the caller's thread, so the caller sees the new state.
"""
import threading


class CoalescingUpdater:
    """Run ``work(is_final)`` for the newest request only, in a daemon thread.

    ``is_final()`` tells ``work``, when it is about to send its picture, whether that
    picture is the last one for now (True) or will be superseded at once because
    newer values arrived meanwhile (False: it may be encoded cheaply).
    ``work`` must not raise (the widgets turn every error into a message).
    """

    def __init__(self, work, name="widget-updater"):
        self._work = work
        self._name = name
        self.lock = threading.RLock()           # held while the widget's state and figure change
        self._wake = threading.Condition()
        self._pending = False
        self._busy = False
        self._thread = None
        self.requests = 0                       # counters, for tests and benchmarks
        self.runs = 0

    def request(self):
        """Ask for a new picture of the current controls; returns at once."""
        with self._wake:
            self.requests += 1
            self._pending = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._wake.notify()

    def pending(self):
        """True while a request waits for the worker (a newer picture is coming)."""
        with self._wake:
            return self._pending

    def run_now(self, *args):
        """Run ``work(lambda: True, *args)`` in this thread, after the worker's current round."""
        with self.lock:
            with self._wake:
                self._pending = False           # it would read the very values we read now
            self.runs += 1
            self._work(lambda: True, *args)

    def wait_idle(self, timeout=10.0):
        """Block until no request is pending or running; False on timeout (for tests)."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

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
                    self.runs += 1
                    self._work(lambda: not self.pending())
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()
