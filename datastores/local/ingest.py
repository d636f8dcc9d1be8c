"""File instances into series-level image sets the way HealthImaging's import does, inside the caller's transaction.

For each series: the first image set is primary; an instance whose grouping key matches the primary set joins it;
an instance that conflicts goes to the non-primary image set of that series with its key (created if none). An
instance whose SOP UID is already in its target image set adds nothing. Every image set that gains instances gets
one new version per call (not per instance), with its new updatedAt and its patient/study/series levels as of that
version; instances are stored once, tagged with the version that added them.
"""

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from imageset_search.datastores.errors import ConflictException
from imageset_search.datastores.local.records import Instance
from imageset_search.datastores.local.refined import refinement_columns, write_refinements
from imageset_search.datastores.studytime import study_key
from imageset_search.datastores.local.summary import (
    GroupingKey,
    fill_summary,
    grouping_key,
    indexed_columns,
    summary_key,
)

LEVELS = ("Patient", "Study", "Series")


@dataclass(frozen=True)
class AddResult:
    instances_added: int
    instances_duplicate: int
    image_sets_created: int
    image_sets_updated: int
    image_set_ids: tuple[str, ...] = ()  # the image sets that gained instances, in the order they were first touched


@dataclass
class Target:
    """One image set instances are going to: an existing row (pk set) or one this call creates."""

    key: GroupingKey
    is_primary: bool
    pk: int | None = None
    image_set_id: str | None = None
    version: int = 0
    n_instances: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    known_sops: set[str] = field(default_factory=set)
    new: list[Instance] = field(default_factory=list)


def add_instances(
    connection: sqlite3.Connection, ds: int, instances: Sequence[Instance], now_ms: int, new_id: Callable[[], str]
) -> AddResult:
    """File `instances` into datastore `ds` inside the caller's write transaction (which rolls back on any error)."""
    targets: list[Target] = []
    duplicates = 0
    for series_uid, members in _by_series(instances).items():
        series_targets = _existing_targets(connection, ds, series_uid)
        for instance in members:
            target = _target_for(series_targets, grouping_key(instance))
            if _known(connection, target, instance.sop_instance_uid):
                duplicates += 1
                continue
            target.known_sops.add(instance.sop_instance_uid)
            target.new.append(instance)
        targets.extend(t for t in series_targets if t.new)
    for target in targets:
        _write(connection, ds, target, now_ms, new_id)
    created = sum(1 for t in targets if t.version == 1)
    return AddResult(
        instances_added=sum(len(t.new) for t in targets),
        instances_duplicate=duplicates,
        image_sets_created=created,
        image_sets_updated=len(targets) - created,
        image_set_ids=tuple(t.image_set_id for t in targets),
    )


def _by_series(instances: Sequence[Instance]) -> dict[str, list[Instance]]:
    series: dict[str, list[Instance]] = {}
    for instance in instances:
        series.setdefault(instance.series_instance_uid, []).append(instance)
    return series


def _existing_targets(connection: sqlite3.Connection, ds: int, series_uid: str) -> list[Target]:
    """The image sets this series already has, primary first."""
    rows = connection.execute(
        "SELECT pk, id, version, is_primary, n_instances, tags FROM image_sets WHERE ds = ? AND series_uid = ? "
        "ORDER BY is_primary DESC, created_at, id",
        (ds, series_uid),
    ).fetchall()
    return [
        Target(summary_key(json.loads(tags)), bool(primary), pk, image_set_id, version, count, json.loads(tags))
        for pk, image_set_id, version, primary, count, tags in rows
    ]


def _target_for(series_targets: list[Target], key: GroupingKey) -> Target:
    """The primary set if the key matches it, else the non-primary set with this key; made if there is none."""
    for target in series_targets:
        if target.key == key:
            return target
    target = Target(key, is_primary=not series_targets)
    series_targets.append(target)
    return target


def _known(connection: sqlite3.Connection, target: Target, sop_uid: str) -> bool:
    """Whether the target image set already holds this SOP instance (stored, or earlier in this batch)."""
    if sop_uid in target.known_sops:
        return True
    if target.pk is None:
        return False
    row = connection.execute(
        "SELECT 1 FROM instances WHERE image_set = ? AND sop_uid = ?", (target.pk, sop_uid)
    ).fetchone()
    return row is not None


def _write(connection: sqlite3.Connection, ds: int, target: Target, now_ms: int, new_id: Callable[[], str]) -> None:
    """Store the target's new instances as its next version."""
    levels = _previous_levels(connection, target)
    for instance in target.new:
        fill_summary(target.summary, instance)
        _fill_levels(levels, instance)
    target.version += 1
    target.n_instances += len(target.new)
    if target.pk is None:
        target.image_set_id = new_id()
        try:
            target.pk = _insert_image_set(connection, ds, target, now_ms)
        except sqlite3.IntegrityError:
            raise ConflictException(
                f"Image set id {target.image_set_id} is already taken in this datastore: "
                "new_id() must return unused ids"
            ) from None
    else:
        _update_image_set(connection, target, now_ms)
    connection.executemany(
        "INSERT INTO instances (image_set, sop_uid, version, doc) VALUES (?, ?, ?, ?)",
        [(target.pk, i.sop_instance_uid, target.version, _dumps(_instance_node(i))) for i in target.new],
    )
    connection.execute(
        "INSERT INTO versions (image_set, version, updated_at, levels) VALUES (?, ?, ?, ?)",
        (target.pk, target.version, now_ms, _dumps(levels)),
    )


def _insert_image_set(connection: sqlite3.Connection, ds: int, target: Target, now_ms: int) -> int:
    tags = target.summary
    cursor = connection.execute(
        "INSERT INTO image_sets (ds, id, version, created_at, updated_at, is_primary, patient_id, accession_number, "
        "study_id, study_uid, series_uid, study_dt, n_instances, tags, modality, body_part, patient_sex, birth_date, "
        "name_id, description_id) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ds,
            target.image_set_id,
            now_ms,
            now_ms,
            int(target.is_primary),
            *indexed_columns(tags),
            target.n_instances,
            _dumps(tags),
            *refinement_columns(connection, tags),
        ),
    )
    return cursor.lastrowid


def _update_image_set(connection: sqlite3.Connection, target: Target, now_ms: int) -> None:
    """A new version: only the summary's non-key tags can have been filled in, so the key columns stay."""
    connection.execute(
        "UPDATE image_sets SET version = ?, updated_at = ?, n_instances = ?, tags = ?, study_dt = ? WHERE pk = ?",
        (
            target.version,
            now_ms,
            target.n_instances,
            _dumps(target.summary),
            study_key(target.summary.get("DICOMStudyDate"), target.summary.get("DICOMStudyTime")),
            target.pk,
        ),
    )
    write_refinements(connection, [(target.pk, target.summary)])


def _previous_levels(connection: sqlite3.Connection, target: Target) -> dict[str, dict[str, Any]]:
    if target.pk is None:
        return {level: {} for level in LEVELS}
    row = connection.execute(
        "SELECT levels FROM versions WHERE image_set = ? AND version = ?", (target.pk, target.version)
    ).fetchone()
    return json.loads(row[0])


def _fill_levels(levels: dict[str, dict[str, Any]], instance: Instance) -> None:
    """Add to each level (in place) the attributes it lacks or has empty: the first instance with a value wins."""
    for level, given in (("Patient", instance.patient), ("Study", instance.study), ("Series", instance.series)):
        attributes = levels[level]
        for keyword, value in given.items():
            if attributes.get(keyword) is None:
                attributes[keyword] = value


def _instance_node(instance: Instance) -> dict[str, Any]:
    """The instance's entry in the metadata document (no pixel data here, so no image frames)."""
    return {
        "DICOM": instance.instance,
        "DICOMVRs": instance.vrs,
        "StoredTransferSyntaxUID": instance.transfer_syntax_uid,
        "ImageFrames": [],
    }


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"an instance record holds a value that is not JSON ({type(error).__name__}); send plain JSON values"
        ) from None
