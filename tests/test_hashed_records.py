"""The stream a delta's COPY reads (reports.importing.delta.HashedRecords): the file's
records unchanged, each led by the MD5 of its text, however the file is cut in chunks."""

import csv
import io
from hashlib import md5

import pytest

from reports.importing.delta import HashedRecords

FILE = (
    b"name,note\r\n"
    b'alpha,"two\r\nlines, and a ""quote"""\r\n'
    b"beta,plain\r\n"
    b'"gamma ""g""",\r\n'
    b"delta,last without a line end"
)
RECORDS = [
    b"name,note",
    b'alpha,"two\r\nlines, and a ""quote"""',
    b"beta,plain",
    b'"gamma ""g""",',
    b"delta,last without a line end",
]


def streamed(data: bytes, size: int) -> tuple[bytes, int]:
    hashed = HashedRecords()
    sent = b"".join(hashed.feed(data[i : i + size]) for i in range(0, len(data), size))
    return sent + hashed.end(), hashed.count


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 20])
def test_each_record_is_led_by_its_hash_however_the_file_is_cut(size):
    sent, count = streamed(FILE, size)
    assert count == len(RECORDS)
    rows = list(csv.reader(io.StringIO(sent.decode(), newline="")))
    original = list(csv.reader(io.StringIO(FILE.decode(), newline="")))
    assert [row[1:] for row in rows] == original
    assert [row[0] for row in rows] == [md5(r).hexdigest() for r in RECORDS]


def test_a_quote_left_open_goes_to_copy_as_it_is():
    """COPY then refuses the file (unterminated quoted field): the Python path reads it
    and says where."""
    data = b'name,note\nalpha,"never closed\nbeta,plain\n'
    sent, count = streamed(data, 5)
    assert count == 1  # the header alone ended
    header = md5(b"name,note").hexdigest().encode()
    assert sent == header + b',name,note\nalpha,"never closed\nbeta,plain\n'  # as it came
