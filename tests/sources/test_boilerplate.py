"""Gutenberg licence headers and footers in their historical forms."""

from __future__ import annotations

import pytest

from botsmith.sources import clean_text

BOOK = """\
CHAPTER I.

The rain had stopped by the time the coach reached the inn, and the
travellers climbed down stiffly into the yard, glad of the lamps and of
the smell of supper that came from the open door of the kitchen.

The landlord met them on the step.
"""

SMALL_PRINT_1993 = """\
*The Project Gutenberg Etext of The Old Inn, by Old Writer*

Please take a look at the important information in this header.

**Welcome To The World of Free Plain Vanilla Electronic Texts**

**Etexts Readable By Both Humans and By Computers, Since 1971**

*****These Etexts Were Prepared By Thousands of Volunteers!*****

Title: The Old Inn

Author: Old Writer

***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN ETEXTS**START***
Why is this "Small Print!" statement here?  You know: lawyers.
They tell us you might sue us if there is something wrong with
your copy of this etext.
*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*

"""
FOOTER_1993 = """
End of The Project Gutenberg Etext of The Old Inn, by Old Writer
"""

THIS_EBOOK_2004 = """\
The Project Gutenberg EBook of The Old Inn, by Old Writer

This eBook is for the use of anyone anywhere at no cost and with
almost no restrictions whatsoever.

Title: The Old Inn

Author: Old Writer

Release Date: March 3, 2004 [EBook #11459]

Language: English

*** START OF THIS PROJECT GUTENBERG EBOOK THE OLD INN ***

Produced by Some Volunteers and the Online Distributed
Proofreading Team.



"""
FOOTER_2004 = """


End of the Project Gutenberg EBook of The Old Inn, by Old Writer

*** END OF THIS PROJECT GUTENBERG EBOOK THE OLD INN ***

***** This file should be named 11459.txt or 11459.zip *****
"""

NO_ASTERISKS = """\
The Project Gutenberg eBook of The Old Inn

Title: The Old Inn
Author: Old Writer
Language: English

START OF THE PROJECT GUTENBERG EBOOK THE OLD INN

"""
FOOTER_NO_ASTERISKS = """
END OF THE PROJECT GUTENBERG EBOOK THE OLD INN

Section 1. General Terms of Use and Redistributing Project Gutenberg-tm
electronic works
"""

OLD_PROJECT_GUTENBERGS = """\
Project Gutenberg's The Old Inn, by Old Writer

***START OF THE PROJECT GUTENBERG EBOOK THE OLD INN***

"""
FOOTER_OLD = """
End of Project Gutenberg's The Old Inn, by Old Writer

*** END OF THIS PROJECT GUTENBERG EBOOK THE OLD INN ***
"""


@pytest.mark.parametrize("header, footer", [
    (SMALL_PRINT_1993, FOOTER_1993),
    (THIS_EBOOK_2004, FOOTER_2004),
    (NO_ASTERISKS, FOOTER_NO_ASTERISKS),
    (OLD_PROJECT_GUTENBERGS, FOOTER_OLD),
], ids=["small-print-1993", "this-project-2004", "no-asterisks", "project-gutenbergs"])
def test_every_historical_form_is_stripped(header, footer):
    result = clean_text(header + BOOK + footer)
    assert result.gutenberg
    assert result.text.startswith("CHAPTER I.\n\nThe rain had stopped")
    assert result.text.rstrip().endswith("The landlord met them on the step.")
    assert "Gutenberg" not in result.text and "SMALL PRINT" not in result.text and "Produced by" not in result.text
    kinds = [entry.what for entry in result.removed]
    assert kinds[0] == "gutenberg header" and kinds[-1] == "gutenberg licence footer"
    assert result.removed[-1].start_line == len((header + BOOK).splitlines()) + footer.splitlines().index(
        next(line for line in footer.splitlines() if line.strip())) + 1


def test_header_fields_are_read():
    assert clean_text(THIS_EBOOK_2004 + BOOK + FOOTER_2004).fields == {
        "title": "The Old Inn", "author": "Old Writer", "release_date": "March 3, 2004 [EBook #11459]",
        "ebook_id": "11459", "language": "English"}
    old = clean_text(SMALL_PRINT_1993 + BOOK + FOOTER_1993).fields
    assert old["title"] == "The Old Inn" and old["author"] == "Old Writer"


def test_text_without_markers_is_kept_whole():
    result = clean_text(BOOK)
    assert not result.gutenberg and result.removed == []
    assert result.text.startswith("CHAPTER I.")
