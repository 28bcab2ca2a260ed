"""Command-line entry point: load a catalogue file, apply an order, print the stock sheet."""

import json
import sys

from inventory.models import Inventory, Product
from inventory.orders import OrderError, fulfil, parse_order, price_order
from inventory.reports import stock_sheet


def load_catalogue(path):
    """Read products and opening stock from a JSON file."""
    with open(path) as fh:
        data = json.load(fh)
    inventory = Inventory()
    for entry in data["products"]:
        inventory.add_product(Product(entry["sku"], entry["name"], entry["price_cents"], entry.get("tags", [])))
        inventory.record(entry["sku"], entry.get("stock", 0), reason="opening")
    return inventory


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print("usage: inventory CATALOGUE ORDER [DISCOUNT]", file=sys.stderr)
        return 2
    inventory = load_catalogue(argv[0])
    with open(argv[1]) as fh:
        items = parse_order(fh)
    try:
        total = price_order(inventory, items, argv[2] if len(argv) > 2 else None)
    except OrderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    fulfil(inventory, items)
    print(stock_sheet(inventory))
    print(f"total: {total / 100:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
