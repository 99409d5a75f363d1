"""What one enterprise's survey costs the server: CPU per survey rerun and per save,
against a bare page's rerun measured in the same run.

Starts the app (``streamlit run streamlit_app.py`` on a fresh demo county) and, beside
it, a bare Streamlit page (one title, nothing else) as the reference for what any
rerun costs. One scripted client per server (bench/streamlit_client.py, Streamlit's
own websocket protocol, as the browser speaks it) signs in with a demo access code,
chooses every agency (so that each measured save rates a new one), and then:

- reruns the bare page ``--runs`` times (reference);
- reruns the survey page unchanged ``--runs`` times (what any whole-page interaction costs);
- saves a rating ``--runs`` times (five items, a comment, the save button: the answer the
  enterprise waits for, however many script runs the page makes of it).

The server's CPU is read from /proc/<pid>/stat (user + system time of the server
process, all its threads) before and after each series; the client waits for every
answer before sending the next, so the difference is the CPU of that series.

    python bench/bench_survey_cpu.py [--runs 20]

prints ms of server CPU per bare rerun, per survey rerun and per save, the ratios
to the bare rerun, and the script runs per save (the target, issue 13: a save at
most 2x a bare rerun). The bare page runs with the app's settings (.streamlit/config.toml,
which turns off Streamlit's full garbage collection after every run) and, as a second
reference, with Streamlit's defaults, as the issue's 31 ms bare rerun was measured.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP_DIR = HERE.parent
sys.path[:0] = [str(HERE), str(APP_DIR), str(APP_DIR / "tests")]

import i18n  # noqa: E402
from streamlit_client import SUCCESS, StreamlitSession, string_state, strings_state  # noqa: E402
from surveys.collection import questionnaire  # noqa: E402

LANG = "zh"
CODE = "QP-DEMO-0001"  # has not answered the open round
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def start_bare(work_dir: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """A Streamlit server for a page with one title: the reference rerun, started in the
    app's folder so that it runs with the app's settings (.streamlit/config.toml)."""
    from browser_support import free_port

    script = work_dir / "bare_page.py"
    if not script.exists():
        script.write_text('import streamlit as st\n\nst.title("bare")\n')
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *options],
        cwd=APP_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return process, url
        except OSError:
            time.sleep(0.25)
    process.kill()
    raise RuntimeError("the bare page's server did not start")


async def measure(pid: int, runs: int, step) -> float:
    """Server CPU seconds per call of ``step`` (awaited ``runs`` times, after two to warm up)."""
    for _ in range(2):
        await step()
    before = cpu_seconds(pid)
    for _ in range(runs):
        await step()
    return (cpu_seconds(pid) - before) / runs


async def bench(app_url: str, app_pid: int, db_path: Path, bare_url: str, bare_pid: int, runs: int,
                default_url: str | None = None, default_pid: int | None = None) -> dict:
    from bench_load import agency_labels

    bare = StreamlitSession(bare_url, timeout=60)
    await bare.open()
    app = StreamlitSession(app_url, timeout=60)
    page = await app.open()
    code_box = page.labelled("text_input", i18n.t("signin.access_code", LANG))
    submit = next(e for e in page.of_kind("button") if "FormSubmitter:enterprise_sign_in" in e.id)
    page = await app.rerun([string_state(code_box.id, CODE)], trigger=submit.id)
    box = page.widget("chosen_agencies")
    assert box is not None, "the survey's agency picker is not on the page"
    labels = agency_labels(db_path)
    if runs + 2 > len(labels):
        raise ValueError(f"--runs at most {len(labels) - 2}: one save per agency, two to warm up")
    page = await app.rerun([strings_state(box.id, list(labels.values()))])
    if page.widget("start_rating") is not None:  # "done choosing": the rating step
        page = await app.rerun(trigger=page.widget("start_rating").id)
    items = _item_codes()
    rng = random.Random(1)
    saves = {"runs": [], "confirmed": 0}

    async def save() -> None:
        agency = next(e for e in app.page.of_kind("button") if "-save_" in e.id).id.rsplit("-save_", 1)[1]
        values = [string_state(app.page.widget(f"r_{agency}_{item}").id,
                               i18n.t(f"levels.{rng.choice(questionnaire.LEVELS)}", LANG)) for item in items]
        values.append(string_state(app.page.widget(f"c_{agency}").id, f"cpu bench {rng.random()}"))
        answer = await app.rerun(values, trigger=app.page.widget(f"save_{agency}").id)
        saves["runs"].append(answer.runs)
        done = {i18n.t(k, LANG, agency=labels[agency]) for k in ("survey.saved", "survey.revised")}
        saves["confirmed"] += bool(done & set(answer.alerts(SUCCESS)))

    async def survey_rerun() -> None:
        await app.rerun()

    async def bare_rerun() -> None:
        await bare.rerun()

    figures = {
        "bare": await measure(bare_pid, runs, bare_rerun),
        "survey": await measure(app_pid, runs, survey_rerun),
        "save": await measure(app_pid, runs, save),
    }
    figures["bare_again"] = await measure(bare_pid, runs, bare_rerun)  # the machine did not change meanwhile
    if default_url:
        default = StreamlitSession(default_url, timeout=60)
        await default.open()

        async def default_rerun() -> None:
            await default.rerun()
        figures["bare_defaults"] = await measure(default_pid, runs, default_rerun)
        await default.close()
    figures["runs_per_save"] = sum(saves["runs"]) / len(saves["runs"])
    figures["confirmed"], figures["saves"] = saves["confirmed"], len(saves["runs"])
    await app.close()
    await bare.close()
    return figures


def _item_codes() -> list[str]:
    import tomllib

    with (APP_DIR / "data" / "questionnaires" / "v1.toml").open("rb") as f:
        return [item["code"] for item in tomllib.load(f)["items"]]


def run(runs: int = 20) -> dict:
    """The figures (seconds of server CPU per interaction, and counts) of one run."""
    from browser_support import start_server

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        bare, bare_url = start_bare(Path(tmp))
        # the same page with Streamlit's default settings (a full garbage collection after every run)
        default, default_url = start_bare(Path(tmp), "--runner.postScriptGC", "true")
        try:
            figures = asyncio.run(bench(server.url, server.process.pid, server.db_path, bare_url, bare.pid,
                                        runs, default_url, default.pid))
        finally:
            server.stop()
            for process in (bare, default):
                process.terminate()
                process.wait(timeout=10)
    figures["reference"] = (figures["bare"] + figures["bare_again"]) / 2
    return figures


def table_rows(figures: dict) -> list[dict]:
    """The figures as rows of bench/run_all.py's table (ms of server CPU)."""
    reference = figures["reference"]
    return [{"name": f"survey save, server CPU ({figures['runs_per_save']:.1f} script runs per save)",
             "figure": figures["save"] * 1000, "unit": "ms", "reference": reference * 1000,
             "ratio": figures["save"] / reference,
             "target": f"<= 2x a bare rerun; {figures['save'] / figures['bare_defaults']:.2f}x the bare page"
                       " with Streamlit's defaults"},
            {"name": "survey whole-page rerun, server CPU", "figure": figures["survey"] * 1000, "unit": "ms",
             "reference": reference * 1000, "ratio": figures["survey"] / reference, "target": ""}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="interactions measured in each series")
    args = parser.parse_args()
    try:
        figures = run(args.runs)
    except ValueError as error:
        parser.error(str(error))
    reference = figures["reference"]
    ms = lambda seconds: seconds * 1000  # noqa: E731
    print(f"bare page rerun (reference): {ms(reference):.1f} ms server CPU"
          f" (first series {ms(figures['bare']):.1f}, last {ms(figures['bare_again']):.1f})")
    print(f"survey rerun:                {ms(figures['survey']):.1f} ms = {figures['survey'] / reference:.2f}x bare")
    print(f"survey save:                 {ms(figures['save']):.1f} ms = {figures['save'] / reference:.2f}x bare"
          f" ({figures['runs_per_save']:.1f} script runs per save; {figures['confirmed']}/{figures['saves']}"
          " confirmed; target <= 2x)")
    defaults = figures["bare_defaults"]
    print(f"bare page rerun with Streamlit's default settings (postScriptGC on): {ms(defaults):.1f} ms;"
          f" survey rerun = {figures['survey'] / defaults:.2f}x, save = {figures['save'] / defaults:.2f}x that")


if __name__ == "__main__":
    main()
