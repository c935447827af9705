"""The conditional VAE and its loss (torch only).

Encoder q(z | x, y) and decoder p(x | z, y) are MLPs that both see the one-hot label. The
decoder emits one value per numeric column and one logit per category, laid out by the
spans of :mod:`vaeaug.preprocessing`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
from torch import nn
from torch.nn import functional as F

from .preprocessing import NUMERIC, Span, categorical_blocks


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """Linear + ReLU layers through ``sizes`` (ReLU after every layer)."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class LabelledLinear(nn.Module):
    """A linear layer on ``[x, onehot(y)]``, computed as ``W x + b + E[y]``.

    Same function as concatenating the one-hot label, without building it every step.
    """

    def __init__(self, n_in: int, n_classes: int, n_out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.label = nn.Embedding(n_classes, n_out)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.linear(x) + self.label(y)


class CVAE(nn.Module):
    """Conditional variational autoencoder for tabular rows.

    Parameters
    ----------
    n_features : int
        Width of the encoded rows (one column per numeric feature, one per category).
    n_classes : int
        Number of labels the model is conditioned on.
    latent_dim : int
        Size of z.
    hidden_dims : sequence of int
        Widths of the encoder's hidden layers (at least one); the decoder mirrors them.
    """

    def __init__(
        self, n_features: int, n_classes: int, latent_dim: int, hidden_dims: Sequence[int]
    ) -> None:
        super().__init__()
        hidden = list(hidden_dims)
        self.latent_dim = latent_dim
        self.enc_in = LabelledLinear(n_features, n_classes, hidden[0])
        self.encoder = mlp(hidden)
        self.head = nn.Linear(hidden[-1], 2 * latent_dim)  # mean and log-variance
        back = hidden[::-1]
        self.dec_in = LabelledLinear(latent_dim, n_classes, back[0])
        self.decoder = mlp(back)
        self.out = nn.Linear(back[-1], n_features)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z | x, y)."""
        h = self.encoder(torch.relu(self.enc_in(x, y)))
        mu, logvar = self.head(h).chunk(2, dim=1)
        # Clamped so that exp(logvar) can neither overflow nor vanish on odd data.
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Raw decoder output: numeric values and category logits."""
        return self.out(self.decoder(torch.relu(self.dec_in(z, y))))

    @staticmethod
    def reparameterize(
        mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None,
        temperature: float = 1.0,
    ) -> torch.Tensor:
        """z = mu + temperature * sigma * eps, eps ~ N(0, I) drawn from ``generator``."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + temperature * torch.exp(0.5 * logvar) * eps

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x, y)
        return self.decode(self.reparameterize(mu, logvar, generator), y), mu, logvar


class ConvCVAE(nn.Module):
    """Convolutional CVAE for images of shape (C, H, W), H and W multiples of 4.

    Encoder: two stride-2 convolutions (4x4 kernels), then a labelled linear layer to the
    mean and log-variance. Decoder: a labelled linear layer to a (channels[1], H/4, W/4) map,
    then two stride-2 transposed convolutions back to (C, H, W) logits.

    Parameters
    ----------
    shape : tuple of int
        (C, H, W) of the (padded) images.
    n_classes : int
        Number of labels the model is conditioned on.
    latent_dim : int
        Size of z.
    channels : sequence of int
        Feature maps of the two convolution layers (e.g. (32, 64)).
    """

    def __init__(self, shape: Sequence[int], n_classes: int, latent_dim: int,
                 channels: Sequence[int]) -> None:
        super().__init__()
        c, h, w = shape
        c1, c2 = list(channels)[:2] if len(channels) >= 2 else (channels[0], channels[0])
        self.latent_dim = latent_dim
        self.map_shape = (c2, h // 4, w // 4)
        flat = c2 * (h // 4) * (w // 4)
        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
        )
        self.enc_head = LabelledLinear(flat, n_classes, 2 * latent_dim)
        self.dec_in = LabelledLinear(latent_dim, n_classes, flat)
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1),
        )

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.enc_head(self.encoder(x), y).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.dec_in(z, y)).view(-1, *self.map_shape)
        return self.decoder(h)

    reparameterize = staticmethod(CVAE.reparameterize)
    forward = CVAE.forward


#: The networks that training and generation take: the tabular MLP and the image one.
GenerativeModel = CVAE | ConvCVAE


def small_cnn(channels: int, height: int, width: int, n_classes: int) -> nn.Sequential:
    """A small image classifier for evaluations: two 3x3 convolutions (16 and 32 maps), each
    with ReLU and 2x2 max-pooling, and a linear layer to the class logits (``benchmarks/
    images.py``'s CNN). ``height`` and ``width`` are multiples of 4."""
    return nn.Sequential(nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * (height // 4) * (width // 4), n_classes))


ModuleT = TypeVar("ModuleT", bound=nn.Module)


def build_on_cpu(make: Callable[[], ModuleT]) -> ModuleT:
    """``make()``'s module, built on the CPU with torch's global random state left as it was.

    torch's layers draw a default initialisation from the global generator as they are
    built. Every caller sets all parameters afterwards (:func:`init_parameters`, or a
    stored state dict), so only the global state needs keeping. Building on the meta device
    keeps it too, but there ``nn.Embedding`` initialises through Python reference kernels
    that import ``torch._dynamo``: 2.3 s on the first fit of every process (each command-line
    run), against about 5 ms here.
    """
    with torch.device("cpu"), torch.random.fork_rng(devices=[]):
        return make()


@torch.no_grad()
def init_parameters(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default initialisation of linear and convolution layers,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), drawn from ``generator`` instead of the global
    random state. A labelled layer counts the
    one-hot label in its fan-in, as the concatenated layer it stands for would."""
    done: set[int] = set()
    for layer in module.modules():
        if isinstance(layer, LabelledLinear):
            n_classes = layer.label.num_embeddings
            tensors = [layer.linear.weight, layer.linear.bias, layer.label.weight]
            bound = 1.0 / (layer.linear.in_features + n_classes) ** 0.5
            done.add(id(layer.linear))
        elif isinstance(layer, nn.Linear) and id(layer) not in done:
            tensors = [layer.weight, layer.bias]
            bound = 1.0 / layer.in_features**0.5
        elif isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            tensors = [layer.weight, layer.bias]  # type: ignore[list-item]  # built with bias
            fan_in = layer.weight[0].numel()  # as torch counts it for both kinds
            bound = 1.0 / fan_in**0.5
        else:
            continue
        for tensor in tensors:
            tensor.uniform_(-bound, bound, generator=generator)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x,y) || N(0, I)) per row."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def reconstruction_loss(
    output: torch.Tensor, x: torch.Tensor, spans: Sequence[Span]
) -> torch.Tensor:
    """Negative log-likelihood per row: squared error on numeric columns (a unit-variance
    Gaussian up to a constant), cross-entropy on each categorical column."""
    if all(s.kind == NUMERIC for s in spans):  # the common case, in one kernel chain
        return 0.5 * (output - x).pow(2).sum(dim=1)
    numeric = [s.start for s in spans if s.kind == NUMERIC]
    loss = output.new_zeros(output.shape[0])
    if numeric:
        idx = torch.tensor(numeric, device=output.device)
        loss = loss + 0.5 * (output[:, idx] - x[:, idx]).pow(2).sum(dim=1)
    for s in spans:
        if s.kind != NUMERIC:
            target = x[:, s.start : s.stop].argmax(dim=1)
            loss = loss + F.cross_entropy(output[:, s.start : s.stop], target, reduction="none")
    return loss


def bernoulli_loss(output: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Negative Bernoulli log-likelihood per row (pixels in [0, 1]; output are logits)."""
    per_value = F.binary_cross_entropy_with_logits(output, x, reduction="none")
    return per_value.flatten(1).sum(dim=1)


def tabular_activation(spans: Sequence[Span]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Decoder output -> data space: numeric values as they are, softmax per category block."""
    blocks = categorical_blocks(spans)

    def activate(output: torch.Tensor) -> torch.Tensor:
        if not blocks:
            return output
        output = output.clone()
        for start, stop in blocks:
            output[:, start:stop] = output[:, start:stop].softmax(dim=1)
        return output

    return activate
