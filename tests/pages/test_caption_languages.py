"""The captions form's languages (issue 24): every tag it sends is a BCP 47 tag the
caption API stores unchanged, and every name is the one shown once."""

from __future__ import annotations

from vs_common.captions import FORM_LANGUAGES as CAPTION_LANGUAGES
from vs_common.captions import normalize_language


def test_every_language_of_the_form_is_stored_as_sent():
    tags = [tag for tag, _ in CAPTION_LANGUAGES]
    assert [tag for tag in tags if normalize_language(tag) != tag] == []
    assert len(set(tags)) == len(tags) and len({name for _, name in CAPTION_LANGUAGES}) == len(tags)
    assert {"en", "en-GB", "fr", "de", "es", "pt-BR", "it", "nl", "ja", "zh-Hans"} <= set(tags)
