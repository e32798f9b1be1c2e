"""The enhancer recipe's data: simulated reverberant pairs and a VoiceBank-DEMAND folder."""

from __future__ import annotations

import numpy as np
import soundfile as sf
import torch

from models.data.speech import Split
from models.train.enhancer import EnhancementLoss, VoiceBankPairs, simulated_config, training_pairs


def _voicebank(root, names=("p232_001", "p232_002", "p232_003"), seconds=(0.5, 1.5, 1.0)):
    for kind in ("noisy", "clean"):
        (root / f"{kind}_trainset_28spk_wav").mkdir(parents=True)
    for k, (name, length) in enumerate(zip(names, seconds, strict=True)):
        clean = np.sin(np.arange(int(length * 16_000)) * (0.05 + 0.01 * k)).astype(np.float32) * 0.3
        sf.write(root / "clean_trainset_28spk_wav" / f"{name}.wav", clean, 16_000)
        sf.write(root / "noisy_trainset_28spk_wav" / f"{name}.wav", clean + 0.05, 16_000)
    return root


def test_voicebank_crops_are_paired_padded_and_hold_out_every_twentieth_file(tmp_path):
    root = _voicebank(tmp_path / "vb")
    train = training_pairs(1.0, Split.TRAIN, 6, 0, voicebank=root)
    assert [it.mixture.stem for it in train.items] == ["p232_002", "p232_003"]
    valid = training_pairs(1.0, Split.VALID, 2, 0, voicebank=root)
    assert [it.mixture.stem for it in valid.items] == ["p232_001"]
    item = valid[0]                                                   # 0.5 s file, zero-padded to 1 s
    assert item["noisy"].shape == item["clean"].shape == (1, 16_000)
    torch.testing.assert_close(item["noisy"][:, :8000], item["clean"][:, :8000] + 0.05, atol=1e-4, rtol=0)
    assert (item["clean"][:, 8000:] == 0).all()
    assert isinstance(train, VoiceBankPairs) and torch.equal(train[3]["clean"], train[3]["clean"])


def test_simulated_pairs_are_reverberant_single_talker_crops():
    config = simulated_config(0.5, Split.TRAIN)
    assert config.reverberant and config.talkers == (1, 1) and config.mics == (1, 1) and config.rt60_s[0] >= 0.2
    item = training_pairs(0.5, Split.TRAIN, 2, 0)[1]
    assert item["noisy"].shape == item["clean"].shape == (1, 8000)
    assert not torch.equal(item["noisy"], item["clean"]) and item["clean"].abs().max() > 0


def test_the_supervised_loss_prefers_the_clean_signal():
    torch.manual_seed(0)
    clean = torch.randn(2, 8000) * 0.1
    loss = EnhancementLoss()
    noise = torch.randn(2, 8000)
    assert loss(clean, clean) < loss(clean + 0.02 * noise, clean) < loss(clean + 0.1 * noise, clean)


class _NanOnFirstCall(torch.nn.Module):
    """An objective whose first gradient is NaN, as bf16 kernels occasionally produce."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, model, batch):
        self.calls += 1
        loss = model(batch["noisy"]).pow(2).mean() * (float("nan") if self.calls == 1 else 1.0)
        return loss, {"supervised": 0.0}


def test_a_non_finite_gradient_skips_the_update_instead_of_poisoning_the_weights(tmp_path):
    from safetensors.torch import load_file

    from models.enhancers.student import GtcrnStudent, StudentConfig
    from models.train.enhancer import EnhancerTrainConfig, Role, Run, fit

    torch.manual_seed(0)
    model = GtcrnStudent(StudentConfig(channels=8))
    cfg = EnhancerTrainConfig(role=Role.STUDENT, steps=3, warmup=1, log_every=100, workers=0)
    batches = iter([{"noisy": torch.randn(2, 1, 4000)} for _ in range(3)])
    fit(model, _NanOnFirstCall(), lambda step: batches, [], Run(tmp_path, cfg, lambda *a: {}))
    state = load_file(str(tmp_path / "resume.safetensors"))
    assert all(torch.isfinite(v).all() for k, v in state.items() if v.is_floating_point())
    assert not torch.equal(state["model.encoder.0.0.weight"], state["ema.encoder.0.0.weight"])  # later steps applied


def test_bf16_autocast_is_on_only_for_the_teacher_on_hardware_with_native_bf16():
    from models.train.common import native_bf16
    from models.train.enhancer import EnhancerTrainConfig, Role

    cpu = torch.device("cpu")
    assert EnhancerTrainConfig(role=Role.TEACHER).autocast(cpu) == native_bf16(cpu)
    assert not EnhancerTrainConfig(role=Role.STUDENT).autocast(cpu)
    assert EnhancerTrainConfig(role=Role.STUDENT, bf16=True).autocast(cpu)


class _Energy(torch.nn.Module):
    def forward(self, model, batch):
        loss = model(batch["noisy"]).pow(2).mean()
        return loss, {"supervised": loss.item()}


def test_a_time_budget_ends_the_enhancer_loop_on_time_with_its_resume_state_saved(tmp_path):
    import itertools
    import json

    from models.enhancers.student import GtcrnStudent, StudentConfig
    from models.train.enhancer import EnhancerTrainConfig, Role, Run, fit

    model = GtcrnStudent(StudentConfig(channels=8))
    cfg = EnhancerTrainConfig(role=Role.STUDENT, steps=10**6, warmup=1, log_every=10**6, workers=0, minutes=0.02)
    batch = {"noisy": torch.randn(2, 1, 4000)}
    fit(model, _Energy(), lambda step: itertools.repeat(batch), [], Run(tmp_path, cfg, lambda *a: {}))
    assert 0 < json.loads((tmp_path / "resume.json").read_text())["step"] < 10**6


def test_a_warm_started_enhancer_run_begins_from_the_given_card_and_counts_its_steps(tmp_path):
    import itertools
    from dataclasses import replace

    from models.common import checkpoint
    from models.enhancers.student import GtcrnStudent, StudentConfig
    from models.train.enhancer import EnhancerTrainConfig, Role, Run, enhancer_card, fit

    cfg = EnhancerTrainConfig(role=Role.STUDENT, steps=2, warmup=1, lr=0.0, weight_decay=0.0, log_every=1,
                              valid_every=2, workers=0)
    torch.manual_seed(1)
    source = GtcrnStudent(StudentConfig(channels=8))
    written = checkpoint.save(source, tmp_path / "source.json",
                              enhancer_card("source", source, "test", cfg, {}, 7, {}, "cpu", 0.0))
    torch.manual_seed(2)
    model = GtcrnStudent(StudentConfig(channels=8))             # other weights, replaced by the card's
    batch = {"noisy": torch.randn(2, 1, 16_000) * 0.1, "clean": torch.randn(2, 1, 16_000) * 0.1}
    fit(model, _Energy(), lambda step: itertools.repeat(batch), [batch],
        Run(tmp_path / "run", replace(cfg, init=str(tmp_path / "source.json")),
            lambda *a: enhancer_card("warm", model, "test", cfg, {}, *a)))
    warm, card = checkpoint.load(tmp_path / "run" / "best.json")
    assert all(torch.equal(a, b) for a, b in zip(warm.parameters(), source.parameters(), strict=True))
    assert card["training"]["initialised_from"]["sha256"] == written["weights"]["sha256"]
    assert card["training"]["steps_this_run"] == 2 and card["training"]["steps"] == 7 + 2
