"""bayesforge.testing.generators: the data recipes every language gets bit-identical arrays from."""
import numpy as np
import pytest

from bayesforge.testing.generators import GENERATORS

RECIPES = {
    "normal": dict(n=50, loc=1.5, scale=0.7, seed=3),
    "linear": dict(n=40, alpha=1.0, beta=-2.0, sigma=0.1, seed=4, x_loc=5.0, x_scale=2.0),
    "make_blobs": dict(n_samples=60, centers=3, cluster_std=0.5, center_box=[-10.0, 10.0], random_state=5),
}


def test_every_generator_has_a_recipe_here():
    assert set(GENERATORS) == set(RECIPES)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_the_same_recipe_gives_the_same_arrays_and_another_seed_others(name):
    generate, outputs = GENERATORS[name]
    first, second = generate(**RECIPES[name]), generate(**RECIPES[name])
    assert tuple(first) == outputs
    for key in outputs:
        np.testing.assert_array_equal(first[key], second[key])
    seed = "random_state" if name == "make_blobs" else "seed"
    other = generate(**{**RECIPES[name], seed: RECIPES[name][seed] + 1})
    assert not np.array_equal(first[outputs[0]], other[outputs[0]])


def test_the_recipes_mean_what_their_parameters_say():
    y = GENERATORS["normal"][0](n=4000, loc=1.5, scale=0.7, seed=0)["y"]
    assert y.shape == (4000,) and abs(y.mean() - 1.5) < 0.05 and abs(y.std() - 0.7) < 0.03
    np.testing.assert_array_equal(y[:3], np.random.default_rng(0).normal(1.5, 0.7, size=4000)[:3])
    line = GENERATORS["linear"][0](**RECIPES["linear"])
    slope, intercept = np.polyfit(line["x"], line["y"], 1)
    assert slope == pytest.approx(-2.0, abs=0.05) and intercept == pytest.approx(1.0, abs=0.3)
    assert abs(line["x"].mean() - 5.0) < 1.0
    blobs = GENERATORS["make_blobs"][0](**RECIPES["make_blobs"])
    assert blobs["X"].shape == (60, 2) and sorted(set(blobs["labels"])) == [0, 1, 2]
