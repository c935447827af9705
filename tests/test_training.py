"""Training helpers: device choice."""

import pytest
import torch

from vaeaug.training import resolve_device


@pytest.mark.parametrize("cuda", [True, False])
def test_device_auto_takes_cuda_when_present(monkeypatch, cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert resolve_device("auto") == torch.device("cuda" if cuda else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")
