#!/usr/bin/env bash
# The command-line tour shown in docs/cli.md; run it from an empty folder with vaeaug installed.
set -u
python -c "
from vaeaug.datasets import load_keel
X, y = load_keel('car_good')
X.assign(label=y.map({0: 'unacc', 1: 'good'})).to_csv('car.csv', index=False)"
show() { echo "\$ $*"; "$@" 2>&1; rc=$?; [ $rc -ne 0 ] && echo "(exit code $rc)"; echo; }
show vaeaug info car.csv --target label
show vaeaug augment car.csv --target label --class-balance --mark-synthetic -o car_balanced.csv -q
show tail -n 3 car_balanced.csv
show vaeaug augment car.csv --target label --ratio 0.5 -o car_half.csv -q
show vaeaug augment car.csv --target label --counts good=200 -o car_half.csv -q
show vaeaug fit car.csv --target label -o car.vaeaug -q
show vaeaug info car.vaeaug
show vaeaug sample car.vaeaug -n 4 --class good --seed 1
show vaeaug sample car.vaeaug -n 4 --class excellent
show vaeaug augment car.csv --target Label -o x.csv
show vaeaug augment car.csv --target label --ratio 2 -o x.csv
