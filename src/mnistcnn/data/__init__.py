"""The data: the full MNIST set from its IDX files (idx) or Keras's download, Kaggle's CSV
(kaggle), the bundled sample (sample/), who wrote each digit (writers, from QMNIST's
labels in qmnist/), and splitting the training images into train and a validation split
of unseen writers (sources). It may use the core, nothing else.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "Dataset": "sources",
    "SAMPLE_PATH": "sources",
    "SERIES_NAMES": "writers",
    "Source": "sources",
    "WRITERS_PATH": "writers",
    "Writers": "writers",
    "find_idx_file": "idx",
    "load_dataset": "sources",
    "read_idx": "idx",
    "read_kaggle_csv": "kaggle",
    "read_source": "sources",
    "split_source": "sources",
    "to_model_input": "sources",
    "training_fingerprint": "writers",
    "write_idx": "idx",
    "write_submission": "kaggle",
    "writer_split": "writers",
    "writers_of": "writers",
})
