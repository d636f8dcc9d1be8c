"""The DICOM importer on real files: pydicom's own test data, and files written here with pydicom."""

import json
import logging
import os
import re
import threading
import warnings
from datetime import date
from pathlib import Path

import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.data import get_charset_files, get_testdata_file, get_testdata_files
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian

from imageset_search.datastores.local import dicom_values, importer
from imageset_search.datastores.local.importer import (
    SkipFile,
    import_paths,
    list_files,
    read_instance,
)
from imageset_search.datastores.local.store import LocalStore
from reliability.integrity import summaries

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
# Every reason the importer gives: fixed words, never a value read from the file.
REASON = re.compile(
    r"^(not a DICOM file|a DICOMDIR \(a folder index, not an instance\)|no (StudyInstanceUID|SeriesInstanceUID|"
    r"SOPInstanceUID)|(StudyInstanceUID|SeriesInstanceUID|SOPInstanceUID) is not a valid UID|unreadable: \w+|"
    r"not a regular file)$"
)


def write_dicom(path: Path, preamble: bool = True, **attributes) -> Path:
    """A small CT instance; keyword arguments set (or, with None, remove) attributes. Values are written as given,
    legacy spellings included."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = attributes.get("SOPInstanceUID") or "1.2.3.4.5.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    fields = {
        "SOPClassUID": CT_IMAGE_STORAGE,
        "SOPInstanceUID": "1.2.3.4.5.1",
        "StudyInstanceUID": "1.2.3.4",
        "SeriesInstanceUID": "1.2.3.4.5",
        "PatientID": "PAT-1",
        "PatientName": "Doe^Jane",
        "StudyDate": "20240105",
        "StudyTime": "093000",
        "AccessionNumber": "ACC-1",
        "StudyID": "S1",
        "Modality": "CT",
        "SeriesNumber": 1,
        **attributes,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the legacy spellings these tests write on purpose
        for keyword, value in fields.items():
            if value is not None:
                setattr(ds, keyword, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    if preamble:
        ds.save_as(path, enforce_file_format=True)
    else:  # a bare dataset, no preamble and no file meta, as ACR-NEMA era files are
        ds.file_meta, ds.preamble = FileMetaDataset(), None
        ds.save_as(path, implicit_vr=True, little_endian=True)
    return path


@pytest.fixture
def store(tmp_path):
    with LocalStore(tmp_path / "store.sqlite3") as local:
        yield local


@pytest.fixture
def datastore(store):
    return store.create_datastore("test")


# -- pydicom's own test files -------------------------------------------------------------------------------------


def test_every_pydicom_test_file_is_imported_or_skipped_with_a_reason(store, datastore):
    test_files, charset_files = get_testdata_files(), get_charset_files()  # files, and the folders of test files
    paths = [*test_files, Path(test_files[0]).parent, *charset_files, Path(charset_files[0]).parent]
    expected = {
        file.resolve()
        for path in map(Path, paths)
        for file in (path.rglob("*") if path.is_dir() else [path])
        if file.is_file()
    }
    report = import_paths(store, datastore, paths, batch_size=25)

    assert report.files_seen == len(expected)
    assert {Path(path).resolve() for path, _ in report.skipped} <= expected
    assert report.instances_added + report.duplicates + len(report.skipped) == report.files_seen
    assert all(REASON.match(reason) for _, reason in report.skipped), report.skipped
    skipped = {Path(path).name: reason for path, reason in report.skipped}
    assert skipped["README.txt"] == "not a DICOM file"
    assert skipped["DICOMDIR"].startswith("a DICOMDIR")
    assert "CT_small.dcm" not in skipped and "MR_small.dcm" not in skipped
    assert report.image_sets_created == len(summaries(store, datastore)) > 10


def test_names_are_decoded_with_the_files_character_set(store, datastore):
    files = {Path(path).name: path for path in get_charset_files()}

    name = read_instance(files["chrH31.dcm"]).tags["DICOMPatientName"]
    assert name == "Yamada^Tarou=山田^太郎=やまだ^たろう"
    assert read_instance(files["chrRuss.dcm"]).tags["DICOMPatientName"] == "Люкceмбypг"
    import_paths(store, datastore, [files["chrGerm.dcm"]])
    [summary] = summaries(store, datastore)
    assert summary["DICOMTags"]["DICOMPatientName"] == "Äneas^Rüdiger"


def test_a_real_ct_file_is_split_into_healthimaging_levels():
    instance = read_instance(get_testdata_file("CT_small.dcm"))

    assert instance.tags["DICOMPatientId"] == "1CT1"
    assert instance.tags["DICOMSeriesModality"] == "CT"
    assert instance.tags["DICOMSeriesNumber"] == 1
    assert instance.tags["DICOMStudyDate"] == "20040119"
    assert instance.tags["DICOMAccessionNumber"] is None  # present in the file, but empty
    assert instance.patient["PatientName"] == "CompressedSamples^CT1"
    assert instance.patient["OtherPatientIDsSequence"][0] == {"PatientID": "ABCD1234", "TypeOfPatientID": "TEXT"}
    assert instance.study["PatientAge"] == "000Y" and instance.study["PatientWeight"] == 0.0
    assert instance.series["SeriesInstanceUID"] == instance.series_instance_uid
    assert instance.instance["ImagePositionPatient"] == pytest.approx([-158.135803, -179.035797, -75.699997])
    assert instance.instance["Rows"] == 128 and "PixelData" not in instance.instance
    assert instance.vrs["ImagePositionPatient"] == "DS" and "PatientName" not in instance.vrs
    assert set(instance.vrs) == set(instance.instance)
    assert not any(key.startswith("(") or not key for key in instance.instance)  # private tags are left out
    assert instance.transfer_syntax_uid == "1.2.840.10008.1.2.1"
    json.dumps([instance.tags, instance.patient, instance.study, instance.series, instance.instance])


def test_legacy_dates_and_times_of_a_real_file_are_normalized():
    instance = read_instance(get_testdata_file("ExplVR_BigEnd.dcm"))  # StudyDate 1997.04.24, StudyTime 14:04:38

    assert instance.tags["DICOMStudyDate"] == "19970424"
    assert instance.tags["DICOMStudyTime"] == "140438"
    assert instance.study["StudyDate"] == "19970424"
    assert instance.transfer_syntax_uid == ExplicitVRBigEndian


def test_a_file_without_preamble_is_read_and_its_transfer_syntax_inferred(tmp_path):
    path = write_dicom(tmp_path / "bare.dcm", preamble=False)
    assert pydicom.misc.is_dicom(path) is False

    instance = read_instance(path)

    assert instance.sop_instance_uid == "1.2.3.4.5.1"
    assert instance.transfer_syntax_uid == "1.2.840.10008.1.2"


# -- values written here ------------------------------------------------------------------------------------------


def test_legacy_values_in_written_files_are_normalized(tmp_path):
    path = write_dicom(
        tmp_path / "legacy.dcm",
        StudyDate="1997.04.24",
        StudyTime="14:07:28",
        SeriesTime="14:07:28.125",
        PatientID="  PAT 1  ",
        StudyDescription="CHEST   ",
        AccessionNumber="",
        BodyPartExamined=None,
        SeriesNumber="12",
    )

    instance = read_instance(path)

    assert instance.tags["DICOMStudyDate"] == "19970424"
    assert instance.tags["DICOMStudyTime"] == "140728"
    assert instance.series["SeriesTime"] == "140728.125"
    assert instance.tags["DICOMPatientId"] == "PAT 1"
    assert instance.tags["DICOMStudyDescription"] == "CHEST"
    assert instance.tags["DICOMAccessionNumber"] is None
    assert instance.tags["DICOMSeriesBodyPart"] is None
    assert instance.tags["DICOMSeriesNumber"] == 12


def test_values_become_json_values(tmp_path):
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator = "T-D3000", "SRT"
    path = write_dicom(
        tmp_path / "values.dcm",
        OtherPatientNames=["Doe^J", "Roe^Jane"],
        PixelSpacing=[0.5, 0.25],
        ImageType=["ORIGINAL", "PRIMARY"],
        InstanceNumber="7",
        AnatomicRegionSequence=Sequence([item]),
        IconImageSequence=None,
        ReferringPhysicianName="",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path)
    ds.add_new(0x00091010, "LO", "private")
    ds.add_new(0x00091011, "OB", b"\x01\x02")
    ds.save_as(path)

    instance = read_instance(path)

    assert instance.patient["OtherPatientNames"] == ["Doe^J", "Roe^Jane"]
    assert instance.instance["PixelSpacing"] == [0.5, 0.25]
    assert instance.instance["ImageType"] == ["ORIGINAL", "PRIMARY"]
    assert instance.instance["InstanceNumber"] == 7
    assert instance.instance["AnatomicRegionSequence"] == [{"CodeValue": "T-D3000", "CodingSchemeDesignator": "SRT"}]
    assert instance.study["ReferringPhysicianName"] is None
    assert all(isinstance(key, str) and key.isidentifier() for key in instance.instance)
    assert "private" not in json.dumps(instance.instance)


def test_pixel_data_is_never_read(tmp_path):
    path = write_dicom(tmp_path / "image.dcm", Rows=512, Columns=512, BitsAllocated=16, PixelData=bytes(512 * 512 * 2))
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(path.read_bytes()[:-400_000])  # pixel data cut short: reading it would fail

    instance = read_instance(truncated)

    assert instance.instance["Rows"] == 512 and "PixelData" not in instance.instance


@pytest.mark.parametrize(
    "attributes, reason",
    [
        ({"SeriesInstanceUID": None}, "no SeriesInstanceUID"),
        ({"StudyInstanceUID": None}, "no StudyInstanceUID"),
        ({"SOPInstanceUID": None}, "no SOPInstanceUID"),
        ({"SeriesInstanceUID": "1.2.abc"}, "SeriesInstanceUID is not a valid UID"),
    ],
)
def test_a_file_without_usable_uids_is_skipped(tmp_path, attributes, reason):
    path = write_dicom(tmp_path / "x.dcm", **attributes)
    with pytest.raises(SkipFile) as raised:
        read_instance(path)
    assert raised.value.reason == reason


def test_files_that_are_not_dicom_are_skipped_with_a_plain_reason(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("PatientName: Jane Doe\n")
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    header_cut = tmp_path / "cut.dcm"
    header_cut.write_bytes(write_dicom(tmp_path / "whole.dcm").read_bytes()[:200])

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    dangling = tmp_path / "dangling.dcm"
    dangling.symlink_to(tmp_path / "gone.dcm")

    for path in (text, empty):
        with pytest.raises(SkipFile, match="^not a DICOM file$"):
            read_instance(path)
    for path in (fifo, dangling):
        with pytest.raises(SkipFile, match="^not a regular file$"):
            read_instance(path)
    with pytest.raises(SkipFile) as raised:
        read_instance(header_cut)
    assert REASON.match(raised.value.reason) and "Doe" not in raised.value.reason


@given(st.dates(min_value=date(1900, 1, 1)), st.sampled_from(".-/"))
def test_any_legacy_date_becomes_its_compact_form(day, separator):
    compact = day.strftime("%Y%m%d")
    assert dicom_values.normalize_date(day.strftime(f"%Y{separator}%m{separator}%d")) == compact
    assert dicom_values.normalize_date(compact) == compact


@given(st.times())
def test_any_legacy_time_becomes_its_compact_form(clock):
    fraction = f".{clock.microsecond:06d}" if clock.microsecond else ""
    compact = clock.strftime("%H%M%S") + fraction
    assert dicom_values.normalize_time(clock.strftime("%H:%M:%S") + fraction) == compact
    assert dicom_values.normalize_time(compact) == compact


def test_normalizers_on_their_own():
    assert dicom_values.normalize_date("1997.04.24") == "19970424"
    assert dicom_values.normalize_date("1997-04-24 ") == "19970424"
    assert dicom_values.normalize_date("19970424") == "19970424"
    assert dicom_values.normalize_date("  ") is None
    assert dicom_values.normalize_time("14:07:28") == "140728"
    assert dicom_values.normalize_time("14:07") == "1407"
    assert dicom_values.normalize_time("14:07:28.000123") == "140728.000123"
    assert dicom_values.normalize_time("140728.5") == "140728.5"
    assert dicom_values.to_int(" 12 ") == 12
    assert dicom_values.to_int("3.0") == 3
    assert dicom_values.to_int("3.5") is None and dicom_values.to_int("") is None
    assert dicom_values.to_float("nan") is None and dicom_values.to_float(float("inf")) is None
    assert dicom_values.clean_text("ABC\x00") == "ABC"


# -- the walk, batches and grouping through the real path ---------------------------------------------------------


def test_folders_are_walked_in_sorted_order_and_each_file_counted_once(tmp_path):
    for name in ("b/2.dcm", "a/9.dcm", "a/10.dcm", "c.dcm"):
        write_dicom(tmp_path / "in" / name)

    files = list_files([tmp_path / "in", tmp_path / "in" / "c.dcm", tmp_path / "in" / "a"])

    relative = [file.relative_to(tmp_path / "in").as_posix() for file in files]
    assert relative == ["c.dcm", "a/10.dcm", "a/9.dcm", "b/2.dcm"]
    with pytest.raises(FileNotFoundError, match="no such file or folder: .*missing"):
        list_files([tmp_path / "missing"])


def test_one_bad_file_never_stops_the_import(store, datastore, tmp_path):
    write_dicom(tmp_path / "in" / "1.dcm", SOPInstanceUID="1.2.3.4.5.1")
    (tmp_path / "in" / "2.dcm").write_text("not dicom")
    write_dicom(tmp_path / "in" / "3.dcm", SOPInstanceUID="1.2.3.4.5.3", SeriesInstanceUID=None)
    write_dicom(tmp_path / "in" / "4.dcm", SOPInstanceUID="1.2.3.4.5.4")
    seen = []

    report = import_paths(store, datastore, [tmp_path / "in"], progress=lambda done, total: seen.append((done, total)))

    assert (report.files_seen, report.instances_added, report.image_sets_created) == (4, 2, 1)
    assert [(Path(path).name, reason) for path, reason in report.skipped] == [
        ("2.dcm", "not a DICOM file"),
        ("3.dcm", "no SeriesInstanceUID"),
    ]
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]  # (0, 4) before the first file is read


def test_same_series_imported_again_with_new_instances_becomes_version_2(store, datastore, tmp_path):
    for n in (1, 2):
        write_dicom(tmp_path / "first" / f"{n}.dcm", SOPInstanceUID=f"1.2.3.4.5.{n}")
    write_dicom(tmp_path / "later" / "3.dcm", SOPInstanceUID="1.2.3.4.5.3")

    first = import_paths(store, datastore, [tmp_path / "first"])
    again = import_paths(store, datastore, [tmp_path / "first"])
    later = import_paths(store, datastore, [tmp_path / "later"])

    assert (first.instances_added, first.image_sets_created) == (2, 1)
    assert (again.instances_added, again.duplicates, again.image_sets_updated) == (0, 2, 0)
    assert (later.instances_added, later.image_sets_updated) == (1, 1)
    [summary] = summaries(store, datastore)
    assert summary["version"] == 2 and summary["isPrimary"] is True
    assert summary["DICOMTags"]["DICOMNumberOfStudyRelatedInstances"] == 3


def test_a_conflicting_instance_goes_to_a_non_primary_image_set(store, datastore, tmp_path):
    write_dicom(tmp_path / "a" / "1.dcm", SOPInstanceUID="1.2.3.4.5.1")
    write_dicom(tmp_path / "b" / "2.dcm", SOPInstanceUID="1.2.3.4.5.2", AccessionNumber="ACC-OTHER")

    import_paths(store, datastore, [tmp_path / "a"])
    report = import_paths(store, datastore, [tmp_path / "b"])

    assert (report.instances_added, report.image_sets_created) == (1, 1)
    found = summaries(store, datastore)  # both image sets are of series 1.2.3.4.5
    assert sorted((s["isPrimary"], s["DICOMTags"]["DICOMAccessionNumber"]) for s in found) == [
        (False, "ACC-OTHER"),
        (True, "ACC-1"),
    ]


def test_a_series_is_not_split_across_batches_even_when_its_files_interleave(store, datastore, tmp_path):
    for n in range(1, 7):  # in sorted order the files alternate: s1, s2, s1, s2, ...
        write_dicom(tmp_path / "in" / f"{n:02d}-a.dcm", SOPInstanceUID=f"1.2.3.4.5.{n}")
        write_dicom(tmp_path / "in" / f"{n:02d}-b.dcm", SOPInstanceUID=f"1.2.3.4.6.{n}", SeriesInstanceUID="1.2.3.4.6")
    (tmp_path / "in" / "03-c.txt").write_text("not dicom")

    report = import_paths(store, datastore, [tmp_path / "in"], batch_size=2)

    assert (report.instances_added, report.image_sets_created, report.image_sets_updated) == (12, 2, 0)
    assert [s["version"] for s in summaries(store, datastore)] == [1, 1]
    assert report.skipped == [(str(tmp_path / "in" / "03-c.txt"), "not a DICOM file")]


def test_each_file_is_read_once_and_stored_series_by_series(store, datastore, tmp_path, monkeypatch):
    """Interleaved series are stored whole, one call per series, in the order series are first met; each header is
    walked once for both."""
    write_dicom(tmp_path / "in" / "1.dcm", SeriesInstanceUID="1.2.3.4.5", SOPInstanceUID="1.2.3.4.5.1")
    write_dicom(tmp_path / "in" / "2.dcm", SeriesInstanceUID="1.2.3.4.6", SOPInstanceUID="1.2.3.4.6.1")
    (tmp_path / "in" / "3.txt").write_text("not dicom")
    write_dicom(tmp_path / "in" / "4.dcm", SeriesInstanceUID="1.2.3.4.5", SOPInstanceUID="1.2.3.4.5.2")
    walked, stored = [], []
    walk, add = importer.fast_header, store.add_instances
    monkeypatch.setattr(importer, "fast_header", lambda path: walked.append(path.name) or walk(path))
    monkeypatch.setattr(store, "add_instances", lambda *args, **kw: stored.append(args[1]) or add(*args, **kw))

    report = import_paths(store, datastore, [tmp_path / "in"], batch_size=1)

    assert walked == ["1.dcm", "2.dcm", "3.txt", "4.dcm"]
    assert [[instance.sop_instance_uid for instance in batch] for batch in stored] == [
        ["1.2.3.4.5.1", "1.2.3.4.5.2"],
        ["1.2.3.4.6.1"],
    ]
    assert (report.instances_added, report.image_sets_created) == (3, 2)
    assert {summary["version"] for summary in summaries(store, datastore)} == {1}


def test_instances_waiting_on_disk_are_stored_as_those_held_in_memory(store, tmp_path, monkeypatch):
    """Past SHELF_MEMORY the instances read wait in a file on disk; what is stored is the same, version for version."""
    from imageset_search.datastores.local.demo import write_dicom_files
    from reliability.integrity import contents

    write_dicom_files(tmp_path / "in", 30, seed=5)
    in_memory, on_disk = store.create_datastore("memory"), store.create_datastore("disk")
    import_paths(store, in_memory, [tmp_path / "in"], batch_size=4)
    monkeypatch.setattr(importer, "SHELF_MEMORY", 1)  # the first instance already rolls the shelf over to disk
    import_paths(store, on_disk, [tmp_path / "in"], batch_size=4)

    def comparable(datastore_id):
        stored = contents(store, datastore_id)
        return {key: (held, summary["version"], summary["DICOMTags"]) for key, (held, summary) in stored.items()}

    assert comparable(on_disk) == comparable(in_memory) and len(comparable(in_memory)) > 5


def test_no_patient_value_reaches_the_log(tmp_path, caplog):
    # pydicom warns, quoting the value, about a UID with a leading-zero component when it reads one
    path = write_dicom(tmp_path / "x.dcm", FrameOfReferenceUID="1.2.0345.99")
    caplog.clear()
    with caplog.at_level("DEBUG"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        instance = read_instance(path)
    assert instance.instance["FrameOfReferenceUID"] == "1.2.0345.99"
    assert "0345" not in caplog.text
    assert not [w for w in caught if "0345" in str(w.message)]


def test_readers_in_several_threads_leave_pydicom_as_they_found_it(tmp_path, caplog):
    path = write_dicom(tmp_path / "x.dcm", FrameOfReferenceUID="1.2.0345.99")
    before = (logging.getLogger("pydicom").disabled, pydicom.config.settings.reading_validation_mode)
    caplog.clear()

    def read_many():
        for _ in range(40):
            read_instance(path)

    threads = [threading.Thread(target=read_many) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (logging.getLogger("pydicom").disabled, pydicom.config.settings.reading_validation_mode) == before
    assert "0345" not in caplog.text
