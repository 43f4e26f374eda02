"""The one compiled backup engine (robustgames/uncertainty/_engine.py): every set hands the
learners' compiled kernels a row kernel; chi-square, group and user-defined sets run
compiled in the learner and agree with the Python hooks / planning path; a user set
written as a numba row function plugs into planning and learning; bad user sets are
rejected naming the argument."""

import numba
import numpy as np
import pytest

import robustgames as rg
from robustgames.games._random import random_game
from robustgames.learning import DRNVI, MORNAVI, learn
from robustgames.learning import _learn as learn_module
from robustgames.learning import _learners as learners_module
from robustgames.uncertainty import Group, RowKernel, RowSet
from robustgames.uncertainty._engine import compile_sets, values_by_rows

H, S, N_ACT = 3, 3, 2


@numba.njit
def _contamination_by_hand(p0, v, params):
    """(1 - rho) p0.v + rho min_s v (docs/theory.md section 2), written independently of
    the package's contamination kernel."""
    rho = params[0]
    dot = 0.0
    for s in range(p0.shape[0]):
        dot += p0[s] * v[s]
    return (1.0 - rho) * dot + rho * v.min()


def _game(n_players=2, seed=2):
    return random_game(S, N_ACT, H, n_players=n_players, rng=seed)


def _group(game, seed=0, m=3):
    rng = np.random.default_rng(seed)
    return Group(rng.dirichlet(np.ones(game.n_states), size=(m,) + game.transitions.shape[:-1]))


def _forbid_hooks(monkeypatch, *classes):
    """Make the Python `_values` hook of ``classes`` raise: a run that falls back to it fails."""
    def boom(self, P, v, out):
        raise AssertionError(f"{type(self).__name__}._values called: the compiled path was not taken")

    for cls in classes:
        monkeypatch.setattr(cls, "_values", boom)


def _force_hooks(monkeypatch):
    """The reference: the learner's plan and the runner's gap through the sets' `_values`
    hooks (the Python / planning path)."""
    monkeypatch.setattr(learners_module, "compile_sets", lambda sets, horizon=None: None)
    monkeypatch.setattr(learn_module, "compile_sets", lambda sets, horizon=None: None)


def _run(game, learner, U=None, K=25):
    return learn(game, learner, K, rng=1, U=U, warn=False, keep_policies=True)


def _assert_same_run(a, b, tol=1e-12):
    for key in ("gap", "gap_per_player", "value", "learner_bound", "optimistic", "pessimistic"):
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), atol=tol, rtol=0, err_msg=key)
    np.testing.assert_array_equal(a.policies, b.policies)


@pytest.mark.parametrize("family", ["chi_square", "group", "mixed"])
def test_learner_compiled_path_matches_python_path(family, monkeypatch):
    game = _game()
    if family == "chi_square":
        U, classes = rg.ChiSquare(0.3), (rg.ChiSquare,)
    elif family == "group":
        U, classes = _group(game), (Group,)
    else:  # one player chi-square, the other a group set: the per-player switch
        U, classes = [rg.ChiSquare(0.5), _group(game, seed=4)], (rg.ChiSquare, Group)
    learner = MORNAVI(U, c_b=0.05)
    with monkeypatch.context() as m:
        _force_hooks(m)
        ref = _run(game, learner)
    with monkeypatch.context() as m:
        _forbid_hooks(m, *classes)
        state = learner._start(game, 5, np.random.default_rng(0))
        state.plan()
        assert state.backup == "compiled"
        out = _run(game, learner)
    _assert_same_run(out, ref)
    # and the compiled gaps against the planning layer itself
    for k in (0, 12, 24):
        want = rg.gap(game, U, out.policies[k], kind="cce")
        np.testing.assert_allclose(out.gap_per_player[k], want.per_player, atol=1e-12, rtol=0)


def test_forbidding_hooks_catches_the_fallback(monkeypatch):
    """The check above can fail: a run that takes the Python path trips it."""
    game = _game()
    _forbid_hooks(monkeypatch, rg.ChiSquare)
    _force_hooks(monkeypatch)
    with pytest.raises(AssertionError, match="compiled path was not taken"):
        _run(game, MORNAVI(rg.ChiSquare(0.3), c_b=0.05), K=2)


def test_subclass_of_a_builtin_set_runs_compiled(monkeypatch):
    """No dispatch on class names or modules: a user subclass of KL keeps KL's kernel."""
    class MyKL(rg.KL):
        pass

    game = _game()
    a = _run(game, MORNAVI(rg.KL(0.2), c_b=0.05))
    _forbid_hooks(monkeypatch, rg.KL)
    b = _run(game, MORNAVI(MyKL(0.2), c_b=0.05))
    _assert_same_run(a, b, tol=0.0)


def test_user_row_set_equals_contamination_in_planning_and_learning(monkeypatch):
    rho = 0.3
    mine, ref = RowSet(_contamination_by_hand, [rho], name="contamination"), rg.Contamination(rho)
    rng = np.random.default_rng(5)
    P = rng.dirichlet(np.ones(7) * 0.5, size=30)
    v = rng.normal(size=7)
    np.testing.assert_allclose(mine.worst_value(P, v), ref.worst_value(P, v), atol=1e-12, rtol=0)
    game = _game()
    # planning: the set's _values hook runs the row function (compiled, row by row)
    a, b = rg.solve(game, mine, "cce"), rg.solve(game, ref, "cce")
    np.testing.assert_allclose(a.values, b.values, atol=1e-12, rtol=0)
    np.testing.assert_allclose(a.gap_per_player, b.gap_per_player, atol=1e-12, rtol=0)
    # learning: the learners' compiled kernels, never the Python hook (c_b = 0 and the
    # horizon cap: the learners' TV/contamination-specific caps and bonus scale are off)
    expected = _run(game, MORNAVI(ref, c_b=0.0, cap="horizon"))
    expected_drnvi = _run(game, DRNVI(ref, samples=20))
    _forbid_hooks(monkeypatch, RowSet)
    got = _run(game, MORNAVI(mine, c_b=0.0, cap="horizon"))
    got_drnvi = _run(game, DRNVI(mine, samples=20))
    _assert_same_run(got, expected)
    _assert_same_run(got_drnvi, expected_drnvi)


def test_every_builtin_set_has_a_row_kernel():
    game = _game()
    sets = [rg.TV(0.1), rg.KL(0.1), rg.ChiSquare(0.1), rg.Contamination(0.1), _group(game),
            RowSet(_contamination_by_hand, [0.1])]
    for U in sets:
        assert isinstance(U.at_step(0).row_kernel(), RowKernel), U
    assert compile_sets(sets[:2], H) is not None


def test_bad_user_sets_are_rejected_naming_the_argument():
    def plain(p0, v, params):
        return float(p0 @ v)

    with pytest.raises(TypeError, match="row must be a numba-compiled function"):
        RowSet(plain, [0.1])

    @numba.njit
    def returns_int(p0, v, params):
        return 1

    with pytest.raises(TypeError, match="row must return a float"):
        RowSet(returns_int, [0.1])

    @numba.njit
    def returns_array(p0, v, params):
        return p0 * v

    with pytest.raises(TypeError, match="row must return a float"):
        RowSet(returns_array, [0.1])

    @numba.njit
    def wrong_arity(p0, v):
        return 0.0

    with pytest.raises(TypeError, match="row does not compile"):
        RowSet(wrong_arity, [0.1])
    @numba.njit
    def value_only(i, P, r, v, params, iw, fw, work, warm):
        return 0.0

    with pytest.raises(TypeError, match="row must return a"):
        RowKernel(value_only, rg.TV(0.1).row_kernel().prepare, [0.1])
    with pytest.raises(TypeError, match="prepare must be a numba-compiled function"):
        RowKernel(rg.TV(0.1).row_kernel().row, lambda *a: None, [0.1])
    with pytest.raises(ValueError, match="params"):
        RowKernel(rg.TV(0.1).row_kernel().row, rg.TV(0.1).row_kernel().prepare, [[0.1]])


def test_row_set_values_by_rows_match_worst_value():
    U = RowSet(_contamination_by_hand, [0.25])
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.ones(5), size=8)
    v = rng.random(5)
    out = np.empty(8)
    values_by_rows(U.row_kernel(), P, v, out)
    want = 0.75 * P @ v + 0.25 * v.min()
    np.testing.assert_allclose(out, want, atol=1e-14, rtol=0)
    with pytest.raises(NotImplementedError, match="worst-case distributions"):
        U.worst_distribution(P, v)


def test_block_cache_only_for_package_sources():
    """Block functions are cached on disk only for row kernels in robustgames' hashed
    sources; a user's row (whose file the cache key does not cover) compiles per process."""
    from robustgames.uncertainty._engine import _in_hashed_sources, block_kernel

    tv = rg.TV(0.1).row_kernel()
    user = RowSet(_contamination_by_hand, [0.1]).row_kernel()
    assert _in_hashed_sources(tv.row) and _in_hashed_sources(tv.prepare)
    assert not _in_hashed_sources(user.row)
    assert block_kernel(tv.row, tv.prepare)._cache.__class__.__name__ != "NullCache"
    assert block_kernel(user.row, user.prepare)._cache.__class__.__name__ == "NullCache"


@numba.njit
def _mean_of_min_and_dot(p0, v, params):
    return 0.5 * (p0 @ v) + 0.5 * v.min()


def test_two_user_rows_get_their_own_block():
    """Each user row function gets its own compiled block (no sharing by name)."""
    rng = np.random.default_rng(2)
    P = rng.dirichlet(np.ones(4), size=6)
    v = rng.random(4)
    a = RowSet(_contamination_by_hand, [0.0]).worst_value(P, v)
    b = RowSet(_mean_of_min_and_dot, [0.0]).worst_value(P, v)
    np.testing.assert_allclose(a, P @ v, atol=1e-14, rtol=0)
    np.testing.assert_allclose(b, 0.5 * P @ v + 0.5 * v.min(), atol=1e-14, rtol=0)
