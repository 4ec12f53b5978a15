"""make gdb EXP=<experiment id> [SPEC=file]: one campaign experiment under gdb.

The experiment is booted exactly as the campaign boots it: the same plan
(campaigns/scenario.py), the same modules and command line
(runner.boot_config) and the same machine (faultinj/planned.py
PlannedMachine), which stops at the kernel's plan_point, writes the steps
and the virtual-time limit and arms the faults there. Then, instead of
letting it run, the harness hands the stopped machine to gdb
(PlannedMachine.hand_over). Stopped where the campaign's machine stopped,
`continue` runs the campaign's run, event for event. A stop further on
is not free in virtual time (QEMU's icount moves the clock to its next
timer at every debug stop), so a run stopped on the way may go on
differently.

An experiment whose fault is armed at the boot hook (a boot service's
init failure) is handed over there instead, right after the arming: its
plan is then written by gdb at plan_point, the same bytes the harness
would write (planned.plan_writes), through a breakpoint that goes on by
itself.
"""

import sys
from pathlib import Path

from faultinj import bootimage, debugger, stubhold
from faultinj.planned import PlannedMachine, plan_writes
from faultinj.session import kernel_image

from . import check, runner, scenario

BOOT_LIMIT_S = 120.0


def find(campaign, exp_id: str):
    """The experiment with this id (a glob must name exactly one)."""
    sel = check.select(campaign, exp_id, "EXP")
    if len(sel) != 1:
        raise check.InputError(f"EXP='{exp_id}' matches {len(sel)} experiments of "
                               f"{campaign.filename}: {', '.join(sel.ids()[:5])}...")
    return sel.experiments[0]


def plan_at_breakpoint(steps: str, deadline_ms: int) -> list:
    """gdb commands that write the plan when the kernel reaches plan_point,
    then go on (the harness's job, done by gdb for a boot-hook hand-over)."""
    k = kernel_image()
    py = "; ".join(f"gdb.selected_inferior().write_memory({addr:#x}, {data!r})"
                   for addr, data in plan_writes(k, steps, deadline_ms))
    return [f"hbreak *{k.address('plan_point'):#x}", "commands", "silent",
            f"python {py}", 'echo [plan written at plan_point]\\n', "continue", "end"]


def main(exp_id: str, spec_path: str, services=None, gdb_args=(), build=None,
         console_log=None) -> int:
    try:
        campaign = check.campaign_input(spec_path, build=bootimage.BUILD, spec_var="SPEC")
        exp = find(campaign, exp_id)
    except check.InputError as e:
        print(f"campaign refused: {e}", file=sys.stderr)
        return 2
    plan = scenario.plan(exp, campaign)
    mods, append, boot_arm, plan_arm = runner.boot_config(plan)
    at_boot = bool(boot_arm)
    m = PlannedMachine(mods, append=append, boot_arm=boot_arm, limit=BOOT_LIMIT_S,
                       stop_at="boot_hook" if at_boot else "plan")
    console = None
    try:
        if m.boot_end is not None:
            print(f"faultinj gdb: the run of {exp.id} ended while the system booted "
                  f"({m.boot_end.end}), before the plan point", file=sys.stderr)
            return 1
        if at_boot:
            before = plan_at_breakpoint(plan.scenario_args, plan.deadline_ms)
            where = "the kernel's fi_boot_hook, its boot fault armed"
        else:
            m.stage(plan.scenario_args, plan.deadline_ms, plan_arm)
            before, where = [], "the kernel's plan_point, its plan written and its faults armed"
        sock = m.hand_over()
        console = debugger.ConsoleFiles(m.q, console_log)
        banner = [
            "",
            f"make gdb EXP: experiment {exp.id} ({campaign.filename}:{exp.line}),",
            f"stopped at {where}.",
            f"steps: {plan.scenario_args}",
            f"faults: {plan.arm}",
            "`continue` runs it as the campaign does; the guest halts itself at the end.",
            "Breakpoints in a program: hbreak-in PROC LOCATION (e.g. hbreak-in kv do_put).",
            f"console: tail -f {console.log}",
            "",
        ]
        status = debugger.run_gdb(sock, build=Path(build or bootimage.BUILD), services=services,
                                  gdb_args=gdb_args, before=before, banner=banner)
        return debugger.session_status(status, m.q)
    except stubhold.StubHeld as e:
        print(f"faultinj gdb: {e}", file=sys.stderr)
        return 3
    finally:
        debugger.finish(m.q, console)
        m.close()
