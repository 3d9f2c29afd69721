"""The render processes' CPU governor: how long to hold them, and that they are held and let go."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from twisted.internet.task import Clock

from render_api.process import GOVERN_INTERVAL, MAX_PAUSE, CpuGovernor, render_pause


@pytest.mark.parametrize("writer, render, share, interval, want", [
    (0.5, 1.0, 0.25, 0.1, 0.0),            # writer not busy: no cap
    (1.0, 0.2, 0.25, 0.1, 0.0),            # within its share
    (1.0, 0.5, 0.25, 0.1, 0.1),            # 0.025 s of excess CPU, spread at 0.25 of a core
    (1.2, 1.0, 0.25, 0.1, 0.3),
    (1.0, 1.0, 0.05, 0.1, MAX_PAUSE),      # capped: a query is slowed, never frozen
])
def test_pause_spreads_the_excess_over_the_share(writer, render, share, interval, want):
    assert render_pause(writer, render, share, interval) == pytest.approx(want)


def test_pause_brings_the_average_down_to_the_share():
    pause = render_pause(1.0, 0.75, 0.25, 0.1)
    assert 0.75 * 0.1 / (0.1 + pause) == pytest.approx(0.25)


@pytest.mark.parametrize("rate, share", [(1.0, 0.25), (0.4, 0.2), (0.3, 0.1)])
def test_children_that_always_want_the_cpu_average_their_share(rate, share):
    """Simulated: children using `rate` cores whenever they run, a busy writer, a check
    every GOVERN_INTERVAL.  Over a minute they get `share`, not more: the CPU used right
    after a pause must count as much as any other.  (Rates whose pauses would pass
    MAX_PAUSE get more: a query is slowed, never frozen.)"""
    clock = Clock()
    used = [0.0]
    stopped = [False]
    governor = CpuGovernor(clock, share, own_cpu=clock.seconds, children_cpu=lambda pids: used[0],
                           monotonic=clock.seconds)

    def signal_children(signum, pids=None):
        stopped[0] = {signal.SIGSTOP: True, signal.SIGCONT: False}.get(signum, stopped[0])
    governor._signal = signal_children
    governor.pids.append(4242)
    for step in range(6000):
        if not stopped[0]:
            used[0] += 0.01 * rate
        clock.advance(0.01)
        if step % round(GOVERN_INTERVAL / 0.01) == 0:
            governor.tick()
    assert used[0] / clock.seconds() == pytest.approx(share, rel=0.1)


def _stopped(pid: int, want: bool = True) -> bool:
    """Whether the process is stopped, waiting up to 2 s for it to become `want` (signals
    are delivered asynchronously)."""
    for _ in range(200):
        with open(f"/proc/{pid}/stat") as f:
            stopped = f.read().rsplit(")", 1)[1].split()[0] == "T"
        if stopped == want:
            break
        time.sleep(0.01)
    return stopped


# as a render process does once it listens: SIGUSR1/2 say whether to take connections
SPIN = "import signal\nfor s in (signal.SIGUSR1, signal.SIGUSR2): signal.signal(s, signal.SIG_IGN)\nwhile True: pass"


@pytest.fixture
def spinner():
    proc = subprocess.Popen([sys.executable, "-c", SPIN])
    yield proc
    proc.kill()
    proc.wait()


def _busy_writer():
    ticks = iter(range(1_000_000))
    return lambda: float(next(ticks))       # a core's worth of CPU per elapsed second and more


def test_a_busy_child_is_stopped_while_the_writer_is_busy_then_continued(spinner):
    clock = Clock()
    governor = CpuGovernor(clock, 0.25, own_cpu=_busy_writer())
    governor.add(spinner.pid)
    governor.tick()
    time.sleep(0.3)                          # the spinner uses a core meanwhile
    governor.tick()
    assert _stopped(spinner.pid)
    clock.advance(MAX_PAUSE)
    assert not _stopped(spinner.pid, want=False)


def test_an_idle_writer_leaves_the_child_alone(spinner):
    governor = CpuGovernor(Clock(), 0.25, own_cpu=lambda: 0.0)
    governor.add(spinner.pid)
    governor.tick()
    time.sleep(0.3)
    governor.tick()
    assert not _stopped(spinner.pid, want=False)


def test_letting_go_of_a_held_child_continues_it(spinner):
    # RenderProcess.stop does this before SIGTERM: a stopped process would not act on it.
    governor = CpuGovernor(Clock(), 0.25, own_cpu=_busy_writer())
    governor.add(spinner.pid)
    governor.tick()
    time.sleep(0.3)
    governor.tick()
    assert _stopped(spinner.pid)
    governor.remove(spinner.pid)
    assert not _stopped(spinner.pid, want=False)


def test_children_are_held_together_to_one_share():
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
    try:
        clock = Clock()
        governor = CpuGovernor(clock, 0.25, own_cpu=_busy_writer())
        for proc in spinners:
            governor.add(proc.pid)
        governor.tick()
        time.sleep(0.3)
        governor.tick()
        assert all(_stopped(p.pid) for p in spinners)
        # two cores of spinning against a share of 0.25: the longest pause
        assert governor.paused_seconds == pytest.approx(MAX_PAUSE)
        governor.stop()
        assert not any(_stopped(p.pid, want=False) for p in spinners)
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()


def test_while_the_writer_is_busy_only_the_first_child_is_left_to_take_connections():
    import signal as sig
    script = ("import signal, sys, time\n"
              "signal.signal(signal.SIGUSR1, lambda *a: print('usr1', flush=True))\n"
              "signal.signal(signal.SIGUSR2, lambda *a: print('usr2', flush=True))\n"
              "print('ready', flush=True)\n"
              "while True: time.sleep(0.01)\n")
    kids = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
            for _ in range(2)]
    try:
        for k in kids:
            assert k.stdout.readline().strip() == "ready"
        busy = iter([0.0, 1.0, 1.0])                      # a busy writer, then an idle one
        governor = CpuGovernor(Clock(), 2.5, own_cpu=lambda: next(busy))
        for k in kids:
            governor.add(k.pid)
        governor.tick()
        time.sleep(0.2)
        governor.tick()                                   # writer at a core or more
        assert [k.stdout.readline().strip() for k in kids] == ["usr2", "usr1"]
        time.sleep(0.2)
        governor.tick()                                   # writer idle: all take connections
        assert [k.stdout.readline().strip() for k in kids] == ["usr2", "usr2"]
    finally:
        for k in kids:
            k.send_signal(sig.SIGKILL)
            k.wait()


def test_a_render_process_accepts_one_connection_per_wake_up():
    # Twisted's port takes every waiting connection at once (and raises its batch size);
    # the render processes share the socket, so each must leave the rest to the others.
    from render_api.process import accepting_one_at_a_time

    class Port:
        numberAccepts = 100
        seen: list[int] = []

        def doRead(self):
            self.seen.append(self.numberAccepts)
            self.numberAccepts += 20          # what Twisted does after a full batch

    port = accepting_one_at_a_time(Port())
    port.doRead()
    port.doRead()
    assert Port.seen == [1, 1]
