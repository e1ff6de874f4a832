"""Sweeps: one hyperparameter at a time, its values raced and compared image by image.

`catalog` says what can be swept (one line each); `plan` turns the command's options into
a plan; `runner` trains the runs `race` asks for, each a folder `runs` reads and writes;
`paired` compares two values on the same validation images (no TensorFlow); `report`
writes a sweep's summary, plots and README from its files; `recipe` turns what the sweeps
decided into a recipe for `train-final --from-sweeps`. The rule: experiments/RULE.md.
"""
