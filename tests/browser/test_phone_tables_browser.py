"""Tables on a phone (390 px): the first column stays in view while the rest scrolls
under it; what it holds stays inside it, and a name breaks between words, not every few
letters (found by an audit of the pages: device names ran over the next column, the CSS
rule that let them wrap losing to a later one; "Nort/hwin/d" on storage and compliance)."""

from __future__ import annotations

from tests.browser.conftest import resize

# For each first cell: [its text, its link's right edge past the cell's, the widest word (a
# hyphen breaks a word too) against the room the cell gives it], in CSS pixels.
MEASURE = """
const ctx = document.createElement('canvas').getContext('2d');
return [...document.querySelectorAll('.report-table tbody td:first-child')].map(td => {
  const held = td.querySelector('a') || td;
  const style = getComputedStyle(held);
  ctx.font = style.font;
  const words = held.textContent.trim().split(/[\\s-]+/).filter(Boolean);
  const widest = Math.max(0, ...words.map(w => ctx.measureText(w).width));
  const cell = getComputedStyle(td);
  const room = td.clientWidth - parseFloat(cell.paddingLeft) - parseFloat(cell.paddingRight);
  const over = held.getBoundingClientRect().right - td.getBoundingClientRect().right;
  return [held.textContent.trim(), over, widest - room];
});
"""

PAGES = (
    "/reports/backup-status/?active=true&view=devices",
    "/reports/disk-usage/by-user/",
    "/reports/disk-usage/by-org/",
)


def test_a_first_column_holds_its_names_whole(sized, showcase):
    sized.sign_in("root")
    resize(sized, "phone")
    for page in PAGES:
        sized.open(page)
        cells = sized.driver.execute_script(MEASURE)
        assert cells, page
        spilling = [(text, over) for text, over, _ in cells if over > 1]
        split = [(text, short) for text, _, short in cells if short > 1]
        assert spilling == [] and split == [], page
