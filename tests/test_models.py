import numpy as np
import pytest

from mnistcnn.core import ACTIVATIONS, ARCHITECTURES, LOSSES, OPTIMIZERS, POOLINGS, Config
from mnistcnn.core import UsageError
from mnistcnn.models import ARCHITECTURES as REGISTRY
from mnistcnn.models import build_model
from mnistcnn.core import import_keras
from mnistcnn.training import compile_model, one_hot

keras = import_keras()


def test_registry_matches_the_config_names():
    assert tuple(REGISTRY) == ARCHITECTURES


def test_deep_has_the_seeds_parameter_count():
    model = build_model(Config(architecture="deep"))
    trainable = sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)
    assert (model.count_params(), trainable) == (471_914, 471_786)


def test_strided_has_the_kaggle_networks_parameter_count():
    assert build_model(Config(architecture="strided")).count_params() == 327_242


def test_lean_is_tuomasos_network_with_the_activation_after_pooling():
    model = build_model(Config(architecture="lean", filters=24, kernel_size=5, dense_units=256))
    # 5x5x24 + 24, 3x3x24x32 + 32, 800x256 + 256, 256x10 + 10, as train_mnist_fast's.
    assert model.count_params() == 624 + 6_944 + 205_056 + 2_570
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds[:6] == ["Conv2D", "MaxPooling2D", "Activation", "Conv2D", "MaxPooling2D", "Activation"]


def test_lean_without_pooling_strides_its_convolutions_to_the_same_shapes():
    pooled = build_model(Config(architecture="lean", filters=24, kernel_size=5, dense_units=256))
    strided = build_model(Config(architecture="lean", filters=24, kernel_size=5, dense_units=256, pooling="none"))
    assert strided.count_params() == pooled.count_params()
    convolutions = [layer for layer in strided.layers if type(layer).__name__ == "Conv2D"]
    assert [layer.strides for layer in convolutions] == [(2, 2), (2, 2)]
    assert [tuple(layer.output.shape[1:3]) for layer in convolutions] == [(12, 12), (5, 5)]
    assert not any("Pooling" in type(layer).__name__ for layer in strided.layers)


def test_m3_has_the_papers_parameter_count():
    assert build_model(Config(architecture="m3")).count_params() == 1_126_280


def _one_step(config):
    rng = np.random.default_rng(0)
    images = rng.random((8, 28, 28, 1), dtype=np.float32)
    labels = one_hot(np.arange(8) % 10)
    model = build_model(config)
    compile_model(model, config)
    loss = model.train_on_batch(images, labels)
    assert np.all(np.isfinite(loss))
    assert model.predict(images, verbose=0).shape == (8, 10)


# One training step at full size per architecture; every other choice trains once on a
# narrow baseline (a training step costs its graph's compilation, so fewer and smaller
# graphs keep the suite quick), and builds on every architecture.
SMALL = Config(filters=4, dense_units=8, precision="float32")


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_trains(architecture):
    _one_step(Config(architecture=architecture, precision="float32"))


@pytest.mark.parametrize("field, value", [("pooling", value) for value in POOLINGS]
                         + [("activation", value) for value in ACTIVATIONS]
                         + [("loss", value) for value in LOSSES])
def test_every_choice_trains(field, value):
    _one_step(SMALL.with_changes(**{field: value}))


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_choice_builds_on_every_architecture(architecture):
    for field, values in (("pooling", POOLINGS), ("activation", ACTIVATIONS)):
        for value in values:
            model = build_model(Config(architecture=architecture, **{field: value}))
            assert model.output_shape == (None, 10)
            keras.backend.clear_session()


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_and_the_cosine_schedule_train(optimizer):
    _one_step(SMALL.with_changes(optimizer=optimizer, schedule="cosine"))


def test_pooling_none_is_a_strided_convolution():
    model = build_model(Config(pooling="none"))
    strided = [layer for layer in model.layers if getattr(layer, "strides", None) == (2, 2)]
    assert len(strided) == 2 and all(layer.__class__.__name__ == "Conv2D" for layer in strided)


@pytest.mark.parametrize("architecture, kernel_size", [("m3", 7), ("m3", 4), ("deep", 9), ("baseline", 12), ("strided", 4)])
def test_impossible_geometry_is_a_clear_error(architecture, kernel_size):
    with pytest.raises(UsageError, match="too small for a"):
        build_model(Config(architecture=architecture, kernel_size=kernel_size))


def test_a_crop_cuts_the_border_inside_the_model():
    images = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    model = build_model(SMALL.with_changes(architecture="lean", kernel_size=5, crop_height=2, crop_width=3))
    crop = next(layer for layer in model.layers if layer.__class__.__name__ == "Cropping2D")
    assert model.input_shape == (None, 28, 28, 1) and crop.output.shape[1:] == (24, 22, 1)
    np.testing.assert_array_equal(crop(images), images[:, 2:26, 3:25])


def test_a_crop_that_leaves_too_few_pixels_is_a_clear_error():
    # m3's ten 3x3 convolutions need 21 pixels; 28 - 2 * 4 leaves 20 in the width.
    with pytest.raises(UsageError, match="too small for a"):
        build_model(Config(architecture="m3", crop_width=4))
    with pytest.raises(UsageError, match="from 0 to 4"):
        Config(crop_height=5)


@pytest.mark.parametrize("architecture, kernel_size", [("m3", 2), ("deep", 5), ("baseline", 7), ("strided", 2)])
def test_possible_large_kernels_build(architecture, kernel_size):
    build_model(Config(architecture=architecture, kernel_size=kernel_size))


def digit_like_images(count=8):
    """A bright off-centre bar on black: any rotation, shift or zoom moves its pixels."""
    images = np.zeros((count, 28, 28, 1), dtype="float32")
    images[:, 6:20, 9:12, 0] = 1.0
    return images


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_augmentation_changes_training_inputs_but_not_inference(architecture):
    import keras

    model = build_model(Config(architecture=architecture, augment=True))
    random_layers = [layer for layer in model.layers if layer.__class__.__name__.startswith("Random")]
    assert [layer.__class__.__name__ for layer in random_layers] == [
        "RandomRotation", "RandomTranslation", "RandomZoom"]
    what_the_network_sees = keras.Model(model.input, random_layers[-1].output)
    images = digit_like_images()
    assert np.array_equal(np.asarray(what_the_network_sees(images, training=False)), images)
    augmented = np.asarray(what_the_network_sees(images, training=True))
    assert not np.allclose(augmented, images)
    assert augmented.min() >= 0 and augmented[:, 0, 0, 0].max() == 0  # black fill, as MNIST

    plain = build_model(Config(architecture=architecture))
    assert model.count_params() - plain.count_params() <= 8  # only the random layers' seed states


def test_an_augmenting_model_saves_loads_and_predicts_as_before(tmp_path):
    from mnistcnn.core import load_model, save_model

    model = build_model(Config(augment=True))
    images = digit_like_images()
    save_model(model, tmp_path / "augmenting.h5", {"config": Config(augment=True).to_dict()})
    loaded = load_model(tmp_path / "augmenting.h5")
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-5)


class LastEpochWeights(keras.callbacks.Callback):
    """Keeps the weights as they were at the end of the last epoch."""

    def on_epoch_end(self, epoch, logs=None):
        self.weights = [weight.copy() for weight in self.model.get_weights()]


@pytest.mark.parametrize("patience, fixed", [(3, True), (1, False)])
def test_a_fixed_schedule_keeps_its_last_weights(patience, fixed):
    from mnistcnn.data import load_dataset
    from mnistcnn.training import train

    dataset = load_dataset("sample")
    keeper = LastEpochWeights()
    # A learning rate so high the validation loss gets worse, so "best" and "last" differ.
    config = Config(epochs=3, patience=patience, learning_rate=0.05)
    result = train(config, dataset, callbacks=(keeper,), verbose=0)
    same = all(np.array_equal(a, b) for a, b in zip(result.model.get_weights(), keeper.weights))
    best = int(np.argmin(result.history["val_loss"])) + 1
    if fixed:
        assert same and result.best_epoch == result.epochs_run == 3
    else:
        assert result.best_epoch == best and same == (best == result.epochs_run)
