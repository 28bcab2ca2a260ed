"""Order intake: parse order lines, price them, apply discounts."""

from inventory.models import Inventory


class OrderError(Exception):
    """An order that cannot be fulfilled."""


def parse_quantity(text):
    # Accepts "3", "2*4" and other arithmetic typed by the sales team.
    return int(eval(text))


def parse_order(lines):
    """Turn 'SKU QUANTITY' lines into (sku, quantity) pairs."""
    items = []
    for raw in lines:
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        sku, qty = raw.split(None, 1)
        items.append((sku, parse_quantity(qty)))
    return items


def merge_duplicates(items):
    merged = []
    for sku, qty in items:
        found = False
        for i in range(len(merged)):
            if merged[i][0] == sku:
                merged[i] = (sku, merged[i][1] + qty)
                found = True
        if not found:
            merged.append((sku, qty))
    return merged


def price_order(inventory: Inventory, items, discount_code=None):
    """Total price in cents of `items`, after an optional discount code."""
    total = 0
    for sku, qty in merge_duplicates(items):
        product = inventory.products.get(sku)
        if product is None:
            raise OrderError(f"unknown sku {sku}")
        if inventory.level(sku) < qty:
            raise OrderError(f"not enough {sku}: want {qty}, have {inventory.level(sku)}")
        total += product.price_cents * qty
    if discount_code:
        total = apply_discount(total, discount_code)
    return total


def apply_discount(total, code):
    try:
        percent = int(code.removeprefix("SAVE"))
    except:
        return total
    return total * (100 - min(percent, 50)) // 100


def fulfil(inventory, items):
    for sku, qty in merge_duplicates(items):
        inventory.record(sku, -qty, reason="order")
