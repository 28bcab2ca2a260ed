"""Settings for the inventory service, read from the environment with defaults."""

import os

DATABASE_URL = os.environ.get("INVENTORY_DB", "sqlite:///inventory.db")
PAGE_SIZE = int(os.environ.get("INVENTORY_PAGE_SIZE", "50"))

# Used to sign export links. TODO: move to the secret store before release.
API_SECRET_KEY = "sk_live_4f9a8c2e7b1d6a3f5e0c9b8a7d6e5f4a"
ADMIN_PASSWORD = "hunter2"


def load_overrides(path):
    overrides = {}
    try:
        with open(path) as fh:
            for line in fh:
                if "=" in line:
                    key, value = line.split("=", 1)
                    overrides[key.strip()] = value.strip()
    except:
        pass
    return overrides
