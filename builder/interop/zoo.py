"""The torchvision classification CNNs that ConvCanvas imports, for the app's Import dialog,
the CLI and the zoo report.

Parameter counts and input sizes come from torchvision's weight metadata, so listing the zoo
builds no model and downloads nothing. Vision transformers (ViT, Swin, MaxViT) are left out:
they are not convolutional networks and have no blocks here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TORCHVISION_CNNS: tuple[str, ...] = (
    "alexnet",
    *(f"vgg{n}{bn}" for n in (11, 13, 16, 19) for bn in ("", "_bn")),
    *(f"resnet{n}" for n in (18, 34, 50, 101, 152)),
    "resnext50_32x4d",
    "resnext101_32x8d",
    "resnext101_64x4d",
    "wide_resnet50_2",
    "wide_resnet101_2",
    "googlenet",
    "inception_v3",
    *(f"densenet{n}" for n in (121, 161, 169, 201)),
    "squeezenet1_0",
    "squeezenet1_1",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    *(f"mnasnet{n}" for n in ("0_5", "0_75", "1_0", "1_3")),
    *(f"shufflenet_v2_x{n}" for n in ("0_5", "1_0", "1_5", "2_0")),
    *(f"efficientnet_b{n}" for n in range(8)),
    *(f"efficientnet_v2_{n}" for n in ("s", "m", "l")),
    *(f"regnet_x_{n}" for n in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf")),
    *(f"regnet_y_{n}" for n in ("400mf", "800mf", "1_6gf", "3_2gf", "8gf", "16gf", "32gf", "128gf")),
    *(f"convnext_{n}" for n in ("tiny", "small", "base", "large")),
)

# The auxiliary heads of these two exist in training only; the network is the one without them.
_WITHOUT_AUX = {
    "googlenet": {"aux_logits": False, "init_weights": False},
    "inception_v3": {"aux_logits": False},
}


@dataclass(frozen=True, slots=True)
class ZooModel:
    name: str
    family: str  # "ResNet", "VGG", ...: how the dialog groups them
    parameters: int
    input_shape: tuple[int, int, int]  # the size its published weights were trained at

    @property
    def spec(self) -> str:
        """How the CLI names it: ``torchvision:resnet18``."""
        return f"torchvision:{self.name}"


_FAMILIES = (
    ("alexnet", "AlexNet"),
    ("vgg", "VGG"),
    ("resnext", "ResNeXt"),
    ("wide_resnet", "Wide ResNet"),
    ("resnet", "ResNet"),
    ("googlenet", "GoogLeNet"),
    ("inception", "Inception"),
    ("densenet", "DenseNet"),
    ("squeezenet", "SqueezeNet"),
    ("mobilenet", "MobileNet"),
    ("mnasnet", "MnasNet"),
    ("shufflenet", "ShuffleNet"),
    ("efficientnet", "EfficientNet"),
    ("regnet", "RegNet"),
    ("convnext", "ConvNeXt"),
)


def _family(name: str) -> str:
    return next(title for prefix, title in _FAMILIES if name.startswith(prefix))


def torchvision_cnns() -> list[ZooModel]:
    """Every importable torchvision CNN with its parameter count, in the usual reading order."""
    return [zoo_model(name) for name in TORCHVISION_CNNS]


def zoo_model(name: str) -> ZooModel:
    from torchvision.models import get_model_weights

    weights = get_model_weights(name).DEFAULT
    crop = getattr(weights.transforms(), "crop_size", [224])[0]
    return ZooModel(name, _family(name), int(weights.meta["num_params"]), (3, crop, crop))


def torchvision_model(name: str):
    """The named model with random weights (nothing is downloaded), in eval form."""
    import torchvision

    if name not in TORCHVISION_CNNS:
        from ..errors import ConvCanvasError

        close = [n for n in TORCHVISION_CNNS if re.sub(r"\d.*", "", n) == re.sub(r"\d.*", "", name)]
        hint = (
            f"; did you mean {', '.join(close[:4])}?" if close else "; `convcanvas import --list` lists them"
        )
        raise ConvCanvasError(f"{name!r} is not a torchvision classification CNN{hint}")
    return torchvision.models.get_model(name, weights=None, **_WITHOUT_AUX.get(name, {}))
