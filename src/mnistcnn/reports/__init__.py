"""How runs are measured and shown: evaluation and its statistics, a model's report
(model_report), the plots, TensorBoard logs, the runs table and the served pages'
listings (gallery). It may use export (to measure through a twin), models, data and the
core; never training.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "LOG_FOLDER": "tensorboard_logs",
    "confusion_matrix": "evaluation",
    "curves_figure": "plots",
    "differences_figure": "plots",
    "evaluate": "evaluation",
    "find_runs": "runs_table",
    "hardest_mistakes": "evaluation",
    "list_models": "gallery",
    "list_searches": "gallery",
    "list_sweeps": "gallery",
    "per_class_scores": "evaluation",
    "plot_curves": "plots",
    "plot_differences": "plots",
    "predict_probabilities": "evaluation",
    "seed_report": "model_report",
    "split_metrics": "evaluation",
    "wilson_interval": "statistics",
    "write_run_logs": "tensorboard_logs",
})
