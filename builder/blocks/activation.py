"""Element-wise activations: the output has the input's shape and no weights."""

from __future__ import annotations

from collections.abc import Sequence

from ..settings import CHOICE, FLOAT, Setting
from .spec import Analysis, Arg, Backward, LayerSpec, Settings, Shape, TorchForm
from .window import dims

_F = "torch.nn.functional."
_INPLACE = Arg("inplace", default=False, ignored=True)
# The built model calls activations out of place (`inplace` is ignored), so each output is a
# tensor of its own. Most gradients are computed from the input x; ReLU's, Sigmoid's,
# Tanh's and Softmax's from the result alone.
KEEPS_INPUT = Backward(saves_input=True)
KEEPS_OUTPUT = Backward(saves_output=True)


def same_shape(s: Settings, shapes: Sequence[Shape]) -> Analysis:
    return Analysis(shapes[0])


def pointwise_explain(s: Settings, shapes: Sequence[Shape], a: Analysis) -> list[str]:
    return [f"element-wise: shape stays {dims(a.shape)}; params: 0"]


def _activation(
    block: str,
    prefix: str,
    description: str,
    card: str,
    backward: Backward,
    functions: tuple[str, ...] = (),
    methods: tuple[str, ...] = (),
    inplace: bool = True,
) -> LayerSpec:
    """A setting-free activation: ``nn.<block>()``, its functional forms and tensor methods."""
    return LayerSpec(
        type=block,
        category="activation",
        prefix=prefix,
        description=description,
        analyze=same_shape,
        explain=pointwise_explain,
        card=lambda s: card,
        torch=TorchForm(block, (_INPLACE,) if inplace else (), functions=functions, methods=methods),
        backward=backward,
        elementwise=True,
    )


RELU = _activation(
    "ReLU",
    "relu",
    "max(0, x)",
    "max(0, x)",
    backward=KEEPS_OUTPUT,
    functions=(
        f"{_F}relu(input, inplace=False)",
        f"{_F}relu_(input)",
        "torch.relu(input)",
        "torch.relu_(input)",
    ),
    methods=("relu(self)", "relu_(self)"),
)

RELU6 = _activation(
    "ReLU6",
    "relu6_",
    "min(max(0, x), 6): ReLU capped at 6 (MobileNet).",
    "min(max(0, x), 6)",
    backward=KEEPS_INPUT,
    functions=(f"{_F}relu6(input, inplace=False)",),
)

SILU = _activation(
    "SiLU",
    "silu",
    "x * sigmoid(x), also called swish (EfficientNet).",
    "x·σ(x)",
    backward=KEEPS_INPUT,
    functions=(f"{_F}silu(input, inplace=False)",),
)

HARDSWISH = _activation(
    "Hardswish",
    "hswish",
    "x * relu6(x + 3) / 6: a cheap swish (MobileNetV3).",
    "x·relu6(x+3)/6",
    backward=KEEPS_INPUT,
    functions=(f"{_F}hardswish(input, inplace=False)",),
)

HARDSIGMOID = _activation(
    "Hardsigmoid",
    "hsigmoid",
    "relu6(x + 3) / 6: a cheap sigmoid (MobileNetV3 squeeze-and-excitation).",
    "relu6(x+3)/6",
    backward=KEEPS_INPUT,
    functions=(f"{_F}hardsigmoid(input, inplace=False)",),
)

MISH = _activation(
    "Mish",
    "mish",
    "x * tanh(softplus(x)): a smooth ReLU-like activation.",
    "x·tanh(softplus(x))",
    backward=KEEPS_INPUT,
    functions=(f"{_F}mish(input, inplace=False)",),
)

SIGMOID = _activation(
    "Sigmoid",
    "sigmoid",
    "1 / (1 + exp(-x))",
    "1/(1+e^-x)",
    backward=KEEPS_OUTPUT,
    functions=("torch.sigmoid(input)", f"{_F}sigmoid(input)"),
    methods=("sigmoid(self)",),
    inplace=False,
)

TANH = _activation(
    "Tanh",
    "tanh",
    "tanh(x), the classic LeNet activation",
    "tanh(x)",
    backward=KEEPS_OUTPUT,
    functions=("torch.tanh(input)", f"{_F}tanh(input)"),
    methods=("tanh(self)",),
    inplace=False,
)

LEAKY_RELU = LayerSpec(
    type="LeakyReLU",
    category="activation",
    prefix="lrelu",
    description="x if x > 0 else slope * x",
    settings=(Setting("negative_slope", FLOAT, 0.01, "slope", "slope for negative inputs", 0.0, 1.0),),
    analyze=same_shape,
    explain=pointwise_explain,
    card=lambda s: f"slope {s['negative_slope']:g}",
    torch=TorchForm(
        "LeakyReLU",
        (Arg("negative_slope", "negative_slope", 0.01), _INPLACE),
        functions=(f"{_F}leaky_relu(input, negative_slope=0.01, inplace=False)",),
    ),
    backward=KEEPS_INPUT,
    elementwise=True,
)

ELU = LayerSpec(
    type="ELU",
    category="activation",
    prefix="elu",
    description="x if x > 0 else alpha * (exp(x) - 1)",
    settings=(Setting("alpha", FLOAT, 1.0, "alpha", "saturation value for negative inputs", 0.0, 100.0),),
    analyze=same_shape,
    explain=pointwise_explain,
    card=lambda s: f"alpha {s['alpha']:g}",
    torch=TorchForm(
        "ELU",
        (Arg("alpha", "alpha", 1.0), _INPLACE),
        functions=(f"{_F}elu(input, alpha=1.0, inplace=False)",),
    ),
    backward=KEEPS_INPUT,
    elementwise=True,
)

GELU = LayerSpec(
    type="GELU",
    category="activation",
    prefix="gelu",
    description="Gaussian error linear unit, as in transformers.",
    settings=(
        Setting("approximate", CHOICE, "none", "approximation", "exact or tanh", choices=("none", "tanh")),
    ),
    analyze=same_shape,
    explain=pointwise_explain,
    card=lambda s: "x·Φ(x)" if s["approximate"] == "none" else "tanh approx.",
    torch=TorchForm(
        "GELU",
        (Arg("approximate", "approximate", "none"),),
        functions=(f"{_F}gelu(input, approximate='none')",),
    ),
    backward=KEEPS_INPUT,
    elementwise=True,
)

SOFTMAX = LayerSpec(
    type="Softmax",
    category="activation",
    prefix="softmax",
    description="Turns scores into class probabilities (over channels or features). "
    "Training uses the scores before it.",
    analyze=same_shape,
    explain=pointwise_explain,
    card=lambda s: "probabilities",
    # dim=1 is the channel/feature axis once the batch dimension is added
    torch=TorchForm(
        "Softmax",
        (Arg("dim", default=None, fixed=1),),
        functions=(
            f"{_F}softmax(input, dim=None, _stacklevel=3, dtype=None)",
            "torch.softmax(input, dim, dtype=None)",
        ),
    ),
    outputs_probabilities=True,
    backward=KEEPS_OUTPUT,
)

BLOCKS = (RELU, RELU6, LEAKY_RELU, ELU, GELU, SILU, HARDSWISH, HARDSIGMOID, MISH, SIGMOID, TANH, SOFTMAX)
