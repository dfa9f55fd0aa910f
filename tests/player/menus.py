"""The player's menus (quality, speed, captions: a button that opens a list of
menuitemradio buttons) as a person uses them, for the browser tests of every area."""

from __future__ import annotations


def choose(page, menu: str, label: str) -> None:
    """Open `menu` ("quality", "speed", "captions") with its button and pick the item
    whose text is `label`; the menu closes behind it."""
    page.click(f"#{menu}-button")
    page.locator(f"#{menu}").get_by_role("menuitemradio", name=label, exact=True).click()
    page.wait_for_function("m => document.getElementById(m).hidden", arg=menu)


def items(page, menu: str) -> list[str]:
    """The menu's items' texts, in order."""
    return page.eval_on_selector_all(f"#{menu} [role=menuitemradio]", "bs => bs.map(b => b.textContent.trim())")


def chosen_js(menu: str) -> str:
    """A JS expression: the text of the menu's checked item ('' if none)."""
    return f"(document.querySelector('#{menu} [aria-checked=true]') || {{textContent: ''}}).textContent.trim()"


def chosen(page, menu: str) -> str:
    return page.evaluate(f"() => {chosen_js(menu)}")


def wait_chosen(page, menu: str, label: str) -> None:
    page.wait_for_function(f"l => {chosen_js(menu)} === l", arg=label)
