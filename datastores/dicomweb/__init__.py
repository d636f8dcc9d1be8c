"""DICOMweb: the DICOM JSON model, QIDO-RS/WADO-RS clients with their auth, and the archive-backed datastore."""
