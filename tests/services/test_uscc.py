import pytest

from surveys.core.errors import InvalidInput
from surveys.participants.uscc import ALPHABET, check_character, make_uscc, validate_uscc

REAL = "91350100M000100Y43"  # a published code, check character 3


def test_a_real_code_is_valid_and_normalised():
    assert validate_uscc(REAL) == REAL
    assert validate_uscc(" 91350100m000100y43 ") == REAL


@pytest.mark.parametrize("code,length", [(REAL[:17], 17), (REAL + "1", 19), ("", 0)])
def test_wrong_length_says_so(code, length):
    with pytest.raises(InvalidInput) as caught:
        validate_uscc(code)
    assert caught.value.key == "uscc.wrong_length"
    assert f"{length} 位" in caught.value.message("zh")
    assert f"it has {length}" in caught.value.message("en")


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "-", "中"])
def test_illegal_character_is_named_with_its_position(bad):
    code = REAL[:5] + bad + REAL[6:]
    with pytest.raises(InvalidInput) as caught:
        validate_uscc(code)
    assert caught.value.key == "uscc.illegal_character"
    assert caught.value.values["position"] == 6
    assert bad in caught.value.message("en")


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(InvalidInput) as caught:
        validate_uscc(REAL[:17] + "4")
    assert caught.value.key == "uscc.wrong_check"
    assert caught.value.values["expected"] == "3"


def test_every_single_character_change_in_the_body_is_caught():
    for position in range(17):
        for ch in ALPHABET:
            if ch == REAL[position]:
                continue
            changed = REAL[:position] + ch + REAL[position + 1:]
            with pytest.raises(InvalidInput):
                validate_uscc(changed)


def test_make_uscc_completes_with_a_valid_check():
    code = make_uscc("91511022MA6ABCDEF")
    assert validate_uscc(code) == code
    assert code[-1] == check_character(code[:17])
