"""Full re-inference of 1,000-node graphs against shape propagation with torch meta tensors.

    python benchmarks/bench_inference.py [--nodes 1000] [--repeats 15]

Prints the median time of each and the ratios. Target: inference under 5 ms for 1,000 nodes
and at least 50x faster than meta-tensor tracing. Two meta figures: the forward pass over an
already built module (the most favourable to torch), and building the module and running it,
which is what an editor tracing with meta tensors would redo after every edit.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from builder import Graph, build_model, infer


def long_chain(n: int) -> Graph:
    graph = Graph(name="chain")
    prev = graph.add_node("Input", {"shape": (16, 32, 32)}).id
    cycle = [
        ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("BatchNorm2d", {}),
        ("ReLU", {}),
    ]
    for i in range(n - 1):
        block_type, params = cycle[i % len(cycle)]
        node = graph.add_node(block_type, params)
        graph.connect(prev, node.id)
        prev = node.id
    return graph


def branched(n: int) -> Graph:
    """Residual blocks and inception-style concatenations until `n` nodes."""
    graph = Graph(name="branched")
    prev = graph.add_node("Input", {"shape": (16, 32, 32)}).id

    def add(block_type, sources, **params):
        node = graph.add_node(block_type, params)
        for s in sources:
            graph.connect(s, node.id)
        return node.id

    while len(graph.nodes) < n - 10:
        a = add("Conv2d", [prev], out_channels=16, kernel_size=3, padding=1)
        a = add("ReLU", [a])
        a = add("Conv2d", [a], out_channels=16, kernel_size=3, padding=1)
        prev = add("Add", [a, prev])
        b1 = add("Conv2d", [prev], out_channels=8, kernel_size=1)
        b2 = add("Conv2d", [prev], out_channels=8, kernel_size=3, padding=1)
        b3 = add("MaxPool2d", [prev], kernel_size=3, stride=1, padding=1)
        cat = add("Concat", [b1, b2, b3])
        prev = add("Conv2d", [cat], out_channels=16, kernel_size=1)
    while len(graph.nodes) < n:
        prev = add("ReLU", [prev])
    return graph


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"{'graph':<10} {'nodes':>6} {'infer ms':>9} {'meta fwd ms':>12} {'ratio':>6} "
        f"{'meta build+fwd ms':>18} {'ratio':>6}"
    )
    for make in (long_chain, branched):
        graph = make(args.nodes)
        result = infer(graph)
        assert result.valid, result.errors[:3]
        ours = median_seconds(lambda g=graph: infer(g), args.repeats)
        with torch.device("meta"):
            model = build_model(graph, result).eval()
            x = torch.empty(1, *result.input_shape)

        def build_and_run(g=graph, r=result, x=x):
            # what an editor tracing with meta tensors redoes after every edit
            with torch.device("meta"), torch.no_grad():
                build_model(g, r).eval().forward_all(x)

        with torch.no_grad():
            forward = median_seconds(lambda m=model, x=x: m.forward_all(x), max(3, args.repeats // 3))
        both = median_seconds(build_and_run, max(3, args.repeats // 3))
        print(
            f"{graph.name:<10} {len(graph.nodes):>6} {ours * 1e3:>9.2f} {forward * 1e3:>12.2f} "
            f"{forward / ours:>5.0f}x {both * 1e3:>18.2f} {both / ours:>5.0f}x"
        )


if __name__ == "__main__":
    main()
