"""vaeaug from Python in four steps: oversample a table, draw more rows from the fitted
model, put it in an imbalanced-learn pipeline, and check whether it helped a classifier.

Run it with vaeaug installed: ``python examples/python_tour.py`` (about half a minute on
two CPU cores; it uses scikit-learn's bundled breast-cancer table, so nothing is downloaded).
"""

from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.preprocessing import StandardScaler

from vaeaug import CVAEOverSampler
from vaeaug.datasets import load_dataset
from vaeaug.evaluate import evaluate

# 1. A balanced copy of the table: the original rows first, unchanged, then new ones.
X, y = load_dataset("breast_cancer")  # 357 benign (1) rows, 42 malignant (0)
X_res, y_res = CVAEOverSampler(random_state=0).fit_resample(X, y)
print("class counts before:", y.value_counts().sort_index().to_dict(),
      "after:", y_res.value_counts().sort_index().to_dict())

# 2. A fitted model draws as many rows of a class as asked, in X's columns and dtypes.
sampler = CVAEOverSampler(random_state=0).fit(X, y)
X_new, y_new = sampler.sample(3, y=0)
print(X_new.iloc[:, :4].round(2).to_string())

# 3. In a pipeline the sampler resamples the training folds only, never the test folds.
pipe = make_pipeline(StandardScaler(), CVAEOverSampler(random_state=0),
                     LogisticRegression(max_iter=5000))
folds = StratifiedKFold(3, shuffle=True, random_state=0)
scores = cross_val_score(pipe, X, y, cv=folds, scoring="balanced_accuracy")
print("pipeline balanced accuracy per fold:", scores.round(3).tolist())

# 4. With and without augmentation, and against SMOTE, on the same folds.
result = evaluate(X, y, samplers=["none", "vaeaug", "smote"], classifiers=["knn"], cv=3)
print(result.table("knn", versus="vaeaug").to_string())
