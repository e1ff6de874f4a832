"""The joint search: many hyperparameters at once, on Optuna, judged before it is used.

`space.py` says what is searched (the sweep catalog's fields, over their sweeps' values),
`trials.py` runs a worker of the search (each trial a sweep-style run), `report.py`
writes the search's folder from its study, and `judge.py` races the best trials against
the sweeps' combination and the recipe, whose winner `train-final --from-search` trains.
It builds on `sweeps/` (runs, the paired statistic, the race, storages), never the reverse.
"""
