"""The right answer to every trial request, computed straight from the store's SQLite file, not through the tools.

Usage: python bench/model_trials/answers.py --db trial.sqlite3 [--datastore-id ID] > expected.json

Each answer is one SQL query over the local datastore's tables (image_sets with its `tags` JSON, versions), so a
mistake in the server cannot hide in both the answer and what the model was shown. A request whose named patient,
accession or image set is absent from the store stops the script with a message (build the store as README.md says).
Prints one JSON object: {request id: answer}.
"""

import argparse
import json
import sqlite3
import sys
from pathlib import Path

DEMO_DATASTORE_ID = "12345678901234567890123456789012"


def tag(name: str) -> str:
    return f"json_extract(tags, '$.{name}')"


class Store:
    def __init__(self, path: Path, datastore_id: str):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        found = self.db.execute("SELECT ds FROM datastores WHERE id = ?", (datastore_id,)).fetchone()
        if found is None:
            sys.exit(f"answers: datastore {datastore_id} is not in {path}")
        self.ds = found[0]

    def rows(self, where: str = "1", params: tuple = (), columns: str = "id", order: str = "") -> list[tuple]:
        sql = f"SELECT {columns} FROM image_sets WHERE ds = ? AND ({where}) {order}"
        return self.db.execute(sql, (self.ds, *params)).fetchall()

    def column(self, where: str = "1", params: tuple = (), column: str = "id", order: str = "") -> list:
        return [row[0] for row in self.rows(where, params, column, order)]

    def one(self, where: str, params: tuple, column: str, order: str = ""):
        found = self.column(where, params, column, order)
        if not found:
            sys.exit(f"answers: nothing in the store matches {where} {params}: build the trial store as README.md says")
        return found[0]


def latest_levels(store: Store, image_set_id: str) -> dict:
    (levels,) = store.db.execute(
        "SELECT levels FROM versions v JOIN image_sets i ON i.pk = v.image_set WHERE i.ds = ? AND i.id = ? "
        "ORDER BY v.version DESC LIMIT 1",
        (store.ds, image_set_id),
    ).fetchone()
    return json.loads(levels)


def answers(store: Store) -> dict:
    name_words = f"lower({tag('DICOMPatientName')})"
    studies_of_patient = store.rows("patient_id = ?", ("SUBJECT78703",), "DISTINCT study_uid, study_dt")
    by_date = sorted(studies_of_patient, key=lambda row: row[1])
    series_two = store.one("accession_number = ? AND " + tag("DICOMSeriesNumber") + " = 2", ("A13118537",), "id")
    return {
        "R01": len(store.column()),
        "R02": len(store.column(f"{tag('DICOMSeriesModality')} = 'CT'")),
        "R03": sorted(store.column(f"{tag('DICOMSeriesModality')} = 'MR' AND {tag('DICOMSeriesBodyPart')} = 'KNEE'")),
        "R04": sorted(
            set(
                store.column(f"{name_words} LIKE '%nguyen571%' AND {name_words} LIKE '%daniel446%'", column="study_uid")
            )
        ),
        "R05": store.one(
            f"{tag('DICOMStudyDescription')} = 'CT HEAD W/O CONTRAST'", (), "accession_number", "ORDER BY study_dt DESC"
        ),
        "R06": [row[1][:8] for row in by_date[:-1]],
        "R07": store.one("id = ?", ("4d711843ea20e37baec65349e22f332c",), "n_instances"),
        "R08": store.one("accession_number = ? AND is_primary = 1", ("A13118537",), "sum(n_instances)"),
        "R09": sorted(store.column("is_primary = 0")),
        "R10": store.db.execute(
            "SELECT count(*) FROM versions v JOIN image_sets i ON i.pk = v.image_set WHERE i.ds = ? AND i.id = ?",
            (store.ds, "8381f662cb9eed103a0b2c0de798bd37"),
        ).fetchone()[0],
        "R11": len(
            set(store.column(f"{tag('DICOMStudyDescription')} = 'MRI BRAIN W/WO CONTRAST'", column="patient_id"))
        ),
        "R12": sorted(set(store.column(f"{tag('DICOMSeriesModality')} = 'MR'", column=tag("DICOMSeriesBodyPart")))),
        "R13": list(store.rows("accession_number = ?", ("A22505043",), f"{tag('DICOMPatientName')}, patient_id")[0]),
        "R14": sorted(
            set(
                store.column(
                    f"{tag('DICOMPatientSex')} = 'F' AND {tag('DICOMPatientBirthDate')} < '19600101'",
                    column="patient_id",
                )
            )
        ),
        "R15": latest_levels(store, series_two)["Series"]["SeriesDescription"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the trial store's SQLite file")
    parser.add_argument("--datastore-id", default=DEMO_DATASTORE_ID)
    options = parser.parse_args()
    if not options.db.exists():
        sys.exit(f"answers: no such file {options.db}")
    found = answers(Store(options.db, options.datastore_id))
    requests = json.loads((Path(__file__).parent / "requests.json").read_text())
    missing = {request["id"] for request in requests} - set(found)
    if missing:
        sys.exit(f"answers: no answer computed for {', '.join(sorted(missing))}")
    print(json.dumps(found, indent=1))


if __name__ == "__main__":
    main()
