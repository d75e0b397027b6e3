"""data·inclusion's published CSV files at the national size: how long reading them takes and how much
memory it holds, for the default scope (département 94, the specific needs' thématiques and networks).

The national files hold about 110 000 structures and 180 000 services. This writes files of that size in
the published shape (tests/fixtures/datainclusion/published/, each row copied with a new id and a commune
spread over France), then reads them with `read_files` as `sixtcap catalogue import --file` does. Prints the
files' sizes, the time, what was kept and, with --memory, the peak memory of Python objects (tracemalloc,
which slows the reading down several times: the time is then not the real one). Nothing is written to a
database.

Run: .venv/bin/python bench/datainclusion_bench.py [--services 180000] [--memory]"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.catalogue.outside import Scope, read_files  # noqa: E402
from bot.routing import load_rules  # noqa: E402

PUBLISHED = ROOT / "tests" / "fixtures" / "datainclusion" / "published"
DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20]


def _template(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (PUBLISHED / name).open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        return list(reader.fieldnames or []), [row for row in reader if not row["id"].endswith("-x")]


def write_files(folder: Path, services: int) -> tuple[Path, Path]:
    """About 0.6 structure per service, as nationally; one in 95 in the 94 (as many as any département)."""
    structure_columns, structure_rows = _template("structures.csv")
    service_columns, service_rows = _template("services.csv")
    structures_path, services_path = folder / "structures.csv", folder / "services.csv"
    structure_count = int(services * 0.6)
    with structures_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, structure_columns)
        writer.writeheader()
        for n in range(structure_count):
            row = dict(structure_rows[n % len(structure_rows)])
            departement = DEPARTEMENTS[n % len(DEPARTEMENTS)]
            row["id"] = f"{row['id']}-{n}"
            row["code_insee"] = departement + row["code_insee"][2:] if row["code_insee"] else ""
            writer.writerow(row)
    with services_path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, service_columns)
        writer.writeheader()
        for n in range(services):
            row = dict(service_rows[n % len(service_rows)])
            owner = n % structure_count
            departement = DEPARTEMENTS[owner % len(DEPARTEMENTS)]
            row["id"] = f"{row['id']}-{n}"
            row["structure_id"] = f"{row['structure_id']}-{owner}"
            row["code_insee"] = departement + row["code_insee"][2:] if row["code_insee"] else ""
            row["zone_eligibilite"] = ""
            writer.writerow(row)
    return structures_path, services_path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=180_000)
    parser.add_argument("--memory", action="store_true", help="measure the peak memory (slower)")
    args = parser.parse_args()
    rules = load_rules(ROOT / "data" / "routing.yml")
    scope = Scope(
        departements=("94",),
        thematiques=tuple(sorted({t for n in rules.specific_needs.values() for t in n.thematiques})),
        reseaux=tuple(sorted({r for n in rules.specific_needs.values() for r in n.reseaux})),
    )
    with tempfile.TemporaryDirectory() as folder:
        structures, services = write_files(Path(folder), args.services)
        size = (structures.stat().st_size + services.stat().st_size) / 1e6
        if args.memory:
            tracemalloc.start()
        started = time.perf_counter()
        rows = read_files([str(structures), str(services)], scope)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if args.memory else 0
        tracemalloc.stop()
    print(f"files: {args.services} services, {int(args.services * 0.6)} structures, {size:.0f} MB")
    memory = f", peak {peak / 1e6:.0f} MB of Python objects" if args.memory else ""
    print(f"read_files (94, the needs' thématiques and networks): {elapsed:.1f} s{memory}")
    kept = f"{len(rows.services)} services, {len(rows.structures)} structures"
    print(f"kept: {kept}, {len(rows.problems)} problems")


if __name__ == "__main__":
    main()
