"""Listing files as text: UTF-8 only, with the line and byte of the first fault.

Every format reads its bytes through `decode_text`, so a file that is not text
is rejected with the same message whatever format it claims to be.
"""

import codecs

from papers.importing.records import ListingError


def decode_text(data: bytes) -> str:
    """UTF-8 text without its byte order mark; a bad byte or a NUL is a ListingError."""
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    nul = data.find(b"\0")
    # Decoding stops at the NUL byte so that whichever fault comes first is
    # the one reported.
    end = nul if nul != -1 else len(data)
    try:
        text = data[start:end].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        message = f"not UTF-8 text: invalid byte 0x{data[offset]:02x}"
        raise _bad_byte(data, offset, message) from None
    if nul != -1:
        raise _bad_byte(data, nul, "contains a NUL byte: this is not a text file")
    return text


def _bad_byte(data: bytes, offset: int, message: str) -> ListingError:
    breaks = data.count(b"\n", 0, offset) + data.count(b"\r", 0, offset)
    line = 1 + breaks - data.count(b"\r\n", 0, offset)
    return ListingError(message, line=line, offset=offset)


def listing_text(data: bytes) -> str:
    """The file's text, with line breaks as LF; an empty file is a ListingError.

    CRLF and a lone CR end lines too, as in the trending format, so that
    every format counts lines the same way.
    """
    text = decode_text(data)
    if not text.strip():
        raise ListingError("the file is empty")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
