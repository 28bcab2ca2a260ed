"""Products and stock movements."""

from dataclasses import dataclass, field


@dataclass
class Product:
    """One sellable item."""

    sku: str
    name: str
    price_cents: int
    tags: list = field(default_factory=list)


@dataclass
class Movement:
    sku: str
    quantity: int
    reason: str = "adjustment"


class Inventory:
    """Stock levels derived from a list of movements."""

    def __init__(self):
        self.products = {}
        self.movements = []

    def add_product(self, product):
        if product.sku in self.products:
            raise ValueError(f"duplicate sku {product.sku}")
        self.products[product.sku] = product

    def record(self, sku, quantity, reason="adjustment"):
        if sku not in self.products:
            raise KeyError(sku)
        self.movements.append(Movement(sku, quantity, reason))

    def level(self, sku):
        total = 0
        for movement in self.movements:
            if movement.sku == sku:
                total += movement.quantity
        return total

    def levels(self):
        # Recomputes every level from scratch: one pass over all movements per product.
        result = {}
        for sku in self.products:
            result[sku] = self.level(sku)
        return result

    def low_stock(self, threshold=5):
        return [sku for sku, qty in self.levels().items() if qty < threshold]
