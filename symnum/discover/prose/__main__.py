"""``python -m symnum.discover.prose``: generate data, train, evaluate and export PROSE models.

::

    python -m symnum.discover.prose generate DATA --per-family 2000
    python -m symnum.discover.prose train DATA RUN --steps 12000          # resumes if RUN has checkpoints
    python -m symnum.discover.prose export RUN model.pt
    python -m symnum.discover.prose evaluate model.pt TESTDATA --noise 0.01
"""

from __future__ import annotations

import argparse
import json
import sys


def build_parser():
    p = argparse.ArgumentParser(prog="python -m symnum.discover.prose", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write sharded training data (resumable)")
    g.add_argument("out")
    g.add_argument("--per-family", type=int, default=2000)
    g.add_argument("--families", nargs="*", default=None, help="default: the training families")
    g.add_argument("--spread", type=float, nargs=2, default=(0.0, 0.1),
                   help="relative coefficient perturbation range (default 0 0.1)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--shard-size", type=int, default=500)
    t = sub.add_parser("train", help="train, or resume training, a model")
    t.add_argument("data")
    t.add_argument("run")
    t.add_argument("--steps", type=int, default=12000)
    t.add_argument("--config", default="small")
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--every", type=int, default=500, help="checkpoint period in steps")
    t.add_argument("--threads", type=int, default=None)
    t.add_argument("--device", default="auto", help="'cpu', 'cuda' or 'auto' (a GPU if present)")
    x = sub.add_parser("export", help="write the newest checkpoint of a run as a model file")
    x.add_argument("run")
    x.add_argument("out")
    e = sub.add_parser("evaluate", help="metrics of a model file on generated data (JSON)")
    e.add_argument("model")
    e.add_argument("data")
    e.add_argument("--noise", type=float, default=0.01)
    e.add_argument("--with-source", action="store_true")
    e.add_argument("-n", type=int, default=None)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "generate":
        from .generator import TRAIN_FAMILIES, generate

        generate(args.out, families=args.families or TRAIN_FAMILIES,
                 n_per_family=args.per_family, seed=args.seed, shard_size=args.shard_size,
                 spread=tuple(args.spread))
    elif args.command == "train":
        from .train import train

        train(args.data, args.run, steps=args.steps, config=args.config,
              batch_size=args.batch_size, lr=args.lr, seed=args.seed, every=args.every,
              threads=args.threads, device=args.device)
    elif args.command == "export":
        from .train import export

        print(export(args.run, args.out))
    else:
        from .checkpoint import load
        from .evaluate import evaluate
        from .generator import load as load_data

        model, _ = load(args.model)
        result = evaluate(model, load_data(args.data), noise=args.noise,
                          with_source=args.with_source, n=args.n)
        json.dump(result, sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
