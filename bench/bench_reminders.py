"""What a reminder costs per enterprise, against printing that enterprise an access slip.

At production argon2 cost (a new code per reminder is the expensive part), on the demo county.
Reference, measured in the same run: issuing a new access code to each of the same enterprises
one by one and drawing their slips (``accounts.issue_access_code`` + ``access_slips.render_slips``).
Then reminders to the same enterprises through each channel: the SMS platform's CSV, printed
letters, and the gateway webhook against a local HTTP server that accepts every message.

    python bench/bench_reminders.py [--enterprises 60]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]


def main(enterprises: int = 60, verbose: bool = True) -> list[dict]:
    with mock.patch.dict(os.environ):  # the settings _measure changes are put back afterwards
        return _measure(enterprises, verbose)


def _measure(enterprises: int, verbose: bool) -> list[dict]:
    os.environ["QIPING_DEMO"] = "0"
    os.environ["QIPING_HASH_COST"] = "test"  # the demo county is built cheaply; measured at production cost
    os.environ["QIPING_BASE_URL"] = "https://qiping.example.gov.cn"
    from gateway_support import Gateway
    from surveys import startup
    from surveys.collection import reminders
    from surveys.core import clock
    from surveys.core.actors import ADMIN, Actor
    from surveys.demo import county
    from surveys.participants import accounts
    from surveys.reports import access_slips

    admin = Actor(role=ADMIN, id="admin", name="admin")
    clock.freeze(datetime(2026, 11, 20, 10, 0, tzinfo=clock.COUNTY_TIME))
    with tempfile.TemporaryDirectory() as work:
        db = startup.prepare(Path(work) / "bench.db")
        county.build_demo_county(db)
        os.environ.pop("QIPING_HASH_COST")  # production argon2 from here on
        targets = [row for row in reminders.reminder_targets(db, admin)][:enterprises]
        usccs = [row["uscc"] for row in targets]
        details = access_slips.letter_details(db, "2026Q4", "zh")

        start = time.perf_counter()
        issued = [access_slips.IssuedCode(row["uscc"], row["name"], accounts.issue_access_code(db, admin, row["uscc"]))
                  for row in targets]
        access_slips.render_slips(issued, details, "zh")
        reference = (time.perf_counter() - start) * 1000 / len(targets)

        rows = []
        for channel in reminders.CHANNELS:
            db.execute("DELETE FROM reminders")
            db.conn.commit()
            with Gateway() as gateway:
                os.environ[reminders.WEBHOOK_ENV] = gateway.url
                start = time.perf_counter()
                result = reminders.send_reminders(db, admin, channel, "zh", usccs=usccs)
                elapsed = (time.perf_counter() - start) * 1000 / len(targets)
            assert len(result.sent) == len(targets), result.message("en")
            rows.append({"name": f"reminder per enterprise, {channel} (production argon2)", "figure": elapsed,
                         "reference": reference, "unit": "ms", "ratio": elapsed / reference,
                         "target": "≤ 1.5× a new code and slip"})
        db.close()
    if verbose:
        print(f"{len(targets)} enterprises of the demo county, production argon2")
        print(f"{'reference: a new access code and its slip':<55} {reference:8.1f} ms/enterprise")
        for row in rows:
            print(f"{row['name']:<55} {row['figure']:8.1f} ms/enterprise  {row['ratio']:.2f}×")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=60)
    main(parser.parse_args().enterprises)
