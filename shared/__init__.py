"""The platform library every DUO service uses: events, event store, outbox, consumers, commands, HTTP."""
