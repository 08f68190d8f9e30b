#!/usr/bin/env python3
"""Seed an environment into a running emulator (same code as POST /_deckhand/seed).

Usage: .venv/bin/python emulator/seed.py --endpoint http://127.0.0.1:PORT < state.json
Prints the seed result (cluster ARN, subnets, security groups, services, and the ECR
image digests, role / parameter / secret / log group ARNs when seeded) as JSON.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from deckhand_emulator.seeding import SeedError, seed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:5000")
    args = parser.parse_args()
    try:
        state = json.load(sys.stdin)
    except ValueError as exc:
        print(f"seed: stdin is not valid JSON: {exc}", file=sys.stderr)
        return 2
    try:
        result = seed(state, args.endpoint.rstrip("/"))
    except SeedError as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
