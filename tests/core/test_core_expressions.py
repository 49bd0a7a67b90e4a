# SPDX-License-Identifier: GPL-3.0-or-later
"""Expression prototypes and social signals of FACS.md section 5."""

from __future__ import annotations

import pytest

from facs_rig.core.codes import parse_code
from facs_rig.core.combinations import exclusions
from facs_rig.core.errors import FacsError
from facs_rig.core.expressions import expression_info, expression_names, get_expression

# FACS.md section 5, as the specification.
PROTOTYPES = {
    "happiness": "6+12",
    "sadness": "1+4+15",
    "surprise": "1+2+5B+26",
    "fear": "1+2+4+5+20+26",
    "anger": "4+5+7+23",
    "disgust": "9+15+16",
    "contempt": "R12A+R14A",
}
SOCIAL = {
    "duchenne_smile": "6+12",
    "embarrassment": "7+12+15+52+54+64",
    "pain": "4+6+7+9+17+18+23+24",
    "interest": "1+2+12",
    "confusion": "4+7+56",
    "shame": "54+64",
    "pride": "53+64",
}
GUIDE_VARIANTS = {  # every FACS Investigator's Guide prototype of FACS.md section 5, spelled out
    "happiness": ["6+12", "12C", "12D"],  # 12 alone only at C or D
    "sadness": ["1+4+11+15B", "1+4+15", "6+15", "1+4+15+54+64", "1+4+15+25", "1+4+15+26"],
    "surprise": ["1+2+5B+26", "1+2+5B+27"],  # 1+2+5B with 26 or 27
    "fear": [f"1+2+4+5{twenty}+{jaw}" for twenty in ("+20", "") for jaw in (25, 26, 27)],
    "anger": ["4+5+7+10+22+23", "4+5+7+17+23", "4+5+7+17+24", "4+5+7+23", "4+5+7+24"],
    "disgust": ["9", "9+17", "10", "10+17", "9+16+25", "9+16+26", "10+16+25", "10+16+26"],
    "contempt": ["R12A+R14A", "L12A+L14A"],  # unilateral 12+14
}


@pytest.mark.parametrize(("name", "code"), [*PROTOTYPES.items(), *SOCIAL.items()])
def test_every_prototype_and_signal_is_in_data(name: str, code: str) -> None:
    assert get_expression(name) == parse_code(code)
    expected_kind = "prototype" if name in PROTOTYPES else "social_signal"
    assert expression_info(name).kind == expected_kind


@pytest.mark.parametrize(("name", "variants"), GUIDE_VARIANTS.items())
def test_guide_variants(name: str, variants: list[str]) -> None:
    info = expression_info(name)
    assert sorted(map(str, info.variants)) == sorted(str(parse_code(v)) for v in variants)
    assert info.code in info.variants or name == "disgust"  # the common table's 9+15+16 is not a guide one


def test_polite_smile_is_12_without_6() -> None:
    code = get_expression("polite_smile")
    assert code.aus == (12,) and code.items[0].channel_letters[""] in "AB"


def test_names_and_lookup() -> None:
    names = expression_names()
    assert names[:7] == list(PROTOTYPES)
    assert set(names) == set(PROTOTYPES) | set(SOCIAL) | {"polite_smile"}
    assert (
        get_expression("Duchenne smile")
        == get_expression("duchenne-smile")
        == get_expression("duchenne_smile")
    )
    with pytest.raises(FacsError, match="happiness"):
        get_expression("happyness")


@pytest.mark.parametrize("name", [*PROTOTYPES, *SOCIAL])
def test_no_prototype_scores_excluded_codes_together(name: str) -> None:
    info = expression_info(name)
    for code in (info.code, *info.variants):
        for ex in exclusions():
            if ex.a.min_letter or ex.b.min_letter:  # 5 excludes only a maximal 7E; anger's 7 is unlettered
                continue
            assert not {ex.a.au, ex.b.au} <= set(code.aus), f"{name} {code} has {ex}"
