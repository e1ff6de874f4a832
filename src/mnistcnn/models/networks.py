"""The one model factory: `build_model(config) -> keras.Model`, and its architectures.

Each architecture is a short function in `ARCHITECTURES`, together with the config
fields it uses, so a sweep can refuse a field an architecture ignores. Impossible
geometry (too many or too large valid convolutions for 28x28) is a `UsageError`
raised while building, before any training.
"""

from dataclasses import dataclass
from typing import Callable

from mnistcnn.core import INPUT_SHAPE, NUM_CLASSES, Config
from mnistcnn.core import UsageError
from mnistcnn.core import import_keras

keras = import_keras()
from keras import layers  # noqa: E402

# Augmentation strengths that keep a digit a digit: a 6 turned by 45 degrees starts
# to look like something else, and MNIST digits are already size-normalised and centred.
ROTATION_DEGREES = 10
SHIFT_FRACTION = 0.1
ZOOM_FRACTION = 0.1
POOLING_LAYERS = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}


@dataclass(frozen=True)
class Architecture:
    build: Callable[[Config], keras.Model]
    uses: frozenset  # config fields that change the network
    description: str


def build_model(config: Config) -> keras.Model:
    """Build (not compile) the network `config.architecture` describes."""
    return ARCHITECTURES[config.architecture].build(config)


def _inputs(config: Config):
    """The input layer and what the network sees: with `augment`, images randomly rotated,
    shifted and zoomed while training. Keras's random layers pass images through unchanged
    at inference, so a saved model predicts exactly as one trained without them. Then the
    crop, if any: a model still takes 28x28 images and cuts its border itself.
    """
    inputs = x = keras.Input(INPUT_SHAPE)
    if config.augment:
        # Black fill, as MNIST's background; float32 because the image transforms lack bfloat16 kernels.
        fill = {"fill_mode": "constant", "fill_value": 0.0, "dtype": "float32"}
        x = layers.RandomRotation(ROTATION_DEGREES / 360, **fill)(x)
        x = layers.RandomTranslation(SHIFT_FRACTION, SHIFT_FRACTION, **fill)(x)
        x = layers.RandomZoom(ZOOM_FRACTION, **fill)(x)
    if config.crop_height or config.crop_width:
        x = layers.Cropping2D((config.crop_height, config.crop_width))(x)
    return inputs, x


def _activation(config: Config):
    if config.activation == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.01)
    return layers.Activation(config.activation)


def _check_fits(x, kernel_size: int, where: str, config: Config) -> None:
    height, width = x.shape[1:3]
    if min(height, width) < kernel_size:
        raise UsageError(
            f"architecture '{config.architecture}' with kernel_size {config.kernel_size}: the "
            f"feature map is {height}x{width} at {where}, too small for a {kernel_size}x{kernel_size} "
            "window; use a smaller kernel_size, or crop less"
        )


def _conv(x, filters: int, config: Config, where: str, padding="valid", use_bias=True):
    if padding == "valid":
        _check_fits(x, config.kernel_size, where, config)
    return layers.Conv2D(filters, config.kernel_size, padding=padding, use_bias=use_bias)(x)


def _pool(x, channels: int, config: Config, where: str):
    """Halve the feature map: max or average pooling, or with `none` a stride-2 convolution."""
    _check_fits(x, 2, where, config)
    if config.pooling == "none":
        return layers.Conv2D(channels, 2, strides=2)(x)
    return POOLING_LAYERS[config.pooling](2)(x)


def _model(inputs, x, name: str) -> keras.Model:
    # A float32 softmax keeps the output and the loss exact under mixed precision.
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


def build_mlp(config: Config) -> keras.Model:
    """The Kaggle seed's "simple neural network": two dense layers, then softmax."""
    inputs, x = _inputs(config)
    x = layers.Flatten()(x)
    for _ in range(2):
        x = _activation(config)(layers.Dense(config.dense_units)(x))
    x = layers.Dropout(config.dropout)(x)
    return _model(inputs, x, "mlp")


def build_baseline(config: Config) -> keras.Model:
    """The Keras MNIST seed: Conv 32 - pool - Conv 64 - pool - Dense 128 - Dropout."""
    inputs, x = _inputs(config)
    for index, filters in enumerate((config.filters, 2 * config.filters), start=1):
        x = _activation(config)(_conv(x, filters, config, f"convolution {index}"))
        x = _pool(x, filters, config, f"pooling {index}")
    x = layers.Flatten()(x)
    x = _activation(config)(layers.Dense(config.dense_units)(x))
    x = layers.Dropout(config.dropout)(x)
    return _model(inputs, x, "baseline")


def build_lean(config: Config) -> keras.Model:
    """The network of tuomaso/train_mnist_fast, about 1.2 M multiply-adds an image where
    `baseline` with 5x5 kernels does 4: Conv 24 (5x5) - pool - Conv 32 (3x3) - pool -
    Dense 256 with `--filters 24 --kernel-size 5 --dense-units 256`. Each activation
    comes after its pooling, on a quarter of the values (max pooling and ReLU commute,
    so with those the network is the same, and cheaper).

    With `--pooling none` each convolution strides by 2 instead of being pooled: it then
    computes a quarter of the outputs, and the feature maps keep their shapes (12x12, then
    5x5). On a CPU the first convolution, over a single channel, is the dearest step of
    the pooled network for its arithmetic, and striding cuts it most.
    """
    inputs, x = _inputs(config)
    pooled = config.pooling != "none"
    for index, (filters, kernel_size) in enumerate(((config.filters, config.kernel_size),
                                                    (4 * config.filters // 3, 3)), start=1):
        _check_fits(x, kernel_size, f"convolution {index}", config)
        x = layers.Conv2D(filters, kernel_size, strides=1 if pooled else 2)(x)
        if pooled:
            x = _pool(x, filters, config, f"pooling {index}")
        x = _activation(config)(x)
    x = layers.Flatten()(x)
    x = _activation(config)(layers.Dense(config.dense_units)(x))
    x = layers.Dropout(config.dropout)(x)
    return _model(inputs, x, "lean")


def build_deep(config: Config) -> keras.Model:
    """The deep-CNN seed's 471,914-parameter network, layer for layer.

    Conv-Conv-Pool-Dropout-Conv-Conv(same)-Pool-Flatten-Dense 512-Dense 64-BatchNorm.
    """
    inputs, x = _inputs(config)
    x = _activation(config)(_conv(x, config.filters, config, "convolution 1"))
    x = _activation(config)(_conv(x, config.filters, config, "convolution 2"))
    x = _pool(x, config.filters, config, "pooling 1")
    x = layers.Dropout(config.dropout)(x)
    x = _activation(config)(_conv(x, config.filters, config, "convolution 3"))
    x = _activation(config)(_conv(x, config.filters, config, "convolution 4", padding="same"))
    x = _pool(x, config.filters, config, "pooling 2")
    x = layers.Flatten()(x)
    x = _activation(config)(layers.Dense(512)(x))
    x = _activation(config)(layers.Dense(64)(x))
    x = layers.BatchNormalization()(x)
    return _model(inputs, x, "deep")


def build_strided(config: Config) -> keras.Model:
    """The network of the best-known Kaggle MNIST ensemble (Deotte 2018), 327,242 parameters.

    Two 3x3 convolutions, then a 5x5 stride-2 one in place of pooling, twice (32 then 64
    channels), then a 4x4 convolution to 128 features; each followed by BatchNorm, with
    dropout after each stage. Learned downsampling and BatchNorm are what it adds to `deep`.
    """
    def activated_and_normalised(x):
        return layers.BatchNormalization()(_activation(config)(x))

    inputs, x = _inputs(config)
    for stage, channels in enumerate((config.filters, 2 * config.filters), start=1):
        for index in (1, 2):
            x = activated_and_normalised(_conv(x, channels, config, f"stage {stage}, convolution {index}"))
        x = activated_and_normalised(layers.Conv2D(channels, 5, strides=2, padding="same")(x))
        x = layers.Dropout(config.dropout)(x)
    _check_fits(x, 4, "the last convolution", config)
    x = activated_and_normalised(layers.Conv2D(4 * config.filters, 4)(x))
    x = layers.Dropout(config.dropout)(layers.Flatten()(x))
    return _model(inputs, x, "strided")


def build_m3(config: Config) -> keras.Model:
    """ModelM3 (An et al. 2020): ten bias-free valid convolutions, each with BatchNorm.

    Channels start at `filters` (32) and grow by filters/2 (16) to 176; no pooling.
    """
    inputs, x = _inputs(config)
    for index in range(10):
        channels = config.filters + index * (config.filters // 2)
        x = _conv(x, channels, config, f"convolution {index + 1}", use_bias=False)
        x = _activation(config)(layers.BatchNormalization()(x))
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(layers.Dense(NUM_CLASSES, use_bias=False)(x))
    outputs = layers.Activation("softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="m3")


_INPUT = frozenset({"augment", "crop_height", "crop_width"})
_CONVOLUTIONAL = _INPUT | {"filters", "kernel_size", "activation", "dropout"}
ARCHITECTURES = {
    "mlp": Architecture(build_mlp, _INPUT | {"activation", "dropout", "dense_units"},
                        "two dense layers, then softmax (Kaggle seed)"),
    "baseline": Architecture(build_baseline, _CONVOLUTIONAL | {"pooling", "dense_units"},
                             "Conv 32 - pool - Conv 64 - pool - Dense 128 (Keras MNIST seed)"),
    "lean": Architecture(build_lean, _CONVOLUTIONAL | {"pooling", "dense_units"},
                         "Conv - pool - Conv 3x3 (4/3 the filters) - pool - Dense, each activation after its "
                         "pooling, or with pooling none strided convolutions (tuomaso/train_mnist_fast)"),
    "deep": Architecture(build_deep, _CONVOLUTIONAL | {"pooling"},
                         "four convolutions, Dense 512-64, 471,914 parameters (deep-CNN seed)"),
    "strided": Architecture(build_strided, _CONVOLUTIONAL,
                            "3x3 convolutions with BatchNorm, strided 5x5 instead of pooling (Kaggle ensemble)"),
    "m3": Architecture(build_m3, _CONVOLUTIONAL - {"dropout"},
                       "ModelM3: ten 3x3 convolutions with BatchNorm, 1,126,280 parameters"),
}
