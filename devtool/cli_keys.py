"""`duo keys list | rotate SERVICE | retire KEY_ID | revoke KEY_ID`: the embedded stack's event signing keys.

A rotation needs no stop: the new key is in the keyring before it signs, consumers read the keyring again when
they meet a key they do not know, and the old key still verifies what it signed (docs/security.md).
"""

from __future__ import annotations

import argparse

PRODUCERS = ("intake", "matching", "tracking")


def _keys(args: argparse.Namespace) -> int:
    from shared.events.keyfiles import KEYRING_FILE, keys_folder, read_keyring, retire, revoke, rotate

    folder = keys_folder()
    try:
        if args.keys_command == "rotate":
            key = rotate(folder, args.service)
            print(f"{args.service} signs with {key.key_id} from its next batch; its older keys still verify")
        elif args.keys_command == "retire":
            key = retire(folder, args.key_id)
            print(f"{key.key_id} retired: its private key is destroyed, its public key still verifies its events")
        elif args.keys_command == "revoke":
            key = revoke(folder, args.key_id)
            print(
                f"{key.key_id} revoked: nothing it signed is applied any more; republish {key.producer}'s store "
                f"(duo outbox republish {key.producer}) so the log holds a copy of each fact under a valid key"
            )
    except (KeyError, ValueError) as err:
        print(f"duo keys: {err.args[0]}")
        return 2
    for key in read_keyring(folder / KEYRING_FILE).keys.values():
        state = f"retired {key.retired}" if key.retired else "active"
        print(f"{key.key_id}  {key.producer:<9} created {key.created}  {state}")
    return 0


def add_keys_commands(sub: argparse._SubParsersAction) -> None:
    """Add `duo keys` to the `duo` parser."""
    keys = sub.add_parser("keys", help="the embedded stack's event signing keys (docs/security.md)")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser("list", help="every key of the keyring: its producer, when it was made, whether it signs")
    rotate = keys_sub.add_parser("rotate", help="a new key for SERVICE: it signs from now on, the older ones verify")
    rotate.add_argument("service", choices=PRODUCERS)
    retire = keys_sub.add_parser("retire", help="destroy a key's private half; its public half verifies history")
    retire.add_argument("key_id")
    revoke = keys_sub.add_parser("revoke", help="drop a (stolen) key from the keyring: nothing it signed applies")
    revoke.add_argument("key_id")
    keys.set_defaults(handler=_keys)
