"""Peak memory of reading hostile upload files, against an honest file, in the same run.

Each file is imported as an enterprise roster (registry.import_enterprises, the
path every upload takes through surveys/storage/tabular.py) into a fresh database, each
in a process of its own, so that the process's high-water mark (ru_maxrss)
belongs to that file alone; tracemalloc's peak (Python allocations only) is
printed beside it. The reference is the largest honest file the limits let
through: a roster of 20,000 enterprises (the 10x county has 3,000). Before the limits, the 108 KB sheet claiming A1:XFD1048576 took
1.3 GB and a 1,000,000-row CSV 1.6 GB (967,742 problems listed).

    python bench/bench_import_limits.py
"""
from __future__ import annotations

import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = "统一社会信用代码,企业名称,行业,联系人,联系电话"


def _uscc(i: int) -> str:
    from surveys.participants.uscc import make_uscc
    return make_uscc(f"91511022MA{i:07d}")


def honest_csv(rows: int = 3000) -> bytes:
    lines = [HEADER] + [f"{_uscc(i)},青川县第{i}建材有限公司,建材,王伟,1380000{i:04d}" for i in range(rows)]
    return "\n".join(lines).encode("utf-8")


def honest_xlsx(rows: int = 3000) -> bytes:
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    for line in honest_csv(rows).decode().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def claims_every_cell(extra: dict[str, str] | None = None, rows: int = 3000) -> bytes:
    """An honest XLSX whose <dimension> says A1:XFD1048576, plus ``extra`` cells."""
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(honest_xlsx(rows)))
    for ref, value in (extra or {}).items():
        book.active[ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', data)
            target.writestr(info, data)
    return out.getvalue()


def million_row_csv() -> bytes:
    return (HEADER + "\n" + "bad,x\n" * 1_000_000).encode()


def many_short_rows_csv() -> bytes:
    return (HEADER + "\n" + "x\n" * 2_000_000).encode()  # 4 MB: under the size limit, over the row limit


def all_bad_rows_csv() -> bytes:
    return (HEADER + "\n" + "".join(f"bad{i},\n" for i in range(19_999))).encode()  # two problems a row


CASES = {
    # name: (file name, builder)
    "honest CSV, 3,000 enterprises": ("r.csv", honest_csv),
    "honest XLSX, 3,000 enterprises": ("r.xlsx", honest_xlsx),
    "honest CSV, 20,000 enterprises: the row limit (reference)": ("r.csv", lambda: honest_csv(20_000)),
    "XLSX claiming A1:XFD1048576, 3,000 rows": ("r.xlsx", claims_every_cell),
    "XLSX claiming A1:XFD1048576, a cell in XFD1048576": ("r.xlsx", lambda: claims_every_cell({"XFD1048576": "x"})),
    "CSV, 1,000,000 rows": ("r.csv", million_row_csv),
    "CSV, 2,000,000 one-letter rows (4 MB)": ("r.csv", many_short_rows_csv),
    "CSV, 19,999 bad rows (39,998 problems)": ("r.csv", all_bad_rows_csv),
}


def run_case(name: str, path: str) -> dict:
    """Import one file (built by the parent, so building it is not measured) into a fresh database."""
    os.environ["QIPING_DEMO"] = "0"
    from surveys import startup
    from surveys.participants import registry
    from surveys.core.actors import ADMIN, Actor
    from surveys.core.errors import ImportRefused, QipingError

    filename, _ = CASES[name]
    data = Path(path).read_bytes()
    db = startup.prepare(Path(tempfile.mkdtemp()) / "bench.db")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = registry.import_enterprises(db, Actor(role=ADMIN, id="bench"), data, filename)
        outcome = f"imported {result['added']}"
    except ImportRefused as refused:
        outcome = f"refused: {refused.total} problems, {len(refused.details('en'))} lines shown"
    except QipingError as error:
        outcome = f"refused: {error.key}"
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"name": name, "file_kb": len(data) / 1024, "outcome": outcome, "seconds": seconds,
            "traced_peak_mb": traced_peak / 2**20, "rss_growth_mb": (peak - baseline) / 1024}


def measure(name: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / CASES[name][0]
        path.write_bytes(CASES[name][1]())
        output = subprocess.run([sys.executable, __file__, "--case", name, str(path)], check=True,
                                capture_output=True, text=True)
    return json.loads(output.stdout)


def main(verbose: bool = True) -> list[dict]:
    measured = [measure(name) for name in CASES]
    reference = max(m["traced_peak_mb"] for m in measured if "reference" in m["name"])
    if verbose:
        print("| file | size | outcome | seconds | tracemalloc peak | max RSS growth |")
        print("|---|---:|---|---:|---:|---:|")
        for m in measured:
            print(f"| {m['name']} | {m['file_kb']:,.0f} KB | {m['outcome']} | {m['seconds']:.2f} "
                  f"| {m['traced_peak_mb']:.1f} MB | {m['rss_growth_mb']:.1f} MB |")
    worst = max((m for m in measured if "reference" not in m["name"]), key=lambda m: m["traced_peak_mb"])
    return [{"name": f"peak memory, worst hostile upload ({worst['name']})", "figure": worst["traced_peak_mb"],
             "unit": "MB", "reference": reference, "ratio": worst["traced_peak_mb"] / reference,
             "target": "≤ 1× the largest honest file"}]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], sys.argv[3])))
    else:
        main()
