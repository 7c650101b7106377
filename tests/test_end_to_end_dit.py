"""The DiT, its conditioner and the guided sampler: shapes, determinism, guidance algebra, an oracle denoiser."""

import math

import pytest
import torch

from cascade.end_to_end.conditioning import NUMBERS, Conditioner, NumberEmbedder
from cascade.end_to_end.dit import Dit, DitConfig
from cascade.end_to_end.model import Conditions, SpatialDiffusion
from cascade.end_to_end.sampler import flow_pair, sample, time_grid

TINY = DitConfig(latent=6, width=32, depth=2, heads=2, patch=2, frame_rate=31.25)


def _conditions(batch: int = 2, tokens: int = 5) -> Conditions:
    g = torch.Generator().manual_seed(0)
    numbers = torch.tensor([[90.0, 10.0, 2.0, float("nan"), float("nan"), 0.5, 2.0, -6.0]] * batch)
    mask = torch.ones(batch, tokens, dtype=torch.bool)
    mask[0, -2:] = False
    return Conditions(torch.randn(batch, tokens, 384, generator=g), mask, numbers)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = SpatialDiffusion(TINY, "parametric").eval()
    with torch.no_grad():  # zero-initialised output layers would make every prediction 0; give them weights
        for p in m.parameters():
            if p.abs().sum() == 0 and p.dim() > 1:
                p.normal_(0.0, 0.05)
    return m


@pytest.mark.parametrize("frames", [20, 21])
def test_velocity_has_the_latent_shape_for_even_and_odd_frame_counts(model, frames):
    x = torch.randn(2, TINY.latent, frames)
    assert model(x, torch.rand(2), _conditions()).shape == (2, TINY.latent, frames)


def test_dit_alone_maps_latents_to_latents():
    dit = Dit(TINY)
    tokens, mask = torch.randn(3, 4, TINY.width), torch.ones(3, 4, dtype=torch.bool)
    span = torch.tensor([[0.1, 0.2]] * 3)
    assert dit(torch.randn(3, TINY.latent, 9), torch.rand(3), tokens, mask, torch.randn(3, TINY.width), span).shape == (3, TINY.latent, 9)


def test_each_token_sees_where_it_lies_against_the_sounds_span():
    dit = Dit(TINY)
    x, tokens, mask, pooled = torch.randn(1, TINY.latent, 12), torch.randn(1, 4, TINY.width), torch.ones(1, 4, dtype=torch.bool), torch.randn(1, TINY.width)
    torch.nn.init.normal_(dit.project_out.weight)
    a = dit(x, torch.tensor([0.5]), tokens, mask, pooled, torch.tensor([[0.0, 0.1]]))
    b = dit(x, torch.tensor([0.5]), tokens, mask, pooled, torch.tensor([[0.0, 1.0]]))
    assert not torch.allclose(a, b), "the same noisy latents with another span get another velocity"


def test_generation_is_deterministic_per_seed(model):
    a = model.generate(_conditions(), 12, steps=3, guidance=2.0, seeds=[5, 6])
    b = model.generate(_conditions(), 12, steps=3, guidance=2.0, seeds=[5, 6])
    c = model.generate(_conditions(), 12, steps=3, guidance=2.0, seeds=[7, 6])
    assert torch.equal(a, b)
    assert not torch.allclose(a[0], c[0]) and torch.equal(a[1], c[1]), "each item's noise comes from its own seed"


def test_guidance_scale_one_is_the_conditional_and_zero_the_unconditional_prediction(model):
    x, t, conditions = torch.randn(2, TINY.latent, 12), torch.full((2,), 0.6), _conditions()
    with torch.no_grad():
        conditional = model(x, t, conditions)
        unconditional = model(x, t, conditions, torch.ones(2, dtype=torch.bool))
        assert not torch.allclose(conditional, unconditional, atol=1e-4), "the condition must change the prediction"
        assert torch.allclose(model.guided_velocity(conditions, 1.0)(x, t), conditional, atol=1e-5)
        assert torch.allclose(model.guided_velocity(conditions, 0.0)(x, t), unconditional, atol=1e-5)
        three = model.guided_velocity(conditions, 3.0)(x, t)
        assert torch.allclose(three, unconditional + 3 * (conditional - unconditional), atol=1e-4)


def test_dropped_items_ignore_text_and_place_but_keep_timing(model):
    conditions = _conditions()
    moved = Conditions(torch.randn_like(conditions.text), conditions.text_mask, conditions.numbers.clone())
    moved.numbers[:, 0] = -90.0
    x, t, drop = torch.randn(2, TINY.latent, 12), torch.full((2,), 0.5), torch.ones(2, dtype=torch.bool)
    with torch.no_grad():
        assert torch.allclose(model(x, t, conditions, drop), model(x, t, moved, drop), atol=1e-6)
        later = Conditions(conditions.text, conditions.text_mask, conditions.numbers.clone())
        later.numbers[:, NUMBERS.index("start")] = 3.0
        assert not torch.allclose(model(x, t, conditions, drop), model(x, t, later, drop), atol=1e-5)


def test_masked_text_tokens_do_not_matter():
    conditioner = Conditioner("descriptive", 16)
    text, mask, numbers = torch.randn(1, 6, 384), torch.tensor([[True] * 4 + [False] * 2]), torch.tensor([[0.0] * 5 + [1.0, 2.0, 0.0]])
    changed = text.clone()
    changed[0, 4:] = 100.0
    a, b = conditioner(text, mask, numbers), conditioner(changed, mask, numbers)
    assert torch.allclose(a[2], b[2]) and torch.equal(a[1], b[1])


def test_azimuth_embedding_is_periodic_and_absent_numbers_get_the_learned_token():
    embed = NumberEmbedder("azimuth", 8)
    values = embed(torch.tensor([170.0, -190.0, float("nan")]))
    assert torch.allclose(values[0], values[1], atol=1e-5), "170° and -190° are one direction"
    assert torch.equal(values[2], embed.absent)


def test_sampler_with_a_perfect_denoiser_returns_the_target():
    target = torch.randn(3, 6, 10, generator=torch.Generator().manual_seed(1))
    noise = torch.randn(3, 6, 10, generator=torch.Generator().manual_seed(2))

    def oracle(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The true velocity of the straight path through x_t that ends at the target."""
        return (x - target) / t.view(-1, 1, 1)

    for steps in (1, 4, 25):
        assert torch.allclose(sample(oracle, noise, steps), target, atol=1e-5)


def test_flow_pair_interpolates_and_its_velocity_points_from_data_to_noise():
    x0, noise, t = torch.zeros(2, 1, 3), torch.ones(2, 1, 3), torch.tensor([0.25, 1.0])
    x_t, v = flow_pair(x0, t, noise)
    assert torch.allclose(x_t[0], torch.full((1, 3), 0.25)) and torch.allclose(x_t[1], noise[1])
    assert torch.equal(v, noise - x0)


def test_time_grid_runs_from_one_to_zero_and_spends_more_steps_near_noise():
    grid = time_grid(8, shift=3.0)
    assert float(grid[0]) == 1.0 and float(grid[-1]) == 0.0 and bool((grid[1:] < grid[:-1]).all())
    assert float(grid[0] - grid[1]) < float(grid[-2] - grid[-1]), "shift > 1 makes the first steps the smallest"
    assert torch.allclose(time_grid(4, shift=1.0), torch.linspace(1, 0, 5))
    assert math.isclose(float(time_grid(2, 3.0)[1]), 3 * 0.5 / (1 + 2 * 0.5))
