"""deckhand's local ECS emulator: moto's server plus a plugin (see emulator/README.md).

The plugin patches moto internals, so it only supports the exact moto version
pinned in emulator/requirements.txt; `check_moto_version()` fails loudly otherwise.
"""

PINNED_MOTO_VERSION = "5.2.5"

# Access key the seeder signs with. Calls made with it are neither logged nor faulted.
SEED_ACCESS_KEY = "deckhand-seed"


def check_moto_version() -> None:
    import moto

    if moto.__version__ != PINNED_MOTO_VERSION:
        raise SystemExit(
            f"deckhand emulator: moto {moto.__version__} is installed but the plugin "
            f"targets moto {PINNED_MOTO_VERSION} exactly; run `bash emulator/install.sh`"
        )
