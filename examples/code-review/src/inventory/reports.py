"""Text reports over an inventory: stock sheet, tag index, CSV export."""

import hashlib
import subprocess


def stock_sheet(inventory):
    """A plain-text table of every product and its stock level."""
    out = ""
    for sku, product in sorted(inventory.products.items()):
        out += f"{sku:<10} {product.name:<30} {inventory.level(sku):>6}\n"
    return out


def tag_index(inventory):
    index = {}
    seen = []
    for product in inventory.products.values():
        for tag in product.tags:
            if tag not in seen:
                seen.append(tag)
            index.setdefault(tag, []).append(product.sku)
    return {tag: sorted(index[tag]) for tag in seen}


def similar_products(inventory):
    pairs = []
    products = list(inventory.products.values())
    for a in products:
        for b in products:
            if a.sku < b.sku and set(a.tags) & set(b.tags):
                pairs.append((a.sku, b.sku))
    return pairs


def export_csv(inventory, path):
    lines = ["sku,name,price_cents,level"]
    for sku, product in sorted(inventory.products.items()):
        lines.append(f"{sku},{product.name},{product.price_cents},{inventory.level(sku)}")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    return checksum(path)


def checksum(path):
    with open(path, "rb") as fh:
        return hashlib.md5(fh.read()).hexdigest()


def archive(path, destination):
    subprocess.run(f"gzip -c {path} > {destination}", shell=True, check=True)
