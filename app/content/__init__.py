"""Lesson content as data: the schema, the loader that checks it, and the Markdown renderer.

Pure Python: no Flask, no database. The application loads the catalog once and reads it.
"""

from .loader import ContentErrors, ContentProblem, load_catalog
from .schema import AgeBand, Catalog, Lang, Lesson, LessonFormat, LessonText, Section

__all__ = [
    "AgeBand",
    "Catalog",
    "ContentErrors",
    "ContentProblem",
    "Lang",
    "Lesson",
    "LessonFormat",
    "LessonText",
    "Section",
    "load_catalog",
]
