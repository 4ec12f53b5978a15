"""The `service` command against MINIX's: an unknown label is refused
(ESRCH) unless explicitly armed ahead (`service fi -pending`); -state takes
a number or a standard state name and nothing else; -maxtime and -period
take ticks or N HZ (seconds); -maxtime 0 is no limit and no -maxtime is
the default (2 s); RS counts its own restarts in its row; the shell's help
lists every command and option the command accepts."""

import re
import time

from faultinj import errnos

HZ = 100                       # the kernel's clock (os/kernel/kernel.h)
TICK_US = 1000000 // HZ        # an event's t= is in virtual microseconds


def _ticks(a, b):
    """Ticks from event a to event b."""
    return (b.t - a.t) / TICK_US

# every option `service` takes, by the command it belongs to
OPTIONS = ["-args", "-period", "-policy", "-intensity", "-escalate", "-deps", "-deppolicy",
           "-ping", "-initcrash", "-initfail", "-inittimeout", "-x", "-y", "-z", "-state",
           "-maxtime", "-binary", "-pending"]
FI_KEYS = ["nth=", "times=", "prob=", "seed=", "arg=", "k=", "at=", "len=", "opnd=", "disp="]
COMMANDS = ["up", "down", "restart", "refresh", "update", "list", "fi"]


def _printed(con, command, expect=0):
    """What the command printed on the console. From the start of the line
    the console was in: the serial reader may hold part of a line (an
    event another process printed just before), whose rest, without its
    #EV, would pass for the command's output."""
    before = con.q.serial.text.rfind("\n") + 1
    con.run(command, expect=expect)
    return "\n".join(line for line in con.q.serial.text[before:].splitlines()
                     if "#EV" not in line)


def test_fi_refuses_an_unknown_label_unless_pending(live_os):
    con = live_os()
    m = con.mark()
    ev = con.run("service fi nosuch kv.put crash nth=1", expect=None)
    assert errnos.name(ev.int("result")) == "ESRCH"
    assert not con.events("fi_arm", since=m)
    # a running service, a running process that is no service, and any
    # process are armed as before
    con.run("service fi kv kv.put crash nth=1000")
    con.run("service fi tty tty.none crash nth=1")
    con.run("service fi * nosuch.site crash nth=1")
    assert len(con.events("fi_arm", since=m)) == 3
    m = con.mark()
    con.run("service fi -pending nosuch kv.put crash nth=1")
    arm = con.events("fi_arm", since=m)
    assert arm and arm[0].get("proc") == "nosuch"
    con.run("service fi off")


def test_state_must_be_a_number_or_a_state_name(live_os):
    con = live_os()
    m = con.mark()
    for bad in ["foo", "1x", "", "0", "-3"]:
        ev = con.run(f"service update kv -state {bad} -maxtime 100".replace("  ", " "),
                     expect=None)
        assert errnos.name(ev.int("result")) == "EINVAL", bad
    assert not con.events("update_requested", since=m)
    con.run("service update kv -state request_free -maxtime 100", timeout=60)
    req = con.events("update_requested", since=m, label="kv")
    assert req and req[0].int("state") == 2
    assert con.events("update_done", since=m, label="kv")


def test_maxtime_in_hz_is_seconds(live_os):
    con = live_os()
    m = con.mark()
    for bad in ["3xHZ", "HZ", "3Hz", "x", "-1"]:
        ev = con.run(f"service update kv -state 5 -maxtime {bad}", expect=None)
        assert errnos.name(ev.int("result")) == "EINVAL", bad
    assert not con.events("update_requested", since=m)
    ev = con.run("service update kv -state unreachable -maxtime 1HZ", expect=None, timeout=60)
    assert errnos.name(ev.int("result")) == "ETIMEDOUT"
    req = con.events("update_requested", since=m, label="kv")[0]
    ab = con.events("update_aborted", since=m, label="kv")[0]
    assert req.int("maxtime") == HZ and ab.get("why") == "prepare-timeout"
    # RS counts from the tick it took the request at, which began up to one
    # tick before the event's own time
    assert HZ - 1 <= _ticks(req, ab) <= HZ + 20, (req.t, ab.t)


def test_no_maxtime_is_the_default_two_seconds(live_os):
    con = live_os()
    m = con.mark()
    ev = con.run("service update kv -state 5", expect=None, timeout=60)
    assert errnos.name(ev.int("result")) == "ETIMEDOUT"
    req = con.events("update_requested", since=m, label="kv")[0]
    ab = con.events("update_aborted", since=m, label="kv")[0]
    assert 2 * HZ - 1 <= _ticks(req, ab) <= 2 * HZ + 20, (req.t, ab.t)   # see above


def test_maxtime_zero_waits_without_limit(fi_os):
    """-maxtime 0: the prepare is not aborted for time, well past the
    default; a crash of the service while preparing ends it."""
    s = fi_os()
    con = s.console
    m = con.mark()
    con.q.write("service update kv -state 5 -maxtime 0\r")
    req = con.wait_event("update_requested", since=m, label="kv", timeout=30)
    deadline = time.monotonic() + 90
    while s.inspect(lambda kv: kv.ticks()) < req.t // TICK_US + 4 * HZ:
        assert time.monotonic() < deadline, "the guest clock does not advance"
        time.sleep(0.5)
    assert not con.events("update_aborted", since=m)
    assert not con.events("shell_done", since=m)
    # ended by other means: kv crashes while preparing
    s.arm("sef.ping", "crash", proc="kv")
    ab = con.wait_event("update_aborted", since=m, label="kv", timeout=60)
    assert ab.get("why") == "crashed-while-preparing"
    done = con.wait_event("shell_done", since=m, timeout=30)
    assert errnos.name(done.int("result")) == "EFAULT"


def test_period_in_hz(live_os):
    con = live_os()
    con.run("service down echo")
    m = con.mark()
    for bad in ["1xHZ", "z"]:
        ev = con.run(f"service up echo -period {bad}", expect=None)
        assert errnos.name(ev.int("result")) == "EINVAL", bad
    assert not con.events("service_up", since=m)
    con.run("service up echo -period 1HZ", timeout=60)
    up = con.events("service_up", since=m, label="echo")
    assert up and up[0].int("period") == HZ
    assert con.service_row("echo").int("period") == HZ


def test_rs_counts_its_own_restarts(live_os):
    con = live_os()
    assert con.service_row("rs").int("restarts") == 0
    m = con.mark()
    con.run("service fi rs rs.request crash nth=1")
    con.run("service list", expect=None, timeout=30)      # the request RS dies on
    con.wait_event("rs_recovered", since=m, timeout=30)
    assert con.service_row("rs").int("restarts") == 1
    assert con.service_row("kv").int("restarts") == 0


def test_help_lists_every_command_and_option(live_os):
    con = live_os()
    usage = _printed(con, "service", expect=None)
    helptext = _printed(con, "help")
    for word in OPTIONS + FI_KEYS:
        assert word in usage, word
        assert re.search(r"(^|[\s\[|(])" + re.escape(word), helptext), word
    for cmd in COMMANDS:
        assert re.search(r"service (\[-\w+\] )?[\w|]*\b" + cmd + r"\b", helptext), cmd
    # help carries the whole usage text: nothing the command takes is missing
    for word in set(re.findall(r"(?<![\w-])-[a-z]+\b", usage)) | set(re.findall(r"\b\w+=", usage)):
        assert word in helptext, word
