"""A deterministic synthetic datastore to try the server on without patient data, built through the real import path.

The demo writes small valid DICOM files with pydicom, reads them back with the importer and hands them to the store
in the uploads a real site would have made: each series on the day it was imported, some series re-imported later
(version 2 or 3) and some receiving a conflicting instance (a second, non-primary image set). Every search the tools
run against it therefore exercises the same code as imported files do.

It always holds the image set of the AWS CLI's `search-image-sets` examples (patient SUBJECT08701), and image sets
that satisfy examples 3 and 4 of that page as published, so the four example criteria files return what they should.
A seed fixes everything else: ids, patients, studies and timestamps (timestamps also depend on `today`, the end of
their spread).
"""

import io
import math
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from imageset_search.datastores.errors import ConflictException, ResourceNotFoundException
from imageset_search.datastores.local.importer import read_instance

DEMO_DATASTORE_ID = "12345678901234567890123456789012"
DEMO_DATASTORE_NAME = "demo"
DOCUMENTED_IMAGE_SET_ID = "09876543210987654321098765432109"
DOCUMENTED_AT = datetime(2022, 12, 6, 21, 40, 59, 429000, tzinfo=UTC)
EXAMPLE_4_SERIES_UID = "1.2.840.99999999.84710745.943275268089"
EXAMPLE_4_UPDATED_AT = datetime(2024, 3, 11, 22, 30, tzinfo=UTC)  # 2024-03-11T15:30:00-07:00
FIRST_IMPORT = datetime(2020, 1, 1, tzinfo=UTC)
FIRST_STUDY = date(1995, 1, 1)
FIXED_IMAGE_SETS = 2  # the documented image set and example 4's: every demo has them, whatever its size
REIMPORT_SHARE = 0.10
CONFLICT_SHARE = 0.06


@dataclass(frozen=True)
class Kind:
    """A kind of examination: modality, the body part it fits, and how sites describe its studies and series."""

    modality: str
    body_part: str
    sop_class: str
    study_descriptions: tuple[str, ...]
    series_descriptions: tuple[str, ...]


KINDS = (
    Kind("CT", "CHEST", "1.2.840.10008.5.1.4.1.1.2", ("CT CHEST W/O CONTRAST", "CT CHEST W CONTRAST", "CT CHEST PE"),
         ("AXIAL 5MM", "AXIAL 1.25MM LUNG", "CORONAL MPR", "SAGITTAL MPR", "SCOUT")),
    Kind("CT", "ABDOMEN", "1.2.840.10008.5.1.4.1.1.2", ("CT ABDOMEN PELVIS W CONTRAST", "CT ABDOMEN W/O CONTRAST"),
         ("PORTAL VENOUS", "ARTERIAL PHASE", "DELAYED", "CORONAL MPR", "SCOUT")),
    Kind("CT", "HEAD", "1.2.840.10008.5.1.4.1.1.2", ("CT HEAD W/O CONTRAST", "CT HEAD STROKE PROTOCOL"),
         ("AXIAL BRAIN", "AXIAL BONE", "CORONAL", "SCOUT")),
    Kind("MR", "BRAIN", "1.2.840.10008.5.1.4.1.1.4", ("MRI BRAIN W/WO CONTRAST", "MRI BRAIN W/O CONTRAST"),
         ("AX T1", "AX T2 FLAIR", "AX DWI", "SAG T1", "AX T1 POST", "COR T2")),
    Kind("MR", "KNEE", "1.2.840.10008.5.1.4.1.1.4", ("MRI KNEE W/O CONTRAST",),
         ("SAG PD FS", "COR PD", "AX PD FS", "SAG T1")),
    Kind("MR", "LSPINE", "1.2.840.10008.5.1.4.1.1.4", ("MRI LUMBAR SPINE W/O CONTRAST",),
         ("SAG T1", "SAG T2", "AX T2", "SAG STIR")),
    Kind("US", "ABDOMEN", "1.2.840.10008.5.1.4.1.1.6.1", ("US ABDOMEN COMPLETE", "US RIGHT UPPER QUADRANT"),
         ("LIVER", "GALLBLADDER", "KIDNEYS", "SPLEEN")),
    Kind("CR", "CHEST", "1.2.840.10008.5.1.4.1.1.1", ("XR CHEST 2 VIEWS", "XR CHEST 1 VIEW"), ("PA", "LATERAL", "AP")),
    Kind("DX", "HAND", "1.2.840.10008.5.1.4.1.1.1.1", ("XR HAND 3 VIEWS",), ("PA", "OBLIQUE", "LATERAL")),
    Kind("MG", "BREAST", "1.2.840.10008.5.1.4.1.1.1.2", ("MAMMO SCREENING BILATERAL", "MAMMO DIAGNOSTIC"),
         ("L CC", "R CC", "L MLO", "R MLO")),
    Kind("PT", "WHOLEBODY", "1.2.840.10008.5.1.4.1.1.128", ("PET CT SKULL BASE TO THIGH",),
         ("PET AC", "PET NAC", "MIP")),
)
FIRST_NAMES = {
    "F": ("Melissa", "Jennifer", "Maria", "Linda", "Aisha", "Emily", "Sofia", "Mei", "Priya", "Olga", "Grace"),
    "M": ("James", "Robert", "Carlos", "Wei", "Ahmed", "Daniel", "Kwame", "Ivan", "Hiroshi", "Luis", "Thomas"),
}
LAST_NAMES = ("Huel", "Smith", "Garcia", "Nguyen", "Okafor", "Schmidt", "Kowalski", "Rossi", "Tanaka", "Haag",
              "Murphy", "Silva", "Cohen", "Lindqvist", "Patel", "Dubois", "Mraz", "Wehner", "Kub", "Ortiz")


@dataclass(frozen=True)
class Patient:
    patient_id: str
    name: str
    birth_date: str
    sex: str


@dataclass(frozen=True)
class Study:
    patient: Patient
    uid: str
    study_id: str
    accession: str | None
    date: str
    time: str
    description: str
    kind: Kind | None


@dataclass(frozen=True)
class Series:
    study: Study
    uid: str
    number: int | None
    description: str | None

    @property
    def modality(self) -> str | None:
        return self.study.kind.modality if self.study.kind else None

    @property
    def body_part(self) -> str | None:
        return self.study.kind.body_part if self.study.kind else None


@dataclass(frozen=True)
class Upload:
    """One `add_instances` call: these instances of a series reach the store at `at`."""

    at: datetime
    series: Series
    sop_uids: tuple[str, ...]
    image_set_id: str | None = None  # a fixed id for the image set this upload creates


DOCUMENTED_PATIENT = Patient("SUBJECT08701", "Melissa844 Huel628", "19201120", "F")
DOCUMENTED_STUDY = Study(DOCUMENTED_PATIENT, "1.2.840.99999999.84710745.943275268089", "2011201407", None,
                         "19991122", "140728", "UNKNOWN", None)
DOCUMENTED_UPLOAD = Upload(
    DOCUMENTED_AT,
    Series(DOCUMENTED_STUDY, "1.2.840.99999999.84710745.943275268089.1", None, None),
    ("1.2.840.99999999.84710745.943275268089.1.1",),
    DOCUMENTED_IMAGE_SET_ID,
)


def build_demo(store, image_sets: int = 200, seed: int = 0, *, today: date | None = None) -> str:
    """(Re)build the demo datastore in `store` with `image_sets` image sets (at least the two fixed ones); returns
    its datastore id."""
    uploads = sorted(demo_uploads(image_sets, seed, today), key=lambda upload: upload.at)
    _replace_demo_datastore(store)
    ids = _id_source(seed)
    with tempfile.TemporaryDirectory(prefix="imageset-search-demo-") as folder:
        for index, upload in enumerate(uploads):
            instances = [read_instance(path) for path in write_upload(Path(folder), index, upload)]
            new_id = (lambda fixed=upload.image_set_id: fixed) if upload.image_set_id else ids
            store.add_instances(DEMO_DATASTORE_ID, instances, now=upload.at, new_id=new_id)
    return DEMO_DATASTORE_ID


def write_dicom_files(folder: str | Path, count: int, seed: int = 0) -> list[Path]:
    """`count` small realistic DICOM files (random patients, studies and series) under `folder`, for benchmarks."""
    folder = Path(folder)
    paths: list[Path] = []
    uploads = _Generator(seed, None).uploads(image_sets=None)
    for index, upload in enumerate(uploads):
        if len(paths) >= count:
            break
        needed = count - len(paths)
        paths += write_upload(folder, index, replace(upload, sop_uids=upload.sop_uids[:needed]))
    return paths


def demo_uploads(image_sets: int, seed: int, today: date | None) -> list[Upload]:
    """Every upload of the demo: the documented image set, example 4's, then random ones up to `image_sets`."""
    generator = _Generator(seed, today)
    fixed = [DOCUMENTED_UPLOAD, *generator.example_4_uploads()]
    return fixed + list(generator.uploads(image_sets=max(0, image_sets - FIXED_IMAGE_SETS)))


def write_upload(folder: Path, index: int, upload: Upload) -> list[Path]:
    """The upload's instances as DICOM files in `folder/<index>/`; paths carry no patient data."""
    target = folder / f"{index:06d}"
    target.mkdir(parents=True, exist_ok=True)
    dataset = _series_dataset(upload.series)  # built once: only the instance's UID and number change
    paths = []
    for number, sop_uid in enumerate(upload.sop_uids, start=1):
        path = target / f"{number:04d}.dcm"
        dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = sop_uid
        dataset.InstanceNumber = number
        buffer = io.BytesIO()  # pydicom writes a path in many small unbuffered writes: one write is far faster
        dataset.save_as(buffer, enforce_file_format=True)
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def _series_dataset(series: Series):
    """A valid, minimal instance of the series: the attributes HealthImaging indexes and a 2x2 8-bit image."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage

    study, patient = series.study, series.study.patient
    sop_class = study.kind.sop_class if study.kind else SecondaryCaptureImageStorage
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.StudyDate, ds.StudyTime, ds.AccessionNumber = study.date, study.time, study.accession
    ds.Modality, ds.StudyDescription, ds.SeriesDescription = series.modality, study.description, series.description
    ds.PatientName, ds.PatientID = patient.name, patient.patient_id
    ds.PatientBirthDate, ds.PatientSex = patient.birth_date, patient.sex
    ds.BodyPartExamined = series.body_part
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.StudyID = study.uid, series.uid, study.study_id
    ds.SeriesNumber = series.number
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.Rows, ds.Columns = 1, "MONOCHROME2", 2, 2
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes(4)
    return ds


def _replace_demo_datastore(store) -> None:
    """Rebuilding starts from an empty demo datastore instead of adding a second copy of every image set.

    A datastore of the user's that happens to be named like the demo is never touched: that is an error.
    """
    try:
        named = store.resolve_datastore(DEMO_DATASTORE_NAME)
    except ResourceNotFoundException:
        named = DEMO_DATASTORE_ID
    if named != DEMO_DATASTORE_ID:
        raise ConflictException(
            f"This file already holds a datastore named {DEMO_DATASTORE_NAME!r} that is not the demo (id {named}); "
            "build the demo in another file (--db PATH)"
        )
    store.delete_datastore(DEMO_DATASTORE_ID, missing_ok=True)
    store.create_datastore(DEMO_DATASTORE_NAME, datastore_id=DEMO_DATASTORE_ID, now=FIRST_IMPORT)


def _id_source(seed: int) -> Callable[[], str]:
    """Image set ids in HealthImaging's shape (32 of [0-9a-z]), the same sequence for the same seed."""
    rng = random.Random(f"demo-image-set-ids-{seed}")
    return lambda: f"{rng.getrandbits(128):032x}"


class _Generator:
    """Random but seeded patients, studies, series and upload times."""

    def __init__(self, seed: int, today: date | None):
        self.rng = random.Random(seed)
        self.end = datetime.combine(today or datetime.now(UTC).date(), time(), UTC)
        self.patient_ids = {DOCUMENTED_PATIENT.patient_id}

    def uploads(self, image_sets: int | None) -> Iterator[Upload]:
        """Uploads creating `image_sets` image sets (None: without end), patient by patient, study by study."""
        remaining = math.inf if image_sets is None else image_sets
        while remaining > 0:
            patient = self.patient()
            for _ in range(self.rng.randint(1, 3)):
                if remaining <= 0:
                    return
                uploads, created = self.study_uploads(self.study(patient, before=self.end), remaining)
                yield from uploads
                remaining -= created

    def study_uploads(self, study: Study, budget: float) -> tuple[list[Upload], int]:
        """1-6 series, each imported once; some re-imported later, some joined by a conflicting instance.

        Returns the uploads and how many image sets they create (at most `budget`).
        """
        count = int(min(budget, self.rng.randint(1, 6)))
        created = self.instant(_study_start(study) + timedelta(hours=1))
        uploads, image_sets = [], 0
        for number in range(1, count + 1):
            series = Series(study, self.uid(), number, self.rng.choice(study.kind.series_descriptions))
            at = created + timedelta(seconds=number)
            uploads.append(Upload(at, series, self.sop_uids()))
            image_sets += 1
            chance = self.rng.random()
            if chance < REIMPORT_SHARE:
                uploads.append(Upload(self.instant(at), series, self.sop_uids()))
            elif chance < REIMPORT_SHARE + CONFLICT_SHARE and image_sets + (count - number) < budget:
                uploads.append(self.conflict(series, at))
                image_sets += 1
        return uploads, image_sets

    def conflict(self, series: Series, after: datetime) -> Upload:
        """An instance of the series carrying another accession number: HealthImaging files it apart, non-primary."""
        corrected = replace(series.study, accession=self.accession())
        return Upload(self.instant(after), replace(series, study=corrected), (self.uid(),))

    def example_4_uploads(self) -> list[Upload]:
        """A series with example 4's SeriesInstanceUID, imported earlier and re-imported at example 4's time."""
        study = self.study(self.patient(), before=EXAMPLE_4_UPDATED_AT - timedelta(days=30))
        series = Series(study, EXAMPLE_4_SERIES_UID, 1, study.kind.series_descriptions[0])
        created = self.instant(_study_start(study) + timedelta(hours=1), until=EXAMPLE_4_UPDATED_AT)
        return [Upload(created, series, self.sop_uids()), Upload(EXAMPLE_4_UPDATED_AT, series, self.sop_uids())]

    def patient(self) -> Patient:
        sex = self.rng.choice("FM")
        name = f"{self.rng.choice(FIRST_NAMES[sex])}{self.rng.randint(1, 999)} " \
               f"{self.rng.choice(LAST_NAMES)}{self.rng.randint(1, 999)}"
        if name == DOCUMENTED_PATIENT.name:
            return self.patient()
        birth = self.day(date(1925, 1, 1), date(2015, 12, 31))
        return Patient(self.patient_id(), name, birth.strftime("%Y%m%d"), sex)

    def patient_id(self) -> str:
        while True:
            candidate = f"SUBJECT{self.rng.randint(1, 99999):05d}"
            if candidate not in self.patient_ids:
                self.patient_ids.add(candidate)
                return candidate

    def study(self, patient: Patient, before: datetime) -> Study:
        kind = self.rng.choice(KINDS)
        earliest = max(FIRST_STUDY, datetime.strptime(patient.birth_date, "%Y%m%d").date())
        day = self.day(earliest, before.date() - timedelta(days=1))
        clock = f"{self.rng.randint(7, 18):02d}{self.rng.randint(0, 59):02d}{self.rng.randint(0, 59):02d}"
        return Study(patient, self.uid(), str(self.rng.randint(10**9, 10**10 - 1)), self.accession(),
                     day.strftime("%Y%m%d"), clock, self.rng.choice(kind.study_descriptions), kind)

    def accession(self) -> str:
        return f"A{self.rng.randint(10**7, 10**8 - 1)}"

    def uid(self) -> str:
        return f"2.25.{self.rng.getrandbits(120)}"

    def sop_uids(self) -> tuple[str, ...]:
        return tuple(self.uid() for _ in range(self.rng.randint(1, 3)))

    def day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def instant(self, after: datetime, until: datetime | None = None) -> datetime:
        """A millisecond instant in [max(after, 2020-01-01), until or today), for createdAt and updatedAt."""
        start, stop = max(after, FIRST_IMPORT), until or self.end
        span_ms = int((stop - start).total_seconds() * 1000)
        return start + timedelta(milliseconds=self.rng.randrange(span_ms)) if span_ms > 0 else start


def _study_start(study: Study) -> datetime:
    return datetime.strptime(study.date + study.time, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
