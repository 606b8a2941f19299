from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grants.domain import rules
from grants.domain.errors import InvalidInput, RuleRefused
from grants.domain.money import parse_fte, parse_kroner, round_kroner


def test_half_a_position_in_ladder_year_two_gets_275_000():
    assert rules.ladder_amount("765.62", 2019, 2, Decimal("0.5")).amount == 275_000


@pytest.mark.parametrize("ladder_year, amount", [(1, 660_000), (2, 550_000), (3, 440_000), (4, 330_000)])
def test_the_2017_ladder_pays_its_rate_per_full_position(ladder_year, amount):
    computation = rules.ladder_amount("765.62", 2018, ladder_year, Decimal(1))
    assert (computation.amount, computation.rate, computation.rule_id) == (amount, amount, "765.62/ladder-2017")


def test_the_transitional_rule_follows_the_ladder_in_2022_and_pays_330_000_flat_after():
    assert rules.ladder_amount("765.62", 2022, 2, Decimal(1)).amount == 550_000
    assert rules.ladder_amount("765.62", 2023, 1, Decimal(1)).amount == 330_000
    assert rules.ladder_amount("765.62", 2024, 4, Decimal("0.2")).amount == 66_000


def test_nothing_is_paid_under_765_62_after_2024():
    with pytest.raises(RuleRefused, match="pays nothing after 2024"):
        rules.rule_for("765.62", 2025)


def test_a_reduction_from_july_pays_half_the_year_at_each_fte():
    computation = rules.compute(660_000, Decimal(1), [(6, Decimal(1)), (6, Decimal("0.5"))], "r", 660_000)
    assert computation.amount == 495_000
    assert computation.arithmetic() == ("660 000 x (1.00 x 6 + 0.50 x 6) / 12 = 495 000 -> 495 000 NOK "
                                        "(rounded half up to whole kroner)")


def test_amounts_round_half_up_to_whole_kroner():
    assert round_kroner(Decimal("0.5")) == 1
    assert round_kroner(Decimal("2.5")) == 3  # not banker's rounding
    # 550 000 x (0.33 x 5 + 0.01 x 7) / 12 = 78 833.33...
    computation = rules.compute(550_000, Decimal(1), [(5, Decimal("0.33")), (7, Decimal("0.01"))], "r", 550_000)
    assert computation.fraction == Fraction(236_500, 3)  # 550 000 x 1.72 / 12, exactly
    assert computation.amount == 78_833
    assert computation.arithmetic() == ("550 000 x (0.33 x 5 + 0.01 x 7) / 12 = 236 500/3 (78 833.33...) "
                                        "-> 78 833 NOK (rounded half up to whole kroner)")


def test_amount_based_schemes_scale_the_entered_amount_by_fte_months():
    computation = rules.compute(400_000, Decimal("0.8"), [(3, Decimal("0.8")), (9, Decimal("0.4"))], "r", None)
    assert computation.amount == 250_000  # 400 000 x (0.8x3 + 0.4x9) / (12 x 0.8)


def test_an_amount_based_scheme_refuses_a_ladder_computation_and_vice_versa():
    with pytest.raises(InvalidInput):
        rules.ladder_amount("765.62-new", 2023, 1, Decimal(1))
    with pytest.raises(InvalidInput):
        rules.entered_amount("765.62", 2019, 100, Decimal(1))


@pytest.mark.parametrize("raw", ["0", "1.5", "0.333", "-0.5", "abc", "NaN", "Infinity", "", "1e0", "+0.5", "0,333",
                                 "50%"])
def test_bad_fte_values_are_refused(raw):
    with pytest.raises(ValueError):
        parse_fte(raw)


@pytest.mark.parametrize("raw", ["-1", "12.5", "1e5", "abc", "", "١٢٣", True])
def test_bad_kroner_values_are_refused(raw):
    with pytest.raises(ValueError):
        parse_kroner(raw)


def test_every_scheme_in_the_table_has_a_rule():
    for scheme_id in rules.scheme_ids():
        scheme = rules.scheme(scheme_id)
        assert rules.rule_for(scheme_id, scheme.first_year).scheme == scheme_id


def test_the_chain_hash_is_the_documented_formula():
    import hashlib

    from grants.ledger.chain import event_hash, sha

    assert sha("a", 1, b"x") == hashlib.sha256(b"a|1|x|").hexdigest()
    oid = "6f1c1f62-5f0e-4c4b-9a55-765062000000"
    assert event_hash(oid, 2, "t", b"{}") == hashlib.sha256(b"6f1c1f625f0e4c4b9a55765062000000|2|t|{}|").hexdigest()


ftes = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("4"), places=2)  # as parse_fte gives them


@given(base=st.integers(0, 10**9), base_fte=ftes,
       segments=st.lists(st.tuples(st.integers(0, 12), ftes), min_size=1, max_size=4))
@settings(max_examples=300)
def test_a_computation_is_the_formula_with_its_inputs_as_given(base, base_fte, segments):
    """compute is memoised: whatever was asked before, the answer is the formula for these inputs,
    and it carries the Decimals as written (1 and 1.00 are equal but print differently)."""
    rules.compute(base, base_fte.normalize(), [(m, f.normalize()) for m, f in segments], "r", None)  # a twin first
    done = rules.compute(base, base_fte, segments, "r", None)
    exact = Fraction(base) * sum((m * Fraction(f) for m, f in segments), Fraction(0)) / (12 * Fraction(base_fte))
    assert done.amount == round_kroner(Decimal(exact.numerator) / Decimal(exact.denominator))
    assert str(done.base_fte) == str(base_fte)
    assert [(m, str(f)) for m, f in done.segments] == [(m, str(f)) for m, f in segments if m]
    assert done.fraction == exact


def test_equal_ftes_written_differently_stay_as_written():
    one, one_00 = (rules.compute(660000, Decimal(text), [(12, Decimal(text))], "r", 660000) for text in ("1", "1.00"))
    assert one.amount == one_00.amount == 660000
    assert (str(one.base_fte), str(one_00.base_fte)) == ("1", "1.00")
    assert [str(f) for _m, f in one_00.segments] == ["1.00"]
