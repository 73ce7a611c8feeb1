"""Exporting models for serving (``keras.export``): `ExportArchive` writes named endpoints
as ``torch.export`` programs."""

from .export_archive import ExportArchive

__all__ = ["ExportArchive"]
