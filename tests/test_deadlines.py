"""The shared deadline thread: callbacks on time, cancellation, failures, idle exit."""

from __future__ import annotations

import threading

from csup.deadlines import DeadlineScheduler


def test_a_deadline_runs_its_callback_once_due():
    scheduler = DeadlineScheduler(name="test-deadlines")
    fired = threading.Event()
    scheduler.schedule(0.01, fired.set)
    assert fired.wait(5)


def test_deadlines_fire_in_time_order_whatever_the_scheduling_order():
    scheduler = DeadlineScheduler(name="test-deadlines")
    order: list[str] = []
    done = threading.Event()
    scheduler.schedule(0.2, lambda: (order.append("late"), done.set()))
    scheduler.schedule(0.05, lambda: order.append("early"))
    assert done.wait(5)
    assert order == ["early", "late"]


def test_a_cancelled_deadline_never_runs():
    scheduler = DeadlineScheduler(name="test-deadlines")
    ran = threading.Event()
    after = threading.Event()
    deadline = scheduler.schedule(0.05, ran.set)
    deadline.cancel()
    assert deadline.cancelled
    scheduler.schedule(0.1, after.set)
    assert after.wait(5)
    assert not ran.is_set()


def test_a_callback_that_raises_does_not_stop_the_others(caplog):
    scheduler = DeadlineScheduler(name="test-deadlines")
    ok = threading.Event()

    def boom() -> None:
        raise RuntimeError("callback bug")

    scheduler.schedule(0.01, boom)
    scheduler.schedule(0.05, ok.set)
    assert ok.wait(5)
    assert "callback bug" in caplog.text


def test_the_thread_ends_when_nothing_is_pending_and_starts_again_on_demand():
    scheduler = DeadlineScheduler(name="test-deadlines", linger=0.05)
    deadline = scheduler.schedule(60, lambda: None)
    thread = scheduler.thread
    assert thread is not None and thread.is_alive()
    deadline.cancel()
    scheduler.wake()
    thread.join(5)
    assert not thread.is_alive()
    assert scheduler.thread is None
    fired = threading.Event()
    scheduler.schedule(0.01, fired.set)
    assert fired.wait(5)
