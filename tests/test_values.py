"""IDs, UIDs, DICOM dates and times, and sort words: exact values out, or an error that names the argument and the
rule and never contains the value (values can be patient data)."""

import pytest

from imageset_search.tools.dates.values import (
    NormalizeError, clean_id, clean_uid, dicom_date, dicom_time, sort_field, sort_order,
)

SECRET = "DOE^JOHN 1.2.3x"


def refused(function, value, field="patient_id") -> NormalizeError:
    with pytest.raises(NormalizeError) as raised:
        function(value, field)
    error = raised.value
    assert error.field == field
    assert str(error).startswith(f"{field}: ")
    assert isinstance(error, ValueError)
    if isinstance(value, str) and value.strip():
        assert value.strip() not in str(error)
    return error


def test_ids_are_trimmed_and_kept_exact():
    assert clean_id("  PAT-0042\t", "patient_id") == "PAT-0042"
    assert clean_id("abc DEF", "accession_number") == "abc DEF"
    assert clean_id(12345, "study_id") == "12345"


def test_empty_long_or_non_text_ids_are_refused():
    assert "empty" in refused(clean_id, "   ").rule
    assert "512" in refused(clean_id, "x" * 513).rule
    assert "string" in refused(clean_id, ["PAT"]).rule
    assert "string" in refused(clean_id, True).rule
    assert clean_id("x" * 512, "patient_id") == "x" * 512


def test_uids_must_be_digits_and_dots():
    assert clean_uid(" 1.2.840.113619.2.55.3 ", "study_instance_uid") == "1.2.840.113619.2.55.3"
    for bad in ("1.2.840.abc", "1.2 840", "1.2.840-5", SECRET):
        error = refused(clean_uid, bad, "series_instance_uid")
        assert "[0-9.]+" in error.rule
    assert "512" in refused(clean_uid, "1." * 257, "study_instance_uid").rule


def test_dicom_dates_from_three_spellings():
    assert dicom_date("20230115", "study_date") == "20230115"
    assert dicom_date("2023-01-15", "study_date") == "20230115"
    assert dicom_date(" 2023.01.15 ", "study_date") == "20230115"
    assert dicom_date("2024-02-29", "study_date") == "20240229"


def test_dicom_dates_that_are_not_calendar_dates_or_not_dates():
    assert "calendar date" in refused(dicom_date, "20230230", "study_date").rule
    assert "calendar date" in refused(dicom_date, "2023-02-29", "study_date").rule
    assert "yyyyMMdd" in refused(dicom_date, "15/01/2023", "study_date").rule
    assert "yyyyMMdd" in refused(dicom_date, "2023-01.15", "study_date").rule


def test_dicom_times_with_colons_and_fractions():
    assert dicom_time("143000", "study_time") == "143000"
    assert dicom_time("14:30", "study_time") == "143000"
    assert dicom_time("14:30:15", "study_time") == "143015"
    assert dicom_time("14:30:15.25", "study_time") == "143015.25"
    assert dicom_time("143015.123456", "study_time") == "143015.123456"
    assert dicom_time("1430", "study_time") == "143000"


def test_impossible_or_malformed_times_are_refused():
    assert "time of day" in refused(dicom_time, "25:00", "study_time").rule
    assert "time of day" in refused(dicom_time, "12:60", "study_time").rule
    assert "HHmmss" in refused(dicom_time, "14:3000", "study_time").rule
    assert "HHmmss" in refused(dicom_time, "143015.1234567", "study_time").rule
    assert "HHmmss" in refused(dicom_time, "2pm", "study_time").rule


@pytest.mark.parametrize("word, exact", [("asc", "ASC"), ("ASCENDING", "ASC"), ("oldest first", "ASC"),
                                         ("desc", "DESC"), ("Newest First", "DESC"), ("latest-first", "DESC"),
                                         ("DESC", "DESC"), ("most recent", "DESC")])
def test_sort_order_words(word, exact):
    assert sort_order(word) == exact


@pytest.mark.parametrize("word, exact", [("updated", "updatedAt"), ("updatedAt", "updatedAt"),
                                         ("by update time", "updatedAt"), ("created", "createdAt"),
                                         ("CREATEDAT", "createdAt"), ("study_date", "DICOMStudyDateAndTime"),
                                         ("by study date", "DICOMStudyDateAndTime"),
                                         ("DICOMStudyDateAndTime", "DICOMStudyDateAndTime")])
def test_sort_field_words(word, exact):
    assert sort_field(word) == exact


def test_unknown_enum_words_list_the_allowed_values():
    with pytest.raises(NormalizeError) as raised:
        sort_order("sideways")
    assert raised.value.field == "sort_order" and "ASC" in str(raised.value) and "DESC" in str(raised.value)
    with pytest.raises(NormalizeError) as raised:
        sort_field("patient name")
    message = str(raised.value)
    assert raised.value.field == "sort_field"
    assert all(name in message for name in ("updatedAt", "createdAt", "DICOMStudyDateAndTime"))
    assert "patient name" not in message
    with pytest.raises(NormalizeError):
        sort_order(None)
