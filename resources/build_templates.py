"""Regenerate resources/templates/*.json: `python resources/build_templates.py`.

Templates are written from code so that their wiring, ids and layout stay consistent; the
tests check their parameter counts against torchvision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from builder import Graph, apply_layout, save_graph

OUT = Path(__file__).parent / "templates"


class Net:
    """A small helper to write templates as code."""

    def __init__(self, name: str, description: str, shape: tuple[int, int, int]):
        self.graph = Graph(name=name, description=description)
        self.last = self.graph.add_node("Input", {"shape": shape}).id
        self.group = ""  # the group that new blocks go in

    @contextmanager
    def grouped(self, name: str) -> Iterator[None]:
        """Blocks added inside `with net.grouped("layer1"):` go in group layer1 (nested in
        the group around it, if any)."""
        outer = self.group
        self.group = f"{outer}.{name}" if outer else name
        try:
            yield
        finally:
            self.group = outer

    def add(
        self, block_type: str, src: str | list[str] | None = None, node_id: str | None = None, **params
    ) -> str:
        node = self.graph.add_node(block_type, params, node_id=node_id, group=self.group)
        sources = [self.last] if src is None else [src] if isinstance(src, str) else src
        for s in sources:
            self.graph.connect(s, node.id)
        self.last = node.id
        return node.id

    def save(self, file_name: str, direction: str = "TB") -> None:
        apply_layout(self.graph, direction)
        save_graph(self.graph, OUT / f"{file_name}.json")


def _lenet(file_name: str, name: str, description: str, activation: str, pool: str) -> None:
    """LeNet-5's layer sizes; the classic and the modern variant differ in two block types."""
    n = Net(name, description, (1, 28, 28))
    n.add("Conv2d", out_channels=6, kernel_size=5, padding=2)
    n.add(activation)
    n.add(pool, kernel_size=2)
    n.add("Conv2d", out_channels=16, kernel_size=5)
    n.add(activation)
    n.add(pool, kernel_size=2)
    n.add("Conv2d", out_channels=120, kernel_size=5)
    n.add(activation)
    n.add("Flatten")
    n.add("Linear", out_features=84)
    n.add(activation)
    n.add("Linear", out_features=10)
    n.save(file_name)


def lenet5() -> None:
    _lenet(
        "lenet5",
        "LeNet-5",
        "LeCun et al. 1998: two conv/subsampling stages and three dense layers with tanh; "
        "61,706 parameters. On 28x28 MNIST the first conv pads by 2 to keep the 32x32 geometry.",
        "Tanh",
        "AvgPool2d",
    )


def lenet5_modern() -> None:
    _lenet(
        "lenet5_modern",
        "LeNet-5 (ReLU, max-pool)",
        "LeNet-5's layer sizes (61,706 parameters) with the modern choices that CS231n-era networks "
        "made standard: ReLU instead of tanh and max-pooling instead of average subsampling. It "
        "learns faster than the classic and passes 99% on MNIST in a few epochs.",
        "ReLU",
        "MaxPool2d",
    )


def mnist_cnn() -> None:
    n = Net(
        "MNIST CNN",
        "The TensorFlow tutorial CNN: three 3x3 convolutions with max-pooling, then a 64-unit "
        "dense layer; about 93k parameters and 99% on MNIST.",
        (1, 28, 28),
    )
    n.add("Conv2d", out_channels=32, kernel_size=3)
    n.add("ReLU")
    n.add("MaxPool2d", kernel_size=2)
    n.add("Conv2d", out_channels=64, kernel_size=3)
    n.add("ReLU")
    n.add("MaxPool2d", kernel_size=2)
    n.add("Conv2d", out_channels=64, kernel_size=3)
    n.add("ReLU")
    n.add("Flatten")
    n.add("Linear", out_features=64)
    n.add("ReLU")
    n.add("Linear", out_features=10)
    n.save("mnist_cnn")


def cifar_cnn() -> None:
    n = Net(
        "CIFAR-10 CNN",
        "A small VGG-style network for 32x32 colour images: three stages of two 3x3 convolutions "
        "with batch norm, max-pooling, global average pooling and one dense layer.",
        (3, 32, 32),
    )
    for stage, width in enumerate((32, 64, 128), start=1):
        with n.grouped(f"stage{stage}"):
            for _ in range(2):
                n.add("Conv2d", out_channels=width, kernel_size=3, padding=1, bias=False)
                n.add("BatchNorm2d")
                n.add("ReLU")
            n.add("MaxPool2d", kernel_size=2)
    n.add("AdaptiveAvgPool2d", output_size=1)
    n.add("Flatten")
    n.add("Linear", out_features=10)
    n.save("cifar_cnn")


def alexnet() -> None:
    n = Net(
        "AlexNet",
        "Krizhevsky et al. 2012, as in torchvision.models.alexnet: five convolutions, three "
        "dense layers, 61.1M parameters.",
        (3, 224, 224),
    )
    with n.grouped("features"):  # torchvision's names for the two parts
        n.add("Conv2d", out_channels=64, kernel_size=11, stride=4, padding=2)
        n.add("ReLU")
        n.add("MaxPool2d", kernel_size=3, stride=2)
        n.add("Conv2d", out_channels=192, kernel_size=5, padding=2)
        n.add("ReLU")
        n.add("MaxPool2d", kernel_size=3, stride=2)
        n.add("Conv2d", out_channels=384, kernel_size=3, padding=1)
        n.add("ReLU")
        n.add("Conv2d", out_channels=256, kernel_size=3, padding=1)
        n.add("ReLU")
        n.add("Conv2d", out_channels=256, kernel_size=3, padding=1)
        n.add("ReLU")
        n.add("MaxPool2d", kernel_size=3, stride=2)
    n.add("AdaptiveAvgPool2d", output_size=6)
    n.add("Flatten")
    with n.grouped("classifier"):
        n.add("Dropout")
        n.add("Linear", out_features=4096)
        n.add("ReLU")
        n.add("Dropout")
        n.add("Linear", out_features=4096)
        n.add("ReLU")
        n.add("Linear", out_features=1000)
    n.save("alexnet")


def vgg16() -> None:
    n = Net(
        "VGG-16",
        "Simonyan & Zisserman 2014, as in torchvision.models.vgg16: thirteen 3x3 convolutions "
        "in five stages and three dense layers, 138M parameters.",
        (3, 224, 224),
    )
    stages = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
    for stage, (width, repeats) in enumerate(stages, start=1):
        with n.grouped(f"block{stage}"):  # the paper's (and Keras') stages
            for _ in range(repeats):
                n.add("Conv2d", out_channels=width, kernel_size=3, padding=1)
                n.add("ReLU")
            n.add("MaxPool2d", kernel_size=2)
    n.add("AdaptiveAvgPool2d", output_size=7)
    n.add("Flatten")
    with n.grouped("classifier"):
        n.add("Linear", out_features=4096)
        n.add("ReLU")
        n.add("Dropout")
        n.add("Linear", out_features=4096)
        n.add("ReLU")
        n.add("Dropout")
        n.add("Linear", out_features=1000)
    n.save("vgg16")


def _basic_block(n: Net, prefix: str, width: int, stride: int, project: bool) -> None:
    """ResNet's basic block: two 3x3 convolutions beside an identity or 1x1-projection shortcut."""
    shortcut = n.last
    n.add(
        "Conv2d",
        node_id=prefix + "conv1",
        out_channels=width,
        kernel_size=3,
        stride=stride,
        padding=1,
        bias=False,
    )
    n.add("BatchNorm2d", node_id=prefix + "bn1")
    n.add("ReLU", node_id=prefix + "relu1")
    n.add("Conv2d", node_id=prefix + "conv2", out_channels=width, kernel_size=3, padding=1, bias=False)
    main = n.add("BatchNorm2d", node_id=prefix + "bn2")
    if project:
        n.add(
            "Conv2d",
            src=shortcut,
            node_id=prefix + "downsample_conv",
            out_channels=width,
            kernel_size=1,
            stride=stride,
            bias=False,
        )
        shortcut = n.add("BatchNorm2d", node_id=prefix + "downsample_bn")
    n.add("Add", src=[main, shortcut])
    n.add("ReLU", node_id=prefix + "relu2")


def resnet18() -> None:
    n = Net(
        "ResNet-18",
        "He et al. 2015, as in torchvision.models.resnet18: eight basic residual blocks with "
        "identity or 1x1-projection shortcuts, 11.7M parameters.",
        (3, 224, 224),
    )
    n.add("Conv2d", out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    n.add("BatchNorm2d")
    n.add("ReLU")
    n.add("MaxPool2d", kernel_size=3, stride=2, padding=1)
    in_width = 64
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        with n.grouped(f"layer{stage}"):  # torchvision's module paths: layer2.0 is layer2[0]
            for block in range(2):
                stride = 2 if stage > 1 and block == 0 else 1
                with n.grouped(str(block)):
                    _basic_block(n, f"layer{stage}_{block}_", width, stride, stride != 1 or in_width != width)
                in_width = width
    n.add("AdaptiveAvgPool2d", output_size=1)
    n.add("Flatten")
    n.add("Linear", node_id="fc", out_features=1000)
    n.save("resnet18")


def inception_block() -> None:
    n = Net(
        "Inception module",
        "GoogLeNet's inception (3a) module (Szegedy et al. 2014): four parallel branches, "
        "with 1x1 reductions before the 3x3 and 5x5 convolutions, joined by channel concatenation.",
        (192, 28, 28),
    )
    x = n.last
    with n.grouped("inception3a"):  # GoogLeNet's names: inception3a.branch1 ...
        with n.grouped("branch1"):
            n.add("Conv2d", src=x, out_channels=64, kernel_size=1)
            b1 = n.add("ReLU")
        with n.grouped("branch2"):
            n.add("Conv2d", src=x, out_channels=96, kernel_size=1)
            n.add("ReLU")
            n.add("Conv2d", out_channels=128, kernel_size=3, padding=1)
            b2 = n.add("ReLU")
        with n.grouped("branch3"):
            n.add("Conv2d", src=x, out_channels=16, kernel_size=1)
            n.add("ReLU")
            n.add("Conv2d", out_channels=32, kernel_size=5, padding=2)
            b3 = n.add("ReLU")
        with n.grouped("branch4"):
            n.add("MaxPool2d", src=x, kernel_size=3, stride=1, padding=1)
            n.add("Conv2d", out_channels=32, kernel_size=1)
            b4 = n.add("ReLU")
        n.add("Concat", src=[b1, b2, b3, b4])
    n.save("inception_block")


if __name__ == "__main__":
    for make in (lenet5, lenet5_modern, mnist_cnn, cifar_cnn, alexnet, vgg16, resnet18, inception_block):
        make()
        print("wrote", make.__name__)
