"""Cross-check with OpenSpiel (issue 11): at sigma = 0, in a two-player zero-sum game,
the sum of the exact per-player improvements of rg.bridge.assess equals OpenSpiel's
NashConv (``sum_i [BR_i - V_i]``) of the same policy in the same game encoded there
(a zero-sum matrix game repeated H times, made turn-based by OpenSpiel's converter;
OpenSpiel keys that game's policies by observation strings, which repeat across steps
for H >= 3, so H <= 2 here).
Optional: skipped without ``open_spiel``."""

import numpy as np
import pytest

pyspiel = pytest.importorskip("pyspiel")
from open_spiel.python import policy as os_policy  # noqa: E402
from open_spiel.python.algorithms import exploitability  # noqa: E402

import robustgames as rg  # noqa: E402
from robustgames.games import matrix_game  # noqa: E402
from robustgames.bridge._assess import assess  # noqa: E402


def _openspiel_nash_conv(M, H, tables):
    stage = pyspiel.create_matrix_game(M.tolist(), (-M).tolist())
    game = pyspiel.convert_to_turn_based(pyspiel.create_repeated_game(stage, {"num_repetitions": H}))
    pol = os_policy.TabularPolicy(game)
    for state in pol.states:
        p = state.current_player()
        h = state.move_number() // 2  # two turn-based moves per repetition
        row = pol.action_probability_array[pol.state_index(state)]
        row[:] = 0.0  # the turn-based game pads every player to the largest action count
        row[state.legal_actions(p)] = tables[p][h, 0]
    return exploitability.nash_conv(game, pol)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("H", [1, 2])
def test_gap_equals_openspiel_nash_conv(seed, H):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(2, 3))
    game = matrix_game(np.stack([M, -M], axis=-1), horizon=H)
    tables = [rng.dirichlet(np.ones(a), size=(H, 1)) for a in (2, 3)]
    res = assess(game, rg.TV(0.0), tables)
    nash_conv = _openspiel_nash_conv(M, H, tables)
    assert abs(res.improvements.sum() - nash_conv) <= 1e-9
    assert nash_conv > 1e-3  # random strategies are exploitable: the comparison has content
    # a robust Nash equilibrium at sigma = 0 has NashConv 0 in OpenSpiel too
    sol = rg.solve(game, rg.TV(0.0), "nash")
    eq = [rg.marginal(sol.policy, i, 2) for i in range(2)]
    assert abs(_openspiel_nash_conv(M, H, eq)) <= 1e-8
    assert assess(game, rg.TV(0.0), eq).gap_nash <= 1e-9
