"""``CVAEOverSampler``: the imbalanced-learn oversampler, thin glue over the other modules."""

from __future__ import annotations

import functools
import math
import warnings
from numbers import Integral, Real
from typing import Any, cast

import numpy as np
import pandas as pd
import torch
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data
from tqdm.auto import tqdm

from . import persistence
from .defaults import DEVICE, EPOCHS, LATENT_DIM
from .fast_step import FastStep, cpu_shards
from .fast_step import supports as supports_fast_step
from .generation import METHODS, generate, part_rows
from .model import (
    CVAE,
    GenerativeModel,
    build_on_cpu,
    init_parameters,
    reconstruction_loss,
    tabular_activation,
)
from .preprocessing import NUMERIC, TableTransformer
from .training import (
    OneProcess,
    Step,
    TrainingDivergedError,
    autocast_enabled,
    autograd_step,
    check_fits,
    cpu_threads,
    enough_memory,
    steps_per_epoch,
    torch_threads,
    train_cvae,
)
from .validation import (
    as_input_format,
    as_labels,
    as_table,
    class_hint,
    few_rows_problem,
    is_count,
    listed,
    pandas_if_polars,
    restore_X,
    restore_y,
    sampling_counts,
)

#: With ``epochs="auto"`` training runs about this many optimiser steps (at least 1 epoch).
AUTO_STEPS = 1500
#: With ``balance_classes="auto"`` minibatches are class-balanced unless a class has at most
#: this many rows.
SMALL_CLASS_ROWS = 10
#: Divergence is retried this many times, each with a ten times smaller learning rate.
RETRIES = 2


class CVAEOverSampler(BaseOverSampler):
    """Oversample with a conditional variational autoencoder.

    A CVAE (encoder q(z | x, y), decoder p(x | z, y), both conditioned on the one-hot label)
    is trained on all classes, so rare classes borrow structure from common ones. New rows of
    a class are decoded from latent codes drawn as ``generation`` says. Numeric and
    categorical columns are supported, and datetime and timedelta columns as numbers (new
    values in whole steps of the input's: dates stay dates); outputs keep the input's
    format, columns and dtypes, and the original rows come first, unchanged.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many rows to add per class; as in imbalanced-learn's oversamplers.
    latent_dim : int, default=16
        Size of the latent code z. On the KEEL dev split 8 and 32 won fewer pairs against
        SMOTE (docs/benchmarks.md, first, fourth, thirteenth and fortieth rounds).
    hidden_dims : tuple of int, default=(64, 64)
        Hidden layer widths of the encoder; the decoder mirrors them.
    epochs : int or "auto", default="auto"
        Passes over the data. ``"auto"`` trains for about ``AUTO_STEPS`` minibatch steps.
    batch_size : int, default=64
        Rows per minibatch. On the CPU a batch of at least 1,024 rows per torch thread is
        split into one shard per thread, each shard's step run on its own core (5-27 %
        more samples/s at 8,192 rows on two cores; docs/performance.md). The model then
        depends on the thread count, as float sums over threads already make it.
    learning_rate : float, default=1e-3
        Adam's learning rate. On the KEEL dev split 5e-4, 2e-3 and 3e-3 won fewer pairs
        against SMOTE (docs/benchmarks.md, first and fortieth rounds).
    beta : float, default=0.3
        Weight of the KL term in the loss. On the KEEL dev split 0.1, 0.2, 0.5 and 1 won
        fewer pairs against SMOTE (docs/benchmarks.md, first, sixth and thirty-ninth rounds).
    generation : {"mixed", "residual", "posterior", "prior"}, default="mixed"
        How new rows are made (see :mod:`vaeaug.generation`). ``"mixed"``: three quarters
        are real rows moved along the decoder's manifold (``"residual"``, each step kept
        within the directions to the row's 5 nearest neighbours of the class and scaled to
        their distance), one quarter are interpolated between a real row and one of those
        neighbours (SMOTE's rule, with a fraction of the way drawn for each numeric column:
        a point of the box the two rows span); the mixture measured best on the KEEL
        benchmark. Up to 16,384 rows per class are chosen by kernel herding from four times
        as many such rows, so that they cover the candidates evenly.
    temperature : float, default=1.0
        Scales the spread of the latent draw: above 1, new rows stray further from the
        real ones.
    balance_classes : bool or "auto", default="auto"
        Draw training minibatches with every class equally likely (True) or as a plain
        shuffle (False). ``"auto"`` balances them unless a class has at most
        ``SMALL_CLASS_ROWS`` (10) rows: a class that small is half of every balanced batch,
        and the CVAE over-fits its few rows (docs/benchmarks.md, eleventh round).
    categorical_features : list of labels, indices or bool mask, "auto" or None, default=None
        Columns to treat as categorical. ``None`` (or ``"auto"``, as SMOTENC calls it)
        detects pandas ``category``, ``object``,
        ``string`` and ``bool`` columns (and, in arrays of dtype object, columns of strings).
        Named columns are added to a DataFrame's ``category``, ``object`` and ``string``
        columns, which cannot be numeric; ``bool`` columns are then numeric unless named.
    device : str, default="auto"
        torch device; ``"auto"`` uses CUDA when it is available. On CUDA the training
        steps are replayed from CUDA graphs, so small tables train fast there too (a
        default KEEL-size fit: 0.37 s on an H200, 0.62 s on its CPU; docs/performance.md).
        For bfloat16, call ``fit`` inside
        ``torch.autocast(device_type, dtype=torch.bfloat16)``; results are reproducible for
        a fixed ``random_state`` on the CPU and on CUDA. It pays for wide models only: on
        a GPU, and on a CPU with AMX from about 256 units wide (fits 1.2-2.0x faster at
        512 on an Intel Xeon); at the default widths it trains through autograd and is
        slower than float32 (docs/performance.md).
    random_state : int, RandomState instance or None, default=None
        Seeds a local torch generator: same seed, same data, same output (on the same kind
        of machine: another CPU's BLAS may round differently, docs/design.md).
    verbose : bool, default=False
        Show a progress bar with the training loss.

    Attributes
    ----------
    sampling_strategy_ : dict
        Rows added per class by :meth:`fit_resample`.
    classes_ : ndarray
        Class labels seen in fit.
    module_ : CVAE
        The trained network.
    transformer_ : TableTransformer
        Column encoders.
    history_ : list of float
        Mean training loss per epoch.
    n_features_in_ : int
        Number of columns seen in fit.
    feature_names_in_ : ndarray
        Column names seen in fit, when they are all strings.

    Examples
    --------
    >>> import numpy as np
    >>> from vaeaug import CVAEOverSampler
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(200, 4)), np.array([0] * 180 + [1] * 20)
    >>> X_res, y_res = CVAEOverSampler(epochs=5, random_state=0).fit_resample(X, y)
    >>> X_res.shape, [int((y_res == c).sum()) for c in (0, 1)]
    ((360, 4), [180, 180])
    >>> X_new, y_new = CVAEOverSampler(random_state=0).fit(X, y).sample(3, y=1)
    >>> X_new.shape, y_new.tolist()
    ((3, 4), [1, 1, 1])
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_dims": ["array-like"],
        "epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "generation": [StrOptions(set(METHODS))],
        "temperature": [Interval(Real, 0, None, closed="left")],
        "balance_classes": ["boolean", StrOptions({"auto"})],
        "categorical_features": ["array-like", StrOptions({"auto"}), None],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: What one sample is called in messages.
    _unit = "row"

    def __init__(
        self,
        *,
        sampling_strategy: Any = "auto",
        latent_dim: int = LATENT_DIM,
        hidden_dims: tuple[int, ...] = (64, 64),
        epochs: int | str = EPOCHS,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        beta: float = 0.3,
        generation: str = "mixed",
        temperature: float = 1.0,
        balance_classes: bool | str = "auto",
        categorical_features: Any = None,
        device: str = DEVICE,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        super().__init__(sampling_strategy=sampling_strategy)
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beta = beta
        self.generation = generation
        self.temperature = temperature
        self.balance_classes = balance_classes
        self.categorical_features = categorical_features
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> CVAEOverSampler:
        """Train the CVAE on ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, DataFrame, sparse matrix} of shape (n_samples, n_features)
            Training rows; DataFrames may mix numeric and categorical columns.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : CVAEOverSampler
        """
        return self._fit(X, y, OneProcess())

    def _fit(self, X: Any, y: Any, replicas: Any) -> CVAEOverSampler:
        # ``replicas`` answers for the other processes of a data-parallel fit
        # (vaeaug.distributed); OneProcess answers for this one alone.
        self._validate_params()
        self._check_hidden_dims()
        table, categorical, fmt = as_table(X, self.categorical_features)
        labels, y_fmt = as_labels(y, len(table))
        fmt.y_kind, fmt.y_name = y_fmt.y_kind, y_fmt.y_name
        validate_data(self, X, reset=True, skip_check_array=True)
        all_labels = replicas.all_labels(labels)
        self.sampling_strategy_ = sampling_counts(self.sampling_strategy, all_labels,
                                                  self._sampling_type)
        self.classes_ = np.unique(all_labels)
        codes = np.searchsorted(self.classes_, labels)
        transformer = TableTransformer(categorical).fit(table, fmt.objects)
        if replicas.world_size > 1:
            transformer = TableTransformer.merge(replicas.gather((len(table), transformer)))
        self.transformer_ = transformer
        self._input_format = fmt
        self._fit_network(self.transformer_.transform(table), codes, replicas)
        return self

    def _check_hidden_dims(self) -> None:
        dims = list(np.atleast_1d(self.hidden_dims))
        if not dims or not all(isinstance(d, (Integral, np.integer)) and int(d) >= 1 for d in dims):
            raise ValueError(f"hidden_dims must be a non-empty list of positive integers, "
                             f"got {self.hidden_dims!r}.")

    def _fit_network(self, X_enc: np.ndarray, codes: np.ndarray,
                     replicas: Any = None) -> None:
        replicas = replicas or OneProcess()
        self.device_ = replicas.device(self.device)
        # Every process uses rank 0's seed; each draws its own batches and noise.
        seed = replicas.gather(
            int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max)))[0]
        self._sample_seed = seed
        self._sample_rng = np.random.default_rng(seed)
        X_t = torch.as_tensor(X_enc, device=self.device_)
        y_t = torch.as_tensor(codes, dtype=torch.long, device=self.device_)
        n_rows = max(replicas.gather(len(X_enc)))
        if self.balance_classes == "auto":
            counts = sum(replicas.gather(np.bincount(codes, minlength=len(self.classes_))))
            balance = bool(counts.min() > SMALL_CLASS_ROWS)
        else:
            balance = bool(self.balance_classes)
        learning_rate = self.learning_rate
        for attempt in range(RETRIES + 1):
            generator = torch.Generator(device=self.device_).manual_seed(seed + replicas.rank)
            self.module_ = self._build_module(X_enc.shape[1:], seed)
            network = replicas.wrap(self.module_)
            step = (self._training_step(self.module_) if network is self.module_
                    else self._autograd_step(network))
            try:
                self.history_ = train_cvae(
                    network, X_t, y_t, step,
                    epochs=self._n_epochs(n_rows), batch_size=self.batch_size,
                    learning_rate=learning_rate, generator=generator,
                    balance_classes=balance, verbose=bool(self.verbose),
                    n_batches=replicas.n_batches(n_rows, self.batch_size),
                    reduce_loss=replicas.reduce_loss,
                )
                break
            except TrainingDivergedError as exc:
                if attempt == RETRIES:
                    raise RuntimeError(
                        f"CVAE training diverged ({exc}) even at learning_rate="
                        f"{learning_rate:g}. Check the data for extreme values or lower "
                        "learning_rate."
                    ) from None
                learning_rate /= 10
        self.learning_rate_ = learning_rate
        # Real rows per class, encoded, for the generation methods that start from them.
        self._class_rows = [replicas.class_rows(X_t[y_t == k], generator)
                            for k in range(len(self.classes_))]

    def _build_module(self, shape: tuple[int, ...], seed: int) -> GenerativeModel:
        # Initialised from a local generator, with torch's global random state kept, so
        # neither the result nor that state depends on anything but random_state.
        module = build_on_cpu(lambda: self._make_module(shape))
        init_parameters(module, torch.Generator().manual_seed(seed))
        return module.to(self.device_)

    # Hooks that tie the shared training and generation code to tables.
    def _make_module(self, shape: tuple[int, ...]) -> GenerativeModel:
        return CVAE(shape[0], len(self.classes_), int(self.latent_dim),
                    [int(d) for d in np.atleast_1d(self.hidden_dims)])

    def _training_step(self, module: GenerativeModel) -> Step:
        # Same loss and gradients either way; the hand-derived step is about 3x faster, but
        # float32 only: under torch.autocast, autograd's step runs the lower precision.
        if supports_fast_step(module) and not autocast_enabled(self.device_):
            return FastStep(module, self.transformer_.spans_, self.beta,
                            shards=cpu_shards(self.device_))
        return self._autograd_step(module)

    def _autograd_step(self, network: torch.nn.Module) -> Step:
        # Also the step of data-parallel replicas: DDP averages gradients in autograd hooks.
        recon = functools.partial(reconstruction_loss, spans=self.transformer_.spans_)
        return autograd_step(network, recon, self.beta)

    def _activation(self) -> Any:
        return tabular_activation(self.transformer_.spans_)

    def _numeric_columns(self) -> torch.Tensor | None:
        """Mask of the encoded columns that hold numeric values (categorical blocks False)."""
        mask = torch.zeros(sum(s.width for s in self.transformer_.spans_), dtype=torch.bool)
        for span in self.transformer_.spans_:
            mask[span.start:span.stop] = span.kind == NUMERIC
        return mask

    def _per_column_interpolation(self) -> bool:
        """Whether ``"mixed"`` interpolates each numeric column by its own fraction."""
        return True

    def _n_epochs(self, n_rows: int) -> int:
        if self.epochs != "auto":
            return int(self.epochs)
        return max(1, math.ceil(AUTO_STEPS / steps_per_epoch(n_rows, self.batch_size)))

    # -- resampling ----------------------------------------------------------------------------
    def fit_resample(self, X: Any, y: Any, **params: Any) -> tuple[Any, Any]:
        """Train on ``X, y`` and return them followed by the synthetic rows.

        Parameters
        ----------
        X : {array-like, DataFrame, sparse matrix} of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : same type as ``X``
            The original rows, unchanged and first, then the synthetic rows.
        y_resampled : same type as ``y``
            Their labels.
        """
        self.fit(X, y)
        new_X, new_y = self._generate_table(self.sampling_strategy_)
        index = None
        X_out = restore_X(X, new_X, self._input_format)
        if isinstance(X_out, pd.DataFrame):
            index = X_out.index
        y_out = restore_y(y, new_y, self.classes_, self._input_format, index)
        return X_out, y_out

    def _fit_resample(self, X: Any, y: Any) -> tuple[Any, Any]:  # pragma: no cover
        # Required by the abstract base; fit_resample above does the whole job.
        return self.fit_resample(X, y)

    def sample(self, n_samples: int | None = None, y: Any = None,
               random_state: Any = None) -> tuple[Any, np.ndarray]:
        """Generate synthetic rows from the fitted model.

        Parameters
        ----------
        n_samples : int, optional
            Number of rows (ignored when ``y`` is a dict). Required otherwise.
        y : label or dict {label: count}, optional
            Class of the rows, or rows per class. ``None`` spreads ``n_samples`` evenly
            over the classes.
        random_state : int, optional
            Seed for this call alone. By default successive calls continue one random
            stream seeded by the estimator's ``random_state``.

        Returns
        -------
        X_new : DataFrame or ndarray
            Synthetic rows in the format of the fitted ``X``.
        y_new : ndarray
            Their labels.
        """
        check_is_fitted(self, "module_")
        plan = self._sample_plan(n_samples, y)
        new_X, new_y = self._generate_table(plan, random_state)
        return as_input_format(new_X, self._input_format), new_y

    def _sample_plan(self, n_samples: int | None, y: Any) -> dict:
        if isinstance(y, dict):
            plan = dict(y)
        elif np.ndim(y) != 0:
            raise ValueError(f"y must be one class label or a dict {{class: count}}, got a "
                             f"{type(y).__name__}.")
        elif not is_count(n_samples):
            raise ValueError(f"sample() needs n_samples, a whole number >= 0 (or a dict "
                             f"{{class: count}} as y), got {n_samples!r}.")
        elif y is None:
            share, extra = divmod(int(cast(int, n_samples)), len(self.classes_))
            plan = {c: share + (i < extra) for i, c in enumerate(self.classes_)}
        else:
            plan = {y: int(cast(int, n_samples))}
        known = set(self.classes_.tolist())
        for label, count in plan.items():
            if _plain(label) not in known:
                raise ValueError(f"Unknown class {label!r}; the model knows "
                                 f"{listed(self.classes_.tolist())}."
                                 f"{class_hint(label, self.classes_.tolist())}")
            if not is_count(count):
                raise ValueError(f"The sample count for class {label!r} must be a whole "
                                 f"number >= 0, got {count!r}.")
        return {label: int(count) for label, count in plan.items()}

    def _generate_table(
        self, plan: dict, random_state: Any = None
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Synthetic rows (decoded table) and labels for ``plan`` = {label: count}."""
        matrix, y_new = self._generate_encoded(plan, random_state)
        return self.transformer_.inverse_transform(matrix), y_new

    def _generate_encoded(self, plan: dict, random_state: Any) -> tuple[np.ndarray, np.ndarray]:
        """Synthetic encoded rows (in data space) and their labels."""
        seed = (int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
                if random_state is not None else int(self._sample_rng.integers(2**31 - 1)))
        generator = torch.Generator(device=self.device_).manual_seed(seed)
        total = sum(int(count) for count in plan.values())
        doing = f"to generate {total:,} rows"
        advice = ("ask for fewer, or for parts of them in several calls "
                  "(sample(n) continues one random stream).")
        # float32 rows in the model's space; the returned table is at least as large again
        check_fits(total * math.prod(self._class_rows[0].shape[1:]) * 4, doing, advice)
        with enough_memory(doing, advice):
            return self._generate_blocks(plan, generator)

    def _generate_blocks(self, plan: dict, generator: torch.Generator
                         ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_generate_encoded`'s rows, class by class."""
        activate, numeric = self._activation(), self._numeric_columns()
        shape = tuple(self._class_rows[0].shape[1:])
        total = sum(int(count) for count in plan.values())
        # a bar only where generation takes parts (over a million rows: seconds or more)
        bar = tqdm(total=total, desc="vaeaug sampling", unit="row", unit_scale=True,
                   leave=False, disable=not self.verbose or total <= part_rows(math.prod(shape)))
        blocks, labels = [], []
        for label, count in plan.items():
            if int(count) == 0:
                continue
            k = int(np.searchsorted(self.classes_, _plain(label)))
            problem = few_rows_problem(_plain(self.classes_[k]), len(self._class_rows[k]),
                                       self._unit)
            if problem:
                warnings.warn(problem, UserWarning, stacklevel=5)  # the caller's line
            # In float32 even under autocast: the neighbour geometry solves small linear
            # systems, which lower precision neither speeds up nor always supports. With the
            # training's thread count: float sums split over other threads round otherwise,
            # and herding's choices then differ with the process's setting (joblib's workers
            # run one thread, a plain process two here).
            threads = cpu_threads(self.module_, self.batch_size, self.device_)
            with torch.autocast(self.device_.type, enabled=False), torch_threads(threads):
                rows = generate(self.module_, self._class_rows[k], k, int(count),
                                self.generation, generator, activate, self.temperature, numeric,
                                done=bar.update, per_column=self._per_column_interpolation())
            blocks.append(rows.float().cpu().numpy())  # float32 under autocast too
            labels.append(np.full(int(count), self.classes_[k], dtype=self.classes_.dtype))
        bar.close()
        matrix = np.concatenate(blocks) if blocks else np.zeros((0, *shape), dtype=np.float32)
        if not np.isfinite(matrix).all():
            raise RuntimeError("The trained model produced non-finite values; refit with a "
                               "lower learning_rate.")
        y_new = np.concatenate(labels) if labels else np.zeros(0, dtype=self.classes_.dtype)
        return matrix, y_new

    # -- analysis --------------------------------------------------------------------------------
    def encode(self, X: Any, y: Any) -> np.ndarray:
        """Latent means mu(x, y) of rows ``X`` with labels ``y``, shape (n, latent_dim)."""
        check_is_fitted(self, "module_")
        return self._latent_means(self._compatible(X)[1], y)

    def _latent_means(self, encoded: np.ndarray, y: Any) -> np.ndarray:
        """mu(x, y) of already encoded rows, after checking the labels."""
        labels, _ = as_labels(y, len(encoded))
        unknown = sorted(set(labels.tolist()) - set(self.classes_.tolist()), key=str)
        if unknown:
            raise ValueError(f"Unknown classes {unknown[:5]} in y.")
        codes = np.searchsorted(self.classes_, labels)
        x = torch.as_tensor(encoded, device=self.device_)
        with torch.no_grad():
            mu, _ = self.module_.encode(x, torch.as_tensor(codes, device=self.device_))
        return mu.float().cpu().numpy()

    def check_compatible(self, X: Any) -> pd.DataFrame:
        """``X`` as a table, after checking it has the columns the model was fitted on and
        values that fit them.

        Raises
        ------
        ValueError
            Other columns, another order, text in a column fitted as numbers, or categories
            not seen in fit.
        """
        check_is_fitted(self, "module_")
        return self._compatible(X)[0]

    def _compatible(self, X: Any) -> tuple[pd.DataFrame, np.ndarray]:
        """:meth:`check_compatible`'s table, and its rows encoded for the network."""
        expected = [info["name"] for info in self.transformer_.columns_]
        X = pandas_if_polars(X)
        columns = list(X.columns) if isinstance(X, pd.DataFrame) else None
        if columns is not None and [str(c) for c in columns] != [str(c) for c in expected]:
            missing = [c for c in expected if c not in columns]
            extra = [c for c in columns if c not in expected]
            if not missing and not extra:
                raise ValueError(f"X has the columns the model was fitted on in another "
                                 f"order; reorder them: X[{expected[:20]}].")
            raise ValueError(f"X does not have the columns the model was fitted on (missing "
                             f"{missing[:10]}, unexpected {extra[:10]}, expected order "
                             f"{expected[:20]}).")
        if (columns is None and self._input_format.x_kind == "dataframe"
                and self.transformer_.categorical):
            # an array has no column names to find the text columns by
            raise ValueError(f"The model was fitted on a DataFrame with categorical columns "
                             f"{list(self.transformer_.categorical)[:10]}; pass X as a "
                             f"DataFrame with columns {expected[:20]}.")
        validate_data(self, X, reset=False, skip_check_array=True)
        table, _, _ = as_table(X, self.transformer_.categorical)
        table.columns = expected
        return table, self.transformer_.transform(table)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path: Any) -> None:
        """Write the fitted sampler to ``path``, or to a binary file object such as
        ``io.BytesIO`` (tensors and plain data only)."""
        check_is_fitted(self, "module_")
        persistence.save(self, path)

    @classmethod
    def load(cls, path: Any, device: str = "auto") -> CVAEOverSampler:
        """Read a sampler written by :meth:`save` from a path or a binary file object; no
        code in the file is ever run."""
        return persistence.load(cls, path, device)

    # What a model file stores about the data's format, besides the network.
    def _data_format_state(self) -> dict:
        return persistence.table_format_state(self)

    def _restore_data_format(self, state: dict) -> None:
        persistence.restore_table_format(self, state)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True  # modelled, and given back in new rows
        return tags


def _plain(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label
