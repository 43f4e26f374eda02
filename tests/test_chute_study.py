"""The chute study over seeds: CIs, instance screen, convergent learners, volume noise, export."""

import json

import numpy as np
import pytest

from robustgames.games._chute import chute_mapping_game
from robustgames.learning._drmarl import cb_accuracy, evaluate_joint_policy, train_vdn
from robustgames.planning._group_dro import group_dro_solve, policy_value_per_group

from _util import strict_loads

GROUPS = np.array([[0.8, 0.2], [0.5, 0.5], [0.3, 0.7]])




# ---------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------
def test_t_interval_matches_scipy_and_handles_degenerate_input():
    from scipy import stats

    from robustgames.experiments.chute import t_interval

    x = np.random.default_rng(0).normal(size=10)
    ci = t_interval(list(x) + [None])
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert ci["n"] == 10 and ci["lo"] == pytest.approx(lo, abs=1e-12) and ci["hi"] == pytest.approx(hi, abs=1e-12)
    assert t_interval([1.0, 1.0, 1.0])["lo"] == t_interval([1.0, 1.0, 1.0])["hi"] == 1.0
    one = t_interval([2.0])
    assert one["mean"] == 2.0 and one["lo"] is None
    assert t_interval([None])["mean"] is None


# ---------------------------------------------------------------------------------------
# convergent learners
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def instance5():
    """The instance of proofs_checks/drmarl_learned_values (seed 5), with 4 steps."""
    game = chute_mapping_game(variant="a", steps=4, rng=np.random.default_rng(5))
    r, P = game.mixture_tables()
    nominal = group_dro_solve(r[None], P, game.steps, feasible=game.feasible)
    return game, nominal


def _nominal_value(game, policy):
    # independent of the learner: per-group forward evaluation, weighted by the group shares
    v = policy_value_per_group(game.rewards, game.transitions, policy, game.steps, game.initial_state)
    return float(game.group_weights @ v)


def test_nominal_marl_with_decaying_steps_reaches_the_nominal_optimum(instance5):
    """Sampled targets (one group per day) + Robbins-Monro steps: the greedy policy is nominal-optimal
    (tolerance 0.1% of the exact optimum) and the learned estimate within 2%, on every seed tried."""
    game, nominal = instance5
    v_nom = float(nominal.values[0, game.initial_state])
    for seed in range(2):
        res = train_vdn(game, "nominal", episodes=3000, alpha="decay", omega=0.8, rng=seed)
        assert _nominal_value(game, res.policy) >= v_nom * (1 - 1e-3)
        assert res.value_estimate == pytest.approx(v_nom, rel=0.02)


@pytest.mark.parametrize("factorisation", ["vdn", "joint"])
def test_expected_nominal_target_converges_to_the_mixture_dp(instance5, factorisation):
    """``target="expected"`` averages over the day's group too: noise-free, so the estimate is the
    exact nominal optimum (dynamic programming on the mixture tables) to 1e-3."""
    game, nominal = instance5
    v_nom = float(nominal.values[0, game.initial_state])
    res = train_vdn(game, "nominal", episodes=1000, alpha="decay", target="expected", factorisation=factorisation,
                    rng=0)
    assert res.value_estimate == pytest.approx(v_nom, rel=1e-3)
    assert _nominal_value(game, res.policy) == pytest.approx(v_nom, rel=1e-9)


def test_step_size_arguments_are_validated():
    game = chute_mapping_game(variant="a", groups=GROUPS, steps=2)
    with pytest.raises(ValueError, match="alpha"):
        train_vdn(game, "nominal", alpha="fast", episodes=2)
    with pytest.raises(ValueError, match="alpha"):
        train_vdn(game, "nominal", alpha=1.5, episodes=2)
    with pytest.raises(ValueError, match="omega"):
        train_vdn(game, "nominal", alpha="decay", omega=0.4, episodes=2)


def test_cb_accuracy_on_visited_pairs_against_a_loop():
    game = chute_mapping_game(variant="b", groups=GROUPS, steps=2, n_chutes=3, volume=4, n_levels=2)
    rng = np.random.default_rng(1)
    q_cb = rng.normal(size=(game.n_states, game.n_joint_actions, game.n_groups))
    counts = rng.integers(0, 3, size=q_cb.shape) * (rng.random(q_cb.shape[:2]) < 0.4)[..., None]
    acc = cb_accuracy(game, q_cb, counts)
    lost, weights = [], []
    for s in range(game.n_states):
        for a in range(game.n_joint_actions):
            if game.feasible[s, a] and counts[s, a].sum() > 0:
                g = int(np.argmin(q_cb[s, a]))
                lost.append(game.rewards[g, s, a] - game.rewards[:, s, a].min())
                weights.append(counts[s, a].sum())
    lost, weights = np.array(lost), np.array(weights)
    assert acc.accuracy_visited == pytest.approx(np.mean(lost <= 1e-12))
    assert acc.mean_reward_lost_visited == pytest.approx(lost.mean())
    assert acc.max_reward_lost_visited == pytest.approx(lost.max())
    assert acc.weighted_reward_lost == pytest.approx((weights * lost).sum() / weights.sum())


# ---------------------------------------------------------------------------------------
# random volume
# ---------------------------------------------------------------------------------------
def test_point_mass_volume_pmf_is_the_default_game():
    a = chute_mapping_game(variant="b", groups=GROUPS, steps=2, n_chutes=3, volume=4, n_levels=2)
    b = chute_mapping_game(variant="b", groups=GROUPS, steps=2, n_chutes=3, volume=4, n_levels=2, volume_pmf={4: 1.0})
    np.testing.assert_allclose(a.rewards, b.rewards, atol=1e-15)
    np.testing.assert_allclose(a.transitions, b.transitions, atol=1e-15)


@pytest.mark.parametrize("variant", ["a", "b"])
def test_volume_noise_evaluation_against_mixed_fixed_volume_tables(variant):
    """Independent computation: with i.i.d. step volumes, every table is the volume-weighted mixture of
    the fixed-volume games' tables (throughput, recirculated packages, kernels); the reward is the
    fixed-volume formula with the nominal normaliser."""
    kw = dict(variant=variant, groups=GROUPS, steps=3, n_chutes=3, volume=4, n_levels=2, capacity=2)
    pmf = {2: 0.2, 4: 0.5, 6: 0.3}
    noisy = chute_mapping_game(**kw, volume_pmf=pmf)
    fixed = {v: chute_mapping_game(**{**kw, "volume": v}) for v in pmf}
    thr = sum(p * fixed[v].throughput for v, p in pmf.items())
    rec = sum(p * fixed[v].recirculated for v, p in pmf.items())
    P = sum(p * fixed[v].transitions for v, p in pmf.items())
    np.testing.assert_allclose(noisy.throughput, thr, atol=1e-12)
    np.testing.assert_allclose(noisy.recirculated, rec, atol=1e-12)
    np.testing.assert_allclose(noisy.transitions, P, atol=1e-12)
    L = noisy.max_load  # nominal normaliser: volume 4 + backlog
    assert L == 4 + 2 * noisy.delta * (noisy.n_levels - 1)
    np.testing.assert_allclose(noisy.rewards, (thr + noisy.rho * (L - rec)) / ((1 + noisy.rho) * L), atol=1e-12)
    # exact evaluation of a fixed policy (random feasible) against forward propagation of the mixed tables
    rng = np.random.default_rng(0)
    pol = np.array([[rng.choice(np.flatnonzero(noisy.feasible[s])) for s in range(noisy.n_states)]
                    for _ in range(noisy.steps)])
    ev = evaluate_joint_policy(noisy, pol)
    s0 = noisy.initial_state
    np.testing.assert_allclose(ev.throughput, policy_value_per_group(thr, P, pol, 3, s0), atol=1e-12)
    mean_v = sum(v * p for v, p in pmf.items())
    np.testing.assert_allclose(ev.recirculation_rate, policy_value_per_group(rec, P, pol, 3, s0) / (mean_v * 3),
                               atol=1e-12)


def test_volume_noise_simulated():
    """Monte Carlo of the day with random volumes (a simulator written here) agrees with the exact value."""
    game = chute_mapping_game(variant="b", groups=GROUPS, steps=2, n_chutes=3, volume=4, n_levels=2,
                              volume_pmf={3: 0.5, 5: 0.5})
    pol = group_dro_solve(game.rewards, game.transitions, game.steps, feasible=game.feasible).policy
    exact = policy_value_per_group(game.throughput, game.transitions, pol, game.steps, game.initial_state)[0]
    rng = np.random.default_rng(0)
    total, n = 0.0, 20000
    for _ in range(n):
        c, lv = game.decode(game.initial_state)
        for t in range(game.steps):
            a = game.joint[pol[t, game.encode(c, lv)]]
            vol = rng.choice([3, 5])
            x = rng.multinomial(vol, GROUPS[0])
            c = c + a
            load = x + game.delta * lv
            srt = np.minimum(load, game.capacity * c)
            total += srt.sum()
            lv = np.minimum((load - srt) // game.delta, game.n_levels - 1)
    assert total / n == pytest.approx(exact, abs=4 * 1.0 / np.sqrt(n) * 3)


def test_volume_pmf_validated():
    with pytest.raises(ValueError, match="volume_pmf"):
        chute_mapping_game(groups=GROUPS, volume_pmf={4: 0.5})
    with pytest.raises(ValueError, match="volume_pmf"):
        chute_mapping_game(groups=GROUPS, volume_pmf={-1: 1.0})
    with pytest.raises(TypeError, match="volume_pmf"):
        chute_mapping_game(groups=GROUPS, volume_pmf=[4])


# ---------------------------------------------------------------------------------------
# the study (smoke profile)
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    from robustgames.experiments import chute

    path = chute.run("smoke", tmp_path_factory.mktemp("chute"), seed=0)
    return strict_loads(path.read_text())


def test_study_seeds_differ_and_cis_have_width(smoke):
    from robustgames.experiments.chute import MIN_SHORTFALL, PROFILES, ROWS

    seeds = smoke["seeds"]
    assert smoke["n_seeds"] == len(seeds) == PROFILES["smoke"]["seeds"] >= 2
    keys = {tuple(s["instance"]["game_seed"]["spawn_key"]) for s in seeds}
    assert len(keys) == len(seeds)  # every seed its own instance
    for s in seeds:  # the screen: robust training matters on every instance
        assert s["instance"]["nominal_shortfall"] >= MIN_SHORTFALL
        assert s["instance"]["policies_differ_on_reachable_states"] >= 1
        assert s["rows"]["DP robust-optimal (exact)"]["robust_rel"] == pytest.approx(1.0)
        for name in ROWS[:-1]:  # nothing beats the exact robust optimum
            assert s["rows"][name]["robust_rel"] <= 1 + 1e-9
        assert s["approximation"]["min_one_step_rel"] >= -1e-12  # U >= T (docs/theory.md section 5.4)
        assert s["approximation"]["min_value_gap_rel"] >= -1e-12
    for name in ROWS:
        for key in ("thr_mean", "worst_value"):
            ci = smoke["table1"][name][key]
            vals = [s["rows"][name][key] for s in seeds]
            assert ci["mean"] == pytest.approx(np.mean(vals))
            assert ci["hi"] - ci["lo"] > 0  # instances differ, so the CI has width
    d = smoke["paired"]["DRMARL + CB - MARL (nominal)"]["worst_value"]
    assert d["mean"] == pytest.approx(np.mean([s["rows"]["DRMARL + CB"]["worst_value"]
                                               - s["rows"]["MARL (nominal)"]["worst_value"] for s in seeds]))
    assert "| DRMARL + CB |" in smoke["table1_text"]


def test_reproduce_exports_the_aggregate_of_per_seed_cells(smoke, tmp_path):
    from robustgames.experiments import chute
    from robustgames.experiments._reproduce import _export_chute
    from robustgames.runner import Cell, ResultStore, strict_json

    store = ResultStore(tmp_path)
    for k, rec in enumerate(smoke["seeds"]):
        cell = Cell("chute", {"experiment": "chute", "profile": "smoke", "part": "seed"}, k, 0)
        store.put(cell, {"values": {"seed_json": strict_json(rec)}, "arrays": {}})
    path = _export_chute(store, tmp_path, "smoke", 0)
    got = strict_loads(path.read_text())
    assert got["table1_text"] == smoke["table1_text"] == chute.aggregate("smoke", smoke["seeds"], 0)["table1_text"]


def test_figures_captions_and_table_file(smoke, tmp_path):
    from robustgames.paper_figures import chute as figures

    src = tmp_path / "chute_smoke_seed0.json"
    src.write_text(json.dumps(smoke))
    paths = {p.name for p in figures.draw(src, tmp_path / "fig")}
    for name in ("chute", "chute_approx", "chute_diagnostic"):
        assert {f"{name}.png", f"{name}.pdf", f"{name}.txt"} <= paths
        assert "seeds" in (tmp_path / "fig" / f"{name}.txt").read_text()
    assert (tmp_path / "fig" / "chute_table1.md").read_text().strip() == smoke["table1_text"].strip()
    assert "DRMARL + CB" in figures.table(src)
